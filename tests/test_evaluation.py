import math

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import StratifiedKFold

from framing import service
from framing.codebook import new_codebook
from framing.config import TrainingConfig
from framing.errors import CorpusError
from framing.evaluation import (
    _cross_validate,
    check_enough_passages,
    classification_report,
    evaluate_corpus,
    expected_calibration_error,
    fold_minimum,
    report_to_markdown,
)

from .conftest import BUNDLED_CORPUS


def test_ece_of_a_hand_computed_example():
    proba = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.6, 0.4]])
    y = np.array([0, 1, 0, 0])
    # bin 0.8-0.9: confidence 0.9, accuracy 0.5; bin 0.5-0.6: confidence 0.6, accuracy 1.0
    assert expected_calibration_error(proba, y) == pytest.approx(0.5 * 0.4 + 0.5 * 0.4)
    assert expected_calibration_error(np.eye(2), np.array([0, 1])) == 0


def test_classification_report_counts():
    report = classification_report(["a", "a", "b"], np.array([[1, 0], [0, 1], [0, 1]]), ["a", "b"])
    assert report["accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    assert report["confusion_matrix"]["rows_true_columns_predicted"] == [[1, 1], [0, 1]]
    assert report["per_label"]["b"]["precision"] == 0.5


def test_small_corpus_report_has_every_part(trained):
    _, _, report = trained
    assert report["method"] == "leave-one-story-out" and report["n_stories"] == 4
    assert report["model"]["macro_f1"] > report["baselines"]["keyword_lexicon"]["macro_f1"]
    assert report["baselines"]["majority"]["macro_f1"] < 0.3
    assert set(report["by_source_type"]) == {"tabloid", "official", "expert", "media"}
    assert 0 <= report["source_type_probe"]["macro_f1"] <= 1
    text = report_to_markdown(report)
    assert "keyword lexicon" in text and "Source-type probe" in text


@pytest.mark.slow
def test_bundled_corpus_meets_the_quality_targets():
    """The honest test: every passage predicted by a model that never saw its story."""
    report, predictions = service.evaluate(BUNDLED_CORPUS)
    model, keyword = report["model"], report["baselines"]["keyword_lexicon"]
    assert model["macro_f1"] >= 0.85
    assert model["macro_f1"] - keyword["macro_f1"] >= 0.15
    assert model["ece"] <= 0.05
    assert len(predictions) == report["n_passages"]
    # what a passage written by someone new meets: each writer scored by a model that never saw them
    unseen = report["leave_one_writer_out"]["scopes"]
    for language in ("en", "sr"):
        assert unseen[f"language={language}"]["model"]["macro_f1"] >= 0.80
        assert unseen[f"language={language}"]["model"]["ece"] <= 0.05
    assert unseen["script=cyrillic"]["model"]["macro_f1"] >= 0.80


def test_contrast_pair_consistency_counts_pairs_with_both_members_right():
    import pandas as pd

    from framing.evaluation import contrast_pairs

    corpus = pd.DataFrame({
        "label": ["hype", "routine", "hype", "neutral", "hype", "routine", "neutral"],
        "pair": ["p1", "p1", "p2", "p2", "p3", "p3", ""],
        "contrast": ["numbers", "numbers", "alliance-factual", "alliance-factual", "numbers", "numbers", ""],
    })
    predicted = np.array(["hype", "routine", "hype", "hype", "routine", "routine", "neutral"], dtype=object)
    result = contrast_pairs(corpus, predicted)
    assert result["n_pairs"] == 3
    assert result["consistency"] == pytest.approx(1 / 3, abs=1e-4)  # only p1 has both right
    assert result["prediction_flips"] == pytest.approx(1 / 3, abs=1e-4)  # p2 and p3 predict one label for both
    assert result["by_contrast"]["numbers"]["n_pairs"] == 2 and result["by_contrast"]["numbers"]["consistency"] == 0.5
    assert contrast_pairs(corpus.drop(columns=["pair"]), predicted) == {"n_pairs": 0}


def test_small_corpus_is_also_evaluated_by_unseen_writer_language_and_script(trained):
    _, _, report = trained
    lowo = report["leave_one_writer_out"]
    assert lowo["method"] == "leave-one-writer-out" and lowo["n_writers"] >= 3
    assert {"language=en", "language=sr", "script=latin", "script=cyrillic"} <= set(lowo["scopes"])
    assert sum(m["n"] for m in lowo["by_writer"].values()) == report["n_passages"]
    methods = {row["method"] for row in report["summary"]}
    assert methods == {"leave-one-story-out", "leave-one-writer-out"}
    text = report_to_markdown(report)
    assert "Side by side" in text and "By writer" in text and "leave-one-writer-out, language=sr" in text


def tiny_corpus(counts: dict[str, int], stories=("s1",)) -> pd.DataFrame:
    """Passages of two frames in a few words, ``counts[label]`` of each, spread over ``stories`` in turn."""
    words = {"bait": "you will not believe this shocking secret", "news": "parliament passed the budget bill today"}
    rows = [{"id": f"{label}-{i}", "text": f"{words[label]} number {i}", "label": label, "story": stories[i % len(stories)],
             "source_type": "unknown"} for label, n in counts.items() for i in range(n)]
    return pd.DataFrame(rows)


def test_fold_minimum_leaves_every_training_part_enough_to_calibrate_on():
    assert fold_minimum(5, 5) == 7 and fold_minimum(5, 2) == 10 and fold_minimum(5, 12) == 12
    with pytest.raises(ValueError, match="at least 2 folds"):
        fold_minimum(5, 1)
    for k in range(2, 16):
        n = fold_minimum(5, k)
        assert n >= k and n - math.ceil(n / k) >= 5
        assert n == max(k, 5) or (n - 1) - math.ceil((n - 1) / k) < 5  # and no fewer would do


def test_the_minimums_are_the_models_own(tmp_path):
    codebook = new_codebook(tmp_path / "codebook.toml", "t", ["bait", "news"])
    config = TrainingConfig()
    enough = tiny_corpus({"bait": 7, "news": 7})
    report, _ = evaluate_corpus(enough, codebook, config, folds=5, n_jobs=1)
    assert report["method"] == "5-fold cross-validation"
    short = tiny_corpus({"bait": 6, "news": 7})
    with pytest.raises(CorpusError, match=r"5-fold cross-validation: each label needs at least 7 .* bait 6, news 7"):
        evaluate_corpus(short, codebook, config, folds=5, n_jobs=1)
    splits = StratifiedKFold(5, shuffle=True, random_state=config.seed).split(short, short["label"])
    with pytest.raises(ValueError, match="Requesting 5-fold cross-validation"):  # what the check spares the user
        _cross_validate(short, splits, codebook, config, n_jobs=1)
    with pytest.raises(CorpusError, match=r"to train: each label needs at least 5 .* bait 4, news 0; label more"):
        check_enough_passages(tiny_corpus({"bait": 4}), ["bait", "news"], config, evaluate=False)


def test_leave_one_story_out_needs_each_label_outside_every_story():
    labels = ["bait", "news"]
    one_story_holds_most = pd.concat([tiny_corpus({"bait": 8, "news": 6}, stories=("s1",)),
                                      tiny_corpus({"bait": 3, "news": 6}, stories=("s2", "s3"))], ignore_index=True)
    with pytest.raises(CorpusError, match=r"leave-one-story-out evaluation: .* without 's1', bait has 3; .*--folds K"):
        check_enough_passages(one_story_holds_most, labels)
    check_enough_passages(one_story_holds_most, labels, folds=5)
    spread = tiny_corpus({"bait": 12, "news": 12}, stories=("s1", "s2", "s3"))
    check_enough_passages(spread, labels)  # 8 of each outside every story
    with pytest.raises(CorpusError, match="at least two stories"):
        check_enough_passages(tiny_corpus({"bait": 12, "news": 12}), labels)


def test_evaluation_reports_each_fold_as_it_finishes(tmp_path):
    codebook = new_codebook(tmp_path / "codebook.toml", "t", ["bait", "news"])
    heard = []
    corpus = tiny_corpus({"bait": 12, "news": 12}, stories=("s1", "s2", "s3")).assign(writer="w1")
    corpus.loc[corpus.index % 2 == 0, "writer"] = "w2"
    report, _ = evaluate_corpus(corpus, codebook, n_jobs=1, progress=heard.append)
    assert heard[:4] == ["leave-one-story-out: 3 folds over 24 passages", "leave-one-story-out fold 1/3 (story s1)",
                         "leave-one-story-out fold 2/3 (story s2)", "leave-one-story-out fold 3/3 (story s3)"]
    assert heard[-1] == "leave-one-writer-out fold 2/2 (writer w2)" and "leave_one_writer_out" in report
    corpus["writer"] = np.where(corpus["label"] == "bait", "w1", "w2")  # without w1, no bait is left to learn
    report, _ = evaluate_corpus(corpus, codebook, n_jobs=1)
    assert "leave_one_writer_out" not in report and "without 'w1'" in report["leave_one_writer_out_skipped"]
    assert "Leave-one-writer-out evaluation left out" in report_to_markdown(report)
