import io
import json
import socket
import subprocess
from importlib.metadata import entry_points
from pathlib import Path

import pandas as pd
import pytest

from framing.cli import main


@pytest.fixture
def run(trained, capsys):
    models, _, _ = trained

    def run(*argv):
        code = main([argv[0], "--models", str(models), *argv[1:]])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_console_script_is_registered():
    scripts = {e.name: e.value for e in entry_points(group="console_scripts")}
    assert scripts.get("framing") == "framing.cli:main_cli"


def test_predict_prints_label_index_and_terms(run):
    code, out, _ = run("predict", "A historic mighty alliance that will shake up the whole region!", "--json")
    assert code == 0
    record = json.loads(out)
    assert record["label"] == "hype" and record["hype_index"] > 0
    assert sum(record[f"p_{l}"] for l in ("hype", "routine", "neutral")) == pytest.approx(1, abs=1e-3)
    assert record["terms"]


def test_score_csv_keeps_every_row_and_column(run, tmp_path):
    source = tmp_path / "in.csv"
    pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "text": ["A mighty alliance!", "", "   ", "It is a standard plan of activities."],
            "outlet": ["A", "B", "C", "D"],
            "label": ["gold1", "gold2", "gold3", "gold4"],
        }
    ).to_csv(source, index=False)
    target = tmp_path / "out.jsonl"
    code, _, err = run("score", str(source), "-o", str(target), "--explain", "2")
    assert code == 0
    out = pd.read_json(target, lines=True, dtype=False)
    assert out["id"].astype(str).tolist() == ["1", "2", "3", "4"]
    assert out["outlet"].tolist() == ["A", "B", "C", "D"]
    assert out["input_label"].tolist() == ["gold1", "gold2", "gold3", "gold4"]
    assert out["status"].tolist() == ["ok", "error", "error", "ok"]
    assert out.loc[1, "error"] == "empty text"
    assert out.loc[0, "label"] in {"hype", "routine", "neutral"} and pd.isna(out.loc[1, "label"])
    assert {"p_hype", "p_routine", "p_neutral", "hype_index", "model_id", "terms"} <= set(out.columns)
    assert "rows in 4, scored 2, errors 2" in err
    assert "label -> input_label" in err


def test_score_jsonl_with_another_text_column_and_odd_values(run, tmp_path):
    source = tmp_path / "in.jsonl"
    rows = [{"body": "An iron-clad axis!"}, {"body": None}, {"body": 42}, {"other": 1}]
    source.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    target = tmp_path / "out.csv"
    assert run("score", str(source), "-o", str(target), "--text-column", "body")[0] == 0
    out = pd.read_csv(target, keep_default_na=False)
    assert len(out) == 4
    assert out["error"].tolist() == ["", "missing text", "text is a int, not a string", "missing text"]


def test_score_refuses_passages_over_the_size_limit(run, tmp_path):
    source = tmp_path / "in.csv"
    pd.DataFrame({"text": ["short one", "x" * 500]}).to_csv(source, index=False)
    assert run("score", str(source), "-o", str(tmp_path / "o.csv"), "--max-chars", "100")[0] == 0
    out = pd.read_csv(tmp_path / "o.csv")
    assert out["status"].tolist() == ["ok", "error"] and "over the limit of 100" in out.loc[1, "error"]


def test_missing_text_column_names_file_and_columns(run, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("body,outlet\nhello,A\n")
    code, _, err = run("score", str(source), "-o", str(tmp_path / "o.csv"))
    assert code == 2
    assert str(source) in err and "no column 'text'" in err and "['body', 'outlet']" in err
    assert not (tmp_path / "o.csv").exists()


def test_non_utf8_input_names_file_and_row(run, tmp_path):
    source = tmp_path / "in.csv"
    source.write_bytes(b"text\nfine passage\nbad \xff byte\n")
    code, _, err = run("score", str(source), "-o", str(tmp_path / "o.csv"))
    assert code == 2
    assert f"{source}, line 3: not UTF-8" in err


def test_malformed_csv_names_the_row(run, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text('text,outlet\n"ok",A\n"one, two,three\n')
    code, _, err = run("score", str(source), "-o", str(tmp_path / "o.csv"))
    assert code == 2 and f"{source}, line 3" in err


def test_unknown_extension_and_missing_file(run, tmp_path):
    assert "cannot tell the format" in run("score", str(tmp_path / "in.xlsx"), "-o", str(tmp_path / "o.csv"))[2]
    assert "file not found" in run("score", str(tmp_path / "in.csv"), "-o", str(tmp_path / "o.csv"))[2]


def test_parquet_round_trip(run, tmp_path):
    source = tmp_path / "in.parquet"
    pd.DataFrame({"text": ["A triumph for the new bloc!", "Signed on Monday."], "n": [1, 2]}).to_parquet(source)
    assert run("score", str(source), "-o", str(tmp_path / "o.parquet"))[0] == 0
    out = pd.read_parquet(tmp_path / "o.parquet")
    assert out["n"].tolist() == [1, 2] and out["status"].tolist() == ["ok", "ok"]


def test_models_lists_the_active_model(run, trained):
    _, model_id, _ = trained
    code, out, _ = run("models")
    assert code == 0 and f"* {model_id}" in out and "macro-F1" in out


def test_train_and_evaluate_commands(small_corpus, tmp_path, capsys):
    models = tmp_path / "models"
    assert main(["train", "--corpus", str(small_corpus), "--models", str(models), "--no-evaluate", "--C", "3"]) == 0
    assert "saved and active" in capsys.readouterr().out
    (model_dir,) = [p for p in models.iterdir() if p.is_dir()]
    assert json.loads((model_dir / "manifest.json").read_text())["training_config"]["C"] == 3
    report = tmp_path / "report.json"
    assert main(["evaluate", "--corpus", str(small_corpus), "--json", str(report), "--markdown", str(tmp_path / "r.md")]) == 0
    assert json.loads(report.read_text())["method"] == "leave-one-story-out"
    assert (tmp_path / "r.md").read_text().startswith("# Evaluation")
    err = capsys.readouterr().err
    assert "evaluate: leave-one-story-out: 4 folds over" in err
    assert "evaluate: leave-one-story-out fold 1/4 (story " in err and "evaluate: leave-one-story-out fold 4/4" in err
    assert main(["evaluate", "--corpus", str(small_corpus), "-q", "--folds", "3"]) == 0
    assert not capsys.readouterr().err


def test_version(capsys):
    import framing

    with pytest.raises(SystemExit) as exit:
        main(["--version"])
    assert exit.value.code == 0 and capsys.readouterr().out == f"framing {framing.__version__}\n"


def test_format_errors_name_the_option_that_sets_the_format(run, tmp_path, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b'{"text": "A mighty alliance!"}\n')))
    code, _, err = run("score", "-", "-o", "-")
    assert code == 2 and "standard output needs a format: pass --output-format csv or jsonl" in err
    code, _, err = run("score", "-", "-o", str(tmp_path / "out.txt"))
    assert code == 2 and "out.txt" in err and err.rstrip().endswith("or pass --output-format")
    code, _, err = run("score", str(tmp_path / "in.txt"), "-o", str(tmp_path / "out.csv"))
    assert code == 2 and err.rstrip().endswith("or pass --format")

def test_labels_format_errors_name_no_option_the_command_lacks(tmp_path, capsys):
    store = ["--store", str(tmp_path / "l.db")]
    assert main(["labels", "queue", str(tmp_path / "in.csv"), "-o", str(tmp_path / "queue.xlsx"), *store]) == 2
    err = capsys.readouterr().err
    assert "queue.xlsx" in err and "--format" not in err  # labels queue has no format option
    assert main(["labels", "export", str(tmp_path / "labels.xlsx"), *store]) == 2
    err = capsys.readouterr().err
    assert "exported as .jsonl or .csv" in err and "--format" not in err
    assert main(["labels", "import", str(tmp_path / "labels.xlsx"), *store]) == 2
    assert "a label file is .jsonl or .csv" in capsys.readouterr().err


def test_dashboard_refuses_a_busy_port_before_training_or_starting(monkeypatch, tmp_path, capsys):
    from framing import service

    def never(*args, **kwargs):
        raise AssertionError("should not get this far")

    monkeypatch.setattr(service, "ensure_model", never)
    monkeypatch.setattr(subprocess, "call", never)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["dashboard", "--port", str(port), "--models", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"port {port} is in use" in err and "--port N" in err and len(err.strip().splitlines()) == 1
    with pytest.raises(SystemExit):
        main(["dashboard", "--help"])
    assert "port to serve the dashboard on (default 8501)" in " ".join(capsys.readouterr().out.split())


def test_dashboard_runs_the_script_inside_the_package(monkeypatch, trained, capsys):
    import framing.ui

    calls = []
    monkeypatch.setattr(subprocess, "call", lambda command, env: calls.append(command) or 0)
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    assert main(["dashboard", "--port", str(port), "--models", str(trained[0]), "--headless"]) == 0
    (command,) = calls
    script = command[command.index("run") + 1]
    assert script == str(Path(framing.ui.__file__).resolve().parent / "dashboard.py")
    assert command[command.index("--server.port") + 1] == str(port)
