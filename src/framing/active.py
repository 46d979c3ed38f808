"""What to label next: unlabelled passages ranked by how unsure the model is, kept diverse and shared among sources."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .model import FramingModel
from .store import QUEUE_COLUMNS, content_hash, resolve

__all__ = ["QUEUE_COLUMNS", "STRATEGIES", "doubted_labels", "label_queue", "queue_sheet", "uncertainty"]

STRATEGIES = ("margin", "entropy")


def uncertainty(proba: np.ndarray, strategy: str = "margin") -> np.ndarray:
    """How unsure each row of calibrated probabilities is, from 0 (certain) to 1.

    ``margin``: 1 minus the gap between the two likeliest labels. ``entropy``: the
    entropy of the probabilities divided by its maximum, log(number of labels).
    """
    proba = np.asarray(proba, dtype=float)
    if strategy == "margin":
        top = np.sort(proba, axis=1)
        return 1.0 - (top[:, -1] - top[:, -2])
    if strategy == "entropy":
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(proba > 0, -proba * np.log(proba), 0.0)
        return terms.sum(axis=1) / math.log(proba.shape[1])
    raise ValueError(f"unknown strategy {strategy!r}; choose one of {STRATEGIES}")


def label_queue(
    model: FramingModel,
    passages: pd.DataFrame,
    *,
    k: int = 50,
    strategy: str = "margin",
    quota_column: str | None = "source_type",
    max_similarity: float = 0.6,
    text_column: str = "text",
) -> pd.DataFrame:
    """The ``k`` passages most worth labelling next, best first.

    Passages are taken in order of :func:`uncertainty`, skipping any whose tf-idf cosine
    similarity to one already taken exceeds ``max_similarity`` (so ten near-copies of
    one hard passage do not fill the queue), with at most ``ceil(k / groups)`` from
    each value of ``quota_column`` while other groups still have candidates.

    Returns the chosen rows of ``passages`` with ``rank``, ``uncertainty``, the
    predicted ``label`` and the ``p_<label>`` columns (input columns of those names are
    replaced, except that an input ``label``, a gold label say, is kept as ``input_label``,
    and an input ``predicted`` as ``input_predicted``).
    """
    recomputed = [c for c in ("rank", "uncertainty", *(f"p_{label}" for label in model.labels), model.index_name)
                  if c in passages.columns]
    kept = {c: f"input_{c}" for c in ("label", "predicted") if c in passages.columns}
    if passages.empty or k <= 0:
        empty = passages.iloc[:0].drop(columns=recomputed).rename(columns=kept)
        return empty.assign(rank=pd.Series(dtype=int), uncertainty=pd.Series(dtype=float), label=pd.Series(dtype=object),
                            **{f"p_{label}": pd.Series(dtype=float) for label in model.labels})
    texts = passages[text_column].astype(str).tolist()
    scores = model.predict_frame(texts)
    unsure = uncertainty(scores[[f"p_{l}" for l in model.labels]].to_numpy(), strategy)
    features = model.pipeline.named_steps["features"].transform(texts).tocsr()
    groups = (passages[quota_column].astype(str).to_numpy() if quota_column and quota_column in passages.columns
              else np.full(len(passages), ""))
    quota = math.ceil(k / len(set(groups)))
    order = np.argsort(-unsure, kind="stable")
    chosen: list[int] = []
    taken: dict[str, int] = {}
    skipped: list[int] = []
    for strict in (True, False):  # a second pass fills the places of groups that ran out
        for i in order if strict else skipped:
            if len(chosen) == k:
                break
            if strict and taken.get(groups[i], 0) >= quota:
                skipped.append(i)
                continue
            if chosen and features[i].nnz and (features[chosen] @ features[i].T).max() > max_similarity:
                continue
            chosen.append(i)
            taken[groups[i]] = taken.get(groups[i], 0) + 1
    picked = passages.iloc[chosen].drop(columns=recomputed).rename(columns=kept)
    out = pd.concat([picked.reset_index(drop=True), scores.iloc[chosen].reset_index(drop=True)], axis=1)
    out.insert(0, "uncertainty", unsure[chosen])
    out.insert(0, "rank", np.arange(1, len(chosen) + 1))
    return out


def queue_sheet(queue: pd.DataFrame, labels) -> pd.DataFrame:
    """A queue from :func:`label_queue` laid out for labelling in a spreadsheet and importing back.

    The model's label becomes ``predicted`` and ``label`` is left empty for the annotator; ``rank``,
    ``uncertainty``, ``label`` and ``predicted`` come first, then the ``p_<label>`` columns and the passages' own
    (a gold label among them stays ``input_label``). ``framing labels import`` reads the file back, taking the
    rows whose ``label`` was filled in.
    """
    probabilities = [f"p_{label}" for label in labels]
    sheet = queue.rename(columns={"label": "predicted"}).assign(label="")
    first = [*QUEUE_COLUMNS, *[c for c in probabilities if c in sheet.columns]]
    return sheet[[*first, *[c for c in sheet.columns if c not in first]]]


def doubted_labels(scored: pd.DataFrame, labels: list[str], stored: pd.DataFrame, *, annotator: str = "", k: int = 50,
                   hashes: pd.Series | None = None) -> pd.DataFrame:
    """The labelled passages of a scored table, the label the model gives the least probability first.

    A passage's label is the label store's (the annotators' majority in ``stored``, the store's
    current labels) where it has one, else the table's ``annotated`` column; passages ``annotator``
    has labelled already are left out. ``hashes`` are the passages' content hashes, when known.

    Returns
    -------
    pandas.DataFrame
        At most ``k`` rows of ``scored`` with ``content_hash``, ``given`` (the label), ``given_by``
        (``label store`` or ``corpus``), ``doubt`` (1 minus the model's probability of the label)
        and ``rank``.
    """
    if hashes is None:
        hashes = scored["text"].astype(str).map(content_hash)
    stored_labels = resolve(stored).set_index("content_hash")["label"] if len(stored) else pd.Series(dtype=object)
    given = hashes.map(stored_labels).astype(object)
    by = pd.Series(np.where(given.notna(), "label store", "corpus"), index=scored.index)
    if "annotated" in scored.columns:
        given = given.fillna(scored["annotated"])
    mine = set(stored.loc[stored["annotator"] == annotator, "content_hash"]) if annotator else set()
    keep = given.notna() & given.astype(str).isin(labels) & ~hashes.isin(mine)
    if not keep.any():
        return scored.iloc[:0].assign(content_hash=pd.Series(dtype=str), given=pd.Series(dtype=str))
    rows = scored[keep].assign(content_hash=hashes[keep], given=given[keep].astype(str), given_by=by[keep])
    probabilities = np.column_stack([rows[f"p_{label}"].to_numpy(dtype=float) if f"p_{label}" in rows else np.zeros(len(rows))
                                     for label in labels])
    believed = probabilities[np.arange(len(rows)), [labels.index(g) for g in rows["given"]]]
    rows = rows.assign(doubt=1.0 - believed).sort_values("doubt", ascending=False, kind="stable")
    return rows.head(k).assign(rank=range(1, min(k, len(rows)) + 1))
