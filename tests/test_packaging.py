"""framing as an installed package: the distribution's name, the data the wheel carries, and a run outside the source tree."""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

import framing
from framing import config
from framing.config import PROJECT_ROOT

CORPUS_FILES = ("codebook.toml", "CODEBOOK.md", "passages.jsonl", "claims.jsonl", "punkt.json", "sources.toml",
                "audit/README.md", "audit/labels.jsonl", "audit/adjudication.jsonl")


def pyproject() -> dict:
    return tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_distribution_is_media_framing_and_the_command_framing():
    project = pyproject()["project"]
    assert project["name"] == "media-framing"
    assert project["scripts"] == {"framing": "framing.cli:main_cli"}
    extras = project["optional-dependencies"]
    assert "media-framing[app,dask]" in extras["test"] and "media-framing[app,dask,test]" in extras["dev"]
    assert not [r for group in extras.values() for r in group if r.startswith("framing[")]
    assert pyproject()["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "framing.__version__"}


def test_from_the_source_tree_the_defaults_are_its_folders(monkeypatch, tmp_path):
    monkeypatch.delenv("FRAMING_CORPUS_DIR", raising=False)
    monkeypatch.delenv("FRAMING_MODELS_DIR", raising=False)
    assert config.SOURCE_TREE and (PROJECT_ROOT / "pyproject.toml").is_file()
    assert config.corpus_dir() == PROJECT_ROOT / "corpus" and config.models_dir() == PROJECT_ROOT / "models"
    monkeypatch.setenv("FRAMING_CORPUS_DIR", str(tmp_path / "env"))
    assert config.corpus_dir() == tmp_path / "env"
    assert config.corpus_dir(tmp_path / "given") == tmp_path / "given"  # an argument wins over the environment


def test_an_installed_copy_finds_the_folders_inside_the_package(tmp_path, monkeypatch):
    installed = tmp_path / "site-packages" / "framing"
    installed.mkdir(parents=True)
    shutil.copy(Path(config.__file__), installed / "config.py")
    spec = importlib.util.spec_from_file_location("installed_config", installed / "config.py")
    copy = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "installed_config", copy)
    monkeypatch.delenv("FRAMING_CORPUS_DIR", raising=False)
    monkeypatch.delenv("FRAMING_MODELS_DIR", raising=False)
    spec.loader.exec_module(copy)
    assert not copy.SOURCE_TREE
    assert copy.corpus_dir() == installed / "_bundled" / "corpus" and copy.models_dir() == installed / "_bundled" / "models"


def test_the_bundled_model_is_the_tracked_one():
    assert (PROJECT_ROOT / "models" / config.BUNDLED_MODEL / "model.joblib").is_file()
    assert f"!models/{config.BUNDLED_MODEL}/" in (PROJECT_ROOT / ".gitignore").read_text()
    if not (PROJECT_ROOT / ".git").exists() or not shutil.which("git"):
        return
    tracked = subprocess.run(["git", "ls-files", "models"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    assert {Path(p).parts[1] for p in tracked} == {"ACTIVE", "TRUSTED", config.BUNDLED_MODEL}


@pytest.mark.skipif(not shutil.which("git") or not (PROJECT_ROOT / ".git").exists(), reason="needs the git checkout")
def test_git_ignores_what_running_framing_writes_in_the_checkout():
    paths = ["corpus/labels.db", "corpus/labels.db-wal", "corpus/labels.db-shm", "models/HISTORY.jsonl",
             "models/20990101-000000-0123abcd/model.joblib", "models/.lock", "models/.staging-x/model.joblib"]
    kept = ["models/ACTIVE", "models/TRUSTED", f"models/{config.BUNDLED_MODEL}/model.joblib", "corpus/passages.jsonl"]
    run = subprocess.run(["git", "check-ignore", "--no-index", *paths, *kept], cwd=PROJECT_ROOT, capture_output=True,
                         text=True, check=False)  # exit status 1 when some path is not ignored
    assert set(run.stdout.split()) == set(paths)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel ``pip wheel .`` builds, from a copy of the source tree (nothing is written into the checkout)."""
    if importlib.util.find_spec("setuptools") is None:
        pytest.fail("building the wheel needs setuptools (the test extra installs it)")
    source = tmp_path_factory.mktemp("source")
    litter = shutil.ignore_patterns("__pycache__", "*.egg-info", "labels.db*", ".*", "HISTORY.jsonl")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(PROJECT_ROOT / name, source / name)
    for name in ("src", "corpus", "models"):
        shutil.copytree(PROJECT_ROOT / name, source / name, ignore=litter)
    out = tmp_path_factory.mktemp("wheel")
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--no-build-isolation", "-w", str(out),
                          "-q"], cwd=source, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stderr
    (built,) = out.glob("*.whl")
    return built


@pytest.mark.slow
def test_the_wheel_carries_the_corpus_the_bundled_model_and_the_dashboard(wheel):
    assert wheel.name.startswith(f"media_framing-{framing.__version__}-")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(f"media_framing-{framing.__version__}.dist-info/METADATA").decode()
        scripts = archive.read(f"media_framing-{framing.__version__}.dist-info/entry_points.txt").decode()
    assert "Name: media-framing" in metadata and "framing = framing.cli:main_cli" in scripts
    assert {f"framing/_bundled/corpus/{name}" for name in CORPUS_FILES} <= names
    active = (PROJECT_ROOT / "models" / "ACTIVE").read_text().strip()
    assert {"framing/_bundled/models/ACTIVE", "framing/_bundled/models/TRUSTED",
            f"framing/_bundled/models/{active}/model.joblib", f"framing/_bundled/models/{active}/manifest.json",
            "framing/ui/dashboard.py", "framing/ui/compare_page.py"} <= names
    assert not [n for n in names if "labels.db" in n or "HISTORY" in n or "/.staging-" in n]


DASHBOARD = """
import framing.ui.dashboard as d
from streamlit.testing.v1 import AppTest
app = AppTest.from_file(d.__file__, default_timeout=300)
app.run()
assert not app.exception, app.exception
print(app.title[0].value)
"""


def run_installed(unpacked: Path, cwd: Path, *argv: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m framing`` from an unpacked wheel, in a folder outside the source tree."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRAMING_")}
    env["PYTHONPATH"] = str(unpacked)  # before the test environment's own packages, the source tree's framing among them
    return subprocess.run([sys.executable, *argv], cwd=cwd, env=env, input=stdin, capture_output=True, text=True,
                          timeout=600, check=False)


@pytest.mark.slow
def test_the_installed_package_runs_outside_the_source_tree(wheel, tmp_path):
    unpacked, elsewhere = tmp_path / "site-packages", tmp_path / "elsewhere"
    elsewhere.mkdir()
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(unpacked)
    where = run_installed(unpacked, elsewhere, "-c", "import framing.config as c; print(c.__file__, c.corpus_dir())")
    module, corpus = where.stdout.split()
    assert Path(module).is_relative_to(unpacked) and Path(corpus) == unpacked / "framing" / "_bundled" / "corpus"

    version = run_installed(unpacked, elsewhere, "-m", "framing", "--version")
    assert version.stdout.strip() == f"framing {framing.__version__}"
    predicted = run_installed(unpacked, elsewhere, "-m", "framing", "predict", "--json",
                              "Serbia and Hungary will forge a mighty military alliance that shakes up the region!")
    assert predicted.returncode == 0, predicted.stderr
    assert json.loads(predicted.stdout)["label"] == "hype"
    validated = run_installed(unpacked, elsewhere, "-m", "framing", "validate", "--json")  # reads the corpus
    assert validated.returncode == 0, validated.stderr
    assert json.loads(validated.stdout)["n_passages"] > 8000
    article = 'Dr. Ana Kovač, a researcher at the Belgrade Centre for Security Policy, said: "It is a standard plan."'
    ingested = run_installed(unpacked, elsewhere, "-m", "framing", "ingest", "-", "--outlet", "N1", stdin=article)
    assert ingested.returncode == 0, ingested.stderr  # the sentence splitter and the sources registry, from the package
    assert json.loads(ingested.stdout.splitlines()[0])["source_type"] == "expert"
    dashboard = run_installed(unpacked, elsewhere, "-c", DASHBOARD)
    assert dashboard.returncode == 0, dashboard.stderr
    assert "frames the story" in dashboard.stdout
    assert not list(elsewhere.iterdir())  # nothing written where it ran
