"""Raw articles in, passages out: each with its speaker and source type, in the corpus record format.

The steps: read articles (text or Markdown files, folders of them, or tables with a
text column and metadata) → transliterate Serbian Cyrillic → paragraphs → sentences
(Punkt) → passages (a sentence, or the sentences one quotation spans) → attribution
(quoted and reported speech, speakers, pronoun continuations) → source types from the
:class:`~framing.sources.SourceRegistry`. The article's own narration takes the
outlet's source type. Every character of every paragraph ends up in one passage.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .corpus import FIELDS
from .errors import InputError
from .segment import Paragraph, load_splitter, passages, split_paragraphs, transliterate
from .sources import UNKNOWN, SourceRegistry, fold
from .speakers import PRONOUNS, ArticleSpeakers, Speaker, find_attribution

__all__ = [
    "COLUMNS",
    "TABLE_SUFFIXES",
    "TEXT_SUFFIXES",
    "Article",
    "attribution_accuracy",
    "gold_report",
    "ingest_articles",
    "narration_without_type",
    "read_articles",
    "read_gold",
]

#: Files read as one article each.
TEXT_SUFFIXES = (".txt", ".text", ".md", ".markdown")
#: Files read as a table of articles, one per row.
TABLE_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".parquet")
#: Article metadata read from table columns or a file's front matter.
METADATA = ("id", "title", "outlet", "date", "url", "source_type", "story")
#: Columns of an ingested passage table: the corpus fields, then where the passage comes from and why it has its speaker.
COLUMNS = FIELDS + (
    "article_id", "paragraph", "sentence", "n_sentences", "speech", "cue", "speaker_role", "title", "url", "original_text",
)


@dataclass(frozen=True)
class Article:
    """One article and what is known about it.

    Parameters
    ----------
    text : str
        The article as written (plain text or Markdown).
    id : str
        Names the article; passage ids are ``<id>-001``, ``<id>-002``, ...
    title, outlet, date, url, story : str
        Metadata carried to every passage (story defaults to the id).
    source_type : str
        The source type of the outlet's own voice; when empty it comes from the registry's outlets.
    markdown : bool
        Read ``text`` as Markdown.
    extra : dict
        Other metadata, carried to every passage as columns.
    """

    text: str
    id: str = "article"
    title: str = ""
    outlet: str = ""
    date: str = ""
    url: str = ""
    source_type: str = ""
    story: str = ""
    markdown: bool = False
    extra: dict = field(default_factory=dict, compare=False, hash=False)


# -- reading ---------------------------------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<body>.*?)\n---[ \t]*\n", re.DOTALL)


def _front_matter(text: str, path: str) -> tuple[dict, str]:
    found = _FRONT_MATTER.match(text)
    if not found:
        return {}, text
    meta = {}
    for number, line in enumerate(found.group("body").split("\n"), 2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        if not sep or key not in METADATA:
            raise InputError(f"front matter lines are `key: value` with a key among {list(METADATA)}", path=path, line=number)
        meta[key] = value.strip().strip("\"'")
    return meta, text[found.end() :]


def _read_text_file(path: Path, ident: str, defaults: dict) -> Article:
    name = str(path) if str(path) != "-" else "<stdin>"
    try:
        raw = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", path=name) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError("not UTF-8 text; re-save the file as UTF-8", path=name, line=line) from None
    meta, text = _front_matter(text.replace("\r\n", "\n"), name)
    if not text.strip():
        raise InputError("the article is empty", path=name)
    markdown = path.suffix.lower() in (".md", ".markdown")
    return _article(text, {"id": ident, **meta}, defaults, markdown)


def _article(text: str, meta: dict, defaults: dict, markdown: bool = False, extra: dict | None = None) -> Article:
    values = {k: str(meta.get(k) or defaults.get(k) or "") for k in METADATA}
    values["story"] = values["story"] or values["id"]
    return Article(text=text, markdown=markdown, extra=extra or {}, **values)


def _read_table(path: Path, text_column: str, defaults: dict) -> Iterator[Article]:
    from .scoring import read_chunks
    from .tables import table_format

    name = str(path)
    row = 0
    seen: set[str] = set()
    for chunk in read_chunks(name, table_format(name)):
        frame = chunk if isinstance(chunk, pd.DataFrame) else chunk.to_pandas()
        if text_column not in frame.columns:
            raise InputError(f"no column {text_column!r} (columns: {list(frame.columns)}); choose one with --text-column", path=name)
        for record in frame.to_dict("records"):
            row += 1
            text = record.get(text_column)
            if not isinstance(text, str) or not text.strip():
                raise InputError(f"the {text_column!r} value is {'empty' if isinstance(text, str) else repr(text)}, not an article", path=name, row=row)
            meta = {k: _cell(record.get(k)) for k in METADATA}
            meta["id"] = meta["id"] or f"{path.stem}-{row}"
            if meta["id"] in seen:
                raise InputError(f"article id {meta['id']!r} is used twice", path=name, row=row)
            seen.add(meta["id"])
            extra = {k: _cell(v) for k, v in record.items() if k not in METADATA and k != text_column}
            yield _article(text, meta, defaults, extra=extra)


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


def read_articles(
    paths: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    text_column: str = "text",
    outlet: str = "",
    source_type: str = "",
    story: str = "",
    date: str = "",
) -> list[Article]:
    """Read articles from files, folders and tables.

    Parameters
    ----------
    paths : path-like or sequence of them
        ``.txt``/``.md`` files (one article each; ``-`` reads one from standard input),
        folders (every such file and table inside, recursively, in name order), and
        CSV, TSV, JSONL or Parquet tables with one article per row.
    text_column : str
        The tables' column holding the article text. Columns named ``id``, ``title``,
        ``outlet``, ``date``, ``url``, ``source_type`` (of the outlet) and ``story`` are
        metadata; other columns are carried to every passage.
    outlet, source_type, story, date : str
        Metadata for articles that do not give their own. A text file may give its own
        in front matter: ``---`` lines around ``key: value`` lines at the top.

    Returns
    -------
    list of Article
        Ids are unique: a file's path inside its folder without the extension, or a table's ``id`` column.

    Raises
    ------
    InputError
        Naming the file (and row or line) of input that cannot be read, a missing text
        column, an empty article, or an article id used twice.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    defaults = {"outlet": outlet, "source_type": source_type, "story": story, "date": date}
    articles: list[Article] = []
    for given in paths:
        path = Path(given)
        if str(given) == "-":
            articles.append(_read_text_file(path, "stdin", defaults))
        elif path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and _kind(p) and not p.name.startswith("."))
            if not files:
                raise InputError(f"no article files ({', '.join(TEXT_SUFFIXES + TABLE_SUFFIXES)}) in the folder", path=str(path))
            for file in files:
                ident = file.relative_to(path).with_suffix("").as_posix()
                articles.extend(_read_one(file, ident, text_column, defaults))
        elif not path.exists():
            raise InputError("file not found", path=str(path))
        else:
            articles.extend(_read_one(path, path.stem, text_column, defaults))
    _check_unique(articles)
    return articles


def _kind(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in TEXT_SUFFIXES and path.suffix.lower() != ".gz":
        return "text"
    if suffixes and suffixes[-1] in TABLE_SUFFIXES:
        return "table"
    return ""


def _read_one(path: Path, ident: str, text_column: str, defaults: dict) -> list[Article]:
    kind = _kind(path)
    if kind == "text":
        return [_read_text_file(path, ident, defaults)]
    if kind == "table":
        return list(_read_table(path, text_column, defaults))
    raise InputError(f"cannot tell what this file holds; use {', '.join(TEXT_SUFFIXES + TABLE_SUFFIXES)}", path=str(path))


def _check_unique(articles: list[Article]) -> None:
    seen: set[str] = set()
    for article in articles:
        if article.id in seen:
            raise InputError(f"two articles have the id {article.id!r}; give each input a different name or id column")
        seen.add(article.id)


# -- ingesting -------------------------------------------------------------------------------------


def _latin(paragraph: Paragraph) -> tuple[Paragraph, list[int] | None]:
    """The paragraph in Latin script and, if that changed it, the index of the character each one comes from."""
    latin = transliterate(paragraph.text)
    if latin == paragraph.text:
        return paragraph, None
    origin = [i for i, char in enumerate(paragraph.text) for _ in transliterate(char)]
    return Paragraph(latin, paragraph.heading), origin


def _narrator(article: Article, registry: SourceRegistry) -> Speaker:
    name = article.outlet or "narration"
    kind = article.source_type or (registry.outlet(transliterate(article.outlet)) if article.outlet else UNKNOWN)
    return Speaker(name, kind)


def _attribute(cut: list, registry: SourceRegistry, narrator: Speaker) -> list[tuple[Speaker, str, str]]:
    """``(speaker, speech, cue)`` of each passage, in reading order."""
    people = ArticleSpeakers(cut, registry, narrator)
    found = [find_attribution(p, registry) for p in cut]
    out: list = [None] * len(cut)
    for i, attribution in enumerate(found):
        if attribution is None or attribution.headline:
            continue
        speaker = people.resolve(attribution, i)
        cue = attribution.cue
        if not attribution.who:
            cue += " (no subject: the last speaker)"
        if attribution.who.lower() in PRONOUNS or not attribution.who:
            cue += f" → {speaker.name}" if speaker.name != UNKNOWN else " → no one named before"
        out[i] = (speaker, "quote" if cut[i].quotes else "reported", cue)
    for i, (passage, attribution) in enumerate(zip(cut, found)):
        if out[i] is not None:
            continue
        if attribution is not None and people.speaks(attribution.who):
            out[i] = (people.resolve(attribution, i, remember=False), "reported", attribution.cue)
        elif passage.starts_quoted and not passage.heading:
            speaker, cue = _carried_quote(i, cut, out)
            out[i] = (speaker, "quote", cue)
        else:
            out[i] = (narrator, "narration", "narration")
    return out


def _carried_quote(i: int, cut: list, out: list) -> tuple[Speaker, str]:
    """The speaker of a quotation with no attribution of its own: its run's, or the passage before's."""
    passage = cut[i]
    if passage.run is not None:
        for j, other in enumerate(cut):
            if other.run == passage.run and j != i and out[j] is not None and out[j][1] != "narration":
                return out[j][0], f"the same quotation as paragraph {other.paragraph + 1}, where it is attributed"
    before = out[i - 1] if i else None
    if before is not None and before[1] != "narration" and before[0].name != UNKNOWN and cut[i - 1].paragraph >= passage.paragraph - 1:
        return before[0], f"a quotation right after {before[0].name}'s words"
    return Speaker(UNKNOWN, UNKNOWN), "a quotation with no speaker named"


def _article_records(article: Article, registry: SourceRegistry, splitter) -> list[dict]:
    original = split_paragraphs(article.text, markdown=article.markdown)
    latin = [_latin(p) for p in original]
    cut = passages([p for p, _ in latin], splitter)
    attributed = _attribute(cut, registry, _narrator(article, registry))
    records = []
    for i, (passage, (speaker, speech, cue)) in enumerate(zip(cut, attributed)):
        origin = latin[passage.paragraph][1]
        end = passage.offset + len(passage.text)
        written = original[passage.paragraph].text[origin[passage.offset] : origin[end - 1] + 1] if origin else passage.text
        records.append(
            {
                "id": f"{article.id}-{i + 1:03d}",
                "text": passage.text,
                "label": "",
                "source_type": speaker.source_type,
                "outlet": article.outlet,
                "speaker": speaker.name,
                "story": article.story,
                "date": article.date,
                "annotator": "",
                "note": "",
                "article_id": article.id,
                "paragraph": passage.paragraph + 1,
                "sentence": passage.sentence + 1,
                "n_sentences": passage.n_sentences,
                "speech": speech,
                "cue": cue,
                "speaker_role": speaker.role,
                "title": article.title,
                "url": article.url,
                "original_text": written,
                **article.extra,
            }
        )
    return records


def ingest_articles(articles: Iterable[Article], registry: SourceRegistry, *, splitter=None) -> pd.DataFrame:
    """Cut articles into passages and attribute each to a speaker and a source type.

    Parameters
    ----------
    articles : iterable of Article
    registry : SourceRegistry
        Outlets, people and roles mapped to source types.
    splitter : PunktSentenceTokenizer, optional
        The sentence splitter (default: the one shipped in ``corpus/punkt.json``).

    Returns
    -------
    pandas.DataFrame
        One row per passage, in reading order, with :data:`COLUMNS` (then any extra
        article metadata): the corpus fields (``label``, ``annotator`` and ``note``
        empty), ``article_id``, 1-based ``paragraph`` and ``sentence``, ``n_sentences``,
        ``speech`` (``narration``, ``quote`` or ``reported``), the ``cue`` that decided
        the speaker, the ``speaker_role`` that placed them, and ``original_text`` (the
        passage as written, before transliteration). A speaker the registry cannot
        place, or a quotation whose speaker is not named, has source type ``unknown``.
    """
    splitter = splitter or load_splitter()
    records = [r for article in articles for r in _article_records(article, registry, splitter)]
    frame = pd.DataFrame.from_records(records)
    if frame.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    extra = [c for c in frame.columns if c not in COLUMNS]
    return frame[list(COLUMNS) + extra].fillna("")


def narration_without_type(passages: pd.DataFrame) -> tuple[int, list[str]]:
    """How many articles' narration has no source type, and the outlets they name (unknown to the registry).

    Narration takes the outlet's source type: it has none when no outlet is named, or the
    registry does not know it, and no source type was given with the article.
    """
    untyped = passages[(passages["speech"] == "narration") & (passages["source_type"] == UNKNOWN)]
    return int(untyped["article_id"].nunique()), sorted({o for o in untyped["outlet"] if o})


# -- measuring attribution -------------------------------------------------------------------------


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", fold(transliterate(text))))


def same_speaker(predicted: str, gold: str) -> bool:
    """Whether two speaker names name the same speaker.

    Case, diacritics and a leading "the" do not matter; one name may hold the other
    ("Kovač" and "Ana Kovač", "Ministry of Defence" and "the Ministry of Defence of
    the Republic"), or both may end in the same surname.
    """
    a, b = (re.sub(r"^the\s+", "", fold(transliterate(n)).strip()) for n in (predicted, gold))
    if not a or not b:
        return False
    if a == b or (min(len(a), len(b)) >= 4 and (a in b or b in a)):
        return True
    return a.split()[-1] == b.split()[-1] and len(a.split()[-1]) >= 4


def attribution_accuracy(predicted: pd.DataFrame, gold: pd.DataFrame, min_overlap: float = 0.5) -> dict:
    """Source-type and speaker accuracy of ingested passages against a gold annotation.

    Each gold passage is matched to the predicted passage sharing most of its words
    (Jaccard similarity of word sets, at least ``min_overlap``), so that the measure
    stays fair when the segmentation differs slightly; a gold passage with no match
    counts as wrong on both. Speakers match by :func:`same_speaker`.

    Returns
    -------
    dict
        ``n_gold``, ``matched``, ``source_type_correct``, ``speaker_correct``,
        ``source_type_accuracy``, ``speaker_accuracy`` and ``errors`` (one dict per miss).
    """
    candidates = [(_words(t), row) for t, row in zip(predicted["text"], predicted.to_dict("records"))]
    matched = types = names = 0
    errors = []
    for gold_row in gold.to_dict("records"):
        words = _words(gold_row["text"])
        best, score = None, 0.0
        for other, row in candidates:
            overlap = len(words & other) / max(len(words | other), 1)
            if overlap > score:
                best, score = row, overlap
        if best is None or score < min_overlap:
            errors.append({"text": gold_row["text"], "problem": "no ingested passage matches"})
            continue
        matched += 1
        type_ok = best["source_type"] == gold_row["source_type"]
        name_ok = same_speaker(best["speaker"], gold_row["speaker"])
        types += type_ok
        names += name_ok
        if not (type_ok and name_ok):
            errors.append(
                {
                    "text": gold_row["text"],
                    "gold": (gold_row["speaker"], gold_row["source_type"]),
                    "predicted": (best["speaker"], best["source_type"]),
                    "cue": best.get("cue", ""),
                }
            )
    n = len(gold)
    return {
        "n_gold": n,
        "matched": matched,
        "source_type_correct": types,
        "speaker_correct": names,
        "source_type_accuracy": types / n if n else 0.0,
        "speaker_accuracy": names / n if n else 0.0,
        "errors": errors,
    }


#: Columns a gold annotation of ingested articles must have.
GOLD_COLUMNS = ("article_id", "text", "speaker", "source_type")


def read_gold(path: str | os.PathLike) -> pd.DataFrame:
    """A gold annotation of articles: JSONL or CSV with ``article_id``, ``text``, ``speaker``, ``source_type``.

    ``article_id`` names the article as :func:`read_articles` does (a file's path
    inside the folder given, without the extension); other columns (``speech``,
    ``writer``) are kept.

    Raises
    ------
    InputError
        Naming the file and row of a record without one of :data:`GOLD_COLUMNS`.
    """
    from .scoring import read_chunks
    from .tables import table_format

    name = str(path)
    if not Path(name).is_file():
        raise InputError("gold file not found", path=name)
    frames = [c if isinstance(c, pd.DataFrame) else c.to_pandas() for c in read_chunks(name, table_format(name))]
    gold = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(GOLD_COLUMNS))
    missing = [c for c in GOLD_COLUMNS if c not in gold.columns]
    if missing:
        raise InputError(f"a gold annotation needs the columns {list(GOLD_COLUMNS)}; missing {missing}", path=name)
    for row, record in enumerate(gold[list(GOLD_COLUMNS)].to_dict("records"), 1):
        for column, value in record.items():
            if not isinstance(value, str) or not value.strip():
                raise InputError(f"{column} is {value!r}; every gold passage needs one", path=name, row=row)
    return gold


def gold_report(predicted: pd.DataFrame, gold: pd.DataFrame) -> dict:
    """Attribution accuracy of ingested articles per article and over all of them.

    Each article's gold passages are matched only to that article's ingested passages
    (see :func:`attribution_accuracy`).

    Returns
    -------
    dict
        ``articles``: one dict per gold article (``article_id``, ``n``, ``source_type_accuracy``,
        ``speaker_accuracy``, ``errors``); ``overall``: the same over every gold passage, plus
        ``worst_article`` (the lowest of the two accuracies in any article) and ``missing`` (gold
        articles that were not ingested).
    """
    articles, missing = [], []
    total = {"n": 0, "types": 0, "names": 0}
    by_article = dict(tuple(predicted.groupby("article_id", sort=False)))
    for article_id, rows in gold.groupby("article_id", sort=False):
        mine = by_article.get(article_id, predicted.iloc[:0])
        if mine.empty:
            missing.append(article_id)
        result = attribution_accuracy(mine, rows)
        articles.append(
            {
                "article_id": article_id,
                "n": result["n_gold"],
                "source_type_accuracy": result["source_type_accuracy"],
                "speaker_accuracy": result["speaker_accuracy"],
                "errors": result["errors"],
            }
        )
        total["n"] += result["n_gold"]
        total["types"] += result["source_type_correct"]
        total["names"] += result["speaker_correct"]
    n = total["n"]
    overall = {
        "articles": len(articles),
        "n": n,
        "source_type_accuracy": total["types"] / n if n else 0.0,
        "speaker_accuracy": total["names"] / n if n else 0.0,
        "worst_article": min((min(a["source_type_accuracy"], a["speaker_accuracy"]) for a in articles), default=0.0),
        "missing": missing,
    }
    return {"articles": articles, "overall": overall}
