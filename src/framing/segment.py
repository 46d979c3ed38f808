"""Cutting article text into paragraphs, sentences and passages, with the quotes each passage holds.

Sentences come from NLTK's Punkt, trained on the project's own corpus (no downloaded
data) and shipped as ``corpus/punkt.json``; abbreviations such as "Dr.", "Gen.",
"No." and single-letter initials never end a sentence. A passage is a sentence, or
the run of sentences a quotation spans, so that a quote over two sentences stays whole.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import string
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

from .config import PROJECT_ROOT
from .errors import InputError
from .language import transliterate

__all__ = [
    "ABBREVIATIONS",
    "Paragraph",
    "Quote",
    "Passage",
    "transliterate",
    "split_paragraphs",
    "quote_spans",
    "train_splitter",
    "save_splitter",
    "load_splitter",
    "split_sentences",
    "passages",
]

#: Abbreviations that never end a sentence, on top of those Punkt learns (single letters are added too).
ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof gen lt col maj capt cpt sgt cpl adm brig cmdr gov sen rep amb hon rev fr sr jr st
    no nos vol p pp art fig ch sec para est approx dept univ inc ltd corp co bros vs etc e.g i.e cf al
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun
    gosp gđa gđica dr.sc mr.sc br str tzv npr itd sl""".split()
) | frozenset(string.ascii_lowercase)
#: Where the shipped sentence splitter is kept.
SPLITTER_PATH = PROJECT_ROOT / "corpus" / "punkt.json"
_FORMAT = "framing-punkt"



# -- paragraphs ------------------------------------------------------------------------------------

_TERMINAL = ".!?…;:"
_CLOSERS = "\"'”’»«“)]*_"
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_MD_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_MD_ITEM = re.compile(r"^\s{0,3}(?:[-*+]|\d+[.)])\s+")
_MD_QUOTE = re.compile(r"^\s{0,3}>\s?")
_MD_INLINE = [
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),
    (re.compile(r"`([^`]*)`"), r"\1"),
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])"), r"\1"),
    (re.compile(r"<[^>\n]+>"), ""),
]


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of an article: its text, and whether it reads as a heading."""

    text: str
    heading: bool = False


def _ends_sentence(text: str) -> bool:
    stripped = text.rstrip().rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] in _TERMINAL


def _looks_like_heading(text: str) -> bool:
    return not _ends_sentence(text) and len(text.split()) <= 25


def _squash(text: str) -> str:
    return " ".join(text.split())


def split_paragraphs(text: str, markdown: bool = False) -> list[Paragraph]:
    """The paragraphs of an article, each with its whitespace squashed.

    Plain text has one paragraph per line; a line joins the one before when that
    one stops mid-sentence and the line goes on in lower case (hard-wrapped text).
    Markdown follows Markdown's rules: blank lines separate paragraphs, ``#`` lines
    are headings, list items and block quotes are paragraphs of their own, and
    emphasis, links and inline code keep only their text. A short line that does
    not end a sentence is a heading.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    out: list[Paragraph] = []
    if markdown:
        block: list[str] = []

        def flush():
            if block:
                joined = _squash(" ".join(block))
                if joined:
                    out.append(Paragraph(joined, _looks_like_heading(joined)))
                block.clear()

        for line in text.split("\n"):
            heading = _MD_HEADING.match(line)
            if heading or _MD_RULE.match(line) or not line.strip() or _MD_ITEM.match(line):
                flush()
            if heading:
                if _squash(heading.group(1)):
                    out.append(Paragraph(_squash(_md_inline(heading.group(1))), True))
            elif line.strip() and not _MD_RULE.match(line):
                block.append(_md_inline(_MD_ITEM.sub("", _MD_QUOTE.sub("", line))))
        flush()
        return out
    for line in text.split("\n"):
        line = _squash(line)
        if not line:
            continue
        if out and not _ends_sentence(out[-1].text) and line[0].islower():
            line = out.pop().text + " " + line
        out.append(Paragraph(line, _looks_like_heading(line)))
    return out


def _md_inline(line: str) -> str:
    for pattern, replacement in _MD_INLINE:
        line = pattern.sub(replacement, line)
    return line


# -- quotes ----------------------------------------------------------------------------------------

_QUOTE_PAIRS = {"“": "”", "„": "“”", "«": "»", "»": "«", '"': '"', "‹": "›"}
_OPENING = "“„«\""


@dataclass(frozen=True)
class Quote:
    """A top-level quotation in a text: ``text[start:end]`` includes its marks.

    ``opened`` is False when the quotation began before the text (a paragraph that
    continues a quote and only closes it); ``closed`` is False when it runs on past
    the end (a paragraph whose quote goes on in the next one, as news style has it).
    """

    start: int
    end: int
    opened: bool = True
    closed: bool = True


def quote_spans(text: str) -> list[Quote]:
    """Top-level quotations in ``text``: straight, curly and low-high double quotes, and guillemets.

    Single quotes nest inside double quotes and are part of them. In a text with no
    double quotes, single quotes (curly, else straight) that open before a word and
    close after one, in the same text, are quotations; elsewhere ’ and ' are apostrophes.

    >>> [text[q.start:q.end] for text in ['He said “it is ‘only’ a plan” and left.'] for q in quote_spans(text)]
    ['“it is ‘only’ a plan”']
    """
    spans: list[Quote] = []
    opener, start = None, 0
    for i, char in enumerate(text):
        if opener is not None:
            if char in _QUOTE_PAIRS[opener]:
                spans.append(Quote(start, i + 1))
                opener = None
        elif char in _QUOTE_PAIRS:
            opener, start = char, i
        elif char == "”" and not spans:
            spans.append(Quote(0, i + 1, opened=False))
    if opener is not None:
        spans.append(Quote(start, len(text), closed=False))
    if not spans:
        spans = _single_quote_spans(text)
    return spans


_SINGLE_QUOTES = (
    re.compile(r"(?<!\w)‘(?=\S)[^‘’]*(?:’\w[^‘’]*)*(?<=\S)’(?!\w)"),
    re.compile(r"(?<![\w'])'(?=[^\s'])(?:[^']|'\w)*(?<=\S)'(?![\w'])"),
)


def _single_quote_spans(text: str) -> list[Quote]:
    for pattern in _SINGLE_QUOTES:
        spans = [Quote(m.start(), m.end()) for m in pattern.finditer(text)]
        if spans:
            return spans
    return []


# -- sentences -------------------------------------------------------------------------------------


def _training_text(corpus_path: Path) -> str:
    from .tables import iter_jsonl

    return "\n\n".join(str(r.get("text", "")) for _, r in iter_jsonl(corpus_path))


def train_splitter(corpus_path: str | os.PathLike | None = None) -> dict:
    """Train Punkt on the ``text`` of a corpus file; return its learned parameters as JSON-ready data.

    Abbreviations Punkt learns from a single occurrence are dropped: with a corpus this
    small, a word seen once before a full stop ("tie.") is as likely a sentence end.

    Parameters
    ----------
    corpus_path : path-like, optional
        A JSON Lines file of passages (default: the bundled ``corpus/passages.jsonl``).
    """
    from nltk.tokenize.punkt import PunktTrainer

    corpus_path = Path(corpus_path or PROJECT_ROOT / "corpus" / "passages.jsonl")
    text = _training_text(corpus_path)
    trainer = PunktTrainer()
    trainer.train(text, finalize=True)
    params = trainer.get_params()
    lowered = text.lower()
    abbreviations = sorted(
        a for a in params.abbrev_types if len(re.findall(rf"(?<![\w.]){re.escape(a)}\.", lowered)) >= 2
    )
    return {
        "format": _FORMAT,
        "version": 1,
        "trained_on": {"file": corpus_path.name, "sha256": hashlib.sha256(corpus_path.read_bytes()).hexdigest()},
        "abbrev_types": abbreviations,
        "collocations": sorted([a, b] for a, b in params.collocations),
        "sent_starters": sorted(params.sent_starters),
        "ortho_context": dict(sorted((k, v) for k, v in params.ortho_context.items() if v)),
    }


def save_splitter(data: dict, path: str | os.PathLike = SPLITTER_PATH) -> Path:
    """Write trained splitter parameters as JSON (written to a temporary name, then renamed)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=0, sort_keys=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


@lru_cache(maxsize=4)
def load_splitter(path: str | os.PathLike = SPLITTER_PATH):
    """A Punkt sentence tokenizer from saved parameters, with :data:`ABBREVIATIONS` added.

    Raises
    ------
    InputError
        When the file is missing or is not splitter parameters.
    """
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    path = str(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("sentence splitter parameters not found; run `framing ingest --train-splitter`", path=path) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not splitter parameters ({exc})", path=path) from None
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        raise InputError(f"not splitter parameters (no format {_FORMAT!r})", path=path)
    params = PunktParameters()
    params.abbrev_types = set(data["abbrev_types"]) | ABBREVIATIONS
    params.collocations = {tuple(pair) for pair in data["collocations"]}
    params.sent_starters = set(data["sent_starters"])
    for word, flags in data["ortho_context"].items():
        params.ortho_context[word] = int(flags)
    return PunktSentenceTokenizer(params)


def split_sentences(text: str, splitter=None) -> list[tuple[int, int]]:
    """``(start, end)`` character spans of the sentences of one paragraph."""
    splitter = splitter or load_splitter()
    return list(splitter.span_tokenize(text))


# -- passages --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Passage:
    """A passage cut from one paragraph.

    Attributes
    ----------
    text : str
        The passage (a substring of its paragraph).
    paragraph : int
        0-based paragraph number in the article.
    sentence : int
        0-based number, in the article, of the passage's first sentence.
    n_sentences : int
        Sentences the passage holds.
    offset : int
        Where the passage starts in its paragraph.
    quotes : tuple of Quote
        Top-level quotations, as spans of ``text``.
    heading : bool
        The paragraph reads as a heading.
    run : int or None
        Passages of one quotation that goes on over several paragraphs share a run number.
    """

    text: str
    paragraph: int
    sentence: int
    n_sentences: int
    offset: int
    quotes: tuple
    heading: bool = False
    run: int | None = None

    @property
    def starts_quoted(self) -> bool:
        """The passage opens with a quotation (or inside one carried from the paragraph before)."""
        return bool(self.quotes) and (self.quotes[0].start == 0 or not self.quotes[0].opened)


def _window(text: str, spans: list[tuple[int, int]], quotes: list[Quote]) -> list[tuple[int, int, int]]:
    """Join sentences while a quotation runs over their boundary: ``(start, end, n_sentences)``."""
    windows: list[list[int]] = []
    for start, end in spans:
        inside = windows and any(q.start < windows[-1][1] and q.end > start for q in quotes)
        if inside:
            windows[-1][1] = end
            windows[-1][2] += 1
        else:
            windows.append([start, end, 1])
    return [tuple(w) for w in windows]


def passages(paragraphs: list[Paragraph], splitter=None) -> list[Passage]:
    """Cut paragraphs into passages; every character of every paragraph lands in one passage.

    Headings stay whole. A quotation left open at the end of a paragraph and picked up by
    the next (which opens with a quote mark) makes one run over both.
    """
    splitter = splitter or load_splitter()
    out: list[Passage] = []
    sentence = 0
    run, runs = None, 0
    for number, paragraph in enumerate(paragraphs):
        text = paragraph.text
        quotes = quote_spans(text)
        spans = [(0, len(text))] if paragraph.heading else split_sentences(text, splitter)
        spans = _cover(text, spans)
        continues = run is not None and bool(quotes) and (quotes[0].start == 0 or not quotes[0].opened)
        if not continues:
            run = None
        windows = _window(text, spans, quotes)
        for i, (start, end, n) in enumerate(windows):
            inner = tuple(
                Quote(max(q.start, start) - start, min(q.end, end) - start, q.opened and q.start >= start, q.closed and q.end <= end)
                for q in quotes
                if q.start < end and q.end > start
            )
            belongs = run is not None and i == 0
            out.append(Passage(text[start:end], number, sentence, n, start, inner, paragraph.heading, run if belongs else None))
            sentence += n
        if quotes and not quotes[-1].closed:
            if run is None:
                runs += 1
                run = runs
                out[-1] = replace(out[-1], run=run)
        else:
            run = None
    return out


def _cover(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sentence spans cut at each sentence's start, so that together they cover all of ``text``."""
    cuts = [0] + [start for start, _ in spans[1:]] + [len(text)]
    covered = []
    for start, end in pairwise(cuts):
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            covered.append((start, end))
    return covered
