"""Attribution as articles written elsewhere phrase it, in English and Serbian (Latin and Cyrillic)."""

from pathlib import Path

import pandas as pd
import pytest

from framing import service
from framing.cli import main
from framing.errors import InputError
from framing.ingest import Article, gold_report, ingest_articles, read_gold
from framing.sources import SourceRegistry, load_sources

GOLD = Path(__file__).resolve().parents[1] / "benchmarks" / "attribution_gold"


@pytest.fixture(scope="module")
def registry() -> SourceRegistry:
    return service.source_registry()


def speakers(text: str, registry: SourceRegistry, outlet: str = "N1") -> list[tuple[str, str]]:
    frame = ingest_articles([Article(text, id="a", outlet=outlet)], registry)
    return list(zip(frame["speaker"], frame["source_type"]))


# -- the registry --------------------------------------------------------------------------------------


def test_an_outlet_named_places_a_speaker_before_a_generic_role_word(registry):
    assert registry.classify("the pro-government tabloid Informer")[0] == "tabloid"
    assert registry.classify("the government")[0] == "official"
    assert registry.classify("the interlocutors of EWB")[0] == "expert"  # people of an outlet keep their role
    assert registry.classify("a columnist of the tabloid")[0] == "tabloid"  # a job at an outlet gives way
    assert registry.classify("a columnist")[0] == "media"


def test_outlets_and_places_match_in_their_serbian_case_forms(registry):
    assert registry.classify("naslovna strana Informera")[0] == "tabloid"
    assert registry.outlets_in("prema pisanju Večernjih novosti i Kurira") == ["Večernje novosti", "Kurir"]
    assert registry.place("Srbije") == "official"
    assert registry.place("Srbija i Mađarska") is None


def test_sources_files_take_fallback_roles_and_places(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text('[fallback_roles]\nmedia = ["blogger"]\n[places]\nofficial = ["Ruritania"]\n[roles]\nexpert = ["pundit"]\n',
                    encoding="utf-8")
    registry = load_sources(path)
    assert registry.classify("a pundit and blogger")[0] == "expert"
    assert registry.classify("a blogger")[0] == "media"
    assert registry.place("Ruritania") == "official"
    path.write_text('[places]\nofficial = "Ruritania"\n', encoding="utf-8")
    with pytest.raises(InputError, match="places.official"):
        load_sources(path)


# -- English -------------------------------------------------------------------------------------------


def test_a_tabloid_named_with_a_generic_word_is_a_tabloid(registry):
    text = "The pro-government tabloid Informer wrote that the pact is “a mighty military alliance”."
    assert speakers(text, registry) == [("Informer", "tabloid")]


def test_coordinated_outlets_celebrating_and_a_front_page_that_reads(registry):
    text = (
        "The pro-government tabloids Informer and Alo celebrated the document as “the alliance of the century”.\n\n"
        "One front page read: “Serbia and Hungary shake up the region”."
    )
    assert [kind for _, kind in speakers(text, registry)] == ["tabloid", "tabloid"]


def test_a_columnist_takes_the_type_of_the_outlet_he_writes_in(registry):
    text = "Writing in the tabloid Informer, columnist Dragan Vučićević predicted that the region would tremble."
    assert speakers(text, registry) == [("Dragan Vučićević", "tabloid")]


def test_in_his_opinion_continues_the_expert_named_before(registry):
    text = (
        "Igor Novaković, a researcher at the ISAC Fund, says that the plan is routine. "
        "In his opinion, the plan “is nothing new”. He adds that Belgrade needed a quick reply."
    )
    assert speakers(text, registry) == [("Igor Novaković", "expert")] * 3


def test_the_source_added_continues_the_anonymous_source(registry):
    text = "A source in the ministry told Reuters the plan was routine. The source added that no troops would move."
    assert speakers(text, registry) == [("source in the ministry", "official")] * 2


def test_a_title_referring_back_names_the_person_with_that_title(registry):
    text = (
        "French President Emmanuel Macron and President Aleksandar Vučić met in Belgrade. "
        "“Serbia chose France,” the French president said."
    )
    assert speakers(text, registry)[1] == ("Emmanuel Macron", "official")


def test_the_daily_and_the_tabloid_refer_to_the_outlet_just_named(registry):
    text = (
        "Večernje novosti led with “THREAT FROM THREE SIDES”, and the daily predicted that Bulgaria would sign next. "
        "Alo celebrated the plan as proof of strength, and the tabloid insisted that Orbán would stand by Belgrade."
    )
    assert speakers(text, registry) == [("Večernje novosti", "tabloid"), ("Alo", "tabloid")]


def test_countries_acting_are_not_speakers_but_speak_with_a_that_clause(registry):
    text = (
        "Serbia declared military neutrality in 2007. Hungary added two squadrons to its air force. "
        "Zagreb warned that the plan would destabilise the region."
    )
    assert speakers(text, registry) == [("N1", "media"), ("N1", "media"), ("Zagreb", "official")]


def test_a_verb_in_a_subordinate_clause_does_not_make_its_subject_the_speaker(registry):
    text = "The decision came shortly after neighbouring Croatia announced that it would bring back conscription."
    assert speakers(text, registry) == [("N1", "media")]


def test_a_participle_and_a_coordinated_verb_belong_to_the_sentence_subject(registry):
    text = (
        "Srpski telegraf went further, announcing that the capitals were “counting the missiles”. "
        "Vučić later called the estimate accurate but insisted that Serbia never sold arms to either side."
    )
    assert speakers(text, registry) == [("Srpski telegraf", "tabloid"), ("Vučić", "official")]


def test_a_tag_after_a_report_attributes_it(registry):
    text = (
        "Serbia has suspended all exports of ammunition, President Aleksandar Vučić announced on Monday.\n\n"
        "“CROATS AND ALBANIANS FORM WAR PACT,” read the main headline in Informer."
    )
    assert speakers(text, registry) == [("Aleksandar Vučić", "official"), ("Informer", "tabloid")]


def test_a_pronoun_does_not_reach_a_person_named_after_it(registry):
    text = (
        "Vuk Vuksanović, a senior researcher at the Belgrade Centre for Security Policy, says the jets are a signal. "
        "He believes the jets are also a way to buy Vučić goodwill in Paris."
    )
    assert speakers(text, registry)[1] == ("Vuk Vuksanović", "expert")


# -- Serbian, in both scripts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Informer je napisao da je to „savez veka“.", ("Informer", "tabloid")),
        ("Информер је написао да је то „савез века“.", ("Informer", "tabloid")),
        ("Kako prenosi Kurir, Srbija i Mađarska „menjaju mapu regiona“.", ("Kurir", "tabloid")),
        ("Naslovna strana Informera glasi: „Savez koji trese region“.", ("Informer", "tabloid")),
        ("Насловна страна Информера гласи: „Савез који тресе регион“.", ("Informer", "tabloid")),
        ("Analitičar Igor Novaković tvrdi da je reč o standardnom planu.", ("Igor Novaković", "expert")),
        ("Генерал у пензији Митар Ковач сматра да то није савез.", ("Mitar Kovač", "expert")),
        ("Provladini tabloidi najavljivali su „moćni vojni savez“ Beograda i Budimpešte.", ("Provladini tabloidi", "tabloid")),
    ],
)
def test_serbian_reporting_in_latin_and_cyrillic(registry, text, expected):
    assert speakers(text, registry) == [expected]


def test_serbian_views_and_subjectless_continuations(registry):
    text = (
        "Vojni analitičar Aleksandar Radić, međutim, upozorava da potpisani papir nije nikakav novi savez.\n\n"
        "Prema mišljenju Radića, plan je rutinski. Po njegovoj oceni, vežbe su iste kao ranije. "
        "Dodao je da se takvi planovi potpisuju svake godine."
    )
    assert speakers(text, registry) == [("Aleksandar Radić", "expert")] * 4


def test_serbian_statement_speaks_for_the_ministry_that_issued_it(registry):
    text = (
        "Plan je potpisan u Beogradu, saopštilo je Ministarstvo odbrane. "
        "U saopštenju se ističe da su odnosi dve zemlje odlični. "
        "Prema podacima Ministarstva odbrane, predviđeno je 79 aktivnosti."
    )
    found = speakers(text, registry, outlet="Tanjug")
    assert [kind for _, kind in found] == ["official"] * 3
    assert found[1][0] == "Ministarstvo odbrane"


def test_a_source_set_off_by_commas_does_not_take_the_main_speakers_words(registry):
    text = "Salai-Bobrovnicki je, prenosi mađarska agencija MTI, naveo da Mađarska nema bližeg partnera."
    assert speakers(text, registry) == [("Salai-Bobrovnicki", "official")]


# -- the gold set written apart from the tool ----------------------------------------------------------


@pytest.fixture(scope="module")
def gold_result() -> dict:
    gold = pd.concat([read_gold(p) for p in sorted((GOLD / "gold").glob("*.jsonl"))], ignore_index=True)
    return gold_report(service.ingest([GOLD / "articles"]), gold)


def test_the_gold_set_holds_articles_by_several_writers_in_both_languages_and_scripts(gold_result):
    ids = [a["article_id"] for a in gold_result["articles"]]
    assert len(ids) >= 20 and not gold_result["overall"]["missing"]
    assert len({i.split("/")[0] for i in ids}) >= 4
    serbian = [i for i in ids if i.startswith("sr-")]
    cyrillic = [p for p in (GOLD / "articles").rglob("*.md") if any("\u0400" <= c <= "\u04ff" for c in p.read_text("utf-8"))]
    assert len(serbian) >= 6 and len(cyrillic) >= 2


def test_attribution_meets_its_targets_on_the_gold_set(gold_result):
    overall = gold_result["overall"]
    assert overall["source_type_accuracy"] >= 0.90
    assert overall["speaker_accuracy"] >= 0.85
    assert overall["worst_article"] >= 0.75, [(a["article_id"], a["source_type_accuracy"]) for a in gold_result["articles"]]


def test_read_gold_names_the_row_of_a_passage_without_a_speaker(tmp_path):
    path = tmp_path / "gold.jsonl"
    path.write_text('{"article_id": "a", "text": "x", "speaker": "N1", "source_type": "media"}\n'
                    '{"article_id": "a", "text": "y", "speaker": "", "source_type": "media"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"row 2.*speaker"):
        read_gold(path)


# -- the command line ----------------------------------------------------------------------------------


def test_ingest_gold_prints_accuracy_per_article(tmp_path, capsys):
    articles = GOLD / "articles" / "sr-latin"
    gold = tmp_path / "gold.jsonl"
    rows = pd.read_json(GOLD / "gold" / "sr-latin.jsonl", lines=True, dtype=False)
    rows.assign(article_id=rows["article_id"].str.split("/").str[1]).to_json(gold, orient="records", lines=True, force_ascii=False)
    assert main(["ingest", str(articles), "-o", str(tmp_path / "out.jsonl"), "--gold", str(gold)]) == 0
    err = capsys.readouterr().err
    assert "informer-vojni-savez" in err and "source type" in err
    assert sum(line.startswith(("informer", "n1", "raskrikavanje", "tanjug")) for line in err.splitlines()) == 4


def test_ingest_says_once_how_to_give_the_narrations_source_type(tmp_path, capsys):
    article = tmp_path / "a.txt"
    article.write_text("Serbia declared neutrality in 2007. The plan is new. It has 79 activities.", encoding="utf-8")
    assert main(["ingest", str(article), "-o", str(tmp_path / "out.jsonl")]) == 0
    err = capsys.readouterr().err
    assert err.count("--source-type") == 1 and "no outlet is named" in err
    assert main(["ingest", str(article), "-o", str(tmp_path / "out2.jsonl"), "--source-type", "media"]) == 0
    assert "--source-type" not in capsys.readouterr().err
