"""The dashboard against hostile input: small uploads that unpack to millions of rows, and text written as Markdown.

An upload is bounded by bytes, rows and decompressed size before it is read into memory;
user text (passages, outlets, speakers, stories, file and column names, groups, terms) is
shown as written on every page: no emphasis, link, image, math, colour, icon or HTML.
"""

import html
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from framing import service
from framing.config import PROJECT_ROOT
from framing.errors import InputError

from .conftest import bundled_records

AppTest = pytest.importorskip("streamlit.testing.v1").AppTest
common = pytest.importorskip("framing.ui.common")

PAGES = "src/framing/ui/"
SEED = "serbia-hungary-2025"
PAYLOAD = ("**bold** ![x](http://example.invalid/x.png) [link](http://example.invalid) <img src=x onerror=alert(1)> "
           "$x^2$ :red[red] :smile: :streamlit: www.example.invalid mail@example.invalid")
#: What would be Markdown syntax, HTML or a link in the payload, were it not escaped.
OPENERS = ("**bold**", "![", "](http", "<img", "$x^2$", ":red", ":smile", "[link]")
#: ASCII punctuation, which a backslash escapes in Markdown.
ESCAPED = r"\\([!-/:-@\[-`{-~])"


# -- upload bombs ----------------------------------------------------------------------------------


def repeated_parquet(path, rows: int, value: str) -> None:
    """A Parquet file of ``rows`` rows holding one value, dictionary-encoded and compressed: a few kilobytes.

    The Arrow schema is not stored, so a reader sees plain text columns, as in a file pandas writes.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    indices = pa.array(np.zeros(rows, dtype=np.int32))
    table = pa.table({"text": pa.DictionaryArray.from_arrays(indices, pa.array([value])),
                      "source_type": pa.DictionaryArray.from_arrays(indices, pa.array(["tabloid"]))})
    pq.write_table(table, path, compression="zstd", store_schema=False)


#: Run in a fresh interpreter: the dashboard on its Your data page, each file uploaded in turn, and the peak
#: growth of the resident memory while the page reads it (Linux resets the peak through clear_refs).
MEASURE = r'''
import json, os, re, sys, threading
from streamlit.testing.v1 import AppTest

def kilobytes(field):
    with open("/proc/self/status") as status:
        return int(re.search(rf"{field}:\s+(\d+) kB", status.read()).group(1))

app_file, pages, *uploads = sys.argv[1:]
app = AppTest.from_file(app_file, default_timeout=600)
app.run()
app.switch_page(pages + "data_page.py").run()
results = []
for path in uploads:
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # the peak resident size starts again from the current one
        sampler = None
    except OSError:  # no clear_refs here: sample the resident size instead
        import psutil
        peak, done = [0], threading.Event()
        def sample():
            while not done.wait(0.002):
                peak[0] = max(peak[0], psutil.Process().memory_info().rss // 1024)
        sampler = threading.Thread(target=sample)
        sampler.start()
    before = kilobytes("VmRSS")
    app.file_uploader(key="upload").upload(os.path.basename(path), data, "application/octet-stream").run()
    if sampler is None:
        peak = kilobytes("VmHWM")
    else:
        done.set(); sampler.join(); peak = peak[0]
    results.append({"file": os.path.basename(path), "growth_mb": (peak - before) / 1024,
                    "errors": [e.value for e in app.error], "exceptions": [str(e.value) for e in app.exception]})
print("RESULTS " + json.dumps(results))
'''


def test_an_upload_bomb_is_refused_on_the_page_before_it_fills_the_memory(tmp_path):
    """10M rows in a few kilobytes, and 1M rows of one 2 KB value (2 GB unpacked): refused, the memory barely moves."""
    bomb = tmp_path / "bomb.parquet"
    repeated_parquet(bomb, 10_000_000, "A mighty military alliance will shake up the region! " * 2)
    unpacked = tmp_path / "unpacked.parquet"
    repeated_parquet(unpacked, common.UPLOAD_LIMIT_ROWS, "The ministry lists routine exercises. " * 54)
    assert bomb.stat().st_size < 300_000 and unpacked.stat().st_size < 300_000
    run = subprocess.run([sys.executable, "-c", MEASURE, str(PROJECT_ROOT / "app.py"), PAGES, str(bomb), str(unpacked)],
                         check=False, capture_output=True, text=True, timeout=1200, cwd=tmp_path,
                         env={k: v for k, v in os.environ.items() if not k.startswith("FRAMING_DASHBOARD")})
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads(run.stdout.split("RESULTS ", 1)[1])
    print("peak memory growth (MB):", {r["file"]: round(r["growth_mb"], 1) for r in results})
    rows, size = results
    assert not rows["exceptions"] and not size["exceptions"]
    assert rows["errors"] and "bomb.parquet" in rows["errors"][0] and "10,000,000 rows" in rows["errors"][0]
    assert f"{common.UPLOAD_LIMIT_ROWS:,} rows" in rows["errors"][0]
    assert size["errors"] and "unpacked.parquet" in size["errors"][0] and "once decompressed" in size["errors"][0]
    assert rows["growth_mb"] < 500 and size["growth_mb"] < 500


def test_uploads_are_bounded_by_bytes_rows_and_unpacked_size_in_every_format(tmp_path, monkeypatch):
    bomb = tmp_path / "bomb.parquet"
    repeated_parquet(bomb, common.UPLOAD_LIMIT_ROWS + 1, "x")
    with pytest.raises(InputError, match=r"^bomb\.parquet: 1,000,001 rows; .*at most .*1,000,000 rows"):
        common.read_upload("bomb.parquet", bomb.read_bytes())

    monkeypatch.setattr(common, "UPLOAD_LIMIT_ROWS", 1000)
    monkeypatch.setattr(common, "UPLOAD_CHUNK_ROWS", 100)
    csv = ("text,source_type\n" + "a passage,tabloid\n" * 1001).encode()
    with pytest.raises(InputError, match=r"^many\.csv: more than 1,000 rows"):
        common.read_upload("many.csv", csv)
    jsonl = b'{"text": "a passage", "source_type": "tabloid"}\n' * 1001
    with pytest.raises(InputError, match=r"^many\.jsonl: more than 1,000 rows"):
        common.read_upload("many.jsonl", jsonl)
    assert len(common.read_upload("enough.jsonl", jsonl[: len(jsonl) // 1001 * 1000])) == 1000

    monkeypatch.setattr(common, "UPLOAD_LIMIT_DATA_MB", 1)
    unpacked = tmp_path / "unpacked.parquet"
    repeated_parquet(unpacked, 1000, "y" * 2000)  # 2 MB once decoded, a few kilobytes on disk
    assert unpacked.stat().st_size < 50_000
    with pytest.raises(InputError, match=r"^unpacked\.parquet: more than 1 MB of data once decompressed"):
        common.read_upload("unpacked.parquet", unpacked.read_bytes())
    wide = ("text," + ",".join(f"c{i}" for i in range(500)) + "\n" + ("z" * 100 + "," * 500 + "\n") * 900).encode()
    with pytest.raises(InputError, match=r"^wide\.csv: more than 1 MB of data"):
        common.read_upload("wide.csv", wide)

    monkeypatch.setattr(common, "UPLOAD_LIMIT_MB", 1)
    with pytest.raises(InputError, match=r"^big\.csv: 2\.0 MB; .*at most 1 MB"):
        common.read_upload("big.csv", b"text\n" + b"b" * (2 << 20) + b"\n")


def test_a_bounded_upload_reads_as_the_command_line_reads_it(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = pd.DataFrame({"text": ["One passage, “quoted”.", "Two\nlines", None, "Četiri"], "source_type": ["tabloid"] * 4,
                          "n": [1, 2, 3, 4], "p": [0.5, None, 0.25, 1.0]})
    for name, data in (("t.csv", frame.to_csv(index=False).encode()),
                       ("t.jsonl", frame.to_json(orient="records", lines=True, force_ascii=False).encode()),
                       ("t.parquet", frame.to_parquet(index=False))):
        pd.testing.assert_frame_equal(common.read_upload(name, data), service.read_upload(name, data))
    table = pa.table({"text": pa.array(["a", "b", "a"]).dictionary_encode(), "big": pa.array(["x", None, "z"], pa.large_string()),
                      "raw": pa.array([b"1", b"2", b"3"])})
    pq.write_table(table, tmp_path / "typed.parquet", row_group_size=2)
    data = (tmp_path / "typed.parquet").read_bytes()
    pd.testing.assert_frame_equal(common.read_upload("typed.parquet", data), service.read_upload("typed.parquet", data))
    with pytest.raises(InputError, match=r"^broken\.parquet: not a readable Parquet file"):
        common.read_upload("broken.parquet", b"PAR1 not really")


# -- Markdown in user text ---------------------------------------------------------------------------


def literal(value: str) -> str:
    """What a reader sees of a Markdown value: escapes and entities undone, tags and invisible marks dropped."""
    shown = re.sub(ESCAPED + r"|(&#?\w+;)|<[^>]*>",
                   lambda m: m.group(1) or (html.unescape(m.group(2)) if m.group(2) else ""), value.replace("<br>", " "))
    return " ".join(shown.replace(common.JOINER, "").split())


def rendered_strings(app: AppTest) -> list[str]:
    """Every string the page renders as Markdown: bodies of text elements, labels, help and options of widgets."""
    found = []
    for node in app:
        attrs = ["label", "help", "placeholder"]
        if node.type in ("markdown", "caption", "error", "warning", "info", "success", "title", "header", "subheader"):
            attrs.append("value")
        for attr in attrs:
            try:
                value = getattr(node, attr)
            except (AttributeError, ValueError, TypeError):
                continue
            if isinstance(value, str):
                found.append(value)
        if node.type == "button_group":
            found += list(node.options)
    return found


def assert_escaped(value: str, where: str) -> None:
    """Nothing of the payload left as Markdown syntax or HTML, and no bare address left whole (Streamlit links those)."""
    syntax = re.sub(ESCAPED, "", value)
    for opener in OPENERS:
        assert opener not in syntax, (where, opener, value)
    assert not re.search(r"https?://|www\.|\w@\w|:streamlit:", value.replace("\\", "")), (where, value)


def assert_shown_as_text(app: AppTest, page: str, whole: bool = True) -> None:
    """No exception, and every rendered string that holds the payload holds it escaped (the whole payload where ``whole``)."""
    assert not app.exception, (page, app.exception)
    hostile = [s for s in rendered_strings(app) if "onerror" in s]
    assert hostile, f"{page}: the payload is not shown"
    for value in hostile:
        assert_escaped(value, page)
    if whole:
        assert any(PAYLOAD in literal(s) for s in hostile), (page, hostile[:3])


def hostile_table() -> pd.DataFrame:
    """The seed story's passages with the payload in their text, outlet, speaker and story."""
    rows = [r for r in bundled_records() if r["story"] == SEED]
    table = pd.DataFrame([{k: r[k] for k in ("id", "text", "source_type", "date")} for r in rows])
    table["text"] = PAYLOAD + " " + table["text"]
    table["outlet"] = [PAYLOAD + (" A" if i % 2 else " B") for i in range(len(table))]  # two outlets: a group
    table["speaker"] = PAYLOAD
    table["story"] = PAYLOAD
    return table


def test_text_written_as_markdown_shows_as_text_on_every_page(tmp_path, monkeypatch):
    table = hostile_table()
    data = tmp_path / "hostile.csv"
    table.to_csv(data, index=False)
    monkeypatch.setenv("FRAMING_DASHBOARD_DATA", str(data))
    monkeypatch.setenv("FRAMING_LABEL_STORE", str(tmp_path / "labels.db"))
    app = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=300)
    app.run()
    assert app.selectbox(key="dataset").value == "hostile.csv"
    assert_shown_as_text(app, "compare")  # the typical passages

    app.selectbox(key="group").set_value("outlet").run()
    assert_shown_as_text(app, "compare by outlet")  # headings, captions, summary
    outlet = PAYLOAD + " A"
    assert common.text_md(outlet) in [s.value for s in app.subheader]
    app.button(key=f"share_{outlet}_hype").click().run()
    assert_shown_as_text(app, "passages behind a share")
    assert any(m.value.startswith("outlet **") and "onerror" in m.value for m in app.markdown)
    pills = app.pills(key=f"terms_{outlet}")
    pills.set_value(pills.options[0]).run()
    assert_shown_as_text(app, "passages behind a word", whole=False)
    context = next(c.value for c in app.caption if c.value.startswith("In context: "))
    assert "invalid" in context  # the payload ends the passages' first words
    assert_escaped(context, "keywords in context")

    app.switch_page(PAGES + "claims_page.py").run()
    assert_shown_as_text(app, "claims")
    app.switch_page(PAGES + "explore_page.py").run()
    assert_shown_as_text(app, "explore")
    app.switch_page(PAGES + "label_page.py").run()
    assert_shown_as_text(app, "label")

    app.switch_page(PAGES + "try_page.py").run()
    app.text_area(key="try_text").input(PAYLOAD + "\n\nTabloids hail a mighty military alliance!").run()
    app.text_input(key="try_outlet").input(PAYLOAD).run()
    assert_shown_as_text(app, "try it")

    app.switch_page(PAGES + "data_page.py").run()
    upload = table.rename(columns={"speaker": PAYLOAD})
    name = "**bold** ![x](x.png) <img src=x onerror=alert(1)> $x^2$ :red[red].csv"
    app.file_uploader(key="upload").upload(name, upload.to_csv(index=False).encode(), "text/csv").run()
    assert_shown_as_text(app, "your data: file and column names", whole=False)
    shown = next(m.value for m in app.markdown if "rows, columns" in m.value)
    assert literal(shown).startswith(f"**{name}**: ") and PAYLOAD in literal(shown)  # in bold: the page's own
    app.selectbox(key="column_outlet").set_value("outlet").run()
    app.button(key="score_upload").click().run()
    assert_shown_as_text(app, "your data: scored", whole=False)

    app.switch_page(PAGES + "model_page.py").run()
    assert not app.exception


def test_escaped_text_reads_back_as_written():
    for value in (PAYLOAD, "1. a list? # a heading - an item", "a\\*b \\ `c` |d| ~e~ &amp; &lt; 10:30 'q' \"dq\"",
                  "<script>alert('x')</script>"):
        assert literal(common.text_md(value)) == " ".join(value.split())
        assert literal(common.text_html(value)) == " ".join(value.split())
    assert common.text_md("tabloid") == common.text_html("tabloid") == "tabloid"
    assert common.text_html("one\n2. two") == "one<br>2. two" and common.text_html("2. two").startswith("2\\.")
    shaded = common.markup_html('# <span style="background: rgba(1, 2, 3, 0.50)" title="+0.100">**bold**</span> '
                                "&lt;img src=x&gt; http://x.org<br>:red[x]")
    assert shaded.startswith("\\# <span style=\"background: rgba(1, 2, 3, 0.50)\" title=\"+0.100\">\\*\\*bold\\*\\*</span>")
    assert literal(shaded) == "# **bold** <img src=x> http://x.org :red[x]"


# -- what Chromium draws -----------------------------------------------------------------------------


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


@pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="no Chromium and chromedriver here (Debian: apt-get install chromium chromium-driver)")
def test_hostile_text_is_drawn_as_text_in_chromium(tmp_path):
    """What Streamlit's front end makes of the escaped text: the payload's characters, and no image, link, math or colour."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="Selenium is not installed (pip install -e '.[test]')")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    data = tmp_path / "hostile.csv"
    hostile_table().to_csv(data, index=False)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, FRAMING_DASHBOARD_DATA=str(data), FRAMING_LABEL_STORE=str(tmp_path / "labels.db"))
    command = [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "app.py"), "--server.headless", "true",
               "--server.port", str(port), "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    with open(tmp_path / "server.log", "w") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path, env=env)
    options = Options()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1600,1500",
                 "--disable-background-networking", f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(flag)
    driver = None
    url = f"http://127.0.0.1:{port}"
    from .test_browser import wait_until_healthy

    try:
        wait_until_healthy(url)
        driver = webdriver.Chrome(service=Service(DRIVER), options=options)
        for page, wanted in (("/explore", 20), ("/claims", 2), ("/", 3)):
            driver.get(url + page)
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                running = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]')
                # One script reads every box at once: Streamlit may redraw between separate element reads.
                boxes = driver.execute_script(
                    "return [...document.querySelectorAll('[data-testid=\"stMarkdownContainer\"]')].map(e => e.innerText);")
                if not running and sum("onerror" in b for b in boxes) >= wanted:
                    break
                time.sleep(0.5)
            else:
                raise AssertionError(f"{page}: the passages did not show\n" + (tmp_path / "server.log").read_text()[-2000:])
            assert not driver.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]'), page
            drawn = driver.execute_script(
                "const inside = s => [...document.querySelectorAll('[data-testid=\"stMarkdownContainer\"] ' + s)];"
                "return {images: inside('img').map(e => e.src.slice(0, 60)),"
                "        links: inside('a[href*=\"example.invalid\"]').map(e => e.href),"
                "        emphasis: inside('strong, em').filter(e => e.textContent === 'bold').length,"
                "        drawn: inside('.katex, .stMarkdownColoredText, span[role=img]').map(e => e.outerHTML.slice(0, 80))};")
            assert drawn == {"images": [], "links": [], "emphasis": 0, "drawn": []}, (page, drawn)
            assert not driver.execute_script("return [...document.images].filter(i => i.src.includes('example.invalid')).length")
            assert any(PAYLOAD in " ".join(b.split()) for b in boxes), (page, boxes[:5])
    finally:
        if driver is not None:
            driver.quit()
        server.terminate()
        server.wait(timeout=30)
