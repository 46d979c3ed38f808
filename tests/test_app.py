import subprocess
import sys

import pytest

from framing import service
from framing.compare import label_shares
from framing.config import PROJECT_ROOT

AppTest = pytest.importorskip("streamlit.testing.v1").AppTest


@pytest.fixture
def app():
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def test_first_page_shows_source_types_side_by_side(app):
    codebook = service.corpus_codebook()
    corpus = service.corpus_frame()
    shares = label_shares(corpus, codebook.label_names).set_index(["source_type", "label"])
    tabloid_hype = shares.loc[("tabloid", "hype")]
    shown = [m.value for m in app.markdown]
    expected = f"**hype** {tabloid_hype['share']:.0%} [{tabloid_hype['low']:.0%}–{tabloid_hype['high']:.0%}] · {int(tabloid_hype['count'])} of {int(tabloid_hype['n'])}"
    assert expected in shown
    assert [h.value for h in app.subheader][0].startswith("Share of each frame")
    assert len(app.get("vega_lite_chart")) == 1
    assert {m.label for m in app.metric} >= {"passages", "mean hype index"}
    assert len(app.dataframe) == len(codebook.source_type_names)


def test_filters_and_model_labels(app):
    app.multiselect(key="stories").set_value(["serbia-hungary-2025"]).run()
    app.radio(key="label_source").set_value("model").run()
    assert not app.exception
    passages = sum(int(m.value) for m in app.metric if m.label == "passages")
    assert passages == int((service.corpus_frame()["story"] == "serbia-hungary-2025").sum())


def test_try_a_passage(app):
    app.text_area(key="try_text").input("Tabloids hail a mighty military alliance that will shake up the region!").run()
    assert not app.exception
    assert any(m.value.startswith("**hype**") for m in app.markdown)


def test_search_without_matches_says_so(app):
    app.text_input(key="search").input("no passage says this zzzz").run()
    assert not app.exception
    assert "No passage matches" in app.info[0].value


def test_core_does_not_import_the_shells():
    code = "import sys, framing.service, framing.evaluation, framing.compare; print('streamlit' in sys.modules, 'argparse' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "False"
