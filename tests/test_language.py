"""Languages and scripts: transliteration, detection, and the same reading of both Serbian scripts everywhere."""

import numpy as np
import pytest

from framing import service
from framing.language import detect, fold, profile, transliterate
from framing.scoring import score_texts
from framing.text import analyze, analyze_surface, stem

from .conftest import BUNDLED_MODELS

LATIN = "Ovo je standardni plan saradnje i ne predstavlja vojni savez, kažu analitičari."
CYRILLIC = "Ово је стандардни план сарадње и не представља војни савез, кажу аналитичари."


def test_transliteration_and_folding():
    assert transliterate(CYRILLIC) == LATIN
    assert transliterate("ЉУБЉАНА и Џаковица") == "LJUBLJANA i Džakovica"
    assert fold("mađarska vučić šta žena") == "madjarska vucic sta zena"


@pytest.mark.parametrize(
    "text, language, script",
    [
        (LATIN, "sr", "latin"),
        (CYRILLIC, "sr", "cyrillic"),
        ("Ovo je standardni plan saradnje i ne predstavlja vojni savez", "sr", "latin"),  # no diacritics
        ("Vucic: Srbija i Madjarska su na putu ka vojnom savezu", "sr", "latin"),
        ("Serbia and Hungary are going to forge a mighty military alliance.", "en", "latin"),
        ("MIGHTY ALLIANCE SHAKES THE REGION", "en", "latin"),
        ("NATO summit in Vilnius", "en", "latin"),
        ("Die Bundeswehr und Ungarn unterzeichnen einen gemeinsamen Plan für das nächste Jahr.", "other:de", "latin"),
        ("Россия и Белоруссия подписали договор о гарантиях безопасности.", "other:ru", "cyrillic"),
        ("2025 — 79 / 2023!", "none", "none"),
        ("", "none", "none"),
    ],
)
def test_detection(text, language, script):
    found = detect(text)
    assert (found.language, found.script) == (language, script)


def test_a_passage_that_mixes_the_languages_is_mixed_and_still_read():
    found = detect("The minister said that this is the plan of the year, a on je rekao da je to samo plan koji je već viđen i da se ništa ne menja.")
    assert found.language == "mixed" and found.supported and found.reads_as in ("en", "sr")


def test_a_few_latin_words_in_cyrillic_text_keep_it_cyrillic():
    assert detect("Министар Гашић се састао са делегацијом NATO у Београду.").script == "cyrillic"


def test_both_scripts_give_the_same_features_and_evidence_in_their_own_script():
    assert analyze(LATIN) == analyze(CYRILLIC)
    assert stem("савеза", "sr") == stem("saveza", "sr") == "savez"
    # negation scope in Serbian: "ne predstavlja vojni savez" marks what it denies
    assert "savez_NEG" in analyze(LATIN)
    surface = analyze_surface(CYRILLIC)
    assert surface["savez_NEG"] == "савез"


def test_diacritics_typed_or_not_are_one_word():
    assert analyze("Mađarska i Srbija, Vučić") == analyze("Madjarska i Srbija, Vucic")


def test_profile_of_many_matches_one_by_one():
    texts = [LATIN, CYRILLIC, "An ordinary plan.", "12 34", "Ein ganz gewöhnlicher Plan der beiden Armeen für dieses Jahr."]
    assert profile(texts) == [detect(t) for t in texts]


@pytest.fixture(scope="module")
def bundled():
    return service.load_model(models=BUNDLED_MODELS)


def test_the_same_sentence_in_latin_and_cyrillic_gets_the_same_probabilities(bundled):
    pairs = [
        (LATIN, CYRILLIC),
        ("SRBIJA I MAĐARSKA KUJU MOĆNI VOJNI SAVEZ: Zagreb u šoku!", "СРБИЈА И МАЂАРСКА КУЈУ МОЋНИ ВОЈНИ САВЕЗ: Загреб у шоку!"),
        ("Dokument su u Beogradu potpisali ministri odbrane.", "Документ су у Београду потписали министри одбране."),
    ]
    for latin, cyrillic in pairs:
        assert transliterate(cyrillic) == latin
        np.testing.assert_allclose(bundled.predict_proba([latin]), bundled.predict_proba([cyrillic]), atol=1e-12)
    # and the evidence is given in the passage's own script
    terms = bundled.explain([pairs[1][1]], k=3)[0]
    assert terms and all(any("\u0400" <= c <= "\u04ff" for c in term) for term, _ in terms if any(c.isalpha() for c in term))


def test_serbian_and_english_framings_are_read(bundled):
    frame = service.predict(
        [
            "Ovo je standardni plan saradnje i ne predstavlja vojni savez.",
            "Србија и Мађарска стварају моћни војни савез који ће уздрмати регион!",
            "Dokument su 1. aprila u Beogradu potpisali ministri odbrane Srbije i Mađarske.",
        ],
        bundled,
    )
    assert frame["label"].tolist() == ["routine", "hype", "neutral"]


def test_score_keeps_every_row_and_says_why_a_row_is_not_scored(bundled):
    texts = [LATIN, CYRILLIC, "Der Plan ist ein gewöhnlicher Plan der beiden Armeen für dieses Jahr.", "2025 / 79", "  ",
             "A mighty alliance!", None]
    columns = score_texts(bundled, texts)
    assert list(columns["status"]) == ["ok", "ok", "error", "error", "error", "ok", "error"]
    assert list(columns["language"][:3]) == ["sr", "sr", "other:de"] and columns["script"][1] == "cyrillic"
    assert "language not supported" in columns["error"][2] and "'de'" in columns["error"][2]
    assert "no words" in columns["error"][3]
    assert columns["error"][4] == "empty text" and columns["error"][6] == "missing text"
    assert np.isnan(columns["p_hype"][2]) and not np.isnan(columns["p_hype"][0])


def test_latin_look_alikes_typed_inside_cyrillic_words_read_as_cyrillic(bundled):
    wrong = "Cрбија и Maђарска кују моћни војни савез"  # a Latin C, M and a among the Cyrillic
    right = "Србија и Мађарска кују моћни војни савез"
    assert transliterate(wrong) == transliterate(right) == "Srbija i Mađarska kuju moćni vojni savez"
    assert detect(wrong).language == "sr"
    np.testing.assert_allclose(bundled.predict_proba([wrong]), bundled.predict_proba([right]), atol=1e-12)
    assert transliterate("NATO и EU") == "NATO i EU"  # whole Latin words stay Latin
