import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framing.features import FramingVectorizer

from .conftest import bundled_records

WORDS = ["not", "no", "never", "isn't", "alliance", "plan", "historic", "a", "the", ",", ".", "!", "standard", "zzz", "79", "Military"]


@pytest.fixture(scope="module")
def fitted():
    texts = [r["text"] for r in bundled_records()[:600]]
    return FramingVectorizer().fit(texts), texts


def same(vectorizer, texts):
    fast, reference = vectorizer.transform(texts), vectorizer.tfidf_.transform(texts)
    return fast.shape == reference.shape and (fast != reference).nnz == 0


def test_fast_transform_equals_the_reference_vectorizer(fitted):
    vectorizer, texts = fitted
    assert same(vectorizer, texts)
    assert same(vectorizer, ["", "!!!", "not", "Not an alliance.", "no no no no alliance alliance", "Never. Alliance"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(WORDS), max_size=14).map(" ".join), min_size=1, max_size=8))
def test_fast_transform_equals_the_reference_on_any_word_soup(fitted, texts):
    assert same(fitted[0], texts)


@pytest.mark.parametrize("settings_", [{"negation": False}, {"ngram_max": 1}, {"ngram_max": 3}, {"scope": 1}, {"prefix": 5},
                                       {"prefix": 3, "negation": False}])
def test_other_settings_match_too(fitted, settings_):
    _, texts = fitted
    vectorizer = FramingVectorizer(**settings_).fit(texts)
    assert same(vectorizer, texts[::-1] + ["not a b c d e alliance"])


def test_pickles_with_the_training_tokens_resolved(fitted):
    vectorizer, texts = fitted
    assert "alliance" in vectorizer._codes["en"]  # fit resolved the training passages' tokens
    again = pickle.loads(pickle.dumps(vectorizer))
    assert again._codes == vectorizer._codes
    assert (again.transform(texts[:50]) != vectorizer.transform(texts[:50])).nnz == 0
    assert np.array_equal(again.get_feature_names_out(), vectorizer.get_feature_names_out())


def test_a_separator_character_inside_a_passage_changes_nothing(fitted):
    vectorizer, _ = fitted
    texts = ["not\x00 an alliance", "a plan\x00\x00", "", "\x00", "no\x00alliance"]
    assert same(vectorizer, texts)
    assert same(vectorizer, ["", "", "not an alliance"])
    assert vectorizer.transform([]).shape == (0, len(vectorizer.vocabulary_))


def test_prefix_features_join_inflected_forms_in_both_scripts():
    texts = ["Vojni savez je tu.", "Говоре о војном савезу.", "Savezništvo Beograda i Budimpešte.", "A plain plan."] * 2
    vectorizer = FramingVectorizer(prefix=5).fit(texts)
    assert "pre:savez" in vectorizer.vocabulary_
    column = vectorizer.vocabulary_["pre:savez"]
    matrix = vectorizer.transform(["savezu", "САВЕЗНИШТВО", "alliance"]).toarray()
    assert matrix[0, column] > 0 and matrix[1, column] > 0 and matrix[2, column] == 0
    assert same(vectorizer, texts + ["Savez, savezi, savezima!"])
