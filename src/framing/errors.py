"""Typed errors shared by every part of framing.

Each error carries a message a user can act on: which file, which row, what is wrong.
"""

from __future__ import annotations

__all__ = [
    "FramingError",
    "CodebookError",
    "CorpusError",
    "InputError",
    "ArtifactError",
    "ModelNotFoundError",
    "TamperedArtifactError",
    "IncompatibleArtifactError",
]


class FramingError(Exception):
    """Base class of all errors raised on purpose by framing."""


class CodebookError(FramingError):
    """The codebook file is missing, malformed or inconsistent."""


class InputError(FramingError):
    """A file given by the user cannot be read as asked.

    Parameters
    ----------
    message : str
        What is wrong.
    path : str or None
        The file concerned.
    row : int or None
        1-based data row where the problem is (the header is not a row).
    line : int or None
        1-based line of the file where the problem is, for readers that count lines.
    """

    def __init__(self, message: str, *, path: str | None = None, row: int | None = None, line: int | None = None):
        self.path = path
        self.row = row
        self.line = line
        self.problem = message
        where = ""
        if path is not None:
            where = f"{path}"
            if row is not None:
                where += f", row {row}"
            if line is not None:
                where += f", line {line}"
            where += ": "
        super().__init__(where + message)


class CorpusError(InputError):
    """The labelled corpus breaks the schema or the codebook."""


class ArtifactError(FramingError):
    """A model artifact is missing, foreign, tampered with or incompatible."""


class ModelNotFoundError(ArtifactError):
    """No model exists where one was expected."""


class TamperedArtifactError(ArtifactError):
    """A model file differs from the one its manifest describes; it is never unpickled."""


class IncompatibleArtifactError(ArtifactError):
    """A sound model written by library versions this installation cannot load; retraining replaces it."""
