"""Tokenizing, negation scope and stemming: the analyzer behind the model's features.

Everything here is a module-level function or a picklable object, so that a fitted
pipeline that refers to it can be saved with joblib and loaded in another process.
Only NLTK parts that need no downloaded data are used: a regular-expression
tokenizer and the Porter stemmer.
"""

from __future__ import annotations

import re
from functools import lru_cache

from nltk.sentiment.util import NEGATION_RE
from nltk.stem.porter import PorterStemmer
from nltk.tokenize import RegexpTokenizer

__all__ = ["WordTokenizer", "tokenize", "stem", "mark_negation", "analyze", "analyze_words", "NEG_SUFFIX"]

NEG_SUFFIX = "_NEG"
#: Words, words with inner apostrophes or hyphens, numbers, and single punctuation marks.
TOKEN_PATTERN = r"\w+(?:['’\-]\w+)*|[^\w\s]"
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*(?:st|nd|rd|th|s)?")
_PUNCT = re.compile(r"[^\w\s]")


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
_STEMMER = PorterStemmer()


def tokenize(text: str) -> list[str]:
    """Lower-case ``text`` and split it into word and punctuation tokens.

    >>> tokenize("It is NOT an alliance, he said.")
    ['it', 'is', 'not', 'an', 'alliance', ',', 'he', 'said', '.']
    """
    return _TOKENIZER.tokenize(text.lower())


@lru_cache(maxsize=200_000)
def stem(token: str) -> str:
    """Porter stem of one lower-case token, with numbers folded to ``#``."""
    if _NUMBER.fullmatch(token):
        return "#"
    return _STEMMER.stem(token, to_lowercase=False)


def mark_negation(tokens: list[str], scope: int = 4) -> list[str]:
    """Suffix ``_NEG`` to the words that follow a negation.

    The scope ends at the next punctuation mark or after ``scope`` words, whichever
    comes first, so that "not an alliance, but a plan" marks only "an alliance".
    Negations are recognised with NLTK's ``NEGATION_RE``.

    >>> mark_negation(["not", "an", "alliance", ",", "but", "a", "plan"])
    ['not', 'an_NEG', 'alliance_NEG', ',', 'but', 'a', 'plan']
    """
    out = []
    left = 0
    for token in tokens:
        if NEGATION_RE.search(token):
            out.append(token)
            left = scope
        elif left and not _PUNCT.fullmatch(token):
            out.append(token + NEG_SUFFIX)
            left -= 1
        else:
            out.append(token)
            left = 0
    return out


def _stem_marked(token: str) -> str:
    if token.endswith(NEG_SUFFIX):
        return stem(token[: -len(NEG_SUFFIX)]) + NEG_SUFFIX
    return stem(token)


@lru_cache(maxsize=4096)
def _is_negation(token: str) -> bool:
    return NEGATION_RE.search(token) is not None


def _is_punct(token: str) -> bool:
    # The token pattern yields punctuation as single characters.
    return len(token) == 1 and not token.isalnum()


def analyze(text: str, ngram_max: int = 2, negation: bool = True, scope: int = 4) -> list[str]:
    """Features of one passage: stemmed word n-grams, punctuation removed.

    Negated words keep their ``_NEG`` mark (the same scope as :func:`mark_negation`),
    so "not an alliance" and "an alliance" give different features. This is the
    hot path of scoring: one pass over the tokens, cached stems.

    >>> analyze("Not an alliance.", ngram_max=2)
    ['not', 'an_NEG', 'allianc_NEG', 'not an_NEG', 'an_NEG allianc_NEG']
    """
    words = []
    left = 0
    for token in _TOKENIZER.tokenize(text.lower()):
        if _is_punct(token):
            left = 0
        elif negation and _is_negation(token):
            words.append(stem(token))
            left = scope
        elif left:
            words.append(stem(token) + NEG_SUFFIX)
            left -= 1
        else:
            words.append(stem(token))
    features = list(words)
    if ngram_max >= 2:
        features.extend([a + " " + b for a, b in zip(words, words[1:])])
    for n in range(3, ngram_max + 1):
        features.extend(" ".join(words[i : i + n]) for i in range(len(words) - n + 1))
    return features


def analyze_words(text: str, negation: bool = True, scope: int = 4) -> list[tuple[int, int, str]]:
    """The words of ``text`` as :func:`analyze` sees them: ``(start, end, stem)`` per word.

    ``stem`` carries the ``_NEG`` mark inside a negation's scope; the n-gram features
    of :func:`analyze` are runs of these stems joined by spaces. ``start`` and ``end``
    are character offsets into ``text``, for highlighting.

    >>> analyze_words("Not an alliance.")
    [(0, 3, 'not'), (4, 6, 'an_NEG'), (7, 15, 'allianc_NEG')]
    """
    words = []
    left = 0
    for match in _TOKENIZER._regexp.finditer(text):
        token = match.group().lower()
        if _is_punct(token):
            left = 0
            continue
        if negation and _is_negation(token):
            feature, left = stem(token), scope
        elif left:
            feature, left = stem(token) + NEG_SUFFIX, left - 1
        else:
            feature = stem(token)
        words.append((match.start(), match.end(), feature))
    return words


def analyze_surface(text: str, ngram_max: int = 2, negation: bool = True) -> dict[str, str]:
    """Map each feature of :func:`analyze` to the words of ``text`` that produced it.

    Used to show explanations in the passage's own words ("not … alliance") rather
    than as stems (``allianc_NEG``).
    """
    raw = [t for t in _TOKENIZER.tokenize(text)]
    lowered = [t.lower() for t in raw]
    marked = mark_negation(lowered) if negation else lowered
    pairs = [(_stem_marked(m), r) for m, r in zip(marked, raw) if not _PUNCT.fullmatch(r)]
    surface: dict[str, str] = {}
    for n in range(1, ngram_max + 1):
        for i in range(len(pairs) - n + 1):
            gram = pairs[i : i + n]
            surface.setdefault(" ".join(f for f, _ in gram), " ".join(w for _, w in gram))
    return surface
