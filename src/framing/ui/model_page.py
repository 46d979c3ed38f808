"""Model: the active model's card — label set, data hashes, metrics, confusion matrix, reliability — and the others."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from framing import service
from framing.errors import FramingError
from framing.ui import common


def render() -> None:
    st.title("The model")
    try:
        card = service.model_card()
        codebook = service.corpus_codebook()
    except FramingError as exc:
        st.error(common.text_md(exc))
        return
    manifest, evaluation = card["manifest"], card["evaluation"]
    metrics = manifest.get("metrics", {})
    st.markdown(f"Active model **`{card['model_id']}`**, trained {manifest.get('created_at', 'at an unknown time')} on "
                f"{manifest['corpus']['n_passages']:,} passages from {manifest['corpus']['n_stories']} stories.")
    if metrics:
        columns = st.columns(4)
        columns[0].metric("macro-F1", f"{metrics['macro_f1']:.3f}", help=metrics.get("method"))
        columns[1].metric("accuracy", f"{metrics['accuracy']:.3f}")
        columns[2].metric("calibration error (ECE)", f"{metrics['ece']:.3f}")
        columns[3].metric("keyword-lexicon macro-F1", f"{metrics['keyword_lexicon_macro_f1']:.3f}",
                          help="A baseline that counts the codebook's cue words")
        st.caption(f"Evaluated {metrics.get('method', '')}: every story is scored by a model that never saw it.")
        if metrics.get("unseen_writer_macro_f1") is not None:
            columns = st.columns(4)
            columns[0].metric("macro-F1, unseen writer", f"{metrics['unseen_writer_macro_f1']:.3f}",
                              help="leave-one-writer-out: every writer's passages scored by a model that never saw the writer")
            for column, (language, value) in zip(columns[1:3], metrics.get("unseen_writer_macro_f1_by_language", {}).items()):
                column.metric(f"unseen writer, {language}", f"{value:.3f}")
            if metrics.get("contrast_pair_consistency") is not None:
                columns[3].metric("contrast pairs both right", f"{metrics['contrast_pair_consistency']:.0%}",
                                  help="pairs of passages one minimal edit apart whose labels differ, unseen writer")

    _label_set(manifest, metrics, codebook)

    if evaluation:
        left, right = st.columns(2)
        with left:
            st.subheader("Confusion matrix")
            matrix = evaluation["model"]["confusion_matrix"]
            long = pd.DataFrame([{"annotated": t, "predicted": p, "passages": matrix["rows_true_columns_predicted"][i][j]}
                                 for i, t in enumerate(matrix["labels"]) for j, p in enumerate(matrix["labels"])])
            base = alt.Chart(long).encode(x=alt.X("predicted:N", sort=matrix["labels"]), y=alt.Y("annotated:N", sort=matrix["labels"]))
            heat = base.mark_rect().encode(color=alt.Color("passages:Q", scale=alt.Scale(scheme="blues"), legend=None))
            text = base.mark_text().encode(text="passages:Q", color=alt.condition(alt.datum.passages > long["passages"].max() / 2,
                                                                                   alt.value("white"), alt.value("black")))
            st.altair_chart((heat + text).properties(height=260), key="confusion_chart", width="stretch")
        with right:
            st.subheader("Reliability")
            bins = pd.DataFrame(evaluation["reliability"])
            line = alt.Chart(bins).mark_line().encode(x="confidence:Q", y="accuracy:Q")
            points = alt.Chart(bins).mark_circle(opacity=0.9).encode(
                size=alt.Size("n:Q", title="passages", scale=alt.Scale(range=[20, 400])),
                x=alt.X("confidence:Q", scale=alt.Scale(domain=[0, 1]), title="predicted probability of the label"),
                y=alt.Y("accuracy:Q", scale=alt.Scale(domain=[0, 1]), title="share correct"),
                tooltip=["bin", "n", alt.Tooltip("confidence:Q", format=".2f"), alt.Tooltip("accuracy:Q", format=".2f")])
            diagonal = alt.Chart(pd.DataFrame({"x": [0, 1], "y": [0, 1]})).mark_line(strokeDash=[4, 4], color="grey").encode(x="x", y="y")
            st.altair_chart((diagonal + line + points).properties(height=260), key="reliability_chart", width="stretch")
            st.caption("Out-of-story predictions binned by their probability; dot size is the number of passages. A "
                       "calibrated model lies on the diagonal: of passages given 80%, four in five are right.")
        if evaluation.get("summary"):
            st.subheader("Side by side: unseen stories, unseen writers, each language and script")
            summary = pd.DataFrame(evaluation["summary"]).rename(columns={
                "method": "evaluation", "n": "passages", "macro_f1": "macro-F1", "ece": "ECE",
                "keyword_macro_f1": "keyword baseline macro-F1", "contrast_pair_consistency": "contrast pairs both right"})
            st.dataframe(summary, hide_index=True, key="evaluation_summary", width="stretch")
            st.caption("Leave-one-story-out scores each story with a model that never saw it; leave-one-writer-out scores "
                       "each writer's passages with a model that never saw the writer, which is what passages written by "
                       "someone new meet.")
        pairs = (evaluation.get("leave_one_writer_out") or evaluation).get("contrast_pairs", {})
        if pairs.get("n_pairs"):
            st.subheader("Hard cases: contrast pairs")
            st.dataframe(pd.DataFrame(pairs["by_contrast"]).T.rename_axis("hard case").reset_index(), hide_index=True,
                         key="contrast_pairs", width="stretch")
            st.caption(f"{pairs['n_pairs']} pairs of passages one minimal edit apart whose labels differ; 'consistency' is "
                       "the share of pairs with both members right, 'prediction_flips' the share whose prediction changes.")
        by_source = evaluation.get("by_source_type")
        if by_source:
            st.subheader("By source type")
            st.dataframe(pd.DataFrame(by_source).T if isinstance(by_source, dict) else pd.DataFrame(by_source), key="by_source")

    st.subheader("What it was made from")
    st.dataframe(pd.DataFrame([
        {"item": "codebook", "value": f"{manifest['codebook']['name']} {manifest['codebook']['version']}", "sha256": manifest["codebook"]["sha256"]},
        {"item": "corpus", "value": manifest["corpus"]["file"], "sha256": manifest["corpus"]["sha256"]},
        {"item": "model file", "value": manifest["model_file"]["name"], "sha256": manifest["model_file"]["sha256"]},
        {"item": "pipeline", "value": manifest.get("pipeline", ""), "sha256": ""},
        {"item": "training settings", "value": ", ".join(f"{k}={v}" for k, v in manifest.get("training_config", {}).items()), "sha256": ""},
        {"item": "libraries", "value": ", ".join(f"{k} {v}" for k, v in manifest["libraries"].items()), "sha256": ""},
    ]), hide_index=True, key="provenance", width="stretch")

    st.subheader("All models")
    st.dataframe(pd.DataFrame(card["models"]), hide_index=True, key="models_table", width="stretch")
    st.caption("The active model scores everything in the dashboard; `framing models` lists them on the command line.")
    others = [m["model_id"] for m in card["models"] if not m["active"]]
    if others:
        left, right = st.columns([3, 1])
        chosen = left.selectbox("Make another model active", others[::-1], key="activate_model")
        if right.button("Make it active", key="activate"):
            try:
                service.promote(chosen)
                st.rerun()
            except FramingError as exc:
                st.error(common.text_md(exc))


def _label_set(manifest: dict, metrics: dict, codebook) -> None:
    """Each label the model gives, with the codebook's frame and definition in full (wrapped, never cut off)."""
    st.subheader("Label set")
    definitions = {label.name: label for label in codebook.labels}
    counts = manifest["corpus"].get("label_counts", {})
    for name in manifest["labels"]:
        facts = []
        f1 = metrics.get("per_label_f1", {}).get(name)
        if f1 is not None:
            facts.append(f"F1 {f1:.3f}")
        if counts.get(name) is not None:
            facts.append(f"{counts[name]:,} training passages")
        label = definitions.get(name)
        heading = f"**{common.text_md(name)}**" + (f" — frame: *{common.text_md(label.frame)}*" if label and label.frame else "")
        body = common.text_md(label.definition) if label else "This label is not in the corpus codebook any more."
        st.markdown(heading + (" · " + " · ".join(facts) if facts else "") + "\n\n" + body)
    missing = [label.name for label in codebook.labels if label.name not in manifest["labels"]]
    if missing:
        st.info("In the codebook but not learnt by this model (retrain on passages labelled with them): "
                + ", ".join(f"**{common.text_md(m)}**" for m in missing))


if __name__ == "__main__":
    render()
