"""The label store, agreement between annotators, and the queue of what to label next."""

import gzip
import json
import multiprocessing

import numpy as np
import pandas as pd
import pytest

from framing.active import label_queue, uncertainty
from framing.agreement import agreement_report, krippendorff_alpha
from framing.errors import InputError
from framing.store import LabelStore, content_hash

from .conftest import bundled_records


def _label_many(path: str, worker: int, n: int) -> None:
    store = LabelStore(path)
    for i in range(n):
        store.add(f"passage {i} seen by worker {worker}", ["hype", "routine"][i % 2], f"annotator-{worker}")


def test_eight_processes_labelling_at_once_lose_nothing(tmp_path):
    path = str(tmp_path / "labels.db")
    LabelStore(path)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_label_many, args=(path, w, 60)) for w in range(8)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(120)
        assert p.exitcode == 0
    records = LabelStore(path).records()
    assert len(records) == 480
    assert records.groupby("annotator").size().to_dict() == {f"annotator-{w}": 60 for w in range(8)}


def test_conflicting_labels_are_kept_and_an_annotator_relabels_only_their_own(tmp_path):
    store = LabelStore(tmp_path / "labels.db")
    text = "The plan is a standard list of exercises."
    store.add(text, "routine", "ana")
    store.add(text, "hype", "bo")
    store.add(text, "neutral", "ana")  # ana changes her mind
    current = store.current().set_index("annotator")["label"].to_dict()
    assert current == {"ana": "neutral", "bo": "hype"}
    assert len(store.records()) == 3
    store.add(text, "hype", "cy")
    resolved = store.resolved()
    assert resolved.loc[0, "label"] == "hype" and resolved.loc[0, "n_annotators"] == 3
    assert resolved.loc[0, "agreement"] == pytest.approx(2 / 3)
    assert store.undo("cy")["label"] == "hype"
    assert store.undo("nobody") is None
    assert store.current().set_index("annotator")["label"].to_dict() == {"ana": "neutral", "bo": "hype"}


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_export_then_import_is_identical(tmp_path, suffix):
    store = LabelStore(tmp_path / "a.db")
    for r in bundled_records()[:40]:
        store.add(r["text"], r["label"], r["annotator"], passage_id=r["id"], origin="corpus", story=r["story"],
                  source_type=r["source_type"], outlet=r["outlet"], speaker=r["speaker"], date=r["date"])
    store.add('A passage with "quotes", commas\nand a line break', "hype", "ana")
    first = tmp_path / f"first{suffix}"
    assert store.export(first) == 41
    again = LabelStore(tmp_path / "b.db")
    assert again.import_file(first) == 41
    second = tmp_path / f"second{suffix}"
    again.export(second)
    assert first.read_bytes() == second.read_bytes()
    assert again.records().equals(store.records())


def test_bad_label_files_are_refused_whole_with_the_row(tmp_path):
    store = LabelStore(tmp_path / "labels.db")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": "fine", "label": "hype", "annotator": "a"}) + "\n"
                   + json.dumps({"text": "", "label": "hype", "annotator": "a"}) + "\n")
    with pytest.raises(InputError, match=r"bad.jsonl, row 2: field 'text' is empty"):
        store.import_file(bad)
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text(json.dumps({"text": "changed", "label": "hype", "annotator": "a", "content_hash": content_hash("orig")}) + "\n")
    with pytest.raises(InputError, match="row 1: content_hash does not match"):
        store.import_file(tampered)
    assert len(store) == 0


def test_a_plain_text_file_of_passages_with_one_label(tmp_path):
    lines = tmp_path / "headlines.gz"
    lines.write_bytes(gzip.compress(b"You won't believe this\n\nNine facts about cats\n"))
    store = LabelStore(tmp_path / "labels.db")
    with pytest.raises(InputError, match="needs --label"):
        store.import_file(lines)
    assert store.import_file(lines, label="clickbait", annotator="dataset") == 2
    records = store.records()
    assert list(records["text"]) == ["You won't believe this", "Nine facts about cats"]
    assert set(records["origin"]) == {"headlines.gz"}


def test_alpha_matches_a_hand_computed_example():
    # Two coders, five units; coincidences o_aa = 4, o_bb = 4, o_ab = o_ba = 1; n_a = n_b = 5, n = 10:
    # alpha = 1 - (n - 1) * 2 / (2 * 5 * 5) = 1 - 18 / 50 = 0.64
    units = [["a", "a"], ["a", "a"], ["b", "b"], ["b", "b"], ["a", "b"]]
    assert krippendorff_alpha(units) == pytest.approx(0.64)
    assert krippendorff_alpha([["a", "a"], ["b", "b"]]) == pytest.approx(1.0)
    assert np.isnan(krippendorff_alpha([["a"], ["b"]]))


def test_alpha_matches_the_krippendorff_package():
    krippendorff = pytest.importorskip("krippendorff")
    rng = np.random.default_rng(0)
    for _ in range(10):
        data = rng.integers(0, 3, size=(4, 40)).astype(float)
        data[1] = np.where(rng.random(40) < 0.7, data[0], data[1])
        data[rng.random(data.shape) < 0.25] = np.nan
        units = [[str(int(v)) for v in data[:, j] if not np.isnan(v)] for j in range(40)]
        expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
        assert krippendorff_alpha(units) == pytest.approx(expected)


def test_agreement_report_per_pair_and_label():
    rows = [(u, a, l) for u, labels in enumerate([("hype", "hype", "routine"), ("routine", "routine", "routine"),
                                                 ("neutral", "neutral", "hype"), ("hype", "hype", "hype")])
            for a, l in zip(("ana", "bo", "cy"), labels)]
    report = agreement_report(pd.DataFrame(rows, columns=["content_hash", "annotator", "label"]))
    pairs = {(p["a"], p["b"]): p for p in report["pairs"]}
    assert pairs[("ana", "bo")]["alpha"] == pytest.approx(1.0) and pairs[("ana", "bo")]["passages"] == 4
    assert pairs[("ana", "cy")]["raw_agreement"] == pytest.approx(0.5)
    assert report["passages"] == 4 and report["annotators"] == 3
    assert report["alpha"] < 1 and set(report["per_label"]) == {"hype", "routine", "neutral"}


def test_uncertainty_orders_passages():
    proba = np.array([[0.9, 0.05, 0.05], [0.4, 0.35, 0.25], [1 / 3, 1 / 3, 1 / 3]])
    for strategy in ("margin", "entropy"):
        unsure = uncertainty(proba, strategy)
        assert unsure[0] < unsure[1] < unsure[2] and unsure[2] == pytest.approx(1.0)
    with pytest.raises(ValueError):
        uncertainty(proba, "random")


def test_the_queue_is_unsure_diverse_and_shared_among_sources(model):
    records = bundled_records()
    pool = pd.DataFrame(records[:300])
    hard = "The agreement may or may not be an alliance, officials and analysts said."
    pool = pd.concat([pool, pd.DataFrame([{"text": hard, "source_type": "media"}] * 10)], ignore_index=True)
    queue = label_queue(model, pool, k=20)
    assert len(queue) == 20 and list(queue["rank"]) == list(range(1, 21))
    assert (queue["text"] == hard).sum() <= 1  # near-copies do not fill the queue
    counts = queue["source_type"].value_counts()
    assert counts.max() <= 5  # 4 source types: at most ceil(20 / 4) each while others have candidates
    everyone = uncertainty(model.predict_proba(pool["text"].tolist()))
    assert queue["uncertainty"].mean() > np.mean(everyone)


def test_labels_outside_the_codebook_are_refused_when_written(tmp_path, capsys):
    from framing.cli import main

    store = LabelStore(tmp_path / "labels.db", labels=("hype", "routine", "neutral"))
    with pytest.raises(InputError, match="label 'mighty' is not in the codebook"):
        store.add("A mighty alliance.", "mighty", "ana")
    (tmp_path / "in.jsonl").write_text('{"text": "a", "label": "hype", "annotator": "ana"}\n'
                                       '{"text": "b", "label": "Hype", "annotator": "ana"}\n')
    with pytest.raises(InputError, match=r"row 2.*'Hype' is not in the codebook"):
        store.import_file(tmp_path / "in.jsonl")
    assert len(store) == 0  # all or none
    db = str(tmp_path / "cli.db")
    assert main(["labels", "add", "A mighty alliance.", "--label", "bogus", "--annotator", "ana", "--store", db]) == 2
    assert "not in the codebook" in capsys.readouterr().err


def test_an_annotator_can_take_back_any_label_of_their_own(tmp_path):
    store = LabelStore(tmp_path / "labels.db")
    first = store.add("A mighty alliance.", "hype", "ana", passage_id="p1")
    store.add("A standard plan.", "routine", "ana", passage_id="p2")
    store.add("A mighty alliance.", "hype", "ben", passage_id="p1")
    assert store.retract("ana", "p1") == 1
    assert store.retract("ana", first["content_hash"][:10]) == 0  # already gone
    assert sorted(zip(store.records()["annotator"], store.records()["passage_id"])) == [("ana", "p2"), ("ben", "p1")]
    assert store.retract("ana", "p2") == 1 and store.retract("ben", "nothing") == 0


def test_a_queue_filled_in_in_a_spreadsheet_imports_back(trained, small_corpus, tmp_path, capsys):
    from framing.cli import main

    models, _, _ = trained
    store = LabelStore(tmp_path / "labels.db")
    where = ["--store", str(store.path), "--corpus", str(small_corpus)]
    gold = [r for r in bundled_records() if r["story"] == "serbia-egypt-defence"][:40]
    pd.DataFrame([{k: r[k] for k in ("id", "text", "source_type", "label")} for r in gold]).to_csv(tmp_path / "new.csv",
                                                                                                   index=False)
    queue = tmp_path / "queue.csv"
    assert main(["labels", "queue", str(tmp_path / "new.csv"), "-o", str(queue), "-k", "8", "--models", str(models),
                 *where]) == 0
    assert "fill in the label column" in capsys.readouterr().err
    sheet = pd.read_csv(queue, keep_default_na=False, dtype=str)
    assert list(sheet.columns[:4]) == ["rank", "uncertainty", "label", "predicted"] and len(sheet) == 8
    assert set(sheet["label"]) == {""} and set(sheet["predicted"]) <= {"hype", "routine", "neutral"}
    by_text = {r["text"]: r["label"] for r in gold}
    assert [by_text[t] for t in sheet["text"]] == sheet["input_label"].tolist()  # the gold labels are kept

    assert main(["labels", "import", str(queue), "--annotator", "ana", *where]) == 2
    assert "no row of this queue has a label yet" in capsys.readouterr().err
    sheet.loc[[0, 2, 5], "label"] = sheet.loc[[0, 2, 5], "input_label"]
    sheet.loc[6, "label"] = "Hype"
    sheet.to_csv(queue, index=False)
    assert main(["labels", "import", str(queue), "--annotator", "ana", *where]) == 2
    assert f"{queue}, row 7: label 'Hype' is not in the codebook" in capsys.readouterr().err
    assert len(store) == 0
    sheet.loc[6, "label"] = ""
    sheet.to_csv(queue, index=False)
    assert main(["labels", "import", str(queue), "--annotator", "ana", *where]) == 0
    assert "imported 3 labels" in capsys.readouterr().out
    records = store.records()
    assert records["passage_id"].tolist() == sheet.loc[[0, 2, 5], "id"].tolist()
    assert records["label"].tolist() == sheet.loc[[0, 2, 5], "input_label"].tolist()
    assert records["source_type"].tolist() == sheet.loc[[0, 2, 5], "source_type"].tolist()
    assert set(records["annotator"]) == {"ana"} and set(records["origin"]) == {"queue.csv"}
    again = tmp_path / "again.csv"
    assert main(["labels", "queue", str(tmp_path / "new.csv"), "-o", str(again), "-k", "40", "--models", str(models),
                 *where]) == 0
    assert not set(pd.read_csv(again)["text"]) & set(records["text"])  # labelled passages leave the queue
