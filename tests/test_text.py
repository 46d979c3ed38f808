import pickle
from functools import partial

from framing.text import analyze, analyze_surface, mark_negation, stem, tokenize


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
