"""Reading and writing tables of passages (CSV, TSV, JSONL, Parquet) with errors that name file and row."""

from __future__ import annotations

import gzip
import json
import os
import sys
from pathlib import Path
from typing import Iterator

import pandas as pd

from .errors import InputError

__all__ = ["table_format", "write_table", "iter_jsonl", "open_binary", "decoded_lines"]

_FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


def table_format(path: str | os.PathLike, explicit: str | None = None) -> str:
    """The format of a table file, from ``explicit`` or the file's extension (``.gz`` is looked through)."""
    if explicit:
        if explicit not in set(_FORMATS.values()):
            raise InputError(f"unknown format {explicit!r}; choose one of {sorted(set(_FORMATS.values()))}")
        return explicit
    name = str(path)
    if name == "-":
        raise InputError("reading or writing '-' needs a format: pass --format csv or jsonl")
    suffixes = [s.lower() for s in Path(name).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in _FORMATS:
        return _FORMATS[suffixes[-1]]
    raise InputError(
        f"cannot tell the format from the extension; use one of {sorted(_FORMATS)} or pass --format",
        path=name,
    )


def open_binary(path: str):
    """A binary stream of a file (``-`` for standard input; ``.gz`` decompressed on the fly)."""
    if path == "-":
        return sys.stdin.buffer
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except IsADirectoryError:
        raise InputError("is a folder, not a file", path=path) from None
    if path.lower().endswith(".gz"):
        return gzip.GzipFile(fileobj=handle)
    return handle


def decoded_lines(handle, path: str) -> Iterator[str]:
    """Lines of a binary stream as text, naming the line of any byte that is not UTF-8."""
    number = 0
    try:
        for number, raw in enumerate(handle, 1):
            try:
                yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1}); re-save the file as UTF-8",
                    path=path,
                    line=number,
                ) from None
    except (OSError, EOFError) as exc:  # a truncated or corrupt gzip stream
        raise InputError(f"cannot read further ({exc})", path=path, line=number + 1) from None


def iter_jsonl(path: str | os.PathLike) -> Iterator[tuple[int, dict]]:
    """Yield ``(line_number, record)`` for each non-blank line of a JSON Lines file, streaming.

    Raises
    ------
    InputError
        Naming the file and line of bytes that are not UTF-8, of a line that is not
        JSON, or of a JSON value that is not an object.
    """
    path = str(path)
    with open_binary(path) as handle:
        for number, line in enumerate(decoded_lines(handle, path), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"not valid JSON ({exc.msg}, column {exc.colno})", path=path, line=number) from None
            if not isinstance(record, dict):
                raise InputError(f"a JSON {type(record).__name__}, not an object", path=path, line=number)
            yield number, record


def write_table(frame: pd.DataFrame, path: str | os.PathLike, fmt: str | None = None) -> None:
    """Write a table; files are written to a temporary name and renamed when complete."""
    path = str(path)
    fmt = table_format(path, fmt)
    if path == "-":
        if fmt == "parquet":
            raise InputError("Parquet cannot be written to standard output")
        sys.stdout.write(_serialise(frame, fmt))
        sys.stdout.flush()
        return
    target = Path(path)
    tmp = target.with_name(f".{target.name}.partial")
    if fmt == "parquet":
        frame.to_parquet(tmp, index=False)
    else:
        data = _serialise(frame, fmt).encode("utf-8")
        if path.lower().endswith(".gz"):

            data = gzip.compress(data)
        tmp.write_bytes(data)
    os.replace(tmp, target)


def _serialise(frame: pd.DataFrame, fmt: str) -> str:
    if fmt == "jsonl":
        return frame.to_json(orient="records", lines=True, force_ascii=False) if len(frame) else ""
    return frame.to_csv(index=False, sep="\t" if fmt == "tsv" else ",")
