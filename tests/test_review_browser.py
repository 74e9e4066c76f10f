"""The review report in a real browser: headless Chromium driven by Playwright.

Needs Debian's chromium (``make test`` installs it when run as root, as in CI). Elsewhere
the test is skipped, except in CI, where a missing browser is a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil

import pandas as pd
import pytest

import batchreader
from batchreader.io.results import read_results
from batchreader.schema import CORRECTION_COLUMNS
from batchreader.training.pagesynth import STYLES, render_pages, save_scan
from batchreader.verify.corrections import apply_corrections
from batchreader.verify.report import build_review, field_digits

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


def _open(browser, path, problems):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "request",
        lambda r: problems.append(f"request {r.url}") if not r.url.startswith(("file:", "data:", "blob:")) else None,
    )
    page.goto(path.as_uri())
    page.wait_for_selector(".item")
    return context, page


def _items(path) -> list[dict]:
    html = path.read_text(encoding="utf-8")
    blob = re.search(r'<script id="review-data" type="application/json">(.*?)</script>', html, re.S).group(1)
    return json.loads(blob)["items"]


@pytest.fixture(scope="module")
def two_hundred(tmp_path_factory, mnist_subset):
    """Pages of 200 fields or more, scanned, and a report listing every field."""
    root = tmp_path_factory.mktemp("clerk")
    x, y = mnist_subset["x_test"], mnist_subset["y_test"]
    pages = render_pages(x, y, 22, STYLES["clean"], seed=21)
    save_scan(pages, root / "pages.tif", STYLES["clean"].dpi)
    results = root / "results.csv"
    batchreader.scan([root / "pages.tif"], results, jobs=1)
    path = root / "review.html"
    build_review(results, None, path, threshold=1.01)  # every digit flagged: every field listed
    assert len(_items(path)) >= 200
    return results, path


def _plan(i: int, value: str) -> tuple[list[str], str]:
    """What the scripted clerk presses for the i-th field, and the number it leaves."""
    if i == 7:
        return ["x"], "x"  # not a number
    if i == 11:  # a rejection undone, then the reading accepted
        return ["x", "Backspace", "Enter"], value
    if i == 13:  # a digit typed by mistake and taken back
        return ["9", "Backspace", *value, "Enter"], value
    if i % 10 == 3:  # a misread digit
        fixed = str((int(value[0]) + 1) % 10) + value[1:]
        return [*fixed, "Enter"], fixed
    if i % 25 == 5:  # a digit the reader missed
        return [*value, "7", "Enter"], value + "7"
    return ["Enter"], value


def test_a_clerk_reviews_200_fields_with_the_keyboard_alone(browser, two_hundred, tmp_path):
    results, path = two_hundred
    items = _items(path)[:200]
    problems = []
    context, page = _open(browser, path, problems)
    page.fill("#reviewer", "Ana Lima")  # asked once, kept for every report
    page.keyboard.press("Escape")
    expected = {}
    for i, item in enumerate(items):
        if i == 100:  # a reload mid-way: the answers stay, the work goes on at the first field not answered
            page.reload()
            page.wait_for_selector(".item")
            assert page.eval_on_selector("#progress", "el => el.value") == 100
            assert page.locator(".item.current").get_attribute("data-id") == item["id"]
            assert page.input_value("#reviewer") == "Ana Lima"
        assert page.locator(".item.current").get_attribute("data-id") == item["id"]
        presses, expected[item["id"]] = _plan(i, item["value"])
        for key in presses:
            page.keyboard.press(key)
    assert page.locator("#done-count").inner_text() == "200"
    history = page.locator("#history-list div").all_inner_texts()
    assert history and "not a number" not in history[0]  # the latest answer first

    with page.expect_download() as info:
        page.click("#export")
    corrections = tmp_path / "corrections.csv"
    info.value.save_as(corrections)
    exported = pd.read_csv(corrections, dtype=str, keep_default_na=False)
    assert list(exported.columns) == CORRECTION_COLUMNS and set(exported["reviewer"]) == {"Ana Lima"}
    assert problems == []
    context.close()

    final, fields = tmp_path / "final.csv", tmp_path / "fields.csv"
    apply_corrections(results, corrections, final, fields_out=fields)
    frame, numbers = read_results(final), read_results(fields)
    by_field = {f"{r.file}|{r.page}|{r.line}|{r.field}": r.value for r in numbers.itertuples()}
    for item in items:  # the fields CSV, field by field: the clerk's number, or no number at all
        want = expected[item["id"]]
        assert by_field.get(item["id"]) == (None if want == "x" else want), item["id"]
    for item in items:  # the final CSV, row by row
        file, pg, line, fld = item["id"].split("|")
        rows = frame[(frame["page"] == int(pg)) & (frame["line"] == int(line)) & (frame["field"] == int(fld))]
        want = expected[item["id"]]
        reviewed = rows[rows["status"] == "reviewed"]
        assert "".join(str(d) for d in reviewed["digit"]) == ("" if want == "x" else want)
        assert (reviewed["confidence"] == 1.0).all() and (rows["reviewer"] == "Ana Lima").all()
        rejected = rows[rows["status"] == "rejected"]
        if want == "x" or len(want) != len(item["value"]):  # what the machine read is kept
            assert "".join(str(d) for d in rejected["original_digit"]) == item["value"]
        else:
            assert "".join(str(d) for d in reviewed["original_digit"]) == item["value"]
    untouched = frame[~frame["status"].isin(["reviewed", "rejected"])]
    assert len(untouched) == int((read_results(results)["status"] == "ok").sum()) - sum(
        len(it["value"]) for it in items
    )


def test_the_report_is_compact_and_zooms_to_the_page(browser, two_hundred):
    _, path = two_hundred
    problems = []
    context, page = _open(browser, path, problems)
    top = page.eval_on_selector("header", "el => el.getBoundingClientRect().bottom")
    cards = page.eval_on_selector_all(
        ".item",
        f"els => els.filter(e => e.getBoundingClientRect().top >= {top} "
        "&& e.getBoundingClientRect().bottom <= 768).length",
    )
    assert cards >= 6  # fields in full view on a 768-px screen, under the header
    page.keyboard.press("z")  # the page, the field outlined on it
    assert page.locator("#zoom").is_visible() and page.locator("#zoom .outline").count() == 1
    page.keyboard.press("Escape")
    assert not page.locator("#zoom").is_visible()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.fill("#accept-level", "0.5")
    page.click("#accept-rest")  # accept every other field from 0.5 up: one step undoes it all
    done = int(page.locator("#done-count").inner_text())
    assert done > 2
    page.keyboard.press("Backspace")
    assert page.locator("#done-count").inner_text() == "2"
    assert problems == []
    context.close()


def test_shift_enter_accepts_the_fields_on_screen_and_a_next_screen_comes_in_at_the_top(browser, two_hundred):
    _, path = two_hundred
    problems = []
    context, page = _open(browser, path, problems)
    assert page.locator(".item.done").count() == 0  # nothing answered looks answered
    top = page.eval_on_selector("header", "el => el.getBoundingClientRect().bottom")
    on_screen = page.eval_on_selector_all(
        ".item",
        f"els => els.filter(e => e.getBoundingClientRect().bottom <= 768 + 1 "
        f"&& e.getBoundingClientRect().top >= {top} - 1).map(e => e.dataset.id)",
    )
    assert len(on_screen) >= 6
    page.keyboard.press("Shift+Enter")  # every field in view, from the current one down, read right
    assert int(page.locator("#done-count").inner_text()) == len(on_screen)
    assert page.locator(".item.done").count() == len(on_screen)
    current = page.locator(".item.current")
    assert current.get_attribute("data-id") not in on_screen
    box = current.bounding_box()  # the next field comes in under the header, the next screen below it
    assert top - 1 <= box["y"] <= top + 40 and box["y"] + box["height"] <= 768
    page.keyboard.press("Backspace")  # one step undoes the screen
    assert page.locator("#done-count").inner_text() == "0"
    assert problems == []
    context.close()


def test_typing_the_flagged_digits_corrects_them_and_equals_types_the_whole_number(browser, report, tmp_path):
    problems = []
    context, page = _open(browser, report, problems)
    items = _items(report)
    some = [it for it in items if 0 < sum(d["flagged"] for d in field_digits(it)) < len(field_digits(it))]
    assert len(some) >= 2
    first, second = some[0], some[1]
    flagged = [i for i, d in enumerate(field_digits(first)) if d["flagged"]]
    fixed = list(first["value"])
    for i in flagged:
        fixed[i] = str((int(fixed[i]) + 1) % 10)
    page.locator(f'.item[data-id="{first["id"]}"] .pred').click()
    for i in flagged:
        page.keyboard.press(fixed[i])
    # the number the keys make is shown before Enter
    assert "".join(fixed) in page.locator(f'.item[data-id="{first["id"]}"] .answer').inner_text()
    page.keyboard.press("Enter")
    page.locator(f'.item[data-id="{second["id"]}"] .pred').click()
    for key in ["=", *second["value"][0]]:  # the whole number is one digit: the reader invented the rest
        page.keyboard.press(key)
    page.keyboard.press("Enter")
    with page.expect_download() as info:
        page.click("#export")
    path = tmp_path / "corrections.csv"
    info.value.save_as(path)
    exported = pd.read_csv(path, dtype=str, keep_default_na=False)
    mine = exported[exported["x"].astype(int).isin([d["rect"][0] for d in field_digits(first)])]
    assert list(mine["corrected_digit"]) == fixed and list(mine["digit"]) == list(first["value"])
    whole = exported[exported["digit"] == second["value"]]
    assert list(whole["corrected_digit"]) == [second["value"][0]]
    assert [int(v) for v in whole.iloc[0][["x", "y", "width", "height"]]] == second["box"]
    assert problems == []
    context.close()


def test_s_takes_the_second_choice_of_the_least_sure_flagged_digit(browser, report, tmp_path):
    problems = []
    context, page = _open(browser, report, problems)
    item = next(it for it in _items(report) if any(d["flagged"] for d in field_digits(it)))
    digits = field_digits(item)
    at = min((i for i, d in enumerate(digits) if d["flagged"]), key=lambda i: digits[i]["confidence"])
    expected = "".join(str(d["second_digit"] if i == at else d["digit"]) for i, d in enumerate(digits))
    card = page.locator(f'.item[data-id="{item["id"]}"]')
    assert f"s: {expected}" in card.locator(".meta").inner_text()  # shown before it is chosen
    card.locator(".pred").click()
    page.keyboard.press("s")
    assert expected in card.locator(".answer").inner_text()
    assert page.locator(".item.current").get_attribute("data-id") != item["id"]  # on to the next field
    with page.expect_download() as info:
        page.click("#export")
    path = tmp_path / "corrections.csv"
    info.value.save_as(path)
    exported = pd.read_csv(path, dtype=str, keep_default_na=False)
    mine = exported[exported["x"].astype(int).isin([d["rect"][0] for d in digits])]
    assert "".join(mine["corrected_digit"]) == expected
    assert problems == []
    context.close()


def test_a_report_folder_loads_its_pictures_from_beside_it(browser, scans, tmp_path):
    results = tmp_path / "results.csv"
    batchreader.scan([scans / "fax.tif"], results, jobs=1)
    folder = tmp_path / "review"
    build_review(results, scans / "fax.tif", folder, threshold=1.0)
    problems = []
    context, page = _open(browser, folder / "index.html", problems)
    region = page.locator(".item.current .region img")
    region.wait_for(state="attached")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=region.element_handle())
    assert region.get_attribute("src").startswith("pages/")  # a file beside the report, loaded as it came into view
    strip = page.locator(".item.current .field img")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=strip.element_handle())
    assert strip.get_attribute("src").startswith("fields/")
    page.keyboard.press("z")
    zoomed = page.locator("#zoom img")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=zoomed.element_handle())
    assert zoomed.evaluate("img => img.naturalWidth") == region.evaluate("img => img.naturalWidth")
    assert problems == []  # nothing but files: no network
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
    digit = page.locator(".item .pred .flag").first.inner_text()
    page.select_option("#filter-digit", digit)
    shown = page.locator(".item").count()
    assert shown and page.locator(".item .pred").count() == shown
    for i in range(shown):  # every field shown has that digit flagged
        assert digit in page.locator(".item").nth(i).locator(".pred .flag").all_inner_texts()
    page.close()
