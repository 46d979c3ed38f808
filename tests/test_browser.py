"""The dashboard in a real browser: `streamlit run app.py` headless, opened in Debian's Chromium.

Skipped, with the reason, only where Chromium, its driver or Selenium is not installed.
Set ``FRAMING_SCREENSHOT_DIR`` to keep the screenshots.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from framing.config import PROJECT_ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER), reason="no Chromium and chromedriver here (Debian: apt-get install chromium chromium-driver)"
)
webdriver = pytest.importorskip("selenium.webdriver", reason="Selenium is not installed (pip install -e '.[test]')")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_healthy(url: str, tries: int = 120) -> bool:
    """Wait for a Streamlit server at ``url`` to answer its health check; False when it never does."""
    for _ in range(tries):
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                return True
        except OSError:
            time.sleep(0.5)
    return False


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    command = [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "app.py"), "--server.headless", "true",
               "--server.port", str(port), "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
               "--client.toolbarMode", "minimal"]
    with open(log, "w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path_factory.mktemp("cwd"))
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_until_healthy(url):
            pytest.fail("streamlit did not start:\n" + log.read_text())
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--window-size=1600,1500",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def wait_for(driver, condition, timeout: float = 120, what: str = "the page"):
    from selenium.common.exceptions import StaleElementReferenceException

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except StaleElementReferenceException:  # Streamlit redrew the element while it was read: look again
            pass
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def settled(driver, charts: int) -> bool:
    """The script has finished (no "Running" status) and the charts are drawn."""
    from selenium.webdriver.common.by import By

    running = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]')
    drawn = driver.find_elements(By.CSS_SELECTOR, ".vega-embed canvas, .vega-embed svg")
    return not running and len(drawn) >= charts


def shot(driver, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    driver.save_screenshot(str(path))
    keep = os.environ.get("FRAMING_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / name)
    return path


def test_compare_page_renders_in_chromium(server, browser, tmp_path):
    from PIL import Image
    from selenium.webdriver.common.by import By

    browser.get(server)
    wait_for(browser, lambda: "How each source type frames the story" in browser.find_element(By.TAG_NAME, "body").text,
             what="the Compare page's title")
    wait_for(browser, lambda: settled(browser, charts=4), what="the four share charts")
    body = browser.find_element(By.TAG_NAME, "body").text
    for source in ("tabloid", "official", "expert", "media"):
        assert source in body
    assert "In plain words" in body and "Calibrated share of the hype frame" in body and "treated as independent" in body
    assert not browser.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')
    path = shot(browser, tmp_path, "compare.png")
    image = Image.open(path).convert("RGB")
    assert image.size[0] >= 1200
    assert len(image.getcolors(maxcolors=1 << 20) or []) > 100  # a drawn page, not a blank one


def test_model_page_renders_in_chromium(server, browser, tmp_path):
    from selenium.webdriver.common.by import By

    browser.get(server + "/model")
    wait_for(browser, lambda: "The model" in browser.find_element(By.TAG_NAME, "body").text, what="the Model page")
    wait_for(browser, lambda: settled(browser, charts=2), what="the confusion matrix and reliability diagram")
    assert "macro-F1" in browser.find_element(By.TAG_NAME, "body").text
    assert not browser.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')
    shot(browser, tmp_path, "model.png")


def test_a_hostile_report_runs_nothing_and_draws_its_charts_offline(browser, tmp_path):
    """Markup in every field a report shows; the page opened from disk: no script runs, charts are there, no network."""
    import numpy as np

    from framing.report import compare_scored, render_html

    from .simulate import clustered_passages

    payload = "</script><script>document.title='x'</script><img src=x onerror=\"document.title='y'\">"
    table = clustered_passages(np.random.default_rng(0), {"tabloid": [0.6, 0.2, 0.2], "expert": [0.2, 0.6, 0.2]}, articles=8)
    for column in ("text", "story", "article"):
        table[column] = table[column] + payload
    table["outlet"] = table["speaker"] = payload
    table["source_type"] = table["source_type"] + payload
    page = tmp_path / "report.html"
    page.write_text(render_html(compare_scored(table, permutations=19)), encoding="utf-8")
    browser.get(page.as_uri())
    wait_for(browser, lambda: browser.execute_script("return document.readyState") == "complete", 30)
    assert browser.title.startswith("How each source_type frames the story")
    assert browser.execute_script("return document.scripts.length") == 0
    assert browser.execute_script("return document.images.length") == 0
    sizes = browser.execute_script("return [...document.querySelectorAll('svg')].map(s => s.getBoundingClientRect().width)")
    assert len(sizes) == 2 and min(sizes) > 100  # both charts drawn, with nothing fetched
    assert "document.title='x'" in browser.find_element("tag name", "body").text  # shown as text
