"""Comparing groups of passages (source types by default): frame shares with intervals.

Pure functions over tables of labelled or scored passages.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.stats import norm

__all__ = [
    "wilson_interval",
    "label_shares",
    "frame_shares",
    "label_association",
    "holm",
    "pairwise_shares",
    "log_odds_dirichlet",
    "term_counts",
    "distinctive_terms",
    "keyword_in_context",
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


def _cluster_sums(values: np.ndarray, clusters: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-cluster column sums of ``values`` and the number of passages in each cluster."""
    _, inverse = np.unique(clusters, return_inverse=True)
    k = int(inverse.max()) + 1 if len(inverse) else 0
    sums = np.zeros((k, values.shape[1]))
    np.add.at(sums, inverse, values)
    return sums, np.bincount(inverse, minlength=k).astype(float)


def _cluster_bootstrap_means(sums: np.ndarray, sizes: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap distribution of the column means, resampling whole clusters.

    ``sums`` and ``sizes`` come from :func:`_cluster_sums`; passages of one cluster (an
    article, an outlet) are drawn together, because they are not independent of each other.
    """
    k = len(sizes)
    means = []
    batch = max(1, min(n_boot, 5_000_000 // max(k, 1)))  # bounded memory: batch × clusters weights
    for start in range(0, n_boot, batch):
        # how often each cluster is drawn, in each of this batch's resamples
        weights = rng.multinomial(k, np.full(k, 1.0 / k), size=min(batch, n_boot - start)).astype(float)
        means.append((weights @ sums) / (weights @ sizes)[:, None])
    return np.vstack(means)


def _cluster_normal_interval(sums: np.ndarray, sizes: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """The normal interval of the column means with the cluster-robust (linearised ratio) standard error.

    The large-sample limit of the cluster bootstrap: the mean is the ratio of cluster
    sums to cluster sizes, and its variance is that of the residuals ``sum - mean × size``
    between clusters.
    """
    k = len(sizes)
    means = sums.sum(axis=0) / sizes.sum()
    residuals = sums - np.outer(sizes, means)
    se = np.sqrt(k / max(k - 1, 1) * (residuals**2).sum(axis=0)) / sizes.sum()
    z = norm.ppf(0.5 + confidence / 2)
    return means - z * se, means + z * se


def frame_shares(
    scored: pd.DataFrame,
    labels: Sequence[str],
    *,
    group: str = "source_type",
    cluster: str | None = None,
    index: str | None = None,
    n_boot: int = 1000,
    confidence: float = 0.95,
    min_n: int = 10,
    seed: int = 0,
    max_boot_units: int = 5000,
) -> pd.DataFrame:
    """Frame shares per group, from calibrated probabilities and from hard labels, with bootstrap intervals.

    The probabilistic share of a label is the mean of its ``p_<label>`` column
    (probabilistic classify-and-count); the hard share is the fraction of passages
    labelled with it. Intervals are percentile intervals of a bootstrap that resamples
    whole ``cluster`` units (articles, outlets) when that column is given, passages
    otherwise. A group of more than ``max_boot_units`` units gets the bootstrap's
    large-sample limit instead: the normal interval with the cluster-robust standard
    error, which the bootstrap matches to the third decimal at that size and which costs
    one pass instead of ``n_boot`` (``interval`` says which). Groups with fewer than
    ``min_n`` passages are marked ``too_small``.

    Returns one row per (group, label): ``n``, ``clusters``, ``interval``, ``share``, ``low``, ``high``,
    ``hard_share``, ``hard_low``, ``hard_high``, ``too_small``; with ``index`` (a column
    such as ``hype_index``) also ``index_mean``, ``index_low``, ``index_high`` per group.
    """
    labels = list(labels)
    rng = np.random.default_rng(seed)
    alpha = (1 - confidence) / 2
    rows = []
    scored = scored[scored["label"].notna()] if "label" in scored.columns else scored
    for name, part in scored.groupby(group, sort=True):
        proba = part[[f"p_{l}" for l in labels]].to_numpy(dtype=float)
        hard = (part["label"].to_numpy(dtype=object)[:, None] == np.asarray(labels, dtype=object)[None, :]).astype(float)
        columns = [proba, hard]
        if index:
            columns.append(part[[index]].to_numpy(dtype=float))
        values = np.hstack(columns)
        clusters = part[cluster].astype(str).to_numpy() if cluster else np.arange(len(part))
        sums, sizes = _cluster_sums(values, clusters)
        bootstrap = len(sizes) <= max_boot_units
        if bootstrap:
            low, high = np.quantile(_cluster_bootstrap_means(sums, sizes, n_boot, rng), [alpha, 1 - alpha], axis=0)
        else:
            low, high = _cluster_normal_interval(sums, sizes, confidence)
            low, high = np.maximum(low, values.min(axis=0)), np.minimum(high, values.max(axis=0))
        means = values.mean(axis=0)
        k = len(labels)
        for j, label in enumerate(labels):
            row = {
                group: name,
                "label": label,
                "n": len(part),
                "clusters": len(sizes),
                "interval": "bootstrap" if bootstrap else "normal",
                "share": means[j],
                "low": min(low[j], means[j]),
                "high": max(high[j], means[j]),
                "hard_share": means[k + j],
                "hard_low": min(low[k + j], means[k + j]),
                "hard_high": max(high[k + j], means[k + j]),
                "too_small": len(part) < min_n,
            }
            if index:
                row.update(index_mean=means[-1], index_low=min(low[-1], means[-1]), index_high=max(high[-1], means[-1]))
            rows.append(row)
    return pd.DataFrame(rows)


def label_association(scored: pd.DataFrame, labels: Sequence[str], *, group: str = "source_type", min_n: int = 10) -> dict:
    """Are labels distributed differently across groups? Chi-square test and Cramér's V.

    Groups with fewer than ``min_n`` passages are left out (and listed), and so are
    labels no remaining passage has.
    """
    from scipy.stats import chi2_contingency

    table = pd.crosstab(scored[group], scored["label"]).reindex(columns=list(labels), fill_value=0)
    small = sorted(table.index[table.sum(axis=1) < min_n].tolist())
    table = table.drop(index=small)
    table = table.loc[:, table.sum(axis=0) > 0]
    if table.shape[0] < 2 or table.shape[1] < 2:
        return {"testable": False, "too_small": small, "groups": table.index.tolist()}
    chi2, p, dof, _ = chi2_contingency(table.to_numpy())
    n = table.to_numpy().sum()
    cramers_v = float(np.sqrt(chi2 / (n * (min(table.shape) - 1))))
    return {"testable": True, "chi2": float(chi2), "dof": int(dof), "p_value": float(p), "cramers_v": cramers_v,
            "n": int(n), "groups": table.index.tolist(), "too_small": small}


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm–Bonferroni adjusted p-values (same order as given)."""
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p)
    m = len(p)
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, (m - rank) * p[i])
        adjusted[i] = min(running, 1.0)
    return adjusted


def pairwise_shares(
    scored: pd.DataFrame, label: str, *, group: str = "source_type", min_n: int = 10
) -> pd.DataFrame:
    """For every pair of groups, is the share of ``label`` different? Two-sided Fisher exact tests, Holm-corrected."""
    from itertools import combinations

    from scipy.stats import fisher_exact

    counts = scored.groupby(group)["label"].agg(n="size", k=lambda s: int((s == label).sum()))
    eligible = counts[counts["n"] >= min_n]
    rows = []
    for a, b in combinations(eligible.index.tolist(), 2):
        ka, na, kb, nb = eligible.loc[a, "k"], eligible.loc[a, "n"], eligible.loc[b, "k"], eligible.loc[b, "n"]
        _, p = fisher_exact([[ka, na - ka], [kb, nb - kb]])
        rows.append({"a": a, "b": b, "share_a": ka / na, "share_b": kb / nb, "difference": ka / na - kb / nb, "p_value": p})
    out = pd.DataFrame(rows, columns=["a", "b", "share_a", "share_b", "difference", "p_value"])
    out["p_holm"] = holm(out["p_value"]) if len(out) else []
    return out


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


def term_counts(texts: Sequence[str] | pd.Series, *, threads: int | None = None) -> tuple[sp.csr_matrix, np.ndarray]:
    """Word counts of each text (texts × vocabulary) and the vocabulary, in alphabetical order.

    A word is a run of letters, digits, apostrophes and hyphens, lower-cased, with
    apostrophes and hyphens trimmed from its ends; words that are alphabetic, longer
    than one letter and not English or Serbian function words are counted. Arrow splits and encodes
    the collection in blocks on ``threads`` threads (default: one per core), so a table
    can be counted once and any subset of its rows compared later by slicing the matrix.
    """
    import os
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow as pa
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from .language import SERBIAN_WORDS

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
        mapping = np.array([ids.setdefault(w, len(ids)) for w in dictionary] + [-1], dtype=np.int64)
        rows.append(block_rows + start)
        codes.append(mapping[block_codes])
    rows, codes = np.concatenate(rows), np.concatenate(codes)
    dictionary = np.array(list(ids), dtype=object)
    wanted = np.flatnonzero([w.isalpha() and len(w) > 1 and w not in stop for w in dictionary])
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


def distinctive_terms(
    texts: Sequence[str],
    groups: Sequence[str],
    *,
    top: int = 15,
    prior_strength: float | None = None,
    min_count: int = 3,
    alpha: float = 0.05,
    counts: tuple[sp.csr_matrix, np.ndarray] | None = None,
) -> pd.DataFrame:
    """The words that set each group apart from all the others.

    For each group against the rest: the log-odds ratio with an informative Dirichlet
    prior (the corpus-wide word frequencies scaled to ``prior_strength`` pseudo-counts;
    by default a tenth of the corpus's word count, so the shrinkage does not depend on size),
    its z-score, a two-sided p-value and the Benjamini–Hochberg adjusted value over all
    words of that comparison. Returns the ``top`` words per group by z-score, with
    ``significant`` = adjusted p below ``alpha``. Works for any number of groups.

    ``counts``, the :func:`term_counts` of ``texts`` computed beforehand, saves
    tokenizing them again.
    """
    from scipy.stats import false_discovery_control

    matrix, vocabulary = counts if counts is not None else term_counts(texts)
    matrix = matrix.tocsr()
    total = np.asarray(matrix.sum(axis=0)).ravel()
    keep = total >= min_count
    matrix, vocabulary, total = matrix[:, keep], vocabulary[keep], total[keep]
    strength = prior_strength if prior_strength is not None else 0.1 * total.sum()
    prior = strength * total / max(total.sum(), 1)
    groups = np.asarray(list(groups), dtype=object)
    names, inverse = np.unique(groups.astype(str), return_inverse=True)
    membership = sp.csr_matrix((np.ones(len(groups)), (inverse, np.arange(len(groups)))), shape=(len(names), len(groups)))
    by_group = np.asarray((membership @ matrix).todense())
    rows = []
    for g, name in enumerate(names):
        in_group = by_group[g]
        delta, z = log_odds_dirichlet(in_group, total - in_group, prior)
        p = 2 * norm.sf(np.abs(z))
        adjusted = false_discovery_control(p) if len(p) else p
        for j in np.argsort(-z, kind="stable")[:top]:
            rows.append({"group": name, "term": vocabulary[j], "count": int(in_group[j]), "log_odds": float(delta[j]),
                         "z": float(z[j]), "p_value": float(p[j]), "p_bh": float(adjusted[j]),
                         "significant": bool(adjusted[j] < alpha and z[j] > 0)})
    return pd.DataFrame(rows, columns=["group", "term", "count", "log_odds", "z", "p_value", "p_bh", "significant"])


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


def align_claims(
    scored: pd.DataFrame,
    *,
    index: str = "hype_index",
    story: str = "story",
    group: str = "source_type",
    retellers: Sequence[str] = ("tabloid", "media"),
    reference: str = "official",
    threshold: float = 0.1,
    margin: float = 0.25,
) -> pd.DataFrame:
    """Pair each retelling passage with the reference statement it most likely retells, and compare their framing.

    Within each story, every passage of a ``retellers`` group is matched to the
    ``reference`` passage (officials by default) with the highest TF-IDF cosine
    similarity over stemmed words; pairs below ``threshold`` are not reported. The
    verdict compares the two passages' index: ``exaggerates`` when the retelling is
    more than ``margin`` higher, ``downplays`` when more than ``margin`` lower,
    ``same`` otherwise. Sorted by the size of the gap.
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    from .language import SERBIAN_WORDS
    from .text import content_stems

    stop = frozenset(ENGLISH_STOP_WORDS) | SERBIAN_WORDS
    columns = ["story", "passage", "passage_group", "passage_text", "statement", "statement_text", "similarity",
               "passage_index", "statement_index", "gap", "verdict"]
    rows = []
    has_id = "id" in scored.columns
    for name, part in scored[scored["status"].fillna("ok") == "ok"].groupby(story, sort=True):
        tellers = part[part[group].isin(retellers)]
        statements = part[part[group] == reference]
        if tellers.empty or statements.empty:
            continue
        vectorizer = TfidfVectorizer(
            analyzer=lambda text: content_stems(text, stop), sublinear_tf=True
        )
        vectorizer.fit(part["text"].tolist())
        reference_matrix = vectorizer.transform(statements["text"])
        teller_matrix = vectorizer.transform(tellers["text"])
        best = np.zeros(len(tellers), dtype=int)
        scores = np.zeros(len(tellers))
        step = max(1, 2_000_000 // max(len(statements), 1))  # bounded memory for the dense block
        for start in range(0, len(tellers), step):
            block = cosine_similarity(teller_matrix[start : start + step], reference_matrix)
            best[start : start + step] = block.argmax(axis=1)
            scores[start : start + step] = block.max(axis=1)
        for i, (_, passage) in enumerate(tellers.iterrows()):
            score = float(scores[i])
            if score < threshold:
                continue
            statement = statements.iloc[best[i]]
            gap = float(passage[index] - statement[index])
            rows.append({
                "story": name,
                "passage": passage["id"] if has_id else passage.name,
                "passage_group": passage[group],
                "passage_text": passage["text"],
                "statement": statement["id"] if has_id else statement.name,
                "statement_text": statement["text"],
                "similarity": score,
                "passage_index": float(passage[index]),
                "statement_index": float(statement[index]),
                "gap": gap,
                "verdict": "exaggerates" if gap > margin else "downplays" if gap < -margin else "same",
            })
    out = pd.DataFrame(rows, columns=columns)
    return out.reindex(out["gap"].abs().sort_values(ascending=False).index).reset_index(drop=True)
