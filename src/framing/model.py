"""The framing classifier: a scikit-learn pipeline, its predictions and their explanations.

The pipeline is tf-idf over stemmed word n-grams with negation scope
(:class:`framing.features.FramingVectorizer`) followed by a logistic regression whose probabilities
are calibrated on cross-validated predictions (``CalibratedClassifierCV``). The
label order is the codebook's, never hard-coded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from .config import TrainingConfig
from .features import FramingVectorizer
from .language import profile
from .text import NEGATION_GAP, analyze_surface, analyze_words, is_stop_word, prefix_of, stems

__all__ = [
    "CueLexiconClassifier",
    "FramingModel",
    "build_pipeline",
    "probability_columns",
]


def build_pipeline(config: TrainingConfig | None = None) -> Pipeline:
    """An unfitted framing pipeline for ``config``."""
    config = config or TrainingConfig()
    features = FramingVectorizer(ngram_max=config.ngram_max, negation=config.negation, min_df=config.min_df,
                                 prefix=config.prefix)
    classifier = CalibratedClassifierCV(
        LogisticRegression(C=config.C, max_iter=5000),
        method=config.calibration,
        cv=StratifiedKFold(config.calibration_folds, shuffle=True, random_state=config.seed),
        ensemble=False,
    )
    return Pipeline([("features", features), ("classifier", classifier)])


def probability_columns(labels: Sequence[str]) -> list[str]:
    """Names of the probability columns, one per label: ``p_<label>``."""
    return [f"p_{label}" for label in labels]


def _linear_parts(pipeline: Pipeline) -> tuple[np.ndarray, np.ndarray]:
    """(classes, coefficients) of the linear model inside a fitted framing pipeline."""
    classifier = pipeline.named_steps["classifier"]
    if isinstance(classifier, CalibratedClassifierCV):
        estimator = classifier.calibrated_classifiers_[0].estimator
    else:
        estimator = classifier
    coef = np.asarray(estimator.coef_)
    classes = np.asarray(estimator.classes_)
    if coef.shape[0] == 1:  # binary: one row scores the second class against the first
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
    return classes, coef


@dataclass
class FramingModel:
    """A fitted pipeline together with the label set it speaks.

    Parameters
    ----------
    pipeline : Pipeline
        A fitted pipeline from :func:`build_pipeline`.
    labels : sequence of str
        The label set, in the codebook's order.
    index_positive, index_negative : str
        Labels whose probabilities make the index, P(positive) − P(negative).
    model_id : str
        Identifier written into every scored row.
    ngram_max, negation : int, bool
        The analyzer's settings, to map features back to the passage's words.
    """

    pipeline: Pipeline
    labels: tuple[str, ...]
    index_positive: str
    index_negative: str
    model_id: str = "unsaved"
    ngram_max: int = 2
    negation: bool = True
    manifest: dict = field(default_factory=dict)

    def __post_init__(self):
        check_is_fitted(self.pipeline)
        self.labels = tuple(self.labels)
        classes = list(self.pipeline.classes_)
        unknown = sorted(set(classes) - set(self.labels))
        if unknown:
            raise ValueError(f"the pipeline predicts labels {unknown} that are not in the label set {self.labels}")
        self._order = [classes.index(l) if l in classes else -1 for l in self.labels]
        self._coef_cache: tuple | None = None

    @property
    def _prefix(self) -> int:
        """Letters of the word-prefix features (0: none), as the vectorizer was fitted."""
        return getattr(self.pipeline.named_steps["features"], "prefix", 0)

    @property
    def index_name(self) -> str:
        return f"{self.index_positive}_index"

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities, one column per label in codebook order."""
        return self._ordered(self.pipeline.predict_proba(list(texts)))

    def predict_proba_profiled(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Probabilities (as :meth:`predict_proba`), language and script of each text, from one reading of the texts."""
        texts = list(texts)
        features = self.pipeline.named_steps["features"]
        if not isinstance(features, FramingVectorizer):  # a pipeline of one's own: read the languages apart
            found = profile(texts)
            return (self.predict_proba(texts), np.array([p.language for p in found], dtype=object),
                    np.array([p.script for p in found], dtype=object))
        read: list = []
        matrix = features.transform(texts, profile_out=read)
        language, script = read[0]
        return self._ordered(self.pipeline.named_steps["classifier"].predict_proba(matrix)), language, script

    def _ordered(self, raw: np.ndarray) -> np.ndarray:
        out = np.zeros((raw.shape[0], len(self.labels)), dtype=np.float64)
        for j, k in enumerate(self._order):
            if k >= 0:
                out[:, j] = raw[:, k]
        return out

    def predict_frame(self, texts: Sequence[str]) -> pd.DataFrame:
        """Label, ``p_<label>`` columns and the index for each text."""
        return self.frame_of(self.predict_proba(texts))

    def frame_of(self, proba: np.ndarray) -> pd.DataFrame:
        """Label, ``p_<label>`` columns and the index from probabilities in codebook order."""
        frame = pd.DataFrame(proba, columns=probability_columns(self.labels))
        frame.insert(0, "label", np.asarray(self.labels, dtype=object)[proba.argmax(axis=1)])
        pos, neg = self.labels.index(self.index_positive), self.labels.index(self.index_negative)
        frame[self.index_name] = proba[:, pos] - proba[:, neg]
        return frame

    def _contribution_weights(self) -> tuple[np.ndarray, np.ndarray, dict]:
        if self._coef_cache is None:
            classes, coef = _linear_parts(self.pipeline)
            centred = coef - coef.mean(axis=0, keepdims=True)
            names = self.pipeline.named_steps["features"].get_feature_names_out()
            rows = {c: i for i, c in enumerate(classes)}
            self._coef_cache = (centred, names, rows)
        return self._coef_cache

    def explain(self, texts: Sequence[str], k: int = 5, labels: Sequence[str] | None = None) -> list[list[tuple[str, float]]]:
        """The ``k`` terms that pushed each text most toward a label.

        The push of a term toward a label is its tf-idf weight in the passage times the
        label's logistic-regression coefficient, centred over labels: positive means the
        term made this label more likely than the others. Terms are shown in the
        passage's own words and script; features of the same words (a word and its
        prefix) are added up. Words in a negation's scope are shown after the word that
        negates them ("not … alliance"). A term made only of function words ("the",
        "of that"; "je", "и") is not shown: the model weighs it, but a reader cannot tell
        a frame by it. Terms that hold a content word ("forge a") are shown whole.

        Parameters
        ----------
        texts : sequence of str
        k : int
            Terms per text.
        labels : sequence of str, optional
            The label to explain for each text; by default the predicted one.
        """
        texts = list(texts)
        if not texts:
            return []
        centred, names, rows = self._contribution_weights()
        matrix = self.pipeline.named_steps["features"].transform(texts).tocsr()
        if labels is None:
            labels = self.predict_frame(texts)["label"].tolist()
        readings = [p.reads_as for p in profile(texts)]
        result = []
        for i, (text, label, language) in enumerate(zip(texts, labels, readings)):
            start, end = matrix.indptr[i], matrix.indptr[i + 1]
            columns, values = matrix.indices[start:end], matrix.data[start:end]
            if label not in rows or not len(columns):
                result.append([])
                continue
            pushes = values * centred[rows[label], columns]
            surface = analyze_surface(text, self.ngram_max, self.negation, language=language, prefix=self._prefix,
                                      show_negation=True)
            # features that are the same words of the passage (a word and its prefix) push together
            by_words: dict[str, float] = {}
            for column, push in zip(columns.tolist(), pushes.tolist()):
                feature = names[column]
                words = surface.get(feature, feature)
                by_words[words] = by_words.get(words, 0.0) + push
            shown = [(words, push) for words, push in by_words.items() if push > 0 and not all(
                is_stop_word(w.lower(), language) for w in words.split(NEGATION_GAP, 1)[-1].split())]
            shown.sort(key=lambda item: -item[1])
            result.append([(words, float(push)) for words, push in shown[:k]])
        return result

    def word_pushes(self, text: str, label: str | None = None) -> tuple[str, list[tuple[int, int, float]]]:
        """How much each word of ``text`` pushed it toward ``label`` (by default the predicted one).

        The push of each n-gram feature (as in :meth:`explain`) is shared equally among
        the words that make it, so a word's push is its unigram's plus its share of the
        bigrams it is part of, and the pushes of all words add up to the passage's.

        Returns
        -------
        label : str
        pushes : list of (start, end, push)
            Character offsets of each word in ``text`` and its push: positive toward
            ``label``, negative away from it.
        """
        if label is None:
            label = self.predict_frame([text])["label"].iloc[0]
        centred, _, rows = self._contribution_weights()
        features = self.pipeline.named_steps["features"]
        row = features.transform([text]).tocsr()
        weights = dict(zip(row.indices.tolist(), row.data.tolist()))
        words = analyze_words(text, self.negation)
        pushes = np.zeros(len(words))
        if label in rows:
            coefficients = centred[rows[label]]
            stems = [w[2] for w in words]
            for n in range(1, self.ngram_max + 1):
                for i in range(len(words) - n + 1):
                    column = features.vocabulary_.get(" ".join(stems[i : i + n]))
                    if column in weights:
                        pushes[i : i + n] += weights[column] * coefficients[column] / n
            if self._prefix:  # a word's prefix feature is all its own
                for i, (start, end, _) in enumerate(words):
                    feature = prefix_of(text[start:end].lower(), self._prefix)
                    column = features.vocabulary_.get(feature) if feature else None
                    if column in weights:
                        pushes[i] += weights[column] * coefficients[column]
        return label, [(start, end, float(push)) for (start, end, _), push in zip(words, pushes)]


class CueLexiconClassifier(ClassifierMixin, BaseEstimator):
    """Keyword baseline: count each label's cue words and phrases, pick the label with most.

    Cues are matched on stemmed tokens, so "alliances" matches the cue "alliance".
    With no cue in a passage, the ``fallback`` label is predicted. Probabilities are
    the cue counts normalised (one-hot on the fallback when none match).

    Parameters
    ----------
    cues : dict of str to list of str
        Cue words and phrases per label.
    fallback : str
        Label for passages without any cue.
    """

    def __init__(self, *, cues: dict | None = None, fallback: str | None = None):
        self.cues = cues
        self.fallback = fallback

    def fit(self, X, y):
        y = np.asarray(list(y), dtype=object)
        self.classes_ = np.array(sorted(set(y) | set(self.cues or {}) | {self.fallback} - {None}), dtype=object)
        if self.fallback is None or self.fallback not in self.classes_:
            raise ValueError(f"fallback {self.fallback!r} must be one of the labels {list(self.classes_)}")
        # a cue is matched as an English and as a Serbian word: cue lists hold both languages
        self.patterns_ = {
            label: sorted({tuple(stems(cue, language)) for cue in (self.cues or {}).get(label, []) for language in ("en", "sr")})
            for label in self.classes_
        }
        return self

    def _counts(self, text: str) -> np.ndarray:
        words = stems(text)
        grams = {}
        for n in {len(p) for ps in self.patterns_.values() for p in ps if p}:
            grams[n] = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
        counts = np.zeros(len(self.classes_))
        for j, label in enumerate(self.classes_):
            for pattern in self.patterns_[label]:
                if pattern:
                    counts[j] += grams[len(pattern)].count(pattern)
        return counts

    def predict_proba(self, X) -> np.ndarray:
        check_is_fitted(self, "patterns_")
        out = np.zeros((len(X), len(self.classes_)))
        fallback = list(self.classes_).index(self.fallback)
        for i, text in enumerate(X):
            counts = self._counts(text)
            if counts.sum() == 0:
                out[i, fallback] = 1.0
            else:
                out[i] = counts / counts.sum()
        return out

    def predict(self, X) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]
