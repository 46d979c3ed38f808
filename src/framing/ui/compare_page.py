"""Compare: one column per source type (or other group), every figure down to its passages."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from framing.errors import FramingError
from framing.report import CORRECTED_METHOD, TERMS_METHOD, confusion_matrix_in, markdown_text, tests_in_words
from framing.ui import common
from framing.views import passages

#: Passages listed under a figure; the rest are counted and downloadable.
SHOWN = 200


def _focus(**focus) -> None:
    st.session_state["focus"] = focus


def _pct(value: float) -> str:
    return f"{100 * value:.0f}%"


def _bracket(low, high, fmt) -> str:
    """``[low–high]``, or a note that the group is too small for an interval."""
    return "(no interval: too few)" if pd.isna(low) or pd.isna(high) else f"[{fmt(low)}–{fmt(high)}]"


def _share_chart(rows: pd.DataFrame, labels: list[str], key: str):
    colours = common.label_colours(labels)
    pick = alt.selection_point(name="pick", fields=["label"])
    base = alt.Chart(rows).encode(x=alt.X("label:N", sort=labels, title=None, axis=alt.Axis(labelAngle=0)))
    bars = base.mark_bar().encode(
        y=alt.Y("share:Q", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1]), title=None),
        color=alt.Color("label:N", sort=labels, scale=alt.Scale(domain=labels, range=[colours[l] for l in labels]), legend=None),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)),
        tooltip=[alt.Tooltip("label:N", title="frame"), alt.Tooltip("share:Q", format=".1%"),
                 alt.Tooltip("low:Q", format=".1%", title="95% low"), alt.Tooltip("high:Q", format=".1%", title="95% high"),
                 alt.Tooltip("n:Q", title="passages")],
    ).add_params(pick)
    rules = base.mark_rule(color="black", strokeWidth=1.5).encode(y="low:Q", y2="high:Q")
    return st.altair_chart((bars + rules).properties(height=180), key=key, on_select="rerun", selection_mode="pick",
                           width="stretch")


def _chart_pick(event, key: str, value: str) -> None:
    """A bar picked in a chart opens its passages (once per new pick)."""
    picked = [p.get("label") for p in (event.selection.get("pick", []) if event else [])]
    last = st.session_state.get(f"_last_{key}")
    if picked and picked != last:
        _focus(value=value, label=picked[0])
    st.session_state[f"_last_{key}"] = picked


def render() -> None:
    view = common.sidebar()
    if view is None:
        return
    coll, group = view.collection, view.group
    labels, index, positive = list(coll.labels), coll.index, coll.positive
    st.title(f"How each {group.replace('_', ' ')} frames the story")
    if not view.mask.any():
        st.info("No passage matches these filters.")
        return
    try:
        result = view.comparison()
    except FramingError as exc:
        st.error(common.text_md(exc))
        return
    unit = f"{result['cluster'].replace('_', ' ')}s" if result["cluster"] else "passages"
    st.caption(
        f"{common.text_md(view.name)} · {result['n_passages']:,} passages · shares are calibrated shares (the mean probability the model "
        f"gives each label), with 95% t intervals over {unit}"
        + f" · {index.replace('_', ' ')}: from −1 to +1, how much more likely {positive} is than its opposite frame"
    )
    if not result["cluster"]:
        st.warning(result["cluster_note"].replace("(--cluster)", "(Independent unit, in the sidebar)"), icon="⚠️")
    elif result["n_without_cluster"]:
        st.warning(f"{result['n_without_cluster']:,} passages have no {result['cluster']} and are left out of the comparison.")
    with st.container(border=True):
        st.markdown("**In plain words**")
        st.markdown("\n".join(f"- {common.text_md(s)}" for s in result["summary"][0 if result["cluster"] else 1:])
                    or "- Nothing to report.")

    shares = pd.DataFrame(result["shares"])
    terms = pd.DataFrame(result["terms"])
    values = common.group_order(shares[group].unique(), group)
    if len(values) > common.MAX_GROUPS:
        st.warning(f"{len(values)} groups: showing the {common.MAX_GROUPS} largest. Filter or compare by another column to see the rest.")
        sizes = shares.groupby(group)["n"].first().sort_values(ascending=False)
        values = [v for v in values if v in set(sizes.index[: common.MAX_GROUPS].astype(str))]
    columns = st.columns(len(values), border=True)
    for column, value in zip(columns, values):
        rows = shares[shares[group].astype(str) == value]
        first = rows.iloc[0]
        with column:
            st.subheader(common.text_md(value))
            st.caption(f"{int(first['n']):,} passages" + (f" · {int(first['clusters']):,} {result['cluster']}s" if result["cluster"] else "")
                       + (" · too few to report on: no intervals" if first["too_small"] else ""))
            _chart_pick(_share_chart(rows, labels, key=f"chart_{value}"), f"chart_{value}", value)
            for label in labels:
                row = rows[rows["label"] == label].iloc[0]
                st.button(f"{label} {_pct(row['share'])} {_bracket(row['low'], row['high'], _pct)}", key=f"share_{value}_{label}",
                          on_click=_focus, kwargs={"value": value, "label": label}, width="stretch",
                          help=f"{row['hard_share']:.0%} of these passages have the label {label}; click to see them")
            index_interval = _bracket(first["index_low"], first["index_high"], lambda v: f"{v:+.2f}")
            st.metric(f"mean {index.replace('_', ' ')}", f"{first['index_mean']:+.2f}", help=f"95% interval {index_interval}")
            st.button(f"95% interval {index_interval}", key=f"index_{value}", type="tertiary",
                      on_click=_focus, kwargs={"value": value, "by": "index"}, help="Click to see these passages, highest index first")
            mine = terms[terms["group"] == value] if len(terms) else terms
            significant = mine[mine["significant"]] if len(mine) else mine
            st.markdown("**Distinctive words**")
            if len(mine):
                shown = significant if len(significant) else mine
                st.pills("Distinctive words", shown["term"].tolist()[:6], key=f"terms_{value}", label_visibility="collapsed",
                         on_change=lambda v=value: _focus(value=v, term=st.session_state.get(f"terms_{v}")))
                if not len(significant):
                    st.caption(f"highest z-scores; none passes the permutation test over {unit}")
            st.markdown("**Typical passages**")
            for label in labels:
                typical = result["passages"].get(value, {}).get(label, [])
                if typical:
                    text = str(typical[0]["text"])
                    st.markdown(f"{common.badge(label, labels)} {common.text_html(text[:220])}{'…' if len(text) > 220 else ''}",
                                unsafe_allow_html=True)

    with st.expander("Tests: do the groups differ?", expanded=False):
        st.markdown("\n".join(f"- {common.text_md(line)}" for line in tests_in_words(result)))
        if result["pairwise"]:
            pairs = pd.DataFrame(result["pairwise"])
            st.dataframe(pairs, hide_index=True, key="pairwise_table",
                         column_config={c: st.column_config.NumberColumn(format="%.3f") for c in ("share_a", "share_b", "difference", "t")}
                         | {c: st.column_config.NumberColumn(format="%.3f") for c in ("p_value", "p_adjusted")})
        if len(terms):
            st.markdown(markdown_text(TERMS_METHOD))
            st.dataframe(terms.drop(columns=["context"], errors="ignore"), hide_index=True, key="terms_table")
    with st.expander("Optional: label shares corrected for the model's errors", expanded=False):
        _corrected(view, result)
    _behind(view, result)


def _corrected(view: common.View, result: dict) -> None:
    """Hard-label shares corrected by the scoring model's held-out confusion matrix, kept apart from the calibrated shares."""
    from framing import compare, service

    if not st.checkbox("Correct label shares for the model's misclassification", key="corrected"):
        st.caption(CORRECTED_METHOD.format(source="the model's held-out evaluation"))
        return
    table = view.table
    if view.group not in table.columns:
        st.info("Corrected shares are computed for groups that are columns of the table, not for time groups.")
        return
    labels = list(view.collection.labels)
    try:
        confusion = service.scoring_confusion(table, view.name)
        matrix = confusion_matrix_in(confusion, labels, view.name)
    except FramingError as exc:
        st.info(common.text_md(exc))
        return
    corrected = compare.corrected_shares(table, labels, matrix, group=view.group,
                                         cluster=result["cluster"])
    st.caption(CORRECTED_METHOD.format(source=confusion["source"]))
    st.dataframe(corrected, hide_index=True, key="corrected_table",
                 column_config={c: st.column_config.NumberColumn(format="%.3f") for c in ("observed", "corrected", "low", "high")})


def _behind(view: common.View, result: dict) -> None:
    """The passages behind the figure the user picked."""
    focus = st.session_state.get("focus")
    st.subheader("The passages behind the numbers")
    if not focus or focus.get("value") is None:
        st.caption("Click a share, a bar or a distinctive word above to see the passages behind it.")
        return
    coll, group = view.collection, view.group
    value, label, term = focus.get("value"), focus.get("label"), focus.get("term")
    if group in ("month", "quarter", "year"):
        st.caption("Passages behind time groups are listed on the Explore page.")
        return
    found = passages(coll, view.mask, group=group, value=value, label=label, term=term,
                     sort="typical" if label else "hype")
    what = f"{group.replace('_', ' ')} **{common.text_md(value)}**, " + (
        f"label **{common.text_md(label)}**" if label else f"word **{common.text_md(term)}**" if term else f"highest {coll.index.replace('_', ' ')} first")
    st.markdown(f"{what}: {len(found):,} passages" + (f", the {SHOWN} most typical shown" if len(found) > SHOWN else ""))
    shown = [c for c in ("id", "text", "label", *[f"p_{l}" for l in coll.labels], coll.index, "speaker", "outlet", "story", "date", "annotated")
             if c in found.columns]
    st.dataframe(found[shown].head(SHOWN), hide_index=True, width="stretch", key="behind_table",
                 column_config={c: st.column_config.ProgressColumn(c, min_value=0, max_value=1, format="%.2f") for c in shown if c.startswith("p_")})
    if term is not None:
        contexts = [t for t in result["terms"] if t["group"] == value and t["term"] == term]
        if contexts and contexts[0].get("context"):
            st.caption("In context: " + " · ".join(common.text_md(c) for c in contexts[0]["context"]))


if __name__ == "__main__":
    render()
