"""What every dashboard page shares: the cached model and collections, the data and filter sidebar.

The pages only render: data comes from :mod:`framing.service` and :mod:`framing.views`.
State is per user (``st.session_state``); the model is cached by its file's hash with
``st.cache_resource``, collections and comparisons with ``st.cache_data``.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from framing import service
from framing.errors import FramingError, InputError
from framing.model import FramingModel
from framing.report import markdown_text
from framing.views import Collection, Filters, claims_view, compare_view, filter_mask, highlight_html, prepare

#: The bundled corpus, scored by the active model.
BUNDLED = "Bundled corpus"
#: A scored (or unscored) table given with ``framing dashboard --data FILE``.
DATA_ENV = "FRAMING_DASHBOARD_DATA"
#: Largest upload accepted, in megabytes.
UPLOAD_LIMIT_MB = 200
#: Most rows an upload may hold (larger tables: ``framing score`` on the command line).
UPLOAD_LIMIT_ROWS = 1_000_000
#: Most data an upload may unpack to once read (decompressed, every value decoded), in megabytes.
UPLOAD_LIMIT_DATA_MB = 1_000
#: Rows read at a time from an upload, so that the limits are checked before much more is read.
UPLOAD_CHUNK_ROWS = 10_000
#: Groups the Compare page can put side by side, at most.
MAX_GROUPS = 8
#: Label colours, in label-set order (the codebook's).
PALETTE = ["#d84315", "#1565c0", "#757575", "#2e7d32", "#6a1b9a", "#f9a825", "#00838f", "#ad1457"]
#: Word shading, whatever the label: green for a push toward the predicted label, purple for a push away from it.
#: Two hues apart (ColorBrewer's purple-green pair, told apart with the common colour-vision deficiencies), neither
#: of them the red-orange of a label badge, so "toward hype" and "away from hype" never look alike.
EVIDENCE_TOWARD = "27, 120, 55"
EVIDENCE_AWAY = "118, 42, 131"
FILTER_KEYS = ("stories", "outlets", "dates", "labels", "search", "group", "cluster")
#: The choice of no independent unit above the passage.
NO_CLUSTER = "none: passages"
#: The source type of uploaded passages whose table gives none.
SOURCE_TYPE_NOT_GIVEN = "not given"


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


class _Budget:
    """The rows and megabytes an upload may still unpack to; refuses it, naming it, once either is spent."""

    def __init__(self, name: str):
        self.name, self.rows, self.bytes = name, 0, 0

    def refuse(self, what: str) -> InputError:
        return InputError(f"{what}; the dashboard reads uploads of at most {UPLOAD_LIMIT_MB:,} MB, "
                          f"{UPLOAD_LIMIT_ROWS:,} rows and {UPLOAD_LIMIT_DATA_MB:,} MB of data once decompressed "
                          "(score larger tables with framing score on the command line)", path=self.name)

    def spend(self, rows: int, size: int) -> None:
        self.rows += rows
        self.bytes += size
        if self.rows > UPLOAD_LIMIT_ROWS:
            raise self.refuse(f"more than {UPLOAD_LIMIT_ROWS:,} rows")
        if self.bytes > UPLOAD_LIMIT_DATA_MB * 2**20:
            raise self.refuse(f"more than {UPLOAD_LIMIT_DATA_MB:,} MB of data once decompressed")


def _parquet_tables(path: str, budget: _Budget) -> list:
    """A Parquet upload as Arrow tables, refused from its metadata or its dictionaries before its values are unpacked.

    The row count and decompressed size come from the file's metadata; text columns are read
    as dictionaries, whose decoded size is known without decoding them (a file of one long
    value repeated unpacks to gigabytes from a few kilobytes), and decoded only once the
    whole file is known to fit.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
        metadata, schema = parquet.metadata, parquet.schema_arrow
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a file that is not Parquet
        raise InputError(f"not a readable Parquet file ({exc})", path=budget.name) from None
    if metadata.num_rows > UPLOAD_LIMIT_ROWS:
        raise budget.refuse(f"{metadata.num_rows:,} rows")
    unpacked = sum(metadata.row_group(g).column(c).total_uncompressed_size
                   for g in range(metadata.num_row_groups) for c in range(metadata.num_columns))
    if unpacked > UPLOAD_LIMIT_DATA_MB * 2**20:
        raise budget.refuse(f"{unpacked / 2**20:,.0f} MB of data once decompressed")
    texts = [f.name for f in schema if pa.types.is_dictionary(f.type) or pa.types.is_string(f.type)
             or pa.types.is_large_string(f.type) or pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type)]
    batches = []
    try:
        for batch in pq.ParquetFile(path, read_dictionary=texts).iter_batches(batch_size=UPLOAD_CHUNK_ROWS):
            size = 0
            for column in batch.columns:
                if pa.types.is_dictionary(column.type):  # its values' lengths, one per row, and an offset each
                    size += (pc.sum(pc.take(pc.binary_length(column.dictionary), column.indices)).as_py() or 0) + 8 * len(column)
                else:
                    size += column.nbytes
            budget.spend(batch.num_rows, size)
            batches.append(batch)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - and for data it cannot decode
        raise InputError(f"unreadable Parquet data ({exc})", path=budget.name, row=budget.rows + 1) from None
    tables = []
    for batch in batches:  # decoded back to the file's types (dictionaries kept where the file has them)
        columns = [c if pa.types.is_dictionary(f.type) or not pa.types.is_dictionary(c.type) else c.cast(f.type)
                   for c, f in zip(batch.columns, schema)]
        tables.append(pa.Table.from_arrays(columns, names=schema.names, metadata=schema.metadata))
    return tables or [schema.empty_table()]


def read_upload(name: str, data: bytes) -> pd.DataFrame:
    """An uploaded table (CSV, TSV, JSONL or Parquet, by its name's extension), read only while it keeps to the limits.

    The bytes are checked first (``UPLOAD_LIMIT_MB``); a Parquet file's rows and decompressed
    size are checked from its metadata and dictionaries before a value is unpacked; CSV, TSV and
    JSONL are read ``UPLOAD_CHUNK_ROWS`` rows at a time and refused as soon as they pass
    ``UPLOAD_LIMIT_ROWS`` rows or ``UPLOAD_LIMIT_DATA_MB`` of data. Errors name the uploaded file.
    """
    import tempfile

    from framing.scoring import read_chunks
    from framing.tables import table_format

    shown = Path(name).name
    budget = _Budget(shown)
    if len(data) > UPLOAD_LIMIT_MB * 2**20:
        raise budget.refuse(f"{len(data) / 2**20:,.1f} MB")
    fmt = table_format(shown)
    with tempfile.TemporaryDirectory(prefix="framing-upload-") as folder:
        path = Path(folder) / shown
        path.write_bytes(data)
        try:
            if fmt == "parquet":
                chunks = _parquet_tables(str(path), budget)
            else:
                chunks = []
                for chunk in read_chunks(str(path), fmt, UPLOAD_CHUNK_ROWS):
                    if isinstance(chunk, pd.DataFrame):
                        budget.spend(len(chunk), int(chunk.memory_usage(index=False, deep=True).sum()))
                    else:
                        budget.spend(chunk.num_rows, chunk.nbytes)
                    chunks.append(chunk)
        except InputError as exc:
            raise InputError(exc.problem.replace(str(path), shown), path=shown, row=exc.row, line=exc.line) from None
    frames = [c if isinstance(c, pd.DataFrame) else c.to_pandas() for c in chunks]
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


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
            st.error(f"framing cannot start: {text_md(exc)}")
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
            st.error(text_md(exc))
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


#: An invisible mark that splits text for Markdown without HTML: the word joiner (U+2060).
JOINER = "\u2060"
#: The same for Markdown with HTML: an empty comment, which shows and copies as nothing.
COMMENT = "<!---->"
#: The characters :func:`framing.report.markdown_text` escapes, less ``<``, ``>`` and ``&``, which html.escape has
#: made entities already (escaping ``&`` again would show ``&lt;`` as written).
_SYNTAX_IN_HTML = re.compile(r"([\\`*_\[\]|~$])")
#: A marker that opens a heading, list or setext underline at the start of a line (``>`` is an entity in HTML).
_LINE_MARKER_IN_HTML = re.compile(r"^(\s*)([#+\-=]|\d+[.)])")
#: Where Streamlit still makes a link (``http://…``, ``mailto:…``, ``www.…``, ``a@b.org``) or its logo
#: (``:streamlit:``) from escaped text: it reads the text after escapes are undone, so a mark must split it.
_LINKING = re.compile(r"(?=@)|(?<=www)(?=\.)", re.IGNORECASE)


def _unlinked(markdown: str, mark: str) -> str:
    """Escaped Markdown, also safe from what Streamlit adds to GitHub's Markdown.

    A colon before a non-space opens colours, emoji and icons (``:red[…]``, ``:smile:``,
    ``:material/home:``): it is escaped, and split from what follows, as are ``@`` and
    ``www.``, so that no address becomes a link.
    """
    markdown = re.sub(r":(?=\S)", lambda _: "\\:" + mark, markdown)
    return _LINKING.sub(lambda _: mark, markdown)


def text_md(value) -> str:
    """``value`` (a user's text, a file or column name, an error naming them) as Markdown that shows it as written.

    For Markdown without HTML: ``st.markdown``, ``st.caption``, alerts, headings. Line breaks
    become spaces; addresses are split by an invisible word joiner.
    """
    return _unlinked(markdown_text(value), JOINER)


def text_html(value) -> str:
    """``value`` for Markdown with HTML (``unsafe_allow_html=True``), shown as written: escaped for HTML, then for Markdown.

    Line breaks become ``<br>``; addresses are split by an empty HTML comment, so the text
    copies as written.
    """
    lines = [_SYNTAX_IN_HTML.sub(r"\\\1", html.escape(line, quote=False)) for line in str(value).split("\n")]
    return _unlinked(_LINE_MARKER_IN_HTML.sub(_escape_marker, "<br>".join(lines)), COMMENT)


def markup_html(markup: str) -> str:
    """HTML the dashboard made around escaped text (``framing.views.highlight_html``), its text escaped for Markdown too.

    The tags are kept; the text between them (escaped for HTML already) is escaped as
    :func:`text_html` escapes it.
    """
    parts = re.split(r"(<[^>]*>)", markup)
    for i in range(0, len(parts), 2):
        parts[i] = _unlinked(_SYNTAX_IN_HTML.sub(r"\\\1", parts[i]), COMMENT)
    parts[0] = _LINE_MARKER_IN_HTML.sub(_escape_marker, parts[0])
    return "".join(parts)


def _escape_marker(match: re.Match) -> str:
    marker = match.group(2)
    return match.group(1) + (marker[:-1] + "\\" + marker[-1] if marker[0].isdigit() else "\\" + marker)


def badge(label: str, labels) -> str:
    """A coloured label badge (Markdown with HTML; the label comes from the model's label set)."""
    colour = label_colours(labels).get(label, "#555")
    return f'<span style="background:{colour};color:white;padding:1px 8px;border-radius:9px;font-size:0.85em">{text_html(label)}</span>'


def evidence_legend(label: str) -> str:
    """The key to :func:`evidence_html`'s shading, in words and swatches (Markdown with HTML)."""
    def swatch(rgb: str) -> str:
        return f'<span style="background: rgba({rgb}, 0.6); border-radius: 3px; padding: 0 0.6em">&nbsp;</span>'

    name = text_html(label)
    return (f"<small>Shading: {swatch(EVIDENCE_TOWARD)} green, the word pushed toward <b>{name}</b> · "
            f"{swatch(EVIDENCE_AWAY)} purple, it pushed away from <b>{name}</b> · the darker, the stronger "
            "(hover a word for its weight)</small>")


def evidence_html(text: str, pushes, label: str) -> str:
    """``text`` with its words shaded by how they pushed the model toward ``label`` or away from it, then the legend.

    Markdown with HTML: the text is escaped (for HTML, then for Markdown), the shading is the
    dashboard's own; the two directions have their own hues (``EVIDENCE_TOWARD``, ``EVIDENCE_AWAY``).
    """
    shaded = markup_html(highlight_html(text, pushes, colour=EVIDENCE_TOWARD, against=EVIDENCE_AWAY))
    return shaded + "<br>" + evidence_legend(label)


def group_order(values, group: str) -> list[str]:
    """Group values in the codebook's order for source types, sorted otherwise."""
    values = [str(v) for v in values]
    if group == "source_type":
        known = list(service.corpus_codebook().source_type_names)
        return [v for v in known if v in values] + sorted(v for v in values if v not in known)
    return sorted(values)
