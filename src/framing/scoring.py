"""Batch scoring of large collections: streamed in chunks, spread over processes, lossless, resumable.

A run reads the input chunk by chunk (memory stays flat however large the file),
scores the chunks in worker processes with joblib (results come back in input
order), and writes each finished chunk as a part file in a staging folder of its
own beside the output, holding a lock on the output meanwhile (a second run
writing the same output is refused). Only when every chunk is done are the parts
joined into the output, written under a temporary name and renamed: an
interrupted run never leaves a file that looks complete, and ``resume=True``
continues from the last finished chunk.

Every input row comes out exactly once. A row that cannot be scored gets
``status`` = ``error`` and the reason in ``error`` (a passage too long to score
among them); a file that cannot be read stops the run with an error naming the
file and the line. CSV and TSV are read by one strict rule, files and standard
input alike (:func:`_strict_rows`): a quote left open or a stray quote in a
quoted field stops the run, it never joins or alters rows. JSON Lines output
holds every float exactly.
"""

from __future__ import annotations

import codecs
import csv
import errno
import io
import json
import math
import os
import re
import shutil
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Sequence

import numpy as np
import pandas as pd

from .errors import InputError
from .language import SCORED, unsupported_reason
from .model import FramingModel
from .tables import decoded_lines, iter_jsonl, jsonl_text, open_binary

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "DEFAULT_MAX_CHARS",
    "ScoreOptions",
    "ScoreSummary",
    "score_texts",
    "attach_scores",
    "score_frame",
    "read_chunks",
    "score_file",
]

#: Passages longer than this (in characters) are not scored by default.
DEFAULT_MAX_CHARS = 100_000
_STAGING_VERSION = 1
_SEPARATORS = {"csv": ",", "tsv": "\t"}


@dataclass(frozen=True)
class ScoreOptions:
    """What to score and what to carry over.

    Parameters
    ----------
    text_column : str
        Column holding the passage.
    id_column : str, optional
        A column that must exist and is always carried to the output.
    keep : sequence of str, optional
        Carry only these input columns (plus the text and id columns).
    drop : sequence of str
        Do not carry these input columns.
    explain : int
        Add a ``terms`` column with the K terms that drove each label.
    max_chars : int
        Longer passages get an error status instead of a score.
    include_text : bool
        Carry the text column (on by default).
    """

    text_column: str = "text"
    id_column: str | None = None
    keep: tuple[str, ...] | None = None
    drop: tuple[str, ...] = ()
    explain: int = 0
    max_chars: int = DEFAULT_MAX_CHARS
    include_text: bool = True

    def __post_init__(self):
        if self.max_chars < 1:
            raise ValueError(f"max_chars must be positive, got {self.max_chars}")
        if self.explain < 0:
            raise ValueError(f"explain must be 0 or more, got {self.explain}")
        if self.text_column in self.drop:
            raise ValueError(f"the text column {self.text_column!r} cannot be dropped")


def _row_error(value, max_chars: int) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "missing text"
    if not isinstance(value, str):
        return f"text is a {type(value).__name__}, not a string"
    if not value.strip():
        return "empty text"
    if len(value) > max_chars:
        return f"text has {len(value)} characters, over the limit of {max_chars}"
    return None


def score_texts(model: FramingModel, texts: Sequence, explain: int = 0, max_chars: int = DEFAULT_MAX_CHARS) -> dict:
    """Score raw values; those that are not usable text get an error instead of a score.

    Returns a dict of columns (numpy arrays or lists): ``label``, ``p_<label>`` for each label, the
    index, ``model_id``, ``language`` and ``script`` (:mod:`framing.language`), ``status``, ``error`` and,
    with ``explain``, ``terms``. A passage in another language, or with no words at all, gets an error.
    This is what worker processes run: it touches no file.
    """
    n = len(texts)
    # a cheap test passes almost every row; only the others get their reason worked out
    good = np.fromiter(
        (type(v) is str and 0 < len(v) <= max_chars and not v.isspace() for v in texts), dtype=bool, count=n
    )
    errors = [None] * n
    for i in np.flatnonzero(~good):
        errors[i] = _row_error(texts[i], max_chars)
        good[i] = errors[i] is None  # e.g. a str subclass that is fine after all
    language = np.full(n, "", dtype=object)
    script = np.full(n, "", dtype=object)
    proba = np.full((n, len(model.labels)), np.nan)
    if good.any():
        # one reading of the texts gives the scores and each text's language and script
        checked = np.flatnonzero(good)
        scores, language[checked], script[checked] = model.predict_proba_profiled([texts[i] for i in checked.tolist()])
        proba[checked] = scores
        for i in checked[~np.isin(language[checked], SCORED)].tolist():
            errors[i] = unsupported_reason(language[i])  # another language: a reason, not a score
            good[i] = False
            proba[i] = np.nan
    labels = np.full(n, None, dtype=object)
    if good.any():
        usable = [t for t, ok in zip(texts, good) if ok]
        labels[good] = np.asarray(model.labels, dtype=object)[proba[good].argmax(axis=1)]
    positive, negative = model.labels.index(model.index_positive), model.labels.index(model.index_negative)
    columns = {"label": labels}
    for j, label in enumerate(model.labels):
        columns[f"p_{label}"] = proba[:, j]
    columns[model.index_name] = proba[:, positive] - proba[:, negative]
    columns["model_id"] = np.full(n, model.model_id, dtype=object)
    columns["language"] = language
    columns["script"] = script
    columns["status"] = np.where(good, "ok", "error").astype(object)
    columns["error"] = np.asarray([e or "" for e in errors], dtype=object)
    if explain:
        terms = np.full(n, None, dtype=object)
        if good.any():
            explained = model.explain(usable, explain, list(labels[good]))
            terms[good] = ["; ".join(f"{t} ({w:+.3f})" for t, w in pairs) for pairs in explained]
        columns["terms"] = terms
    return columns


def _listed(names: Sequence[str], at_most: int = 20) -> str:
    """Column names for a message: all of them, or the first ``at_most`` and how many more."""
    names = list(names)
    if len(names) <= at_most:
        return str(names)
    return f"{names[:at_most]} and {len(names) - at_most:,} more"


def carried_columns(columns: Sequence[str], options: ScoreOptions, source: str) -> list[str]:
    """The input columns that go to the output, checked against what the input has (in time linear in the columns)."""
    columns = list(columns)
    present = set(columns)
    if options.text_column not in present:
        raise InputError(
            f"no column {options.text_column!r}; the columns are {_listed(columns)} (choose one with --text-column)",
            path=source,
        )
    named = [c for c in (options.id_column, *(options.keep or ()), *options.drop) if c]
    unknown = [c for c in named if c not in present]
    if unknown:
        raise InputError(f"no column(s) {unknown}; the columns are {_listed(columns)}", path=source)
    always = {options.text_column, options.id_column}
    if options.keep is not None:
        wanted = set(options.keep) | always
        columns = [c for c in columns if c in wanted]
    dropped = set(options.drop) - always
    columns = [c for c in columns if c not in dropped]
    if not options.include_text:
        columns = [c for c in columns if c != options.text_column]
    return columns


def _renamed(carried: Sequence[str], scores: dict) -> dict[str, str]:
    """Carried input columns whose names a score column uses, and the names they are kept under.

    ``input_<name>``, or ``input_<name>_2``, ``_3``... when the input already has a column of that name (a table
    scored once and scored again).
    """
    taken = set(carried) | set(scores)
    renamed = {}
    for column in carried:
        if column in scores:
            name, k = f"input_{column}", 2
            while name in taken:
                name, k = f"input_{column}_{k}", k + 1
            renamed[column] = name
            taken.add(name)
    return renamed


def attach_scores(frame: pd.DataFrame, scores: dict, carried: Sequence[str]) -> pd.DataFrame:
    """Carried input columns followed by the score columns.

    An input column whose name a score column uses is kept as ``input_<name>``.
    """
    clashes = _renamed(carried, scores)
    out = frame[list(carried)].reset_index(drop=True).rename(columns=clashes)
    out = pd.concat([out, pd.DataFrame(scores)], axis=1)
    out.attrs["renamed_columns"] = clashes
    return out


def score_frame(
    frame: pd.DataFrame,
    model: FramingModel,
    options: ScoreOptions | None = None,
    carried: Sequence[str] | None = None,
    source: str = "input",
) -> pd.DataFrame:
    """Score every row of an in-memory table: its carried columns followed by the scores."""
    options = options or ScoreOptions()
    if carried is None:
        carried = carried_columns(frame.columns, options, source)
    scores = score_texts(model, frame[options.text_column].tolist(), options.explain, options.max_chars)
    return attach_scores(frame, scores, carried)


# -- reading ----------------------------------------------------------------------------------------

#: The longest CSV field (in characters) that is read. Far beyond any passage (a longer passage than
#: ``max_chars`` becomes an error row, text kept), it bounds the memory an unclosed quote can take
#: before it is reported (such a quote turns the rest of the file into one field).
MAX_FIELD_CHARS = 1 << 26
_BLOCK_SIZE = 1 << 22  # pyarrow's CSV blocks; grown for a file whose rows do not fit
_MAX_BLOCK_SIZE = 1 << 28
_SCAN_SIZE = 1 << 24


def _check_header(names: Sequence[str], path: str) -> None:
    counts = Counter(names)
    duplicated = sorted(name for name, n in counts.items() if n > 1)
    if duplicated:
        raise InputError(f"the header names these columns more than once: {_listed(duplicated)}", path=path, line=1)


def _malformed(reason: str, path: str, start: int, end: int) -> InputError:
    """The strict reader's complaint about the row on lines ``start``-``end``, naming the line where the row starts.

    A quote left open makes the row run on over the following lines, so its first line is where to look.
    """
    if reason.startswith("unexpected end of data"):
        return InputError(
            "the file ends inside a quoted field: a quote in the row that starts on this line is never closed",
            path=path,
            line=start,
        )
    if reason.startswith("field larger than field limit"):
        return InputError(
            f"a field runs past {csv.field_size_limit():,} characters, the most that is read: "
            "is a quote in the row that starts on this line left open?",
            path=path,
            line=start,
        )
    if reason.startswith("new-line character seen in unquoted field"):
        return InputError(
            "a carriage return (\\r) that does not end a line with \\n: re-save the file with \\n or \\r\\n line ends",
            path=path,
            line=end,
        )
    if end > start:
        return InputError(
            f"{reason} on line {end}, in a row that starts on this line: is a quote here left open?",
            path=path,
            line=start,
        )
    return InputError(f"malformed CSV ({reason})", path=path, line=end)


def _strict_rows(path: str, sep: str, chunk_size: int) -> Iterator[tuple[list[str], list[list[str]]]]:
    """The one reading rule for CSV and TSV: ``(header, rows)`` in chunks of at most ``chunk_size`` rows.

    Python's csv module with ``strict=True``: a quote opens a quoted field only at the start of a field
    (elsewhere it is a character like any other), ``""`` inside a quoted field is one quote, and a quoted
    field must be closed and then followed by the separator or the end of the line. Every row must have
    the header's number of fields; blank lines are skipped. Anything else stops the read with an error
    naming the file and the line where the offending row starts. Gives one chunk (maybe empty) at least.
    """
    if csv.field_size_limit() < MAX_FIELD_CHARS:  # the default, 131,072 characters, is a short article
        csv.field_size_limit(MAX_FIELD_CHARS)
    with open_binary(path) as handle:
        reader = csv.reader(decoded_lines(handle, path), delimiter=sep, strict=True)

        def next_row() -> list[str] | None:
            start = reader.line_num + 1
            try:
                return next(reader)
            except StopIteration:
                return None
            except csv.Error as exc:
                raise _malformed(str(exc), path, start, reader.line_num) from None

        header = next_row()
        if header is None:
            raise InputError("the file is empty (no header row)", path=path)
        _check_header(header, path)
        rows: list[list[str]] = []
        yielded = False
        while True:
            start = reader.line_num + 1
            row = next_row()
            if row is None:
                break
            if not row:
                continue
            if len(row) != len(header):
                problem = f"{len(row)} fields where the header has {len(header)}"
                if reader.line_num > start:
                    problem += f" (the row runs from here to line {reader.line_num}: is a quote here left open?)"
                raise InputError(problem, path=path, line=start)
            rows.append(row)
            if len(rows) == chunk_size:
                yield header, rows
                rows, yielded = [], True
        if rows or not yielded:
            yield header, rows


def _csv_chunks(path: str, sep: str, chunk_size: int) -> Iterator[pd.DataFrame]:
    """CSV from standard input (or any stream read once) by the strict reader, as DataFrames of text."""
    for header, rows in _strict_rows(path, sep, chunk_size):
        # through one 2-D array: building a frame from lists costs time per column, and there may be 100k
        values = np.array(rows, dtype=object) if rows else np.empty((0, len(header)), dtype=object)
        yield pd.DataFrame(values, columns=header, dtype=object)


def _strict_batches(path: str, sep: str, chunk_size: int, skip: int = 0) -> Iterator["pa.RecordBatch"]:
    """The strict reader's rows as Arrow text columns (as pyarrow gives them), from row ``skip`` on."""
    import pyarrow as pa

    for header, rows in _strict_rows(path, sep, chunk_size):
        if skip >= len(rows) and rows:
            skip -= len(rows)
            continue
        rows, skip = rows[skip:], 0
        columns = list(zip(*rows)) if rows else [()] * len(header)
        yield pa.RecordBatch.from_arrays([pa.array(c, type=pa.string()) for c in columns], names=header)


def _plain_quoting(path: str, sep: str) -> bool:
    """True when every quote in a CSV file opens a field, closes one, or is doubled inside one.

    pyarrow's reader and the strict reader then read the same rows. Other files (a quote inside an
    unquoted field, a quoted field followed by more text or never closed, a carriage return that does
    not end a line) are left to the strict reader, which keeps such quotes exactly or names the line
    at fault; pyarrow would quietly join or alter rows. One vectorised pass over the bytes: quotes
    alternate between opening (only where a field starts, or right after a closing quote: ``""``) and
    closing (only before a separator, a line end or a quote).
    """
    separator, quote, lf, cr = ord(sep), ord('"'), ord("\n"), ord("\r")
    inside = False  # in a quoted field where the block starts
    before = lf  # the byte before the block: the file starts a field
    close_pending = cr_pending = False  # the previous block ended on a closing quote / a carriage return
    first = True
    with open_binary(path) as handle:
        while True:
            try:
                data = handle.read(_SCAN_SIZE)
            except (OSError, EOFError) as exc:  # a truncated or corrupt gzip stream
                raise InputError(f"cannot read further ({exc})", path=path) from None
            if not data:
                break
            if first and data.startswith(codecs.BOM_UTF8):
                data = data[len(codecs.BOM_UTF8) :]
            first = False
            if not data:
                continue
            block = np.frombuffer(data, dtype=np.uint8)
            n = len(block)
            if close_pending and block[0] not in (separator, lf, cr, quote):
                return False
            if cr_pending and block[0] != lf:
                return False
            cr_pending = False
            if data.find(b"\r") != -1:
                returns = np.flatnonzero(block == cr)
                cr_pending = bool(returns[-1] == n - 1)
                if (block[returns[returns < n - 1] + 1] != lf).any():
                    return False
            quotes = np.flatnonzero(block == quote)
            close_pending = False
            if len(quotes):
                opening, closing = quotes[int(inside) :: 2], quotes[1 - int(inside) :: 2]
                prev = np.where(opening > 0, block[np.maximum(opening - 1, 0)], before)
                if not ((prev == separator) | (prev == lf) | (prev == quote)).all():
                    return False
                nxt = block[np.minimum(closing + 1, n - 1)]
                if not ((nxt == separator) | (nxt == lf) | (nxt == cr) | (nxt == quote) | (closing == n - 1)).all():
                    return False
                close_pending = bool(len(closing) and closing[-1] == n - 1)
                inside = inside != bool(len(quotes) % 2)
            before = block[-1]
    return not inside and not cr_pending


def _open_arrow_csv(path: str, sep: str, block_size: int, threads: bool):
    """pyarrow's streaming CSV reader, every column as text, with blocks of at least ``block_size`` bytes.

    Returns the reader and its block size (grown when the first rows do not fit in a block), or None where
    pyarrow cannot read the start of the file.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    while True:
        try:
            reader = pacsv.open_csv(
                path,
                read_options=pacsv.ReadOptions(block_size=block_size, use_threads=threads),
                parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True),
                convert_options=pacsv.ConvertOptions(
                    default_column_type=pa.string(), strings_can_be_null=False, quoted_strings_can_be_null=False
                ),
            )
            return reader, block_size
        except (pa.ArrowInvalid, OSError) as exc:
            if "straddling" not in str(exc) or block_size >= _MAX_BLOCK_SIZE:
                return None
        block_size *= 4


def _arrow_batches(
    path: str, sep: str, chunk_size: int, threads: bool, reader, block_size: int
) -> Iterator["pa.RecordBatch"]:
    """The batches of an open pyarrow CSV reader; where pyarrow fails, the strict reader takes over.

    A row longer than pyarrow's block is read again with larger blocks (from the start, skipping the
    rows already given); any other failure goes to the strict reader, which names the line at fault
    (or, should it read the file after all, gives the remaining rows).
    """
    import pyarrow as pa

    done = 0
    while reader is not None:
        skip = done
        try:
            for batch in reader:
                if skip >= batch.num_rows:
                    skip -= batch.num_rows
                    continue
                if skip:
                    batch, skip = batch.slice(skip), 0
                done += batch.num_rows
                yield batch
            return
        except (pa.ArrowInvalid, OSError) as exc:
            if "straddling" not in str(exc) or block_size >= _MAX_BLOCK_SIZE:
                break
        reader, block_size = _open_arrow_csv(path, sep, block_size * 4, threads) or (None, 0)
    yield from _strict_batches(path, sep, chunk_size, skip=done)


def _arrow_csv_chunks(path: str, sep: str, chunk_size: int, threads: bool = True) -> Iterator["pa.Table"]:
    """CSV as pyarrow Tables of text, exactly as written, read by the strict rule.

    pyarrow's fast reader is lenient (an unclosed quote joins the following rows into one value), so it
    reads only files whose quoting :func:`_plain_quoting` finds plain; the strict reader reads the rest,
    and whatever pyarrow fails on (an empty file, bytes that are not UTF-8: it says which line).
    """
    import pyarrow as pa

    opened = _open_arrow_csv(path, sep, _BLOCK_SIZE, threads) if _plain_quoting(path, sep) else None
    if opened is None:
        yield from (pa.Table.from_batches([batch]) for batch in _strict_batches(path, sep, chunk_size))
        return
    reader, block_size = opened
    _check_header(reader.schema.names, path)
    batches = _arrow_batches(path, sep, chunk_size, threads, reader, block_size)
    yield from _rechunk(batches, reader.schema, chunk_size)


def _jsonl_chunks(path: str, chunk_size: int) -> Iterator[pd.DataFrame]:
    records: list[dict] = []
    yielded = False
    for _, record in iter_jsonl(path):
        records.append(record)
        if len(records) == chunk_size:
            yield pd.DataFrame.from_records(records)
            records, yielded = [], True
    if records or not yielded:
        yield pd.DataFrame.from_records(records)


def _rechunk(batches, schema, chunk_size: int) -> Iterator["pa.Table"]:
    """Tables of exactly ``chunk_size`` rows (the last may be shorter; one empty table when there is no row)."""
    import pyarrow as pa

    buffer, held, yielded = [], 0, False
    for batch in batches:
        buffer.append(batch)
        held += batch.num_rows
        while held >= chunk_size:
            table = pa.Table.from_batches(buffer, schema=schema)
            yield table.slice(0, chunk_size)
            rest = table.slice(chunk_size)
            buffer, held, yielded = rest.to_batches(), rest.num_rows, True
    if held or not yielded:
        yield pa.Table.from_batches(buffer, schema=schema)


def _parquet_chunks(path: str, chunk_size: int) -> Iterator["pa.Table"]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if path == "-":
        raise InputError("Parquet cannot be read from standard input")
    try:
        parquet = pq.ParquetFile(path)
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except Exception as exc:  # pyarrow raises several types for a file that is not Parquet
        raise InputError(f"not a readable Parquet file ({exc})", path=path) from None
    done = 0
    try:
        yielded = False
        for batch in parquet.iter_batches(batch_size=chunk_size):
            done += batch.num_rows
            yielded = True
            yield pa.Table.from_batches([batch])
        if not yielded:
            yield parquet.schema_arrow.empty_table()
    except Exception as exc:
        raise InputError(f"unreadable Parquet data ({exc})", path=path, row=done + 1) from None


def read_chunks(path: str, fmt: str, chunk_size: int = 10_000, *, threads: bool = True) -> Iterator:
    """Yield the input in chunks of at most ``chunk_size`` rows (one empty chunk for an empty file).

    CSV/TSV files and Parquet come as pyarrow Tables (CSV values as text, exactly as
    written); JSONL and standard input come as pandas DataFrames, JSONL values keeping
    their JSON types. CSV and TSV, files and standard input alike, are read by the
    strict rule of :func:`_strict_rows`.
    """
    if fmt in ("csv", "tsv"):
        if path == "-":
            return _csv_chunks(path, _SEPARATORS[fmt], chunk_size)
        return _arrow_csv_chunks(path, _SEPARATORS[fmt], chunk_size, threads)
    if fmt == "jsonl":
        return _jsonl_chunks(path, chunk_size)
    if fmt == "parquet":
        return _parquet_chunks(path, chunk_size)
    raise InputError(f"unknown format {fmt!r}", path=path)


def estimate_rows(path: str, fmt: str) -> int | None:
    """A quick estimate of the rows in a file, for the progress bar (None when unknown)."""
    if path == "-" or path.lower().endswith(".gz"):
        return None
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            return pq.ParquetFile(path).metadata.num_rows
        lines = 0
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 22), b""):
                lines += block.count(b"\n")
        return max(lines - (fmt in ("csv", "tsv")), 0)
    except Exception:
        return None


# -- writing ---------------------------------------------------------------------------------------


def _is_arrow(chunk) -> bool:
    return not isinstance(chunk, pd.DataFrame)


def _chunk_columns(chunk) -> list[str]:
    return list(chunk.column_names) if _is_arrow(chunk) else list(chunk.columns)


def _arrow_output(table, scores: dict, carried: Sequence[str]):
    """Carried Arrow columns (untouched) followed by the score columns, as one Arrow table."""
    import pyarrow as pa

    clashes = _renamed(carried, scores)
    position = {name: i for i, name in enumerate(table.column_names)}
    everything = table.columns  # by position: looking a column up by name takes time, and a table may have 100k
    columns = [everything[position[name]] for name in carried]
    names = [clashes.get(name, name) for name in carried]
    for name, values in scores.items():
        if isinstance(values, np.ndarray) and values.dtype.kind == "f":
            columns.append(pa.array(values, from_pandas=True))  # NaN (unscored) becomes null
        else:
            columns.append(pa.array(list(values), type=pa.string()))
        names.append(name)
    return pa.table(columns, names=names)


def _csv_header(columns: Sequence[str], fmt: str) -> bytes:
    line = io.StringIO()
    csv.writer(line, delimiter=_SEPARATORS[fmt], lineterminator="\n").writerow(columns)
    return line.getvalue().encode("utf-8")


def _serialise(out, fmt: str, header: bool = False) -> bytes:
    sep = _SEPARATORS.get(fmt, ",")
    if _is_arrow(out):
        import pyarrow as pa

        sink = pa.BufferOutputStream()
        if fmt == "parquet":
            import pyarrow.parquet as pq

            pq.write_table(out, sink)
        elif fmt in ("csv", "tsv"):
            import pyarrow.csv as pacsv

            pacsv.write_csv(out, sink, pacsv.WriteOptions(include_header=header, delimiter=sep))
        else:
            return jsonl_text(out).encode("utf-8")
        return sink.getvalue().to_pybytes()
    if fmt == "parquet":
        buffer = io.BytesIO()
        out.to_parquet(buffer, index=False)
        return buffer.getvalue()
    if fmt == "jsonl":
        return jsonl_text(out).encode("utf-8")  # floats exactly, unlike to_json
    return out.to_csv(index=False, header=header, sep=sep, lineterminator="\n").encode("utf-8")


def _process_chunk(chunk, model: FramingModel, options: ScoreOptions, carried: list[str], fmt: str, part: str | None):
    """Score one chunk and write its part file (or return its bytes): what a worker process runs."""
    if _is_arrow(chunk):
        scores = score_texts(model, chunk.column(options.text_column).to_pylist(), options.explain, options.max_chars)
        out, renamed = _arrow_output(chunk, scores, carried), _renamed(carried, scores)
    else:
        out = score_frame(chunk, model, options, carried)
        renamed = out.attrs["renamed_columns"]
    data = _serialise(out, fmt)
    status = out.column("status").to_pylist() if _is_arrow(out) else out["status"].tolist()
    stats = {"rows": len(out), "errors": status.count("error"), "columns": _chunk_columns(out), "renamed": renamed}
    if part is None:
        return stats, data
    tmp = part + ".tmp"
    with open(tmp, "wb") as handle:
        handle.write(data)
    os.replace(tmp, part)
    return stats, None


def _join_parts(parts: list[Path], columns: list[str], target: Path, fmt: str, tmp: Path) -> None:
    """Join part files into ``target`` through the temporary file ``tmp`` (on the same file system) and a rename."""
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        tables = [pq.read_schema(p) for p in parts]
        try:
            schema = pa.unify_schemas(tables, promote_options="permissive")
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise InputError(f"a column changes type between rows, which Parquet cannot hold ({exc}); write JSONL or drop it", path=str(target)) from None
        with pq.ParquetWriter(tmp, schema) as writer:
            for part in parts:
                table = pq.read_table(part)
                try:
                    writer.write_table(table.cast(schema) if table.schema != schema else table)
                except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
                    raise InputError(f"a column changes type between rows ({exc}); write JSONL or drop it", path=str(target)) from None
    else:
        with open(tmp, "wb") as out:
            if fmt in _SEPARATORS:
                out.write(_csv_header(columns, fmt))
            for part in parts:
                with open(part, "rb") as handle:
                    shutil.copyfileobj(handle, out, 1 << 20)
    os.replace(tmp, target)


@dataclass
class ScoreSummary:
    """What a scoring run did."""

    rows: int
    scored: int
    errors: int
    seconds: float
    renamed_columns: dict = field(default_factory=dict)
    resumed_rows: int = 0

    @property
    def per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")

    def __str__(self) -> str:
        text = (
            f"rows in {self.rows}, scored {self.scored}, errors {self.errors}, "
            f"{self.seconds:.2f} s, {self.per_second:,.0f} passages/s"
        )
        if self.resumed_rows:
            text += f" (resumed after {self.resumed_rows} rows done earlier)"
        if self.renamed_columns:
            text += "; input columns kept as " + ", ".join(f"{a} -> {b}" for a, b in self.renamed_columns.items())
        return text


_HELD_OUTPUTS: set[str] = set()  # lock files this process holds (a POSIX lock does not keep a process from itself)
_HELD_GUARD = threading.Lock()


class _OutputLock:
    """An exclusive lock on an output for the length of a run: a second run writing the same output is refused.

    The lock file beside the output (``.<name>.lock``) carries a POSIX record lock, which the system drops
    when the process ends, however it ends (kill -9 included), and which forked workers do not inherit;
    the run removes the file when it ends. Where the system offers no such lock (Windows, some network
    file systems) runs are not refused, but each still stages its parts in a folder of its own, so the
    output is always one run's whole output.
    """

    def __init__(self, target: Path):
        self.target = target
        self.path = target.with_name(f".{target.name}.lock")
        self.fd: int | None = None
        self.key = ""

    def acquire(self) -> bool:
        """Take the lock; False where locks are not available. Raises InputError while another run holds it."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            return False
        busy = InputError(
            "another framing run is writing this output now; wait for it to end or choose another output",
            path=str(self.target),
        )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise InputError(
                "cannot write here: a file stands where a folder of the path should be", path=str(self.target)
            ) from None
        except OSError as exc:
            raise InputError(f"cannot create the output's folder ({exc.strerror})", path=str(self.target)) from None
        self.key = os.path.realpath(self.path)
        with _HELD_GUARD:
            if self.key in _HELD_OUTPUTS:
                raise busy
            _HELD_OUTPUTS.add(self.key)
        try:
            while True:
                try:
                    fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
                except OSError as exc:
                    problem = f"cannot write beside the output ({exc.strerror})"
                    raise InputError(problem, path=str(self.target)) from None
                try:
                    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError as exc:
                    os.close(fd)
                    if exc.errno in (errno.EACCES, errno.EAGAIN):
                        raise busy from None
                    with _HELD_GUARD:
                        _HELD_OUTPUTS.discard(self.key)
                    return False  # the file system cannot lock
                # the run that held the lock may have removed the file meanwhile: hold the file that is there
                mine = os.fstat(fd)
                try:
                    here = os.stat(self.path)
                except FileNotFoundError:
                    here = None
                if here is not None and (here.st_dev, here.st_ino) == (mine.st_dev, mine.st_ino):
                    self.fd = fd
                    return True
                os.close(fd)
        except BaseException:
            with _HELD_GUARD:
                _HELD_OUTPUTS.discard(self.key)
            raise

    def release(self) -> None:
        """Remove the lock file and drop the lock (removed first, so no other run can lock a file on its way out)."""
        if self.fd is None:
            return
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        os.close(self.fd)
        self.fd = None
        with _HELD_GUARD:
            _HELD_OUTPUTS.discard(self.key)


class _Staging:
    """The run's own folder of finished parts beside the output, and the record of what they came from.

    Every run stages in a folder of its own, ``.<name>.parts-<token>``, and holds a lock on the output
    (:class:`_OutputLock`) from start to end. ``resume`` adopts the folder an interrupted run left for the
    same input, model and options; a run that does not resume clears what interrupted runs left.
    """

    def __init__(self, target: Path, fingerprint: dict):
        self.target = target
        self.folder = target.with_name(f".{target.name}.parts-{uuid.uuid4().hex[:12]}")
        self.fingerprint = json.loads(json.dumps(fingerprint))  # as it will read back from the record
        self.parts: list[dict] = []
        self.lock = _OutputLock(target)
        self.locked = False

    @property
    def record(self) -> Path:
        return self.folder / "progress.json"

    def _left_over(self) -> list[Path]:
        """Staging folders that earlier runs left for this output, the most recent first."""
        pattern = re.compile(re.escape(f".{self.target.name}.parts") + r"(-[0-9a-f]{12})?")  # no token: older versions

        def saved(folder: Path) -> int:
            try:
                return (folder / "progress.json").stat().st_mtime_ns
            except OSError:
                return 0

        try:
            found = [p for p in self.target.parent.iterdir() if pattern.fullmatch(p.name) and p.is_dir()]
        except OSError:
            return []
        return sorted(found, key=saved, reverse=True)

    def start(self, resume: bool) -> int:
        """Lock the output and prepare the folder; return the number of input rows already done."""
        self.locked = self.lock.acquire()
        try:
            return self._prepare(resume)
        except BaseException:
            self.release()
            raise

    def _prepare(self, resume: bool) -> int:
        left = self._left_over()
        if resume:
            changed, newest = None, None
            for folder in left:
                try:
                    state = json.loads((folder / "progress.json").read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    continue
                if state.get("fingerprint") == self.fingerprint:
                    return self._adopt(folder, state, [f for f in left if f != folder])
                if changed is None:
                    earlier = state.get("fingerprint", {})
                    changed = sorted(k for k in self.fingerprint if earlier.get(k) != self.fingerprint[k])
                    newest = folder
            if changed is not None:
                raise InputError(
                    f"cannot resume: {', '.join(changed)} changed since the interrupted run; run again without --resume",
                    path=str(newest),
                )
        if self.locked:  # no other run is writing this output: what is left is from runs that ended
            for folder in left:
                shutil.rmtree(folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self._save()
        return 0

    def _adopt(self, folder: Path, state: dict, others: list[Path]) -> int:
        """Continue in the folder of an interrupted run; return the number of input rows it did."""
        self.folder = folder
        self.parts = [p for p in state["parts"] if (folder / p["file"]).exists()]
        if len(self.parts) != len(state["parts"]):
            raise InputError("cannot resume: part files are missing; run again without --resume", path=str(folder))
        for stray in folder.iterdir():
            if stray.name.endswith(".tmp"):
                stray.unlink()
        if self.locked:
            for other in others:
                shutil.rmtree(other, ignore_errors=True)
        return sum(p["input_rows"] for p in self.parts)

    def _save(self) -> None:
        tmp = self.record.with_name("progress.json.tmp")
        state = {"version": _STAGING_VERSION, "fingerprint": self.fingerprint, "parts": self.parts}
        tmp.write_text(json.dumps(state, indent=1), encoding="utf-8")
        os.replace(tmp, self.record)

    def part_path(self, index: int, fmt: str) -> str:
        return str(self.folder / f"part-{index:06d}.{fmt}")

    def add(self, fmt: str, stats: dict) -> None:
        """Record the next part, which a worker has written (parts arrive in input order)."""
        name = Path(self.part_path(len(self.parts), fmt)).name
        self.parts.append({"file": name, "input_rows": stats["rows"], "scored": stats["rows"] - stats["errors"], "errors": stats["errors"]})
        self._save()

    def finish(self, target: Path, fmt: str, columns: list[str]) -> None:
        """Join the parts into ``target`` (through a file in this run's folder, so no other run can touch it)."""
        parts = [self.folder / p["file"] for p in self.parts]
        _join_parts(parts, columns, target, fmt, self.folder / f"joined.{fmt}.tmp")
        shutil.rmtree(self.folder, ignore_errors=True)

    def discard(self) -> None:
        """Remove this run's folder: there is nothing to resume."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def release(self) -> None:
        """Let other runs write the output again."""
        self.lock.release()

    def totals(self) -> tuple[int, int]:
        return sum(p["scored"] for p in self.parts), sum(p["errors"] for p in self.parts)


def _fingerprint(source: str, fmt: str, out_fmt: str, model: FramingModel, options: ScoreOptions, chunk_size: int) -> dict:
    if source == "-":
        return {"input": "-", "model_id": model.model_id}
    try:
        stat = os.stat(source)
    except FileNotFoundError:
        raise InputError("file not found", path=source) from None
    return {
        "input": os.path.abspath(source),
        "input_size": stat.st_size,
        "input_mtime_ns": stat.st_mtime_ns,
        "formats": [fmt, out_fmt],
        "model_id": model.model_id,
        "options": asdict(options),
        "chunk_size": chunk_size,
    }


_WORKER_MODELS: dict[str, FramingModel] = {}
_FORKED: dict[str, FramingModel] = {}


def _can_fork() -> bool:
    """True where worker processes can be forked from this one (Linux, fork start method)."""
    import multiprocessing

    return sys.platform.startswith("linux") and multiprocessing.get_start_method(allow_none=True) in (None, "fork")


class _Failed:
    def __init__(self, error: BaseException):
        self.error = error


def _read_ahead(iterator, depth: int):
    """Yield the items of ``iterator``, produced up to ``depth`` items ahead in a background thread."""
    import queue
    import threading

    items: queue.Queue = queue.Queue(depth)
    stop = threading.Event()
    end = object()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def fill():
        try:
            for item in iterator:
                if not put(item):
                    return
            put(end)
        except BaseException as error:  # handed to the consumer, raised there
            put(_Failed(error))

    thread = threading.Thread(target=fill, name="framing-reader", daemon=True)
    thread.start()
    try:
        while True:
            item = items.get()
            if item is end:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()  # the thread stops at its next hand-over; it is a daemon, so nothing waits for it


def _process_forked(chunk, options, carried, fmt, part):
    return _process_chunk(chunk, _FORKED["model"], options, carried, fmt, part)


def _worker_model(key: str, data: bytes) -> FramingModel:
    model = _WORKER_MODELS.get(key)
    if model is None:
        import pickle

        _WORKER_MODELS.clear()
        model = _WORKER_MODELS[key] = pickle.loads(data)
    return model


class _SharedModel:
    """A model that worker processes unpickle once and then reuse, warm caches included.

    Every task still carries the pickled bytes (joblib ships arguments per task), but
    a worker that has seen the same key returns the model it already holds.
    """

    def __init__(self, model: FramingModel):
        import pickle
        import uuid

        self.key = uuid.uuid4().hex
        self.data = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)

    def __reduce__(self):
        return _worker_model, (self.key, self.data)


def resolve_jobs(jobs: int | None) -> int:
    """``None`` or a number below 1 means every core (``-1`` all, ``-2`` all but one, as in joblib)."""
    cores = os.cpu_count() or 1
    if jobs is None or jobs == 0:
        return cores
    if jobs < 0:
        return max(cores + 1 + jobs, 1)
    return jobs


def score_file(
    source: str,
    target: str,
    model: FramingModel,
    options: ScoreOptions | None = None,
    *,
    input_format: str | None = None,
    output_format: str | None = None,
    jobs: int | None = None,
    chunk_size: int = 10_000,
    resume: bool = False,
    progress: bool = False,
    stop_after_chunks: int | None = None,
) -> ScoreSummary:
    """Score ``source`` into ``target``; see the module docstring.

    ``stop_after_chunks`` ends the run early as an interruption would (the output
    is not written; ``resume=True`` later finishes it). It exists for testing.
    """
    from .tables import table_format

    options = options or ScoreOptions()
    started = time.perf_counter()
    fmt = table_format(source, input_format)
    out_fmt = table_format(target, output_format)
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
    streaming = target == "-"
    if streaming and out_fmt == "parquet":
        raise InputError("Parquet cannot be written to standard output")
    if resume and (streaming or source == "-"):
        raise InputError("--resume needs a named input and output file, not -")
    staging = None if streaming else _Staging(Path(target), _fingerprint(source, fmt, out_fmt, model, options, chunk_size))
    if staging is not None and source != "-" and Path(source).resolve() == Path(target).resolve():
        raise InputError("the output would overwrite the input; choose another output file", path=target)
    if staging is not None and Path(target).is_dir():
        raise InputError("is a folder; give the output a file name", path=target)
    skip = staging.start(resume) if staging else 0
    try:
        jobs = resolve_jobs(jobs)
        # with worker processes on every core, a multi-threaded reader would only compete with them
        chunks = read_chunks(source, fmt, chunk_size, threads=jobs == 1)
        carried: list[str] | None = None
        columns_out: list[str] | None = None
        renamed: dict = {}
        rows_seen = 0
        index = len(staging.parts) if staging else 0

        def tasks():
            nonlocal carried, rows_seen, index
            for chunk in chunks:
                names = _chunk_columns(chunk)
                if carried is None:
                    carried = carried_columns(names, options, source)
                elif fmt == "jsonl" and options.keep is None:
                    known = set(carried).union(options.drop)
                    new = [c for c in names if c not in known]
                    if new and out_fmt != "jsonl":
                        raise InputError(
                            f"column(s) {new} first appear after row {rows_seen}; a {out_fmt} output needs the same "
                            "columns in every row: write JSONL, or name the columns to carry with --keep",
                            path=source,
                        )
                    carried = carried + new
                start = rows_seen
                rows_seen += len(chunk)
                if rows_seen <= skip and len(chunk):
                    continue
                if start < skip:
                    chunk = chunk.slice(skip - start) if _is_arrow(chunk) else chunk.iloc[skip - start :]
                if not _is_arrow(chunk):
                    chunk = chunk.reindex(columns=list(dict.fromkeys([*carried, options.text_column])))
                part = staging.part_path(index, out_fmt) if staging else None
                index += 1
                yield chunk, list(carried), part

        def run_all():
            if jobs == 1:
                for chunk, names, part in tasks():
                    yield _process_chunk(chunk, model, options, names, out_fmt, part)
            elif _can_fork():
                # Forked workers start with this process's modules and model already loaded:
                # no imports, no unpickling, nothing shipped per chunk but the chunk itself.
                from joblib import Parallel, delayed

                _FORKED["model"] = model
                try:
                    # the pool lives for the whole run; chunks go out in windows, so memory stays bounded
                    with Parallel(n_jobs=jobs, backend="multiprocessing", batch_size=1) as parallel:
                        window, size = [], jobs  # a first small window gets every worker going at once
                        # read ahead in a thread (started after the fork), so workers never wait for the reader
                        for task in _read_ahead(tasks(), 8 * jobs):
                            window.append(task)
                            if len(window) == size:
                                size = 16 * jobs
                                yield from parallel(delayed(_process_forked)(c, options, n, out_fmt, p) for c, n, p in window)
                                window = []
                        if window:
                            yield from parallel(delayed(_process_forked)(c, options, n, out_fmt, p) for c, n, p in window)
                finally:
                    _FORKED.clear()
            else:
                from joblib import Parallel, delayed

                shared = _SharedModel(model)
                parallel = Parallel(n_jobs=jobs, return_as="generator", pre_dispatch="2*n_jobs")
                yield from parallel(delayed(_process_chunk)(c, shared, options, n, out_fmt, p) for c, n, p in tasks())

        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=estimate_rows(source, fmt), initial=skip, unit=" passages", unit_scale=True, file=sys.stderr, dynamic_ncols=True)
        scored = errors = 0
        written_chunks = 0
        try:
            for stats, data in run_all():
                renamed, columns_out = stats["renamed"], stats["columns"]
                scored += stats["rows"] - stats["errors"]
                errors += stats["errors"]
                if staging is None:
                    if written_chunks == 0 and out_fmt in _SEPARATORS:
                        data = _csv_header(columns_out, out_fmt) + data
                    sys.stdout.flush()
                    sys.stdout.buffer.write(data)
                    sys.stdout.buffer.flush()
                else:
                    staging.add(out_fmt, stats)
                written_chunks += 1
                if bar is not None:
                    bar.update(stats["rows"])
                if stop_after_chunks is not None and written_chunks >= stop_after_chunks:
                    raise KeyboardInterrupt
        except InputError:
            if staging is not None:  # the input is broken: nothing to resume
                staging.discard()
            raise
        finally:
            if bar is not None:
                bar.close()
        if staging is not None:
            if columns_out is None:  # every chunk was done before a resume
                empty = pd.DataFrame(columns=carried or [])
                columns_out = _process_chunk(empty, model, options, carried or [], out_fmt, None)[0]["columns"]
            staging.finish(Path(target), out_fmt, columns_out)
            scored, errors = staging.totals()
        return ScoreSummary(scored + errors, scored, errors, time.perf_counter() - started, renamed, skip)
    finally:
        if staging is not None:
            staging.release()
