"""The dashboard, page by page, run headless with Streamlit's AppTest on the bundled corpus and model."""

import json
import re
import subprocess
import sys

import pandas as pd
import pytest

from framing import service
from framing.cli import main
from framing.config import PROJECT_ROOT
from framing.report import markdown_text

from .conftest import SMALL_STORIES, bundled_records, write_jsonl

AppTest = pytest.importorskip("streamlit.testing.v1").AppTest

SEED = "serbia-hungary-2025"
PAGES = "src/framing/ui/"


def pct(value: float) -> str:
    return f"{100 * value:.0f}%"


def share_label(row: dict) -> str:
    return f"{row['label']} {pct(row['share'])} [{pct(row['low'])}–{pct(row['high'])}]"


def table(app: AppTest, *columns: str) -> pd.DataFrame:
    """The last table shown that has these columns."""
    found = [d.value for d in app.dataframe if set(columns) <= set(d.value.columns)]
    assert found, f"no table with columns {columns}"
    return found[-1]


def new_app() -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def app():
    return new_app()


@pytest.fixture(scope="module")
def seed_table(tmp_path_factory):
    """The seed article's passages as a user would upload them, and `framing compare`'s figures for them."""
    folder = tmp_path_factory.mktemp("seed-app")
    records = [{k: r[k] for k in ("id", "text", "source_type", "outlet", "speaker", "story", "date")}
               for r in bundled_records() if r["story"] == SEED]
    source = write_jsonl(folder / "seed.jsonl", records)
    assert main(["score", str(source), "-o", str(folder / "scored.jsonl"), "-q"]) == 0
    assert main(["compare", str(folder / "scored.jsonl"), "-o", str(folder / "report.json")]) == 0
    return source, json.loads((folder / "report.json").read_text())


def test_compare_page_shows_what_framing_compare_computes(app, seed_table):
    _, report = seed_table
    app.multiselect(key="stories").set_value([SEED]).run()
    assert not app.exception
    shown = {b.label for b in app.button}
    tabloid_hype = next(r for r in report["shares"] if r["source_type"] == "tabloid" and r["label"] == "hype")
    assert share_label(tabloid_hype) in shown
    for row in report["shares"]:
        assert share_label(row) in shown
    indexes = [m.value for m in app.metric if m.label == "mean hype index"]
    expected = {f"{r['index_mean']:+.2f}" for r in report["shares"]}
    assert set(indexes) == expected
    assert [s.value for s in app.subheader][:4] == ["tabloid", "official", "expert", "media"]
    plain = next(m.value for m in app.markdown if m.value.startswith("- Calibrated share of the hype frame"))
    assert markdown_text(report["summary"][1]) in plain
    assert any("passages are treated as independent" in w.value for w in app.warning)  # the bundled corpus has no articles
    app.selectbox(key="cluster").set_value("story").run()
    assert not app.exception and not any("treated as independent" in w.value for w in app.warning)
    assert any(m.value.startswith("- Unit of analysis: passages within story values") for m in app.markdown)


def test_every_share_opens_the_passages_behind_it(app):
    app.button(key="share_tabloid_hype").click().run()
    assert not app.exception
    behind = table(app, "text", "label", "p_hype")
    assert len(behind) > 0 and set(behind["label"]) == {"hype"}
    scored = behind.merge(service.corpus_frame()[["id", "source_type"]], on="id")
    assert set(scored["source_type"]) == {"tabloid"}
    assert behind["p_hype"].is_monotonic_decreasing  # most typical first


def test_the_index_opens_the_passages_highest_first(app):
    app.button(key="index_expert").click().run()
    assert not app.exception
    behind = table(app, "text", "hype_index")
    assert len(behind) > 0 and behind["hype_index"].is_monotonic_decreasing


def test_a_distinctive_word_opens_the_passages_that_use_it(app):
    pills = app.pills(key="terms_tabloid")
    word = pills.options[0]
    pills.set_value(word).run()
    assert not app.exception
    behind = table(app, "text", "label", "p_hype")
    assert len(behind) > 0
    assert behind["text"].str.lower().str.contains(word).all()


def test_filters_narrow_every_figure(app):
    scored = service.score_frame(service.corpus_frame().rename(columns={"label": "annotated"}), service.load_model())
    app.multiselect(key="labels").set_value(["routine"]).run()
    app.multiselect(key="stories").set_value([SEED, "japan-philippines-raa"]).run()
    assert not app.exception
    counts = [re.match(r"([\d,]+) passages", c.value) for c in app.caption]
    chosen = scored[(scored["label"] == "routine") & scored["story"].isin([SEED, "japan-philippines-raa"])]
    assert sum(int(m.group(1).replace(",", "")) for m in counts if m) == len(chosen)
    app.text_input(key="search").input("no passage says this zzzz").run()
    assert not app.exception
    assert "No passage matches" in app.info[0].value


def test_claims_page_pairs_retellings_above_the_calibrated_similarity(app):
    from framing.compare import CLAIM_THRESHOLD, VERDICTS

    app.multiselect(key="stories").set_value([SEED]).run()
    app.switch_page(PAGES + "claims_page.py").run()
    assert not app.exception
    verdicts = {m.label: int(m.value.replace(",", "")) for m in app.metric}
    assert list(verdicts) == list(VERDICTS) and sum(verdicts.values()) > 0
    text = " ".join(m.value for m in app.markdown)
    similarities = [float(s) for s in re.findall(r"similarity (\d\.\d\d)", text)]
    assert similarities and min(similarities) >= round(CLAIM_THRESHOLD, 2)


def test_explore_page_shades_words_and_escapes_markup(tmp_path):
    app = new_app()
    app.switch_page(PAGES + "data_page.py").run()
    rows = pd.DataFrame({"text": ["<script>alert('x')</script> A mighty military alliance will shake up the region!",
                                  "The plan lists routine exercises and staff talks, as every year."],
                         "source_type": ["tabloid", "expert"]})
    app.file_uploader(key="upload").upload("markup.csv", rows.to_csv(index=False).encode(), "text/csv").run()
    app.button(key="score_upload").click().run()
    app.button(key="show_upload").click().run()
    app.switch_page(PAGES + "explore_page.py").run()
    assert not app.exception
    html = " ".join(m.value for m in app.markdown)
    assert "<script>" not in html
    assert "&lt;script&gt;" in re.sub(r"</?span[^>]*>", "", html)  # escaped, whether or not its words are shaded
    assert "background: rgba(" in html  # words shaded by their push


def test_try_it_scores_each_passage_of_a_pasted_article(app):
    app.switch_page(PAGES + "try_page.py").run()
    article = ("Tabloids hail a mighty military alliance that will shake up the region!\n\n"
               "“It is a standard plan of exercises, not an alliance,” says Ana Kovač, a researcher at the Institute "
               "for Security Studies.")
    app.text_area(key="try_text").input(article).run()
    app.selectbox(key="try_source").set_value("media").run()
    assert not app.exception
    assert next(m.value for m in app.metric if m.label == "passages") == "2"
    cards = [m.value for m in app.markdown if "hype index" in m.value and "</span>" in m.value]
    assert len(cards) == 2 and ">hype</span>" in cards[0] and ">routine</span>" in cards[1]
    assert "expert" in cards[1] and "Ana Kovač" in cards[1]  # ingest found who speaks
    assert set(table(app, "hype", "routine").index) == {"media", "expert"}


def test_your_data_scores_compares_and_offers_downloads(seed_table):
    source, report = seed_table
    app = new_app()
    app.switch_page(PAGES + "data_page.py").run()
    app.file_uploader(key="upload").upload("seed.jsonl", source.read_bytes(), "application/json").run()
    assert not app.exception
    assert app.selectbox(key="column_text").value == "text"
    app.button(key="score_upload").click().run()
    assert not app.exception
    uploaded = len(source.read_text(encoding="utf-8").splitlines())
    assert any(m.value.startswith(f"**{uploaded:,}** passages scored") for m in app.markdown)
    assert {b.label for b in app.get("download_button")} >= {"Download the scored table", "Download the report"}
    app.button(key="show_upload").click().run()
    app.switch_page(PAGES + "compare_page.py").run()
    assert not app.exception
    assert app.selectbox(key="dataset").value == "seed.jsonl"
    shown = {b.label for b in app.button}
    assert all(share_label(row) in shown for row in report["shares"])


def test_a_bad_upload_is_named_with_its_line(app):
    app.switch_page(PAGES + "data_page.py").run()
    app.file_uploader(key="upload").upload("broken.jsonl", b'{"text": "fine"}\n{"text": \n', "application/json").run()
    assert not app.exception
    assert "broken.jsonl" in app.error[0].value and "line 2" in app.error[0].value


def test_model_page_is_the_model_card(app):
    app.switch_page(PAGES + "model_page.py").run()
    assert not app.exception
    card = service.model_card()
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["macro-F1"] == f"{card['manifest']['metrics']['macro_f1']:.3f}"
    assert app.get("vega_lite_chart")  # confusion matrix and reliability diagram
    models = table(app, "model_id", "active")
    assert card["model_id"] in set(models["model_id"]) and models["active"].sum() == 1
    provenance = table(app, "item", "sha256")
    assert card["manifest"]["corpus"]["sha256"] in set(provenance["sha256"])


def test_core_does_not_import_the_shells():
    code = ("import sys, framing.service, framing.evaluation, framing.compare, framing.views; "
            "print('streamlit' in sys.modules, 'argparse' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "False"


def test_label_and_retrain_page(tmp_path, monkeypatch, small_corpus, models_copy):
    import shutil

    from framing import artifacts
    from framing.store import LabelStore

    corpus = tmp_path / "corpus"
    shutil.copytree(small_corpus, corpus)
    unlabelled = tmp_path / "unlabelled.csv"
    others = [r for r in bundled_records() if r["story"] not in SMALL_STORIES][:100]  # passages the small corpus lacks
    pd.DataFrame([{k: r[k] for k in ("id", "text", "source_type", "outlet", "story")} for r in others]).to_csv(unlabelled, index=False)
    monkeypatch.setenv("FRAMING_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("FRAMING_MODELS_DIR", str(models_copy))
    monkeypatch.setenv("FRAMING_LABEL_STORE", str(tmp_path / "labels.db"))
    monkeypatch.setenv("FRAMING_DASHBOARD_DATA", str(unlabelled))
    app = new_app()
    app.switch_page(PAGES + "label_page.py").run()
    assert not app.exception
    assert app.button(key="label_hype").disabled  # no annotator yet
    app.text_input(key="annotator").input("ana").run()
    for i in range(9):
        app.button(key=["label_hype", "label_routine", "label_neutral"][i % 3]).click().run()
        assert not app.exception
    app.button(key="undo").click().run()
    store = LabelStore(tmp_path / "labels.db")
    assert len(store) == 8 and set(store.records()["annotator"]) == {"ana"}
    assert next(m.value for m in app.metric if m.label == "labels") == "8"
    app.button(key="retrain").click().run()
    assert not app.exception
    comparison = table(app, "model", "macro-F1")
    assert list(comparison["model"]) == ["current", "candidate"]
    app.button(key="promote").click().run()
    assert not app.exception
    assert artifacts.active_model_id(models_copy) == artifacts.history(models_copy)[-1]["model_id"]
    assert artifacts.history(models_copy)[-1]["reason"] == "promoted"


def test_compare_page_corrects_label_shares_on_request(app):
    app.checkbox(key="corrected").check().run()
    assert not app.exception
    corrected = table(app, "observed", "corrected", "low", "high")
    assert set(corrected["source_type"]) == {"tabloid", "official", "expert", "media"}
    assert ((corrected["low"] <= corrected["corrected"]) & (corrected["corrected"] <= corrected["high"])).all()
    assert any("unseen writers" in c.value for c in app.caption)
