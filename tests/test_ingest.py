import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from framing import service
from framing.errors import InputError
from framing.ingest import COLUMNS, Article, attribution_accuracy, ingest_articles, read_articles, same_speaker
from framing.segment import SPLITTER_PATH, quote_spans, split_paragraphs, train_splitter, transliterate
from framing.sources import UNKNOWN, SourceRegistry, load_sources

from .conftest import BUNDLED_CORPUS, BUNDLED_MODELS

DATA = Path(__file__).parent / "data"
SEED = DATA / "seed_article.txt"
OUTLET = "European Western Balkans"


@pytest.fixture(scope="session")
def registry() -> SourceRegistry:
    return service.source_registry()


def ingest(text: str, registry: SourceRegistry, **meta) -> pd.DataFrame:
    return ingest_articles([Article(text, **{"id": "a", "outlet": "N1", **meta})], registry)


def rows(frame: pd.DataFrame) -> list[tuple[str, str]]:
    return list(zip(frame["speaker"], frame["source_type"]))


# -- the seed article against its gold annotation ----------------------------------------------------


@pytest.fixture(scope="session")
def seed_passages(registry) -> pd.DataFrame:
    return ingest_articles(read_articles(SEED, outlet=OUTLET, date="2025-04-01"), registry)


def test_seed_article_meets_the_gold_annotation(seed_passages):
    gold = pd.read_json(DATA / "seed_gold.jsonl", lines=True, dtype=False)
    result = attribution_accuracy(seed_passages, gold)
    assert result["matched"] == len(gold) == 33
    assert result["source_type_accuracy"] >= 0.95, result["errors"]
    assert result["speaker_accuracy"] >= 0.90, result["errors"]
    merged = gold.merge(seed_passages, on="text", suffixes=("_gold", ""))
    assert len(merged) == len(gold), "the segmentation cuts the article as the gold does"
    assert (merged["speech_gold"] == merged["speech"]).mean() >= 0.9


def test_seed_passages_are_corpus_records_that_keep_every_paragraph(seed_passages):
    assert tuple(seed_passages.columns) == COLUMNS
    assert seed_passages["id"].is_unique and seed_passages["id"].iloc[0] == "seed_article-001"
    assert set(seed_passages["label"]) == {""} and set(seed_passages["story"]) == {"seed_article"}
    paragraphs = [p.text for p in split_paragraphs(SEED.read_text(encoding="utf-8"))]
    joined = seed_passages.groupby("paragraph")["text"].apply(" ".join).tolist()
    assert joined == paragraphs
    narration = seed_passages[seed_passages["speech"] == "narration"]
    assert set(narration["speaker"]) == {OUTLET} and set(narration["source_type"]) == {"media"}


def test_same_speaker_is_fair_to_short_and_long_names():
    assert same_speaker("Ranković", "Ivana Ranković")
    assert same_speaker("the Ministry of Defence of Serbia", "Ministry of Defence")
    assert same_speaker("Rankovic", "Ivana Ranković")
    assert not same_speaker("Savković", "Ivana Ranković")
    assert not same_speaker("", "Ivana Ranković")


# -- tricky cases --------------------------------------------------------------------------------------


def test_nested_quotes_stay_in_the_outer_speakers_passage(registry):
    text = "“The minister told us: ‘This is not an alliance, it is a plan.’ I believe him”, the analyst said."
    frame = ingest(text, registry)
    assert len(frame) == 1 and frame["n_sentences"][0] == 2
    assert rows(frame) == [("analyst", "expert")]
    assert [text[q.start : q.end] for q in quote_spans(text)] == [text[: text.index("”") + 1]]


def test_a_quote_split_over_paragraphs_keeps_its_speaker(registry):
    text = (
        "Ana Kovač, a professor at the University of Novi Sad, read the plan twice.\n"
        "“It lists exercises and staff talks. Nothing in it binds either army.\n"
        "“It is a calendar, not a pact,” she said."
    )
    frame = ingest(text, registry)
    assert rows(frame) == [("N1", "media"), ("Ana Kovač", "expert"), ("Ana Kovač", "expert")]
    assert frame["n_sentences"].tolist() == [1, 2, 1]
    assert "same quotation as paragraph 3" in frame["cue"][1]


def test_a_quote_split_over_paragraphs_can_name_its_speaker_at_the_end(registry):
    text = (
        "“The drills are the same as last year. Only the place changes.\n"
        "“Nobody is building a bloc,” said Petar Ilić, a senior fellow at the Institute for Regional Studies."
    )
    assert rows(ingest(text, registry)) == [("Petar Ilić", "expert")] * 2


def test_a_speaker_named_after_the_quote(registry):
    frame = ingest(
        "“This changes the balance of power in the region,” said Gen. Milan Mojsilović.\n"
        "\"We will train together, nothing more,\" the spokesperson for the Ministry of Defence said.",
        registry,
    )
    assert rows(frame) == [("Milan Mojsilović", "official"), ("spokesperson for the Ministry of Defence", "official")]
    assert frame["speech"].tolist() == ["quote", "quote"]


def test_a_tabloid_headline_quoted_inside_expert_speech_is_the_experts(registry):
    frame = ingest(
        "“When Informer ran ‘Mighty alliance shakes the region!’, it sold a routine plan as a historic turn,” "
        "says Dr. Ana Kovač, a researcher at the Institute for European Studies.\n"
        "Petar Ilić, an analyst at the Centre for Foreign Policy, says the tabloid headline “Mighty alliance "
        "shakes the region” sold a calendar of drills as a new bloc.",
        registry,
    )
    assert rows(frame) == [("Ana Kovač", "expert"), ("Petar Ilić", "expert")]


def test_reported_speech_without_quotes(registry):
    frame = ingest(
        "Officials say the drills are annual. According to the Ministry of Defence, the plan has 79 activities. "
        "In Ilić’s view, nothing has changed. Ilić, a researcher at the Centre for Foreign Policy, agrees that "
        "it is routine. The report said that the drills were routine. It was said that the plan is modest.",
        registry,
    )
    assert rows(frame) == [
        ("Officials", "official"),
        ("Ministry of Defence", "official"),
        ("Ilić", "expert"),
        ("Ilić", "expert"),
        ("N1", "media"),
        ("N1", "media"),
    ]


def test_more_ways_of_naming_a_speaker(registry):
    frame = ingest(
        "'Read the contract: it is a purchase order,' said Tomasz Wrona of the Defence Industry Observatory.\n"
        "Wing Commander Aaron Pike said most of the work was logistics.\n"
        "A senior official at the foreign ministry, speaking on condition of anonymity, said the talks went well.\n"
        "Serbia and Hungary agreed on 79 activities, and France maintains two bases in the region.\n"
        "Whether or not either government admits it, the pact looks like a new bloc.\n"
        "For all the fanfare, this is not a new pact, the Harbour Courier conceded in Tuesday's edition.",
        registry,
        outlet="Harbour Courier",
        source_type="tabloid",
    )
    assert rows(frame) == [
        ("Tomasz Wrona", "expert"),
        ("Aaron Pike", "official"),
        ("senior official at the foreign ministry", "official"),
        ("Harbour Courier", "tabloid"),
        ("Harbour Courier", "tabloid"),
        ("Harbour Courier", "tabloid"),
    ]
    assert frame["speech"].tolist()[:3] == ["quote", "reported", "reported"]
    assert frame["speech"].tolist()[3:] == ["narration", "narration", "reported"]


def test_abbreviations_and_initials_do_not_end_sentences(registry):
    frame = ingest(
        "Dr. Ana Kovač met Gen. Mojsilović at No. 5 Main St. in Belgrade on Jan. 5, said Lt. Col. Marko Jović. "
        "J. R. Smith, a professor at the university, says that the meeting was routine. "
        "On Jan. 6 the ministry stated that it was a plan.",
        registry,
    )
    assert frame["n_sentences"].tolist() == [1, 1, 1]
    assert frame["text"][1].startswith("J. R. Smith")
    assert rows(frame) == [("Marko Jović", "official"), ("J. R. Smith", "expert"), ("ministry", "official")]


def test_pronouns_continue_the_last_named_speaker(registry):
    frame = ingest(
        "Marija Petrović, a senior fellow at the Balkan Security Institute, says the drills are annual. "
        "“They happen every spring,” she states.\n"
        "The ministry said the plan has 79 activities.\n"
        "She concludes that nothing has changed.\n"
        "Minister Jovan Marić opened the exercise.\n"
        "“It is a plan, not a pact,” he said.",
        registry,
    )
    assert rows(frame) == [
        ("Marija Petrović", "expert"),
        ("Marija Petrović", "expert"),
        ("ministry", "official"),
        ("Marija Petrović", "expert"),
        ("N1", "media"),
        ("Jovan Marić", "official"),
    ]
    assert "she states → Marija Petrović" in frame["cue"][1]


def test_unknown_speakers_are_marked_unknown(registry):
    frame = ingest(
        "“It is a historic day,” he said.\n"
        "“We are ready for anything,” said Petar Jovanović.\n"
        "“Nothing will stop us,” he added.\n"
        "The talks ended late.\n"
        "“Nobody asked us.”",
        registry,
    )
    assert rows(frame) == [
        (UNKNOWN, UNKNOWN),
        ("Petar Jovanović", UNKNOWN),
        ("Petar Jovanović", UNKNOWN),
        ("N1", "media"),
        (UNKNOWN, UNKNOWN),
    ]
    assert "no one named before" in frame["cue"][0]


def test_narration_takes_the_outlets_source_type(registry):
    text = "Serbia and Hungary forge a mighty alliance that will shake up the region!"
    assert rows(ingest(text, registry, outlet="Informer")) == [("Informer", "tabloid")]
    assert rows(ingest(text, registry, outlet="Informer", source_type="media")) == [("Informer", "media")]
    assert rows(ingest(text, registry, outlet="")) == [("narration", UNKNOWN)]
    assert rows(ingest(text, registry, outlet="Unknown Gazette")) == [("Unknown Gazette", UNKNOWN)]


def test_headings_are_narration_unless_they_quote_a_speaker(registry):
    text = (
        "Analysis: why the plan matters\n"
        "Vučić: “A historic day for the region”\n"
        "Kovač: The plan is a calendar\n"
        "Ana Kovač, a professor at the University of Novi Sad, says that the plan is a calendar."
    )
    frame = ingest(text, registry)
    assert rows(frame) == [("N1", "media"), ("Vučić", "official"), ("Ana Kovač", "expert"), ("Ana Kovač", "expert")]  # Vučić: from [people]


# -- Serbian --------------------------------------------------------------------------------------------

CYRILLIC = (
    "„Ово је стандардан план сарадње, а не војни савез“, рекао је министар одбране Братислав Гашић.\n"
    "Додао је да ће вежбе бити одржане у мају.\n"
    "Информер пише да ће Србија и Мађарска створити моћан војни савез који ће уздрмати регион.\n"
    "Према речима истраживачице Јелене Ђорђевић, реч је о уобичајеном годишњем плану."
)
LATIN = (
    "„Ovo je standardan plan saradnje, a ne vojni savez“, rekao je ministar odbrane Bratislav Gašić.\n"
    "Dodao je da će vežbe biti održane u maju.\n"
    "Informer piše da će Srbija i Mađarska stvoriti moćan vojni savez koji će uzdrmati region.\n"
    "Prema rečima istraživačice Jelene Đorđević, reč je o uobičajenom godišnjem planu."
)


def test_transliterate_covers_the_serbian_alphabet():
    assert transliterate("абвгдђежзијклљмнњопрстћуфхцчџш") == "abvgdđežzijklljmnnjoprstćufhcčdžš"
    assert transliterate("АБВГДЂЕЖЗИЈКЛМНОПРСТЋУФХЦЧШ") == "ABVGDĐEŽZIJKLMNOPRSTĆUFHCČŠ"
    assert transliterate("Љубица, Његош, Џакула") == "Ljubica, Njegoš, Džakula"
    assert transliterate("ЉУБИЦА ЊЕГОШ ЏАКУЛА") == "LJUBICA NJEGOŠ DŽAKULA"
    assert transliterate("Mixed: NATO и ЕУ, 2025.") == "Mixed: NATO i EU, 2025."


def test_cyrillic_articles_are_ingested_as_their_latin_twins(registry):
    cyrillic, latin = ingest(CYRILLIC, registry), ingest(LATIN, registry)
    assert cyrillic["text"].tolist() == latin["text"].tolist()
    assert rows(cyrillic) == rows(latin) == [
        ("Bratislav Gašić", "official"),
        ("Bratislav Gašić", "official"),
        ("Informer", "tabloid"),
        ("Jelene Đorđević", "expert"),  # the genitive, as written after "prema rečima"
    ]
    assert cyrillic["original_text"].tolist() == CYRILLIC.split("\n")
    assert latin["original_text"].tolist() == latin["text"].tolist()


def test_serbian_reporting_verbs_are_recognised(registry):
    frame = ingest(
        "Danas je izjavio predsednik Aleksandar Vučić da je sporazum istorijski.\n"
        "Kako navodi istraživač Marko Savić, reč je o standardnom planu.\n"
        "Ministarstvo odbrane je saopštilo da je plan usvojen.\n"
        "Savić ističe da plan nije savez.\n"
        "„To je samo kalendar vežbi“, kaže on.",
        registry,
    )
    assert rows(frame) == [
        ("Aleksandar Vučić", "official"),
        ("Marko Savić", "expert"),
        ("Ministarstvo odbrane", "official"),
        ("Marko Savić", "expert"),
        ("Marko Savić", "expert"),
    ]


def test_both_scripts_score_alike_with_the_bundled_model(registry):
    model = service.load_model(models=BUNDLED_MODELS)
    cyrillic, latin = ingest(CYRILLIC, registry), ingest(LATIN, registry)
    assert service.predict(cyrillic["text"], model)["label"].tolist() == service.predict(latin["text"], model)["label"].tolist()


# -- the registry ---------------------------------------------------------------------------------------


def test_the_longest_registry_keyword_wins(registry):
    assert registry.classify("the pro-government tabloids in Serbia")[0] == "tabloid"
    assert registry.classify("a Senior Advisor at International and Security Affairs Centre (ISAC Fund)")[0] == "expert"
    assert registry.classify("Ministry of Defence of Serbia") == ("official", "ministry of defence")
    assert registry.classify("a passer-by") == (UNKNOWN, "")
    assert registry.outlet("Informer") == "tabloid" and registry.outlet("Nowhere Daily News") == "media"


def test_a_users_sources_file_extends_the_registry(tmp_path, registry):
    text = (
        "“It is a plan,” said Petar Jovanović.\n"
        "“It is a pact,” the Freedom Watch monitor said.\n"
        "Glas Naroda wrote that the region trembles.\n"
        "“It is a turn,” said Jelena Marić, a blogger."
    )
    before = rows(ingest(text, registry))
    assert [t for _, t in before] == [UNKNOWN] * 4
    mine = tmp_path / "mine.toml"
    mine.write_text(
        '[outlets]\n"Glas Naroda" = "tabloid"\n\n[people]\n"Petar Jovanović" = "official"\n\n'
        '[roles]\nexpert = ["monitor"]\nmedia = ["blog*"]\n',
        encoding="utf-8",
    )
    extended = service.source_registry([mine])
    assert [t for _, t in rows(ingest(text, extended))] == ["official", "expert", "tabloid", "media"]
    assert extended.classify("the Ministry")[0] == "official"


@pytest.mark.parametrize(
    "content, key",
    [
        ('[roles]\nexpert = "analyst"\n', "roles.expert"),
        ('[roles]\nexpert = ["analyst", 3]\n', "roles.expert[1]"),
        ('[roles]\npundit = ["columnist"]\n', "roles.pundit"),
        ('[outlets]\n"Glas" = "rumour"\n', "outlets.Glas"),
        ('[people]\n"Ana Kovač" = ""\n', "people.Ana Kovač"),
        ('[speakers]\n"Ana" = "expert"\n', "speakers"),
        ("outlets = 3\n", "outlets"),
    ],
)
def test_malformed_sources_name_the_file_and_key(tmp_path, content, key):
    path = tmp_path / "bad.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as info:
        service.source_registry([path])
    assert str(path) in str(info.value) and f"{key}:" in str(info.value)


def test_sources_that_are_not_toml_or_missing_are_input_errors(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[roles\n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid TOML"):
        load_sources(path)
    with pytest.raises(InputError, match="not found"):
        load_sources(tmp_path / "missing.toml")


# -- reading articles ------------------------------------------------------------------------------------


def test_a_folder_of_text_and_markdown_articles_with_front_matter(tmp_path, registry):
    folder = tmp_path / "articles"
    (folder / "april").mkdir(parents=True)
    (folder / "one.txt").write_text("The ministry said that the plan is modest.\n", encoding="utf-8")
    (folder / "april" / "two.md").write_text(
        "---\noutlet: Informer\ndate: 2025-04-02\nstory: plan\n---\n# A *mighty* alliance\n\n"
        "The region will [tremble](https://example.org)\nbefore the **new** bloc.\n\n- It is historic.\n",
        encoding="utf-8",
    )
    (folder / "notes.json").write_text("{}", encoding="utf-8")
    articles = read_articles(folder, outlet="N1")
    assert [(a.id, a.outlet, a.story, a.markdown) for a in articles] == [
        ("april/two", "Informer", "plan", True),
        ("one", "N1", "one", False),
    ]
    frame = ingest_articles(articles, registry)
    two = frame[frame["article_id"] == "april/two"]
    assert two["text"].tolist() == ["A mighty alliance", "The region will tremble before the new bloc.", "It is historic."]
    assert set(two["source_type"]) == {"tabloid"} and set(two["date"]) == {"2025-04-02"}


def test_tables_of_articles_carry_their_metadata(tmp_path, registry):
    csv = tmp_path / "articles.csv"
    pd.DataFrame(
        {
            "body": ["“It is a plan,” said the analyst.", "The region trembles before the new bloc!"],
            "outlet": ["N1", "Informer"],
            "url": ["https://n1.example/1", "https://informer.example/2"],
            "section": ["world", "politics"],
        }
    ).to_csv(csv, index=False)
    jsonl = tmp_path / "more.jsonl"
    jsonl.write_text(json.dumps({"id": "x7", "body": "Analysts say it is routine.", "source_type": "media"}) + "\n", encoding="utf-8")
    frame = ingest_articles(read_articles([csv, jsonl], text_column="body", date="2025-04-01"), registry)
    assert frame["article_id"].tolist() == ["articles-1", "articles-2", "x7"]
    assert frame["source_type"].tolist() == ["expert", "tabloid", "expert"]
    assert frame["url"].tolist()[:2] == ["https://n1.example/1", "https://informer.example/2"]
    assert frame["section"].tolist() == ["world", "politics", ""]
    assert set(frame["date"]) == {"2025-04-01"}


def test_bad_input_names_the_file_and_row(tmp_path):
    csv = tmp_path / "articles.csv"
    csv.write_text('text,outlet\n"A plan.",N1\n"",N1\n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_articles(csv)
    assert info.value.path == str(csv) and info.value.row == 2
    with pytest.raises(InputError, match="no column 'body'"):
        read_articles(csv, text_column="body")
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"text": "A plan."}\n{"text": \n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_articles(broken)
    assert info.value.path == str(broken) and info.value.line == 2
    front = tmp_path / "front.md"
    front.write_text("---\noutlet: N1\nauthor: Ana\n---\nText.\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_articles(front)
    assert info.value.path == str(front) and info.value.line == 3
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    with pytest.raises(InputError, match="empty"):
        read_articles(empty)
    windows = tmp_path / "cp1250.txt"
    windows.write_bytes("Beograd\nDražen".encode("cp1250"))
    with pytest.raises(InputError) as info:
        read_articles(windows)
    assert info.value.line == 2
    with pytest.raises(InputError, match="not found"):
        read_articles(tmp_path / "missing.txt")
    (tmp_path / "notes.json").write_text("{}", encoding="utf-8")
    with pytest.raises(InputError, match="cannot tell"):
        read_articles(tmp_path / "notes.json")
    twice = tmp_path / "twice.jsonl"
    twice.write_text('{"id": "a", "text": "One."}\n{"id": "a", "text": "Two."}\n', encoding="utf-8")
    with pytest.raises(InputError, match="used twice"):
        read_articles(twice)


def test_plain_text_joins_hard_wrapped_lines_and_markdown_follows_markdown():
    plain = split_paragraphs("The plan lists drills\nand staff talks.\nA heading\nNext paragraph.")
    assert [(p.text, p.heading) for p in plain] == [
        ("The plan lists drills and staff talks.", False),
        ("A heading", True),
        ("Next paragraph.", False),
    ]
    markdown = split_paragraphs("## Title ##\n\n> Quoted\n> text.\n\n1. First `item`.\n2. Second.\n\n---\n", markdown=True)
    assert [p.text for p in markdown] == ["Title", "Quoted text.", "First item.", "Second."]


# -- the sentence splitter ---------------------------------------------------------------------------------


def test_the_shipped_sentence_splitter_is_trained_on_the_bundled_corpus():
    shipped = json.loads(SPLITTER_PATH.read_text(encoding="utf-8"))
    assert shipped == train_splitter(BUNDLED_CORPUS / "passages.jsonl"), "retrain: framing ingest --train-splitter"


# -- shells ----------------------------------------------------------------------------------------------


def test_ingest_text_for_a_pasted_article():
    frame = service.ingest_text("“It is only a plan,” the analyst said. The talks ended.", outlet="N1")
    assert frame["speaker"].tolist() == ["analyst", "N1"]
    assert frame["story"].tolist() == ["pasted", "pasted"]
    empty = service.ingest_text("   ")
    assert empty.empty and tuple(empty.columns) == COLUMNS
    with pytest.raises(InputError, match="not one of"):
        service.ingest_text("Text.", source_type="blog")


def test_cli_ingest_writes_a_table_and_reports_errors(tmp_path, capsys):
    from framing.cli import main

    out = tmp_path / "passages.csv"
    assert main(["ingest", str(SEED), "-o", str(out), "--outlet", OUTLET, "--story", "serbia-hungary-2025"]) == 0
    frame = pd.read_csv(out, keep_default_na=False)
    assert len(frame) == 33 and set(frame["story"]) == {"serbia-hungary-2025"}
    assert "1 article(s), 33 passages" in capsys.readouterr().err
    assert main(["ingest", str(tmp_path / "missing.txt")]) == 2
    assert "missing.txt: file not found" in capsys.readouterr().err
    assert main(["ingest"]) == 2


def test_cli_retrains_the_splitter_into_a_corpus_folder(tmp_path, small_corpus):
    import shutil

    from framing.cli import main

    corpus = tmp_path / "corpus"
    shutil.copytree(small_corpus, corpus)
    assert main(["ingest", "--train-splitter", "--corpus", str(corpus)]) == 0
    saved = json.loads((corpus / "punkt.json").read_text(encoding="utf-8"))
    assert saved["trained_on"]["file"] == "passages.jsonl" and saved["ortho_context"]


def test_ingest_pipes_into_score_and_compare(tmp_path):
    scored = tmp_path / "scored.jsonl"
    run = [sys.executable, "-m", "framing"]
    ingest_cmd = subprocess.Popen(run + ["ingest", str(SEED), "--outlet", OUTLET, "-q"], stdout=subprocess.PIPE)
    score = subprocess.run(run + ["score", "-", "-o", str(scored), "-q", "--jobs", "1"], stdin=ingest_cmd.stdout,
                           capture_output=True, text=True, check=False)
    ingest_cmd.stdout.close()
    assert ingest_cmd.wait() == 0 and score.returncode == 0, score.stderr
    frame = pd.read_json(scored, lines=True, dtype=False)
    assert len(frame) == 33 and (frame["status"] == "ok").all()
    assert set(frame["label"]) <= {"hype", "routine", "neutral"}
    assert frame.loc[frame["source_type"] == "tabloid", "label"].tolist() == ["hype"]
    report = tmp_path / "report.json"
    compare = subprocess.run(run + ["compare", str(scored), "-o", str(report), "--min-n", "2", "--permutations", "19"],
                             capture_output=True, text=True, check=False)
    assert compare.returncode == 0, compare.stderr
    assert re.search(r"expert", report.read_text(encoding="utf-8"))


def test_importing_ingest_leaves_nltk_and_streamlit_unloaded():
    code = "import sys, framing.ingest, framing.cli; print('nltk' in sys.modules, 'streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]
