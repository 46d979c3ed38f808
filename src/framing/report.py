"""The comparison report: source types (or any groups) side by side, in JSON, Markdown or HTML.

:func:`compare_scored` runs every statistic of :mod:`framing.compare` over a scored
table; the ``render_*`` functions turn the result into a document. Charts are drawn
with Altair (Vega-Lite).
"""

from __future__ import annotations

import html
import json
import re

from typing import Sequence

import numpy as np
import pandas as pd

from .compare import align_claims, distinctive_terms, frame_shares, keyword_in_context, label_association, pairwise_shares
from .errors import InputError

#: Groups made from the ``date`` column when the table has no column of that name.
TIME_BINS = {"week": "W", "month": "M", "quarter": "Q", "year": "Y"}
#: Columns that name the article a passage belongs to; the first present is the default bootstrap cluster.
CLUSTER_COLUMNS = ("article_id", "article", "url")

__all__ = ["scored_labels", "compare_scored", "render_json", "render_markdown", "render_html", "render"]


def scored_labels(scored: pd.DataFrame, source: str = "input") -> tuple[list[str], str]:
    """The label set (from the ``p_<label>`` columns) and the index column of a scored table."""
    labels = [c[2:] for c in scored.columns if c.startswith("p_")]
    indexes = [c for c in scored.columns if re.fullmatch(r"\w+_index", c) and not c.startswith("input_")]
    if len(labels) < 2 or len(indexes) != 1 or "label" not in scored.columns:
        raise InputError("not a scored table: it needs p_<label> columns, one <label>_index column and a label column "
                         "(score it first with `framing score`)", path=source)
    return labels, indexes[0]


def _typed_scores(scored: pd.DataFrame, labels: Sequence[str], index: str) -> pd.DataFrame:
    """Scores as numbers and unscored rows' labels as missing, whatever format the table was read from.

    A scored CSV reads back as text: probabilities are strings and an unscored row's label is "".
    """
    numeric = [f"p_{l}" for l in labels] + [index]
    typed = scored.assign(**{c: pd.to_numeric(scored[c].replace("", None)) for c in numeric})
    for column in ("label", "status"):
        if column in typed.columns:
            typed[column] = typed[column].replace("", None)
    return typed


def _pct(value: float) -> str:
    return f"{100 * value:.0f}%"


def _p(value: float) -> str:
    return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"


def compare_scored(
    scored: pd.DataFrame,
    *,
    group: str = "source_type",
    cluster: str | None = None,
    n_boot: int = 1000,
    min_n: int = 10,
    top_terms: int = 12,
    seed: int = 0,
    source: str = "input",
    counts: tuple | None = None,
    claims: bool = True,
    typical: int = 50,
) -> dict:
    """Every comparison of the groups of a scored table, as plain data (JSON-ready).

    ``group`` is any column (source type, outlet, story, speaker), or ``week``,
    ``month``, ``quarter`` or ``year`` made from the ``date`` column. The bootstrap
    resamples whole ``cluster`` units; by default the first of ``article_id``,
    ``article`` or ``url`` the table has, else single passages.

    ``counts`` is the :func:`framing.compare.term_counts` of the table's texts, row
    for row, when it was computed beforehand (the dashboard counts a collection once
    and compares any filtered part of it); ``claims=False`` skips claim alignment.
    ``passages`` holds, per group and label, the ``typical`` passages with that label
    that the model gives it most surely.
    """
    labels, index = scored_labels(scored, source)
    scored = _typed_scores(scored, labels, index)
    if group in TIME_BINS and group not in scored.columns:
        if "date" not in scored.columns:
            raise InputError(f"grouping by {group} needs a date column", path=source)
        dates = pd.to_datetime(scored["date"], errors="coerce")
        scored = scored.assign(**{group: dates.dt.to_period(TIME_BINS[group]).astype(str).where(dates.notna())})
    if cluster is None:
        cluster = next((c for c in CLUSTER_COLUMNS if c in scored.columns), None)
    for column in (group, cluster):
        if column and column not in scored.columns:
            raise InputError(f"no column {column!r}; the columns are {list(scored.columns)}", path=source)
    keep = np.ones(len(scored), dtype=bool)
    if "status" in scored.columns:
        keep &= (scored["status"].fillna("ok") == "ok").to_numpy()
    keep &= scored[group].notna().to_numpy()
    ok = scored[keep]
    positive = index[: -len("_index")]
    shares = frame_shares(ok, labels, group=group, cluster=cluster, index=index, n_boot=n_boot, min_n=min_n, seed=seed)
    association = label_association(ok, labels, group=group, min_n=min_n)
    pairwise = pairwise_shares(ok, positive, group=group, min_n=min_n) if positive in labels else pd.DataFrame()
    names = ok[group].astype(str)
    terms = pd.DataFrame()
    if "text" in ok:
        if counts is not None:
            counts = (counts[0][np.flatnonzero(keep)], counts[1])
        terms = distinctive_terms(ok["text"], names.tolist(), top=top_terms, counts=counts)
    if len(terms):
        texts = {g: part.tolist() for g, part in ok["text"].groupby(names, sort=False)}
        terms["context"] = [keyword_in_context(texts[g], t, limit=3) for g, t in zip(terms["group"], terms["term"])]
    aligned = pd.DataFrame()
    if claims and {"story", "text"} <= set(ok.columns):
        aligned = align_claims(ok, index=index, group=group)
    shown = [c for c in ("id", "text", index) if c in ok]
    result = {
        "group": group,
        "cluster": cluster,
        "labels": labels,
        "index": index,
        "positive": positive,
        "n_passages": int(len(ok)),
        "n_unscored": int(len(scored) - len(ok)),
        "shares": shares.to_dict("records"),
        "association": association,
        "pairwise": pairwise.to_dict("records"),
        "terms": terms.to_dict("records"),
        "claims": aligned.to_dict("records"),
        "passages": _typical_passages(ok, labels, group, shown, typical),
    }
    result["summary"] = summary_sentences(result)
    return json.loads(json.dumps(result, default=_jsonable))


def _typical_passages(ok: pd.DataFrame, labels: Sequence[str], group: str, shown: list[str], typical: int) -> dict:
    """Per group and label, the ``typical`` passages with that label that the model gives it most surely."""
    out = {str(g): {str(l): [] for l in labels} for g in sorted(ok[group].unique())}
    for label in labels:
        column = f"p_{label}"
        chosen = ok.loc[ok["label"] == label, list(dict.fromkeys([group, *shown, column]))]
        top = chosen.sort_values(column, ascending=False, kind="stable").groupby(group, sort=False).head(typical)
        for g, part in top.groupby(group, sort=False):
            out[str(g)][str(label)] = part[shown].to_dict("records")
    return out


def _jsonable(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return str(value)


def summary_sentences(result: dict) -> list[str]:
    """The findings in plain words, with intervals and tests; small groups said to be too small."""
    positive, group = result["positive"], result["group"]
    rows = [r for r in result["shares"] if r["label"] == positive]
    rows.sort(key=lambda r: -r["share"])
    sentences = []
    big = [r for r in rows if not r["too_small"]]
    if big:
        parts = [f"{r[group]} in {_pct(r['share'])} [{_pct(r['low'])}–{_pct(r['high'])}]" for r in big]
        sentences.append(f"Framed as {positive}: " + ", ".join(parts) + " of passages (calibrated shares, 95% intervals).")
    small = [r[group] for r in rows if r["too_small"]]
    if small:
        sentences.append(f"Too few passages to report on: {', '.join(map(str, small))}.")
    association = result["association"]
    if association.get("testable"):
        verdict = "differ" if association["p_value"] < 0.05 else "do not differ detectably"
        sentences.append(
            f"The {group.replace('_', ' ')} groups {verdict} in how they frame the story "
            f"(chi-square {association['chi2']:.1f}, {_p(association['p_value'])}, Cramér's V {association['cramers_v']:.2f})."
        )
    for pair in result["pairwise"]:
        if pair["p_holm"] < 0.05:
            more, less = (pair["a"], pair["b"]) if pair["difference"] > 0 else (pair["b"], pair["a"])
            sentences.append(f"{more} passages use the {positive} frame more than {less} passages "
                             f"({_pct(max(pair['share_a'], pair['share_b']))} vs {_pct(min(pair['share_a'], pair['share_b']))}; "
                             f"the difference is significant, Holm-corrected {_p(pair['p_holm'])}).")
    exaggerating = [c for c in result["claims"] if c["verdict"] == "exaggerates"]
    if result["claims"]:
        sentences.append(f"{len(exaggerating)} of {len(result['claims'])} retellings of official statements exaggerate them.")
    return sentences


def _shares_by_group(result: dict) -> dict[str, dict[str, dict]]:
    """The share rows of a comparison as ``{group: {label: row}}``, in the order they came."""
    by_group: dict = {}
    for row in result["shares"]:
        by_group.setdefault(str(row[result["group"]]), {})[row["label"]] = row
    return by_group


def render_json(result: dict) -> str:
    return json.dumps(result, indent=2, ensure_ascii=False) + "\n"


def render_markdown(result: dict) -> str:
    group, index = result["group"], result["index"]
    lines = [f"# How each {group} frames the story", "", f"{result['n_passages']} scored passages"
             + (f" ({result['n_unscored']} rows could not be scored and are left out)" if result["n_unscored"] else "") + ".", ""]
    lines += [f"- {s}" for s in result["summary"]] + ["", "## Frame shares (95% bootstrap intervals)", ""]
    labels = result["labels"]
    lines.append(f"| {group} | n | " + " | ".join(labels) + f" | mean {index} |")
    lines.append("|---" * (len(labels) + 3) + "|")
    by_group = _shares_by_group(result)
    for name, cells in by_group.items():
        first = next(iter(cells.values()))
        shares = " | ".join(f"{_pct(cells[l]['share'])} [{_pct(cells[l]['low'])}–{_pct(cells[l]['high'])}]" for l in labels)
        flag = " (too few)" if first["too_small"] else ""
        lines.append(f"| {name}{flag} | {first['n']} | {shares} | {first['index_mean']:+.2f} [{first['index_low']:+.2f}, {first['index_high']:+.2f}] |")
    if result["terms"]:
        lines += ["", "## Distinctive terms (log-odds with informative Dirichlet prior)", ""]
        for name in by_group:
            terms = [t for t in result["terms"] if t["group"] == str(name) and t["significant"]]
            shown = ", ".join(f"{t['term']} (z {t['z']:.1f})" for t in terms) or "none significant"
            lines.append(f"- **{name}**: {shown}")
    if result["claims"]:
        lines += ["", "## Claims retold", "", "| passage | retells | gap | verdict |", "|---|---|---|---|"]
        for c in result["claims"][:20]:
            lines.append(f"| {c['passage']} ({c['passage_group']}) | {c['statement']} | {c['gap']:+.2f} | {c['verdict']} |")
    return "\n".join(lines) + "\n"


def _charts(result: dict):
    import altair as alt

    group = result["group"]
    shares = pd.DataFrame(result["shares"])
    base = alt.Chart(shares).encode(x=alt.X("label:N", sort=result["labels"], title=None), color=alt.Color("label:N", sort=result["labels"]))
    bars = base.mark_bar().encode(y=alt.Y("share:Q", axis=alt.Axis(format="%"), title="share of passages"),
                                  tooltip=[group, "label", alt.Tooltip("share:Q", format=".1%"), "n"])
    errors = base.mark_rule(color="black").encode(y="low:Q", y2="high:Q")
    share_chart = (bars + errors).properties(width=150, height=200).facet(column=alt.Column(f"{group}:N", title=None))
    index = pd.DataFrame([{group: g, result["index"]: p[result["index"]]} for g, by_label in result["passages"].items()
                          for rows in by_label.values() for p in rows])
    index_chart = alt.Chart(index).mark_boxplot().encode(x=alt.X(f"{group}:N", title=None), y=alt.Y(f"{result['index']}:Q", scale=alt.Scale(domain=[-1, 1]))).properties(width=400, height=200)
    terms = pd.DataFrame(result["terms"])
    term_chart = None
    if len(terms):
        term_chart = alt.Chart(terms).mark_bar().encode(
            x=alt.X("z:Q", title="z-score"), y=alt.Y("term:N", sort="-x", title=None), row=alt.Row("group:N", title=None)
        ).properties(width=300, height=180)
    return share_chart, index_chart, term_chart


def render_html(result: dict) -> str:
    """A standalone HTML report; every share links to the passages behind it."""
    charts = [c for c in _charts(result) if c is not None]
    specs = [c.to_json() for c in charts]
    e = html.escape
    group, labels, index = result["group"], result["labels"], result["index"]
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>framing report</title>",
        "<script src='https://cdn.jsdelivr.net/npm/vega@5'></script><script src='https://cdn.jsdelivr.net/npm/vega-lite@5'></script>",
        "<script src='https://cdn.jsdelivr.net/npm/vega-embed@6'></script>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:auto}td,th{padding:4px 8px;border-bottom:1px solid #ddd}</style>",
        f"</head><body><h1>How each {e(group)} frames the story</h1><ul>",
        *[f"<li>{e(s)}</li>" for s in result["summary"]],
        "</ul><h2>Frame shares (95% bootstrap intervals)</h2><table><tr><th>" + e(group) + "</th><th>n</th>"
        + "".join(f"<th>{e(l)}</th>" for l in labels) + f"<th>mean {e(index)}</th></tr>",
    ]
    by_group = _shares_by_group(result)
    for name, cells in by_group.items():
        first = next(iter(cells.values()))
        cells_html = "".join(
            f"<td><a href='#p-{e(name)}-{e(l)}'>{_pct(cells[l]['share'])}</a> [{_pct(cells[l]['low'])}–{_pct(cells[l]['high'])}]</td>" for l in labels
        )
        parts.append(f"<tr><td>{e(name)}{' (too few)' if first['too_small'] else ''}</td><td>{first['n']}</td>{cells_html}"
                     f"<td>{first['index_mean']:+.2f}</td></tr>")
    parts.append("</table>")
    for i in range(len(specs)):
        parts.append(f"<div id='chart{i}'></div>")
    if result["claims"]:
        parts.append("<h2>Claims retold</h2><table><tr><th>passage</th><th>official statement</th><th>gap</th><th>verdict</th></tr>")
        for c in result["claims"][:50]:
            parts.append(f"<tr><td>{e(str(c['passage_text']))}</td><td>{e(str(c['statement_text']))}</td><td>{c['gap']:+.2f}</td><td>{e(c['verdict'])}</td></tr>")
        parts.append("</table>")
    parts.append("<h2>The passages behind the numbers</h2>")
    for name, by_label in result["passages"].items():
        for label, rows in by_label.items():
            parts.append(f"<h3 id='p-{e(name)}-{e(label)}'>{e(name)}: {e(label)}</h3><ul>")
            parts += [f"<li>{e(str(r.get('id', '')))} {e(str(r['text']))}</li>" for r in rows]
            parts.append("</ul>")
    parts.append("<script>" + "".join(f"vegaEmbed('#chart{i}', {spec});" for i, spec in enumerate(specs)) + "</script></body></html>")
    return "\n".join(parts)


def render(result: dict, fmt: str) -> str:
    return {"json": render_json, "md": render_markdown, "html": render_html}[fmt](result)
