import json

import pytest

from framing.cli import main
from framing.errors import InputError
from framing.report import compare_scored, scored_labels

from .conftest import bundled_records, write_jsonl


@pytest.fixture(scope="module")
def seed_scored(tmp_path_factory, trained):
    models, _, _ = trained
    folder = tmp_path_factory.mktemp("seed")
    source = write_jsonl(folder / "seed.jsonl", [r for r in bundled_records() if r["id"].startswith("seed-")])
    target = folder / "scored.jsonl"
    assert main(["score", str(source), "-o", str(target), "--models", str(models), "-q"]) == 0
    return target


def test_the_seed_article_reproduces_its_story(seed_scored, tmp_path, capsys):
    report = tmp_path / "report.json"
    assert main(["compare", str(seed_scored), "-o", str(report), "--min-n", "1", "--permutations", "99"]) == 0
    result = json.loads(report.read_text())
    hype = {r["source_type"]: r for r in result["shares"] if r["label"] == "hype"}
    assert hype["tabloid"]["share"] > hype["official"]["share"] > hype["expert"]["share"]
    for row in hype.values():
        assert row["low"] <= row["share"] <= row["high"]
    # the "mighty alliance" and the ministry's "operationalising" share the event, not a claim: too far apart to pair
    assert ("seed-003", "seed-004") not in {(c["passage"], c["statement"]) for c in result["claims"]}
    assert all(c["similarity"] >= result["claim_threshold"] for c in result["claims"])
    assert result["summary"][0].startswith("Warning: no article column, so passages are treated as independent")
    assert any(s.startswith("Calibrated share of the hype frame") and "tabloid" in s for s in result["summary"])
    out = capsys.readouterr().out
    assert "Calibrated share of the hype frame" in out and "treated as independent" in out
    assert not any("hard" in s or "labelled" in s for s in result["summary"])  # one quantity throughout


def test_markdown_and_html_reports(seed_scored, tmp_path):
    assert main(["compare", str(seed_scored), "-o", str(tmp_path / "r.md"), "--permutations", "19", "--min-n", "3"]) == 0
    markdown = (tmp_path / "r.md").read_text()
    assert "| tabloid (too few) |" in markdown and "Too few to report on (each group needs 3 passages): tabloid." in markdown
    assert "## Distinctive terms" in markdown and "## Tests" in markdown
    assert main(["compare", str(seed_scored), "-o", str(tmp_path / "r.html"), "--permutations", "19", "--min-n", "1"]) == 0
    page = (tmp_path / "r.html").read_text()
    tabloid_hype = page[page.index("<h3 id='p-"):].split("'")[1]
    assert f"<a href='#{tabloid_hype}'" in page
    assert page.count("<svg") == 2 and "<script" not in page and "http" not in page.replace("http-equiv", "").replace(
        "http://www.w3.org", "")  # charts drawn in the page; nothing to fetch
    assert "mighty military alliance" in page and "<h2>Distinctive terms</h2>" in page


def test_shares_corrected_for_the_scoring_models_errors(seed_scored, trained, tmp_path, capsys):
    models = str(trained[0])
    report = tmp_path / "r.md"
    assert main(["compare", str(seed_scored), "-o", str(report), "--min-n", "1", "--permutations", "9", "--corrected",
                 "--models", models]) == 0
    markdown = report.read_text()
    assert "## Optional: label shares corrected for the model's errors" in markdown and "labelled → corrected" in markdown
    import pandas as pd

    scored = pd.read_json(seed_scored, lines=True, dtype=False).assign(model_id="../elsewhere")
    scored.to_json(tmp_path / "other.jsonl", orient="records", lines=True)
    assert main(["compare", str(tmp_path / "other.jsonl"), "-o", str(tmp_path / "o.md"), "--corrected", "--models", models]) == 2
    assert "scored by model '../elsewhere', which is not in the models folder" in capsys.readouterr().err


def test_a_table_that_was_not_scored_is_refused(tmp_path):
    write_jsonl(tmp_path / "raw.jsonl", [{"text": "x", "source_type": "media"}])
    assert main(["compare", str(tmp_path / "raw.jsonl"), "-o", str(tmp_path / "r.md")]) == 2
    import pandas as pd

    with pytest.raises(InputError, match="not a scored table"):
        scored_labels(pd.DataFrame({"text": ["x"]}))


def test_cluster_column_must_exist(seed_scored):
    import pandas as pd

    scored = pd.read_json(seed_scored, lines=True)
    with pytest.raises(InputError, match="no column 'article'"):
        compare_scored(scored, cluster="article", permutations=9)
    result = compare_scored(scored, cluster="speaker", permutations=9, min_n=1, min_clusters=1)
    assert {r["clusters"] for r in result["shares"] if r["source_type"] == "expert"} == {3}
    assert result["summary"][0].startswith("Unit of analysis: passages within speaker values")


def test_time_bins_and_the_default_article_cluster(seed_scored):
    import pandas as pd

    scored = pd.read_json(seed_scored, lines=True, dtype=False)
    scored["date"] = ["2025-03-28"] * 10 + ["2025-04-02"] * (len(scored) - 10)
    scored["article"] = [f"a{i // 5}" for i in range(len(scored))]
    result = compare_scored(scored, group="month", permutations=9, min_n=1, min_clusters=1)
    assert {r["month"] for r in result["shares"]} == {"2025-03", "2025-04"}
    assert result["cluster"] == "article"
    assert {r["clusters"] for r in result["shares"] if r["month"] == "2025-03"} == {2}
    with pytest.raises(InputError, match="needs a date column"):
        compare_scored(scored.drop(columns="date"), group="week", permutations=9)


def test_a_scored_csv_compares_like_scored_jsonl(seed_scored, tmp_path):
    import pandas as pd

    frame = pd.read_json(seed_scored, lines=True, dtype=False)
    frame.loc[0, "text"] = "   "  # one unscored row: empty label and probabilities in the CSV
    frame.to_json(tmp_path / "s.jsonl", orient="records", lines=True, force_ascii=False)
    assert main(["compare", str(tmp_path / "s.jsonl"), "-o", str(tmp_path / "r0.json"), "--min-n", "1", "--permutations", "9"]) == 0
    assert main(["score", str(tmp_path / "s.jsonl"), "-o", str(tmp_path / "s.csv"), "--text-column", "text",
                 "--drop", "label,p_hype,p_routine,p_neutral,hype_index,model_id,status,error", "-q"]) == 0
    assert main(["compare", str(tmp_path / "s.csv"), "-o", str(tmp_path / "r.json"), "--min-n", "1", "--permutations", "9"]) == 0
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["n_unscored"] == 1 and result["n_passages"] == len(frame) - 1
    assert result["claims"] == json.loads((tmp_path / "r0.json").read_text())["claims"]


PAYLOAD = "</script><script>document.title='x'</script><img src=x onerror=\"document.title='y'\"> **bold** [link](http://e.x)"


def hostile_table(seed_scored):
    """The seed article scored, with markup in every field a report shows: text, outlet, speaker, story and group names."""
    import pandas as pd

    scored = pd.read_json(seed_scored, lines=True, dtype=False)
    for column in ("text", "outlet", "speaker", "story"):
        scored[column] = scored[column].astype(str) + " " + PAYLOAD
    scored["source_type"] = scored["source_type"] + PAYLOAD
    return scored


def test_reports_escape_markup_from_the_data(seed_scored):
    from framing.report import markdown_text, render_html, render_markdown

    result = compare_scored(hostile_table(seed_scored), permutations=9, min_n=1)
    page = render_html(result)
    assert "<script" not in page and "<img" not in page and "<a href='http" not in page  # no tag from the data
    assert "&lt;/script&gt;&lt;script&gt;" in page
    markdown = render_markdown(result)
    import re

    assert not re.search(r"(?<!\\)<(script|img)", markdown)  # every < from the data escaped
    assert "**bold**" not in markdown and "[link](" not in markdown
    assert markdown_text("a|b *c* <d> [e](f) `g`") == r"a\|b \*c\* \<d\> \[e\](f) \`g\`"


def test_many_small_groups_are_summarised_not_listed(seed_scored, tmp_path, capsys):
    report = tmp_path / "r.json"
    assert main(["compare", str(seed_scored), "-o", str(report), "--group", "id", "--permutations", "9"]) == 0
    out = capsys.readouterr().out
    (line,) = [s for s in out.splitlines() if s.startswith("Too few to report on")]
    ids = {r["id"] for r in json.loads(report.read_text())["shares"]}
    assert f"{len(ids)} groups, the largest " in line and f"and {len(ids) - 5} more." in line
    assert len(line) < 200 and sum(i in line for i in ids) == 5
