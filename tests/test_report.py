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
    assert main(["compare", str(seed_scored), "-o", str(report), "--min-n", "1", "--boot", "300"]) == 0
    result = json.loads(report.read_text())
    hype = {r["source_type"]: r for r in result["shares"] if r["label"] == "hype"}
    assert hype["tabloid"]["share"] > hype["official"]["share"] > hype["expert"]["share"]
    for row in hype.values():
        assert row["low"] <= row["share"] <= row["high"]
    claims = {(c["passage"], c["statement"]): c["verdict"] for c in result["claims"]}
    assert claims[("seed-003", "seed-004")] == "exaggerates"  # the "mighty alliance" retells the ministry
    assert any(s.startswith("Framed as hype: tabloid in") for s in result["summary"])
    assert "Framed as hype" in capsys.readouterr().out


def test_markdown_and_html_reports(seed_scored, tmp_path):
    assert main(["compare", str(seed_scored), "-o", str(tmp_path / "r.md"), "--boot", "100", "--min-n", "3"]) == 0
    markdown = (tmp_path / "r.md").read_text()
    assert "| tabloid (too few) |" in markdown and "Too few passages to report on: tabloid." in markdown
    assert main(["compare", str(seed_scored), "-o", str(tmp_path / "r.html"), "--boot", "100", "--min-n", "1"]) == 0
    page = (tmp_path / "r.html").read_text()
    assert "<a href='#p-tabloid-hype'>" in page and "id='p-tabloid-hype'" in page
    assert page.count("vegaEmbed(") == 3
    assert "mighty military alliance" in page


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
        compare_scored(scored, cluster="article", n_boot=10)
    result = compare_scored(scored, cluster="speaker", n_boot=50, min_n=1)
    assert {r["clusters"] for r in result["shares"] if r["source_type"] == "expert"} == {3}


def test_time_bins_and_the_default_article_cluster(seed_scored):
    import pandas as pd

    scored = pd.read_json(seed_scored, lines=True, dtype=False)
    scored["date"] = ["2025-03-28"] * 10 + ["2025-04-02"] * (len(scored) - 10)
    scored["article"] = [f"a{i // 5}" for i in range(len(scored))]
    result = compare_scored(scored, group="month", n_boot=50, min_n=1)
    assert {r["month"] for r in result["shares"]} == {"2025-03", "2025-04"}
    assert result["cluster"] == "article"
    assert {r["clusters"] for r in result["shares"] if r["month"] == "2025-03"} == {2}
    with pytest.raises(InputError, match="needs a date column"):
        compare_scored(scored.drop(columns="date"), group="week", n_boot=10)


def test_a_scored_csv_compares_like_scored_jsonl(seed_scored, tmp_path):
    import pandas as pd

    frame = pd.read_json(seed_scored, lines=True, dtype=False)
    frame.loc[0, "text"] = "   "  # one unscored row: empty label and probabilities in the CSV
    frame.to_json(tmp_path / "s.jsonl", orient="records", lines=True, force_ascii=False)
    assert main(["score", str(tmp_path / "s.jsonl"), "-o", str(tmp_path / "s.csv"), "--text-column", "text",
                 "--drop", "label,p_hype,p_routine,p_neutral,hype_index,model_id,status,error", "-q"]) == 0
    assert main(["compare", str(tmp_path / "s.csv"), "-o", str(tmp_path / "r.json"), "--min-n", "1", "--boot", "50"]) == 0
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["n_unscored"] == 1 and result["n_passages"] == len(frame) - 1
    assert any(c["verdict"] == "exaggerates" for c in result["claims"])
