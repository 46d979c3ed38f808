"""The labelled corpus: schema checks against the codebook, loading, and the validator's report."""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from .codebook import Codebook
from .errors import CorpusError, InputError
from .tables import iter_jsonl

__all__ = ["FIELDS", "OPTIONAL_FIELDS", "Problem", "check_records", "load_corpus", "ValidationReport", "validate_corpus"]

#: Fields of a corpus record, in file order.
FIELDS = ("id", "text", "label", "source_type", "outlet", "speaker", "story", "date", "annotator", "note")
_REQUIRED_TEXT = ("id", "text", "label", "source_type", "outlet", "speaker", "story", "date", "annotator")
#: Fields a record may add, each a string (empty when unknown): who wrote the passage, its language and script,
#: its register (headline, communiqué, ...), the real report it was written from, and, for a contrast pair (two
#: passages one minimal edit apart whose labels differ), the pair's id and the kind of hard case it tests.
OPTIONAL_FIELDS = ("writer", "language", "script", "register", "ref_url", "pair", "contrast")
LANGUAGES = ("en", "sr")
SCRIPTS = ("latin", "cyrillic", "mixed")


@dataclass(frozen=True)
class Problem:
    """One schema problem: where it is and what is wrong."""

    path: str
    row: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}, row {self.row}: {self.message}"


def check_records(records: list[tuple[int, dict]], codebook: Codebook, path: str) -> list[Problem]:
    """Check ``(row, record)`` pairs against the schema and the codebook; return every problem found."""
    problems = []
    labels, sources = set(codebook.label_names), set(codebook.source_type_names)
    seen_ids: dict[str, int] = {}
    for row, record in records:
        def problem(message: str) -> None:
            problems.append(Problem(path, row, message))

        missing = [f for f in FIELDS if f not in record]
        if missing:
            problem(f"missing field(s) {missing}")
        extra = sorted(set(record) - set(FIELDS) - set(OPTIONAL_FIELDS))
        if extra:
            problem(f"unknown field(s) {extra}")
        for name in OPTIONAL_FIELDS:
            if name in record and not isinstance(record[name], str):
                problem(f"field {name!r} must be a string, got {record[name]!r}")
        if record.get("language") and record["language"] not in LANGUAGES:
            problem(f"language {record['language']!r} is not one of {list(LANGUAGES)}")
        if record.get("script") and record["script"] not in SCRIPTS:
            problem(f"script {record['script']!r} is not one of {list(SCRIPTS)}")
        for name in _REQUIRED_TEXT:
            value = record.get(name)
            if name in record and (not isinstance(value, str) or not value.strip()):
                problem(f"field {name!r} must be a non-empty string, got {value!r}")
        if "note" in record and not isinstance(record["note"], str):
            problem(f"field 'note' must be a string, got {record['note']!r}")
        label = record.get("label")
        if isinstance(label, str) and label.strip() and label not in labels:
            problem(f"label {label!r} is not in the codebook {sorted(labels)}")
        source = record.get("source_type")
        if isinstance(source, str) and source.strip() and source not in sources:
            problem(f"source_type {source!r} is not in the codebook {sorted(sources)}")
        when = record.get("date")
        if isinstance(when, str) and when.strip():
            try:
                date.fromisoformat(when)
            except ValueError:
                problem(f"date {when!r} is not an ISO date (YYYY-MM-DD)")
        ident = record.get("id")
        if isinstance(ident, str) and ident:
            if ident in seen_ids:
                problem(f"id {ident!r} is used already at row {seen_ids[ident]}")
            else:
                seen_ids[ident] = row
    return problems


def _read_records(path: Path) -> list[tuple[int, dict]]:
    try:
        return list(iter_jsonl(path))
    except InputError as exc:
        # a JSONL corpus has one record per line: its lines are its rows
        raise CorpusError(exc.problem, path=exc.path, row=exc.line or exc.row) from None


def load_corpus(path: str | os.PathLike, codebook: Codebook) -> pd.DataFrame:
    """Read ``passages.jsonl`` (or the one in a corpus folder) and check it; raise on any problem.

    Raises
    ------
    CorpusError
        Naming the file, the row and the problem (the first ten problems when there are several).
    """
    path = Path(path)
    if path.is_dir():
        path = path / "passages.jsonl"
    records = _read_records(path)
    problems = check_records(records, codebook, str(path))
    if problems:
        shown = "\n  ".join(str(p) for p in problems[:10])
        more = f"\n  ... and {len(problems) - 10} more" if len(problems) > 10 else ""
        first = problems[0]
        raise CorpusError(
            f"{len(problems)} problem(s) in the corpus:\n  {shown}{more}", path=str(path), row=first.row
        )
    columns = list(FIELDS) + list(OPTIONAL_FIELDS)
    frame = pd.DataFrame.from_records([r for _, r in records], columns=columns)
    frame[list(OPTIONAL_FIELDS)] = frame[list(OPTIONAL_FIELDS)].fillna("")
    return frame.astype({f: object for f in columns})


def _normalise(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def near_duplicates(texts: list[str], threshold: float = 0.5, shingle: int = 3) -> list[tuple[int, int, float]]:
    """Pairs of texts whose word ``shingle``-gram sets overlap with Jaccard similarity ≥ ``threshold``.

    Computed as one sparse product, so thousands of passages take well under a second.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    if len(texts) < 2:
        return []
    vectorizer = CountVectorizer(ngram_range=(shingle, shingle), binary=True, token_pattern=r"(?u)\b\w+\b")
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # every text shorter than one shingle
        return []
    sizes = np.asarray(matrix.sum(axis=1)).ravel()
    overlap = (matrix @ matrix.T).tocoo()
    pairs = []
    for i, j, inter in zip(overlap.row, overlap.col, overlap.data):
        if i < j:
            union = sizes[i] + sizes[j] - inter
            similarity = inter / union if union else 1.0
            if similarity >= threshold:
                pairs.append((int(i), int(j), float(similarity)))
    return sorted(pairs, key=lambda p: -p[2])


@dataclass
class ValidationReport:
    """What the validator found in a corpus."""

    path: str
    n_passages: int
    problems: list[Problem] = field(default_factory=list)
    duplicates: list[list[str]] = field(default_factory=list)
    near_duplicates: list[tuple[str, str, float]] = field(default_factory=list)
    label_counts: dict[str, int] = field(default_factory=dict)
    source_counts: dict[str, int] = field(default_factory=dict)
    crosstab: dict[str, dict[str, int]] = field(default_factory=dict)
    stories: dict[str, int] = field(default_factory=dict)
    against_type: int = 0
    words: dict[str, float] = field(default_factory=dict)
    near_threshold: float = 0.5

    @property
    def ok(self) -> bool:
        """No schema problem and no exact duplicate."""
        return not self.problems and not self.duplicates

    @property
    def against_type_share(self) -> float:
        return self.against_type / self.n_passages if self.n_passages else 0.0

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "ok": self.ok,
            "n_passages": self.n_passages,
            "problems": [str(p) for p in self.problems],
            "duplicates": self.duplicates,
            "near_duplicates": [list(p) for p in self.near_duplicates],
            "near_threshold": self.near_threshold,
            "label_counts": self.label_counts,
            "source_counts": self.source_counts,
            "crosstab": self.crosstab,
            "stories": self.stories,
            "against_type": self.against_type,
            "against_type_share": round(self.against_type_share, 4),
            "words": self.words,
        }

    def to_text(self) -> str:
        lines = [f"corpus {self.path}: {self.n_passages} passages, {len(self.stories)} stories"]
        lines.append("schema: " + ("ok" if not self.problems else f"{len(self.problems)} problem(s)"))
        lines += [f"  {p}" for p in self.problems[:50]]
        if len(self.problems) > 50:
            lines.append(f"  ... and {len(self.problems) - 50} more")
        lines.append("duplicates: " + ("none" if not self.duplicates else f"{len(self.duplicates)} group(s)"))
        lines += [f"  same text: {', '.join(group)}" for group in self.duplicates]
        lines.append(
            f"near-duplicates (word 3-gram Jaccard >= {self.near_threshold}): "
            + ("none" if not self.near_duplicates else str(len(self.near_duplicates)))
        )
        lines += [f"  {a} ~ {b} ({s:.2f})" for a, b, s in self.near_duplicates[:50]]

        def share(counts: dict[str, int]) -> str:
            total = sum(counts.values()) or 1
            return ", ".join(f"{k} {v} ({v / total:.0%})" for k, v in counts.items())

        lines.append("labels: " + share(self.label_counts))
        lines.append("source types: " + share(self.source_counts))
        if self.crosstab:
            labels = list(self.label_counts)
            lines.append("source type x label: " + " | ".join(labels))
            for source, row in self.crosstab.items():
                lines.append(f"  {source:<10} " + " | ".join(f"{row.get(l, 0):>4}" for l in labels))
        lines.append(f"against type: {self.against_type} ({self.against_type_share:.0%})")
        if self.words:
            lines.append(
                "words per passage: min {min:.0f}, median {median:.0f}, max {max:.0f}".format(**self.words)
            )
        lines.append("stories: " + ", ".join(f"{k} ({v})" for k, v in self.stories.items()))
        lines.append("result: " + ("ok" if self.ok else "FAILED"))
        return "\n".join(lines)


def validate_corpus(path: str | os.PathLike, codebook: Codebook, near_threshold: float = 0.5) -> ValidationReport:
    """Check a corpus file and describe it: schema problems, duplicates, near-duplicates and balance.

    The two members of a contrast pair (the same ``pair``) are near-identical on purpose and are not reported.

    Unlike :func:`load_corpus` this never stops at a schema problem: it reports them all.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "passages.jsonl"
    records = _read_records(path)
    report = ValidationReport(path=str(path), n_passages=len(records), near_threshold=near_threshold)
    report.problems = check_records(records, codebook, str(path))

    texts = [r.get("text") if isinstance(r.get("text"), str) else "" for _, r in records]
    ids = [str(r.get("id", f"row {row}")) for row, r in records]
    groups: dict[str, list[str]] = {}
    for ident, text in zip(ids, texts):
        if text.strip():
            groups.setdefault(_normalise(text), []).append(ident)
    report.duplicates = [group for group in groups.values() if len(group) > 1]
    pairs_of = [r.get("pair") if isinstance(r.get("pair"), str) else "" for _, r in records]
    report.near_duplicates = [
        (ids[i], ids[j], round(s, 3))
        for i, j, s in near_duplicates(texts, near_threshold)
        if _normalise(texts[i]) != _normalise(texts[j])
        and not (pairs_of[i] and pairs_of[i] == pairs_of[j])  # a contrast pair is near-identical on purpose
    ]

    labels = [r.get("label") for _, r in records]
    sources = [r.get("source_type") for _, r in records]
    label_counts = Counter(labels)
    source_counts = Counter(sources)
    report.label_counts = {l: label_counts.get(l, 0) for l in codebook.label_names}
    report.source_counts = {s: source_counts.get(s, 0) for s in codebook.source_type_names}
    pairs = Counter(zip(sources, labels))
    report.crosstab = {s: {l: pairs.get((s, l), 0) for l in codebook.label_names} for s in codebook.source_type_names}
    report.stories = dict(Counter(r.get("story") for _, r in records).most_common())
    report.against_type = sum(
        1
        for s, l in zip(sources, labels)
        if s in codebook.source_type_names and l in codebook.label_names and codebook.is_against_type(s, l)
    )
    lengths = np.array([len(t.split()) for t in texts]) if texts else np.zeros(1)
    report.words = {"min": float(lengths.min()), "median": float(np.median(lengths)), "max": float(lengths.max())}
    return report
