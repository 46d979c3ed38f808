"""Retraining on newly labelled passages: candidate vs current, promotion, rollback, new labels, interruptions."""

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from framing import artifacts, service
from framing.cli import main
from framing.codebook import add_label
from framing.errors import CorpusError, FramingError
from framing.store import LabelStore

from .conftest import SMALL_STORIES, bundled_records

pytestmark = pytest.mark.slow


def new_labels(n: int = 80) -> list[dict]:
    """Passages of stories the small corpus lacks, labelled as the bundled corpus labels them."""
    records = [r for r in bundled_records() if r["story"] not in SMALL_STORIES][:n]
    return [{"text": r["text"], "label": r["label"], "annotator": "ana", "source_type": r["source_type"], "story": r["story"],
             "passage_id": r["id"]} for r in records]


@pytest.fixture
def workspace(tmp_path, small_corpus, models_copy):
    corpus = tmp_path / "corpus"
    shutil.copytree(small_corpus, corpus)
    return corpus, models_copy, tmp_path / "labels.db"


def folder_digest(folder: Path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def test_new_labels_make_a_candidate_that_the_report_compares(workspace):
    corpus, models, store = workspace
    LabelStore(store).add_many(new_labels())
    current = artifacts.active_model_id(models)
    result = service.retrain(corpus, models, store, n_jobs=1)
    assert result["current"] == current and result["candidate"] != current
    assert artifacts.active_model_id(models) == current  # not promoted unless asked
    comparison = result["comparison"]
    assert comparison["held_out"] == 16  # 20% of the 80 new passages
    for name in ("current", "candidate"):
        assert set(comparison[name]["per_label"]) == {"hype", "routine", "neutral"} and 0 <= comparison[name]["ece"] <= 1
    manifest = artifacts.read_manifest(models / result["candidate"])
    assert manifest["trained_on"]["store_passages"] == 80 and manifest["corpus"]["n_passages"] == len(
        service.corpus_frame(corpus)) + 80
    hashes = (models / result["candidate"] / "training_hashes.txt").read_text().split()
    assert len(hashes) == 80
    before = service.load_model(current, models).predict_proba([r["text"] for r in new_labels()])
    after = service.load_model(result["candidate"], models).predict_proba([r["text"] for r in new_labels()])
    assert abs(after - before).max() > 0.05  # the new labels changed the model
    assert "not promoted" in result["decision"]


def test_promote_if_better_then_roll_back(workspace, capsys):
    corpus, models, store = workspace
    LabelStore(store).add_many(new_labels())
    current = artifacts.active_model_id(models)
    retrain = ["retrain", "--corpus", str(corpus), "--models", str(models), "--store", str(store), "--promote-if-better",
               "--no-evaluate"]
    assert main(retrain + ["--min-gain", "1.01"]) == 0  # a gain no model can make
    out = capsys.readouterr().out
    assert "held-out new passages" in out and out.splitlines()[-1].startswith("not promoted: held-out macro-F1")
    assert artifacts.active_model_id(models) == current
    assert main(retrain + ["--min-gain", "-1"]) == 0  # any candidate passes
    assert capsys.readouterr().out.splitlines()[-1].startswith("promoted: held-out macro-F1")
    candidate = artifacts.active_model_id(models)
    assert candidate != current
    assert main(["models", "rollback", "--models", str(models)]) == 0
    assert artifacts.active_model_id(models) == current
    assert main(["models", "promote", candidate, "--models", str(models)]) == 0
    assert artifacts.active_model_id(models) == candidate
    assert [h["model_id"] for h in artifacts.history(models)][-3:] == [candidate, current, candidate]
    assert main(["models", "--models", str(models)]) == 0
    listing = capsys.readouterr().out
    assert f"* {candidate}" in listing and "active model history" in listing and "+80 labelled" in listing


def test_a_corrected_label_replaces_the_corpus_label(workspace):
    corpus, models, store = workspace
    passage = service.corpus_frame(corpus).iloc[0]
    other = next(l for l in ("hype", "routine", "neutral") if l != passage["label"])
    LabelStore(store).add(passage["text"], other, "ana")
    result = service.retrain(corpus, models, store, run_evaluation=False, n_jobs=1)
    assert result["training"]["relabelled"] == 1 and result["training"]["store_passages"] == 0
    assert result["comparison"] is None and any("too few new labelled passages" in w for w in result["warnings"])


def test_a_new_label_goes_into_the_codebook_first(workspace):
    corpus, models, store = workspace
    threats = [f"Neighbouring capitals see the drills near border post {i} as a direct threat to their security."
               for i in range(8)] + [f"Opposition deputies warned that exercise number {i} endangers the whole region."
                                     for i in range(8)]
    LabelStore(store).add_many([{"text": t, "label": "threat", "annotator": "ana", "story": f"threat-{i % 4}"}
                                for i, t in enumerate(threats)])
    with pytest.raises(CorpusError, match=r"labels \['threat'\] are not in the codebook"):
        service.retrain(corpus, models, store, run_evaluation=False, n_jobs=1)
    add_label(corpus, "threat", "The cooperation is presented as a danger to others.", cues=["threat"])
    result = service.retrain(corpus, models, store, run_evaluation=False, n_jobs=1)
    candidate = service.load_model(result["candidate"], models)
    assert candidate.labels == ("hype", "routine", "neutral", "threat")
    assert candidate.predict_frame(["Capitals see the drills as a direct threat to their security."])["label"][0] == "threat"
    assert result["comparison"]["current"]["per_label"]["threat"]["f1"] == 0  # the current model cannot say it


def test_low_agreement_warns_and_can_refuse(workspace):
    corpus, models, store = workspace
    labels = LabelStore(store)
    for i, record in enumerate(new_labels(30)):
        labels.add(record["text"], record["label"], "ana")
        labels.add(record["text"], ["hype", "routine", "neutral"][i % 3], "bo")
    with pytest.raises(FramingError, match="alpha .* is below 0.667; retraining refused"):
        service.retrain(corpus, models, store, refuse_low_alpha=True, run_evaluation=False, n_jobs=1)
    result = service.retrain(corpus, models, store, run_evaluation=False, n_jobs=1)
    assert any("annotators agree too little" in w for w in result["warnings"])


def test_killing_a_retrain_leaves_the_active_model_intact(workspace):
    corpus, models, store = workspace
    LabelStore(store).add_many(new_labels())
    active = artifacts.active_model_id(models)
    before = folder_digest(models / active)
    pointer = (models / "ACTIVE").read_bytes()
    process = subprocess.Popen([sys.executable, "-m", "framing", "retrain", "--corpus", str(corpus), "--models", str(models),
                                "--store", str(store), "--promote-if-better"], stderr=subprocess.PIPE, text=True)
    for line in process.stderr:  # wait until it is training, then kill it without warning
        if "evaluating" in line or "training" in line:
            break
    time.sleep(1.0)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(30)
    assert (models / "ACTIVE").read_bytes() == pointer
    assert folder_digest(models / active) == before
    assert [m["model_id"] for m in artifacts.list_models(models)] == [active]
    assert service.load_model(models=models).model_id == active


CLICKBAIT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "clickbait-chakraborty2016"


@pytest.mark.skipif(not CLICKBAIT.is_dir(), reason="the clickbait headlines are not beside the project (../shared/data)")
def test_a_label_set_never_seen_on_real_headlines(tmp_path, capsys):
    import gzip

    corpus, models = tmp_path / "headlines", tmp_path / "models"
    assert main(["codebook", "init", str(corpus), "--labels", "clickbait,news"]) == 0
    for name, label in (("clickbait_data.gz", "clickbait"), ("non_clickbait_data.gz", "news")):
        lines = [l for l in gzip.decompress((CLICKBAIT / name).read_bytes()).decode("utf-8").splitlines() if l.strip()]
        sample = tmp_path / f"{label}.txt"
        sample.write_text("\n".join(lines[:1200]) + "\n", encoding="utf-8")
        assert main(["labels", "import", str(sample), "--label", label, "--annotator", "dataset", "--corpus", str(corpus)]) == 0
    assert main(["retrain", "--corpus", str(corpus), "--models", str(models), "--folds", "3", "--promote-if-better",
                 "--json", str(tmp_path / "result.json")]) == 0
    import json

    result = json.loads((tmp_path / "result.json").read_text())
    assert result["evaluation"]["method"] == "3-fold cross-validation"
    assert result["evaluation"]["accuracy"] > 0.9
    assert result["current"] is None and result["promoted"] and artifacts.active_model_id(models) == result["candidate"]
    model = service.load_model(models=models)
    assert model.labels == ("clickbait", "news")
    assert model.predict_frame(["You Won't Believe These 17 Cats Who Are Having A Better Day Than You"])["label"][0] == "clickbait"


def test_too_few_labelled_passages_end_in_one_line_saying_how_many(tmp_path, capsys):
    corpus, models, store = tmp_path / "headlines", tmp_path / "models", tmp_path / "labels.db"
    assert main(["codebook", "init", str(corpus), "--labels", "clickbait,news"]) == 0
    labels = LabelStore(store)

    def command(name, *extra):
        code = main([name, "--corpus", str(corpus), "--models", str(models), *extra])
        err = capsys.readouterr().err
        assert "Traceback" not in err
        return code, err.strip().splitlines()[-1] if err.strip() else ""

    def add(label, *texts):
        labels.add_many([{"text": t, "label": label, "annotator": "ana"} for t in texts])

    add("clickbait", "You will not believe what this cat did next")
    code, line = command("retrain", "--store", str(store))
    assert code == 2 and line == ("framing retrain: error: too few labelled passages to train: each label needs at least 5 "
                                  "(the model calibrates its probabilities over 5 folds), and there are clickbait 1, "
                                  "news 0; label more passages")
    add("clickbait", *(f"Ten secrets about item {i} they do not want you to know" for i in range(3)))
    code, line = command("retrain", "--store", str(store))
    assert code == 2 and "at least 5" in line and "clickbait 4, news 0" in line
    add("clickbait", *(f"This trick number {i} will change your life" for i in range(2)))
    add("news", *(f"Parliament passes budget bill number {i} after debate" for i in range(6)))
    code, line = command("retrain", "--store", str(store))
    assert code == 2 and "5-fold cross-validation: each label needs at least 7" in line and "clickbait 6, news 6" in line
    assert "--no-evaluate" in line
    code, line = command("retrain", "--store", str(store), "--folds", "12")
    assert code == 2 and "12-fold cross-validation: each label needs at least 12" in line
    code, _ = command("retrain", "--store", str(store), "--no-evaluate")
    assert code == 0 and len(artifacts.list_models(models)) == 1
    code, line = command("train")  # the corpus alone has no passage yet
    assert code == 2 and "needs at least 5" in line and "clickbait 0, news 0" in line
