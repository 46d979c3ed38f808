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

__all__ = ["UNKNOWN", "SourceRegistry", "fold", "load_sources"]

#: The source type of a speaker the registry cannot place.
UNKNOWN = "unknown"
_SECTIONS = ("outlets", "people", "roles", "fallback_roles", "places")
_OF_OUTLET = re.compile(r"\s+(?:of|at|for|from|with|za|iz|kod)\s+(?:the\s+)?(?:[\w-]+\s+){0,2}", re.IGNORECASE)
_CONSONANT_END = re.compile(r"[bcdfghjklmnprstvzčćšžđ]$")


def fold(text: str) -> str:
    """Lower-case ``text`` and strip its diacritics, for matching names written either way.

    >>> fold("Kovač")
    'kovac'
    """
    decomposed = unicodedata.normalize("NFKD", text.replace("đ", "dj").replace("Đ", "Dj"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _declined(word: str, first: bool = True) -> str:
    """A pattern for ``word`` and its Serbian case forms ("Informer" → "Informera", "Politika" → "Politike").

    A word after the first may also start in the other case ("Srpski Telegraf").
    """
    head = re.escape(word[0]) if first or not word[0].isalpha() else f"[{word[0].upper()}{word[0].lower()}]"
    rest = word[1:]
    if word.endswith("a") and len(word) > 3:
        return head + re.escape(rest[:-1]) + "(?:a|e|i|u|om|oj)"
    if word.endswith("i") and len(word) > 3:
        return head + re.escape(rest[:-1]) + "(?:i|og|om|oj|e|a|ima|ih)"
    if word.endswith("e") and len(word) > 3:
        return head + re.escape(rest[:-1]) + "(?:e|ih|im|og)"
    if word.endswith("o") and len(word) > 3:
        return head + re.escape(rest[:-1]) + "(?:o|a|u|om)"
    if _CONSONANT_END.search(word):
        return head + re.escape(rest) + "(?:a|u|om|e|ovi|ove)?"
    return head + re.escape(rest)


def _pattern(keyword: str, case_sensitive: bool, declined: bool = False) -> re.Pattern:
    stem = keyword.endswith("*")
    words = keyword.rstrip("*").split()
    body = r"\s+".join(_declined(w, i == 0) if declined else re.escape(w) for i, w in enumerate(words)) + (r"\w*" if stem else "")
    return re.compile(rf"(?<!\w){body}(?!\w)", 0 if case_sensitive else re.IGNORECASE)


@dataclass(frozen=True)
class _Entry:
    keyword: str
    source_type: str
    regex: re.Pattern = field(compare=False, repr=False)
    outlet: bool = False
    rank: int = 1  # 0 outlets, 1 roles, 2 fallback roles: a lower rank wins before length counts


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
    places : dict
        Source type → names of countries, cities and regions. A place is never a person;
        a speaker phrase that is only a place ("Zagreb warned that ...") gets this type.
    fallback_roles : dict
        Like ``roles``, for words naming a job at any outlet ("journalist", "columnist",
        "editor"): they place a speaker only when no outlet or role does, so that
        "tabloid columnist" is a tabloid.

    An outlet's name ("the pro-government tabloid Informer") places a speaker before any
    role keyword; among role keywords the longest wins.

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
    fallback_roles: dict = field(default_factory=dict)
    places: dict = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(
            self, "_places", tuple((_pattern(name, True, declined=True), kind) for kind, names in self.places.items() for name in names)
        )
        entries = [_Entry(name, kind, _pattern(name, True, declined=True), outlet=True, rank=0) for name, kind in self.outlets.items()]
        entries += [_Entry(k, kind, _pattern(k, False)) for kind, keywords in self.roles.items() for k in keywords]
        entries += [_Entry(k, kind, _pattern(k, False), rank=2) for kind, keywords in self.fallback_roles.items() for k in keywords]
        object.__setattr__(self, "_entries", tuple(entries))
        every_role = [k for table in (self.roles, self.fallback_roles) for ks in table.values() for k in ks]
        object.__setattr__(self, "_role_words", frozenset(fold(w) for k in every_role for w in k.rstrip("*").split()))
        object.__setattr__(self, "_role_stems", tuple(fold(k.rstrip("*").split()[-1]) for k in every_role if k.endswith("*")))
        people = {}
        for name, kind in self.people.items():
            people.setdefault(fold(name), kind)
            people.setdefault(fold(name.split()[-1]), kind)
        object.__setattr__(self, "_people", people)
        object.__setattr__(self, "_memo", {})

    @property
    def source_types(self) -> set[str]:
        """Every source type the registry can give."""
        return set(self.outlets.values()) | set(self.people.values()) | set(self.roles) | set(self.fallback_roles) | set(self.places)

    def classify(self, text: str) -> tuple[str, str]:
        """The source type of a speaker's description, and the keyword that decided it.

        An outlet's name wins ("the pro-government tabloid Informer" is a tabloid), then
        the longest role keyword ("pro-government tabloids" over "government"), then the
        earliest; fallback roles ("columnist") count only when nothing else matches.
        Returns ``("unknown", "")`` when nothing matches.
        """
        found = self.match(text)
        return (found[0], found[1]) if found else (UNKNOWN, "")

    def first_placing(self, descriptions) -> str:
        """The source type of the first description an outlet or role places, else of the first a fallback role
        places, else :data:`UNKNOWN`: a person's titles and appositions, in the order the article gives them."""
        found = [(f[4] == 2, i, f[0]) for i, d in enumerate(descriptions) if (f := self._found(d)) is not None]
        return min(found)[2] if found else UNKNOWN

    def match(self, text: str) -> tuple[str, str, int, int] | None:
        """Like :meth:`classify`, with where the keyword is: ``(type, keyword, start, end)``, or None."""
        found = self._found(text)
        return found[:4] if found is not None else None

    def _found(self, text: str) -> tuple[str, str, int, int, int] | None:
        """:meth:`match`'s answer and the rank of the entry that gave it, remembered."""
        if text in self._memo:
            return self._memo[text]
        if len(self._memo) > 100_000:
            self._memo.clear()
        self._memo[text] = found = self._match(text)
        return found

    def _match(self, text: str) -> tuple[str, str, int, int, int] | None:
        best = None
        for order, entry in enumerate(self._entries):
            for found in entry.regex.finditer(text):
                key = (entry.rank, -(found.end() - found.start()), found.start(), order)
                if best is None or key < best[0]:
                    best = (key, entry, found)
        if best is None:
            place = self.place(text)
            return (place, "", 0, len(text), 1) if place else None
        if best[1].outlet:  # "the interlocutors of EWB", "an analyst for N1": people of or at an outlet keep their role
            for entry in self._entries:
                if entry.rank == 1:
                    for found in entry.regex.finditer(text, 0, best[2].start()):
                        if _OF_OUTLET.fullmatch(text[found.end() : best[2].start()]):
                            return entry.source_type, entry.keyword, found.start(), found.end(), entry.rank
        _, entry, found = best
        return entry.source_type, entry.keyword, found.start(), found.end(), entry.rank

    def place(self, text: str) -> str | None:
        """The source type of a phrase that is only a place's name ("Zagreb", "the United States", "Srbije"), or None."""
        text = re.sub(r"^(?:the\s+)?", "", text.strip(" .,"))
        for regex, kind in self._places:
            if regex.fullmatch(text):
                return kind
        return None

    def outlets_in(self, text: str) -> list[str]:
        """The outlets named in ``text``, as the registry spells them, in order of appearance."""
        found = sorted((m.start(), e.keyword) for e in self._entries if e.outlet for m in e.regex.finditer(text))
        return list(dict.fromkeys(name for _, name in found))

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
        word = fold(word.strip(".,"))
        return word in self._role_words or any(word.startswith(stem) for stem in self._role_stems)

    def extended(self, other: SourceRegistry) -> SourceRegistry:
        """This registry with ``other``'s entries added; ``other`` wins on the same outlet or person."""
        def merged(mine: dict, theirs: dict) -> dict:
            out = {kind: list(keywords) for kind, keywords in mine.items()}
            for kind, keywords in theirs.items():
                out.setdefault(kind, [])
                out[kind] += [k for k in keywords if k not in out[kind]]
            return out

        return SourceRegistry(
            {**self.outlets, **other.outlets},
            {**self.people, **other.people},
            merged(self.roles, other.roles),
            merged(self.fallback_roles, other.fallback_roles),
            merged(self.places, other.places),
        )


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
    keywords_of = {"roles": {}, "fallback_roles": {}, "places": {}}
    for section, table in keywords_of.items():
        for kind, keywords in tables[section].items():
            check_type(f"{section}.{kind}", kind)
            if not isinstance(keywords, list):
                fail(f"{section}.{kind}", "must be a list of keywords")
            for i, keyword in enumerate(keywords):
                if not isinstance(keyword, str) or not keyword.rstrip("*").strip():
                    fail(f"{section}.{kind}[{i}]", f"a keyword must be a non-empty string, got {keyword!r}")
            table[kind] = [k.strip() for k in keywords]
    for section, table in (("outlets", outlets), ("people", people)):
        for name in table:
            if not name.strip():
                fail(section, "an empty name")
    return SourceRegistry(outlets, people, keywords_of["roles"], keywords_of["fallback_roles"], keywords_of["places"])


def load_sources(*paths: str | os.PathLike, source_types=None) -> SourceRegistry:
    """Read one or more ``sources.toml`` files; later files extend earlier ones.

    Parameters
    ----------
    *paths : path-like
        TOML files with ``[outlets]``, ``[people]``, ``[roles]``, ``[fallback_roles]`` and ``[places]`` tables.
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
