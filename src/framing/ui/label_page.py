"""Label & retrain: the passages most worth labelling, one-click labels, agreement, retrain, compare, promote."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from framing import service
from framing.codebook import add_label
from framing.config import corpus_dir
from framing.errors import FramingError
from framing.ui import common

STRATEGIES = {"margin": "smallest margin between the two likeliest labels", "entropy": "highest entropy of the probabilities"}


@st.cache_data(show_spinner="Ranking the passages…", max_entries=16)
def _queue(token: str, filters_key: str, strategy: str, k: int, n_labels: int, model_key: str,
           _table: pd.DataFrame, _model, _store) -> pd.DataFrame:
    return service.label_queue(_table, _model, k=k, strategy=strategy, store=_store)


def _label(store, row: dict, label: str, annotator: str, origin: str) -> None:
    metadata = {k: str(row[k]) for k in ("source_type", "outlet", "speaker", "story", "date") if k in row and pd.notna(row[k])}
    store.add(str(row["text"]), label, annotator, passage_id=str(row.get("id", "") or ""), origin=origin, **metadata)
    st.session_state["last_labelled"] = (label, str(row["text"])[:80])


def _undo(store, annotator: str) -> None:
    taken = store.undo(annotator)
    st.session_state["last_labelled"] = None
    st.session_state["undone"] = taken["label"] if taken else None


def render() -> None:
    view = common.sidebar()
    st.title("Label & retrain")
    if view is None:
        return
    try:
        model = common.model()
        store = service.label_store()
        codebook = service.corpus_codebook()
    except FramingError as exc:
        st.error(common.text_md(exc))
        return
    labels = list(codebook.label_names)
    st.caption(f"Labels go to `{store.path.name}` (one row per label; disagreements between annotators are kept). "
               f"The queue ranks the passages of **{common.text_md(view.name)}** that pass the filters by how unsure model `{model.model_id}` is.")
    left, middle, right = st.columns([2, 2, 1])
    annotator = left.text_input("Your name (annotator)", key="annotator")
    strategy = middle.selectbox("Rank by", list(STRATEGIES), format_func=STRATEGIES.get, key="queue_strategy")
    k = right.number_input("Queue", min_value=1, max_value=200, value=10, key="queue_size")

    with st.expander("What the labels mean (the codebook)"):
        for label in codebook.labels:
            st.markdown(f"**{common.text_md(label.name)}** — {common.text_md(label.frame)}: {common.text_md(label.definition)}")

    queue = _queue(view.token, view.filters_key, strategy, int(k), len(store), "/".join(service.active_model_fingerprint()),
                   view.table, model, store.path)
    if st.session_state.get("last_labelled"):
        label, text = st.session_state["last_labelled"]
        st.success(f"Labelled {common.text_md(label)}: {common.text_md(text)}…")
    if queue.empty:
        st.info("Every passage here has a label already.")
    else:
        row = queue.iloc[0].to_dict()
        with st.container(border=True):
            probabilities = " · ".join(f"{l} {row[f'p_{l}']:.0%}" for l in model.labels)
            where = " · ".join(common.text_html(row[c]) for c in ("source_type", "speaker", "outlet", "story") if c in row and pd.notna(row[c]))
            st.markdown(f"Next of {len(queue)}: the model says {probabilities} (uncertainty {row['uncertainty']:.2f})"
                        f"<br><small>{where}</small>", unsafe_allow_html=True)
            st.markdown(f"> {common.text_html(row['text'])}", unsafe_allow_html=True)
            buttons = st.columns(len(labels) + 1)
            for column, label in zip(buttons, labels):
                column.button(label, key=f"label_{label}", type="primary", disabled=not annotator.strip(), width="stretch",
                              on_click=_label, args=(store, row, label, annotator.strip(), view.name))
            buttons[-1].button("Undo my last", key="undo", disabled=not annotator.strip(), width="stretch",
                               on_click=_undo, args=(store, annotator.strip()))
            if not annotator.strip():
                st.caption("Type your name above to label.")
        with st.expander(f"The whole queue ({len(queue)})"):
            st.dataframe(queue[[c for c in ("rank", "uncertainty", "label", "text", "source_type") if c in queue]], hide_index=True,
                         key="queue_table")

    st.subheader("Labels and agreement")
    records = store.current()
    columns = st.columns(4)
    columns[0].metric("labels", len(records))
    columns[1].metric("passages", records["content_hash"].nunique() if len(records) else 0)
    columns[2].metric("annotators", records["annotator"].nunique() if len(records) else 0)
    agreement = service.agreement(store.path)
    alpha = agreement["alpha"]
    columns[3].metric("Krippendorff's alpha", "–" if agreement["passages"] == 0 or alpha != alpha else f"{alpha:.3f}",
                      help=f"Nominal alpha over {agreement['passages']} passages labelled by two or more annotators; "
                           f"below {agreement['threshold']} the labels are too unreliable to train on")
    if agreement["below_threshold"]:
        st.warning(f"Annotators agree too little (alpha {alpha:.3f} < {agreement['threshold']}): read the codebook together "
                   "before retraining.")
    if agreement["pairs"]:
        st.dataframe(pd.DataFrame(agreement["pairs"]), hide_index=True, key="agreement_pairs")
    if len(records):
        st.download_button("Export the labels (JSONL)", records.to_json(orient="records", lines=True, force_ascii=False).encode(),
                           "labels.jsonl", key="export_labels")

    st.subheader("Retrain")
    evaluate = st.checkbox("Also cross-validate the candidate (slower)", key="retrain_evaluate")
    if st.button("Retrain on the corpus and these labels", key="retrain", type="primary"):
        with st.spinner("Training a candidate and comparing it with the current model…"):
            try:
                st.session_state["retrain_result"] = service.retrain(store=store.path, run_evaluation=evaluate)
            except FramingError as exc:
                st.error(common.text_md(exc))
    result = st.session_state.get("retrain_result")
    if result:
        _comparison(result)
    with st.expander("Add a label to the codebook"):
        name = st.text_input("Name", key="new_label_name")
        definition = st.text_area("Definition", key="new_label_definition")
        if st.button("Add the label", key="add_label", disabled=not (name.strip() and definition.strip())):
            try:
                add_label(corpus_dir() / "codebook.toml", name.strip(), definition.strip())
                st.success(f"{common.text_md(name)} is in the codebook: label passages with it, then retrain.")
            except FramingError as exc:
                st.error(common.text_md(exc))


def _promote(model_id: str) -> None:
    service.promote(model_id)
    st.session_state["retrain_result"] = dict(st.session_state["retrain_result"], promoted=True,
                                              decision=f"promoted by hand: {model_id} is active")


def _comparison(result: dict) -> None:
    for warning in result["warnings"]:
        st.warning(common.text_md(warning))
    comparison = result["comparison"]
    st.markdown(f"Candidate **`{result['candidate']}`** beside the current model `{result['current']}`.")
    if comparison:
        rows = []
        for name in ("current", "candidate"):
            if name in comparison:
                m = comparison[name]
                rows.append({"model": name, "macro-F1": m["macro_f1"], "accuracy": m["accuracy"], "ECE": m["ece"],
                             **{f"F1 {l}": m["per_label"][l]["f1"] for l in comparison["labels"]}})
        st.markdown(f"On the same {comparison['held_out']} held-out new passages (neither model trained on them):")
        st.dataframe(pd.DataFrame(rows), hide_index=True, key="comparison_table")
        if comparison["changed"]:
            changed = pd.DataFrame(comparison["changed"])
            st.markdown(f"{len(changed)} passages changed label: {int(changed['fixed'].sum())} now right, "
                        f"{int(changed['broken'].sum())} now wrong.")
            st.dataframe(changed[["id", "label", "current", "candidate", "text"]], hide_index=True, key="changed_table")
    if result["evaluation"]:
        e = result["evaluation"]
        st.caption(f"Candidate, {e['method']}: macro-F1 {e['macro_f1']:.3f}, accuracy {e['accuracy']:.3f}, ECE {e['ece']:.3f}")
    st.markdown(f"**{result['decision']}**")
    if not result["promoted"]:
        st.button(f"Promote {result['candidate']}", key="promote", on_click=_promote, args=(result["candidate"],))


if __name__ == "__main__":
    render()
