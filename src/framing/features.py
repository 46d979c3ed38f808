"""The framing vectorizer: tf-idf over stemmed word n-grams with negation scope, fast at transform time.

``FramingVectorizer`` learns exactly the vocabulary and idf of
``TfidfVectorizer(analyzer=framing.text.analyze, sublinear_tf=True)`` and produces
the same matrix, but its ``transform`` does the per-n-gram work in numpy instead of
one Python dictionary lookup per n-gram:

1. tokens come from the NLTK tokenizer; the language of each passage is read off its
   tokens' flags (:func:`framing.language.decide`), and each distinct surface token is
   resolved once per language (stem, negation word, punctuation) and cached as one
   integer code;
2. negation scope, punctuation removal and bigram formation are array operations
   over the whole batch;
3. unigrams map to columns through an array, bigrams through a sorted array of
   integer keys (``searchsorted``).

For n-grams longer than two it falls back to the reference analyzer.
"""

from __future__ import annotations

from functools import partial
from itertools import repeat

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted

from .language import decide, flag_counts, token_flags
from .text import _TOKENIZER, NEG_SUFFIX, PREFIX_MARK, _is_punct, analyze, is_negation, prefix_of, stem

__all__ = ["FramingVectorizer"]

_PUNCT_BIT, _NEG_BIT, _SHIFT = 1, 2, 2
#: Joins the passages of a batch; its code (punctuation and negation bits, which no token has
#: together) marks where one passage ends.
_SEPARATOR, _SEPARATOR_CODE = "\x00", _PUNCT_BIT | _NEG_BIT
#: Distinct surface tokens remembered (those of the training passages are saved with the model).
_CACHE_LIMIT = 1_000_000


class _KeyTable:
    """A read-only hash table from int64 keys to int32 values, looked up a whole array at a time.

    Open addressing with linear probing and Fibonacci hashing, kept at most one-eighth
    full, so most keys resolve in one vectorised probe.
    """

    _MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)

    def __init__(self, keys: np.ndarray, values: np.ndarray):
        self.size = len(keys)
        self.bits = max(10, int(np.ceil(np.log2(8 * max(len(keys), 1)))))
        self.mask = (1 << self.bits) - 1
        self.keys = np.full(1 << self.bits, -1, dtype=np.int64)
        self.values = np.full(1 << self.bits, -1, dtype=np.int32)
        for key, value, slot in zip(keys.tolist(), values.tolist(), self._slots(keys).tolist()):
            while self.keys[slot] != -1:
                slot = (slot + 1) & self.mask
            self.keys[slot], self.values[slot] = key, value

    def __len__(self) -> int:
        return self.size

    def _slots(self, keys: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            mixed = keys.astype(np.uint64) * self._MULTIPLIER
        return (mixed >> np.uint64(64 - self.bits)).astype(np.int64)

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """The value of each key, or -1 for keys not in the table."""
        found = np.full(len(keys), -1, dtype=np.int32)
        slots = self._slots(keys)
        pending = np.arange(len(keys))
        while pending.size:
            seen = self.keys[slots]
            hit = seen == keys[pending]
            found[pending[hit]] = self.values[slots[hit]]
            unresolved = ~hit & (seen != -1)
            pending, slots = pending[unresolved], (slots[unresolved] + 1) & self.mask
        return found


def _resolved(tokens: list[str], cache: dict, resolve, missing: int = -1) -> np.ndarray:
    """The integer of each token: from ``cache``, else ``resolve(token)``, called once per distinct token of the batch.

    ``missing`` must be a value no token resolves to. ``resolve`` decides itself whether to remember its answer.
    """
    values = np.fromiter(map(cache.get, tokens, repeat(missing)), dtype=np.int64, count=len(tokens))
    new: dict[str, int] = {}  # tokens this batch resolves, each once
    for i in np.flatnonzero(values == missing).tolist():
        token = tokens[i]
        value = new.get(token)
        if value is None:
            value = new[token] = resolve(token)
        values[i] = value
    return values


class FramingVectorizer(TransformerMixin, BaseEstimator):
    """Tf-idf features of passages, the same as ``TfidfVectorizer(analyzer=analyze, sublinear_tf=True)``.

    Parameters
    ----------
    ngram_max : int, default=2
        Longest word n-gram.
    negation : bool, default=True
        Mark words in the scope of a negation with ``_NEG``.
    min_df : int, default=2
        Keep n-grams that occur in at least this many passages.
    scope : int, default=4
        Words after a negation that it marks (punctuation ends the scope sooner).
    prefix : int, default=0
        With a positive value, each word also gives its first ``prefix`` letters in folded Latin
        (:func:`framing.text.prefix_of`), a feature that survives inflection.
    """

    def __init__(self, *, ngram_max: int = 2, negation: bool = True, min_df: int = 2, scope: int = 4, prefix: int = 0):
        self.ngram_max = ngram_max
        self.prefix = prefix
        self.negation = negation
        self.min_df = min_df
        self.scope = scope

    def _reference(self) -> TfidfVectorizer:
        return TfidfVectorizer(
            analyzer=partial(analyze, ngram_max=self.ngram_max, negation=self.negation, scope=self.scope,
                             prefix=self.prefix),
            min_df=self.min_df,
            sublinear_tf=True,
            dtype=np.float32,
        )

    def fit(self, X, y=None):
        X = list(X)
        if self.ngram_max <= 2 and X:
            self.tfidf_ = self._fast_fit(X)
        else:
            self.tfidf_ = self._reference().fit(X)
        self.vocabulary_ = self.tfidf_.vocabulary_
        self.idf_ = self.tfidf_.idf_.astype(np.float32)
        self._compile()
        if self.fast_:
            self.counts(X)  # resolve the training passages' tokens now: a saved model starts warm
        return self

    def _fast_fit(self, docs: list[str]) -> TfidfVectorizer:
        """The reference vectorizer's vocabulary and idf, counted with array operations.

        Every stem of the training passages gets an id; unigram and bigram keys are
        counted once per passage, those in at least ``min_df`` passages are kept, named as
        the reference analyzer names them and numbered in alphabetical order, as
        ``TfidfVectorizer`` numbers them.
        """
        stems: dict[str, int] = {}

        resolved: dict[str, dict[str, int]] = {"en": {}, "sr": {}}

        def code(token: str, language: str) -> int:
            if token == _SEPARATOR:
                value = _SEPARATOR_CODE
            elif _is_punct(token):
                value = _PUNCT_BIT
            else:
                sid = stems.setdefault(stem(token, language), len(stems))
                value = (sid << _SHIFT) | (_NEG_BIT if self.negation and is_negation(token, language) else 0)
            resolved[language][token] = value
            return value

        prefixes: dict[str, int] = {}
        prefix_ids: dict[str, int] = {}

        def prefix_code(token: str) -> int:
            feature = prefix_of(token, self.prefix)
            value = -1 if feature is None else prefixes.setdefault(feature, len(prefixes))
            prefix_ids[token] = value
            return value

        keys, word_doc, n_docs, prefix_keys = self._encode(docs, resolved, code, prefix_ids, prefix_code)
        width = 2 * (len(stems) + 1)
        grams = [keys.astype(np.int64)]
        docs_of = [word_doc]
        if self.ngram_max >= 2 and len(keys) > 1:
            pair = word_doc[:-1] == word_doc[1:]
            grams.append(keys[:-1][pair].astype(np.int64) * width + keys[1:][pair] + width)  # bigram keys follow unigrams
            docs_of.append(word_doc[:-1][pair])
        first_prefix = width + width * width  # prefix keys follow bigrams
        if prefix_keys is not None:
            has = prefix_keys >= 0
            grams.append(prefix_keys[has] + first_prefix)
            docs_of.append(word_doc[has])
        grams, docs_of = np.concatenate(grams), np.concatenate(docs_of).astype(np.int64)
        n_keys = first_prefix + len(prefixes)
        if n_docs * n_keys >= 2**62:  # too many to pack into one integer: let the reference count
            return self._reference().fit(docs)
        pairs = np.sort(docs_of * n_keys + grams)  # (passage, key), once per passage: the document frequency
        present = np.sort(pairs[np.r_[True, pairs[1:] != pairs[:-1]]] % n_keys)
        starts = np.flatnonzero(np.r_[True, present[1:] != present[:-1]])
        keys_found, df = present[starts], np.diff(np.r_[starts, len(present)])
        keep = df >= self.min_df
        keys_found, df = keys_found[keep], df[keep]
        if not len(keys_found):
            raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
        names_of = np.empty(len(stems), dtype=object)
        for name, sid in stems.items():
            names_of[sid] = name
        prefix_names = np.empty(len(prefixes), dtype=object)
        for name, pid in prefixes.items():
            prefix_names[pid] = name

        def unigram(key: int) -> str:
            return names_of[key >> 1] + (NEG_SUFFIX if key & 1 else "")

        features = [unigram(k) if k < width else
                    prefix_names[k - first_prefix] if k >= first_prefix else
                    unigram((k - width) // width) + " " + unigram((k - width) % width)
                    for k in keys_found.tolist()]
        order = sorted(range(len(features)), key=features.__getitem__)
        reference = self._reference()
        reference.vocabulary_ = {features[i]: column for column, i in enumerate(order)}
        reference.fixed_vocabulary_ = False
        # as TfidfTransformer computes it, in the dtype of the count matrix (smooth idf)
        reference.idf_ = np.log((n_docs + 1) / (df[order].astype(np.float32) + np.float32(1))) + 1
        return reference

    def fit_transform(self, X, y=None):
        return self.fit(X).transform(X)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "tfidf_")
        return self.tfidf_.get_feature_names_out()

    # -- fast path -------------------------------------------------------------------------------
    def _compile(self) -> None:
        """Lookup tables from the vocabulary: stem ids, unigram columns, sorted bigram keys."""
        self.fast_ = self.ngram_max <= 2
        if not self.fast_:
            return
        stems: dict[str, int] = {}
        grams = []
        self.prefix_columns_ = {}
        for feature, column in self.vocabulary_.items():
            if feature.startswith(PREFIX_MARK):
                self.prefix_columns_[feature] = column
                continue
            parts = feature.split(" ")
            marked = []
            for part in parts:
                negated = part.endswith(NEG_SUFFIX)
                base = part[: -len(NEG_SUFFIX)] if negated else part
                marked.append((stems.setdefault(base, len(stems)), negated))
            grams.append((marked, column))
        self.stems_ = stems
        self.oov_ = len(stems)  # the id of every stem the vocabulary does not know
        width = 2 * (len(stems) + 1)
        self.width_ = width
        unigram = np.full(width, -1, dtype=np.int32)
        keys, columns = [], []
        for marked, column in grams:
            codes = [2 * sid + negated for sid, negated in marked]
            if len(codes) == 1:
                unigram[codes[0]] = column
            else:
                keys.append(codes[0] * width + codes[1])
                columns.append(column)
        self.unigram_columns_ = unigram
        self.bigram_table_ = _KeyTable(np.asarray(keys, dtype=np.int64), np.asarray(columns, dtype=np.int32))
        self._codes = {"en": {}, "sr": {}}
        self._prefix_codes = {}

    def __setstate__(self, state):
        self.__dict__.update(state)
        codes = state.get("_codes")
        self._codes = codes if isinstance(codes, dict) and set(codes) == {"en", "sr"} else {"en": {}, "sr": {}}
        self._prefix_codes = state.get("_prefix_codes", {})
        self.__dict__.setdefault("prefix", 0)
        self.__dict__.setdefault("prefix_columns_", {})

    def _prefix_column(self, token: str) -> int:
        """The column of a surface token's prefix feature, or -1."""
        feature = prefix_of(token, self.prefix)
        column = -1 if feature is None else self.prefix_columns_.get(feature, -1)
        if len(self._prefix_codes) < _CACHE_LIMIT:
            self._prefix_codes[token] = column
        return column

    def _code(self, token: str, language: str) -> int:
        """One integer per surface token read in ``language``: stem id, negation-word bit, punctuation bit."""
        if token == _SEPARATOR:
            return _SEPARATOR_CODE
        if _is_punct(token):
            code = _PUNCT_BIT
        else:
            sid = self.stems_.get(stem(token, language), self.oov_)
            code = (sid << _SHIFT) | (_NEG_BIT if self.negation and is_negation(token, language) else 0)
        cache = self._codes[language]
        if len(cache) < _CACHE_LIMIT:
            cache[token] = code
        return code

    def counts(self, X, profile_out: list | None = None) -> sp.csr_matrix:
        """Raw n-gram counts (passages × vocabulary) of ``X``.

        With a list as ``profile_out``, the language and script arrays of the passages (as
        :meth:`profile` gives them) are appended to it: read in the same pass.
        """
        check_is_fitted(self, "tfidf_")
        docs = list(X)
        if not self.fast_:
            if profile_out is not None:
                profile_out.append(self.profile(docs)[:2])
            return self._slow_counts(docs)
        code, word_doc, n_docs, prefix_cols = self._encode(
            docs, self._codes, self._code, self._prefix_codes, self._prefix_column, profile_out)
        sid = code >> 1
        known = sid != self.oov_
        unigram_cols = np.where(known, self.unigram_columns_[code], -1)
        rows, cols = [word_doc], [unigram_cols]
        if self.ngram_max >= 2 and len(code) > 1 and len(self.bigram_table_):
            pair = known[:-1] & known[1:] & (word_doc[:-1] == word_doc[1:])
            key = code[:-1][pair].astype(np.int64) * self.width_ + code[1:][pair]
            rows.append(word_doc[:-1][pair])
            cols.append(self.bigram_table_.lookup(key))
        if prefix_cols is not None:
            rows.append(word_doc)
            cols.append(prefix_cols)
        rows = np.concatenate(rows)
        cols = np.concatenate(cols)
        keep = cols >= 0
        matrix = sp.csr_matrix(
            (np.ones(int(keep.sum()), dtype=np.float32), (rows[keep], cols[keep])),
            shape=(n_docs, len(self.vocabulary_)),
        )
        matrix.sum_duplicates()
        return matrix

    def profile(self, X) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Language, script and stemming language of each passage, as :meth:`transform` reads them."""
        docs = list(X)
        token_doc, flags = self._separators(self._tokens(docs))
        return decide(flag_counts(flags, token_doc, len(docs)), docs)

    @staticmethod
    def _tokens(docs: list[str]) -> list[str]:
        joined = _SEPARATOR.join(docs)
        if joined.count(_SEPARATOR) != max(len(docs) - 1, 0):
            joined = _SEPARATOR.join(text.replace(_SEPARATOR, "\x01") for text in docs)
        return _TOKENIZER.tokenize(joined.lower())

    def _separators(self, tokens: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Each token's passage, and each token's language flags (:func:`framing.language.token_flags`; -1 marks
        the separators between passages)."""
        flags_cache = self.__dict__.setdefault("_flags", {_SEPARATOR: -1})

        def remembered(token: str) -> int:
            value = token_flags(token)
            if len(flags_cache) < _CACHE_LIMIT:
                flags_cache[token] = value
            return value

        flags = _resolved(tokens, flags_cache, remembered, missing=-2)
        return np.cumsum(flags == -1, dtype=np.int64), flags

    def _encode(self, docs: list[str], cache: dict, resolve, prefix_cache: dict | None = None, prefix_resolve=None,
                profile_out: list | None = None):
        """The words of a batch: ``2 × stem id + negated`` per word, each word's passage, the passage count, and
        (with ``prefix``) each word's prefix code from ``prefix_cache``, else ``prefix_resolve(token)`` (-1: none).

        One tokenizer pass over the whole batch, passages joined by a separator character (a
        separator inside a passage becomes another punctuation mark, which analyzes the same).
        Each passage's language is decided from its tokens; surface tokens are resolved through
        ``cache[language]``, else ``resolve(token, language)``.
        """
        n_docs = len(docs)
        tokens = self._tokens(docs)
        token_doc, flags = self._separators(tokens)
        language, script, reads_as = decide(flag_counts(flags, token_doc, n_docs), docs)
        if profile_out is not None:
            profile_out.append((language, script))
        serbian_doc = np.r_[reads_as == "sr", False]  # the trailing slot: past the last separator
        serbian = serbian_doc[token_doc]
        codes = np.empty(len(tokens), dtype=np.int64)
        for language, where in (("en", ~serbian), ("sr", serbian)):
            positions = np.flatnonzero(where)
            if not len(positions):
                continue
            subset = [tokens[i] for i in positions.tolist()]
            codes[positions] = _resolved(subset, cache[language], partial(resolve, language=language))
        n_tokens = len(tokens)
        # separators count as punctuation: they end a negation scope and split bigrams
        punct = (codes & _PUNCT_BIT).astype(bool)
        code = 2 * (codes >> _SHIFT)
        if self.negation and n_tokens:
            neg_word = (codes & (_NEG_BIT | _PUNCT_BIT)) == _NEG_BIT  # negation words, not separators
            neg_positions = np.flatnonzero(neg_word)
            alive = np.ones(len(neg_positions), dtype=bool)
            for step in range(1, self.scope + 1):
                at = neg_positions + step
                inside = at < n_tokens
                if not inside.all():
                    at, neg_positions, alive = at[inside], neg_positions[inside], alive[inside]
                alive &= ~punct[at]
                marked = at[alive & ~neg_word[at]]
                code[marked] |= 1
        words = ~punct
        prefix_codes = None
        if self.prefix and prefix_resolve is not None:
            prefix_codes = _resolved(tokens, prefix_cache, prefix_resolve, missing=-2)[words]
        return code[words], token_doc[words], n_docs, prefix_codes

    def _slow_counts(self, docs) -> sp.csr_matrix:
        return self.tfidf_._count_vocab(docs, fixed_vocab=True)[1].astype(np.float32)

    def transform(self, X, profile_out: list | None = None) -> sp.csr_matrix:
        """Tf-idf matrix: sublinear term frequency × idf, rows scaled to unit length (``profile_out``: see :meth:`counts`)."""
        matrix = self.counts(X, profile_out)
        np.log(matrix.data, out=matrix.data)
        matrix.data += 1
        matrix.data *= self.idf_[matrix.indices]
        return normalize(matrix, copy=False) if matrix.shape[0] else matrix
