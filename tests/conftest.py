import json
import shutil
from pathlib import Path

import pytest

from framing.config import PROJECT_ROOT

BUNDLED_CORPUS = PROJECT_ROOT / "corpus"
BUNDLED_MODELS = PROJECT_ROOT / "models"
SMALL_STORIES = ("serbia-hungary-2025", "serbia-france-rafale", "japan-philippines-raa", "romania-moldova-plan")


def write_jsonl(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def bundled_records() -> list[dict]:
    lines = (BUNDLED_CORPUS / "passages.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory) -> Path:
    """A corpus folder with four stories of the bundled corpus, in both languages and by several writers: quick to train on."""
    folder = tmp_path_factory.mktemp("corpus")
    shutil.copy(BUNDLED_CORPUS / "codebook.toml", folder / "codebook.toml")
    write_jsonl(folder / "passages.jsonl", [r for r in bundled_records() if r["story"] in SMALL_STORIES])
    return folder


@pytest.fixture(scope="session")
def trained(tmp_path_factory, small_corpus):
    """A models folder holding one model trained (and evaluated) on the small corpus."""
    from framing import service

    models = tmp_path_factory.mktemp("models")
    model_id, report = service.train(small_corpus, models, n_jobs=1)
    return models, model_id, report


@pytest.fixture
def models_copy(tmp_path, trained) -> Path:
    """A private copy of the trained models folder that a test may damage."""
    models, _, _ = trained
    target = tmp_path / "models"
    shutil.copytree(models, target)
    return target


@pytest.fixture(scope="session")
def model(trained):
    from framing import service

    models, model_id, _ = trained
    return service.load_model(model_id, models)


def pytest_sessionfinish(session, exitstatus):
    """No worker process outlives the tests."""
    from framing.cli import stop_workers

    stop_workers()
