"""Agreement between annotators: Krippendorff's alpha for nominal labels.

Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": from the coincidence
matrix ``o`` of the values pairable within each unit (a passage labelled by two or more
annotators), ``alpha = 1 - (n - 1) * sum_{c != k} o_ck / sum_{c != k} n_c n_k``.
Values of 0.8 and above are usually taken as reliable, and 0.667 as the lowest that
supports tentative conclusions.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

__all__ = ["krippendorff_alpha", "agreement_report", "ALPHA_THRESHOLD"]

#: The lowest alpha that supports tentative conclusions (Krippendorff 2004).
ALPHA_THRESHOLD = 0.667


def krippendorff_alpha(units: list[list[str]]) -> float:
    """Krippendorff's alpha (nominal) of ``units``: for each unit, the labels its annotators gave.

    Units with fewer than two labels are not pairable and are left out. Returns NaN when
    fewer than two pairable values exist or all values are the same (no variation).

    >>> krippendorff_alpha([["a", "a"], ["b", "b"], ["a", "b"]])
    0.4444444444444444
    """
    pairable = [u for u in units if len(u) >= 2]
    values = sorted({v for u in pairable for v in u})
    if not pairable or len(values) < 2:
        return float("nan")
    index = {v: i for i, v in enumerate(values)}
    coincidence = np.zeros((len(values), len(values)))
    for unit in pairable:
        counts = np.bincount([index[v] for v in unit], minlength=len(values)).astype(float)
        coincidence += (np.outer(counts, counts) - np.diag(counts)) / (len(unit) - 1)
    totals = coincidence.sum(axis=1)
    n = totals.sum()
    observed = coincidence.sum() - np.trace(coincidence)
    expected = totals.sum() ** 2 - (totals**2).sum()
    return float(1 - (n - 1) * observed / expected) if expected else float("nan")


def agreement_report(current: pd.DataFrame, *, unit: str = "content_hash", threshold: float = ALPHA_THRESHOLD) -> dict:
    """Agreement of a table of labels (one row per unit and annotator: ``unit``, ``annotator``, ``label``).

    Returns alpha over the whole label set, alpha of each label against the rest, alpha
    per language of the passages (detected from their text, when the table has a ``text``
    column), and alpha for each pair of annotators on the passages both labelled, with the number of
    passages each figure rests on and whether the overall alpha is below ``threshold``.
    """
    labelled = current.groupby(unit)["label"].agg(list)
    shared = labelled[labelled.map(len) >= 2]
    alpha = krippendorff_alpha(shared.tolist())
    labels = sorted(current["label"].unique())
    per_label = {
        label: krippendorff_alpha([[v == label for v in unit_labels] for unit_labels in shared]) for label in labels
    }
    pairs = []
    by_annotator = {a: part.set_index(unit)["label"] for a, part in current.groupby("annotator")}
    for a, b in combinations(sorted(by_annotator), 2):
        both = by_annotator[a].index.intersection(by_annotator[b].index)
        if len(both):
            pairs.append({"a": a, "b": b, "passages": int(len(both)),
                          "alpha": krippendorff_alpha([[by_annotator[a][u], by_annotator[b][u]] for u in both]),
                          "raw_agreement": float((by_annotator[a][both] == by_annotator[b][both]).mean())})
    by_language = {}
    if "text" in current.columns and len(shared):
        from .language import profile

        texts = current.groupby(unit)["text"].first().reindex(shared.index)
        languages = np.array([p.language for p in profile(texts.fillna("").astype(str).tolist())], dtype=object)
        for language in sorted(set(languages)):
            units = shared[languages == language]
            value = krippendorff_alpha(units.tolist())
            by_language[language] = {"alpha": None if np.isnan(value) else value, "passages": int(len(units))}
    return {
        "alpha": alpha,
        "passages": int(len(shared)),
        "by_language": by_language,
        "annotators": int(current["annotator"].nunique()),
        "per_label": {k: (None if np.isnan(v) else v) for k, v in per_label.items()},
        "pairs": pairs,
        "threshold": threshold,
        "below_threshold": bool(not np.isnan(alpha) and alpha < threshold),
    }
