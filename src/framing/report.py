"""The comparison report: source types (or any groups) side by side, in JSON, Markdown or HTML.

:func:`compare_scored` runs every statistic of :mod:`framing.compare` over a scored
table; the ``render_*`` functions turn the result into a document. Charts are drawn
with Altair (Vega-Lite) and rendered to SVG by vl-convert, so an HTML report needs no
script and no network to show them. Text from the data is escaped for the context it
lands in (HTML, Markdown).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .compare import (
    CLAIM_THRESHOLD,
    align_claims,
    corrected_shares,
    distinctive_terms,
    frame_shares,
    group_tests,
    keyword_in_context,
)
from .errors import InputError

#: Groups made from the ``date`` column when the table has no column of that name.
TIME_BINS = {"week": "W", "month": "M", "quarter": "Q", "year": "Y"}
#: Columns that name the article a passage belongs to; the first present is the default independent unit.
CLUSTER_COLUMNS = ("article_id", "article", "url")

__all__ = ["cluster_note", "compare_scored", "markdown_text", "render", "render_html", "render_json", "render_markdown", "scored_labels"]


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


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _p(value: float) -> str:
    return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"


def cluster_note(cluster: str | None) -> str:
    """What the intervals and tests take as independent, in one sentence (a warning when nothing is)."""
    if cluster:
        return (f"Unit of analysis: passages within {cluster} values; intervals and tests take each {cluster} as one "
                f"independent unit, so passages of one {cluster} that lean the same way do not count as separate evidence.")
    return ("Warning: no article column, so passages are treated as independent. If passages of one article lean the "
            "same way, the intervals are too narrow and the tests too eager; name the column that groups passages into "
            "articles (--cluster).")


def compare_scored(
    scored: pd.DataFrame,
    *,
    group: str = "source_type",
    cluster: str | None = None,
    permutations: int = 999,
    min_n: int = 10,
    min_clusters: int = 5,
    top_terms: int = 12,
    seed: int = 0,
    source: str = "input",
    counts: tuple | None = None,
    claims: bool = True,
    typical: int = 50,
    confusion: dict | None = None,
) -> dict:
    """Every comparison of the groups of a scored table, as plain data (JSON-ready).

    ``group`` is any column (source type, outlet, story, speaker), or ``week``,
    ``month``, ``quarter`` or ``year`` made from the ``date`` column. ``cluster`` is the
    column of the independent unit (the article): by default the first of
    ``article_id``, ``article`` or ``url`` the table has; without one (or with ``""``),
    passages are treated as independent and ``cluster_note`` says so. Intervals, tests and
    distinctive terms all respect it (:mod:`framing.compare`); the tests and terms use
    ``permutations`` permutations seeded with ``seed``.

    ``counts`` is the :func:`framing.compare.term_counts` of the table's texts, row
    for row, when it was computed beforehand (the dashboard counts a collection once
    and compares any filtered part of it); ``claims=False`` skips claim alignment.
    ``passages`` holds, per group and label, the ``typical`` passages with that label
    that the model gives it most surely.

    ``confusion`` (``{"labels": [...], "rows_true_columns_predicted": [[...]]}``, a
    model's held-out confusion matrix) adds ``corrected``: the hard-label shares
    corrected for the model's misclassification (:func:`framing.compare.corrected_shares`),
    an optional estimate kept apart from the calibrated shares.
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
    cluster = cluster or None  # "" asks for passages as the units
    for column in (group, cluster):
        if column and column not in scored.columns:
            raise InputError(f"no column {column!r}; the columns are {list(scored.columns)}", path=source)
    if permutations < 1:
        raise InputError(f"permutations must be at least 1, not {permutations}", path=source)
    keep = np.ones(len(scored), dtype=bool)
    if "status" in scored.columns:
        keep &= (scored["status"].fillna("ok") == "ok").to_numpy()
    keep &= scored[group].notna().to_numpy()
    missing_cluster = 0
    if cluster:
        has_cluster = scored[cluster].notna().to_numpy() & (scored[cluster].astype(str) != "").to_numpy()
        missing_cluster = int((keep & ~has_cluster).sum())
        keep &= has_cluster
    ok = scored[keep]
    positive = index[: -len("_index")]
    neutral = next((l for l in labels if l not in (positive, _opposite(ok, labels, index))), None)
    shares = frame_shares(ok, labels, group=group, cluster=cluster, index=index, min_n=min_n, min_clusters=min_clusters)
    association, pairwise = group_tests(ok, labels, positive if positive in labels else None, group=group, cluster=cluster,
                                        min_n=min_n, min_clusters=min_clusters, permutations=permutations, seed=seed)
    names = ok[group].astype(str)
    terms = pd.DataFrame()
    if "text" in ok and len(ok):
        if counts is not None:
            counts = (counts[0][np.flatnonzero(keep)], counts[1])
        terms = distinctive_terms(ok["text"], names.tolist(), clusters=ok[cluster].astype(str).to_numpy() if cluster else None,
                                  top=top_terms, counts=counts, permutations=min(permutations, 199), seed=seed)
    if len(terms):
        texts = {g: part.tolist() for g, part in ok["text"].groupby(names, sort=False)}
        terms["context"] = [keyword_in_context(texts[g], t, limit=3) for g, t in zip(terms["group"], terms["term"])]
    aligned = pd.DataFrame()
    if claims and {"story", "text"} <= set(ok.columns):
        aligned = align_claims(ok, index=index, group=group, neutral=neutral)
    corrected = []
    if confusion is not None:
        matrix = confusion_matrix_in(confusion, labels, source)
        corrected = corrected_shares(ok, labels, matrix, group=group, cluster=cluster, seed=seed).to_dict("records")
    shown = [c for c in ("id", "text", index) if c in ok]
    result = {
        "group": group,
        "cluster": cluster,
        "cluster_note": cluster_note(cluster),
        "labels": labels,
        "index": index,
        "positive": positive,
        "quantity": "calibrated share: the mean probability the model gives the label",
        "confidence": 0.95,
        "min_n": min_n,
        "min_clusters": min_clusters if cluster else None,
        "n_passages": len(ok),
        "n_unscored": int(len(scored) - len(ok) - missing_cluster),
        "n_without_cluster": missing_cluster,
        "shares": shares.to_dict("records"),
        "association": association,
        "pairwise": pairwise.to_dict("records"),
        "terms": terms.to_dict("records"),
        "claim_threshold": CLAIM_THRESHOLD,
        "claims": aligned.to_dict("records"),
        "corrected": corrected,
        "corrected_source": confusion.get("source", "") if confusion else "",
        "passages": _typical_passages(ok, labels, group, shown, typical),
    }
    result["summary"] = summary_sentences(result)
    return json.loads(json.dumps(result, default=_jsonable))


def confusion_matrix_in(confusion: dict, labels: Sequence[str], source: str = "input") -> np.ndarray:
    """A held-out confusion matrix (``{"labels", "rows_true_columns_predicted"}``) as counts in ``labels`` order."""
    if set(confusion["labels"]) != set(labels):
        raise InputError(f"the model's confusion matrix has the labels {confusion['labels']}, the table {list(labels)}",
                         path=source)
    order = [confusion["labels"].index(l) for l in labels]
    return np.asarray(confusion["rows_true_columns_predicted"], dtype=float)[np.ix_(order, order)]


def _opposite(ok: pd.DataFrame, labels: Sequence[str], index: str) -> str | None:
    """The label the index counts against (``routine`` for ``hype_index``): the one whose probability lowers it."""
    positive = index[: -len("_index")]
    others = [l for l in labels if l != positive]
    if len(others) < 2 or ok.empty:
        return others[0] if others else None
    rest = ok[index].to_numpy(dtype=float) - ok[f"p_{positive}"].to_numpy(dtype=float)
    errors = {l: float(np.nanmean(np.abs(rest + ok[f"p_{l}"].to_numpy(dtype=float)))) for l in others}
    return min(errors, key=errors.get)


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


def _interval(row: dict, low: str = "low", high: str = "high") -> str:
    if pd.isna(row[low]) or pd.isna(row[high]):
        return "no interval: too few"
    return f"{_pct(row[low])}–{_pct(row[high])}"


def _some(names: list[str], shown: int = 5, *, largest_first: bool = False) -> str:
    """Group names as a list that stays short: when there are many, how many, the first ``shown`` and how many more."""
    if len(names) <= shown + 1:
        return ", ".join(names)
    return (f"{len(names):,} groups, {'the largest ' if largest_first else ''}{', '.join(names[:shown])} "
            f"and {len(names) - shown:,} more")


def summary_sentences(result: dict) -> list[str]:
    """The findings in plain words: one quantity (the calibrated share) throughout, each test and its unit named."""
    positive, group = result["positive"], result["group"]
    unit = f"{result['cluster']} values" if result["cluster"] else "passages"
    sentences = [result["cluster_note"]]
    rows = sorted((r for r in result["shares"] if r["label"] == positive), key=lambda r: -r["share"])
    big = [r for r in rows if not r["too_small"]]
    if big:
        parts = [f"{r[group]} {_pct(r['share'])} [{_interval(r)}]" for r in big]
        sentences.append(f"Calibrated share of the {positive} frame (the mean probability the model gives it, 95% "
                         f"intervals over {unit}): " + ", ".join(parts) + ".")
    small = [str(r[group]) for r in sorted(rows, key=lambda r: -r["n"]) if r["too_small"]]
    if small:
        need = _count(result["min_n"], "passage") + (f" and {_count(result['min_clusters'], result['cluster'] + ' value')}"
                                                     if result["cluster"] else "")
        sentences.append(f"Too few to report on (each group needs {need}): {_some(small, largest_first=True)}.")
    association = result["association"]
    if association.get("testable"):
        verdict = "differ" if association["p_value"] < 0.05 else "do not differ detectably"
        sentences.append(
            f"The {group.replace('_', ' ')} groups {verdict} in their calibrated frame shares ({_p(association['p_value'])}, "
            f"permutation test of the cluster-robust Wald statistic over {association['clusters']:,} {unit}, "
            f"{association['permutations']:,} permutations)."
        )
    found = []
    for pair in sorted(result["pairwise"], key=lambda p: -abs(p["difference"])):
        if pair["p_adjusted"] < 0.05:
            (more, high), (less, low) = sorted([(pair["a"], pair["share_a"]), (pair["b"], pair["share_b"])], key=lambda x: -x[1])
            found.append(f"{more} above {less} ({_pct(high)} vs {_pct(low)}, {_p(pair['p_adjusted'])})")
    if found:
        sentences.append(f"Pairs whose calibrated {positive} shares differ (permutation tests over {unit}, p adjusted for "
                         "every pair): " + "; ".join(found) + ".")
    elif result["pairwise"]:
        sentences.append(f"No pair of groups differs detectably in its calibrated {positive} share (permutation tests over "
                         f"{unit}, p adjusted for every pair).")
    terms = [t for t in result["terms"] if t["significant"]]
    if result["terms"]:
        sentences.append(f"{len(terms)} distinctive words pass a permutation test over {unit} (a word counts only if it "
                         "sets a group apart more than words do when whole units are shuffled between groups)."
                         if terms else f"No word sets a group apart beyond what shuffling whole {unit} between groups gives.")
    if result["claims"]:
        counts: dict[str, int] = {}
        for claim in result["claims"]:
            counts[claim["verdict"]] = counts.get(claim["verdict"], 0) + 1
        told = ", ".join(f"{n} {verdict}" for verdict, n in sorted(counts.items(), key=lambda item: -item[1]))
        sentences.append(f"{len(result['claims'])} retellings paired with an official statement (similarity at least "
                         f"{result['claim_threshold']:.2f}): {told}.")
    return sentences


def _shares_by_group(result: dict) -> dict[str, dict[str, dict]]:
    """The share rows of a comparison as ``{group: {label: row}}``, in the order they came."""
    by_group: dict = {}
    for row in result["shares"]:
        by_group.setdefault(str(row[result["group"]]), {})[row["label"]] = row
    return by_group


def render_json(result: dict) -> str:
    return json.dumps(result, indent=2, ensure_ascii=False) + "\n"


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&$])")
_MARKDOWN_BLOCK = re.compile(r"^(\s*)([#+\-=>]|\d+[.)])")


def markdown_text(value) -> str:
    """``value`` as literal Markdown text, safe inline, in a list item or in a table cell.

    Every character that could open emphasis, code, a link or image, raw HTML, a table
    cell, strike-through, an entity or math is escaped, a line-opening marker (heading, list,
    quote) is escaped too, and line breaks become spaces.
    """
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))
    marker = lambda m: m.group(1) + (m.group(2)[:-1] + "\\" + m.group(2)[-1] if m.group(2)[0].isdigit() else "\\" + m.group(2))
    return _MARKDOWN_BLOCK.sub(marker, text)


def _number(value, fmt: str) -> str:
    return "–" if pd.isna(value) else format(value, fmt)


def render_markdown(result: dict) -> str:
    m = markdown_text
    group, index, labels = result["group"], result["index"], result["labels"]
    lines = [f"# How each {m(group)} frames the story", "", f"{result['n_passages']} scored passages"
             + (f" ({result['n_unscored']} rows could not be scored and are left out)" if result["n_unscored"] else "")
             + (f" ({result['n_without_cluster']} rows have no {m(result['cluster'])} and are left out)" if result["n_without_cluster"] else "")
             + ".", ""]
    lines += [f"- {m(s)}" for s in result["summary"]]
    lines += ["", "## Calibrated frame shares (95% intervals)", "",
              (f"The mean probability the model gives each label; intervals are t intervals over "
               f"{m(result['cluster']) + ' values' if result['cluster'] else 'passages'} (Wilson where they do not vary)."), ""]
    lines.append(f"| {m(group)} | passages | units | " + " | ".join(m(l) for l in labels) + f" | mean {m(index)} |")
    lines.append("|---" * (len(labels) + 4) + "|")
    for name, cells in _shares_by_group(result).items():
        first = next(iter(cells.values()))
        shares = " | ".join(f"{_pct(cells[l]['share'])} [{_interval(cells[l])}]" for l in labels)
        flag = " (too few)" if first["too_small"] else ""
        lines.append(f"| {m(name)}{flag} | {first['n']} | {first['clusters']} | {shares} | {first['index_mean']:+.2f} "
                     f"[{_number(first['index_low'], '+.2f')}, {_number(first['index_high'], '+.2f')}] |")
    lines += ["", "## Tests", ""] + [f"- {m(line)}" for line in tests_in_words(result)]
    if result["pairwise"]:
        lines += ["", f"| a | b | {m(result['positive'])} share a | share b | difference | t | p | adjusted p |", "|---" * 8 + "|"]
        for p in result["pairwise"]:
            lines.append(f"| {m(p['a'])} | {m(p['b'])} | {_pct(p['share_a'])} | {_pct(p['share_b'])} | {100 * p['difference']:+.0f} pts "
                         f"| {p['t']:.2f} | {p['p_value']:.3f} | {p['p_adjusted']:.3f} |")
    if result["terms"]:
        lines += ["", "## Distinctive terms", "", m(TERMS_METHOD), "",
                  "| group | term | count | log-odds | z | adjusted p |", "|---|---|---|---|---|---|"]
        for t in result["terms"]:
            lines.append(f"| {m(t['group'])} | {m(t['term'])}{' ✓' if t['significant'] else ''} | {t['count']} | "
                         f"{t['log_odds']:.2f} | {t['z']:.1f} | {t['p_adjusted']:.3f} |")
    if result.get("corrected"):
        lines += ["", "## Optional: label shares corrected for the model's errors", "",
                  m(CORRECTED_METHOD.format(source=result["corrected_source"] or "its held-out evaluation")), "",
                  f"| {m(group)} | " + " | ".join(f"{m(l)} labelled → corrected" for l in labels) + " |", "|---" * (len(labels) + 1) + "|"]
        for name, cells in _corrected_by_group(result).items():
            lines.append(f"| {m(name)} | " + " | ".join(
                f"{_pct(cells[l]['observed'])} → {_pct(cells[l]['corrected'])} [{_pct(cells[l]['low'])}–{_pct(cells[l]['high'])}]"
                for l in labels) + " |")
    if result["claims"]:
        lines += ["", "## Claims retold", "", m(CLAIMS_METHOD.format(threshold=result["claim_threshold"])), "",
                  "| passage | retells | similarity | gap | verdict |", "|---|---|---|---|---|"]
        for c in result["claims"][:20]:
            lines.append(f"| {m(c['passage'])} ({m(c['passage_group'])}) | {m(c['statement'])} | {c['similarity']:.2f} | "
                         f"{c['gap']:+.2f} | {m(c['verdict'])} |")
    return "\n".join(lines) + "\n"


def _corrected_by_group(result: dict) -> dict[str, dict[str, dict]]:
    by_group: dict = {}
    for row in result.get("corrected", []):
        by_group.setdefault(str(row[result["group"]]), {})[row["label"]] = row
    return by_group


#: How the report's tests work, said once in every format.
TERMS_METHOD = ("Words ranked by the z-score of the log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi "
                "& Quinn 2008), one group against the rest; a ✓ marks a word whose z-score beats the largest z-score of any "
                "word in at least 95% of permutations that move whole units (articles) between groups.")
CORRECTED_METHOD = ("Not the calibrated shares above: the share of passages whose top label is each frame, then corrected "
                    "for how often the model confuses frames, as measured on {source}. The interval carries the "
                    "uncertainty of both. It assumes the model errs on these passages as it did there.")
CLAIMS_METHOD = ("Each tabloid or media passage paired with the official statement of its story it is most similar to "
                 "(TF-IDF cosine of stemmed words, at least {threshold:.2f}). The verdict compares their index when both "
                 "are framed; a neutral side has no frame to exaggerate, so those pairs add or drop a frame instead.")


def tests_in_words(result: dict) -> list[str]:
    association = result["association"]
    lines = []
    if association.get("testable"):
        lines.append(f"Omnibus: do the groups' calibrated shares differ? Wald statistic {association['statistic']:.1f} "
                     f"({association['df']} contrasts) with the cluster-robust covariance; {_p(association['p_value'])} by "
                     f"{association['permutations']:,} permutations of group labels across "
                     f"{association['clusters']:,} {result['cluster'] + ' values' if result['cluster'] else 'passages'}.")
    else:
        lines.append("Omnibus: not run: fewer than two groups are large enough.")
    if result["pairwise"]:
        lines.append(f"Pairwise: the difference in the calibrated {result['positive']} share, cluster-robust t statistic, "
                     "p-values by the same permutations, adjusted for all pairs at once (single-step max-T).")
    if association.get("too_small"):
        lines.append("Left out of the tests (too few): " + _some(list(map(str, association["too_small"]))) + ".")
    return lines


def _charts(result: dict):
    import altair as alt

    group, labels = result["group"], result["labels"]
    shares = pd.DataFrame([r for r in result["shares"] if not r["too_small"]])
    charts = []
    if len(shares):
        base = alt.Chart(shares).encode(x=alt.X("label:N", sort=labels, title=None), color=alt.Color("label:N", sort=labels))
        bars = base.mark_bar().encode(y=alt.Y("share:Q", axis=alt.Axis(format="%"), title="calibrated share"))
        errors = base.mark_rule(color="black").encode(y="low:Q", y2="high:Q")
        charts.append((bars + errors).properties(width=150, height=200).facet(column=alt.Column(f"{group}:N", title=None)))
    terms = pd.DataFrame(result["terms"])
    if len(terms):
        charts.append(alt.Chart(terms.drop(columns="context", errors="ignore")).mark_bar().encode(
            x=alt.X("z:Q", title="z-score"), y=alt.Y("term:N", sort="-x", title=None),
            color=alt.Color("significant:N", title="significant"), row=alt.Row("group:N", title=None),
        ).resolve_scale(y="independent").properties(width=300, height=180))
    return charts


def _svg(chart) -> str:
    """A chart as inline SVG: drawn here, with no script and no network when the report is opened."""
    import vl_convert

    return vl_convert.vegalite_to_svg(chart.to_json())


_STYLE = ("<style>body{font-family:sans-serif;max-width:1100px;margin:auto;padding:0 1em}td,th{padding:4px 8px;"
          "border-bottom:1px solid #ddd;text-align:left;vertical-align:top}.warn{background:#fff3cd;padding:6px}</style>")
#: The report runs nothing and loads nothing: styles inline, images only as data.
_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def render_html(result: dict) -> str:
    """A standalone HTML report that works offline: charts as inline SVG, no script; every share links to its passages."""
    e = lambda value: html.escape(str(value), quote=True)
    group, labels, index = result["group"], result["labels"], result["index"]
    anchors: dict[tuple[str, str], str] = {}
    for g, name in enumerate(result["passages"]):
        for l, label in enumerate(labels):
            anchors[(str(name), str(label))] = f"p-{g}-{l}"
    unit = f"{result['cluster']} values" if result["cluster"] else "passages"
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<meta http-equiv='Content-Security-Policy' content=\"{_POLICY}\">",
        f"<title>How each {e(group)} frames the story</title>",
        _STYLE,
        f"</head><body><h1>How each {e(group)} frames the story</h1>",
        f"<p>{result['n_passages']:,} scored passages"
        + (f"; {result['n_unscored']:,} rows could not be scored and are left out" if result["n_unscored"] else "")
        + (f"; {result['n_without_cluster']:,} rows have no {e(result['cluster'])} and are left out" if result["n_without_cluster"] else "")
        + ".</p>",
        f"<p class='{'' if result['cluster'] else 'warn'}'>{e(result['cluster_note'])}</p><ul>",
        *[f"<li>{e(s)}</li>" for s in result["summary"][1:]],
        f"</ul><h2>Calibrated frame shares (95% intervals over {e(unit)})</h2><table><tr><th>{e(group)}</th><th>passages</th>"
        "<th>units</th>" + "".join(f"<th>{e(l)}</th>" for l in labels) + f"<th>mean {e(index)}</th></tr>",
    ]
    for name, cells in _shares_by_group(result).items():
        first = next(iter(cells.values()))
        cells_html = "".join(
            f"<td><a href='#{anchors.get((name, l), '')}' title='{_pct(cells[l]['hard_share'])} labelled {e(l)}'>"
            f"{_pct(cells[l]['share'])}</a> [{e(_interval(cells[l]))}]</td>" for l in labels
        )
        parts.append(f"<tr><td>{e(name)}{' (too few)' if first['too_small'] else ''}</td><td>{first['n']:,}</td>"
                     f"<td>{first['clusters']:,}</td>{cells_html}<td>{first['index_mean']:+.2f} "
                     f"[{_number(first['index_low'], '+.2f')}, {_number(first['index_high'], '+.2f')}]</td></tr>")
    parts.append("</table>")
    charts = _charts(result)
    if charts:
        parts.append(_svg(charts[0]))
    parts.append("<h2>Tests</h2><ul>" + "".join(f"<li>{e(line)}</li>" for line in tests_in_words(result)) + "</ul>")
    if result["pairwise"]:
        parts.append(f"<table><tr><th>a</th><th>b</th><th>{e(result['positive'])} share a</th><th>share b</th><th>difference</th>"
                     "<th>t</th><th>p</th><th>adjusted p</th></tr>")
        parts += [f"<tr><td>{e(p['a'])}</td><td>{e(p['b'])}</td><td>{_pct(p['share_a'])}</td><td>{_pct(p['share_b'])}</td>"
                  f"<td>{100 * p['difference']:+.0f} pts</td><td>{p['t']:.2f}</td><td>{p['p_value']:.3f}</td>"
                  f"<td>{p['p_adjusted']:.3f}</td></tr>" for p in result["pairwise"]]
        parts.append("</table>")
    if result["terms"]:
        parts.append(f"<h2>Distinctive terms</h2><p>{e(TERMS_METHOD)}</p>")
        if len(charts) > 1:
            parts.append(_svg(charts[1]))
        parts.append("<table><tr><th>group</th><th>term</th><th>count</th><th>log-odds</th><th>z</th><th>adjusted p</th>"
                     "<th>in context</th></tr>")
        parts += [f"<tr><td>{e(t['group'])}</td><td>{e(t['term'])}{' ✓' if t['significant'] else ''}</td><td>{t['count']}</td>"
                  f"<td>{t['log_odds']:.2f}</td><td>{t['z']:.1f}</td><td>{t['p_adjusted']:.3f}</td>"
                  f"<td>{' · '.join(e(c) for c in t.get('context', []))}</td></tr>" for t in result["terms"]]
        parts.append("</table>")
    if result.get("corrected"):
        parts.append("<h2>Optional: label shares corrected for the model's errors</h2>"
                     f"<p>{e(CORRECTED_METHOD.format(source=result['corrected_source'] or 'its held-out evaluation'))}</p>"
                     f"<table><tr><th>{e(group)}</th>" + "".join(f"<th>{e(l)}: labelled → corrected</th>" for l in labels) + "</tr>")
        for name, cells in _corrected_by_group(result).items():
            parts.append(f"<tr><td>{e(name)}</td>" + "".join(
                f"<td>{_pct(cells[l]['observed'])} → {_pct(cells[l]['corrected'])} [{_pct(cells[l]['low'])}–{_pct(cells[l]['high'])}]</td>"
                for l in labels) + "</tr>")
        parts.append("</table>")
    if result["claims"]:
        parts.append(f"<h2>Claims retold</h2><p>{e(CLAIMS_METHOD.format(threshold=result['claim_threshold']))}</p>"
                     "<table><tr><th>passage</th><th>official statement</th><th>similarity</th><th>gap</th><th>verdict</th></tr>")
        parts += [f"<tr><td>{e(c['passage_text'])}</td><td>{e(c['statement_text'])}</td><td>{c['similarity']:.2f}</td>"
                  f"<td>{c['gap']:+.2f}</td><td>{e(c['verdict'])}</td></tr>" for c in result["claims"][:50]]
        parts.append("</table>")
    parts.append("<h2>The passages behind the numbers</h2>")
    for name, by_label in result["passages"].items():
        for label, rows in by_label.items():
            parts.append(f"<h3 id='{anchors[(str(name), str(label))]}'>{e(name)}: {e(label)}</h3><ul>")
            parts += [f"<li>{e(r.get('id', ''))} {e(r['text'])}</li>" for r in rows]
            parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


def render(result: dict, fmt: str) -> str:
    return {"json": render_json, "md": render_markdown, "html": render_html}[fmt](result)
