"""Faults and races around saved models: concurrent promotes and saves, torn files, ids that are paths, trust."""

import json
import multiprocessing
import os
import shutil
from pathlib import Path

import pytest

from framing import artifacts
from framing.cli import main
from framing.errors import ArtifactError, ModelNotFoundError, TamperedArtifactError


def tiny_model(models: Path, name: str = "m", activate: bool = False) -> str:
    """A saved model whose pipeline is a small object: enough for everything but scoring."""
    return artifacts.save_artifact({"name": name}, {"labels": ["hype", "routine", "neutral"]}, models, activate=activate)


def _promote_many(models: str, ids: list[str], rounds: int, failures) -> None:
    for i in range(rounds):
        try:
            artifacts.set_active(models, ids[i % len(ids)], reason="race")
        except Exception as exc:  # noqa: BLE001 - the test counts every kind
            failures.put(repr(exc))


def _read_many(models: str, ids: list[str], rounds: int, bad) -> None:
    pointer = Path(models) / artifacts.ACTIVE_FILE
    for _ in range(rounds):
        text = pointer.read_text(encoding="utf-8") if pointer.exists() else "<missing>"
        if text.strip() not in ids:
            bad.put(text)


def test_concurrent_promotes_never_fail_and_active_is_never_empty_or_garbled(tmp_path):
    ids = [tiny_model(tmp_path, name) for name in ("a", "b", "c")]
    artifacts.set_active(tmp_path, ids[0])
    context = multiprocessing.get_context("fork")
    failures, bad = context.Queue(), context.Queue()
    workers = [context.Process(target=_promote_many, args=(str(tmp_path), ids, 60, failures)) for _ in range(6)]
    workers += [context.Process(target=_read_many, args=(str(tmp_path), ids, 600, bad)) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    assert all(w.exitcode == 0 for w in workers)
    assert failures.empty() and bad.empty()
    lines = (tmp_path / artifacts.HISTORY_FILE).read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    assert len(entries) == 1 + 6 * 60
    for before, after in zip(entries, entries[1:]):  # an unbroken chain: each change starts where the last ended
        assert after["previous"] == before["model_id"]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def _save_same(models: str, queue) -> None:
    queue.put(artifacts.save_artifact({"same": 1}, {"labels": ["a", "b"]}, models, activate=False))


def test_saving_the_same_model_at_once_loses_none(tmp_path):
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [context.Process(target=_save_same, args=(str(tmp_path), queue)) for _ in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    assert all(w.exitcode == 0 for w in workers)
    saved = [queue.get() for _ in workers]
    assert len(set(saved)) == 8
    assert {m["model_id"] for m in artifacts.list_models(tmp_path)} == set(saved)


@pytest.mark.parametrize("given", ["/etc/passwd", "../outside/x", "..", "a/../../b", "", "x\ny"])
def test_model_ids_are_names_inside_the_models_folder(tmp_path, given, capsys):
    tiny_model(tmp_path, activate=True)
    with pytest.raises(ModelNotFoundError):
        artifacts.model_dir(tmp_path, given)
    with pytest.raises(ModelNotFoundError):
        artifacts.set_active(tmp_path, given)
    assert main(["models", "promote", given or "''", "--models", str(tmp_path)]) == 2
    assert main(["predict", "a mighty alliance", "--model", given or "''", "--models", str(tmp_path)]) == 2
    assert "not a model id" in capsys.readouterr().err or given == ""


def test_active_may_not_hold_a_path(tmp_path, capsys):
    outside = tmp_path / "outside"
    model = tiny_model(outside)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / artifacts.ACTIVE_FILE).write_text(str(outside / model) + "\n")
    with pytest.raises(ModelNotFoundError, match="not a model id"):
        artifacts.active_model_id(tmp_path / "models")
    assert main(["predict", "a mighty alliance", "--models", str(tmp_path / "models")]) == 2
    assert "not a model id" in capsys.readouterr().err


def test_a_short_id_names_one_model(tmp_path):
    first = tiny_model(tmp_path, "a")
    tiny_model(tmp_path, "b")
    assert artifacts.model_dir(tmp_path, first[:-2]).name == first
    artifacts.set_active(tmp_path, first)
    with pytest.raises(ModelNotFoundError, match="the start of 2 model ids"):
        artifacts.model_dir(tmp_path, first[:2])


def test_rolling_back_twice_steps_back_twice(tmp_path):
    a, b, c = (tiny_model(tmp_path, name) for name in "abc")
    for model in (a, b, c):
        artifacts.set_active(tmp_path, model)
    assert artifacts.rollback(tmp_path) == b
    assert artifacts.rollback(tmp_path) == a
    with pytest.raises(ArtifactError, match="no earlier active model"):
        artifacts.rollback(tmp_path)


def test_a_torn_history_line_does_not_break_the_models_command(tmp_path, capsys):
    a, b = tiny_model(tmp_path, "a"), tiny_model(tmp_path, "b")
    artifacts.set_active(tmp_path, a)
    with open(tmp_path / artifacts.HISTORY_FILE, "a") as log:
        log.write('{"at": "2026-01-01T00:00:00+00:00", "model_id": "tor')  # killed mid-write
    assert [h["model_id"] for h in artifacts.history(tmp_path)] == [a]
    artifacts.set_active(tmp_path, b)
    assert [h["model_id"] for h in artifacts.history(tmp_path)] == [a, b]
    assert main(["models", "--models", str(tmp_path)]) == 0


def test_a_model_copied_in_from_elsewhere_is_refused_until_trusted(tmp_path, trained, capsys):
    source, model_id, _ = trained
    models = tmp_path / "models"
    models.mkdir()
    shutil.copytree(source / model_id, models / model_id)
    with pytest.raises(TamperedArtifactError, match="not trained here"):
        artifacts.load_artifact(models / model_id)
    assert main(["predict", "a mighty alliance", "--model", model_id, "--models", str(models)]) == 2
    assert f"framing models trust {model_id}" in capsys.readouterr().err
    assert main(["models", "trust", model_id[:12], "--models", str(models)]) == 0
    assert main(["predict", "a mighty alliance", "--model", model_id, "--models", str(models)]) == 0


def test_model_folders_are_as_readable_as_the_umask_allows(tmp_path):
    old = os.umask(0o022)
    try:
        model = tiny_model(tmp_path)
    finally:
        os.umask(old)
    assert (tmp_path / model).stat().st_mode & 0o777 == 0o755


def test_no_worker_process_outlives_a_command():
    import subprocess
    import sys

    code = ("from joblib import Parallel, delayed\n"
            "from framing.cli import stop_workers\n"
            "import joblib.externals.loky.reusable_executor as r\n"
            "Parallel(n_jobs=2)(delayed(abs)(i) for i in range(4))\n"
            "workers = list(r._executor._processes.values())\n"
            "stop_workers()\n"
            "assert workers and not any(p.is_alive() for p in workers), workers\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def _run(*argv: str | bytes, limit: int | None = None, cwd=None):
    """``framing`` in a subprocess (optionally with a file-size limit, as a full disk), returning the completed process."""
    import subprocess
    import sys

    prelude = ""
    if limit is not None:
        prelude = ("import resource, signal; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
                   f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit})); ")
    code = prelude + "import sys; from framing.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, timeout=300, cwd=cwd)


def one_line_error(done) -> str:
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


def test_outputs_never_overwrite_their_inputs(tmp_path):
    articles = tmp_path / "a.jsonl"
    articles.write_text('{"id": "a1", "text": "The ministry said the plan is standard. Tabloids called it historic."}\n')
    before = articles.read_bytes()
    assert "overwrite the input" in one_line_error(_run("ingest", str(articles), "-o", str(articles)))
    assert articles.read_bytes() == before
    queue = tmp_path / "q.csv"
    queue.write_text("text\nA mighty alliance.\nA standard plan.\n")
    assert "overwrite the input" in one_line_error(_run("labels", "queue", str(queue), "-o", str(queue),
                                                        "--store", str(tmp_path / "l.db")))
    assert queue.read_text() == "text\nA mighty alliance.\nA standard plan.\n"


def test_bad_outputs_and_a_full_disk_are_one_line_messages(tmp_path):
    passages = tmp_path / "p.jsonl"
    passages.write_text("".join(json.dumps({"id": i, "text": f"A mighty alliance number {i} shakes the region."}) + "\n"
                                for i in range(3000)))
    (tmp_path / "folder.jsonl").mkdir()
    err = one_line_error(_run("score", str(passages), "-o", str(tmp_path / "folder.jsonl"), "-q"))
    assert "folder.jsonl" in err
    (tmp_path / "file").write_text("x")
    err = one_line_error(_run("score", str(passages), "-o", str(tmp_path / "file" / "out.jsonl"), "-q"))
    assert "file" in err
    full = one_line_error(_run("score", str(passages), "-o", str(tmp_path / "out.jsonl"), "-q", "-j", "1", limit=50_000))
    assert "too large" in full.lower() or "no space" in full.lower()
    assert not (tmp_path / "out.jsonl").exists()  # nothing half-written in its place


def test_arguments_that_are_not_utf8_and_numbers_out_of_range(tmp_path):
    err = one_line_error(_run("score", b"\xff\xfe.jsonl", "-o", str(tmp_path / "o.jsonl")))
    assert "not found" in err
    done = _run("score", "x.jsonl", "-o", "y.jsonl", "--chunk-size", "0")
    assert done.returncode == 2 and b"must be at least 1" in done.stderr and b"Traceback" not in done.stderr


def test_a_full_disk_while_labelling_names_the_cause(tmp_path):
    from framing.store import LabelStore

    LabelStore(tmp_path / "l.db")  # created while there is room
    big = "A mighty alliance. " * 5_000
    done = _run("labels", "add", big, "--label", "hype", "--annotator", "ana", "--store", str(tmp_path / "l.db"),
                limit=40_000)
    err = one_line_error(done)
    assert "no transaction is active" not in err and ("full" in err or "large" in err or "disk" in err), err
