"""Reading and writing tables of passages (CSV, TSV, JSONL, Parquet) with errors that name file and row."""

from __future__ import annotations

import gzip
import json
import os
import sys
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from .errors import InputError

__all__ = ["table_format", "write_table", "iter_jsonl", "open_binary", "decoded_lines", "jsonl_text"]

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
        return jsonl_text(frame)
    return frame.to_csv(index=False, sep="\t" if fmt == "tsv" else ",")


def jsonl_text(table) -> str:
    """A table (a pandas DataFrame or a pyarrow Table) as JSON Lines, one object per row, floats written exactly.

    pandas' ``to_json`` rounds floats to 15 significant digits at most (10 by default); here every float,
    nested ones (in lists and objects) included, is written in the shortest form that reads back as the
    same number. Missing values (None, NaN, NA, NaT) are ``null``; infinities are ``Infinity`` and
    ``-Infinity``, as Python's json module writes and reads them. Other values are written as pandas
    writes them (dates as epoch milliseconds). The work is done column by column, so a table of many
    columns costs no more than one of many rows.
    """
    if not len(table):
        return ""
    if isinstance(table, pd.DataFrame):
        names, columns = list(table.columns), _frame_json_values(table)
    else:
        names, columns = table.column_names, [_arrow_json_values(column) for column in table.columns]
    if not names:
        return "{}\n" * len(table)
    keys = (_encode_text(str(name)).replace("%", "%%") for name in names)
    line = "{" + ",".join(f"{key}:%s" for key in keys) + "}\n"
    return "".join([line % row for row in zip(*columns)])


_encode_text = json.encoder.encode_basestring  # a str as JSON, non-ASCII kept as it is


def _float_texts(values: np.ndarray) -> list[str]:
    """Floats as JSON numbers in their shortest exact form; NaN as null, infinities as Python's json writes them."""
    if values.dtype == np.float64:
        texts = [repr(v) for v in values.tolist()]
    else:  # numpy writes a float32 as the shortest text that reads back as that float32
        texts = values.astype(str).tolist()
    if not np.isfinite(values).all():
        odd = {"nan": "null", "inf": "Infinity", "-inf": "-Infinity"}
        texts = [odd.get(text, text) for text in texts]
    return texts


def _frame_json_values(frame: pd.DataFrame) -> list[list[str]]:
    """The values of every column of a DataFrame as JSON texts, the text columns taken out all at once."""
    dtypes = frame.dtypes.tolist()
    texty = [i for i, dtype in enumerate(dtypes) if dtype == object or isinstance(dtype, pd.StringDtype)]
    columns: list = [None] * len(dtypes)
    if texty:  # one copy for them all: a frame may have 100k columns, and taking each out costs more than its values
        block = frame.iloc[:, texty].to_numpy(dtype=object)
        for i, values in zip(texty, block.T.tolist()):
            columns[i] = [_encode_text(v) if type(v) is str else _json_value(v) for v in values]
    for i, values in enumerate(columns):
        if values is None:
            columns[i] = _json_values(frame.iloc[:, i])
    return columns


def _json_values(column: pd.Series) -> list[str]:
    """The values of one pandas column as JSON texts."""
    dtype = column.dtype
    if pd.api.types.is_float_dtype(dtype):
        return _float_texts(column.to_numpy(dtype=getattr(dtype, "numpy_dtype", dtype), na_value=np.nan))
    if pd.api.types.is_bool_dtype(dtype) and not column.hasnans:
        return ["true" if v else "false" for v in column.tolist()]
    if pd.api.types.is_integer_dtype(dtype) and not column.hasnans:
        return [str(v) for v in column.tolist()]
    if dtype == object or isinstance(dtype, pd.StringDtype):
        return [_encode_text(v) if type(v) is str else _json_value(v) for v in column.tolist()]
    if pd.api.types.is_extension_array_dtype(dtype):  # categories, nullable numbers
        return [_encode_text(v) if type(v) is str else _json_value(v) for v in column.astype(object).tolist()]
    # dates, durations and the like: as pandas writes them
    return [json.dumps(v, ensure_ascii=False) for v in json.loads(column.to_json(orient="values"))]


def _arrow_json_values(column) -> list[str]:
    """The values of one pyarrow column as JSON texts, as :func:`_json_values` gives them for its pandas form."""
    import pyarrow as pa

    kind = column.type
    if pa.types.is_floating(kind):
        return _float_texts(column.to_numpy())  # nulls come as NaN
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return ["null" if v is None else _encode_text(v) for v in column.to_pylist()]
    if column.null_count == 0 and pa.types.is_boolean(kind):
        return ["true" if v else "false" for v in column.to_pylist()]
    if column.null_count == 0 and pa.types.is_integer(kind):
        return [str(v) for v in column.to_pylist()]
    return _json_values(column.to_pandas())


def _json_value(value) -> str:
    """One value of an object column as JSON."""
    if value is None or value is pd.NA or value is pd.NaT:
        return "null"
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return "null"
        return repr(float(value)) if np.isfinite(value) else ("Infinity" if value > 0 else "-Infinity")
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_jsonable)


def _jsonable(value):
    """What :func:`json.dumps` cannot write itself, as something it can.

    numpy values exactly; anything else (dates, decimals) as pandas writes it.
    """
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return json.loads(pd.Series([value], dtype=object).to_json(orient="values"))[0]
