"""The label store: every label anyone gives, kept in an embedded SQLite database.

One row per labelling act: the passage (its id, the sha256 of its text, the text and
where it came from), the label, the annotator and the time. Rows are only ever added
(and an annotator's own last row taken back by :meth:`LabelStore.undo`), so labels
from different annotators that disagree are all kept; an annotator who labels a passage
again changes only their own current label. The database runs in WAL mode with a busy
timeout, so several dashboard sessions and processes label at once without losing a row.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from .errors import InputError

__all__ = ["LABEL_FIELDS", "QUEUE_COLUMNS", "LabelStore", "content_hash", "read_label_file", "resolve"]

#: Fields of a label record, in export order.
LABEL_FIELDS = ("passage_id", "content_hash", "text", "label", "annotator", "labelled_at", "origin",
                "source_type", "outlet", "speaker", "story", "date")
_REQUIRED = ("text", "label", "annotator")
#: The columns a queue file (``framing labels queue``) puts before the passages' own: the rank, the model's
#: uncertainty, an empty ``label`` for the annotator to fill in, and the label the model predicts.
QUEUE_COLUMNS = ("rank", "uncertainty", "label", "predicted")
_LABEL_FILES = "a label file is .jsonl or .csv (gzipped too), or a .txt file of passages, one per line"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS labels (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    passage_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    text TEXT NOT NULL,
    label TEXT NOT NULL,
    annotator TEXT NOT NULL,
    labelled_at TEXT NOT NULL,
    origin TEXT NOT NULL DEFAULT '',
    source_type TEXT NOT NULL DEFAULT '',
    outlet TEXT NOT NULL DEFAULT '',
    speaker TEXT NOT NULL DEFAULT '',
    story TEXT NOT NULL DEFAULT '',
    date TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS labels_by_passage ON labels (content_hash, annotator, seq);
CREATE INDEX IF NOT EXISTS labels_by_annotator ON labels (annotator, seq);
"""


def content_hash(text: str) -> str:
    """The sha256 of a passage's text with its whitespace normalised: the passage's identity in the store."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class LabelStore:
    """A label database file (created on first use).

    Parameters
    ----------
    path : path-like
        The SQLite file; its folder is created when missing.
    timeout : float
        Seconds a writer waits for another writer's transaction to finish.
    labels : labels, optional
        The codebook's label set: a label outside it is refused when written, so it
        never reaches a retrain.
    """

    path: Path
    timeout: float = 60.0
    labels: tuple[str, ...] | None = None

    def __init__(self, path: str | os.PathLike, timeout: float = 60.0, labels: Iterable[str] | None = None):
        object.__setattr__(self, "path", Path(path))
        object.__setattr__(self, "timeout", timeout)
        object.__setattr__(self, "labels", tuple(labels) if labels is not None else None)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise InputError(f"cannot open the label store ({exc})", path=str(self.path)) from None
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
            yield db
        except sqlite3.DatabaseError as exc:
            raise InputError(f"the label store cannot be used ({exc})", path=str(self.path)) from None
        finally:
            db.close()

    # -- writing ---------------------------------------------------------------------------------
    def add(self, text: str, label: str, annotator: str, *, passage_id: str | None = None, origin: str = "",
            labelled_at: str | None = None, **metadata: str) -> dict:
        """Record one label; returns the stored record."""
        return self.add_many([dict(metadata, text=text, label=label, annotator=annotator, passage_id=passage_id,
                                   origin=origin, labelled_at=labelled_at)])[0]

    def add_many(self, records: Iterable[dict], *, source: str = "input", row_numbers: list[int] | None = None) -> list[dict]:
        """Record many labels in one transaction (all or none); each record needs text, label and annotator.

        Raises
        ------
        InputError
            Naming ``source`` and the 1-based row of the first record with a problem (the record's place in
            ``records``, or its entry of ``row_numbers``: the rows of a file some of whose rows were skipped).
        """
        records = list(records)
        numbers = row_numbers or range(1, len(records) + 1)
        rows = [self._normalise(record, source, i) for i, record in zip(numbers, records)]
        if self.labels is not None:
            for i, row in zip(numbers, rows):
                if row["label"] not in self.labels:
                    raise InputError(f"label {row['label']!r} is not in the codebook ({', '.join(self.labels)})",
                                     path=source, row=i)
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany(
                    f"INSERT INTO labels ({', '.join(LABEL_FIELDS)}) VALUES ({', '.join('?' * len(LABEL_FIELDS))})",
                    [tuple(r[f] for f in LABEL_FIELDS) for r in rows],
                )
                db.execute("COMMIT")
            except BaseException:
                with suppress(sqlite3.Error):  # a failed COMMIT (disk full) may have ended the transaction already
                    db.execute("ROLLBACK")
                raise
        return rows

    @staticmethod
    def _normalise(record: dict, source: str, row: int) -> dict:
        unknown = sorted(set(record) - set(LABEL_FIELDS))
        if unknown:
            raise InputError(f"unknown field(s) {unknown}; a label record has {list(LABEL_FIELDS)}", path=source, row=row)
        out = {}
        for name in LABEL_FIELDS:
            value = record.get(name)
            if value is None or (isinstance(value, float) and math.isnan(value)):
                value = ""
            if not isinstance(value, str):
                raise InputError(f"field {name!r} must be text, got {value!r}", path=source, row=row)
            out[name] = value
        for name in _REQUIRED:
            if not out[name].strip():
                hint = " (give an annotator column, or --annotator for every row)" if name == "annotator" else ""
                raise InputError(f"field {name!r} is empty{hint}", path=source, row=row)
        digest = content_hash(out["text"])
        if out["content_hash"] and out["content_hash"] != digest:
            raise InputError("content_hash does not match the text (the text was changed after labelling)", path=source, row=row)
        out["content_hash"] = digest
        out["passage_id"] = out["passage_id"] or digest[:16]
        out["labelled_at"] = out["labelled_at"] or _now()
        return out

    def undo(self, annotator: str) -> dict | None:
        """Take back ``annotator``'s most recent label; returns it, or None when they have none."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute(f"SELECT seq, {', '.join(LABEL_FIELDS)} FROM labels WHERE annotator = ? ORDER BY seq DESC LIMIT 1",
                             (annotator,)).fetchone()
            if row is not None:
                db.execute("DELETE FROM labels WHERE seq = ?", (row[0],))
            db.execute("COMMIT")
        return dict(zip(LABEL_FIELDS, row[1:])) if row else None

    def retract(self, annotator: str, passage: str) -> int:
        """Take back every label ``annotator`` gave one passage (by its id, or its content hash or the start of it).

        Returns how many labels were removed. Other annotators' labels are never touched.
        """
        passage = passage.strip()
        if not passage:
            raise InputError("which passage? give its id or content hash")
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            removed = db.execute(
                "DELETE FROM labels WHERE annotator = ? AND (passage_id = ? OR (length(?) >= 8 AND content_hash LIKE ? || '%'))",
                (annotator, passage, passage, passage),
            ).rowcount
            db.execute("COMMIT")
        return removed

    # -- reading ---------------------------------------------------------------------------------
    def records(self) -> pd.DataFrame:
        """Every stored label, in the order they were given."""
        with self._connect() as db:
            rows = db.execute(f"SELECT {', '.join(LABEL_FIELDS)} FROM labels ORDER BY seq").fetchall()
        return pd.DataFrame(rows, columns=list(LABEL_FIELDS), dtype=object)

    def __len__(self) -> int:
        with self._connect() as db:
            return db.execute("SELECT COUNT(*) FROM labels").fetchone()[0]

    def current(self) -> pd.DataFrame:
        """Each annotator's current label of each passage (their latest), one row per (passage, annotator)."""
        records = self.records()
        return records.drop_duplicates(["content_hash", "annotator"], keep="last").reset_index(drop=True)

    def resolved(self) -> pd.DataFrame:
        """One label per passage (see :func:`resolve`)."""
        return resolve(self.current())

    # -- files -----------------------------------------------------------------------------------
    def export(self, path: str | os.PathLike) -> int:
        """Write every stored label to a JSONL or CSV file (by extension); returns the number written."""
        from .tables import table_format

        records = self.records()
        try:
            fmt = table_format(str(path))
        except InputError:
            raise InputError("labels are exported as .jsonl or .csv", path=str(path)) from None
        target = Path(path)
        tmp = target.with_name(f".{target.name}.partial")
        if fmt == "jsonl":
            tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records.to_dict("records")), encoding="utf-8")
        elif fmt == "csv":
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            writer.writerow(LABEL_FIELDS)
            writer.writerows(records.itertuples(index=False))
            tmp.write_text(buffer.getvalue(), encoding="utf-8")
        else:
            raise InputError("labels are exported as .jsonl or .csv", path=str(path))
        os.replace(tmp, target)
        return len(records)

    def import_file(self, path: str | os.PathLike, *, label: str | None = None, annotator: str | None = None,
                    text_column: str = "text", origin: str | None = None) -> int:
        """Add the labels of a file (see :func:`read_label_file`); all or none. Returns the number added."""
        records, numbers = _read_labels(path, label=label, annotator=annotator, text_column=text_column, origin=origin)
        return len(self.add_many(records, source=str(path), row_numbers=numbers))


def resolve(current: pd.DataFrame) -> pd.DataFrame:
    """One label per passage from :meth:`LabelStore.current`: the annotators' majority; a tie goes to the most recent.

    Adds ``n_annotators`` and ``agreement`` (the share of annotators who gave the chosen label).
    """
    if current.empty:
        return current.assign(n_annotators=pd.Series(dtype=int), agreement=pd.Series(dtype=float))
    current = current.assign(order=range(len(current)))
    votes = current.groupby(["content_hash", "label"]).agg(votes=("label", "size"), last=("order", "max")).reset_index()
    votes = votes.sort_values(["content_hash", "votes", "last"], ascending=[True, False, False])
    chosen = votes.drop_duplicates("content_hash")
    totals = current.groupby("content_hash").size().rename("n_annotators")
    latest = current.sort_values("order").drop_duplicates(["content_hash", "label"], keep="last")
    out = chosen.merge(latest, on=["content_hash", "label"]).merge(totals, on="content_hash")
    out["agreement"] = out["votes"] / out["n_annotators"]
    return out.sort_values("order")[[*LABEL_FIELDS, "n_annotators", "agreement"]].reset_index(drop=True)


def read_label_file(path: str | os.PathLike, *, label: str | None = None, annotator: str | None = None,
                    text_column: str = "text", origin: str | None = None) -> list[dict]:
    """Label records from a file.

    - JSONL or CSV (also gzipped) with a text column and a ``label`` column (or ``label``
      given for every row), and any of the other label fields;
    - a queue file of ``framing labels queue`` (any table format) whose ``label`` column was
      filled in: rows left without a label are skipped, the passages' ``id`` becomes the
      ``passage_id``, and the queue's own columns and those that are not label fields are
      left out (a gold label the passages came with stays ``input_label``, never read);
    - a plain text file (``.txt``, also gzipped) with one passage per line, every line
      given the same ``label``; blank lines are skipped and counted in no row.

    ``annotator`` and ``origin`` fill those fields where a row leaves them empty; a file
    without an ``origin`` column gets the file's name.
    """
    return _read_labels(path, label=label, annotator=annotator, text_column=text_column, origin=origin)[0]


def _read_labels(path: str | os.PathLike, *, label: str | None, annotator: str | None, text_column: str,
                 origin: str | None) -> tuple[list[dict], list[int]]:
    """:func:`read_label_file`'s records and the 1-based row of the file each comes from."""
    from .scoring import read_chunks
    from .tables import decoded_lines, open_binary, table_format

    path = str(path)
    name = Path(path).name
    plain = name.lower().removesuffix(".gz").endswith(".txt") or "." not in name.lower().removesuffix(".gz")
    rows: list[dict] = []
    if plain:
        if not label:
            raise InputError("a plain text file of passages needs --label: the label of every line", path=path)
        with open_binary(path) as handle:
            rows = [{"text": line.rstrip("\r\n")} for line in decoded_lines(handle, path) if line.strip()]
    else:
        try:
            fmt = table_format(path)
        except InputError:
            raise InputError(_LABEL_FILES, path=path) from None
        for chunk in read_chunks(path, fmt):
            frame = chunk if isinstance(chunk, pd.DataFrame) else chunk.to_pandas()
            rows.extend(frame.astype(object).where(frame.notna(), None).to_dict("records"))
        if rows and text_column not in rows[0]:
            raise InputError(f"no column {text_column!r}; the columns are {list(rows[0])}", path=path)
    numbers = list(range(1, len(rows) + 1))
    if not plain and rows and set(QUEUE_COLUMNS) <= set(rows[0]):
        rows, numbers = _filled_in(rows, text_column, label, path)
    out = []
    for i, row in zip(numbers, rows):
        record = {k: ("" if v is None else v) for k, v in row.items()}
        if text_column != "text":
            record["text"] = record.pop(text_column)
        if label and not record.get("label"):
            record["label"] = label
        if annotator and not record.get("annotator"):
            record["annotator"] = annotator
        if not record.get("origin") and (origin or "origin" not in row):
            record["origin"] = origin or name  # a file's own (even empty) origin column is kept as written
        if not record.get("label"):
            raise InputError("no label (give a label column, or --label for every row)", path=path, row=i)
        out.append(record)
    return out, numbers


def _filled_in(rows: list[dict], text_column: str, label: str | None, path: str) -> tuple[list[dict], list[int]]:
    """The rows of a queue file that were given a label, with the label fields only, and their row numbers."""
    keep = {*LABEL_FIELDS, text_column} - {"content_hash"}
    out, numbers = [], []
    for i, row in enumerate(rows, start=1):
        if not str(row.get("label") or "").strip() and not label:
            continue
        record = {k: v if v is None or isinstance(v, str) else str(v) for k, v in row.items() if k in keep}
        if not record.get("passage_id") and row.get("id") is not None:
            record["passage_id"] = str(row["id"])
        out.append(record)
        numbers.append(i)
    if not out:
        raise InputError(f"no row of this queue has a label yet: fill in its label column ({len(rows)} rows), "
                         "then import it", path=path)
    return out, numbers
