"""Who speaks, and what kind of source that makes them: the registry behind ``corpus/sources.toml``.

The registry is data, not code. It maps outlet names, named people, and role or
institution keywords ("ministry", "researcher", "think tank") to source types, so
that users extend it by editing a TOML file. Nothing matching gives
:data:`UNKNOWN`, never a guess.
"""

from __future__ import annotations

import os
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .errors import InputError

__all__ = ["UNKNOWN", "SourceRegistry", "load_sources", "fold"]

#: The source type of a speaker the registry cannot place.
UNKNOWN = "unknown"
_SECTIONS = ("outlets", "people", "roles")


def fold(text: str) -> str:
    """Lower-case ``text`` and strip its diacritics, for matching names written either way.

    >>> fold("Kovač")
    'kovac'
    """
    decomposed = unicodedata.normalize("NFKD", text.replace("đ", "dj").replace("Đ", "Dj"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _pattern(keyword: str, case_sensitive: bool) -> re.Pattern:
    stem = keyword.endswith("*")
    words = keyword.rstrip("*").split()
    body = r"\s+".join(re.escape(w) for w in words) + (r"\w*" if stem else "")
    return re.compile(rf"(?<!\w){body}(?!\w)", 0 if case_sensitive else re.IGNORECASE)


@dataclass(frozen=True)
class _Entry:
    keyword: str
    source_type: str
    regex: re.Pattern = field(compare=False, repr=False)
    outlet: bool = False


@dataclass(frozen=True)
class SourceRegistry:
    """Outlets, people and role keywords mapped to source types.

    Parameters
    ----------
    outlets : dict
        Outlet name → source type of the outlet's own voice. Names match case-sensitively
        as whole words ("Informer", "N1").
    people : dict
        Person's name → source type, for people whose role the text does not give.
        Matched without regard to case and diacritics, on the full name or the surname.
    roles : dict
        Source type → keywords of roles and institutions ("minister", "think tank").
        Matched case-insensitively as whole words; a trailing ``*`` matches any ending
        ("ministar*" matches "ministra", "ministarstvo").

    Examples
    --------
    >>> registry = SourceRegistry(outlets={"Informer": "tabloid"}, roles={"official": ["ministry"]})
    >>> registry.classify("the Ministry of Defence")
    ('official', 'ministry')
    >>> registry.classify("a passer-by")
    ('unknown', '')
    """

    outlets: dict = field(default_factory=dict)
    people: dict = field(default_factory=dict)
    roles: dict = field(default_factory=dict)

    def __post_init__(self):
        entries = [_Entry(name, kind, _pattern(name, True), outlet=True) for name, kind in self.outlets.items()]
        entries += [_Entry(k, kind, _pattern(k, False)) for kind, keywords in self.roles.items() for k in keywords]
        object.__setattr__(self, "_entries", tuple(entries))
        object.__setattr__(self, "_role_words", frozenset(fold(w) for ks in self.roles.values() for k in ks for w in k.rstrip("*").split()))
        people = {}
        for name, kind in self.people.items():
            people.setdefault(fold(name), kind)
            people.setdefault(fold(name.split()[-1]), kind)
        object.__setattr__(self, "_people", people)
        object.__setattr__(self, "_memo", {})

    @property
    def source_types(self) -> set[str]:
        """Every source type the registry can give."""
        return set(self.outlets.values()) | set(self.people.values()) | set(self.roles)

    def classify(self, text: str) -> tuple[str, str]:
        """The source type of a speaker's description, and the keyword that decided it.

        The longest matching keyword wins ("pro-government tabloids" over
        "government"), then the earliest. Returns ``("unknown", "")`` when nothing matches.
        """
        found = self.match(text)
        return (found[0], found[1]) if found else (UNKNOWN, "")

    def match(self, text: str) -> tuple[str, str, int, int] | None:
        """Like :meth:`classify`, with where the keyword is: ``(type, keyword, start, end)``, or None."""
        if text in self._memo:
            return self._memo[text]
        if len(self._memo) > 100_000:
            self._memo.clear()
        self._memo[text] = found = self._match(text)
        return found

    def _match(self, text: str) -> tuple[str, str, int, int] | None:
        best = None
        for order, entry in enumerate(self._entries):
            for found in entry.regex.finditer(text):
                key = (-(found.end() - found.start()), found.start(), order)
                if best is None or key < best[0]:
                    best = (key, entry, found)
        if best is None:
            return None
        _, entry, found = best
        return entry.source_type, entry.keyword, found.start(), found.end()

    def is_outlet(self, text: str) -> bool:
        """Whether ``text`` names one of the outlets."""
        return any(entry.regex.search(text) for entry in self._entries if entry.outlet)

    def person(self, name: str) -> str | None:
        """The source type listed for a person (full name or surname), or None."""
        folded = fold(name)
        return self._people.get(folded) or self._people.get(folded.split()[-1]) if folded else None

    def outlet(self, name: str) -> str:
        """The source type of an outlet's own voice: by exact name, else by keyword, else unknown."""
        for outlet, kind in self.outlets.items():
            if fold(outlet) == fold(name):
                return kind
        return self.classify(name)[0] if name else UNKNOWN

    def is_role_word(self, word: str) -> bool:
        """Whether ``word`` is part of a role keyword ("Minister", "Prime", "Centre")."""
        return fold(word.strip(".,")) in self._role_words

    def extended(self, other: SourceRegistry) -> SourceRegistry:
        """This registry with ``other``'s entries added; ``other`` wins on the same outlet or person."""
        roles = {kind: list(keywords) for kind, keywords in self.roles.items()}
        for kind, keywords in other.roles.items():
            roles.setdefault(kind, [])
            roles[kind] += [k for k in keywords if k not in roles[kind]]
        return SourceRegistry({**self.outlets, **other.outlets}, {**self.people, **other.people}, roles)


def _parse(data: dict, path: str, allowed: set[str] | None) -> SourceRegistry:
    def fail(key: str, message: str):
        raise InputError(f"{key}: {message}", path=path)

    def check_type(key: str, kind) -> str:
        if not isinstance(kind, str) or not kind.strip():
            fail(key, f"a source type must be a non-empty string, got {kind!r}")
        if allowed is not None and kind not in allowed:
            fail(key, f"source type {kind!r} is not one of {sorted(allowed)}")
        return kind

    unknown = sorted(set(data) - set(_SECTIONS))
    if unknown:
        fail(unknown[0], f"unknown section; the sections are {list(_SECTIONS)}")
    tables = {}
    for section in _SECTIONS:
        table = data.get(section, {})
        if not isinstance(table, dict):
            fail(section, "must be a table")
        tables[section] = table
    outlets = {name: check_type(f"outlets.{name}", kind) for name, kind in tables["outlets"].items()}
    people = {name: check_type(f"people.{name}", kind) for name, kind in tables["people"].items()}
    roles = {}
    for kind, keywords in tables["roles"].items():
        check_type(f"roles.{kind}", kind)
        if not isinstance(keywords, list):
            fail(f"roles.{kind}", "must be a list of keywords")
        for i, keyword in enumerate(keywords):
            if not isinstance(keyword, str) or not keyword.rstrip("*").strip():
                fail(f"roles.{kind}[{i}]", f"a keyword must be a non-empty string, got {keyword!r}")
        roles[kind] = [k.strip() for k in keywords]
    for section, table in (("outlets", outlets), ("people", people)):
        for name in table:
            if not name.strip():
                fail(section, "an empty name")
    return SourceRegistry(outlets, people, roles)


def load_sources(*paths: str | os.PathLike, source_types=None) -> SourceRegistry:
    """Read one or more ``sources.toml`` files; later files extend earlier ones.

    Parameters
    ----------
    *paths : path-like
        TOML files with ``[outlets]``, ``[people]`` and ``[roles]`` tables.
    source_types : iterable of str, optional
        The allowed source types (the codebook's); :data:`UNKNOWN` is never allowed
        as an entry. Any string is accepted when None.

    Raises
    ------
    InputError
        Naming the file and the key of a malformed entry.
    """
    allowed = set(source_types) - {UNKNOWN} if source_types is not None else None
    registry = SourceRegistry()
    for path in paths:
        registry = registry.extended(_load_one(str(path), frozenset(allowed) if allowed is not None else None))
    return registry


@lru_cache(maxsize=32)
def _load_cached(path: str, mtime: float, allowed: frozenset | None) -> SourceRegistry:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML ({exc})", path=path) from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", path=path) from None
    return _parse(data, path, set(allowed) if allowed is not None else None)


def _load_one(path: str, allowed: frozenset | None) -> SourceRegistry:
    try:
        mtime = os.stat(path).st_mtime
    except FileNotFoundError:
        raise InputError("sources file not found", path=path) from None
    if Path(path).is_dir():
        raise InputError("is a folder, not a sources file", path=path)
    return _load_cached(path, mtime, allowed)
