"""The review loop, measured: a scripted clerk works through a report in Chromium.

Renders synthetic pages in every style of ``batchreader.training.pagesynth.STYLES`` from
MNIST test digits, scans them, writes the review report at the default threshold, and
has a clerk who knows the truth review every field in it with the keyboard alone:
``Enter`` when the reading is right, ``Shift+Enter`` when it and every open field below
it on screen are, ``s`` when the least sure flagged digit's second choice makes it
right, the number as written and ``Enter`` when it is not, ``x`` when the
field holds no written digit. It then exports the corrections, applies
them, and prints:

- keystrokes per field reviewed (issue 23's target: at most 1.2);
- the report's size per 1,000 fields (target: at most 1.5 MB), written as a folder
  (``index.html``, the page pictures beside it: what the clerk works in) and as one file;
- wrong digits left in the reviewed fields after the review (target: 0);
- the time Chromium takes to open a report of 10,000 fields (the fields of this one,
  repeated; target: at most 3 s), median of three loads, both ways.

    .venv/bin/python benchmarks/review.py --mnist ../shared/data/mnist.npz --pages 2

Needs Debian's ``chromium`` and the ``playwright`` package (``make test`` installs both).
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import batchreader
from batchreader.defaults import REVIEW_THRESHOLD
from batchreader.io.results import read_results
from batchreader.training.pagesynth import STYLES, render_pages, save_scan, truth_rows
from batchreader.verify.corrections import apply_corrections
from batchreader.verify.report import FIELDS, INDEX, PAGES, build_review, field_digits, script_json
from batchreader.verify.scoring import TRUTH_COLUMNS

CONTAINER = {"fax": ".tif", "blue-ink": ".jpg", "photo": ".jpg", "pencil": ".pdf"}
SCREEN = """() => {
  const top = document.querySelector("header").getBoundingClientRect().bottom;
  const cards = [...document.querySelectorAll(".item")];
  const at = cards.findIndex((c) => c.classList.contains("current"));
  const out = [];
  for (let i = at; i < cards.length; i++) {
    const r = cards[i].getBoundingClientRect();
    if (r.bottom > window.innerHeight + 1) break;
    if ((i !== at && r.top < top - 1) || cards[i].classList.contains("done")) continue;
    out.push(cards[i].dataset.id);
  }
  return out;
}"""
DATA = re.compile(r'(<script id="review-data" type="application/json">)(.*?)(</script>)', re.S)


def _truth_number(item: dict, truth: pd.DataFrame) -> str:
    """The digits written inside the field's box (centres inside it), left to right."""
    x, y, w, h = item["box"]
    mine = truth[(truth["file"] == item["file"]) & (truth["page"] == item["page"])]
    cx, cy = mine["x"] + mine["width"] / 2, mine["y"] + mine["height"] / 2
    inside = mine[(cx >= x) & (cx <= x + w) & (cy >= y) & (cy <= y + h)].sort_values("x")
    return "".join(str(int(d)) for d in inside["digit"])


def _runner_up(item: dict) -> str:
    """The reading with its least sure flagged digit replaced by its second choice (the
    report's "s" key); "" without a flagged digit."""
    digits = field_digits(item)
    flagged = [i for i, d in enumerate(digits) if d["flagged"]]
    if not flagged:
        return ""
    at = min(flagged, key=lambda i: digits[i]["confidence"])
    return "".join(str(digits[at]["second_digit"] if i == at else d["digit"]) for i, d in enumerate(digits))


def _keys(item: dict, truth: str) -> list[str]:
    """What the clerk types: Enter for a right reading; s when the least sure red box's
    second choice makes it right; what the red (flagged) boxes hold
    when only they are wrong (one digit a box, or any digits for a single red box); else
    the whole number ("=" first when it is shorter than the reading); x for no number."""
    if not truth:
        return ["x"]
    if truth == item["value"]:
        return ["Enter"]
    if truth == _runner_up(item):
        return ["s"]
    value, flagged = item["value"], [i for i, d in enumerate(field_digits(item)) if d["flagged"]]
    if len(flagged) == 1:  # the red box holds what is left once the digits around it match
        at = flagged[0]
        head, tail = value[:at], value[at + 1 :]
        inside = truth[len(head) : len(truth) - len(tail)]
        if truth.startswith(head) and truth.endswith(tail) and 0 < len(inside) < len(value):
            return [*inside, "Enter"]
    elif (
        len(truth) == len(value)
        and len(flagged) < len(value)
        and all(a == b for i, (a, b) in enumerate(zip(truth, value)) if i not in flagged)
    ):
        return [*(truth[i] for i in flagged), "Enter"]
    if len(truth) < len(value):
        return ["=", *truth, "Enter"]
    return [*truth, "Enter"]


def _bigger(report: Path, out: Path, fields: int) -> None:
    """A report of ``fields`` fields: this report's, repeated under new ids."""
    html = report.read_text(encoding="utf-8")
    data = json.loads(DATA.search(html).group(2))
    items = data["items"]
    data["items"] = [{**items[i % len(items)], "id": f"{items[i % len(items)]['id']}|copy{i}"} for i in range(fields)]
    blob = script_json(data)
    out.write_text(DATA.sub(lambda m: m.group(1) + blob + m.group(3), html), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", type=Path, required=True)
    parser.add_argument("--pages", type=int, default=2, help="pages per style")
    parser.add_argument("--seed", type=int, default=100)
    parser.add_argument("--threshold", type=float, default=REVIEW_THRESHOLD)
    parser.add_argument("--load-fields", type=int, default=10000, help="fields of the report whose load is timed")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    with np.load(args.mnist) as data:
        x, y = data["x_test"], data["y_test"]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        scans = root / "scans"
        scans.mkdir()
        truth, offset = [], 0
        for n, (name, style) in enumerate(STYLES.items()):
            pages = render_pages(x[offset:], y[offset:], args.pages, style, seed=args.seed + n)
            offset += sum(len(p.truth) for p in pages)
            file = f"{name}{CONTAINER.get(name, '.png')}"
            save_scan(pages, scans / file, style.dpi, binary=style.binary)
            truth.extend(truth_rows(pages, file))
        truth = pd.DataFrame(truth, columns=TRUTH_COLUMNS)
        results = root / "results.csv"
        batchreader.scan([scans], results)
        report = root / "review.html"  # one file, every picture inside it
        summary = build_review(results, None, report, threshold=args.threshold)
        folder = root / "review"  # a folder: index.html, the page pictures beside it
        build_review(results, None, folder, threshold=args.threshold)
        index = folder / INDEX
        items = json.loads(DATA.search(index.read_text(encoding="utf-8")).group(2))["items"]
        wanted = {it["id"]: _truth_number(it, truth) for it in items}

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
            context = browser.new_context(accept_downloads=True, viewport={"width": 1366, "height": 768})
            page = context.new_page()
            page.goto(index.as_uri())
            page.wait_for_selector(".item")
            keys, by_id = 0, {it["id"]: it for it in items}
            while True:
                if int(page.inner_text("#done-count")) >= len(items):
                    break
                item = by_id[page.locator(".item.current").get_attribute("data-id")]
                # the fields on screen from this one down, not yet answered: when all of
                # them read right, one Shift+Enter accepts them
                seen = page.evaluate(SCREEN)
                if len(seen) > 1 and all(wanted[i] == by_id[i]["value"] for i in seen):
                    page.keyboard.press("Shift+Enter")
                    keys += 1
                    continue
                for key in _keys(item, wanted[item["id"]]):
                    page.keyboard.press(key)
                    keys += 1
            with page.expect_download() as info:
                page.click("#export")
            corrections = root / "corrections.csv"
            info.value.save_as(corrections)
            context.close()

            big, big_index = root / "big.html", folder / "big.html"  # beside its pages/
            _bigger(report, big, args.load_fields)
            _bigger(index, big_index, args.load_fields)
            loads, index_loads = _loads(browser, big), _loads(browser, big_index)
            browser.close()

        final, fields = root / "final.csv", root / "fields.csv"
        apply_corrections(results, corrections, final, fields_out=fields)
        numbers = read_results(fields)
        got = {f"{r.file}|{r.page}|{r.line}|{r.field}": r.value for r in numbers.itertuples()}
        wrong = 0
        for item in items:
            want, have = wanted[item["id"]], got.get(item["id"], "")
            wrong += sum(a != b for a, b in zip(want, have)) + abs(len(want) - len(have))
        size = report.stat().st_size
        index_size = index.stat().st_size
        pictures = sum(f.stat().st_size for kind in (PAGES, FIELDS) for f in (folder / kind).iterdir())
        right = sum(wanted[it["id"]] == it["value"] for it in items)
        print(
            f"pages {len(STYLES) * args.pages}, digits {summary.digits}, "
            f"flagged {summary.flagged} in {len(items)} fields"
        )
        print(f"  read right already     {right} of {len(items)} fields")
        print(f"  keystrokes per field   {keys / max(1, len(items)):.3f}   target <= 1.2")
        per = 1000 / max(1, len(items)) / 1e6
        # a sample of some 30 fields carries the page's own 40 KB of script and style 30
        # times over: the report of 10,000 fields (these, repeated) gives the size a field adds
        index_per = big_index.stat().st_size / args.load_fields * 1000 / 1e6
        print(
            f"  MB per 1,000 fields    folder: index.html {index_per:.2f}"
            f"   target <= 1.5 (of {args.load_fields:,} fields; {index_size * per:.2f} of this sample's "
            f"{len(items)}, and {pictures * per:.2f} of pictures beside it); one file: {size * per:.2f}"
        )
        print(f"  wrong digits left      {wrong}   target 0")
        for name, times, path in (("folder", index_loads, big_index), ("one file", loads, big)):
            print(
                f"  load, {args.load_fields:,} fields, {name}  {statistics.median(times):.2f} s   target <= 3 "
                f"({path.stat().st_size / 1e6:.1f} MB; {', '.join(f'{t:.2f}' for t in times)})"
            )


def _loads(browser, path: Path) -> list[float]:
    """Seconds Chromium takes to open ``path`` and draw its first cards, three times."""
    loads = []
    for _ in range(3):
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        start = time.perf_counter()
        page.goto(path.as_uri())
        page.wait_for_selector(".item")
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => r()))")
        loads.append(time.perf_counter() - start)
        page.close()
    return loads


if __name__ == "__main__":
    main()
