"""Label & retrain: passages worth labelling (or labelled ones, to disagree), labels by click or key, skip, retrain."""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from framing import service
from framing.active import doubted_labels
from framing.codebook import add_label
from framing.config import corpus_dir
from framing.errors import FramingError, InputError
from framing.retrain import HOLDOUT_SHARE as HOLDOUT
from framing.retrain import MIN_HELD_OUT
from framing.store import content_hash
from framing.ui import common

STRATEGIES = {"margin": "smallest margin between the two likeliest labels", "entropy": "highest entropy of the probabilities"}
#: Which passages the card offers: new ones (the queue), or labelled ones, to disagree with a label.
MODES = {"new": "New passages, the model's least certain first",
         "labelled": "Labelled passages, the labels the model doubts most first (to disagree with one)"}
#: Keys that press the label buttons, in the codebook's order (Streamlit keeps C and R for itself).
LABEL_KEYS = "123456789"
SKIP_KEY = "S"
UNDO_KEY = "U"
#: Whether this Streamlit has keyboard shortcuts on buttons (``st.button(..., shortcut=...)``); without them the
#: buttons are clicked.
SHORTCUTS = "shortcut" in inspect.signature(st.button).parameters
#: Columns of an upload used as they are named.
ROLES = ("text", "source_type", "outlet", "speaker", "story", "date")
DATA_PAGE = Path(__file__).with_name("data_page.py")


@st.cache_data(show_spinner="Ranking the passages…", max_entries=16)
def _queue(token: str, filters_key: str, strategy: str, k: int, n_labels: int, model_key: str,
           _table: pd.DataFrame, _model, _store) -> pd.DataFrame:
    return service.label_queue(_table, _model, k=k, strategy=strategy, store=_store)


@st.cache_data(show_spinner=False, max_entries=8)
def _hashes(token: str, filters_key: str, _table: pd.DataFrame) -> pd.Series:
    return _table["text"].astype(str).map(content_hash)


def _doubted(view: common.View, store, labels: list[str], annotator: str, k: int) -> pd.DataFrame:
    """The view's labelled passages, the labels the model doubts most first (see :func:`framing.active.doubted_labels`)."""
    return doubted_labels(view.table, labels, store.current(), annotator=annotator, k=k,
                          hashes=_hashes(view.token, view.filters_key, view.table))


def _in_turn(ranked: pd.DataFrame, k: int) -> pd.DataFrame:
    """The first ``k`` passages not skipped, then the skipped ones in the order they were skipped.

    Skipped passages wait at the end: they come back when no other is left (or when the user brings them back).
    """
    skipped = st.session_state.get("skipped", [])
    if "content_hash" not in ranked.columns:
        ranked = ranked.assign(content_hash=ranked["text"].astype(str).map(content_hash))
    was_skipped = ranked["content_hash"].isin(skipped)
    back = ranked[was_skipped]
    back = back.iloc[np.argsort([skipped.index(h) for h in back["content_hash"]], kind="stable")]
    return pd.concat([ranked[~was_skipped].head(k).assign(skipped=False), back.assign(skipped=True)])


def _label(store, row: dict, label: str, annotator: str, origin: str) -> None:
    metadata = {k: str(row[k]) for k in ("source_type", "outlet", "speaker", "story", "date") if k in row and pd.notna(row[k])}
    store.add(str(row["text"]), label, annotator, passage_id=str(row.get("id", "") or ""), origin=origin, **metadata)
    st.session_state["last_labelled"] = (label, str(row["text"])[:80])
    st.session_state["skipped"] = [h for h in st.session_state.get("skipped", []) if h != row.get("content_hash")]


def _skip(digest: str) -> None:
    st.session_state["skipped"] = [*(h for h in st.session_state.get("skipped", []) if h != digest), digest]
    st.session_state["last_labelled"] = None


def _unskip() -> None:
    st.session_state["skipped"] = []


def _undo(store, annotator: str) -> None:
    taken = store.undo(annotator)
    st.session_state["last_labelled"] = None
    st.session_state["undone"] = taken["label"] if taken else None


def _set_mode(mode: str) -> None:
    st.session_state["label_mode"] = mode


def _button(where, label: str, *, shortcut: str | None = None, **kwargs) -> bool:
    """A button pressed by a click or, where this Streamlit has keyboard shortcuts, by ``shortcut``."""
    if SHORTCUTS and shortcut:
        kwargs["shortcut"] = shortcut
    return where.button(label, **kwargs)


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
    annotator = left.text_input("Your name (annotator)", key="annotator").strip()
    strategy = middle.selectbox("Rank by", list(STRATEGIES), format_func=STRATEGIES.get, key="queue_strategy")
    k = int(right.number_input("Queue", min_value=1, max_value=200, value=10, key="queue_size"))
    mode = st.radio("Passages to label", list(MODES), format_func=MODES.get, key="label_mode", horizontal=True)

    with st.expander("What the labels mean (the codebook)"):
        for label in codebook.labels:
            st.markdown(f"**{common.text_md(label.name)}** — {common.text_md(label.frame)}: {common.text_md(label.definition)}")

    skipped = st.session_state.setdefault("skipped", [])
    if mode == "labelled":
        queue = _in_turn(_doubted(view, store, labels, annotator, k + len(skipped)), k)
    else:
        queue = _in_turn(_queue(view.token, view.filters_key, strategy, k + len(skipped), len(store),
                                "/".join(service.active_model_fingerprint()), view.table, model, store.path), k)
    if st.session_state.get("last_labelled"):
        label, text = st.session_state["last_labelled"]
        st.success(f"Labelled {common.text_md(label)}: {common.text_md(text)}…")
    if queue.empty and mode == "labelled":
        st.info("You have labelled every labelled passage here already." if annotator and not _doubted(view, store, labels, "", 1).empty else
                f"No passage of **{common.text_md(view.name)}** that passes the filters has a label yet: label new ones.")
    elif queue.empty:
        _nothing_new(view, model)
    else:
        _card(queue, model, labels, store, annotator, view.name, mode)
        with st.expander(f"The whole queue ({len(queue)})"):
            shown = ("rank", "doubt" if mode == "labelled" else "uncertainty", "given", "label", "skipped", "text", "source_type")
            st.dataframe(queue[[c for c in shown if c in queue]], hide_index=True, key="queue_table")
        if mode == "new":
            with st.expander("Upload more passages to label"):
                _upload_form(model)
    _skipped_list(queue)

    _agreement(store)
    _retrain(store)
    with st.expander("Add a label to the codebook"):
        name = st.text_input("Name", key="new_label_name")
        definition = st.text_area("Definition", key="new_label_definition")
        st.button("Add the label", key="add_label", disabled=not (name.strip() and definition.strip()), on_click=_add_label)
        added = st.session_state.pop("label_added", None)
        if added and added[0] == "ok":
            st.success(f"{common.text_md(added[1])} is in the codebook, with a button above: label passages with it, "
                       "then retrain.")
        elif added:
            st.error(common.text_md(added[1]))


def _add_label() -> None:
    """Add the label typed in the form to the codebook before the page is drawn, so that its button shows at once."""
    name, definition = st.session_state["new_label_name"].strip(), st.session_state["new_label_definition"].strip()
    try:
        add_label(corpus_dir() / "codebook.toml", name, definition)
        st.session_state["label_added"] = ("ok", name)
    except FramingError as exc:
        st.session_state["label_added"] = ("error", exc)


def _card(queue: pd.DataFrame, model, labels: list[str], store, annotator: str, origin: str, mode: str) -> None:
    """The next passage, its label buttons (keys 1, 2, 3… in the codebook's order), Skip and Undo."""
    row = queue.iloc[0].to_dict()
    with st.container(border=True):
        probabilities = " · ".join(f"{l} {row[f'p_{l}']:.0%}" for l in model.labels if f"p_{l}" in row)
        where = " · ".join(common.text_html(row[c]) for c in ("source_type", "speaker", "outlet", "story") if c in row and pd.notna(row[c]))
        if mode == "labelled":
            said = (f"labelled <b>{common.text_html(row['given'])}</b> ({row['given_by']}); the model says {probabilities} "
                    f"(it doubts the label {row['doubt']:.2f})")
        else:
            said = f"the model says {probabilities} (uncertainty {row['uncertainty']:.2f})"
        again = " · skipped before, back now that nothing else is left" if row["skipped"] else ""
        st.markdown(f"Next of {len(queue)}: {said}{again}<br><small>{where}</small>", unsafe_allow_html=True)
        st.markdown(f"> {common.text_html(row['text'])}", unsafe_allow_html=True)
        buttons = st.columns(len(labels) + 2)
        for i, (column, label) in enumerate(zip(buttons, labels)):
            _button(column, label, key=f"label_{label}", type="primary", disabled=not annotator, width="stretch",
                    shortcut=LABEL_KEYS[i] if i < len(LABEL_KEYS) else None,
                    on_click=_label, args=(store, row, label, annotator, origin))
        _button(buttons[-2], "Skip", key="skip", width="stretch", shortcut=SKIP_KEY, on_click=_skip, args=(row["content_hash"],),
                help="Go on to the next passage without labelling this one; it waits at the end of the queue")
        _button(buttons[-1], "Undo my last", key="undo", disabled=not annotator, width="stretch", shortcut=UNDO_KEY,
                on_click=_undo, args=(store, annotator))
        if not annotator:
            st.caption("Type your name above to label.")
        if SHORTCUTS:
            keys = [f"{LABEL_KEYS[i]} {common.text_md(label)}" for i, label in enumerate(labels[: len(LABEL_KEYS)])]
            st.caption("Keys: " + " · ".join([*keys, f"{SKIP_KEY} skip", f"{UNDO_KEY} undo"])
                       + " (not while typing in a field)")


def _skipped_list(queue: pd.DataFrame) -> None:
    skipped = st.session_state.get("skipped", [])
    if not skipped:
        return
    with st.expander(f"Skipped ({len(skipped)})"):
        shown = queue[queue["skipped"]] if "skipped" in queue else queue.iloc[:0]
        for text in shown["text"].astype(str):
            st.markdown(f"- {common.text_md(text[:160])}{'…' if len(text) > 160 else ''}")
        st.caption("Skipped passages wait at the end of the queue, in the order you skipped them: they come back when "
                   "nothing else is left to label, or now.")
        st.button("Bring them back now", key="unskip", on_click=_unskip)


def _nothing_new(view: common.View, model) -> None:
    """The queue is empty: every passage shown has a label. Say what to do instead, with the means to do it."""
    if not view.mask.any():
        st.info("No passage passes the filters: widen them in the sidebar.")
        return
    st.info(f"Every passage of **{common.text_md(view.name)}** that passes the filters has a label already, in the corpus "
            "or the label store, so there is nothing new to label here. Three ways on:")
    st.markdown(
        "1. **Label new passages.** Upload a table of passages without labels just below, or on the *Your data* page: "
        "it is scored, becomes the data shown, and its passages fill the queue.\n"
        "2. **Import labels made elsewhere**, on the command line: `framing labels import FILE --annotator NAME` adds a "
        "JSONL or CSV file with text and label columns (or a text file of passages, one per line, with `--label`).\n"
        "3. **Disagree with a label.** Check the labelled passages whose label the model doubts most and give the one you "
        "think is right: on retraining, the label store's label replaces the corpus's.")
    _upload_form(model)
    left, right = st.columns(2)
    left.page_link(DATA_PAGE, label="Your data: upload and choose the columns", icon=":material/upload_file:")
    right.button("Check the labelled passages", key="review_labelled", on_click=_set_mode, args=("labelled",))


def _upload_form(model) -> None:
    """Upload passages to label: scored here, then shown as the data set (as on the Your data page)."""
    upload = st.file_uploader("Passages to label: CSV, TSV, JSONL or Parquet with a text column", key="label_upload",
                              type=["csv", "tsv", "jsonl", "parquet"], max_upload_size=common.UPLOAD_LIMIT_MB,
                              help="Columns named source_type, outlet, speaker, story and date are used too; to pick "
                                   "other columns, use the Your data page.")
    if upload is None or not st.button("Score them and rank them for labelling", key="label_upload_score", type="primary"):
        return
    try:
        table = common.read_upload(upload.name, upload.getvalue())
        if "text" not in table.columns:
            raise InputError(f"no column 'text'; the columns are {list(table.columns)} (choose the text column on the "
                             "Your data page)", path=Path(upload.name).name)
        if "source_type" not in table.columns:
            table = table.assign(source_type=common.SOURCE_TYPE_NOT_GIVEN)
        scored = service.score_frame(table, model, source=upload.name)
    except FramingError as exc:
        st.error(common.text_md(exc))
        return
    common.add_upload(Path(upload.name).name, scored)
    st.rerun()


def _agreement(store) -> None:
    st.subheader("Labels and agreement")
    records = store.current()
    columns = st.columns(4)
    columns[0].metric("labels", len(records))
    columns[1].metric("passages", records["content_hash"].nunique() if len(records) else 0)
    columns[2].metric("annotators", records["annotator"].nunique() if len(records) else 0)
    agreement = service.agreement(store.path)
    alpha = agreement["alpha"]
    columns[3].metric("Krippendorff's alpha", "–" if agreement["passages"] == 0 or pd.isna(alpha) else f"{alpha:.3f}",
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


def _retrain(store) -> None:
    st.subheader("Retrain")
    st.markdown(
        "Retraining trains a **candidate** on the corpus and the label store's labels and saves it beside the current "
        "model, which stays active. To tell which is better, the page holds out "
        f"{HOLDOUT:.0%} of the newly labelled passages that the current model never saw (at least {MIN_HELD_OUT} are "
        "needed; relabelled corpus passages do not count, the current model trained on them), trains a copy of the "
        "candidate without them, and labels them with both models. Only then is the candidate offered for promotion; "
        "without that comparison you are asked to confirm first.")
    evaluate = st.checkbox("Also cross-validate the candidate (slower): its own scores on the passages it trains on, "
                           "not a comparison with the current model", key="retrain_evaluate")
    if st.button("Retrain on the corpus and these labels", key="retrain", type="primary"):
        st.session_state.pop("promote_anyway", None)
        with st.spinner("Training a candidate (and a copy without the held-out passages, to compare)…"):
            try:
                st.session_state["retrain_result"] = service.retrain(store=store.path, run_evaluation=evaluate)
            except FramingError as exc:
                st.error(common.text_md(exc))
    result = st.session_state.get("retrain_result")
    if result:
        _comparison(result)


def _promote(model_id: str) -> None:
    service.promote(model_id)
    st.session_state["retrain_result"] = dict(st.session_state["retrain_result"], promoted=True,
                                              decision=f"promoted by hand: {model_id} is active")


def _comparison(result: dict) -> None:
    comparison = result["comparison"]
    compared = bool(comparison) and "current" in comparison
    for warning in result["warnings"]:
        if not (comparison is None and warning.startswith(service.NO_HOLDOUT)):  # said below, as it is
            st.warning(common.text_md(warning))
    st.markdown(f"Candidate **`{result['candidate']}`** beside the current model `{result['current']}`.")
    if comparison:
        rows = []
        for name in ("current", "candidate"):
            if name in comparison:
                m = comparison[name]
                rows.append({"model": name, "macro-F1": m["macro_f1"], "accuracy": m["accuracy"], "ECE": m["ece"],
                             **{f"F1 {l}": m["per_label"][l]["f1"] for l in comparison["labels"]}})
        st.markdown(f"On the same {comparison['held_out']} held-out new passages, labelled by the candidate's copy trained "
                    "without them and by the current model, which never saw them:")
        st.dataframe(pd.DataFrame(rows), hide_index=True, key="comparison_table")
        if comparison["changed"]:
            changed = pd.DataFrame(comparison["changed"])
            st.markdown(f"{len(changed)} passages changed label: {int(changed['fixed'].sum())} now right, "
                        f"{int(changed['broken'].sum())} now wrong.")
            st.dataframe(changed[["id", "label", "current", "candidate", "text"]], hide_index=True, key="changed_table")
    if not compared:
        why = (f"fewer than {MIN_HELD_OUT} newly labelled passages that the current model never saw, so none could be held "
               "out" if comparison is None else "no model was active to compare it with")
        scored = ("The cross-validation below scores the candidate alone, on the passages it trained on; it does not "
                  "compare it with the current model." if result["evaluation"] else
                  "It was not cross-validated either: it was trained and saved, and nothing has measured it.")
        st.warning(f"**Not compared with the current model**: {why}. {scored} Nothing here shows that the candidate is "
                   f"better. For a comparison, label at least {MIN_HELD_OUT} new passages (upload some) and retrain.")
    if result["evaluation"]:
        e = result["evaluation"]
        st.caption(f"Candidate alone, {e['method']}: macro-F1 {e['macro_f1']:.3f}, accuracy {e['accuracy']:.3f}, ECE {e['ece']:.3f}")
    st.markdown(f"**{result['decision']}**")
    if result["promoted"]:
        return
    if compared:
        st.button(f"Promote {result['candidate']}", key="promote", on_click=_promote, args=(result["candidate"],))
        return
    sure = st.checkbox(f"I know that {result['candidate']} was not compared with the current model: make it active anyway",
                       key="promote_anyway")
    st.button(f"Promote {result['candidate']} without a comparison", key="promote_unchecked", disabled=not sure,
              on_click=_promote, args=(result["candidate"],))
    st.caption("`framing models rollback` makes the previous model active again.")


if __name__ == "__main__":
    render()
