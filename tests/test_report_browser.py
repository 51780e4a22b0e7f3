"""The HTML report in a real headless Chromium (Debian's chromium and chromium-driver, driven by Selenium):
it loads offline with no console error, every image renders, and plugin strings stay text."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from test_report import EVIL, TINY, sweeps  # noqa: F401 (sweeps: a fixture)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None or CHROMEDRIVER is None,
                                 reason="Debian's chromium and chromium-driver packages are not installed "
                                        "(apt-get install chromium chromium-driver)")]


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium (the [test] extra) is not installed")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="lossbench-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage",
                     f"--user-data-dir={profile}"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def inspect(driver, path: Path) -> tuple[list[str], list[tuple[str, int, bool]]]:
    """Open ``path``; (console errors, [(alt, natural width, complete)] for every image)."""
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get(path.resolve().as_uri())
    driver.execute_async_script(  # wait until every image has finished decoding, one way or the other
        "const done = arguments[arguments.length - 1];"
        "Promise.all(Array.from(document.images).map(i => i.decode().catch(() => null))).then(() => done(true));")
    images = driver.execute_script(
        "return Array.from(document.images).map(i => [i.alt, i.naturalWidth, i.complete]);")
    errors = [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    return errors, [tuple(i) for i in images]


def test_the_checks_catch_a_broken_page(browser, tmp_path):
    """The same checks on a page with a broken image and a console error: both are seen (the test can fail)."""
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><body><img alt="broken" src="data:image/png;base64,AAAA">'
                    "<script>console.error('deliberate')</script></body></html>")
    errors, images = inspect(browser, page)
    assert any("deliberate" in e for e in errors)
    assert images == [("broken", 0, True)]


def test_html_report_renders_offline_with_every_image(browser, sweeps):
    """The main sweep of test_report.py (a loss from a plugin whose summary is a script tag, 2 remedy sets), its
    page as ``lossbench run`` wrote it."""
    page = sweeps / "results" / "main" / "report.html"
    errors, images = inspect(browser, page)
    assert errors == []
    # every plot the report made is in the page (how many depends on the trials: importances need enough)
    assert len(images) == len(list((page.parent / "plots").glob("*.png"))) >= 6, images
    assert {"Test accuracy per arm", "Learning curves, rnn"} <= {alt for alt, _, _ in images}, images
    assert all(width > 0 and complete for _, width, complete in images), images
    text = browser.find_element("tag name", "body").text
    assert EVIL in text  # shown as text, never run: an alert would have stopped the commands above
    assert browser.execute_script("return document.scripts.length") == 0
    assert "Partial report" not in text and "Leaderboard" in text


WORDS_ON_ONE_LINE = """
const broken = [];
for (const cell of document.querySelectorAll("td")) {
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const re = /\\S+/g; let m;
    while ((m = re.exec(node.data)) !== null) {
      const range = document.createRange();
      range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
      const tops = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
      if (tops.size > 1 && m[0].length <= 40) broken.push(m[0]);  // a hash in the provenance is no name
    }
  }
}
return broken;
"""


def test_no_name_breaks_inside_a_word_at_1280_px(browser, tmp_path, cli):
    """Long arm names (a loss and remedy set with long names) in a page 1280 px wide: every word of every table
    cell on one line (up to 40 characters: a fingerprint in the provenance may wrap); names break only at ":"
    and "+" (<wbr>)."""
    cli("run", "--name", "wide", *TINY, "--loss", "ce", "--loss", "focal", "--cell", "gru",
        "--remedies", "none", "--remedies", "clip_norm+orthogonal_init", "--trials", "1", "--seeds", "2",
        cwd=tmp_path, timeout=600, check=True)
    page = tmp_path / "results" / "wide" / "report.html"
    browser.set_window_size(1280, 900)
    errors, _ = inspect(browser, page)
    assert errors == []
    assert browser.execute_script(WORDS_ON_ONE_LINE) == []
    assert "decisions" in page.read_text() and 'alt="Decisions: each comparison' in page.read_text()
