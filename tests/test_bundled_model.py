"""The model shipped in models/ is the one the bundled corpus and codebook produce, and it is good."""

from framing import artifacts, service

from .conftest import BUNDLED_CORPUS, BUNDLED_MODELS


def test_bundled_model_matches_the_bundled_corpus_and_codebook():
    model_id = artifacts.active_model_id(BUNDLED_MODELS)
    manifest = artifacts.read_manifest(BUNDLED_MODELS / model_id)
    assert manifest["corpus"]["sha256"] == artifacts.file_sha256(BUNDLED_CORPUS / "passages.jsonl"), "retrain: framing train"
    assert manifest["codebook"]["sha256"] == artifacts.file_sha256(BUNDLED_CORPUS / "codebook.toml"), "retrain: framing train"


def test_bundled_model_loads_verified_and_meets_its_targets():
    model = service.load_model(models=BUNDLED_MODELS)
    metrics = model.manifest["metrics"]
    assert metrics["method"] == "leave-one-story-out"
    assert metrics["macro_f1"] >= 0.85
    assert metrics["macro_f1"] - metrics["keyword_lexicon_macro_f1"] >= 0.15
    assert metrics["ece"] <= 0.05
    assert set(metrics["unseen_writer_macro_f1_by_language"]) == {"en", "sr"}
    assert min(metrics["unseen_writer_macro_f1_by_language"].values()) >= 0.80
    assert max(metrics["unseen_writer_ece_by_language"].values()) <= 0.05
    frame = service.predict(
        [
            "Serbia and Hungary are going to forge a mighty military alliance which would shake up the region.",
            "It is a standard defence cooperation plan, and it does not represent a military alliance.",
            "The document was signed in Belgrade on 1 April by the two defence ministers.",
        ],
        model,
    )
    assert frame["label"].tolist() == ["hype", "routine", "neutral"]
    hype, routine, neutral = frame["hype_index"]
    assert hype > 0.5 and routine < -0.5 and abs(neutral) < 0.5
