"""Bad input, as a careless user or an attacker gives it.

Every row comes out, or the run stops with one line naming the file, the line and the cause.
"""

import csv
import io
import json
import math
import subprocess
import sys
import time

import pandas as pd
import pytest

from framing.cli import main
from framing.errors import InputError
from framing.scoring import read_chunks, score_file
from framing.tables import write_table

PASSAGES = [
    "Tabloids hail a mighty military alliance that will shake up the region!",
    "The ministry said the plan lists routine joint exercises and not an alliance.",
    "The agreement was signed in the capital on Tuesday.",
    "Analysts call it a standard annual programme of training.",
]


def csv_lines(n: int, start: int = 0) -> list[str]:
    """Data lines ``id,text`` of well-formed rows, ``start`` to ``start + n - 1``."""
    return [f"r{i},{PASSAGES[i % len(PASSAGES)]}\n" for i in range(start, start + n)]


def one_line_error(capsys) -> str:
    """The error the command line printed: exactly one line, no traceback."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def leftovers(folder) -> list:
    return sorted(p.name for p in folder.glob(".*"))


# -- 1. one strict reading rule for files and standard input ----------------------------------------


def test_an_unclosed_quote_in_a_file_stops_the_run_at_its_line_instead_of_joining_rows(trained, tmp_path, capsys):
    models, _, _ = trained
    lines = ["id,text\n", *csv_lines(1000)]
    lines[10] = 'r9,"Tabloids hail an alliance that will never close its quote\n'  # row 10, line 11
    source = tmp_path / "in.csv"
    source.write_text("".join(lines), encoding="utf-8")
    target = tmp_path / "out.jsonl"
    code = main(["score", str(source), "-o", str(target), "--models", str(models), "--jobs", "1", "-q"])
    assert code == 2
    error = one_line_error(capsys)
    assert f"{source}, line 11:" in error and "never closed" in error
    assert not target.exists() and leftovers(tmp_path) == []


def test_an_unclosed_quote_is_named_at_its_line_even_when_a_later_quote_ends_the_field(model, tmp_path):
    lines = ["id,text,outlet\n", *[f"r{i},{PASSAGES[i % 4]},A\n" for i in range(5000)]]
    lines[10] = 'r9,"An alliance that never closes its quote,A\n'
    lines[4000] = 'r3999,"A quoted, proper passage",B\n'  # the next quote in the file, far below
    (tmp_path / "in.csv").write_text("".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        score_file(str(tmp_path / "in.csv"), str(tmp_path / "out.csv"), model, jobs=1)
    assert caught.value.line == 11 and "quote" in caught.value.problem
    assert not (tmp_path / "out.csv").exists() and leftovers(tmp_path) == []


def test_a_quoted_field_with_bare_quotes_inside_is_refused_not_altered(model, tmp_path):
    lines = ["id,text\n", *csv_lines(20)]
    lines[6] = 'r5,"He said "hello" to me"\n'
    (tmp_path / "in.csv").write_text("".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        score_file(str(tmp_path / "in.csv"), str(tmp_path / "out.csv"), model, jobs=1)
    assert caught.value.path == str(tmp_path / "in.csv") and caught.value.line == 7


def test_a_quote_inside_an_unquoted_field_is_kept_exactly(model, tmp_path):
    lines = ["id,text\n", *csv_lines(20)]
    lines[6] = 'r5,He said "hello" to me and "goodbye\n'
    (tmp_path / "in.csv").write_text("".join(lines), encoding="utf-8")
    score_file(str(tmp_path / "in.csv"), str(tmp_path / "out.jsonl"), model, jobs=1, chunk_size=7)
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in out] == [f"r{i}" for i in range(20)]
    assert out[5]["text"] == 'He said "hello" to me and "goodbye'


WELL_FORMED = (
    '\ufeff"id",text\r\n'
    'a,"A passage, with a comma"\r\n'
    'b,"Two lines\r\nof text, and ""quotes"""\r\n'
    '\r\n'
    'c,""\r\n'
    'd,"x"\r\n'
)

HOSTILE = {
    "well-formed: BOM, CRLF, quoted header, multi-line field, doubled quotes, blank line": WELL_FORMED,
    "an unclosed quote joins the rest": "id,text\n" + "".join(csv_lines(9)) + 'r9,"open\n' + "".join(csv_lines(30, 10)),
    "an unclosed quote in the middle column": "id,text,o\n" + 'r0,"open,A\n' + "r1,b,B\nr2,c,C\n",
    "bare quotes inside a quoted field": 'id,text\nr0,"He said "hello" to me"\nr1,b\n',
    "a quote inside an unquoted field": 'id,text\nr0,He said "hello" to me\nr1,12" pipe\n',
    "text after a closing quote": 'id,text\nr0,"a"b\nr1,c\n',
    "a quote after a space": 'id,text\nr0, "a"\n',
    "carriage returns that end no line": "id,text\rr0,a\rr1,b\r",
    "a row with a field too many": "id,text\nr0,a\nr1,b,c\n",
    "the file ends in a quoted field": 'id,text\nr0,a\nr1,"b',
    "empty and doubled-quote fields": 'id,text\nr0,""""\nr1,""\n',
}


def read_rows(path: str) -> list[dict]:
    rows = []
    for chunk in read_chunks(path, "csv", 4):
        frame = chunk if isinstance(chunk, pd.DataFrame) else chunk.to_pandas()
        rows += frame.astype(object).to_dict("records")
    return rows


@pytest.mark.parametrize("data", HOSTILE.values(), ids=HOSTILE.keys())
def test_files_and_standard_input_are_read_by_one_rule(data, tmp_path, monkeypatch):
    path = tmp_path / "in.csv"
    path.write_bytes(data.encode("utf-8"))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data.encode("utf-8"))))
    outcomes = []
    for source in (str(path), "-"):
        try:
            outcomes.append(("rows", read_rows(source)))
        except InputError as exc:
            assert "\n" not in str(exc)
            outcomes.append(("error", exc.line, exc.problem))
    assert outcomes[0] == outcomes[1]


def test_well_formed_quoting_is_read_exactly(tmp_path):
    (tmp_path / "in.csv").write_bytes(WELL_FORMED.encode("utf-8"))
    assert read_rows(str(tmp_path / "in.csv")) == [
        {"id": "a", "text": "A passage, with a comma"},
        {"id": "b", "text": 'Two lines\r\nof text, and "quotes"'},
        {"id": "c", "text": ""},
        {"id": "d", "text": "x"},
    ]


# -- 2. two runs writing the same output -------------------------------------------------------------


def test_two_runs_writing_one_output_never_mix_their_rows(trained, tmp_path):
    models, _, _ = trained
    target = tmp_path / "out.jsonl"
    b_rows = [f"b{i},{PASSAGES[i % 4]}\n" for i in range(500)]
    (tmp_path / "b.csv").write_text("id,text\n" + "".join(b_rows), encoding="utf-8")
    command = [sys.executable, "-m", "framing", "score", "--models", str(models), "--jobs", "1", "--chunk-size", "100"]
    # run A reads standard input, so it stays in the middle of its run until the test gives it the rest
    first = subprocess.Popen([*command, "-", "-o", str(target), "--format", "csv"], cwd=tmp_path,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        first.stdin.write(("id,text\n" + "".join(f"a{i},{PASSAGES[i % 4]}\n" for i in range(300))).encode())
        first.stdin.flush()
        deadline = time.monotonic() + 120
        while not list(tmp_path.glob(f".{target.name}.parts*/part-*")):
            assert first.poll() is None, first.stderr.read().decode()
            assert time.monotonic() < deadline, "run A wrote no part"
            time.sleep(0.05)
        second = subprocess.run([*command, str(tmp_path / "b.csv"), "-o", str(target)], cwd=tmp_path, check=False,
                                capture_output=True, text=True, timeout=300)
        first.stdin.write("".join(f"a{i},{PASSAGES[i % 4]}\n" for i in range(300, 600)).encode())
        first.stdin.close()
        first_err = first.stderr.read().decode()
        assert first.wait(timeout=300) == 0, first_err
    finally:
        first.kill()
        first.wait()
    assert "Traceback" not in first_err + second.stderr and "rows in 600" in first_err
    ids = [json.loads(line)["id"] for line in target.read_text(encoding="utf-8").splitlines()]
    if second.returncode == 0:  # allowed, if the runs could not overlap: the output is then one run's whole output
        assert ids in ([f"a{i}" for i in range(600)], [f"b{i}" for i in range(500)])
    else:
        assert second.returncode == 2 and len(second.stderr.strip().splitlines()) == 1
        assert "another framing run is writing this output" in second.stderr and str(target) in second.stderr
        assert ids == [f"a{i}" for i in range(600)]
    assert leftovers(tmp_path) == []


def test_a_run_is_refused_while_the_same_process_writes_that_output(model, tmp_path):
    from framing.scoring import _OutputLock

    (tmp_path / "in.csv").write_text("id,text\n" + "".join(csv_lines(10)), encoding="utf-8")
    held = _OutputLock(tmp_path / "out.csv")
    if not held.acquire():
        pytest.skip("no file locks on this platform")
    try:
        with pytest.raises(InputError, match="another framing run is writing this output"):
            score_file(str(tmp_path / "in.csv"), str(tmp_path / "out.csv"), model, jobs=1)
    finally:
        held.release()
    score_file(str(tmp_path / "in.csv"), str(tmp_path / "out.csv"), model, jobs=1)
    assert len(pd.read_csv(tmp_path / "out.csv")) == 10 and leftovers(tmp_path) == []


def test_resume_finds_its_own_staging_among_stale_ones(model, tmp_path):
    lines = "id,text\n" + "".join(csv_lines(100))
    (tmp_path / "in.csv").write_text(lines, encoding="utf-8")
    source, target = str(tmp_path / "in.csv"), tmp_path / "out.jsonl"
    score_file(source, str(tmp_path / "whole.jsonl"), model, jobs=1, chunk_size=10)
    stale = tmp_path / f".{target.name}.parts-0123456789ab"
    stale.mkdir()
    (stale / "progress.json").write_text(json.dumps({"version": 1, "fingerprint": {"input": "elsewhere"}, "parts": []}))
    with pytest.raises(KeyboardInterrupt):
        score_file(source, str(target), model, jobs=1, chunk_size=10, stop_after_chunks=3)
    summary = score_file(source, str(target), model, jobs=1, chunk_size=10, resume=True)
    assert summary.resumed_rows == 30 and summary.rows == 100
    assert target.read_bytes() == (tmp_path / "whole.jsonl").read_bytes()
    assert leftovers(tmp_path) == []


# -- 7. very long passages are error rows, not the end of the run ----------------------------------------


@pytest.mark.parametrize("before", [0, 3000], ids=["first row", "after 3000 rows"])
def test_a_passage_of_megabytes_in_a_csv_file_is_an_error_row(model, tmp_path, before):
    huge = "An alliance, and more words " * (9_500_000 // 28)  # 9.5 MB, quoted (it has commas)
    lines = ["id,text\n", *csv_lines(before), f'big,"{huge}"\n', *csv_lines(3000, before)]
    (tmp_path / "in.csv").write_text("".join(lines), encoding="utf-8")
    summary = score_file(str(tmp_path / "in.csv"), str(tmp_path / "out.csv"), model, jobs=1, chunk_size=1000)
    assert (summary.rows, summary.errors) == (before + 3001, 1)
    out = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    ids = [f"r{i}" for i in range(before + 3000)]
    assert out["id"].tolist() == ids[:before] + ["big"] + ids[before:]
    big = out.iloc[before]
    assert big["status"] == "error" and big["error"] == f"text has {len(huge)} characters, over the limit of 100000"
    assert big["text"] == huge


def test_a_long_field_on_standard_input_is_an_error_row(trained, tmp_path, monkeypatch, capsys):
    models, _, _ = trained
    long = "word " * 40_000  # 200,000 characters, over csv's default limit of 131,072
    data = f"id,text\nr0,{PASSAGES[0]}\nr1,{long}\nr2,{PASSAGES[1]}\n".encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    target = tmp_path / "out.jsonl"
    assert main(["score", "-", "-o", str(target), "--format", "csv", "--models", str(models), "--jobs", "1", "-q"]) == 0
    out = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [r["status"] for r in out] == ["ok", "error", "ok"]
    assert out[1]["text"] == long and "over the limit" in out[1]["error"]


def test_a_field_past_the_reading_limit_is_refused_at_the_line_where_it_starts(tmp_path, monkeypatch):
    from framing.scoring import MAX_FIELD_CHARS

    monkeypatch.setattr("framing.scoring.MAX_FIELD_CHARS", 1000)
    limit = csv.field_size_limit(1000)
    try:
        data = "id,text\n" + "".join(csv_lines(5)) + 'r5,"open\n' + "".join(csv_lines(200, 6))
        (tmp_path / "in.csv").write_text(data, encoding="utf-8")
        with pytest.raises(InputError) as caught:
            read_rows(str(tmp_path / "in.csv"))
        assert caught.value.line == 7 and "1,000 characters" in caught.value.problem
    finally:
        csv.field_size_limit(limit)
    assert MAX_FIELD_CHARS >= 8 << 20


# -- 8. floats come out exactly ---------------------------------------------------------------------------


def test_jsonl_output_keeps_every_float_exactly(model, tmp_path):
    values = [math.pi, 0.1 + 0.2, 1e-300, 123456789.12345679, -2.5e17]
    records = [{"text": PASSAGES[i % 4], "x": v, "nested": {"v": [v]}} for i, v in enumerate(values)]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    score_file(str(tmp_path / "in.jsonl"), str(tmp_path / "out.jsonl"), model, jobs=1)
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["x"] for r in out] == values and [r["nested"]["v"][0] for r in out] == values
    # the scores too: the JSONL output holds the same doubles as the Parquet output
    pd.DataFrame(records).drop(columns="nested").to_parquet(tmp_path / "in.parquet", index=False)
    score_file(str(tmp_path / "in.parquet"), str(tmp_path / "out.parquet"), model, jobs=1)
    score_file(str(tmp_path / "in.parquet"), str(tmp_path / "out2.jsonl"), model, jobs=1)
    exact = pd.read_parquet(tmp_path / "out.parquet")
    out = [json.loads(line) for line in (tmp_path / "out2.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["x"] for r in out] == values
    for column in ("p_hype", "hype_index"):
        assert [r[column] for r in out] == exact[column].tolist()


def test_write_table_keeps_floats_exactly(tmp_path):
    frame = pd.DataFrame({"x": [math.pi, float("nan"), 1 / 3], "o": [{"v": math.e}, None, "t"]})
    write_table(frame, tmp_path / "t.jsonl")
    out = [json.loads(line) for line in (tmp_path / "t.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["x"] for r in out] == [math.pi, None, 1 / 3]
    assert [r["o"] for r in out] == [{"v": math.e}, None, "t"]


# -- 11. very wide headers -------------------------------------------------------------------------------


def wide_csv(path, names: list[str], row: list[str]) -> None:
    path.write_text(",".join(names) + "\n" + ",".join(row) + "\n", encoding="utf-8")


WIDE = 100_000


def test_a_header_of_100k_columns_is_scored(model, tmp_path):
    names = ["text", *(f"c{i}" for i in range(1, WIDE))]
    wide_csv(tmp_path / "in.csv", names, [PASSAGES[0], *(str(i) for i in range(1, WIDE))])
    summary = score_file(str(tmp_path / "in.csv"), str(tmp_path / "out.csv"), model, jobs=1)
    assert (summary.rows, summary.errors) == (1, 0)
    with open(tmp_path / "out.csv", encoding="utf-8", newline="") as handle:
        header, row = csv.reader(handle)
    assert header[:WIDE] == names and row[:WIDE] == [PASSAGES[0], *(str(i) for i in range(1, WIDE))]
    assert row[header.index("status")] == "ok"


def test_a_header_of_100k_columns_on_standard_input_is_scored(model, tmp_path, monkeypatch):
    names = ["text", *(f"c{i}" for i in range(1, WIDE))]
    data = ",".join(names) + "\n" + ",".join([PASSAGES[0], *(str(i) for i in range(1, WIDE))]) + "\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data.encode())))
    target = tmp_path / "out.jsonl"
    assert score_file("-", str(target), model, input_format="csv", jobs=1).rows == 1
    (record,) = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert record[f"c{WIDE - 1}"] == str(WIDE - 1) and record["status"] == "ok"


def test_a_wide_header_with_a_repeated_name_or_no_text_column_is_refused_in_one_short_line(model, tmp_path):
    names = ["text", *(f"c{i}" for i in range(1, WIDE))]
    names[WIDE // 2] = "c7"
    wide_csv(tmp_path / "twice.csv", names, ["x"] * WIDE)
    with pytest.raises(InputError) as caught:
        score_file(str(tmp_path / "twice.csv"), str(tmp_path / "o.csv"), model, jobs=1)
    expected = f"{tmp_path / 'twice.csv'}, line 1: the header names these columns more than once: ['c7']"
    assert str(caught.value) == expected
    wide_csv(tmp_path / "none.csv", [f"c{i}" for i in range(WIDE)], ["x"] * WIDE)
    with pytest.raises(InputError) as caught:
        score_file(str(tmp_path / "none.csv"), str(tmp_path / "o.csv"), model, jobs=1)
    error = str(caught.value)
    assert error.startswith(f"{tmp_path / 'none.csv'}: no column 'text'") and f"and {WIDE - 20:,} more" in error
    assert "\n" not in error and len(error) < 2000
    assert not (tmp_path / "o.csv").exists() and leftovers(tmp_path) == []
