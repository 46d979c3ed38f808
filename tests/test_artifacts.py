import json
import shutil

import pytest

from framing import artifacts, service
from framing.errors import ArtifactError, ModelNotFoundError, TamperedArtifactError


def pretend_old_scikit_learn(model_dir):
    path = model_dir / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["libraries"]["scikit-learn"] = "0.1.0"
    path.write_text(json.dumps(manifest))


def test_manifest_describes_the_model(trained, small_corpus):
    models, model_id, _ = trained
    manifest = artifacts.read_manifest(models / model_id)
    assert manifest["format"] == "framing-model" and manifest["schema_version"] == artifacts.SCHEMA_VERSION
    assert manifest["labels"] == ["hype", "routine", "neutral"]
    assert manifest["corpus"]["sha256"] == artifacts.file_sha256(small_corpus / "passages.jsonl")
    assert manifest["codebook"]["sha256"] == artifacts.file_sha256(small_corpus / "codebook.toml")
    assert manifest["model_file"]["sha256"] == artifacts.file_sha256(models / model_id / "model.joblib")
    assert {"scikit-learn", "nltk", "python"} <= set(manifest["libraries"])
    assert 0 <= manifest["metrics"]["macro_f1"] <= 1
    assert manifest["training_config"]["C"] > 0
    assert (models / model_id / "evaluation.md").exists()
    assert artifacts.active_model_id(models) == model_id


def test_no_staging_folders_are_left_behind(trained):
    models, _, _ = trained
    assert not [p for p in models.iterdir() if p.name.startswith(".") and p.name != ".lock"]


def test_a_tampered_model_file_is_refused_before_unpickling(models_copy, trained):
    _, model_id, _ = trained
    path = models_copy / model_id / "model.joblib"
    path.write_bytes(path.read_bytes() + b"\x00")
    with pytest.raises(TamperedArtifactError, match="does not match the manifest"):
        service.load_model(model_id, models_copy)
    with pytest.raises(TamperedArtifactError, match="does not match"):
        service.ensure_model(models_copy)


def test_a_foreign_or_broken_manifest_is_refused(models_copy, trained):
    _, model_id, _ = trained
    manifest_path = models_copy / model_id / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest_path.write_text(json.dumps({**manifest, "format": "something-else"}))
    with pytest.raises(ArtifactError, match="not a framing model manifest"):
        service.load_model(model_id, models_copy)
    manifest_path.write_text("{ broken")
    with pytest.raises(ArtifactError, match="not valid JSON"):
        service.load_model(model_id, models_copy)
    manifest_path.unlink()
    with pytest.raises(ArtifactError, match="manifest missing"):
        service.load_model(model_id, models_copy)


def test_a_model_from_another_scikit_learn_is_refused(models_copy, trained):
    _, model_id, _ = trained
    pretend_old_scikit_learn(models_copy / model_id)
    with pytest.raises(ArtifactError, match="retrain"):
        service.load_model(model_id, models_copy)


def test_missing_models_are_reported(tmp_path):
    with pytest.raises(ModelNotFoundError, match="framing train"):
        service.load_model(models=tmp_path)
    with pytest.raises(ModelNotFoundError):
        service.load_model("nope", tmp_path)


def test_loaded_model_scores(model):
    frame = service.predict(["The tabloids hailed a mighty new alliance that will shake up the region."], model, explain=3)
    assert frame.loc[0, "label"] == "hype"
    assert frame.loc[0, "terms"]


def test_ensure_model_trains_when_no_model_exists_and_reuses_it_after(tmp_path, small_corpus):
    models = tmp_path / "models"
    model_id, trained = service.ensure_model(models, small_corpus)
    assert trained and (models / model_id / "model.joblib").exists()
    assert service.ensure_model(models, small_corpus) == (model_id, False)


def test_ensure_model_replaces_a_model_from_another_scikit_learn(models_copy, trained, small_corpus):
    _, model_id, _ = trained
    pretend_old_scikit_learn(models_copy / model_id)
    new_id, retrained = service.ensure_model(models_copy, small_corpus)
    assert retrained and new_id != model_id
    assert artifacts.active_model_id(models_copy) == new_id


def clone(models, model_id: str, new_id: str, created_at: str, *, other_file: bool = False) -> str:
    """A copy of a model folder under another id and time; with ``other_file``, a model file of its own (trusted)."""
    shutil.copytree(models / model_id, models / new_id)
    path = models / new_id / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest.update(model_id=new_id, created_at=created_at)
    if other_file:
        with open(models / new_id / "model.joblib", "ab") as handle:
            handle.write(b"\0")
        manifest["model_file"]["sha256"] = artifacts.file_sha256(models / new_id / "model.joblib")
    path.write_text(json.dumps(manifest))
    if other_file:
        artifacts.trust(models, new_id)
    return new_id


def test_prune_keeps_the_active_model_its_history_the_bundled_and_the_most_recent(models_copy, trained, capsys):
    from framing.cli import main
    from framing.config import BUNDLED_MODEL

    models, (_, active, _) = models_copy, trained
    bundled = clone(models, active, BUNDLED_MODEL, "2000-01-01T00:00:00+00:00")
    a, b, c, d = (clone(models, active, f"2030010{i}-000000-0000000{i}", f"2030-01-0{i}T00:00:00+00:00", other_file=i == 2)
                  for i in range(1, 5))
    artifacts.set_active(models, a)
    artifacts.set_active(models, active, reason="promoted")  # rolling back would return to a
    trusted = (models / "TRUSTED").read_text()
    b_hash = artifacts.read_manifest(models / b)["model_file"]["sha256"]
    assert b_hash in trusted

    assert main(["models", "prune", "--keep", "1", "--dry-run", "--models", str(models)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("would remove 2 models") and f": {b}, {c}" in out.splitlines()[0]
    assert f"kept {active} (active)" in out and f"kept {a} (in the active model's history)" in out
    assert f"kept {d} (recent)" in out and f"kept {BUNDLED_MODEL} (bundled)" in out
    assert (models / b).is_dir() and (models / c).is_dir()  # a dry run changes nothing

    result = service.prune(models, keep=1)
    assert result["removed"] == [b, c] and result["bytes"] > 0
    assert {m["model_id"] for m in artifacts.list_models(models)} == {bundled, active, a, d}
    assert b_hash not in (models / "TRUSTED").read_text()  # a copy brought back must be trusted again
    assert not [p for p in models.iterdir() if p.name.startswith(".pruned-")]
    assert artifacts.rollback(models) == a  # what rollback needs is still there

    result = service.prune(models, keep=0, include_history=True)
    assert result["removed"] == [active, d]  # a is active now, and the history no longer protects the model before it
    assert artifacts.active_model_id(models) == a and (models / a).is_dir() and (models / bundled).is_dir()
    with pytest.raises(ValueError):
        artifacts.prune(models, keep=-1)
