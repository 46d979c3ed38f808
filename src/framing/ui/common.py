"""What every dashboard page shares: the cached model and collections, the data and filter sidebar.

The pages only render: data comes from :mod:`framing.service` and :mod:`framing.views`.
State is per user (``st.session_state``); the model is cached by its file's hash with
``st.cache_resource``, collections and comparisons with ``st.cache_data``.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from framing import service
from framing.errors import FramingError
from framing.model import FramingModel
from framing.views import Collection, Filters, claims_view, compare_view, filter_mask, prepare

#: The bundled corpus, scored by the active model.
BUNDLED = "Bundled corpus"
#: A scored (or unscored) table given with ``framing dashboard --data FILE``.
DATA_ENV = "FRAMING_DASHBOARD_DATA"
#: Largest upload accepted, in megabytes.
UPLOAD_LIMIT_MB = 200
#: Groups the Compare page can put side by side, at most.
MAX_GROUPS = 8
#: Label colours, in label-set order (the codebook's).
PALETTE = ["#d84315", "#1565c0", "#757575", "#2e7d32", "#6a1b9a", "#f9a825", "#00838f", "#ad1457"]
FILTER_KEYS = ("stories", "outlets", "dates", "labels", "search", "group", "cluster")
#: The choice of no independent unit above the passage.
NO_CLUSTER = "none: passages"


@st.cache_resource(show_spinner="Loading the model…")
def _model(model_id: str, model_sha256: str) -> FramingModel:
    return service.load_model(model_id)


def model() -> FramingModel:
    """The active model, verified and cached by its id and file hash."""
    return _model(*service.active_model_fingerprint())


@st.cache_data(show_spinner="Scoring the bundled corpus…", max_entries=2)
def _bundled(model_id: str, model_sha256: str) -> Collection:
    corpus = service.corpus_frame().rename(columns={"label": "annotated"})
    return prepare(service.score_frame(corpus, _model(model_id, model_sha256)), BUNDLED)


@st.cache_data(show_spinner="Reading the data…", max_entries=2)
def _from_file(path: str, modified: float, size: int, model_id: str, model_sha256: str) -> Collection:
    table = service.read_scored(path)
    if not any(c.startswith("p_") for c in table.columns):
        table = service.score_frame(table, _model(model_id, model_sha256), source=path)
    return prepare(table, Path(path).name)


@st.cache_data(show_spinner="Counting the words of your data…", max_entries=4)
def _uploaded(token: str, name: str, _scored: pd.DataFrame) -> Collection:
    return prepare(_scored, name)


@st.cache_data(show_spinner="Comparing…", max_entries=64)
def _comparison(token: str, filters_key: str, group: str, cluster: str | None, min_n: int, _collection: Collection,
                _mask: np.ndarray) -> dict:
    return compare_view(_collection, _mask, group=group, cluster=cluster, min_n=min_n)


@st.cache_data(show_spinner="Matching retellings to statements…", max_entries=16)
def _claims(token: str, filters_key: str, _collection: Collection, _mask: np.ndarray) -> pd.DataFrame:
    return claims_view(_collection, _mask)


def datasets() -> dict[str, str]:
    """The data a user can look at: name → cache token."""
    fingerprint = service.active_model_fingerprint()
    found = {}
    given = os.environ.get(DATA_ENV)
    if given:  # shown first: the user started the dashboard to look at it
        stat = Path(given).stat()
        found[Path(given).name] = f"file:{given}:{stat.st_mtime}:{stat.st_size}:" + ":".join(fingerprint)
    found[BUNDLED] = "bundled:" + ":".join(fingerprint)
    for name, (token, _) in st.session_state.get("uploads", {}).items():
        found[name] = token
    return found


def collection(name: str) -> Collection:
    """A data set by name, prepared (and cached)."""
    fingerprint = service.active_model_fingerprint()
    if name == BUNDLED:
        return _bundled(*fingerprint)
    uploads = st.session_state.get("uploads", {})
    if name in uploads:
        token, scored = uploads[name]
        return _uploaded(token, name, scored)
    given = os.environ[DATA_ENV]
    stat = Path(given).stat()
    return _from_file(given, stat.st_mtime, stat.st_size, *fingerprint)


def _token(scored: pd.DataFrame) -> str:
    return "upload:" + hashlib.sha256(pd.util.hash_pandas_object(scored, index=False).to_numpy().tobytes()).hexdigest()


def prepare_upload(name: str, scored: pd.DataFrame) -> Collection:
    """An uploaded scored table, prepared (and cached by its content)."""
    return _uploaded(_token(scored), name, scored)


def add_upload(name: str, scored: pd.DataFrame) -> None:
    """Keep a scored upload for this user and show it next."""
    st.session_state.setdefault("uploads", {})[name] = (_token(scored), scored)
    st.session_state["_show_dataset"] = name


@dataclass(frozen=True)
class View:
    """The data set and filters chosen in the sidebar."""

    name: str
    token: str
    collection: Collection
    filters: Filters
    mask: np.ndarray
    group: str
    cluster: str | None = None

    @property
    def filters_key(self) -> str:
        return repr(self.filters)

    @property
    def table(self) -> pd.DataFrame:
        return self.collection.table[self.mask]

    def comparison(self, min_n: int = 10) -> dict:
        return _comparison(self.token, self.filters_key, self.group, self.cluster, min_n, self.collection, self.mask)

    def claims(self) -> pd.DataFrame:
        return _claims(self.token, self.filters_key, self.collection, self.mask)


def keep_choices() -> None:
    """Keep the data set and filters when the user moves to another page.

    Streamlit forgets a widget's value when a run does not draw it; assigning the value
    to itself at the start of every run keeps it for the pages that draw it again.
    """
    for key in ("dataset", *FILTER_KEYS):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def _reset_filters() -> None:
    for key in FILTER_KEYS:
        st.session_state.pop(key, None)
    st.session_state.pop("focus", None)


def groups_of(coll: Collection) -> list[str]:
    """Columns the Compare page can group by: source type first, then others with few values."""
    candidates = ["source_type", "outlet", "speaker", "story"]
    found = [c for c in candidates if c in coll.table.columns and 2 <= coll.table[c].nunique() <= MAX_GROUPS]
    if coll.dates is not None and coll.dates.notna().any():
        found += ["month", "quarter", "year"]
    return ["source_type"] + [c for c in found if c != "source_type"]


def units_of(coll: Collection) -> list[str]:
    """Columns that can be the independent unit of the tests: article columns first, then outlet and story."""
    from framing.report import CLUSTER_COLUMNS

    found = [c for c in (*CLUSTER_COLUMNS, "outlet", "story") if c in coll.table.columns]
    articles = [c for c in found if c in CLUSTER_COLUMNS]
    return articles + [NO_CLUSTER] + [c for c in found if c not in CLUSTER_COLUMNS]


def sidebar() -> View | None:
    """The data set and the filters, in the sidebar; the chosen view, or None when there is nothing to show."""
    with st.sidebar:
        try:
            available = datasets()
        except FramingError as exc:
            st.error(f"framing cannot start: {exc}")
            return None
        if st.session_state.get("_show_dataset") in available:
            st.session_state["dataset"] = st.session_state.pop("_show_dataset")
            _reset_filters()
        names = list(available)
        name = st.selectbox("Data", names, key="dataset", on_change=_reset_filters,
                            help="The bundled corpus, a file given with `framing dashboard --data`, or your uploads")
        try:
            coll = collection(name)
        except FramingError as exc:
            st.error(str(exc))
            return None
        st.caption(f"{len(coll.table):,} scored passages" + (f" · {len(coll.unscored):,} could not be scored" if len(coll.unscored) else ""))
        st.header("Filters")
        stories = st.multiselect("Stories", coll.values("story"), key="stories", placeholder="All stories") if "story" in coll.table else []
        outlets = st.multiselect("Outlets", coll.values("outlet"), key="outlets", placeholder="All outlets") if "outlet" in coll.table else []
        dates = None
        bounds = coll.date_range()
        if bounds:
            st.session_state.setdefault("dates", bounds)
            chosen = st.date_input("Dates", min_value=bounds[0], max_value=bounds[1], key="dates")
            if isinstance(chosen, (tuple, list)) and len(chosen) == 2 and tuple(chosen) != bounds:
                dates = (chosen[0], chosen[1])
        labels = st.multiselect("Frames (model labels)", list(coll.labels), key="labels", placeholder="All frames")
        search = st.text_input("Passages containing", key="search")
        options = groups_of(coll)
        group = st.selectbox("Compare by", options, key="group", format_func=lambda g: g.replace("_", " "))
        cluster = st.selectbox(
            "Independent unit", units_of(coll), key="cluster", format_func=lambda c: c.replace("_", " "),
            help="Passages of one article lean the same way, so intervals and tests count whole articles as the "
                 "independent units. Pick the column that names each passage's article; with none, passages are "
                 "treated as independent (intervals too narrow if they are not). Outlet or story are coarser, "
                 "more cautious units.")
    filters = Filters(tuple(stories), tuple(outlets), dates, tuple(labels), search)
    mask = filter_mask(coll, filters)
    return View(name, available[name], coll, filters, mask, group, "" if cluster == NO_CLUSTER else cluster)


def label_colours(labels) -> dict[str, str]:
    return {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(labels)}


def badge(label: str, labels) -> str:
    """A coloured label badge (Markdown with HTML; the label comes from the model's label set)."""
    import html

    colour = label_colours(labels).get(label, "#555")
    return f'<span style="background:{colour};color:white;padding:1px 8px;border-radius:9px;font-size:0.85em">{html.escape(label)}</span>'


def group_order(values, group: str) -> list[str]:
    """Group values in the codebook's order for source types, sorted otherwise."""
    values = [str(v) for v in values]
    if group == "source_type":
        known = list(service.corpus_codebook().source_type_names)
        return [v for v in known if v in values] + sorted(v for v in values if v not in known)
    return sorted(values)
