"""Comparing groups of passages (source types by default): frame shares with intervals.

Pure functions over tables of labelled or scored passages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats
from scipy.stats import norm

__all__ = [
    "wilson_interval",
    "label_shares",
    "frame_shares",
    "units_of",
    "group_tests",
    "corrected_shares",
    "log_odds_dirichlet",
    "term_counts",
    "distinctive_terms",
    "keyword_in_context",
    "CLAIM_THRESHOLD",
    "claim_verdict",
    "claim_vectorizer",
    "claim_words",
    "best_statements",
    "claim_threshold_curve",
    "calibrate_claim_threshold",
    "align_claims",
]


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


@dataclass(frozen=True)
class Units:
    """Passages summed per unit: the passages of one group within one cluster (an article, an outlet).

    The tests permute group labels across units, so a unit's passages always move
    together; without a cluster column every passage is its own unit. Units are kept in a
    canonical order (by cluster, then group), so results do not depend on row order.
    """

    names: list[str]  # the groups, sorted
    group: np.ndarray  # (U,) group code of each unit
    cluster: np.ndarray  # (U,) cluster code of each unit
    sums: np.ndarray  # (U, m) column sums of the unit's passages
    sizes: np.ndarray  # (U,) passages in the unit
    rows: np.ndarray  # (N,) unit of each passage, row for row

    @property
    def n_clusters(self) -> int:
        return int(self.cluster.max()) + 1 if len(self.cluster) else 0

    @cached_property
    def layout(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Units alone in their cluster (a mask), the indices of the others, and their clusters numbered from 0."""
        per_cluster = np.bincount(self.cluster, minlength=self.n_clusters)
        alone = per_cluster[self.cluster] == 1
        shared = np.flatnonzero(~alone)
        return alone, shared, np.unique(self.cluster[shared], return_inverse=True)[1].reshape(-1)


def units_of(values: np.ndarray, groups: Sequence, clusters: Sequence | None = None) -> Units:
    """Sum passage-level ``values`` (N × m) per (cluster, group) unit."""
    values = np.asarray(values, dtype=float).reshape(len(groups), -1)
    names, group_codes = np.unique(np.asarray(groups).astype(str), return_inverse=True)
    if clusters is None:
        cluster_codes = np.arange(len(group_codes))
    else:
        _, cluster_codes = np.unique(np.asarray(clusters).astype(str), return_inverse=True)
    keys = cluster_codes.astype(np.int64) * max(len(names), 1) + group_codes
    unique, rows = np.unique(keys, return_inverse=True)
    sums = np.zeros((len(unique), values.shape[1]))
    np.add.at(sums, rows, values)
    return Units(names=names.tolist(), group=(unique % max(len(names), 1)).astype(np.intp),
                 cluster=(unique // max(len(names), 1)).astype(np.intp), sums=sums,
                 sizes=np.bincount(rows, minlength=len(unique)).astype(float), rows=rows)


def _moments(units: Units, group: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Group means, their cluster-robust covariance (unscaled), passages and clusters per group.

    The means are the coefficients of a regression on group indicators; the covariance
    is the sandwich Σ_c ψ_c ψ_cᵀ over clusters, where ψ_c holds the cluster's residuals
    divided by each group's size (the influence of cluster c on each group mean). No
    small-sample factor is applied here.
    """
    g, m = len(units.names), units.sums.shape[1]
    n = np.bincount(group, weights=units.sizes, minlength=g)
    means = np.stack([np.bincount(group, weights=units.sums[:, j], minlength=g) for j in range(m)], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means /= n[:, None]
        residuals = (units.sums - units.sizes[:, None] * means[group]) / n[group][:, None]
    # Σ_c ψ_c ψ_cᵀ: a unit alone in its cluster adds r rᵀ to its group's block; clusters of several units
    # (an article quoting several groups) add their summed influence, cross-group terms included
    alone, shared, compact = units.layout
    raw = np.zeros((g * m, g * m))
    r, in_group = residuals[alone], group[alone]
    for a in range(m):
        for b in range(a, m):
            block = np.bincount(in_group, weights=r[:, a] * r[:, b], minlength=g)
            raw[np.arange(g) * m + a, np.arange(g) * m + b] = raw[np.arange(g) * m + b, np.arange(g) * m + a] = block
    if len(shared):
        k = int(compact.max()) + 1
        columns = (group[shared][:, None] * m + np.arange(m)).ravel()
        if k * g * m <= 20_000_000:
            psi = np.bincount(np.repeat(compact, m) * (g * m) + columns, weights=residuals[shared].ravel(),
                              minlength=k * g * m).reshape(k, g * m)
            raw += psi.T @ psi
        else:
            psi = sp.csr_matrix((residuals[shared].ravel(), (np.repeat(compact, m), columns)), shape=(k, g * m))
            raw += (psi.T @ psi).toarray()
    clusters = np.bincount(group, minlength=g)  # units are distinct (cluster, group) pairs
    return means, raw, n, clusters


def _t_intervals(means: np.ndarray, raw: np.ndarray, clusters: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Each group's mean ± t(k−1) × its cluster-robust standard error with the k/(k−1) correction (k: its clusters)."""
    g, m = means.shape
    k = clusters.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = np.diag(raw).reshape(g, m) * (k / (k - 1))[:, None]
        t = stats.t.ppf(0.5 + confidence / 2, np.maximum(k - 1, 1))[:, None]
    half = t * np.sqrt(np.maximum(variance, 0))
    return means - half, means + half


def frame_shares(
    scored: pd.DataFrame,
    labels: Sequence[str],
    *,
    group: str = "source_type",
    cluster: str | None = None,
    index: str | None = None,
    confidence: float = 0.95,
    min_n: int = 10,
    min_clusters: int = 5,
) -> pd.DataFrame:
    """Frame shares per group, from calibrated probabilities and from hard labels, with intervals.

    The calibrated share of a label is the mean of its ``p_<label>`` column
    (probabilistic classify-and-count); the hard-label share is the fraction of passages
    labelled with it. Intervals are t intervals with k − 1 degrees of freedom around the
    cluster-robust standard error, k being the group's clusters (its articles when
    ``cluster`` names them, its passages otherwise): the variance comes from the spread
    between whole articles, because passages of one article are not independent. Where
    that spread is zero (every passage the same, as in 0 of 10) the Wilson interval with
    k trials is used instead, so no interval has zero width. Each group's interval uses
    its own passages alone; nothing is random.

    A group with fewer than ``min_n`` passages or ``min_clusters`` clusters (when ``cluster`` is given) is marked
    ``too_small``: its shares are shown, but not its intervals (they are missing).

    Returns one row per (group, label): ``n``, ``clusters``, ``share``, ``low``,
    ``high``, ``hard_share``, ``hard_low``, ``hard_high``, ``too_small``; with ``index``
    (a column such as ``hype_index``) also ``index_mean``, ``index_low``, ``index_high``.
    """
    labels = list(labels)
    scored = scored[scored["label"].notna()] if "label" in scored.columns else scored
    if scored.empty:
        return pd.DataFrame(columns=[group, "label", "n", "clusters", "share", "low", "high", "hard_share", "hard_low",
                                     "hard_high", "too_small"])
    proba = scored[[f"p_{l}" for l in labels]].to_numpy(dtype=float)
    hard = (scored["label"].to_numpy(dtype=object)[:, None] == np.asarray(labels, dtype=object)[None, :]).astype(float)
    blocks = [proba, hard] + ([scored[[index]].to_numpy(dtype=float)] if index else [])
    values = np.hstack(blocks)
    units = units_of(values, scored[group].to_numpy(), scored[cluster].to_numpy() if cluster else None)
    means, raw, n, k = _moments(units, units.group)
    low, high = _t_intervals(means, raw, k, confidence)
    bounds = np.array([0.0] * (2 * len(labels)) + ([-1.0] if index else []))
    top = np.array([1.0] * (2 * len(labels)) + ([1.0] if index else []))
    low, high = np.clip(low, bounds, top), np.clip(high, bounds, top)
    # where articles do not vary at all, Wilson with one trial per cluster (a share of 0 or 1 is never certain)
    degenerate = np.diag(raw).reshape(means.shape) <= 1e-15
    for j in range(2 * len(labels)):
        w_low, w_high = wilson_interval(means[:, j] * k, k, confidence)
        low[:, j] = np.where(degenerate[:, j], w_low, low[:, j])
        high[:, j] = np.where(degenerate[:, j], w_high, high[:, j])
    low, high = np.minimum(low, means), np.maximum(high, means)  # rounding never leaves the estimate outside
    small = (n < min_n) | (k < (min_clusters if cluster else 0))
    low[small], high[small] = np.nan, np.nan
    rows = []
    m = len(labels)
    for g, name in enumerate(units.names):
        for j, label in enumerate(labels):
            row = {group: name, "label": label, "n": int(n[g]), "clusters": int(k[g]),
                   "share": means[g, j], "low": low[g, j], "high": high[g, j],
                   "hard_share": means[g, m + j], "hard_low": low[g, m + j], "hard_high": high[g, m + j],
                   "too_small": bool(small[g])}
            if index:
                row.update(index_mean=means[g, -1], index_low=low[g, -1], index_high=high[g, -1])
            rows.append(row)
    return pd.DataFrame(rows)


def _onto_simplex(v: np.ndarray) -> np.ndarray:
    """The closest point to each row of ``v`` with non-negative entries that sum to 1 (Euclidean projection)."""
    v = np.atleast_2d(v)
    u = -np.sort(-v, axis=1)
    cumulative = np.cumsum(u, axis=1) - 1
    steps = np.arange(1, v.shape[1] + 1)
    rho = (u - cumulative / steps > 0).sum(axis=1)
    theta = cumulative[np.arange(len(v)), rho - 1] / rho
    return np.maximum(v - theta[:, None], 0)


def corrected_shares(
    scored: pd.DataFrame,
    labels: Sequence[str],
    confusion: np.ndarray,
    *,
    group: str = "source_type",
    cluster: str | None = None,
    draws: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Hard-label shares corrected for the model's misclassification, with intervals that carry both uncertainties.

    ``confusion`` counts held-out passages by true label (rows) and predicted label
    (columns), in ``labels`` order: its rows give M[i, j] = P(predicted j | true i). The
    observed label shares q of a group are M'p for true shares p, so p solves M'p = q
    ("adjusted classify and count"), projected onto the shares that are possible. The
    interval comes from ``draws`` seeded draws of both ingredients: each row of M from its
    Dirichlet posterior (the held-out counts + ½), and q from the normal approximation
    with the cluster-robust covariance of the group's shares (units as in
    :func:`frame_shares`). The correction assumes the model errs on these passages as it
    erred on the held-out ones.

    Returns one row per (group, label): ``observed``, ``corrected``, ``low``, ``high``.
    """
    labels = list(labels)
    confusion = np.asarray(confusion, dtype=float)
    k = len(labels)
    if confusion.shape != (k, k):
        raise ValueError(f"the confusion matrix is {confusion.shape}, not {k} × {k} for the labels {labels}")
    scored = scored[scored["label"].notna()] if "label" in scored.columns else scored
    hard = (scored["label"].to_numpy(dtype=object)[:, None] == np.asarray(labels, dtype=object)[None, :]).astype(float)
    units = units_of(hard, scored[group].to_numpy(), scored[cluster].to_numpy() if cluster else None)
    means, raw, _, clusters = _moments(units, units.group)
    rates = confusion / confusion.sum(axis=1, keepdims=True)
    rng = np.random.default_rng(seed)
    sampled = np.stack([rng.dirichlet(row + 0.5, size=draws) for row in confusion], axis=1)  # draws × true × predicted
    alpha = (1 - confidence) / 2
    rows = []
    for g, name in enumerate(units.names):
        q = means[g]
        block = raw[g * k : (g + 1) * k, g * k : (g + 1) * k] * clusters[g] / max(clusters[g] - 1, 1)
        estimate = _onto_simplex(np.linalg.lstsq(rates.T, q, rcond=None)[0])[0]
        observed = rng.multivariate_normal(q, block, size=draws, method="svd")
        solved = np.linalg.solve(sampled.transpose(0, 2, 1), observed[..., None])[..., 0]
        low, high = np.quantile(_onto_simplex(solved), [alpha, 1 - alpha], axis=0)
        for j, label in enumerate(labels):
            rows.append({group: name, "label": label, "observed": q[j], "corrected": estimate[j],
                         "low": min(low[j], estimate[j]), "high": max(high[j], estimate[j])})
    return pd.DataFrame(rows)


def _wald(means: np.ndarray, cov: np.ndarray, contrasts: np.ndarray) -> float:
    """Wald statistic of ``contrasts @ means.ravel() = 0`` (a pseudo-inverse where the covariance is singular)."""
    d = contrasts @ means.ravel()
    return float(d @ np.linalg.pinv(contrasts @ cov @ contrasts.T, rcond=1e-10) @ d)


def _omnibus_contrasts(g: int, m: int, columns: Sequence[int]) -> np.ndarray:
    """Rows ``mean[h, j] − mean[0, j]`` for every group h > 0 and every column j of ``columns``."""
    rows = []
    for h in range(1, g):
        for j in columns:
            r = np.zeros(g * m)
            r[h * m + j], r[j] = 1.0, -1.0
            rows.append(r)
    return np.asarray(rows).reshape(-1, g * m)


def group_tests(
    scored: pd.DataFrame,
    labels: Sequence[str],
    positive: str | None = None,
    *,
    group: str = "source_type",
    cluster: str | None = None,
    min_n: int = 10,
    min_clusters: int = 5,
    permutations: int = 999,
    seed: int = 0,
) -> tuple[dict, pd.DataFrame]:
    """Do the groups frame the story differently? An omnibus test and pairwise tests that respect articles.

    The quantity tested is the calibrated share (mean ``p_<label>``). The omnibus
    statistic is the Wald statistic, with the cluster-robust covariance, of "every
    group has the same shares" (all labels but the last, whose share follows); each pair
    of groups gets the cluster-robust t statistic of its difference in the share of
    ``positive``. Their p-values come from a permutation test that moves group labels
    between units (the passages of one group in one cluster, moved together), with
    ``permutations`` seeded draws: no large-sample approximation, and passages of one article are never
    treated as independent evidence. The pairwise p-values are adjusted for every pair
    at once by the permutation distribution of the largest |t| (single-step max-T,
    Westfall & Young), which controls the chance of any false difference.

    Groups with fewer than ``min_n`` passages or ``min_clusters`` clusters (when ``cluster`` is given) are left out
    (and listed in ``too_small``). Returns the omnibus result and the pairwise table.
    """
    labels = list(labels)
    pair_columns = ["a", "b", "share_a", "share_b", "difference", "t", "p_value", "p_adjusted"]
    scored = scored[scored["label"].notna()] if "label" in scored.columns else scored
    values = scored[[f"p_{l}" for l in labels]].to_numpy(dtype=float)
    units = units_of(values, scored[group].to_numpy(), scored[cluster].to_numpy() if cluster else None) if len(scored) else None
    result = {"testable": False, "method": "permutation", "quantity": "calibrated share", "cluster": cluster,
              "permutations": permutations, "groups": [], "too_small": []}
    if units is None:
        return result, pd.DataFrame(columns=pair_columns)
    _, _, n, k = _moments(units, units.group)
    keep_groups = (n >= min_n) & (k >= (min_clusters if cluster else 0))
    result["too_small"] = [name for name, keep in zip(units.names, keep_groups) if not keep]
    kept = keep_groups[units.group]
    if keep_groups.sum() < 2:
        return result, pd.DataFrame(columns=pair_columns)
    names = [name for name, keep in zip(units.names, keep_groups) if keep]
    remap = np.cumsum(keep_groups) - 1
    _, cluster_codes = np.unique(units.cluster[kept], return_inverse=True)
    units = Units(names=names, group=remap[units.group[kept]], cluster=cluster_codes, sums=units.sums[kept],
                  sizes=units.sizes[kept], rows=np.empty(0, dtype=np.intp))
    g, m = len(names), len(labels)
    contrasts = _omnibus_contrasts(g, m, range(m - 1))
    pairs = [(a, b) for a in range(g) for b in range(a + 1, g)]
    j = labels.index(positive) if positive in labels else None

    def statistics(assignment: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        means, raw, _, _ = _moments(units, assignment)
        wald = _wald(means, raw, contrasts)
        if j is None:
            return wald, np.empty(0), means
        diag = np.diag(raw)
        t = np.array([(means[a, j] - means[b, j]) / np.sqrt(max(diag[a * m + j] + diag[b * m + j] - 2 * raw[a * m + j, b * m + j], 1e-300))
                      for a, b in pairs])
        return wald, t, means

    observed_wald, observed_t, means = statistics(units.group)
    rng = np.random.default_rng(seed)
    exceed_wald = 0
    exceed_t = np.zeros(len(pairs))
    exceed_max = np.zeros(len(pairs))
    for _ in range(permutations):
        wald, t, _ = statistics(rng.permutation(units.group))
        exceed_wald += wald >= observed_wald - 1e-12
        if len(t):
            exceed_t += np.abs(t) >= np.abs(observed_t) - 1e-12
            exceed_max += np.abs(t).max() >= np.abs(observed_t) - 1e-12
    result.update(testable=True, groups=names, statistic=observed_wald, df=int(contrasts.shape[0]),
                  p_value=(exceed_wald + 1) / (permutations + 1), n=int(units.sizes.sum()), clusters=int(units.n_clusters),
                  largest_gap=float((means[:, j].max() - means[:, j].min()) if j is not None else np.nan))
    rows = [{"a": names[a], "b": names[b], "share_a": means[a, j], "share_b": means[b, j],
             "difference": means[a, j] - means[b, j], "t": observed_t[i],
             "p_value": (exceed_t[i] + 1) / (permutations + 1), "p_adjusted": (exceed_max[i] + 1) / (permutations + 1)}
            for i, (a, b) in enumerate(pairs)] if j is not None else []
    return result, pd.DataFrame(rows, columns=pair_columns)


def log_odds_dirichlet(counts_group: np.ndarray, counts_rest: np.ndarray, prior: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Log-odds ratio of each word, one group against the rest, with an informative Dirichlet prior.

    Monroe, Colaresi & Quinn (2008), "Fightin' Words", eq. 16–22: returns ``(delta, z)``
    where ``delta`` is the prior-smoothed log-odds difference and ``z`` its z-score.
    """
    counts_group = np.asarray(counts_group, dtype=float)
    counts_rest = np.asarray(counts_rest, dtype=float)
    prior = np.asarray(prior, dtype=float)
    a0 = prior.sum()
    n_group, n_rest = counts_group.sum(), counts_rest.sum()
    group_odds = np.log(counts_group + prior) - np.log(n_group + a0 - counts_group - prior)
    rest_odds = np.log(counts_rest + prior) - np.log(n_rest + a0 - counts_rest - prior)
    delta = group_odds - rest_odds
    variance = 1.0 / (counts_group + prior) + 1.0 / (counts_rest + prior)
    return delta, delta / np.sqrt(variance)


def _split_words(column) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Arrow's word split of one column: (row of each word, code of each word, the distinct words)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    words = pc.split_pattern_regex(pc.utf8_lower(column), pattern=r"[^\p{L}\p{N}_'’\-]+")
    rows = pc.list_parent_indices(words).to_numpy()
    encoded = pc.dictionary_encode(pc.utf8_trim(pc.list_flatten(words), characters="'’-"))
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    return rows, encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary.to_pylist()


#: A counted word: letters, with hyphens or apostrophes only inside ("pro-government", "o'brien").
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
#: A possessive ending, dropped so that "Ghana's" counts as "ghana".
_POSSESSIVE = re.compile(r"['’]s$")


def term_counts(texts: Sequence[str] | pd.Series, *, threads: int | None = None) -> tuple[sp.csr_matrix, np.ndarray]:
    """Word counts of each text (texts × vocabulary) and the vocabulary, in alphabetical order.

    A word is a run of letters, digits, apostrophes and hyphens, lower-cased, with
    apostrophes and hyphens trimmed from its ends and a possessive "'s" dropped; words of
    letters (hyphens and apostrophes inside allowed), longer than one letter and not
    English or Serbian function words are counted. Arrow splits and encodes
    the collection in blocks on ``threads`` threads (default: one per core), so a table
    can be counted once and any subset of its rows compared later by slicing the matrix.
    """
    import os
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow as pa
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from .language import SERBIAN_WORDS, transliterate

    column = texts if isinstance(texts, (pa.Array, pa.ChunkedArray)) else pa.array(texts if isinstance(texts, pd.Series) else list(texts))
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
        column = column.cast(pa.large_string())
    n = len(column)
    threads = max(1, threads or os.cpu_count() or 1)
    step = max(10_000, -(-n // threads))
    starts = list(range(0, n, step)) or [0]
    with ThreadPoolExecutor(min(threads, len(starts))) as pool:
        blocks = list(pool.map(lambda start: _split_words(column.slice(start, step)), starts))
    ids: dict[str, int] = {}
    stop = frozenset(ENGLISH_STOP_WORDS) | SERBIAN_WORDS
    rows, codes = [], []
    for start, (block_rows, block_codes, dictionary) in zip(starts, blocks):
        mapping = np.array([ids.setdefault(_POSSESSIVE.sub("", w), len(ids)) for w in dictionary] + [-1], dtype=np.int64)
        rows.append(block_rows + start)
        codes.append(mapping[block_codes])
    rows, codes = np.concatenate(rows), np.concatenate(codes)
    dictionary = np.array(list(ids), dtype=object)
    wanted = np.flatnonzero([bool(_WORD.fullmatch(w)) and len(w) > 1 and w not in stop and transliterate(w) not in stop
                             for w in dictionary])  # Serbian function words in Cyrillic too
    vocabulary = dictionary[wanted]
    order = np.argsort(vocabulary, kind="stable")
    columns = np.full(len(dictionary) + 1, -1)
    columns[wanted[order]] = np.arange(len(order))
    cols = columns[codes]
    keep = cols >= 0
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows[keep], minlength=n), out=indptr[1:])
    matrix = sp.csr_matrix((np.ones(int(keep.sum()), dtype=np.int32), cols[keep], indptr), shape=(n, len(order)))
    matrix.sum_duplicates()
    return matrix, vocabulary[order].astype(str)


def _log_odds_z(by_group: np.ndarray, total: np.ndarray, prior: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`log_odds_dirichlet` of every group (rows of ``by_group``) against the rest at once."""
    a0 = prior.sum()
    rest = total[None, :] - by_group
    n_group = by_group.sum(axis=1, keepdims=True)
    n_rest = total.sum() - n_group
    delta = (np.log(by_group + prior) - np.log(n_group + a0 - by_group - prior)
             - np.log(rest + prior) + np.log(n_rest + a0 - rest - prior))
    return delta, delta / np.sqrt(1.0 / (by_group + prior) + 1.0 / (rest + prior))


def distinctive_terms(
    texts: Sequence[str],
    groups: Sequence[str],
    *,
    clusters: Sequence | None = None,
    top: int = 15,
    prior_strength: float | None = None,
    min_count: int = 3,
    alpha: float = 0.05,
    permutations: int = 199,
    seed: int = 0,
    counts: tuple[sp.csr_matrix, np.ndarray] | None = None,
) -> pd.DataFrame:
    """The words that set each group apart from all the others.

    Words are ranked, per group against the rest, by the z-score of the log-odds ratio
    with an informative Dirichlet prior (Monroe et al.'s "Fightin' Words"; the prior is
    the corpus-wide word frequencies scaled to ``prior_strength`` pseudo-counts, by
    default a tenth of the corpus's word count). The z-score treats every word as an
    independent draw, which news is not: an article repeats its story's words. So a word is
    called ``significant`` only by a permutation test that moves whole units (the
    passages of one group within one ``clusters`` value, an article) between groups:
    ``p_adjusted`` is the share of ``permutations`` seeded permutations in which some
    word of some group reached a z-score as high as this word's (single-step max-T over
    all words and groups, so the chance of any false "significant" word is at most
    ``alpha``). Without ``clusters`` every passage is its own unit.

    Returns the ``top`` words per group. ``counts``, the :func:`term_counts` of
    ``texts`` computed beforehand, saves tokenizing them again.
    """
    matrix, vocabulary = counts if counts is not None else term_counts(texts)
    matrix = matrix.tocsr()
    total = np.asarray(matrix.sum(axis=0)).ravel().astype(float)
    keep = total >= min_count
    matrix, vocabulary, total = matrix[:, keep], vocabulary[keep], total[keep]
    strength = prior_strength if prior_strength is not None else 0.1 * total.sum()
    prior = strength * total / max(total.sum(), 1)
    groups = np.asarray(list(groups), dtype=object).astype(str)
    columns = ["group", "term", "count", "log_odds", "z", "p_adjusted", "significant"]
    if not len(groups):
        return pd.DataFrame(columns=columns)
    units = units_of(np.zeros((len(groups), 1)), groups, None if clusters is None else np.asarray(clusters))
    to_unit = sp.csr_matrix((np.ones(len(groups)), (units.rows, np.arange(len(groups)))), shape=(len(units.sizes), len(groups)))
    unit_counts = (to_unit @ matrix).tocsr()
    g = len(units.names)

    def by_group(assignment: np.ndarray) -> np.ndarray:
        membership = sp.csr_matrix((np.ones(len(assignment)), (assignment, np.arange(len(assignment)))), shape=(g, len(assignment)))
        return np.asarray((membership @ unit_counts).todense(), dtype=float)

    delta, z = _log_odds_z(by_group(units.group), total, prior)
    rng = np.random.default_rng(seed)
    maxima = np.array([_log_odds_z(by_group(rng.permutation(units.group)), total, prior)[1].max(initial=-np.inf)
                       for _ in range(permutations)])
    counts_in = by_group(units.group)
    rows = []
    for i, name in enumerate(units.names):
        for j in np.argsort(-z[i], kind="stable")[:top]:
            p = (np.count_nonzero(maxima >= z[i, j] - 1e-12) + 1) / (permutations + 1)
            rows.append({"group": name, "term": vocabulary[j], "count": int(counts_in[i, j]), "log_odds": float(delta[i, j]),
                         "z": float(z[i, j]), "p_adjusted": float(p), "significant": bool(p < alpha and z[i, j] > 0)})
    return pd.DataFrame(rows, columns=columns)


def keyword_in_context(texts: Sequence[str], term: str, *, width: int = 40, limit: int = 5) -> list[str]:
    """Snippets of the passages that use ``term`` (case-insensitive, whole words), with the term in context."""
    import re

    pattern = re.compile(rf"(?i)\b{re.escape(term)}\b")
    snippets = []
    for text in texts:
        for match in pattern.finditer(text):
            start, end = max(match.start() - width, 0), min(match.end() + width, len(text))
            snippets.append(("…" if start else "") + text[start:end] + ("…" if end < len(text) else ""))
            if len(snippets) == limit:
                return snippets
    return snippets


#: Similarity from which a passage is taken to retell a statement: calibrated on labelled retellings
#: (``corpus/claims.jsonl``; ``benchmarks/claim_threshold.py`` measures it, and a test checks the value still holds).
CLAIM_THRESHOLD = 0.19
#: Verdicts of a retelling against the statement it retells.
VERDICTS = ("exaggerates", "same", "downplays", "adds a frame", "drops the frame", "neutral")


def claim_verdict(gap: float, passage_label: str, statement_label: str, *, neutral: str | None, margin: float) -> str:
    """How a retelling treats the statement it retells.

    Both framed: ``exaggerates`` when the retelling's index is more than ``margin``
    higher, ``downplays`` when more than ``margin`` lower, ``same`` otherwise. A neutral
    passage has no frame to be stronger or weaker than: a framed retelling of a neutral
    statement ``adds a frame``, a neutral retelling of a framed one ``drops the frame``,
    and two neutral passages are ``neutral``.
    """
    if neutral is not None and neutral in (passage_label, statement_label):
        if passage_label == statement_label:
            return "neutral"
        return "adds a frame" if statement_label == neutral else "drops the frame"
    return "exaggerates" if gap > margin else "downplays" if gap < -margin else "same"


def claim_vectorizer(texts: Sequence[str]):
    """The TF-IDF vectorizer of claims (stemmed content words), fitted on ``texts``; it transforms lists of stems.

    Pass texts through :func:`claim_words` first (so each text is read once).
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer=_identity, sublinear_tf=True)
    return vectorizer.fit(texts)


def _identity(words: list[str]) -> list[str]:
    return words


def claim_words(texts: Sequence[str], languages: Sequence | None = None) -> list[list[str]]:
    """The stemmed content words of each text, as claim alignment compares them.

    ``languages`` (``en`` or ``sr`` per text, as ``framing score`` writes them) saves
    reading each text's language again; other values are read from the text.
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from .language import SERBIAN_WORDS
    from .text import content_stems

    stop = frozenset(ENGLISH_STOP_WORDS) | SERBIAN_WORDS
    languages = [None] * len(texts) if languages is None else [l if l in ("en", "sr") else None for l in languages]
    return [content_stems(str(text), stop, language) for text, language in zip(texts, languages)]


def best_statements(passages: Sequence[str], statements: Sequence[str], story: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """For each passage, the statement it is most similar to and the similarity (IDF from ``story``, all its passages).

    ``passages``, ``statements`` and ``story`` are lists of :func:`claim_words`.
    """
    from sklearn.metrics.pairwise import cosine_similarity

    vectorizer = claim_vectorizer(story)
    reference, tellers = vectorizer.transform(statements), vectorizer.transform(passages)
    best, scores = np.zeros(len(passages), dtype=int), np.zeros(len(passages))
    step = max(1, 2_000_000 // max(len(statements), 1))  # bounded memory for the dense block
    for start in range(0, len(passages), step):
        block = cosine_similarity(tellers[start : start + step], reference)
        best[start : start + step] = block.argmax(axis=1)
        scores[start : start + step] = block.max(axis=1)
    return best, scores


def claim_threshold_curve(pairs: pd.DataFrame, thresholds: Sequence[float] = np.round(np.arange(0.05, 0.61, 0.01), 2)) -> pd.DataFrame:
    """Precision and recall of claim pairing at each threshold, on passages whose true statement is known.

    ``pairs`` has ``story``, ``role`` (``statement`` or ``passage``), ``id``, ``text``
    and ``retells`` (the id of the statement a passage retells, or empty), as
    ``corpus/claims.jsonl``. Each passage is paired as :func:`align_claims` pairs it;
    a reported pair is right when it names the statement the passage retells.
    Returns per threshold: ``reported``, ``precision``, ``recall``, and ``precision_<language>``
    when a ``language`` column is given.
    """
    found = []
    for _, part in pairs.groupby("story", sort=True):
        statements = part[part["role"] == "statement"]
        passages = part[part["role"] == "passage"]
        if statements.empty or passages.empty:
            continue
        words = dict(zip(part["id"], claim_words(part["text"])))
        best, scores = best_statements([words[i] for i in passages["id"]], [words[i] for i in statements["id"]],
                                       list(words.values()))
        truth = passages["retells"].fillna("").astype(str).to_numpy()
        found.append(pd.DataFrame({"similarity": scores, "right": statements["id"].to_numpy()[best] == truth,
                                   "retells": truth != "", "language": passages.get("language", pd.Series("", index=passages.index)).to_numpy()}))
    found = pd.concat(found, ignore_index=True)
    rows = []
    for t in thresholds:
        reported = found[found["similarity"] >= t]
        row = {"threshold": float(t), "reported": len(reported),
               "precision": float(reported["right"].mean()) if len(reported) else np.nan,
               "recall": float(reported["right"].sum() / max(found["retells"].sum(), 1))}
        for language, part in reported.groupby("language"):
            if language:
                row[f"precision_{language}"] = float(part["right"].mean())
        rows.append(row)
    return pd.DataFrame(rows)


def calibrate_claim_threshold(curve: pd.DataFrame, precision: float = 0.9, per_language: float = 0.85) -> float:
    """The smallest threshold of a :func:`claim_threshold_curve` from which precision stays at least ``precision``
    overall and ``per_language`` in each language."""
    by_language = [c for c in curve.columns if c.startswith("precision_")]
    good = (curve["precision"] >= precision) & (curve[by_language].fillna(1.0) >= per_language).all(axis=1)
    # the first threshold from which every larger one is good too
    tail_good = good[::-1].cummin()[::-1]
    if not tail_good.any():
        raise ValueError(f"no threshold reaches a precision of {precision}")
    return float(curve.loc[tail_good.idxmax(), "threshold"])


def align_claims(
    scored: pd.DataFrame,
    *,
    index: str = "hype_index",
    story: str = "story",
    group: str = "source_type",
    retellers: Sequence[str] = ("tabloid", "media"),
    reference: str = "official",
    threshold: float = CLAIM_THRESHOLD,
    margin: float = 0.25,
    neutral: str | None = "neutral",
) -> pd.DataFrame:
    """Pair each retelling passage with the reference statement it retells, and compare their framing.

    Within each story, every passage of a ``retellers`` group is matched to the
    ``reference`` passage (officials by default) with the highest TF-IDF cosine
    similarity over stemmed content words (IDF from the story's passages); pairs below
    ``threshold`` are not reported: below it most best matches are not retellings
    (:data:`CLAIM_THRESHOLD` is calibrated on labelled pairs). The verdict is
    :func:`claim_verdict` of the two passages' index and labels (``neutral`` names the
    label without a frame; ``None`` when the label set has none). Sorted by the size of the gap.
    """
    columns = ["story", "passage", "passage_group", "passage_text", "statement", "statement_text", "similarity",
               "passage_label", "statement_label", "passage_index", "statement_index", "gap", "verdict"]
    rows = []
    has_id = "id" in scored.columns
    status = scored["status"].fillna("ok") if "status" in scored.columns else pd.Series("ok", index=scored.index)
    for name, part in scored[status == "ok"].groupby(story, sort=True):
        is_teller = part[group].isin(retellers).to_numpy()
        is_statement = (part[group] == reference).to_numpy()
        if not is_teller.any() or not is_statement.any():
            continue
        tellers, statements = part[is_teller], part[is_statement]
        words = claim_words(part["text"].tolist(), part["language"].tolist() if "language" in part.columns else None)
        best, scores = best_statements([w for w, t in zip(words, is_teller) if t],
                                       [w for w, s in zip(words, is_statement) if s], words)
        chosen = scores >= threshold
        if not chosen.any():
            continue
        told, source = tellers[chosen], statements.iloc[best[chosen]]
        passage_labels = told["label"].astype(str).to_numpy() if "label" in told else np.full(len(told), "None")
        statement_labels = source["label"].astype(str).to_numpy() if "label" in source else np.full(len(told), "None")
        gaps = told[index].to_numpy(dtype=float) - source[index].to_numpy(dtype=float)
        rows.append(pd.DataFrame({
            "story": name,
            "passage": told["id"].to_numpy() if has_id else told.index.to_numpy(),
            "passage_group": told[group].to_numpy(),
            "passage_text": told["text"].to_numpy(),
            "statement": source["id"].to_numpy() if has_id else source.index.to_numpy(),
            "statement_text": source["text"].to_numpy(),
            "similarity": scores[chosen],
            "passage_label": passage_labels,
            "statement_label": statement_labels,
            "passage_index": told[index].to_numpy(dtype=float),
            "statement_index": source[index].to_numpy(dtype=float),
            "gap": gaps,
            "verdict": [claim_verdict(gap, a, b, neutral=neutral, margin=margin)
                        for gap, a, b in zip(gaps, passage_labels, statement_labels)],
        }))
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=columns)
    return out.reindex(out["gap"].abs().sort_values(ascending=False).index).reset_index(drop=True)
