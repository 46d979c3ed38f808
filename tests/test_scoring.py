import gzip
import io
import json
import sys

import pandas as pd
import pytest

from framing.cli import main
from framing.errors import InputError
from framing.scoring import ScoreOptions, score_file

TEXTS = [
    "Tabloids hail a mighty military alliance that will shake up the region!",
    "The ministry said the plan lists routine joint exercises, not an alliance.",
    "The agreement was signed in the capital on Tuesday.",
    "",
    "An iron-clad axis is born, and rivals tremble.",
    "Analysts call it a standard annual programme of training.",
    "   ",
    "Delegations met at the defence ministry on 3 May.",
]


@pytest.fixture
def table():
    return pd.DataFrame({"id": [f"p{i}" for i in range(len(TEXTS))], "text": TEXTS, "outlet": list("ABCDEFGH")})


def write(frame, path):
    name = str(path)
    if name.endswith(".parquet"):
        frame.to_parquet(path, index=False)
    elif ".jsonl" in name:
        data = frame.to_json(orient="records", lines=True, force_ascii=False).encode()
        path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    else:
        data = frame.to_csv(index=False, sep="\t" if ".tsv" in name else ",").encode()
        path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return path


def read(path):
    name = str(path)
    if name.endswith(".parquet"):
        return pd.read_parquet(path)
    if name.endswith(".jsonl"):
        return pd.read_json(path, lines=True, dtype=False)
    return pd.read_csv(path, sep="\t" if name.endswith(".tsv") else ",", dtype=str, keep_default_na=False)


@pytest.mark.parametrize("source", ["in.csv", "in.tsv", "in.jsonl", "in.parquet", "in.csv.gz", "in.jsonl.gz"])
@pytest.mark.parametrize("target", ["out.csv", "out.jsonl", "out.parquet", "out.tsv"])
def test_every_format_round_trips_every_row(model, table, tmp_path, source, target):
    summary = score_file(str(write(table, tmp_path / source)), str(tmp_path / target), model, jobs=1, chunk_size=3)
    out = read(tmp_path / target)
    assert out["id"].tolist() == table["id"].tolist()
    assert out["outlet"].tolist() == table["outlet"].tolist()
    assert out["status"].tolist() == ["ok", "ok", "ok", "error", "ok", "ok", "error", "ok"]
    assert (summary.rows, summary.scored, summary.errors) == (8, 6, 2)
    assert not list(tmp_path.glob(".*"))  # no staging or partial files left


@pytest.mark.parametrize("fork", [True, False], ids=["forked workers", "loky workers"])
def test_order_is_kept_with_two_processes(model, tmp_path, monkeypatch, fork):
    from framing import scoring

    if fork and not scoring._can_fork():
        pytest.skip("this platform cannot fork worker processes")
    monkeypatch.setattr(scoring, "_can_fork", lambda: fork)
    frame = pd.DataFrame({"id": range(500), "text": [TEXTS[i % 8] + f" #{i}" for i in range(500)]})
    write(frame, tmp_path / "in.csv")
    score_file(str(tmp_path / "in.csv"), str(tmp_path / "two.csv"), model, jobs=2, chunk_size=37)
    score_file(str(tmp_path / "in.csv"), str(tmp_path / "one.csv"), model, jobs=1, chunk_size=500)
    two, one = read(tmp_path / "two.csv"), read(tmp_path / "one.csv")
    assert two["id"].tolist() == [str(i) for i in range(500)]
    pd.testing.assert_frame_equal(two, one)


def test_interrupted_run_leaves_no_output_and_resume_finishes_it(model, tmp_path):
    frame = pd.DataFrame({"id": range(100), "text": [TEXTS[i % 8] for i in range(100)]})
    write(frame, tmp_path / "in.jsonl")
    source, target = str(tmp_path / "in.jsonl"), tmp_path / "out.jsonl"
    score_file(source, str(tmp_path / "whole.jsonl"), model, jobs=1, chunk_size=10)
    with pytest.raises(KeyboardInterrupt):
        score_file(source, str(target), model, jobs=1, chunk_size=10, stop_after_chunks=4)
    assert not target.exists()
    summary = score_file(source, str(target), model, jobs=1, chunk_size=10, resume=True)
    assert summary.resumed_rows == 40 and summary.rows == 100
    assert target.read_bytes() == (tmp_path / "whole.jsonl").read_bytes()
    assert not list(tmp_path.glob(".*"))


def test_resume_refuses_when_the_input_changed(model, tmp_path):
    frame = pd.DataFrame({"text": TEXTS * 5})
    write(frame, tmp_path / "in.csv")
    with pytest.raises(KeyboardInterrupt):
        score_file(str(tmp_path / "in.csv"), str(tmp_path / "o.csv"), model, jobs=1, chunk_size=10, stop_after_chunks=1)
    write(frame.iloc[:-1], tmp_path / "in.csv")
    with pytest.raises(InputError, match="cannot resume: .*input_size changed"):
        score_file(str(tmp_path / "in.csv"), str(tmp_path / "o.csv"), model, jobs=1, chunk_size=10, resume=True)


def test_keep_drop_and_id_column(model, table, tmp_path):
    write(table, tmp_path / "in.csv")
    options = ScoreOptions(id_column="id", keep=("outlet",), explain=2)
    score_file(str(tmp_path / "in.csv"), str(tmp_path / "k.csv"), model, options, jobs=1)
    kept = read(tmp_path / "k.csv")
    assert list(kept.columns[:3]) == ["id", "text", "outlet"] and kept["terms"].iloc[0]
    score_file(str(tmp_path / "in.csv"), str(tmp_path / "d.csv"), model, ScoreOptions(drop=("outlet",)), jobs=1)
    assert "outlet" not in read(tmp_path / "d.csv").columns
    with pytest.raises(InputError, match=r"no column\(s\) \['nope'\]"):
        score_file(str(tmp_path / "in.csv"), str(tmp_path / "x.csv"), model, ScoreOptions(id_column="nope"), jobs=1)


def test_a_broken_line_stops_the_run_naming_file_and_line(model, tmp_path):
    lines = [json.dumps({"text": t}) for t in TEXTS * 3]
    lines[17] = '{"text": "unterminated'
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"in.jsonl, line 18: not valid JSON"):
        score_file(str(tmp_path / "in.jsonl"), str(tmp_path / "o.jsonl"), model, jobs=1, chunk_size=5)
    assert not (tmp_path / "o.jsonl").exists() and not list(tmp_path.glob(".*"))


def test_unreadable_parquet_and_empty_csv(model, tmp_path):
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(InputError, match="not a readable Parquet file"):
        score_file(str(tmp_path / "bad.parquet"), str(tmp_path / "o.csv"), model, jobs=1)
    (tmp_path / "empty.csv").write_text("id,text\n")
    summary = score_file(str(tmp_path / "empty.csv"), str(tmp_path / "o.csv"), model, jobs=1)
    assert summary.rows == 0
    assert (tmp_path / "o.csv").read_text().startswith("id,text,label,p_hype")


def test_jsonl_with_new_keys_later_goes_to_jsonl_but_not_to_csv(model, tmp_path):
    rows = [{"text": TEXTS[0]}] * 3 + [{"text": TEXTS[1], "extra": 5}]
    (tmp_path / "in.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    score_file(str(tmp_path / "in.jsonl"), str(tmp_path / "o.jsonl"), model, jobs=1, chunk_size=2)
    assert read(tmp_path / "o.jsonl")["extra"].tolist()[-1] == 5
    with pytest.raises(InputError, match="first appear after row 2"):
        score_file(str(tmp_path / "in.jsonl"), str(tmp_path / "o.csv"), model, jobs=1, chunk_size=2)


def test_stdin_to_stdout(trained, table, monkeypatch, capsys):
    models, _, _ = trained
    data = table.to_json(orient="records", lines=True).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["score", "-", "-o", "-", "--format", "jsonl", "--output-format", "csv", "--models", str(models), "-q"]) == 0
    out = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype=str, keep_default_na=False)
    assert out["id"].tolist() == table["id"].tolist() and out["status"].tolist()[3] == "error"


def test_cli_score_options_and_summary(trained, table, tmp_path, capsys):
    models, _, _ = trained
    write(table, tmp_path / "in.csv")
    code = main(["score", str(tmp_path / "in.csv"), "-o", str(tmp_path / "o.parquet"), "--models", str(models),
                 "--jobs", "2", "--chunk-size", "3", "--drop", "outlet", "--explain", "3"])
    assert code == 0
    err = capsys.readouterr().err
    assert "rows in 8, scored 6, errors 2" in err and "passages/s" in err
    out = pd.read_parquet(tmp_path / "o.parquet")
    assert "outlet" not in out.columns and out["terms"].notna().sum() == 6


def test_dask_engine_on_a_local_cluster_matches_the_local_engine(model, tmp_path):
    pytest.importorskip("distributed")
    from framing.distributed import score_dataset

    texts = [TEXTS[i % 8] + f" ({i})" if TEXTS[i % 8].strip() else TEXTS[i % 8] for i in range(60)]
    frame = pd.DataFrame({"id": [str(i) for i in range(60)], "text": texts})
    dataset = tmp_path / "dataset"
    dataset.mkdir()
    frame.iloc[:30].to_parquet(dataset / "a.parquet", index=False)
    frame.iloc[30:].to_parquet(dataset / "b.parquet", index=False)
    summary = score_dataset(str(dataset), str(tmp_path / "scored"), model, jobs=2)
    assert (summary.rows, summary.errors) == (60, sum(not t.strip() for t in texts))
    distributed = pd.read_parquet(tmp_path / "scored").sort_values("id", key=lambda s: s.astype(int))
    frame.to_parquet(tmp_path / "all.parquet", index=False)
    score_file(str(tmp_path / "all.parquet"), str(tmp_path / "local.parquet"), model, jobs=1)
    local = pd.read_parquet(tmp_path / "local.parquet")
    assert distributed["id"].tolist() == local["id"].tolist()
    assert distributed["label"].fillna("").tolist() == local["label"].fillna("").tolist()
    assert distributed["status"].tolist() == local["status"].tolist()
    pd.testing.assert_series_equal(distributed["hype_index"].reset_index(drop=True), local["hype_index"], check_names=False)


def test_score_texts_marks_exactly_the_unusable_values(model):
    import numpy as np

    from framing.scoring import score_texts

    values = ["A historic alliance!", np.str_("A routine plan."), "", "  \n", None, float("nan"), 7, "x" * 50]
    scores = score_texts(model, values, max_chars=20)
    assert scores["status"].tolist() == ["ok", "ok", "error", "error", "error", "error", "error", "error"]
    assert scores["error"].tolist()[2:] == [
        "empty text", "empty text", "missing text", "missing text", "text is a int, not a string",
        "text has 50 characters, over the limit of 20",
    ]
    assert scores["label"][1] in model.labels and np.isnan(scores["hype_index"][2])


def test_dask_dataset_naming(tmp_path):
    from framing.distributed import dataset_format

    assert dataset_format("s3://bucket/news/*.parquet") == ("parquet", ["s3://bucket/news/*.parquet"])
    with pytest.raises(InputError, match="by extension"):
        dataset_format("s3://bucket/news/")
    (tmp_path / "a.csv").write_text("text\nx\n")
    (tmp_path / "b.parquet").write_bytes(b"")
    with pytest.raises(InputError, match="only .parquet or only .csv"):
        dataset_format(str(tmp_path))
    assert dataset_format(str(tmp_path / "*.csv")) == ("csv", [str(tmp_path / "a.csv")])
    with pytest.raises(InputError, match="no input files"):
        dataset_format(str(tmp_path / "none-*.parquet"))


def test_local_only_flags_are_refused_with_the_dask_engine(trained, tmp_path, capsys):
    models, _, _ = trained
    code = main(["score", str(tmp_path / "in.parquet"), "-o", str(tmp_path / "out"), "--engine", "dask", "--resume",
                 "--models", str(models)])
    assert code == 2 and "--resume work with the local engine only" in capsys.readouterr().err


def test_a_scored_table_scored_again_keeps_every_earlier_column(table, tmp_path, model, trained):
    models, model_id, _ = trained
    first, second = tmp_path / "once.csv", tmp_path / "twice.csv"
    assert main(["score", str(write(table, tmp_path / "in.csv")), "-o", str(first), "--models", str(models), "-q"]) == 0
    assert main(["score", str(first), "-o", str(second), "--models", str(models), "-q"]) == 0
    once, twice = pd.read_csv(first), pd.read_csv(second)
    assert "language" in once and "input_language" in twice and "input_language_2" not in twice
    assert list(twice["input_language"].fillna("")) == list(once["language"].fillna(""))
    third = tmp_path / "thrice.csv"
    assert main(["score", str(second), "-o", str(third), "--models", str(models), "-q"]) == 0
    thrice = pd.read_csv(third)
    # the earlier input_language stays, the second run's language is kept under the next free name
    assert list(thrice["input_language"].fillna("")) == list(once["language"].fillna(""))
    assert list(thrice["input_language_2"].fillna("")) == list(twice["language"].fillna(""))
