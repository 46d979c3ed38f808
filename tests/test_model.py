import pickle

import joblib
import numpy as np
import pytest

from framing.config import TrainingConfig
from framing.model import CueLexiconClassifier, FramingModel, build_pipeline

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


def test_explanations_are_words_of_the_passage_pushing_toward_the_label(tiny):
    text = "Make no mistake, this mighty alliance will shake up the region."
    terms = tiny.explain([text], k=3)[0]
    assert terms and all(weight > 0 for _, weight in terms)
    assert all(word.lower() in text.lower() for word, _ in terms)
    routine = tiny.explain([text], k=3, labels=["routine"])[0]
    assert {t for t, _ in routine}.isdisjoint({t for t, _ in terms})


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
