"""Try it: paste a passage or a whole article; each passage scored, its words shaded."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from framing import service
from framing.ui import common
from framing.ui.explore_page import passage_card
from framing.views import split_passages

EXAMPLE = ("Pro-government tabloids wrote that the two countries would forge a mighty military alliance which would shake up "
           "the region.\n\nThe ministry said the plan lists the activities through which the existing agreement is put into "
           "practice, and researchers called it a standard defence cooperation plan.")


def render() -> None:
    st.title("Try it")
    try:
        model = common.model()
    except Exception as exc:
        st.error(f"No model to score with: {exc}")
        return
    labels = list(model.labels)
    st.caption(f"Paste a passage or a whole article. It is cut into passages (paragraphs, and long paragraphs into "
               f"sentences) and each is scored by model `{model.model_id}`.")
    text = st.text_area("Text", key="try_text", height=200, placeholder=EXAMPLE)
    source_type = st.selectbox("Source type of the text (optional)", ["(not given)", *service.corpus_codebook().source_type_names],
                               key="try_source")
    if not text.strip():
        st.info("Paste text above (or the example in grey) to see how each passage is framed.")
        return
    pieces = split_passages(text)
    scored = service.predict(pieces, model)
    index = model.index_name
    counts = scored["label"].value_counts()
    columns = st.columns(len(labels) + 1)
    columns[0].metric("passages", len(pieces))
    for column, label in zip(columns[1:], labels):
        column.metric(label, int(counts.get(label, 0)))
    st.markdown(f"Mean {index.replace('_', ' ')}: **{scored[index].mean():+.2f}**")
    table = pd.concat([pd.DataFrame({"text": pieces}), scored], axis=1)
    if source_type != "(not given)":
        table["source_type"] = source_type
    for _, row in table.iterrows():
        passage_card(row, labels, index, model)


if __name__ == "__main__":
    render()
