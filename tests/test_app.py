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


def test_try_it_says_how_to_give_the_narrations_source_type(app):
    app.switch_page(PAGES + "try_page.py").run()
    app.text_area(key="try_text").input("Serbia declared military neutrality in 2007. The plan lists 79 activities.").run()
    assert not app.exception
    assert any("narration has no source type" in i.value for i in app.info)
    app.selectbox(key="try_source").set_value("media").run()
    assert not any("narration has no source type" in i.value for i in app.info)


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


def label_page(tmp_path, monkeypatch, small_corpus, models_copy, data=None) -> AppTest:
    """The Label & retrain page on a copy of the small corpus and its model, with an empty label store."""
    import shutil

    corpus = tmp_path / "corpus"
    shutil.copytree(small_corpus, corpus)
    monkeypatch.setenv("FRAMING_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("FRAMING_MODELS_DIR", str(models_copy))
    monkeypatch.setenv("FRAMING_LABEL_STORE", str(tmp_path / "labels.db"))
    if data is None:
        monkeypatch.delenv("FRAMING_DASHBOARD_DATA", raising=False)
    else:
        monkeypatch.setenv("FRAMING_DASHBOARD_DATA", str(data))
    app = new_app()
    app.switch_page(PAGES + "label_page.py").run()
    assert not app.exception, app.exception
    return app


def unlabelled_rows(n: int) -> pd.DataFrame:
    """Passages of the bundled corpus that the small corpus lacks, without their labels."""
    others = [r for r in bundled_records() if r["story"] not in SMALL_STORIES][:n]
    return pd.DataFrame([{k: r[k] for k in ("id", "text", "source_type", "outlet", "story")} for r in others])


def card_text(app: AppTest) -> str:
    """The passage on the labelling card."""
    return next(m.value for m in app.markdown if m.value.startswith("> "))


def test_labelled_data_is_no_dead_end_on_the_label_page(tmp_path, monkeypatch, small_corpus, models_copy):
    from framing.store import LabelStore, content_hash
    from framing.ui.common import text_html

    app = label_page(tmp_path, monkeypatch, small_corpus, models_copy)
    assert any("has a label already" in i.value for i in app.info)
    ways = " ".join(m.value for m in app.markdown)
    assert "Upload a table of passages" in ways and "framing labels import" in ways and "Disagree with a label" in ways
    assert [link.value for link in app.get("page_link")] == ["Your data: upload and choose the columns"]

    app.button(key="review_labelled").click().run()  # disagree with a label
    assert not app.exception
    assert app.radio(key="label_mode").value == "labelled"
    app.text_input(key="annotator").input("ana").run()
    header = next(m.value for m in app.markdown if m.value.startswith("Next of "))
    given = re.search(r"labelled <b>(\w+)</b> \(corpus\)", header).group(1)
    text = card_text(app)
    corpus = {content_hash(t): t for t in service.corpus_frame()["text"]}
    other = next(label for label in service.corpus_codebook().label_names if label != given)
    app.button(key=f"label_{other}").click().run()
    assert not app.exception
    records = LabelStore(tmp_path / "labels.db").records()
    assert list(records["label"]) == [other] and records["content_hash"].iloc[0] in corpus
    assert text == f"> {text_html(corpus[records['content_hash'].iloc[0]])}"
    assert card_text(app) != text  # on to the next labelled passage

    app.radio(key="label_mode").set_value("new").run()  # or label new passages: upload them here
    upload = unlabelled_rows(6).to_csv(index=False).encode()
    app.file_uploader(key="label_upload").upload("new.csv", upload, "text/csv").run()
    app.button(key="label_upload_score").click().run()
    assert not app.exception
    assert app.selectbox(key="dataset").value == "new.csv"
    assert not any("has a label already" in i.value for i in app.info)
    app.button(key="label_hype").click().run()
    assert not app.exception and len(LabelStore(tmp_path / "labels.db")) == 2


def test_retrain_without_a_held_out_comparison_is_promoted_only_on_confirmation(tmp_path, monkeypatch, small_corpus,
                                                                                    models_copy):
    from framing import artifacts
    from framing.store import LabelStore

    app = label_page(tmp_path, monkeypatch, small_corpus, models_copy)
    passage = service.corpus_frame().iloc[0]
    LabelStore(tmp_path / "labels.db").add(passage["text"], "neutral" if passage["label"] != "neutral" else "routine", "ana")
    before = artifacts.active_model_id(models_copy)
    app.button(key="retrain").click().run()  # a relabelled corpus passage: nothing to hold out; no cross-validation
    assert not app.exception
    said = [w.value for w in app.warning] + [m.value for m in app.markdown] + [c.value for c in app.caption]
    assert not any("compared by cross-validation" in s for s in said)
    assert any(w.value.startswith("**Not compared with the current model**") and "not cross-validated either" in w.value
               for w in app.warning)
    assert not [b for b in app.button if b.key == "promote"]
    assert app.button(key="promote_unchecked").disabled
    assert artifacts.active_model_id(models_copy) == before
    app.checkbox(key="promote_anyway").check().run()
    app.button(key="promote_unchecked").click().run()
    assert not app.exception
    candidate = artifacts.history(models_copy)[-1]["model_id"]
    assert candidate != before and artifacts.active_model_id(models_copy) == candidate


def test_labelling_skips_and_has_keys_for_the_codebook_labels(tmp_path, monkeypatch, small_corpus, models_copy):
    from framing.store import LabelStore
    from framing.ui.common import text_md

    data = tmp_path / "unlabelled.csv"
    unlabelled_rows(40).to_csv(data, index=False)
    app = label_page(tmp_path, monkeypatch, small_corpus, models_copy, data)
    labels = list(service.corpus_codebook().label_names)
    assert [app.button(key=f"label_{label}").proto.shortcut for label in labels] == [str(i + 1) for i in range(len(labels))]
    assert app.button(key="skip").proto.shortcut == "s"
    app.number_input(key="queue_size").set_value(3).run()
    first = card_text(app)
    app.button(key="skip").click().run()  # no name needed to skip
    assert not app.exception
    second = card_text(app)
    assert second != first
    skipped = " ".join(m.value for m in app.markdown if m.value.startswith("- "))
    assert text_md(first[2:40]) in skipped
    assert list(table(app, "rank", "skipped")["skipped"]) == [False] * 3 + [True]  # it waits at the end of the queue
    app.text_input(key="annotator").input("ana").run()
    app.button(key=f"label_{labels[0]}").click().run()
    assert card_text(app) not in (first, second)
    assert list(LabelStore(tmp_path / "labels.db").records()["label"]) == [labels[0]]
    app.button(key="unskip").click().run()  # back now
    assert not app.exception and card_text(app) == first

    app.text_input(key="new_label_name").input("alarm").run()  # labels come from the codebook, in its order
    app.text_area(key="new_label_definition").input("The cooperation is presented as a danger.").run()
    app.button(key="add_label").click().run()
    assert not app.exception
    assert app.button(key="label_alarm").proto.shortcut == str(len(labels) + 1)


def test_model_page_shows_the_codebook_definitions_in_full(app):
    from framing.ui.common import text_md

    app.switch_page(PAGES + "model_page.py").run()
    assert not app.exception
    shown = [m.value for m in app.markdown]
    for label in service.corpus_codebook().labels:
        assert any(m.startswith(f"**{label.name}** — frame: *{text_md(label.frame)}*") and text_md(label.definition) in m
                   for m in shown), label.name


def test_evidence_shading_tells_toward_from_away_from_the_label(app):
    import colorsys

    app.multiselect(key="labels").set_value(["hype"]).run()
    app.switch_page(PAGES + "explore_page.py").run()
    assert not app.exception
    cards = [m.value for m in app.markdown if 'title="' in m.value and "rgba(" in m.value]
    assert cards
    shades = {tuple(int(v) for v in c) for card in cards for c in re.findall(r'rgba\((\d+), (\d+), (\d+), [\d.]+\); border-radius: 3px" title', card)}
    assert len(shades) == 2, shades  # one hue each way, whatever the label's colour
    toward = {tuple(int(v) for v in c) for card in cards
              for c in re.findall(r'rgba\((\d+), (\d+), (\d+), [\d.]+\); border-radius: 3px" title="\+', card)}
    away = shades - toward
    assert len(toward) == len(away) == 1
    hues = [colorsys.rgb_to_hsv(*(v / 255 for v in rgb))[0] * 360 for rgb in (*toward, *away)]
    assert 90 <= abs(hues[0] - hues[1]) <= 270, hues  # far apart on the colour wheel
    assert all("green, the word pushed toward <b>hype</b>" in card and "purple, it pushed away from <b>hype</b>" in card
               for card in cards)
