import re

import pytest

from framing.codebook import load_codebook, parse_codebook
from framing.errors import CodebookError

from .conftest import BUNDLED_CORPUS

MINIMAL = """
[index]
positive = "{pos}"
negative = "{neg}"

[[labels]]
name = "clickbait"
definition = "Baits a click."
cues = ["you won't believe"]

[[labels]]
name = "news"
definition = "Reports news."

[[source_types]]
name = "site"
definition = "A web site."
typical_label = "news"
"""


def test_bundled_codebook_defines_the_founding_labels_and_sources():
    codebook = load_codebook(BUNDLED_CORPUS)
    assert set(codebook.label_names) == {"hype", "routine", "neutral"}
    assert set(codebook.source_type_names) == {"tabloid", "official", "expert", "media"}
    assert (codebook.index_positive, codebook.index_negative) == ("hype", "routine")
    for label in codebook.labels:
        assert label.definition and label.cues and label.examples
    assert len(codebook.rules) >= 4


def test_human_codebook_covers_every_label_source_type_and_hard_case():
    codebook = load_codebook(BUNDLED_CORPUS)
    text = (BUNDLED_CORPUS / "CODEBOOK.md").read_text(encoding="utf-8")
    for name in codebook.label_names + codebook.source_type_names:
        assert re.search(rf"`{name}`", text), name
    for phrase in ("official who hypes", "tabloid quoting an expert", "reports and denies"):
        assert phrase in text.lower()


def test_a_different_label_set_is_read_from_the_file(tmp_path):
    path = tmp_path / "codebook.toml"
    path.write_text(MINIMAL.format(pos="clickbait", neg="news"), encoding="utf-8")
    codebook = load_codebook(path)
    assert codebook.label_names == ("clickbait", "news")
    assert codebook.fallback_label == "news"
    assert codebook.is_against_type("site", "clickbait")


@pytest.mark.parametrize(
    "text, message",
    [
        (MINIMAL.format(pos="hype", neg="news"), "is not a label"),
        (MINIMAL.format(pos="news", neg="news"), "must be different"),
        (MINIMAL.format(pos="clickbait", neg="news").replace('typical_label = "news"', 'typical_label = "x"'), "typical_label"),
        (MINIMAL.format(pos="clickbait", neg="news").replace('name = "news"', 'name = "clickbait"'), "defined twice"),
        ("labels = [", "not valid TOML"),
    ],
)
def test_broken_codebooks_are_refused_with_the_reason(tmp_path, text, message):
    path = tmp_path / "codebook.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CodebookError, match=message) as info:
        load_codebook(path)
    assert str(path) in str(info.value)


def test_missing_codebook_names_the_path(tmp_path):
    with pytest.raises(CodebookError, match="not found"):
        load_codebook(tmp_path)


def test_hash_changes_with_content(tmp_path):
    a = parse_codebook(MINIMAL.format(pos="clickbait", neg="news").encode(), tmp_path / "a.toml")
    b = parse_codebook(MINIMAL.format(pos="news", neg="clickbait").encode(), tmp_path / "b.toml")
    assert a.sha256 != b.sha256
