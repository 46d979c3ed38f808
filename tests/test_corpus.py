import json
import re

import pytest

from framing import service
from framing.codebook import load_codebook
from framing.corpus import FIELDS, load_corpus, near_duplicates, validate_corpus
from framing.errors import CorpusError

from .conftest import BUNDLED_CORPUS, bundled_records, write_jsonl

SEED = BUNDLED_CORPUS.parent.parent / "shared" / "seed" / "ewb-serbia-hungary-defence-plan.txt"


@pytest.fixture(scope="module")
def codebook():
    return load_codebook(BUNDLED_CORPUS)


@pytest.fixture(scope="module")
def report():
    return service.validate(BUNDLED_CORPUS)


def record(**changes):
    base = {f: f"{f} value" for f in FIELDS}
    base.update(id="r1", text="The plan lists joint exercises.", label="routine", source_type="expert", date="2025-04-01")
    base.update(changes)
    return base


def test_bundled_corpus_passes_the_validator(report):
    assert report.ok, report.to_text()
    assert report.problems == [] and report.duplicates == []
    assert report.near_duplicates == [], report.near_duplicates[:5]


def test_bundled_corpus_size_spread_and_balance(report, codebook):
    team = [r for r in bundled_records() if not r["id"].startswith("seed-")]
    assert len(team) >= 800
    assert len({r["story"] for r in team}) >= 10
    total = report.n_passages
    for label, count in report.label_counts.items():
        assert 0.25 <= count / total <= 0.42, (label, count)
    for source, count in report.source_counts.items():
        assert 0.18 <= count / total <= 0.35, (source, count)
    against = sum(codebook.is_against_type(r["source_type"], r["label"]) for r in team)
    assert against / len(team) >= 0.25
    lengths = [len(r["text"].split()) for r in team]
    assert min(lengths) <= 15 and max(lengths) >= 70


def test_every_passage_of_the_seed_article_is_in_the_corpus():
    seed = [r for r in bundled_records() if r["id"].startswith("seed-")]
    corpus_text = " ".join(r["text"] for r in seed)
    if SEED.exists():
        article = SEED.read_text(encoding="utf-8")
        for paragraph in filter(None, (p.strip() for p in article.splitlines())):
            assert paragraph.replace(" In addition,", "") in corpus_text or all(
                part.strip() in corpus_text for part in re.split(r"(?<=[”.])\s+(?=In addition|However, he)", paragraph)
            ), paragraph[:60]
    speakers = {r["speaker"] for r in seed}
    assert any("tabloid" in s for s in speakers)
    assert any("Ministry of Defence" in s for s in speakers)
    assert any("President" in s for s in speakers)
    assert any("Szalay-Bobrovniczky" in s for s in speakers)
    assert any("Ranković" in s for s in speakers) and any("Savković" in s for s in speakers)
    assert any(r["source_type"] == "media" for r in seed)
    tabloid = next(r for r in seed if r["source_type"] == "tabloid")
    assert "mighty military alliance" in tabloid["text"] and tabloid["label"] == "hype"


@pytest.mark.parametrize(
    "bad, message",
    [
        (record(label="alarm"), "label 'alarm' is not in the codebook"),
        (record(source_type="blog"), "source_type 'blog' is not in the codebook"),
        (record(date="April 2025"), "not an ISO date"),
        (record(text="   "), "field 'text' must be a non-empty string"),
        ({k: v for k, v in record().items() if k != "speaker"}, "missing field"),
        (record(extra=1), "unknown field"),
    ],
)
def test_schema_problems_name_file_row_and_problem(tmp_path, codebook, bad, message):
    path = write_jsonl(tmp_path / "passages.jsonl", [record(id="ok"), bad])
    with pytest.raises(CorpusError) as info:
        load_corpus(path, codebook)
    assert message in str(info.value)
    assert f"{path}, row 2" in str(info.value)
    report = validate_corpus(path, codebook)
    assert not report.ok and report.problems[0].row == 2


def test_validator_reports_duplicate_ids_duplicates_and_near_duplicates(tmp_path, codebook):
    text = "The ministers signed a plan of forty joint activities for the coming year in the capital."
    rows = [
        record(id="a", text=text),
        record(id="a", text="Something else entirely about a port visit by two frigates."),
        record(id="c", text=text.upper()),
        record(id="d", text=text.replace("forty", "fifty")),
    ]
    report = validate_corpus(write_jsonl(tmp_path / "p.jsonl", rows), codebook)
    assert any("is used already at row 1" in p.message for p in report.problems)
    assert report.duplicates == [["a", "c"]]
    assert {(a, b) for a, b, _ in report.near_duplicates} >= {("a", "d")}
    assert "FAILED" in report.to_text()


def test_broken_json_and_non_utf8_name_the_line(tmp_path, codebook):
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps(record()) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"row 2.*not valid JSON"):
        load_corpus(path, codebook)
    path.write_bytes(json.dumps(record()).encode() + b"\n" + json.dumps(record(id="x")).encode()[:-2] + b"\xff\"}\n")
    with pytest.raises(CorpusError, match=r"row 2: not UTF-8"):
        load_corpus(path, codebook)


def test_near_duplicates_on_an_empty_or_tiny_list():
    assert near_duplicates([]) == []
    assert near_duplicates(["a", "b"]) == []


def test_validate_command_fails_on_a_bad_corpus(tmp_path, capsys):
    from framing.cli import main

    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "codebook.toml").write_bytes((BUNDLED_CORPUS / "codebook.toml").read_bytes())
    write_jsonl(folder / "passages.jsonl", [record(), record(id="r2", label="alarm")])
    assert main(["validate", "--corpus", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "row 2: label 'alarm' is not in the codebook" in out
    assert main(["validate"]) == 0
