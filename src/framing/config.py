"""Where framing finds its corpus and models, and how a model is trained.

Paths follow one rule: an explicit argument wins, then an environment variable
(``FRAMING_CORPUS_DIR``, ``FRAMING_MODELS_DIR``), then the bundled folders: the
source tree's ``corpus/`` and ``models/`` when framing runs from its source tree
(an editable install, or ``src`` on the path), else the copies shipped inside the
installed package.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["BUNDLED_MODEL", "PROJECT_ROOT", "SOURCE_TREE", "TrainingConfig", "corpus_dir", "label_store_path", "models_dir"]

_PACKAGE = Path(__file__).resolve().parent
#: True when framing runs from its source tree (``src/framing`` beside ``pyproject.toml``), not from an installed copy.
SOURCE_TREE = _PACKAGE.parent.name == "src" and (_PACKAGE.parents[1] / "pyproject.toml").is_file()
#: The folder holding the bundled ``corpus/`` and ``models/``: the source tree's root when framing runs from it,
#: else the folder inside the installed package that the wheel carries them in.
PROJECT_ROOT = _PACKAGE.parents[1] if SOURCE_TREE else _PACKAGE / "_bundled"
#: The model shipped with framing (tracked in ``models/`` and carried in the wheel); ``framing models prune`` keeps it.
BUNDLED_MODEL = "20261201-043027-dca5f659"


def _resolve(explicit: str | os.PathLike | None, env: str, default: Path) -> Path:
    if explicit is not None:
        return Path(explicit)
    if os.environ.get(env):
        return Path(os.environ[env])
    return default


def corpus_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The corpus folder (holding ``codebook.toml`` and ``passages.jsonl``)."""
    return _resolve(explicit, "FRAMING_CORPUS_DIR", PROJECT_ROOT / "corpus")


def models_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The folder of trained models, one sub-folder per model id."""
    return _resolve(explicit, "FRAMING_MODELS_DIR", PROJECT_ROOT / "models")


def label_store_path(explicit: str | os.PathLike | None = None, corpus: str | os.PathLike | None = None) -> Path:
    """The label store: an argument, else ``FRAMING_LABEL_STORE``, else ``labels.db`` in the corpus folder."""
    return _resolve(explicit, "FRAMING_LABEL_STORE", corpus_dir(corpus) / "labels.db")


@dataclass(frozen=True)
class TrainingConfig:
    """Settings of the framing pipeline.

    Parameters
    ----------
    ngram_max : int
        Longest word n-gram (over stemmed tokens).
    min_df : int
        A term must occur in at least this many passages.
    prefix : int
        Each word also gives its first ``prefix`` letters (folded Latin), a feature that survives inflection;
        0 turns it off.
    negation : bool
        Mark tokens in the scope of a negation ("not an alliance" → ``allianc_NEG``).
    C : float
        Inverse regularisation strength of the logistic regression.
    calibration : {"sigmoid", "isotonic"}
        How probabilities are calibrated on cross-validated predictions.
    calibration_folds : int
        Folds used to fit the calibration.
    seed : int
        Random seed for every random step.
    """

    ngram_max: int = 2
    min_df: int = 2
    prefix: int = 5
    negation: bool = True
    C: float = 10.0
    calibration: str = "sigmoid"
    calibration_folds: int = 5
    seed: int = 13

    def __post_init__(self):
        if self.ngram_max < 1:
            raise ValueError(f"ngram_max must be at least 1, got {self.ngram_max}")
        if self.prefix < 0:
            raise ValueError(f"prefix must be 0 (off) or more, got {self.prefix}")
        if self.min_df < 1:
            raise ValueError(f"min_df must be at least 1, got {self.min_df}")
        if self.C <= 0:
            raise ValueError(f"C must be positive, got {self.C}")
        if self.calibration not in {"sigmoid", "isotonic"}:
            raise ValueError(f"calibration must be 'sigmoid' or 'isotonic', got {self.calibration!r}")
        if self.calibration_folds < 2:
            raise ValueError(f"calibration_folds must be at least 2, got {self.calibration_folds}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TrainingConfig:
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown training settings: {sorted(unknown)}")
        return cls(**data)
