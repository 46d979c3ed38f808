"""Saving and loading models as verified artifacts.

A model is a folder ``<models>/<model_id>/`` holding ``model.joblib`` and
``manifest.json``. The manifest says what the model is (label set, codebook and
corpus hashes, training settings, metrics, library versions) and carries the
sha256 of the model file. Loading checks the manifest and the hash *before*
unpickling: a pickle runs code when loaded, so a file that is not exactly the one
the manifest describes is refused.

The active model is named in ``<models>/ACTIVE``; without it, the newest model is used.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import joblib

from .errors import ArtifactError, IncompatibleArtifactError, ModelNotFoundError, TamperedArtifactError

__all__ = [
    "history",
    "rollback",
    "FORMAT",
    "SCHEMA_VERSION",
    "library_versions",
    "file_sha256",
    "save_artifact",
    "read_manifest",
    "load_artifact",
    "list_models",
    "active_model_id",
    "set_active",
]

FORMAT = "framing-model"
SCHEMA_VERSION = 1
MODEL_FILE = "model.joblib"
MANIFEST_FILE = "manifest.json"
ACTIVE_FILE = "ACTIVE"
#: One line per change of the active model: when, which model, which it replaced.
HISTORY_FILE = "HISTORY.jsonl"


def library_versions() -> dict[str, str]:
    """Versions of the libraries a pickled pipeline depends on."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": platform.python_version()}
    for name in ("framing", "scikit-learn", "numpy", "scipy", "nltk", "joblib"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "unknown"
    return versions


def file_sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_json_atomic(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def save_artifact(pipeline, manifest: dict, models_dir: str | os.PathLike, *, activate: bool = True,
                  extra_files: dict[str, str] | None = None) -> str:
    """Write ``pipeline`` and its manifest as a new model folder; return the model id.

    The folder is built under a temporary name inside ``models_dir`` and renamed
    into place only when complete, so an interrupted save leaves no model behind.
    The manifest gains ``format``, ``schema_version``, ``model_id``, ``created_at``,
    ``libraries`` and ``model_file``. ``extra_files`` (name → text, such as the
    evaluation report) are written into the folder before it is renamed into place.
    """
    models_dir = Path(models_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=models_dir))
    try:
        model_path = staging / MODEL_FILE
        joblib.dump(pipeline, model_path, compress=3)
        digest = file_sha256(model_path)
        created = datetime.now(timezone.utc)
        model_id = base = f"{created:%Y%m%d-%H%M%S}-{digest[:8]}"
        copies = 1
        while (models_dir / model_id).exists():  # the same model saved twice within a second
            copies += 1
            model_id = f"{base}-{copies}"
        full = {
            "format": FORMAT,
            "schema_version": SCHEMA_VERSION,
            "model_id": model_id,
            "created_at": created.isoformat(timespec="seconds"),
            "libraries": library_versions(),
            **manifest,
            "model_file": {"name": MODEL_FILE, "sha256": digest, "bytes": model_path.stat().st_size},
        }
        _write_json_atomic(staging / MANIFEST_FILE, full)
        for name, text in (extra_files or {}).items():
            (staging / name).write_text(text, encoding="utf-8")
        target = models_dir / model_id
        if target.exists():
            raise ArtifactError(f"{target}: a model with this id exists already")
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if activate:
        set_active(models_dir, model_id)
    return model_id


def read_manifest(model_dir: str | os.PathLike) -> dict:
    """Read and check a model folder's manifest (not the model file)."""
    model_dir = Path(model_dir)
    path = model_dir / MANIFEST_FILE
    if not model_dir.is_dir():
        raise ModelNotFoundError(f"{model_dir}: no such model folder")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtifactError(f"{path}: manifest missing; this folder is not a framing model") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{path}: manifest is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArtifactError(f"{path}: not a framing model manifest (format is {manifest.get('format')!r})")
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise ArtifactError(
            f"{path}: manifest schema version {manifest.get('schema_version')!r} is not supported "
            f"(this framing reads version {SCHEMA_VERSION})"
        )
    for key in ("model_id", "labels", "model_file", "libraries"):
        if key not in manifest:
            raise ArtifactError(f"{path}: manifest lacks {key!r}")
    if manifest["model_id"] != model_dir.name:
        raise ArtifactError(f"{path}: manifest names model {manifest['model_id']!r} but the folder is {model_dir.name!r}")
    return manifest


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def load_artifact(model_dir: str | os.PathLike):
    """Verify a model folder and unpickle its pipeline; return ``(pipeline, manifest)``.

    Raises
    ------
    ArtifactError
        When the manifest is missing or foreign, the model file's sha256 differs from
        the manifest's (tampered or corrupted), or the model was written by an
        incompatible scikit-learn.
    """
    model_dir = Path(model_dir)
    manifest = read_manifest(model_dir)
    model_path = model_dir / manifest["model_file"]["name"]
    if model_path.name != MODEL_FILE or not model_path.is_file():
        raise ArtifactError(f"{model_path}: model file missing")
    digest = file_sha256(model_path)
    if digest != manifest["model_file"]["sha256"]:
        raise TamperedArtifactError(
            f"{model_path}: sha256 {digest[:16]}… does not match the manifest's "
            f"{manifest['model_file']['sha256'][:16]}…; the file was changed after training and is refused"
        )
    trained_with = manifest["libraries"].get("scikit-learn", "unknown")
    running = library_versions()["scikit-learn"]
    if _minor(trained_with) != _minor(running):
        raise IncompatibleArtifactError(
            f"{model_dir}: trained with scikit-learn {trained_with}, running {running}; "
            "retrain it with `framing train`"
        )
    pipeline = joblib.load(model_path)
    return pipeline, manifest


def list_models(models_dir: str | os.PathLike) -> list[dict]:
    """Manifests of every readable model in ``models_dir``, oldest first."""
    models_dir = Path(models_dir)
    if not models_dir.is_dir():
        return []
    found = []
    for child in sorted(models_dir.iterdir()):
        if child.is_dir() and not child.name.startswith(".") and (child / MANIFEST_FILE).exists():
            try:
                found.append(read_manifest(child))
            except ArtifactError:
                continue
    return sorted(found, key=lambda m: m.get("created_at", ""))


def active_model_id(models_dir: str | os.PathLike) -> str:
    """The id named in ``ACTIVE``, else the newest model's id."""
    models_dir = Path(models_dir)
    pointer = models_dir / ACTIVE_FILE
    if pointer.exists():
        model_id = pointer.read_text(encoding="utf-8").strip()
        if model_id:
            return model_id
    models = list_models(models_dir)
    if not models:
        raise ModelNotFoundError(f"{models_dir}: no trained model; run `framing train`")
    return models[-1]["model_id"]


def set_active(models_dir: str | os.PathLike, model_id: str, *, reason: str = "activated") -> None:
    """Make ``model_id`` the active model (atomically) and record the change in the history."""
    models_dir = Path(models_dir)
    read_manifest(models_dir / model_id)
    pointer = models_dir / ACTIVE_FILE
    previous = pointer.read_text(encoding="utf-8").strip() if pointer.exists() else ""
    tmp = pointer.with_name(f".{ACTIVE_FILE}.partial")
    tmp.write_text(model_id + "\n", encoding="utf-8")
    os.replace(tmp, pointer)
    entry = {"at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "model_id": model_id,
             "previous": previous or None, "reason": reason}
    with open(models_dir / HISTORY_FILE, "a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\n")


def history(models_dir: str | os.PathLike) -> list[dict]:
    """Every change of the active model, oldest first."""
    path = Path(models_dir) / HISTORY_FILE
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def rollback(models_dir: str | os.PathLike) -> str:
    """Make the model that was active before the current one active again; return its id."""
    models_dir = Path(models_dir)
    current = active_model_id(models_dir)
    earlier = next((h["previous"] for h in reversed(history(models_dir)) if h["model_id"] == current and h["previous"]), None)
    if earlier is None:
        raise ArtifactError(f"{models_dir}: no earlier active model is recorded for {current}; choose one with `framing models promote ID`")
    set_active(models_dir, earlier, reason=f"rollback from {current}")
    return earlier
