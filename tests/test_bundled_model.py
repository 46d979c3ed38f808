"""The model shipped in models/ is the one the bundled corpus and codebook produce, and it is good."""

from framing import artifacts, service
from framing.language import detect
from framing.text import NEGATION_GAP, is_stop_word

from .conftest import BUNDLED_CORPUS, BUNDLED_MODELS, bundled_records


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


README_EXAMPLE = "Serbia and Hungary will forge a mighty military alliance!"


def test_the_readme_example_is_hype_and_its_evidence_is_the_words_that_frame_it():
    model = service.load_model(models=BUNDLED_MODELS)
    frame = service.predict([README_EXAMPLE], model, explain=5)
    row = frame.iloc[0]
    assert row["label"] == "hype"
    assert row["p_hype"] > max(row["p_routine"], row["p_neutral"])
    assert row["p_hype"] > 0.9  # measured 0.986 (routine 0.002, neutral 0.011)
    terms = [term.lower() for term, _ in row["terms"]]
    assert {"mighty", "alliance"} <= set(terms)
    assert not [t for t in terms if all(is_stop_word(w) for w in t.split())]


def test_no_function_word_alone_is_evidence_in_english_or_serbian_in_either_script():
    model = service.load_model(models=BUNDLED_MODELS)
    records = bundled_records()
    texts = [r["text"] for r in records[::40]] + [
        "Srbija i Mađarska će sklopiti moćan vojni savez!",
        "Србија и Мађарска ће склопити моћан војни савез!",
        "Ovo je standardni plan saradnje i ne predstavlja vojni savez.",
        "Ово је стандардни план сарадње и не представља војни савез.",
    ]
    assert {detect(t).script for t in texts} == {"latin", "cyrillic"}
    assert {detect(t).language for t in texts} >= {"en", "sr"}
    for text, terms in zip(texts, model.explain(texts, k=10)):
        language = detect(text).reads_as
        assert terms, text
        alone = [t for t, _ in terms if all(is_stop_word(w.lower(), language) for w in t.split(NEGATION_GAP)[-1].split())]
        assert not alone, (text, alone)
    hype = model.explain(texts[-4:-2], k=5)
    assert "savez" in [t for t, _ in hype[0]] and "савез" in [t for t, _ in hype[1]]
