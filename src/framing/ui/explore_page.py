"""Explore: search and filter every passage; each shown with its label, probabilities and words shaded."""

from __future__ import annotations

import math

import streamlit as st

from framing.errors import FramingError
from framing.ui import common
from framing.views import passages

PAGE_SIZE = 20
SORTS = {
    "table order": None,
    "most hype first": "hype",
    "least certain first": "uncertain",
}


def passage_card(row, labels, index: str, model) -> None:
    """One passage: label, probabilities, index, where it comes from, and its words shaded by their push."""
    label = str(row["label"])
    with st.container(border=True):
        where = " · ".join(common.text_html(row[c]) for c in ("source_type", "speaker", "outlet", "story", "date")
                           if c in row and row[c] is not None and str(row[c]) not in ("", "nan", "NaT", "<NA>"))
        probabilities = " · ".join(f"{l} {float(row[f'p_{l}']):.0%}" for l in labels)
        annotated = f" · annotated **{common.text_html(row['annotated'])}**" if row.get("annotated") else ""
        st.markdown(f"{common.badge(label, labels)} {probabilities} · {index.replace('_', ' ')} {float(row[index]):+.2f}{annotated}"
                    f"<br><small>{where}</small>", unsafe_allow_html=True)
        text = str(row["text"])
        if model is not None and label in model.labels:
            _, pushes = model.word_pushes(text, label)
            st.markdown(common.evidence_html(text, pushes, label), unsafe_allow_html=True)
        else:
            st.markdown(common.text_html(text), unsafe_allow_html=True)


def render() -> None:
    view = common.sidebar()
    if view is None:
        return
    coll = view.collection
    labels = list(coll.labels)
    st.title("Explore the passages")
    st.caption("Each passage with its label, probabilities and index; words shaded by how they pushed the model toward its "
               "label (green) or away from it (purple), as the active model weighs them. Filters are in the sidebar.")
    left, middle, right = st.columns([2, 2, 1])
    groups = left.multiselect(view.group.replace("_", " ").capitalize(), coll.values(view.group) if view.group in coll.table else [],
                              key="explore_groups", placeholder="All")
    sort = middle.selectbox("Order", list(SORTS), key="explore_sort")
    mask = view.mask.copy()
    if groups:
        mask &= coll.table[view.group].astype(str).isin(groups).to_numpy(dtype=bool, na_value=False)
    found = passages(coll, mask, sort=SORTS[sort])
    pages = max(1, math.ceil(len(found) / PAGE_SIZE))
    page = right.number_input(f"Page (of {pages})", min_value=1, max_value=pages, value=1, step=1, key="explore_page")
    st.markdown(f"**{len(found):,}** passages")
    if found.empty:
        st.info("No passage matches these filters.")
        return
    try:
        model = common.model()
    except FramingError as exc:  # the data can still be read without a model
        st.warning(f"Words cannot be shaded: {common.text_md(exc)}")
        model = None
    start = (int(page) - 1) * PAGE_SIZE
    for _, row in found.iloc[start : start + PAGE_SIZE].iterrows():
        passage_card(row, labels, coll.index, model)


if __name__ == "__main__":
    render()
