"""The codebook: the label set, the source types and their definitions, read from TOML.

Nothing else in framing names a label. Everything that needs the label set (the
corpus validator, the model, the hype index, the keyword baseline) asks a
:class:`Codebook`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from .errors import CodebookError

__all__ = ["Label", "SourceType", "Rule", "Codebook", "load_codebook", "add_label", "new_codebook"]


@dataclass(frozen=True)
class Label:
    """One frame of the codebook."""

    name: str
    frame: str
    definition: str
    cues: tuple[str, ...]
    examples: tuple[str, ...]


@dataclass(frozen=True)
class SourceType:
    """One kind of voice a passage can carry."""

    name: str
    definition: str
    typical_label: str


@dataclass(frozen=True)
class Rule:
    """A decision rule for a hard case."""

    case: str
    rule: str


@dataclass(frozen=True)
class Codebook:
    """A parsed, checked codebook.

    Attributes
    ----------
    name, version : str
        Identify the codebook in model manifests.
    labels : tuple of Label
        The frames, in the codebook's order; this order is the model's class order.
    source_types : tuple of SourceType
    rules : tuple of Rule
    index_positive, index_negative : str
        The labels whose probabilities make the index: P(positive) − P(negative).
    fallback_label : str
        What the keyword baseline predicts when no cue matches.
    sha256 : str
        Hash of the codebook file's bytes.
    path : Path or None
    """

    name: str
    version: str
    labels: tuple[Label, ...]
    source_types: tuple[SourceType, ...]
    rules: tuple[Rule, ...]
    index_positive: str
    index_negative: str
    fallback_label: str
    sha256: str
    path: Path | None = None

    @property
    def label_names(self) -> tuple[str, ...]:
        return tuple(label.name for label in self.labels)

    @property
    def source_type_names(self) -> tuple[str, ...]:
        return tuple(source.name for source in self.source_types)

    def label(self, name: str) -> Label:
        for label in self.labels:
            if label.name == name:
                return label
        raise KeyError(name)

    def typical_label(self, source_type: str) -> str:
        for source in self.source_types:
            if source.name == source_type:
                return source.typical_label
        raise KeyError(source_type)

    def is_against_type(self, source_type: str, label: str) -> bool:
        """True when a passage's label differs from what its source type usually says (False for unknown types)."""
        known = {source.name: source.typical_label for source in self.source_types}
        return source_type in known and known[source_type] != label


def _table(value, where: str, path: Path) -> dict:
    """A TOML table, or a CodebookError saying what was found instead."""
    if not isinstance(value, dict):
        raise CodebookError(f"{path}: {where} must be a table, not {type(value).__name__} {value!r}")
    return value


def _tables(value, name: str, path: Path, required: bool = True) -> list[dict]:
    """A list of TOML tables (``[[name]]``); when not ``required``, a missing one is an empty list."""
    if value is None and not required:
        return []
    if not isinstance(value, list):
        if required:
            return value
        raise CodebookError(f"{path}: {name} must be [[{name}]] tables, not {type(value).__name__} {value!r}")
    return [_table(item, f"[[{name}]] #{i}", path) for i, item in enumerate(value, 1)]


def _text(table: dict, key: str, where: str, path: Path) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise CodebookError(f"{path}: {where} needs a non-empty text field {key!r}")
    return value.strip()


def _strings(table: dict, key: str, where: str, path: Path) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise CodebookError(f"{path}: {where}: {key!r} must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def parse_codebook(data: bytes, path: Path) -> Codebook:
    """Parse and check codebook TOML bytes; ``path`` is used in error messages."""
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise CodebookError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise CodebookError(f"{path}: not valid TOML: {exc}") from None

    raw_labels = _tables(doc.get("labels"), "labels", path)
    if not isinstance(raw_labels, list) or len(raw_labels) < 2:
        raise CodebookError(f"{path}: needs at least two [[labels]] tables")
    labels = []
    for i, table in enumerate(raw_labels, 1):
        where = f"label #{i}"
        name = _text(table, "name", where, path)
        where = f"label {name!r}"
        labels.append(
            Label(
                name=name,
                frame=str(table.get("frame", name)),
                definition=_text(table, "definition", where, path),
                cues=_strings(table, "cues", where, path),
                examples=_strings(table, "examples", where, path),
            )
        )
    names = [label.name for label in labels]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise CodebookError(f"{path}: labels defined twice: {duplicated}")

    raw_sources = _tables(doc.get("source_types"), "source_types", path)
    if not isinstance(raw_sources, list) or not raw_sources:
        raise CodebookError(f"{path}: needs at least one [[source_types]] table")
    sources = []
    for i, table in enumerate(raw_sources, 1):
        name = _text(table, "name", f"source type #{i}", path)
        typical = _text(table, "typical_label", f"source type {name!r}", path)
        if typical not in names:
            raise CodebookError(
                f"{path}: source type {name!r} has typical_label {typical!r}, which is not a label ({names})"
            )
        sources.append(SourceType(name, _text(table, "definition", f"source type {name!r}", path), typical))
    source_names = [s.name for s in sources]
    if len(set(source_names)) != len(source_names):
        raise CodebookError(f"{path}: a source type is defined twice: {source_names}")

    rules = tuple(
        Rule(_text(r, "case", f"rule #{i}", path), _text(r, "rule", f"rule #{i}", path))
        for i, r in enumerate(_tables(doc.get("rules"), "rules", path, required=False), 1)
    )

    index = _table(doc.get("index", {}), "[index]", path)
    positive, negative = index.get("positive"), index.get("negative")
    for role, value in (("positive", positive), ("negative", negative)):
        if value not in names:
            raise CodebookError(f"{path}: [index] {role} = {value!r} is not a label ({names})")
    if positive == negative:
        raise CodebookError(f"{path}: [index] positive and negative must be different labels")
    fallback = _table(doc.get("baseline", {}), "[baseline]", path).get("fallback", names[-1])
    if fallback not in names:
        raise CodebookError(f"{path}: [baseline] fallback = {fallback!r} is not a label ({names})")

    return Codebook(
        name=str(doc.get("name", path.stem)),
        version=str(doc.get("version", "0")),
        labels=tuple(labels),
        source_types=tuple(sources),
        rules=rules,
        index_positive=positive,
        index_negative=negative,
        fallback_label=fallback,
        sha256=hashlib.sha256(data).hexdigest(),
        path=path,
    )


def load_codebook(path: str | os.PathLike) -> Codebook:
    """Read a codebook TOML file (or the ``codebook.toml`` inside a corpus folder)."""
    path = Path(path)
    if path.is_dir():
        path = path / "codebook.toml"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CodebookError(f"{path}: codebook file not found") from None
    return parse_codebook(data, path)


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _label_block(name: str, definition: str, frame: str | None, cues: Sequence[str], examples: Sequence[str]) -> str:
    lines = ["", "[[labels]]", f"name = {_toml_string(name)}", f"frame = {_toml_string(frame or name)}",
             f"definition = {_toml_string(definition)}",
             f"cues = [{', '.join(_toml_string(c) for c in cues)}]",
             f"examples = [{', '.join(_toml_string(e) for e in examples)}]"]
    return "\n".join(lines) + "\n"


def _replace_checked(path: Path, text: str) -> Codebook:
    """Write ``text`` as the codebook at ``path`` only if it parses as a valid codebook."""
    codebook = parse_codebook(text.encode("utf-8"), path)
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return codebook


def add_label(path: str | os.PathLike, name: str, definition: str, *, frame: str | None = None,
              cues: Sequence[str] = (), examples: Sequence[str] = ()) -> Codebook:
    """Add a label to a codebook file (appended as a ``[[labels]]`` table; the rest of the file is kept as written).

    Raises
    ------
    CodebookError
        When the label exists already, or the result would not be a valid codebook.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "codebook.toml"
    codebook = load_codebook(path)
    if not re.fullmatch(r"[A-Za-z][\w\-]*", name or ""):
        raise CodebookError(f"{path}: a label name is a word (letters, digits, _ or -), got {name!r}")
    if name in codebook.label_names:
        raise CodebookError(f"{path}: the codebook has a label {name!r} already")
    text = path.read_text(encoding="utf-8")
    return _replace_checked(path, text.rstrip("\n") + "\n" + _label_block(name, definition, frame, cues, examples))


def new_codebook(path: str | os.PathLike, name: str, labels: Sequence[str], *, positive: str | None = None,
                 negative: str | None = None, source_types: Sequence[str] = ("unknown",),
                 definitions: dict[str, str] | None = None) -> Codebook:
    """Write a new codebook for a label set of one's own (refusing to overwrite one).

    The index is P(``positive``) − P(``negative``), by default the first two labels; every
    source type's typical label is the last label. Definitions default to a placeholder
    that says to write them.
    """
    path = Path(path)
    if path.is_dir() or not path.suffix:
        path.mkdir(parents=True, exist_ok=True)
        path = path / "codebook.toml"
    if path.exists():
        raise CodebookError(f"{path}: a codebook exists already")
    labels = list(labels)
    if len(labels) < 2:
        raise CodebookError(f"{path}: a codebook needs at least two labels, got {labels}")
    positive, negative = positive or labels[0], negative or labels[1]
    definitions = definitions or {}
    parts = [f"name = {_toml_string(name)}", 'version = "1.0"', "", "[index]", f"positive = {_toml_string(positive)}",
             f"negative = {_toml_string(negative)}", "", "[baseline]", f"fallback = {_toml_string(labels[-1])}"]
    text = "\n".join(parts) + "\n"
    for label in labels:
        text += _label_block(label, definitions.get(label, f"Passages labelled {label} (write the definition here)."), None, (), ())
    for source in source_types:
        text += (f"\n[[source_types]]\nname = {_toml_string(source)}\n"
                 f"definition = {_toml_string(f'Passages whose source type is {source}.')}\ntypical_label = {_toml_string(labels[-1])}\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    return _replace_checked(path, text)
