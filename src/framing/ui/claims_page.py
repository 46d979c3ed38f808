"""Claims: each retelling beside the official statement it retells, sorted by the size of the gap."""

from __future__ import annotations

import streamlit as st

from framing import compare
from framing.ui import common

VERDICTS = ["all", *compare.VERDICTS]
COLOURS = {"exaggerates": "#d84315", "same": "#757575", "downplays": "#1565c0", "adds a frame": "#ef6c00",
           "drops the frame": "#00838f", "neutral": "#9e9e9e"}
SHOWN = 30


def render() -> None:
    view = common.sidebar()
    if view is None:
        return
    coll = view.collection
    st.title("Claims retold")
    st.caption("Within each story, every tabloid and media passage is paired with the official statement it most resembles "
               f"(TF-IDF cosine similarity of stemmed words, at least {compare.CLAIM_THRESHOLD:.2f}: from there, nine in ten "
               "pairs are true retellings on labelled pairs in English and Serbian). When both are framed, the verdict "
               f"compares their {coll.index.replace('_', ' ')}: exaggerates when the retelling is more than 0.25 higher, "
               "downplays when more than 0.25 lower. A neutral side has no frame to exaggerate: a framed retelling of a "
               "neutral statement adds a frame, a neutral retelling of a framed one drops it.")
    if not view.mask.any():
        st.info("No passage matches these filters.")
        return
    claims = view.claims()
    if claims.empty:
        st.info("No retelling could be paired with an official statement: the pairs need stories with both official "
                "passages and tabloid or media passages.")
        return
    counts = claims["verdict"].value_counts()
    columns = st.columns(len(VERDICTS) - 1)
    for column, verdict in zip(columns, VERDICTS[1:]):
        column.metric(verdict, f"{int(counts.get(verdict, 0)):,}", help=f"of {len(claims):,} pairs")
    left, right = st.columns(2)
    verdict = left.selectbox("Verdict", VERDICTS, key="claims_verdict")
    stories = right.multiselect("Story", sorted(claims["story"].astype(str).unique()), key="claims_stories", placeholder="All stories")
    shown = claims if verdict == "all" else claims[claims["verdict"] == verdict]
    if stories:
        shown = shown[shown["story"].astype(str).isin(stories)]
    st.markdown(f"**{len(shown):,}** pairs, largest gap first" + (f"; the first {SHOWN} shown" if len(shown) > SHOWN else ""))
    for _, pair in shown.head(SHOWN).iterrows():
        with st.container(border=True):
            st.markdown(f'<span style="background:{COLOURS.get(pair["verdict"], "#555")};color:white;padding:1px 8px;border-radius:9px">'
                        f'{pair["verdict"]}</span> gap {pair["gap"]:+.2f} · similarity {pair["similarity"]:.2f} · '
                        f'story {common.text_html(pair["story"])}', unsafe_allow_html=True)
            a, b = st.columns(2)
            a.markdown(f"**{common.text_html(pair['passage_group'])}** ({common.text_html(pair['passage'])}) · "
                       f"index {pair['passage_index']:+.2f}<br>{common.text_html(pair['passage_text'])}", unsafe_allow_html=True)
            b.markdown(f"**official statement** ({common.text_html(pair['statement'])}) · index {pair['statement_index']:+.2f}"
                       f"<br>{common.text_html(pair['statement_text'])}", unsafe_allow_html=True)
    st.download_button("Download the pairs (CSV)", claims.to_csv(index=False).encode("utf-8"), "claims.csv", "text/csv",
                       key="claims_download")


if __name__ == "__main__":
    render()
