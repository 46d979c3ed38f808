import pickle

import joblib
import numpy as np
import pytest

from framing.config import TrainingConfig
from framing.language import detect
from framing.model import CueLexiconClassifier, FramingModel, build_pipeline
from framing.text import NEGATION_GAP, is_stop_word

TEXTS = [
    "A mighty military alliance that will shake up the region!",
    "A historic turning point: the new axis sends a message to rivals.",
    "An unbreakable brotherhood in arms, the strongest bloc in decades.",
    "It is a standard annual plan of joint exercises, not an alliance.",
    "The document operationalises the existing agreement with routine training.",
    "No mutual-defence clause: a technical framework of activities.",
    "The ministers signed the document in Belgrade on 1 April.",
    "Serbia purchased armoured vehicles from Hungary last year.",
    "The delegation visited the base on Tuesday.",
] * 4
LABELS = ["hype"] * 3 + ["routine"] * 3 + ["neutral"] * 3
LABELS = LABELS * 4
CONFIG = TrainingConfig(min_df=1, calibration_folds=2)


@pytest.fixture(scope="module")
def tiny():
    pipeline = build_pipeline(CONFIG).fit(TEXTS, np.array(LABELS, dtype=object))
    return FramingModel(pipeline, labels=("hype", "routine", "neutral"), index_positive="hype", index_negative="routine")


def test_predictions_are_probabilities_in_codebook_order(tiny):
    frame = tiny.predict_frame(["A historic alliance!", "A routine training plan."])
    assert list(frame.columns) == ["label", "p_hype", "p_routine", "p_neutral", "hype_index"]
    assert np.allclose(frame[["p_hype", "p_routine", "p_neutral"]].sum(axis=1), 1)
    assert np.allclose(frame["hype_index"], frame["p_hype"] - frame["p_routine"])
    assert frame["hype_index"].between(-1, 1).all()
    assert frame["label"].tolist() == ["hype", "routine"]


def words_of(term: str) -> list[str]:
    return [w for w in term.replace(NEGATION_GAP, " ").split()]


def test_explanations_are_words_of_the_passage_pushing_toward_the_label(tiny):
    text = "Make no mistake, this mighty alliance will shake up the region."
    terms = tiny.explain([text], k=3)[0]
    assert terms and all(weight > 0 for _, weight in terms)
    assert all(word.lower() in text.lower() for term, _ in terms for word in words_of(term))
    routine = tiny.explain([text], k=3, labels=["routine"])[0]
    assert {t for t, _ in routine}.isdisjoint({t for t, _ in terms})


def stop_words_pushing(model, text, label) -> set[str]:
    """Function words of ``text`` that the model weighs toward ``label``."""
    language = detect(text).reads_as
    _, pushes = model.word_pushes(text, label)
    return {text[a:b].lower() for a, b, push in pushes if push > 0 and is_stop_word(text[a:b].lower(), language)}


def test_evidence_names_content_words_never_a_function_word_alone(tiny):
    text = "A mighty alliance that will shake up the region!"
    assert stop_words_pushing(tiny, text, "hype")  # the model does weigh some function words toward hype ...
    terms = tiny.explain([text], k=50)[0]
    words = [term.lower() for term, _ in terms]
    assert "mighty" in words and "alliance" in words  # ... but the evidence is the words that carry the frame
    assert not [t for t in words if all(is_stop_word(w) for w in t.split())]
    assert tiny.predict_frame([text])["label"][0] == "hype"


SERBIAN = [
    "Srbija i Mađarska kuju moćni vojni savez koji će uzdrmati region!",
    "Istorijski savez je tu, a bratstvo u oružju je neraskidivo!",
    "Moćna osovina će poslati poruku svima u regionu!",
    "Ovo je standardni plan saradnje i ne predstavlja vojni savez.",
    "Plan navodi uobičajene vežbe i obuke za ovu godinu.",
    "Dokument operacionalizuje postojeći sporazum o saradnji.",
    "Ministri su potpisali dokument u Beogradu prvog aprila.",
    "Srbija je prošle godine kupila oklopna vozila.",
    "Delegacija je u utorak posetila bazu.",
] * 4


@pytest.fixture(scope="module")
def serbian():
    pipeline = build_pipeline(CONFIG).fit(SERBIAN, np.array(LABELS, dtype=object))
    return FramingModel(pipeline, labels=("hype", "routine", "neutral"), index_positive="hype", index_negative="routine")


@pytest.mark.parametrize("text, content", [
    ("Srbija i Mađarska kuju moćni vojni savez koji će uzdrmati region!", {"moćni", "savez"}),
    ("Србија и Мађарска кују моћни војни савез који ће уздрмати регион!", {"моћни", "савез"}),
    ("Srbija i Madjarska kuju mocni vojni savez koji ce uzdrmati region!", {"mocni", "savez"}),
])
def test_serbian_evidence_in_either_script_holds_no_function_word_alone(serbian, text, content):
    assert stop_words_pushing(serbian, text, "hype")  # "i", "koji", "će" push toward hype in this model
    terms = [term.lower() for term, _ in serbian.explain([text], k=50)[0]]
    assert content <= set(terms)
    assert not [t for t in terms if all(is_stop_word(w, "sr") for w in t.split())]


def test_a_denial_is_shown_with_its_negation(serbian):
    text = "Ово је стандардни план сарадње и не представља војни савез."
    terms = [term for term, _ in serbian.explain([text], k=50, labels=["routine"])[0]]
    assert "не … савез" in terms and "савез" not in terms


def test_pipeline_pickling_round_trip_gives_identical_probabilities(tiny, tmp_path):
    joblib.dump(tiny.pipeline, tmp_path / "m.joblib")
    again = joblib.load(tmp_path / "m.joblib")
    probe = ["an iron-clad alliance", "a framework of exercises", "signed on Monday"]
    assert np.array_equal(again.predict_proba(probe), tiny.pipeline.predict_proba(probe))
    assert pickle.loads(pickle.dumps(tiny.pipeline)).predict(probe).tolist() == tiny.pipeline.predict(probe).tolist()


def test_any_label_set_from_the_data(tmp_path):
    texts = ["you won't believe this trick", "parliament passed the budget", "this one weird secret", "the court ruled on"] * 5
    labels = np.array(["clickbait", "news"] * 10, dtype=object)
    pipeline = build_pipeline(CONFIG).fit(texts, labels)
    model = FramingModel(pipeline, labels=("clickbait", "news"), index_positive="clickbait", index_negative="news")
    frame = model.predict_frame(["you won't believe what happened"])
    assert frame.loc[0, "label"] == "clickbait"
    assert "clickbait_index" in frame.columns
    assert model.explain(["you won't believe what happened"], k=2)[0]


def test_model_refuses_a_label_set_that_does_not_cover_the_pipeline(tiny):
    with pytest.raises(ValueError, match="not in the label set"):
        FramingModel(tiny.pipeline, labels=("hype", "routine"), index_positive="hype", index_negative="routine")


def test_keyword_lexicon_counts_stemmed_cues():
    lexicon = CueLexiconClassifier(
        cues={"hype": ["alliance", "shake up"], "routine": ["plan", "not an alliance"]}, fallback="neutral"
    ).fit(["x"], ["neutral"])
    assert lexicon.predict(["Alliances shake up everything", "It is a plan", "The weather is fine"]).tolist() == [
        "hype",
        "routine",
        "neutral",
    ]
    proba = lexicon.predict_proba(["an alliance and a plan"])
    assert np.allclose(proba.sum(axis=1), 1)


def test_keyword_lexicon_needs_a_valid_fallback():
    with pytest.raises(ValueError, match="fallback"):
        CueLexiconClassifier(cues={"a": ["x"]}, fallback=None).fit(["x"], ["a"])


def test_training_config_validates_and_round_trips():
    config = TrainingConfig(C=2.0, ngram_max=3)
    assert TrainingConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="C must be positive"):
        TrainingConfig(C=0)
    with pytest.raises(ValueError, match="unknown training settings"):
        TrainingConfig.from_dict({"depth": 3})
