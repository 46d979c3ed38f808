"""What the dashboard shows, computed without Streamlit: a prepared collection, its filters and views.

A :class:`Collection` is a scored table made ready for interactive use once: scores
typed, unscored rows set aside, and the words of every passage counted (the slow part),
so that any filtered part of it is compared in a fraction of a second by the same
:func:`framing.report.compare_scored` that writes ``framing compare`` reports.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import date
from typing import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .compare import term_counts
from .errors import InputError
from .report import _typed_scores, compare_scored, scored_labels

__all__ = ["Collection", "Filters", "prepare", "filter_mask", "compare_view", "claims_view", "passages", "assign_roles",
           "highlight_html"]

#: Columns the dashboard filters and shows when a table has them.
FILTER_COLUMNS = ("story", "outlet", "date")


@dataclass(frozen=True, eq=False)
class Collection:
    """A scored table ready for the dashboard.

    Attributes
    ----------
    name : str
        What the user calls it (a file name, "bundled corpus").
    table : DataFrame
        The scored passages (``status`` ok), scores as numbers, a ``date`` column as dates.
    labels : tuple of str
        The label set, from the ``p_<label>`` columns.
    index : str
        The index column, ``<positive>_index``.
    counts : csr_matrix
        Word counts of ``table.text``, row for row (see :func:`framing.compare.term_counts`).
    vocabulary : ndarray
        The words of the columns of ``counts``.
    unscored : DataFrame
        The rows that could not be scored, with their reasons.
    dates : Series or None
        The ``date`` column read as dates (unreadable dates are missing), for the date filter.
    """

    name: str
    table: pd.DataFrame
    labels: tuple[str, ...]
    index: str
    counts: sp.csr_matrix
    vocabulary: np.ndarray
    unscored: pd.DataFrame = field(default_factory=pd.DataFrame)
    dates: pd.Series | None = None

    @property
    def positive(self) -> str:
        return self.index[: -len("_index")]

    def values(self, column: str) -> list:
        """The distinct values of a column, sorted (empty when the table lacks it)."""
        if column not in self.table.columns:
            return []
        return sorted(self.table[column].dropna().astype(str).unique())

    def date_range(self) -> tuple[date, date] | None:
        if self.dates is None or self.dates.isna().all():
            return None
        return self.dates.min().date(), self.dates.max().date()


def prepare(scored: pd.DataFrame, name: str = "input", group: str = "source_type") -> Collection:
    """Make a scored table ready for the dashboard (the one slow step: counting its words)."""
    labels, index = scored_labels(scored, name)
    missing = [c for c in ("text", group) if c not in scored.columns]
    if missing:
        raise InputError(f"a scored table for the dashboard needs the column(s) {missing}; the columns are {list(scored.columns)}", path=name)
    typed = _typed_scores(scored, labels, index)
    ok = (typed["status"].fillna("ok") == "ok") if "status" in typed.columns else pd.Series(True, index=typed.index)
    ok &= typed["label"].notna()
    table = typed[ok].reset_index(drop=True)
    for column in (group, "story", "outlet"):
        if column in table.columns:
            table[column] = table[column].astype("string")
    counts, vocabulary = term_counts(table["text"].astype("string[pyarrow]"))
    dates = _read_dates(table["date"]) if "date" in table.columns else None
    return Collection(name, table, tuple(labels), index, counts, vocabulary, typed[~ok].reset_index(drop=True), dates)


def _read_dates(column: pd.Series) -> pd.Series:
    """Dates of a column: ISO 8601 at speed, then any other format one by one."""
    dates = pd.to_datetime(column, errors="coerce", format="ISO8601")
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    retry = dates.isna() & column.notna() & (column.astype(str).str.strip() != "")
    if retry.any():
        dates[retry] = pd.to_datetime(column[retry], errors="coerce", format="mixed")
    return dates


@dataclass(frozen=True)
class Filters:
    """The dashboard's filters; an empty choice means no filter."""

    stories: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()
    dates: tuple[date, date] | None = None
    labels: tuple[str, ...] = ()
    search: str = ""


def filter_mask(collection: Collection, filters: Filters) -> np.ndarray:
    """Which passages of the collection pass the filters (a boolean array)."""
    table = collection.table
    mask = np.ones(len(table), dtype=bool)
    for column, chosen in (("story", filters.stories), ("outlet", filters.outlets), ("label", filters.labels)):
        if chosen and column in table.columns:
            mask &= table[column].isin(list(chosen)).to_numpy(dtype=bool, na_value=False)
    if filters.dates and collection.dates is not None:
        start, end = (pd.Timestamp(d) for d in filters.dates)
        dates = collection.dates
        mask &= ((dates >= start) & (dates < end + pd.Timedelta(days=1))).to_numpy(dtype=bool, na_value=False)
    if filters.search.strip():
        mask &= table["text"].str.contains(filters.search.strip(), case=False, regex=False).to_numpy(dtype=bool, na_value=False)
    return mask


def compare_view(
    collection: Collection,
    mask: np.ndarray | None = None,
    *,
    group: str = "source_type",
    cluster: str | None = None,
    permutations: int = 999,
    min_n: int = 10,
    top_terms: int = 12,
    claims: bool = False,
    typical: int = 3,
) -> dict:
    """The comparison of the filtered passages: the result of :func:`framing.report.compare_scored`."""
    rows = np.flatnonzero(mask) if mask is not None else np.arange(len(collection.table))
    part = collection.table.iloc[rows]
    if part.empty:
        raise InputError("no passage matches these filters", path=collection.name)
    return compare_scored(
        part, group=group, cluster=cluster, permutations=permutations, min_n=min_n, top_terms=top_terms, source=collection.name,
        counts=(collection.counts[rows], collection.vocabulary), claims=claims, typical=typical,
    )


def passages(
    collection: Collection,
    mask: np.ndarray | None = None,
    *,
    group: str = "source_type",
    value: str | None = None,
    label: str | None = None,
    term: str | None = None,
    sort: str | None = None,
) -> pd.DataFrame:
    """The passages behind a figure: those of one group value, label or distinctive term.

    ``term`` selects passages that use the word (as :func:`framing.compare.term_counts`
    counts it). ``sort`` is ``"typical"`` (most surely ``label`` first), ``"hype"``
    (highest index first), ``"uncertain"`` (smallest margin between the two likeliest
    labels first) or None (table order).
    """
    table = collection.table
    keep = np.ones(len(table), dtype=bool) if mask is None else np.asarray(mask, dtype=bool).copy()
    if value is not None:
        keep &= (table[group].astype(str) == value).to_numpy(dtype=bool, na_value=False)
    if label is not None:
        keep &= (table["label"] == label).to_numpy(dtype=bool, na_value=False)
    if term is not None:
        column = np.searchsorted(collection.vocabulary, term)
        if column < len(collection.vocabulary) and collection.vocabulary[column] == term:
            keep &= collection.counts[:, column].toarray().ravel() > 0
        else:
            keep[:] = False
    out = table[keep]
    if sort == "typical" and label is not None:
        out = out.sort_values(f"p_{label}", ascending=False, kind="stable")
    elif sort == "hype":
        out = out.sort_values(collection.index, ascending=False, kind="stable")
    elif sort == "uncertain":
        proba = np.sort(out[[f"p_{l}" for l in collection.labels]].to_numpy(dtype=float), axis=1)
        out = out.iloc[np.argsort(proba[:, -1] - proba[:, -2], kind="stable")]
    return out


def claims_view(collection: Collection, mask: np.ndarray | None = None) -> pd.DataFrame:
    """The claim-alignment pairs of the filtered passages (see :func:`framing.compare.align_claims`)."""
    from .compare import align_claims

    part = collection.table if mask is None else collection.table[mask]
    if not {"story", "text", "source_type"} <= set(part.columns):
        return pd.DataFrame()
    return align_claims(part, index=collection.index)


def assign_roles(table: pd.DataFrame, chosen: dict[str, str | None]) -> pd.DataFrame:
    """``table`` with each chosen column also under its role's name (``text``, ``source_type``, ...).

    A column already named after a role it does not play is kept as ``input_<name>``.
    Roles chosen as None are left alone.
    """
    out = table.copy()
    for role, column in chosen.items():
        if column is None or column == role:
            continue
        if role in out.columns:
            out = out.rename(columns={role: f"input_{role}"})
        out[role] = table[column]
    return out


def highlight_html(text: str, pushes: Sequence[tuple[int, int, float]], *, colour: str = "46, 125, 50",
                   against: str = "198, 40, 40", scale: float | None = None) -> str:
    """``text`` as HTML with each word shaded by how much it pushed the decision.

    Words that pushed toward the label are shaded in ``colour`` (an RGB triple), words
    that pushed away in ``against``; the strongest push gets full strength. Everything
    in ``text`` is escaped, so a passage holding markup shows as text.
    """
    strongest = scale or max((abs(p) for _, _, p in pushes), default=0.0)
    parts, at = [], 0
    for start, end, push in pushes:
        parts.append(html.escape(text[at:start]))
        word = html.escape(text[start:end])
        strength = abs(push) / strongest if strongest else 0.0
        if strength >= 0.05:
            rgb = colour if push > 0 else against
            parts.append(f'<span style="background: rgba({rgb}, {0.15 + 0.6 * strength:.2f}); border-radius: 3px" '
                         f'title="{push:+.3f}">{word}</span>')
        else:
            parts.append(word)
        at = end
    parts.append(html.escape(text[at:]))
    return "".join(parts).replace("\n", "<br>")
