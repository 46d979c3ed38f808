"""Retraining on newly labelled passages, safely: a candidate model compared with the current one.

The training set is the corpus plus the label store's labels (one per passage, the
annotators' majority); a store label on a corpus passage replaces the corpus label,
because that is how a user disagrees with one. Before the candidate is trained on all
of it, a comparison model is trained without a held-out share of the new passages (those
neither in the corpus nor seen by the current model), and both the comparison model and
the current model label those held-out passages: the same passages, unseen by either.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .codebook import Codebook
from .config import TrainingConfig
from .corpus import FIELDS, OPTIONAL_FIELDS
from .errors import CorpusError
from .evaluation import classification_report
from .model import FramingModel, build_pipeline
from .store import content_hash

__all__ = ["HOLDOUT_SHARE", "MIN_HELD_OUT", "UNKNOWN", "TrainingSet", "compare_on", "fit", "held_out", "training_set"]

#: Share of the newly labelled passages held out to compare a candidate with the current model.
HOLDOUT_SHARE = 0.2
#: The fewest new passages (unseen by the current model) a comparison needs.
MIN_HELD_OUT = 5

#: Source type and story of store passages that do not say.
UNKNOWN = "unknown"


@dataclass(frozen=True)
class TrainingSet:
    """The passages a model trains on, and where they came from.

    ``frame`` has the corpus fields plus ``content_hash`` and ``origin`` (``corpus`` or
    ``store``); ``relabelled`` counts corpus passages whose label the store changed.
    """

    frame: pd.DataFrame
    n_corpus: int
    n_store: int
    relabelled: int

    @property
    def store_hashes(self) -> list[str]:
        return self.frame.loc[self.frame["origin"] == "store", "content_hash"].tolist()


def training_set(corpus: pd.DataFrame, labels: pd.DataFrame, codebook: Codebook, *, store_path: str = "label store") -> TrainingSet:
    """Merge the corpus with the store's resolved labels (see :meth:`framing.store.LabelStore.resolved`).

    Raises
    ------
    CorpusError
        When a store label is not in the codebook: add it to the codebook first.
    """
    unknown = sorted(set(labels["label"]) - set(codebook.label_names))
    if unknown:
        raise CorpusError(f"the labels {unknown} are not in the codebook {list(codebook.label_names)}; add them first "
                          "(`framing codebook add-label NAME --definition ...`) or take them back "
                          "(`framing labels retract PASSAGE --annotator NAME`)", path=store_path)
    corpus = corpus.assign(content_hash=[content_hash(t) for t in corpus["text"]], origin="corpus")
    by_hash = labels.set_index("content_hash")["label"]
    in_corpus = corpus["content_hash"].isin(by_hash.index)
    changed = in_corpus & (corpus["content_hash"].map(by_hash) != corpus["label"])
    corpus.loc[in_corpus, "label"] = corpus.loc[in_corpus, "content_hash"].map(by_hash)
    new = labels[~labels["content_hash"].isin(corpus["content_hash"])]
    store_rows = new.reindex(columns=[*FIELDS, *OPTIONAL_FIELDS, "content_hash"]).assign(
        id=new["passage_id"], note="", origin="store", **{f: "" for f in OPTIONAL_FIELDS},
        source_type=new["source_type"].replace("", UNKNOWN), story=new["story"].replace("", UNKNOWN),
    )
    corpus = corpus.reindex(columns=[*corpus.columns, *[f for f in OPTIONAL_FIELDS if f not in corpus.columns]], fill_value="")
    frame = pd.concat([corpus, store_rows], ignore_index=True)[[*FIELDS, *OPTIONAL_FIELDS, "content_hash", "origin"]]
    return TrainingSet(frame, len(corpus), len(store_rows), int(changed.sum()))


def held_out(data: TrainingSet, seen: set[str], share: float, seed: int = 13, minimum: int = MIN_HELD_OUT) -> np.ndarray:
    """Which passages to hold out: a fixed ``share`` of the store's passages that ``seen`` lacks.

    The choice depends only on the passages' hashes and ``seed``, so repeated runs hold out
    the same passages. Returns a boolean mask over ``data.frame`` (all False when fewer
    than ``minimum`` unseen passages exist).
    """
    frame = data.frame
    candidates = (frame["origin"] == "store") & ~frame["content_hash"].isin(seen)
    mask = np.zeros(len(frame), dtype=bool)
    if candidates.sum() < minimum or share <= 0:
        return mask
    keys = frame.loc[candidates, "content_hash"].map(lambda h: hashlib.sha256(f"{seed}:{h}".encode()).hexdigest())
    chosen = keys.sort_values().index[: max(1, math.ceil(share * len(keys)))]
    mask[chosen] = True
    return mask


def _proba(model_labels, proba: np.ndarray, labels: list[str]) -> np.ndarray:
    out = np.zeros((proba.shape[0], len(labels)))
    for j, label in enumerate(labels):
        if label in model_labels:
            out[:, j] = proba[:, list(model_labels).index(label)]
    return out


def fit(frame: pd.DataFrame, config: TrainingConfig):
    """A framing pipeline fitted on a frame of labelled passages."""
    return build_pipeline(config).fit(frame["text"].tolist(), frame["label"].to_numpy(dtype=object))


def compare_on(data: TrainingSet, mask: np.ndarray, codebook: Codebook, pipeline, current: FramingModel | None) -> dict:
    """Label the held-out passages with ``pipeline`` (fitted without them) and with ``current``.

    Returns each model's metrics on the held-out passages and the passages whose label changed.
    """
    labels = list(codebook.label_names)
    test = data.frame[mask]
    texts, y = test["text"].tolist(), test["label"].to_numpy(dtype=object)
    candidate = _proba(list(pipeline.classes_), pipeline.predict_proba(texts), labels)
    result = {"held_out": len(test), "labels": labels, "candidate": classification_report(y, candidate, labels)}
    predicted = np.asarray(labels, dtype=object)[candidate.argmax(axis=1)]
    changed = []
    if current is not None:
        before = _proba(list(current.labels), current.predict_proba(texts), labels)
        result["current"] = classification_report(y, before, labels)
        was = np.asarray(labels, dtype=object)[before.argmax(axis=1)]
        for i in np.flatnonzero(was != predicted):
            changed.append({"id": str(test["id"].iloc[i]), "text": test["text"].iloc[i], "label": y[i],
                            "current": was[i], "candidate": predicted[i], "fixed": bool(predicted[i] == y[i]),
                            "broken": bool(was[i] == y[i])})
    result["changed"] = changed
    return result
