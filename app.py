"""framing dashboard: source types side by side on the bundled corpus.

Run with ``framing dashboard`` (or ``streamlit run app.py``). This script only
renders: data comes from ``framing.service`` and ``framing.compare``.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from framing import service
from framing.compare import label_shares
from framing.errors import FramingError

st.set_page_config(page_title="framing: source types side by side", layout="wide")


@st.cache_resource(show_spinner="Loading the model…")
def get_model(model_id: str, model_sha256: str):
    """The verified model; cached per model id and model-file hash."""
    return service.load_model(model_id)


@st.cache_data(show_spinner="Reading the corpus…")
def get_corpus() -> pd.DataFrame:
    return service.corpus_frame()


@st.cache_data(show_spinner="Scoring the corpus…")
def get_scored(model_id: str, _model) -> pd.DataFrame:
    corpus = get_corpus()
    return service.score_frame(corpus.rename(columns={"label": "annotated"}), _model)


try:
    model = get_model(*service.active_model_fingerprint())
    codebook = service.corpus_codebook()
    scored = get_scored(model.model_id, model)
except FramingError as exc:
    st.error(f"framing cannot start: {exc}")
    st.stop()

labels = list(codebook.label_names)
sources = [s for s in codebook.source_type_names if s in set(scored["source_type"])]

st.title("How each source type frames the story")
metrics = model.manifest.get("metrics", {})
st.caption(
    f"Model `{model.model_id}` · labels {', '.join(labels)} · "
    + (
        f"leave-one-story-out macro-F1 {metrics['macro_f1']:.3f}, calibration error {metrics['ece']:.3f}"
        if "macro_f1" in metrics
        else "not evaluated"
    )
)

with st.sidebar:
    st.header("Filters")
    stories = sorted(scored["story"].unique())
    chosen_stories = st.multiselect("Stories", stories, default=[], key="stories", placeholder="All stories")
    label_source = st.radio(
        "Labels to compare",
        ["annotated", "model"],
        format_func=lambda v: "Annotated in the corpus" if v == "annotated" else "Predicted by the model",
        key="label_source",
    )
    search = st.text_input("Passages containing", key="search")

view = scored
if chosen_stories:
    view = view[view["story"].isin(chosen_stories)]
if search:
    view = view[view["text"].str.contains(search, case=False, regex=False)]
view = view.assign(frame=view["annotated"] if label_source == "annotated" else view["label"])

if view.empty:
    st.info("No passage matches these filters.")
    st.stop()

shares = label_shares(view, labels, group="source_type", label="frame", groups=sources)
st.subheader("Share of each frame per source type (95% Wilson intervals)")
base = alt.Chart(shares).encode(
    x=alt.X("frame:N", sort=labels, title=None),
    color=alt.Color("frame:N", sort=labels, title="frame"),
)
bars = base.mark_bar().encode(
    y=alt.Y("share:Q", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1]), title="share of passages"),
    tooltip=["source_type", "frame", "count", "n", alt.Tooltip("share:Q", format=".1%"),
             alt.Tooltip("low:Q", format=".1%"), alt.Tooltip("high:Q", format=".1%")],
)
rules = base.mark_rule(color="black").encode(y="low:Q", y2="high:Q")
chart = (bars + rules).properties(width=180, height=220).facet(
    column=alt.Column("source_type:N", sort=sources, title=None)
)
st.altair_chart(chart, key="shares_chart")

index = model.index_name
columns = st.columns(len(sources))
for column, source in zip(columns, sources):
    part = view[view["source_type"] == source]
    rows = shares[shares["source_type"] == source].set_index("frame")
    with column:
        st.markdown(f"### {source}")
        st.metric("passages", len(part))
        st.metric(f"mean {index.replace('_', ' ')}", f"{part[index].mean():+.2f}" if len(part) else "–")
        for label in labels:
            r = rows.loc[label]
            if r["n"]:
                st.markdown(f"**{label}** {r['share']:.0%} [{r['low']:.0%}–{r['high']:.0%}] · {int(r['count'])} of {int(r['n'])}")

st.subheader("The passages behind the numbers")
tabs = st.tabs(sources)
for tab, source in zip(tabs, sources):
    with tab:
        part = view[view["source_type"] == source]
        show = part[["frame", "text", "speaker", "outlet", "story", index, *[f"p_{l}" for l in labels]]]
        st.dataframe(show, hide_index=True, width="stretch", key=f"passages_{source}")

st.subheader("Try a passage")
text = st.text_area("Paste a passage to see how the model frames it", key="try_text")
if text.strip():
    result = service.predict([text], model, explain=8).iloc[0]
    st.markdown(
        f"**{result['label']}** · {index.replace('_', ' ')} {result[index]:+.2f} · "
        + " · ".join(f"{l} {result[f'p_{l}']:.0%}" for l in labels)
    )
    if result["terms"]:
        st.markdown("Words that pushed it toward **" + result["label"] + "**: " + ", ".join(f"`{t}`" for t, _ in result["terms"]))
