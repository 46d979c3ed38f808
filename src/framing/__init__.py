"""framing: measure how tabloids, officials, experts and the media frame the same story.

The library core does the work; the ``framing`` command line and the Streamlit
dashboard are thin shells over :mod:`framing.service`.
"""

from .codebook import Codebook, load_codebook
from .config import TrainingConfig
from .errors import (
    ArtifactError,
    CodebookError,
    CorpusError,
    FramingError,
    IncompatibleArtifactError,
    InputError,
    ModelNotFoundError,
    TamperedArtifactError,
)

__all__ = [
    "ArtifactError",
    "Codebook",
    "CodebookError",
    "CorpusError",
    "FramingError",
    "IncompatibleArtifactError",
    "InputError",
    "ModelNotFoundError",
    "TamperedArtifactError",
    "TrainingConfig",
    "__version__",
    "load_codebook",
]

__version__ = "0.1.0"
