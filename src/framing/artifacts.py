"""Saving and loading models as verified artifacts.

A model is a folder ``<models>/<model_id>/`` holding ``model.joblib`` and
``manifest.json``. The manifest says what the model is (label set, codebook and
corpus hashes, training settings, metrics, library versions) and carries the
sha256 of the model file. Loading checks the manifest and the hash *before*
unpickling: a pickle runs code when loaded, so a file that is not exactly the one
the manifest describes is refused.

The active model is named in ``<models>/ACTIVE``; without it, the newest model is used.
Changes of the active model are written under a lock on the models folder, through
temporary files of unique names, and recorded in ``HISTORY.jsonl``.

A model id is a name inside the models folder, never a path: ids are checked before
any file is read. The sha256 checks integrity (the file is the one the manifest
describes), not authenticity: whoever can write the folder can write both. Models
trained here are trusted; a model folder copied in from elsewhere is refused until
its file's hash is added to ``<models>/TRUSTED`` (``framing models trust ID``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import re
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import joblib

from .errors import ArtifactError, IncompatibleArtifactError, ModelNotFoundError, TamperedArtifactError

__all__ = [
    "FORMAT",
    "SCHEMA_VERSION",
    "active_model_id",
    "file_sha256",
    "history",
    "is_trusted",
    "library_versions",
    "list_models",
    "load_artifact",
    "model_dir",
    "prune",
    "read_manifest",
    "rollback",
    "save_artifact",
    "set_active",
    "trust",
]

FORMAT = "framing-model"
SCHEMA_VERSION = 1
MODEL_FILE = "model.joblib"
MANIFEST_FILE = "manifest.json"
ACTIVE_FILE = "ACTIVE"
#: One line per change of the active model: when, which model, which it replaced.
HISTORY_FILE = "HISTORY.jsonl"
#: The sha256 of every model file this models folder trusts, one per line.
TRUSTED_FILE = "TRUSTED"
LOCK_FILE = ".lock"
#: What a model id may look like: a folder name, never a path.
_MODEL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
#: Staging folders older than this (seconds) are left over from killed runs and removed.
STALE_STAGING = 6 * 3600


def _checked_id(model_id: str, where: str) -> str:
    if not isinstance(model_id, str) or not _MODEL_ID.fullmatch(model_id) or ".." in model_id:
        raise ModelNotFoundError(f"{where}: {model_id!r} is not a model id (a model is named by its folder inside the "
                                 "models folder, not by a path)")
    return model_id


def model_dir(models_dir: str | os.PathLike, model_id: str) -> Path:
    """The folder of model ``model_id`` inside ``models_dir``: an exact id, or the start of exactly one id.

    Raises ModelNotFoundError for anything that is not a model id (a path, ``..``) or
    names no model, before any file of it is read.
    """
    models_dir = Path(models_dir)
    _checked_id(model_id, str(models_dir))
    exact = models_dir / model_id
    if exact.is_dir():
        return exact
    matches = sorted(p.name for p in models_dir.iterdir() if p.is_dir() and p.name.startswith(model_id)
                     and not p.name.startswith(".")) if models_dir.is_dir() else []
    if len(matches) == 1:
        return models_dir / matches[0]
    if len(matches) > 1:
        raise ModelNotFoundError(f"{models_dir}: {model_id!r} is the start of {len(matches)} model ids "
                                 f"({', '.join(matches[:4])}{'…' if len(matches) > 4 else ''}); give more of it")
    raise ModelNotFoundError(f"{models_dir}: no model {model_id!r}; `framing models` lists them")


@contextlib.contextmanager
def _locked(models_dir: Path):
    """An exclusive lock on the models folder (advisory, between framing processes)."""
    import fcntl

    models_dir.mkdir(parents=True, exist_ok=True)
    with open(models_dir / LOCK_FILE, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file of a unique name, flushed to disk, then renamed."""
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def trusted_hashes(models_dir: str | os.PathLike) -> set[str]:
    path = Path(models_dir) / TRUSTED_FILE
    if not path.exists():
        return set()
    return {line.split()[0] for line in path.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")}


def is_trusted(models_dir: str | os.PathLike, manifest: dict) -> bool:
    return manifest["model_file"]["sha256"] in trusted_hashes(models_dir)


def trust(models_dir: str | os.PathLike, model_id: str) -> str:
    """Add a model's file hash to the folder's trusted list (after checking the file matches its manifest); return the id."""
    models_dir = Path(models_dir)
    folder = model_dir(models_dir, model_id)
    manifest = read_manifest(folder)
    _verify_file(folder, manifest)
    with _locked(models_dir):
        _add_trusted(models_dir, manifest)
    return manifest["model_id"]


def _add_trusted(models_dir: Path, manifest: dict) -> None:
    known = trusted_hashes(models_dir)
    digest = manifest["model_file"]["sha256"]
    if digest not in known:
        path = models_dir / TRUSTED_FILE
        old = path.read_text(encoding="utf-8") if path.exists() else "# sha256 of model files this folder trusts\n"
        _write_atomic(path, old + ("" if old.endswith("\n") else "\n") + f"{digest} {manifest['model_id']}\n")


def library_versions() -> dict[str, str]:
    """Versions of framing and of the libraries a pickled pipeline depends on."""
    from importlib.metadata import PackageNotFoundError, version

    from . import __version__

    versions = {"python": platform.python_version(), "framing": __version__}
    for name in ("scikit-learn", "numpy", "scipy", "nltk", "joblib"):
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
    _write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _remove_stale_staging(models_dir: Path) -> None:
    """Remove staging folders that killed runs left behind (none younger than :data:`STALE_STAGING`)."""
    now = time.time()
    for child in models_dir.glob(".staging-*"):
        with contextlib.suppress(OSError):
            if now - child.stat().st_mtime > STALE_STAGING:
                shutil.rmtree(child, ignore_errors=True)


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
    _remove_stale_staging(models_dir)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=models_dir))
    os.chmod(staging, 0o777 & ~_umask())  # a model folder is as readable as any other the user makes
    try:
        model_path = staging / MODEL_FILE
        joblib.dump(pipeline, model_path, compress=3)
        digest = file_sha256(model_path)
        created = datetime.now(UTC)
        for name, text in (extra_files or {}).items():
            (staging / name).write_text(text, encoding="utf-8")
        with _locked(models_dir):  # choosing a free id and taking it is one step
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
            os.rename(staging, models_dir / model_id)
            _add_trusted(models_dir, full)
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
    model_path = _verify_file(model_dir, manifest)
    if not is_trusted(model_dir.parent, manifest):
        raise TamperedArtifactError(
            f"{model_dir}: this model was not trained here and its file is not in {model_dir.parent / TRUSTED_FILE}; "
            "a model file runs code when loaded, so load only models from people you trust: "
            f"`framing models trust {manifest['model_id']}`"
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


def _verify_file(model_dir: Path, manifest: dict) -> Path:
    """The model file, once its sha256 matches the manifest's."""
    model_path = model_dir / manifest["model_file"]["name"]
    if model_path.name != MODEL_FILE or not model_path.is_file():
        raise ArtifactError(f"{model_path}: model file missing")
    digest = file_sha256(model_path)
    if digest != manifest["model_file"]["sha256"]:
        raise TamperedArtifactError(
            f"{model_path}: sha256 {digest[:16]}… does not match the manifest's "
            f"{manifest['model_file']['sha256'][:16]}…; the file was changed after training and is refused"
        )
    return model_path


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
            return _checked_id(model_id, str(pointer))
    models = list_models(models_dir)
    if not models:
        raise ModelNotFoundError(f"{models_dir}: no trained model; run `framing train`")
    return models[-1]["model_id"]


def set_active(models_dir: str | os.PathLike, model_id: str, *, reason: str = "activated") -> None:
    """Make ``model_id`` (an id, or the start of one) the active model and record the change in the history.

    Under the models folder's lock: ``ACTIVE`` is replaced atomically (readers see the
    old id or the new one, never an empty or partial file) and the history gains one
    whole line.
    """
    models_dir = Path(models_dir)
    model_id = read_manifest(model_dir(models_dir, model_id))["model_id"]
    with _locked(models_dir):
        pointer = models_dir / ACTIVE_FILE
        previous = pointer.read_text(encoding="utf-8").strip() if pointer.exists() else ""
        _write_atomic(pointer, model_id + "\n")
        entry = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "model_id": model_id,
                 "previous": previous or None, "reason": reason}
        path = models_dir / HISTORY_FILE
        torn = path.exists() and path.stat().st_size and not path.read_bytes().endswith(b"\n")
        with open(path, "a", encoding="utf-8") as log:
            log.write(("\n" if torn else "") + json.dumps(entry) + "\n")  # a torn last line stays alone on its line
            log.flush()
            os.fsync(log.fileno())


def history(models_dir: str | os.PathLike) -> list[dict]:
    """Every change of the active model, oldest first (a line a killed write left incomplete is skipped)."""
    path = Path(models_dir) / HISTORY_FILE
    if not path.exists():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(entry, dict) and "model_id" in entry:
            entries.append(entry)
    return entries


def _activation_chain(entries: list[dict]) -> list[str]:
    """The chain of activations, with rollbacks undone (a rollback pops the entry it stepped back from): what
    successive rollbacks step back through, newest last."""
    chain: list[str] = []
    for entry in entries:
        if str(entry.get("reason", "")).startswith("rollback from") and chain and chain[-1] == entry.get("previous"):
            chain.pop()
            if not chain or chain[-1] != entry["model_id"]:
                chain.append(entry["model_id"])
        else:
            if entry.get("previous") and (not chain or chain[-1] != entry["previous"]):
                chain.append(entry["previous"])
            chain.append(entry["model_id"])
    return chain


def rollback(models_dir: str | os.PathLike) -> str:
    """Step back along the history: make the model that was active before the current one active again; return its id.

    Rolling back twice steps back twice: a rollback's own entry is skipped when looking
    for what came before.
    """
    models_dir = Path(models_dir)
    current = active_model_id(models_dir)
    entries = history(models_dir)
    chain = _activation_chain(entries)
    if chain and chain[-1] == current:
        earlier = chain[-2] if len(chain) > 1 else None
    else:  # ACTIVE was changed outside the history: fall back to what the history says of the current model
        earlier = next((h["previous"] for h in reversed(entries) if h["model_id"] == current and h["previous"]), None)
    if earlier is None:
        raise ArtifactError(f"{models_dir}: no earlier active model is recorded for {current}; choose one with `framing models promote ID`")
    set_active(models_dir, earlier, reason=f"rollback from {current}")
    return earlier


def prune(models_dir: str | os.PathLike, *, keep: int = 3, dry_run: bool = False, include_history: bool = False,
          protect: tuple[str, ...] = ()) -> dict:
    """Remove old model folders, keeping the active model, ``protect`` (the bundled model), the ``keep`` most recent
    and, unless ``include_history``, every model ``framing models rollback`` could step back to.

    Under the models folder's lock, each removed folder is first renamed to a hidden name (so it leaves the listing
    at once) and then deleted; the trusted hashes of removed models are dropped from ``TRUSTED``, so a copy of one
    brought back later must be trusted again. With ``dry_run`` nothing changes.

    Returns
    -------
    dict
        ``removed`` and ``kept`` (model ids, oldest first), ``reasons`` (why each kept model stays) and ``bytes``
        (the size of the removed folders).
    """
    if keep < 0:
        raise ValueError(f"keep must be 0 or more, got {keep}")
    models_dir = Path(models_dir)
    with _locked(models_dir):
        if not dry_run:
            for child in models_dir.glob(".pruned-*"):  # left by a prune that was killed while deleting
                shutil.rmtree(child, ignore_errors=True)
        models = [m["model_id"] for m in list_models(models_dir)]
        try:
            active = active_model_id(models_dir)
        except ModelNotFoundError:
            active = None
        reasons: dict[str, str] = {}
        for model_id in models[::-1][:keep]:
            reasons[model_id] = "recent"
        if not include_history:
            for model_id in _activation_chain(history(models_dir)):
                reasons[model_id] = "in the active model's history"
        for model_id in protect:
            reasons[model_id] = "bundled"
        if active:
            reasons[active] = "active"
        removed = [m for m in models if m not in reasons]
        size = sum(f.stat().st_size for m in removed for f in (models_dir / m).rglob("*") if f.is_file())
        if not dry_run and removed:
            gone = set()
            for model_id in removed:
                doomed = models_dir / f".pruned-{model_id}"
                gone.add(read_manifest(models_dir / model_id)["model_file"]["sha256"])
                os.rename(models_dir / model_id, doomed)
                shutil.rmtree(doomed, ignore_errors=True)
            still = {read_manifest(models_dir / m)["model_file"]["sha256"] for m in models if m in reasons
                     and (models_dir / m).is_dir()}
            path = models_dir / TRUSTED_FILE
            if path.exists():
                lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
                kept_lines = [line for line in lines if line.startswith("#") or not line.strip()
                              or line.split()[0] not in gone - still]
                if kept_lines != lines:
                    _write_atomic(path, "".join(kept_lines))
    return {"removed": removed, "kept": [m for m in models if m in reasons], "reasons": {m: reasons[m] for m in models
            if m in reasons}, "bytes": size}
