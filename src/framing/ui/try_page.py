"""Try it: paste a passage or a whole article; it is cut into attributed passages, each scored and its words shaded."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from framing import service
from framing.errors import FramingError
from framing.ingest import narration_without_type
from framing.ui import common
from framing.ui.explore_page import passage_card

EXAMPLE = ("Pro-government tabloids wrote that the two countries would forge a mighty military alliance which would shake up "
           "the region.\n\nThe ministry said the plan lists the activities through which the existing agreement is put into "
           "practice. “It is a standard defence cooperation plan,” a researcher at an independent institute says.")
NOT_GIVEN = "(not given)"


def render() -> None:
    st.title("Try it")
    try:
        model = common.model()
        source_types = service.corpus_codebook().source_type_names
    except FramingError as exc:
        st.error(f"No model to score with: {common.text_md(exc)}")
        return
    labels = list(model.labels)
    st.caption(f"Paste a passage or a whole article. `framing ingest` cuts it into passages (paragraphs, then sentences, "
               f"quotes kept whole), finds who speaks in each and their source type, and model `{model.model_id}` scores them.")
    text = st.text_area("Text", key="try_text", height=220, placeholder=EXAMPLE)
    left, right = st.columns(2)
    outlet = left.text_input("Outlet (optional)", key="try_outlet", help="Its own narration gets the outlet's source type")
    source_type = right.selectbox("The outlet's source type", [NOT_GIVEN, *source_types], key="try_source")
    if not text.strip():
        st.info("Paste text above (the example in grey shows the idea) to see how each passage is framed and who speaks.")
        return
    try:
        pieces = service.ingest_text(text, outlet=outlet, source_type="" if source_type == NOT_GIVEN else source_type)
    except FramingError as exc:
        st.error(common.text_md(exc))
        return
    if narration_without_type(pieces)[0]:
        st.info("The article's own narration has no source type: choose the outlet's source type above, or name an "
                "outlet the sources registry knows (`corpus/sources.toml`).", icon="ℹ️")
    scored = service.predict(pieces["text"].tolist(), model)
    index = model.index_name
    counts = scored["label"].value_counts()
    columns = st.columns(len(labels) + 1)
    columns[0].metric("passages", len(pieces))
    for column, label in zip(columns[1:], labels):
        column.metric(label, int(counts.get(label, 0)))
    st.markdown(f"Mean {index.replace('_', ' ')}: **{scored[index].mean():+.2f}**")
    keep = [c for c in ("text", "speaker", "source_type", "speech") if c in pieces.columns]
    table = pd.concat([pieces[keep].reset_index(drop=True), scored.reset_index(drop=True)], axis=1)
    by_source = table.groupby("source_type")["label"].value_counts().unstack(fill_value=0).reindex(columns=labels, fill_value=0)
    st.dataframe(by_source, key="try_by_source")
    for _, row in table.iterrows():
        passage_card(row, labels, index, model)


if __name__ == "__main__":
    render()
