import pickle
from functools import partial

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS as ENGLISH_STOP_WORDS_SKLEARN

from framing.text import analyze, analyze_surface, is_stop_word, mark_negation, stem, tokenize


def test_tokenize_keeps_punctuation_and_apostrophes():
    assert tokenize("Hungary’s plan isn't new!") == ["hungary’s", "plan", "isn't", "new", "!"]


def test_negation_scope_stops_at_punctuation_and_after_a_few_words():
    marked = mark_negation(tokenize("It does not represent a military alliance, the experts say."))
    assert "alliance_NEG" in marked and "experts" in marked
    assert mark_negation(["no", "a", "b", "c", "d", "e"], scope=2) == ["no", "a_NEG", "b_NEG", "c", "d", "e"]


def test_analyze_separates_negated_and_plain_uses_of_a_word():
    plain, negated = analyze("a military alliance"), analyze("not a military alliance")
    assert "allianc" in plain and "allianc" not in negated
    assert "allianc_NEG" in negated
    assert "militari allianc" in plain


def test_numbers_fold_to_one_feature():
    assert stem("79") == stem("2023") == stem("1,200") == "#"


def test_surface_forms_point_back_to_the_passage_words():
    surface = analyze_surface("Not a Mighty Alliance.")
    assert surface["allianc_NEG"] == "Alliance"
    assert surface["mighti_NEG allianc_NEG"] == "Mighty Alliance"


def test_analyzer_partial_pickles():
    analyzer = partial(analyze, ngram_max=3, negation=False)
    again = pickle.loads(pickle.dumps(analyzer))
    assert again("a historic turning point") == analyzer("a historic turning point")


def test_function_words_of_both_languages_in_both_scripts():
    assert all(is_stop_word(w) for w in ("the", "of", "that", "a", "will", "doesn't", "doesn’t"))
    assert not any(is_stop_word(w) for w in ("mighty", "alliance", "forge", "plan"))
    # words of scikit-learn's list that carry meaning ("a united front", "a show of force") are content words here
    assert not is_stop_word("front") and not is_stop_word("show") and "front" in ENGLISH_STOP_WORDS_SKLEARN
    # Serbian: Latin, Cyrillic and typed without diacritics alike; Cyrillic or Serbian letters are read as Serbian
    assert all(is_stop_word(w, "sr") for w in ("je", "је", "i", "и", "će", "ће", "ce", "između", "између", "koji", "који"))
    assert is_stop_word("ће") and is_stop_word("će")  # whatever the passage's language
    assert not any(is_stop_word(w, "sr") for w in ("savez", "савез", "moćni", "моћни", "vojni"))
    # a Serbian function word that is an English content word counts only in Serbian
    assert is_stop_word("sad", "sr") and not is_stop_word("sad", "en")


def test_surface_shows_a_negation_with_the_words_it_negates():
    text = "It is not a Mighty Alliance, the experts say."
    assert analyze_surface(text)["allianc_NEG"] == "Alliance"
    shown = analyze_surface(text, show_negation=True, prefix=5)
    assert shown["allianc_NEG"] == "not … Alliance" and shown["mighti_NEG allianc_NEG"] == "not … Mighty Alliance"
    assert shown["pre:allia"] == "not … Alliance"
    assert shown["not a_NEG"] == "not a" and shown["expert"] == "experts"  # the negation is there, or no scope
    assert analyze_surface("Ово није војни савез.", show_negation=True)["savez_NEG"] == "није … савез"
