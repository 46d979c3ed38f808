"""Comparing groups of passages (source types by default): frame shares with intervals.

Pure functions over tables of labelled or scored passages.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from scipy.stats import norm

__all__ = ["wilson_interval", "label_shares"]


def wilson_interval(successes: np.ndarray, totals: np.ndarray, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for binomial proportions (well behaved near 0 and 1 and for small n)."""
    successes = np.asarray(successes, dtype=float)
    totals = np.asarray(totals, dtype=float)
    z = norm.ppf(0.5 + confidence / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(totals > 0, successes / totals, np.nan)
        denominator = 1 + z**2 / totals
        centre = (p + z**2 / (2 * totals)) / denominator
        half = z * np.sqrt(p * (1 - p) / totals + z**2 / (4 * totals**2)) / denominator
    return centre - half, centre + half


def label_shares(
    frame: pd.DataFrame,
    labels: Sequence[str],
    *,
    group: str = "source_type",
    label: str = "label",
    groups: Sequence[str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Share of each label within each group, with Wilson intervals.

    Returns one row per (group, label): ``count``, ``n`` (passages in the group),
    ``share``, ``low``, ``high``. Every label appears for every group, with zero
    counts where no passage has it, so shares within a group sum to 1.
    """
    groups = list(groups) if groups is not None else sorted(frame[group].dropna().unique())
    counts = pd.crosstab(frame[group], frame[label]).reindex(index=groups, columns=list(labels), fill_value=0)
    long = counts.stack().rename("count").reset_index()
    long.columns = [group, label, "count"]
    long["n"] = long[group].map(counts.sum(axis=1))
    long["share"] = np.where(long["n"] > 0, long["count"] / long["n"].where(long["n"] > 0, 1), np.nan)
    long["low"], long["high"] = wilson_interval(long["count"], long["n"], confidence)
    return long
