"""Tokenizing, negation scope and stemming in English and Serbian: the analyzer behind the model's features.

Everything here is a module-level function or a picklable object, so that a fitted
pipeline that refers to it can be saved with joblib and loaded in another process.
Tokens are split by an NLTK regular-expression tokenizer (no downloaded data) on the text
as written, so offsets and evidence words stay in the passage's own script. Each token is
then read in the passage's language (:mod:`framing.language`): Serbian Cyrillic is
transliterated to Latin, words are stemmed with the Snowball stemmer of the language
(PyStemmer's ``english`` or ``serbian``), and Serbian diacritics are folded, so that
"Србије", "Srbije" and a Serbian word typed without diacritics are one feature.
A token with Cyrillic or Serbian Latin letters is always read as Serbian, even inside an
English passage that quotes a Serbian headline.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

import Stemmer
from nltk.sentiment.util import NEGATION_RE
from nltk.tokenize import RegexpTokenizer
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS as _SKLEARN_STOP_WORDS

from .language import _HAS_CYRILLIC, _SERBIAN_LATIN, SERBIAN_STOP_WORDS, detect, fold, transliterate, word_set

__all__ = [
    "ENGLISH_STOP_WORDS",
    "NEGATION_GAP",
    "NEG_SUFFIX",
    "PREFIX_MARK",
    "WordTokenizer",
    "analyze",
    "analyze_surface",
    "analyze_words",
    "content_stems",
    "is_negation",
    "is_stop_word",
    "mark_negation",
    "prefix_of",
    "stem",
    "stems",
    "tokenize",
]

NEG_SUFFIX = "_NEG"
#: Joins a negation to the words it negates in explanations ("not … alliance").
NEGATION_GAP = " … "
#: Words, words with inner apostrophes or hyphens, numbers, and single punctuation marks.
TOKEN_PATTERN = r"\w+(?:['’\-]\w+)*|[^\w\s]"
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*(?:st|nd|rd|th|s|\.)?")
_PUNCT = re.compile(r"[^\w\s]")
#: Serbian negation words, folded ("neće" → "nece"): they open a negation scope as "not" does in English.
SERBIAN_NEGATIONS = word_set(
    """ne nije nisu nisam nismo niste nisi nema nemaju nemamo nemate nece necemo necu neces necete nikada nikad
    nijedan nijedna nijedno nijednog nista nikako niti ni bez nemojte"""
)

#: Words of scikit-learn's stop list that carry meaning of their own in news ("a united front", "a show of force",
#: "a move", "part of the system"): the model weighs them like other content words, and so do explanations.
_CONTENT_WORDS = word_set(
    """amount bill bottom call cry describe detail empty fill find fire front full interest mill mine move name part
    serious show side sincere system thick thin top"""
)
#: Function words scikit-learn's list leaves out: forms of "do" (it has "do" and "done") and contractions of its words.
_MORE_FUNCTION_WORDS = frozenset(
    word.replace("'", apostrophe)
    for word in word_set("""does did doing isn't aren't wasn't weren't don't doesn't didn't won't wouldn't can't couldn't
    shouldn't hasn't haven't hadn't it's that's there's here's what's who's he's she's let's i'm you're we're they're
    i've you've we've they've i'll you'll he'll she'll we'll they'll it'll i'd you'd he'd she'd we'd they'd""")
    for apostrophe in "'’"
)
#: English function words: scikit-learn's ``ENGLISH_STOP_WORDS`` without the content words above, with the forms above.
ENGLISH_STOP_WORDS = (frozenset(_SKLEARN_STOP_WORDS) - _CONTENT_WORDS) | _MORE_FUNCTION_WORDS


class WordTokenizer(RegexpTokenizer):
    """NLTK's regexp tokenizer over a fixed, trusted pattern compiled with :mod:`re`.

    NLTK compiles caller-supplied patterns with a time-limited ``regex`` engine to
    guard against catastrophic backtracking; our pattern is a constant without
    nested quantifiers, so the standard engine (about three times faster) is safe.
    """

    def __init__(self):
        super().__init__(TOKEN_PATTERN)

    def _check_regexp(self):
        if self._regexp is None:
            self._regexp = re.compile(self._pattern, self._flags)


_TOKENIZER = WordTokenizer()
_STEMMERS = {"en": Stemmer.Stemmer("english"), "sr": Stemmer.Stemmer("serbian")}


def tokenize(text: str) -> list[str]:
    """Lower-case ``text`` and split it into word and punctuation tokens.

    >>> tokenize("It is NOT an alliance, he said.")
    ['it', 'is', 'not', 'an', 'alliance', ',', 'he', 'said', '.']
    """
    return _TOKENIZER.tokenize(text.lower())


def _serbian_token(token: str) -> bool:
    return bool(_HAS_CYRILLIC.search(token)) or any(c in _SERBIAN_LATIN for c in token)


@lru_cache(maxsize=400_000)
def stem(token: str, language: str = "en") -> str:
    """Snowball stem of one lower-case token read in ``language``, in folded Latin; numbers fold to ``#``.

    >>> stem("alliances"), stem("савеза", "sr"), stem("saveza", "sr"), stem("mađarske", "sr") == stem("madjarske", "sr")
    ('allianc', 'savez', 'savez', True)
    """
    if _NUMBER.fullmatch(token):
        return "#"
    if language == "sr" or _serbian_token(token):
        return fold(_STEMMERS["sr"].stemWord(transliterate(token)))
    return fold(_STEMMERS["en"].stemWord(token))


@lru_cache(maxsize=8192)
def is_negation(token: str, language: str = "en") -> bool:
    """Whether a lower-case token opens a negation scope in ``language`` ("not", "never"; "ne", "nije", "nema")."""
    if language == "sr" or _serbian_token(token):
        return fold(transliterate(token)) in SERBIAN_NEGATIONS
    return NEGATION_RE.search(token) is not None


@lru_cache(maxsize=65_536)
def is_stop_word(token: str, language: str = "en") -> bool:
    """Whether a lower-case word is a function word of the language it is read in ("the", "of", "will"; "je", "и").

    A word is read as :func:`stem` reads it: in ``language``, or as Serbian when it has Cyrillic or Serbian Latin
    letters; Serbian words are compared in folded Latin, so both scripts give one answer. English words are
    :data:`ENGLISH_STOP_WORDS`, Serbian ones :data:`framing.language.SERBIAN_STOP_WORDS`.

    >>> is_stop_word("the"), is_stop_word("alliance"), is_stop_word("је", "sr"), is_stop_word("će"), is_stop_word("savez")
    (True, False, True, True, False)
    """
    if language == "sr" or _serbian_token(token):
        return fold(transliterate(token)) in SERBIAN_STOP_WORDS
    return token in ENGLISH_STOP_WORDS


def _is_punct(token: str) -> bool:
    # The token pattern yields punctuation as single characters.
    return len(token) == 1 and not token.isalnum()


def _reading(text: str, language: str | None) -> str:
    return language if language is not None else detect(text).reads_as


def mark_negation(tokens: list[str], scope: int = 4, language: str = "en") -> list[str]:
    """Suffix ``_NEG`` to the words that follow a negation.

    The scope ends at the next punctuation mark or after ``scope`` words, whichever
    comes first, so that "not an alliance, but a plan" marks only "an alliance".

    >>> mark_negation(["not", "an", "alliance", ",", "but", "a", "plan"])
    ['not', 'an_NEG', 'alliance_NEG', ',', 'but', 'a', 'plan']
    >>> mark_negation(["ne", "predstavlja", "savez"], language="sr")
    ['ne', 'predstavlja_NEG', 'savez_NEG']
    """
    out = []
    left = 0
    for token in tokens:
        if is_negation(token, language):
            out.append(token)
            left = scope
        elif left and not _PUNCT.fullmatch(token):
            out.append(token + NEG_SUFFIX)
            left -= 1
        else:
            out.append(token)
            left = 0
    return out


def _stem_marked(token: str, language: str) -> str:
    if token.endswith(NEG_SUFFIX):
        return stem(token[: -len(NEG_SUFFIX)], language) + NEG_SUFFIX
    return stem(token, language)


def _marked_stems(tokens, negation: bool, scope: int, language: str) -> list[str]:
    words = []
    left = 0
    for token in tokens:
        if _is_punct(token):
            left = 0
        elif negation and is_negation(token, language):
            words.append(stem(token, language))
            left = scope
        elif left:
            words.append(stem(token, language) + NEG_SUFFIX)
            left -= 1
        else:
            words.append(stem(token, language))
    return words


#: Marks a word-prefix feature: tokens never hold a colon, so no word n-gram looks like one.
PREFIX_MARK = "pre:"


@lru_cache(maxsize=400_000)
def prefix_of(token: str, length: int) -> str | None:
    """The prefix feature of one lower-case token: its first ``length`` letters in folded Latin.

    Inflection changes the ends of words, so "savez", "saveza", "savezu" and "savezništvo" share ``pre:savez``
    whatever the stemmer makes of them. Punctuation and numbers have none.

    >>> prefix_of("савезништво", 5), prefix_of("alliances", 5), prefix_of("2025", 5)
    ('pre:savez', 'pre:allia', None)
    """
    if _is_punct(token) or _NUMBER.fullmatch(token):
        return None
    return PREFIX_MARK + fold(transliterate(token))[:length]


def stems(text: str, language: str | None = None) -> list[str]:
    """The stems of the words of ``text`` (no negation marks, no punctuation), read in its language."""
    language = _reading(text, language)
    return [stem(t, language) for t in tokenize(text) if not _is_punct(t)]


_POSSESSIVE = re.compile(r"['’]s?$")
_WORD_PART = re.compile(r"[^\W\d_]+")


@lru_cache(maxsize=200_000)
def word_parts(token: str) -> tuple[str, ...]:
    """The alphabetic parts of one token, a possessive ending dropped: "ghana's" → ("ghana",), "pro-government" → ("pro", "government").

    >>> word_parts("serbia’s"), word_parts("pro-government"), word_parts("2025")
    (('serbia',), ('pro', 'government'), ())
    """
    if token.isalpha():
        return (token,)
    return tuple(_WORD_PART.findall(_POSSESSIVE.sub("", token)))


def content_stems(text: str, stop: frozenset = frozenset(), language: str | None = None) -> list[str]:
    """Stems of the words of ``text`` (their alphabetic parts, possessives kept as the noun) not in ``stop``.

    >>> content_stems("Ghana's army", frozenset({"army"}))
    ['ghana']
    """
    language = _reading(text, language)
    return [stem(part, language) for t in tokenize(text) for part in word_parts(t) if part not in stop]


def analyze(text: str, ngram_max: int = 2, negation: bool = True, scope: int = 4, language: str | None = None,
            prefix: int = 0) -> list[str]:
    """Features of one passage: stemmed word n-grams, punctuation removed, and with ``prefix`` > 0 word prefixes.

    Negated words keep their ``_NEG`` mark (the same scope as :func:`mark_negation`),
    so "not an alliance" and "an alliance" give different features. The passage is read in
    ``language`` (``en`` or ``sr``; detected when not given). With ``prefix``, each word also
    gives its first ``prefix`` letters (:func:`prefix_of`).

    >>> analyze("Not an alliance.", ngram_max=2)
    ['not', 'an_NEG', 'allianc_NEG', 'not an_NEG', 'an_NEG allianc_NEG']
    >>> analyze("Није савез.") == analyze("Nije savez.")
    True
    """
    tokens = tokenize(text)
    words = _marked_stems(tokens, negation, scope, _reading(text, language))
    features = list(words)
    if ngram_max >= 2:
        features.extend([a + " " + b for a, b in itertools.pairwise(words)])
    for n in range(3, ngram_max + 1):
        features.extend(" ".join(words[i : i + n]) for i in range(len(words) - n + 1))
    if prefix:
        features.extend(p for p in (prefix_of(t, prefix) for t in tokens) if p is not None)
    return features


def analyze_words(text: str, negation: bool = True, scope: int = 4, language: str | None = None) -> list[tuple[int, int, str]]:
    """The words of ``text`` as :func:`analyze` sees them: ``(start, end, stem)`` per word.

    ``stem`` carries the ``_NEG`` mark inside a negation's scope; the n-gram features
    of :func:`analyze` are runs of these stems joined by spaces. ``start`` and ``end``
    are character offsets into ``text`` as written, for highlighting.

    >>> analyze_words("Not an alliance.")
    [(0, 3, 'not'), (4, 6, 'an_NEG'), (7, 15, 'allianc_NEG')]
    """
    language = _reading(text, language)
    words = []
    left = 0
    for match in _TOKENIZER._regexp.finditer(text):
        token = match.group().lower()
        if _is_punct(token):
            left = 0
            continue
        if negation and is_negation(token, language):
            feature, left = stem(token, language), scope
        elif left:
            feature, left = stem(token, language) + NEG_SUFFIX, left - 1
        else:
            feature = stem(token, language)
        words.append((match.start(), match.end(), feature))
    return words


def analyze_surface(text: str, ngram_max: int = 2, negation: bool = True, language: str | None = None,
                    prefix: int = 0, show_negation: bool = False) -> dict[str, str]:
    """Map each feature of :func:`analyze` to the words of ``text`` that produced it.

    Used to show explanations in the passage's own words and script ("alliance", "савез")
    rather than as stems (``allianc_NEG``, ``savez``). With ``show_negation``, words in a
    negation's scope are shown after the word that negates them, joined by
    :data:`NEGATION_GAP` ("not … alliance", "не … савез"), so that a denial does not read as
    the word it denies.

    >>> analyze_surface("It is not a mighty alliance.", show_negation=True)["mighti_NEG allianc_NEG"]
    'not … mighty alliance'
    """
    language = _reading(text, language)
    raw = _TOKENIZER.tokenize(text)
    lowered = [t.lower() for t in raw]
    marked = mark_negation(lowered, language=language) if negation else lowered
    openers = []  # per token: the word whose negation scope it is in ("" outside any)
    current = ""
    for mark, low, word in zip(marked, lowered, raw):
        openers.append(current if mark != low else "")
        if mark == low and negation and is_negation(low, language):
            current = word

    def shown(words: str, opener: str) -> str:
        return opener + NEGATION_GAP + words if show_negation and opener else words

    triples = [(_stem_marked(m, language), r, o) for m, r, o in zip(marked, raw, openers) if not _PUNCT.fullmatch(r)]
    surface: dict[str, str] = {}
    for n in range(1, ngram_max + 1):
        for i in range(len(triples) - n + 1):
            gram = triples[i : i + n]
            surface.setdefault(" ".join(f for f, _, _ in gram), shown(" ".join(w for _, w, _ in gram), gram[0][2]))
    if prefix:
        for token, opener in zip(raw, openers):
            feature = prefix_of(token.lower(), prefix)
            if feature is not None:
                surface.setdefault(feature, shown(token, opener))
    return surface
