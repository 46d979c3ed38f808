"""The dashboard's data layer: collections, filters, comparisons and highlighting, without Streamlit."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from framing.errors import InputError
from framing.report import compare_scored
from framing.views import Filters, compare_view, filter_mask, highlight_html, passages, prepare

LABELS = ["hype", "routine", "neutral"]


@pytest.fixture(scope="module")
def scored() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = []
    texts = {"tabloid": "A mighty alliance will shake up the region", "expert": "A standard plan of routine exercises",
             "media": "The ministers signed the document on Monday"}
    for i in range(120):
        source = ["tabloid", "expert", "media"][i % 3]
        proba = rng.dirichlet([6, 1, 1] if source == "tabloid" else [1, 6, 1] if source == "expert" else [1, 1, 6])
        rows.append({"id": f"p{i}", "text": f"{texts[source]} ({i}).", "source_type": source, "story": f"s{i % 4}",
                     "outlet": f"o{i % 5}", "date": f"2025-{1 + i % 12:02d}-15", "label": LABELS[int(np.argmax(proba))],
                     **{f"p_{l}": float(p) for l, p in zip(LABELS, proba)}, "hype_index": float(proba[0] - proba[1]),
                     "status": "ok"})
    rows.append({"id": "bad", "text": "", "source_type": "media", "label": "", "status": "error", "error": "empty text",
                 **{f"p_{l}": "" for l in LABELS}, "hype_index": ""})
    return pd.DataFrame(rows)


def test_prepare_sets_unscored_rows_aside(scored):
    collection = prepare(scored, "table.csv")
    assert len(collection.table) == 120 and list(collection.unscored["id"]) == ["bad"]
    assert collection.labels == tuple(LABELS) and collection.index == "hype_index"
    assert collection.counts.shape == (120, len(collection.vocabulary))
    assert collection.date_range() == (date(2025, 1, 15), date(2025, 12, 15))


def test_a_table_without_scores_or_groups_is_refused(scored):
    with pytest.raises(InputError, match="not a scored table"):
        prepare(scored[["text", "source_type"]], "raw.csv")
    with pytest.raises(InputError, match="source_type"):
        prepare(scored.drop(columns="source_type"), "nogroup.csv")


def test_filters_combine(scored):
    collection = prepare(scored)
    table = collection.table
    assert filter_mask(collection, Filters()).all()
    mask = filter_mask(collection, Filters(stories=("s0", "s1"), labels=("hype",), search="MIGHTY"))
    expected = table["story"].isin(["s0", "s1"]) & (table["label"] == "hype") & table["text"].str.contains("mighty")
    assert (mask == expected.to_numpy()).all() and mask.any()
    spring = filter_mask(collection, Filters(dates=(date(2025, 3, 1), date(2025, 5, 15))))
    assert set(table.loc[spring, "date"]) == {"2025-03-15", "2025-04-15", "2025-05-15"}


def test_the_filtered_comparison_equals_a_fresh_one(scored):
    collection = prepare(scored)
    mask = filter_mask(collection, Filters(outlets=("o1", "o2", "o3")))
    view = compare_view(collection, mask, min_n=5, typical=50)
    fresh = compare_scored(collection.table[mask], min_n=5, claims=False)
    assert view["shares"] == fresh["shares"] and view["terms"] == fresh["terms"] and view["summary"] == fresh["summary"]
    with pytest.raises(InputError, match="no passage"):
        compare_view(collection, np.zeros(len(collection.table), dtype=bool))


def test_passages_behind_a_figure(scored):
    collection = prepare(scored)
    typical = passages(collection, group="source_type", value="tabloid", label="hype", sort="typical")
    assert set(typical["source_type"]) == {"tabloid"} and set(typical["label"]) == {"hype"}
    assert typical["p_hype"].is_monotonic_decreasing
    mighty = passages(collection, term="mighty")
    assert len(mighty) == 40 and mighty["text"].str.contains("mighty").all()
    assert passages(collection, term="zzz").empty
    uncertain = passages(collection, sort="uncertain")
    top2 = np.sort(uncertain[[f"p_{l}" for l in LABELS]].to_numpy(), axis=1)
    assert (np.diff(top2[:, -1] - top2[:, -2]) >= 0).all()


def test_highlighting_escapes_the_text():
    text = "<b>Mighty</b> & alliance"
    pushes = [(3, 9, 0.8), (16, 24, -0.4)]
    out = highlight_html(text, pushes)
    assert "<b>" not in out and "&lt;b&gt;" in out and "&amp;" in out
    assert 'title="+0.800">Mighty</span>' in out and 'title="-0.400">alliance</span>' in out


def test_word_pushes_add_up_to_the_passage(model):
    text = "Not an alliance, but a standard plan of routine exercises."
    label, pushes = model.word_pushes(text)
    assert label == model.predict_frame([text])["label"].iloc[0]
    assert [text[a:b] for a, b, _ in pushes][:3] == ["Not", "an", "alliance"]
    centred, _, rows = model._contribution_weights()
    row = model.pipeline.named_steps["features"].transform([text]).tocsr()
    total = float(row.data @ centred[rows[label], row.indices])
    assert sum(p for _, _, p in pushes) == pytest.approx(total, rel=1e-5)
