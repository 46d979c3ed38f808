"""Reading and writing tables of passages (CSV, TSV, JSONL, Parquet) with errors that name file and row."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Iterator

import pandas as pd

from .errors import InputError

__all__ = ["table_format", "write_table", "iter_jsonl"]

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


def _read_bytes(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except IsADirectoryError:
        raise InputError("is a folder, not a file", path=path) from None
    if path.lower().endswith(".gz"):
        import gzip

        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise InputError(f"not a readable gzip file ({exc})", path=path) from None
    return data


def _decode(data: bytes, path: str, *, header_lines: int = 0) -> str:
    """Decode UTF-8 (a BOM is allowed), naming the row of the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"not UTF-8 text: byte 0x{data[exc.start]:02x} at line {line} cannot be decoded; "
            "re-save the file as UTF-8",
            path=path,
            row=line - header_lines if line > header_lines else None,
        ) from None


def iter_jsonl(path: str | os.PathLike, data: bytes | None = None) -> Iterator[tuple[int, dict]]:
    """Yield ``(line_number, record)`` for each non-blank line of a JSON Lines file."""
    path = str(path)
    text = _decode(_read_bytes(path) if data is None else data, path)
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"line {number} is not valid JSON ({exc.msg}, column {exc.colno})", path=path, row=number) from None
        if not isinstance(record, dict):
            raise InputError(f"line {number} is a JSON {type(record).__name__}, not an object", path=path, row=number)
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
            import gzip

            data = gzip.compress(data)
        tmp.write_bytes(data)
    os.replace(tmp, target)


def _serialise(frame: pd.DataFrame, fmt: str) -> str:
    if fmt == "jsonl":
        return frame.to_json(orient="records", lines=True, force_ascii=False) if len(frame) else ""
    return frame.to_csv(index=False, sep="\t" if fmt == "tsv" else ",")
