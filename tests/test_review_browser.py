"""The review report in a real browser: headless Chromium driven by Playwright.

Needs Debian's chromium (``make test`` installs it when run as root, as in CI). Elsewhere
the test is skipped, except in CI, where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil

import pandas as pd
import pytest

import batchreader
from batchreader.schema import CORRECTION_COLUMNS
from batchreader.verify.report import build_review

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api") if not os.environ.get("CI") else None
    if playwright is None:
        import playwright.sync_api as playwright
    if not CHROMIUM:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: 'make test' installs it (apt-get install chromium)")
        pytest.skip("chromium is not installed")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def report(scans, tmp_path_factory):
    root = tmp_path_factory.mktemp("browser")
    results = root / "results.csv"
    batchreader.scan([scans / "fax.tif"], results, jobs=1)
    path = root / "review.html"
    summary = build_review(results, scans / "fax.tif", path, threshold=1.0)
    assert summary.flagged >= 3
    return path


def test_correct_with_the_keyboard_and_export(browser, report, tmp_path):
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "request",
        lambda r: problems.append(f"request {r.url}") if not r.url.startswith(("file:", "data:", "blob:")) else None,
    )
    page.goto(report.as_uri())
    page.wait_for_selector(".item")
    page.fill("#reviewer", "Ana Lima")  # asked once, kept for every report
    page.keyboard.press("Escape")
    items = page.locator(".item")
    first_id, second_id, third_id = (items.nth(i).get_attribute("data-id") for i in range(3))

    page.keyboard.press("7")  # correct the first digit to 7
    page.keyboard.press("Enter")  # the second reading is right
    page.keyboard.press("x")  # the third is not a digit
    assert page.locator(".item.done").count() == 3
    assert "current" in (items.nth(3).get_attribute("class") or "")
    page.keyboard.press("Backspace")  # undoes the last answer (the x), not the next card
    assert page.locator(".item.done").count() == 2
    assert "current" in (page.locator(".item").nth(2).get_attribute("class") or "")
    page.keyboard.press("x")

    page.reload()  # corrections survive a reload (localStorage)
    page.wait_for_selector(".item")
    assert page.locator(".item.done").count() == 3
    assert page.input_value("#reviewer") == "Ana Lima"
    current = page.locator(".item.current")  # the work goes on at the first digit not yet answered
    assert current.count() == 1 and current.get_attribute("data-id") == items.nth(3).get_attribute("data-id")
    assert page.eval_on_selector("#progress", "el => el.value") == 3
    shown = page.locator(".item .pred .meta").all_inner_texts()
    assert not any(t.startswith("100.0%") for t in shown)  # under 1 is never shown as certain

    with page.expect_download() as info:
        page.click("#export")
    path = tmp_path / "corrections.csv"
    info.value.save_as(path)
    exported = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(exported.columns) == CORRECTION_COLUMNS
    assert len(exported) == 3
    by_box = {
        "|".join([r["file"], r["page"], r["x"], r["y"], r["width"], r["height"]]): r for _, r in exported.iterrows()
    }
    assert by_box[first_id]["corrected_digit"] == "7"
    assert by_box[second_id]["corrected_digit"] == by_box[second_id]["digit"]
    assert by_box[third_id]["corrected_digit"] == "x"
    assert set(exported["reviewer"]) == {"Ana Lima"}
    assert all(pd.Timestamp(at).year >= 2024 for at in exported["reviewed_at"])  # when each answer was given
    assert problems == []
    context.close()


def test_threshold_slider_and_filters(browser, report):
    page = browser.new_page()
    page.goto(report.as_uri())
    page.wait_for_selector(".item")
    total = page.locator(".item").count()
    page.eval_on_selector("#threshold", "el => { el.value = '0'; el.dispatchEvent(new Event('input')); }")
    assert page.locator(".item").count() == 0
    assert page.locator("#empty").is_visible()
    page.eval_on_selector("#threshold", "el => { el.value = el.max; el.dispatchEvent(new Event('input')); }")
    assert page.locator(".item").count() == total
    digit = page.locator(".item .pred").first.inner_text().split()[0]
    page.select_option("#filter-digit", digit)
    shown = page.locator(".item .pred").all_inner_texts()
    assert shown and all(t.split()[0] == digit for t in shown)
    page.close()
