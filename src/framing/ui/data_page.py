"""Your data: upload a table, choose its columns, score it, compare, download the scores and the report."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from framing import service
from framing.errors import FramingError
from framing.report import render as render_report
from framing.report import scored_labels
from framing.ui import common
from framing.views import assign_roles, compare_view

NONE = "(none)"
ROLES = {
    "text": "Passage text",
    "source_type": "Source type (who speaks: tabloid, official, expert, media…)",
    "outlet": "Outlet",
    "story": "Story",
    "date": "Date",
}
TABLE_FORMATS = {"CSV": "csv", "JSONL": "jsonl", "Parquet": "parquet"}
REPORT_FORMATS = {"HTML": ("html", "text/html"), "Markdown": ("md", "text/markdown"), "JSON": ("json", "application/json")}


@st.cache_data(show_spinner="Reading the file…", max_entries=4)
def _read(name: str, data: bytes) -> pd.DataFrame:
    return common.read_upload(name, data)


def _is_scored(table: pd.DataFrame) -> bool:
    try:
        scored_labels(table)
        return True
    except FramingError:
        return False


def render() -> None:
    view = common.sidebar()
    st.title("Your data")
    st.markdown(f"Upload passages as **CSV, TSV, JSONL or Parquet** (up to **{common.UPLOAD_LIMIT_MB} MB** and "
                f"**{common.UPLOAD_LIMIT_ROWS:,} rows**; larger collections: `framing score` on the command line). One row per "
                "passage, with its text and, for the comparison, who speaks (its source type). A file already scored by "
                "`framing score` is shown as it is.")
    upload = st.file_uploader("Table of passages", type=["csv", "tsv", "jsonl", "parquet"], key="upload",
                              max_upload_size=common.UPLOAD_LIMIT_MB)
    if upload is None:
        if view is not None and view.name != common.BUNDLED:
            st.caption(f"Showing **{common.text_md(view.name)}** on the other pages.")
        return
    try:
        table = _read(upload.name, upload.getvalue())
    except FramingError as exc:
        st.error(f"This file cannot be read: {common.text_md(exc)}")
        return
    st.markdown(f"**{common.text_html(upload.name)}**: {len(table):,} rows, columns "
                + ", ".join(f"<code>{common.text_html(c)}</code>" for c in table.columns), unsafe_allow_html=True)
    st.dataframe(table.head(5), hide_index=True, key="upload_preview")
    columns = list(table.columns)
    if _is_scored(table):
        st.success("This table is already scored: its scores are used as they are.")
        scored = table
        chosen = {}
    else:
        chosen = {}
        picks = st.columns(len(ROLES))
        for pick, (role, title) in zip(picks, ROLES.items()):
            options = columns if role == "text" else [NONE, *columns]
            default = options.index(role) if role in options else 0
            chosen[role] = pick.selectbox(title, options, index=default, key=f"column_{role}")
        if st.button("Score with the current model", key="score_upload", type="primary"):
            try:
                model = common.model()
                prepared = assign_roles(table, {role: None if c == NONE else c for role, c in chosen.items()})
                if chosen["source_type"] == NONE:
                    prepared["source_type"] = common.SOURCE_TYPE_NOT_GIVEN
                scored = service.score_frame(prepared, model, source=upload.name)
            except FramingError as exc:
                st.error(common.text_md(exc))
                return
            st.session_state["upload_scored"] = (upload.name, scored)
        held = st.session_state.get("upload_scored")
        if not held or held[0] != upload.name:
            return
        scored = held[1]
    _results(upload.name, scored)


def _results(name: str, scored: pd.DataFrame) -> None:
    errors = scored[scored["status"] != "ok"] if "status" in scored.columns else scored.iloc[:0]
    st.markdown(f"**{len(scored) - len(errors):,}** passages scored" + (f", **{len(errors):,}** could not be:" if len(errors) else "."))
    if len(errors):
        st.dataframe(errors[[c for c in ("id", "text", "error", "status") if c in errors.columns]].head(100), hide_index=True,
                     key="upload_errors")
    if (scored.get("status", pd.Series(["ok"])) == "ok").sum() == 0:
        return
    try:
        result = compare_view(common.prepare_upload(name, scored))
    except FramingError as exc:
        st.error(common.text_md(exc))
        return
    st.markdown("**In plain words**\n\n" + "\n".join(f"- {common.text_md(s)}" for s in result["summary"]))
    shares = pd.DataFrame(result["shares"])
    table = shares.pivot(index=result["group"], columns="label", values="share")[result["labels"]]
    st.dataframe(table.style.format("{:.0%}"), key="upload_shares")
    st.button("Show it on the Compare, Claims and Explore pages", key="show_upload", on_click=common.add_upload, args=(name, scored))
    left, right = st.columns(2)
    with left:
        fmt = st.selectbox("Scored table as", list(TABLE_FORMATS), key="download_format")
        stem = name.rsplit(".", 1)[0]
        st.download_button("Download the scored table", service.table_bytes(scored, TABLE_FORMATS[fmt]),
                           f"{stem}.scored.{TABLE_FORMATS[fmt]}", key="download_scored")
    with right:
        kind = st.selectbox("Report as", list(REPORT_FORMATS), key="report_format")
        extension, mime = REPORT_FORMATS[kind]
        st.download_button("Download the report", render_report(result, extension).encode("utf-8"), f"{stem}.report.{extension}",
                           mime, key="download_report")


if __name__ == "__main__":
    render()
