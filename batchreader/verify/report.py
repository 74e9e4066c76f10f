"""The review report: one self-contained HTML file of the digits worth a person's look
(or a folder: the HTML, and its pictures as files beside it).

Every crop is re-cut from the source scans using the boxes in the results CSV, so
results stay a plain CSV and the report can be rebuilt at any time. The page embeds
its data as JSON and builds the list with DOM text nodes only: file names and values
are never interpreted as HTML, and the page loads nothing from outside.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from batchreader.defaults import PDF_DPI, REVIEW_THRESHOLD
from batchreader.errors import InputNotFoundError
from batchreader.io.atomic import AtomicFolder, AtomicOutput
from batchreader.io.pages import InputFile, Page, read_pages
from batchreader.io.results import bounds, read_results
from batchreader.io.runrecord import check_scan, read_record, recorded_inputs, recorded_scan
from batchreader.schema import CORRECTION_COLUMNS, REVIEW_FOLDER, Status, is_review_folder

log = logging.getLogger(__name__)

_STRIP_HEIGHT = 48
"""Rows a field's picture is stored at (never enlarged; the page shows it 64 px high): a
number read at a glance, in about a kilobyte."""
_PAGE_WIDTH = 640
"""Columns of a page's picture, shared by all its fields: the region shown beside each
field and the page view it zooms to, where the layout matters more than the strokes."""
_WEBP_QUALITY = 55
"""WebP, which every browser reads, stores scanned grey in about two thirds of a JPEG's
bytes at the same quality."""


@dataclass
class ReviewSummary:
    """What the report shows at its top."""

    files: int
    pages: int
    digits: int
    flagged: int
    error_files: list[str]
    fields: int = 0
    """Fields (numbers) with a flagged digit: the report's items."""

    @property
    def flagged_share(self) -> str:
        return f"{self.flagged / self.digits:.1%}" if self.digits else "0%"


def _webp(image: np.ndarray) -> bytes:
    """A picture of paper as WebP (a fifteenth of a PNG's size for scanned grey, sharp
    enough to read)."""
    ok, buf = cv2.imencode(".webp", image, [cv2.IMWRITE_WEBP_QUALITY, _WEBP_QUALITY])
    if not ok:  # pragma: no cover - cv2 encodes any uint8 image
        raise ValueError("webp encoding failed")
    return buf.tobytes()


def _data_uri(image: np.ndarray) -> str:
    """A picture of paper as a WebP data URI, for inside the report."""
    return "data:image/webp;base64," + base64.b64encode(_webp(image)).decode("ascii")


def _cut(gray: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    h, w = gray.shape
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    return gray[y0:y1, x0:x1]


def _shrunk(image: np.ndarray, height: int | None = None, width: int | None = None) -> np.ndarray:
    """``image`` scaled down to ``height`` (or ``width``) when larger, never up: the
    browser enlarges a small picture as well, and the report stays light."""
    h, w = image.shape[:2]
    if h == 0 or w == 0:
        return np.full((8, 8), 255, np.uint8)
    if (height and h <= height) or (width and w <= width):
        return image
    scale = (height / h) if height else (width / w)
    return cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


def field_picture(page: Page, digits, marks=None, folder: Path | None = None, name: str = "") -> tuple[str, list[int]]:
    """The picture of one field (its digits' rows, and the rejected ``marks`` beside it
    when asked) with a margin of paper, and the rectangle of the page it shows (x, y,
    width, height): the report draws the boxes on it, so the picture stays plain grey.
    Inside the report; or, for a report that is a folder, the file ``fields/<name>.webp``
    in ``folder``."""
    x0, y0, x1, y1 = bounds(digits if marks is None or not len(marks) else pd.concat([digits, marks]))
    _, top, _, bottom = bounds(digits)
    m = max(4, int(0.35 * (bottom - top)))
    h, w = page.gray.shape
    sx0, sy0, sx1, sy1 = max(0, x0 - m), max(0, y0 - m), min(w, x1 + m), min(h, y1 + m)
    picture = _shrunk(_cut(page.gray, sx0, sy0, sx1, sy1), height=_STRIP_HEIGHT)
    return _picture(picture, folder, FIELDS, name), [sx0, sy0, max(1, sx1 - sx0), max(1, sy1 - sy0)]


def _picture(image: np.ndarray, folder: Path | None, kind: str, name: str) -> str:
    """Where the report finds ``image``: a data URI inside it, or (a report that is a
    folder) the path of the file ``<kind>/<name>.webp`` written in ``folder``."""
    if folder is None:
        return _data_uri(image)
    (folder / kind).mkdir(exist_ok=True)
    (folder / kind / f"{name}.webp").write_bytes(_webp(image))
    return f"{kind}/{name}.webp"


def page_picture(page: Page, folder: Path | None = None, name: str = "") -> dict:
    """A page's picture, shared by its fields: their region beside each, and the page view.
    Inside the report; or, for a report that is a folder, the file ``pages/<name>.webp``
    in ``folder``, which the report loads when a field of that page comes into view."""
    h, w = page.gray.shape
    return {"src": _picture(_shrunk(page.gray, width=_PAGE_WIDTH), folder, PAGES, name), "width": w, "height": h}


MANY_FIELDS = 2000
"""A one-file report of this many fields or more is some 15 MB on sparse pages: the
report says that a folder keeps its HTML light."""

INDEX, FIELDS, PAGES = REVIEW_FOLDER
"""The page, and the folders of field and page pictures beside it, of a report written
as a folder (see :func:`build_review`)."""


def _histogram_svg(confidences: np.ndarray, threshold: float, bins: int = 20) -> str:
    """Counts of the digits by confidence (bars on a log scale, each titled with its
    count), the threshold in red, and an axis labelled 0, 0.5 and 1 below."""
    counts, _ = np.histogram(confidences, bins=bins, range=(0.0, 1.0))
    width, height, axis = 160, 22, 11
    bar = width / bins
    top = max(1.0, float(np.log1p(counts.max()))) if counts.size else 1.0
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width + 8}" height="{height + axis}" role="img">']
    for i, c in enumerate(counts):
        bh = height * float(np.log1p(c)) / top
        parts.append(
            f'<rect x="{4 + i * bar:.1f}" y="{height - bh:.1f}" width="{bar - 1:.1f}" height="{bh:.1f}" '
            f'fill="#5b7fb5"><title>{i / bins:.2f}-{(i + 1) / bins:.2f}: {int(c)}</title></rect>'
        )
    x = 4 + threshold * width
    parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="0" y2="{height}" stroke="red"/>')
    parts.append(f'<line x1="4" x2="{4 + width}" y1="{height + 0.5}" y2="{height + 0.5}" stroke="#666"/>')
    for value, anchor in ((0, "start"), (0.5, "middle"), (1, "end")):
        parts.append(
            f'<text x="{4 + value * width:.0f}" y="{height + axis - 1}" font-size="9" text-anchor="{anchor}">'
            f"{value:g}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def build_review(
    results_path: Path | str,
    scans: Path | str | None,
    out: Path | str,
    threshold: float = REVIEW_THRESHOLD,
    dpi: float | None = None,
    rejected: bool = False,
) -> ReviewSummary:
    """Write the review report for ``results_path`` to ``out``.

    Every flagged digit is in the report, or nothing is written: a scan that cannot be
    found, cannot be read, or (by the run record's checksum) is not the file that was
    read, stops the report with InputNotFoundError.

    Args:
        results_path: a results file written by ``batchreader scan``.
        scans: the folder (or single file) that was scanned; crops are re-cut from it.
            None: where the run record beside the results says the scans were.
        out: the HTML file to write (atomically), every picture inside it; or, a path
            not ending in .html, a folder: ``index.html``, and the pictures as files
            beside it (``fields/``, ``pages/``), loaded as their fields come into view
            (for many fields: the HTML stays light and opens fast). Written whole or
            not at all, either way.
        threshold: digits with confidence below it are listed.
        dpi: the resolution PDFs were rendered at during the scan; None: the run
            record's (else the default).
        rejected: also show, in each field, the marks the reader rejected there (the
            results of ``scan --keep-rejected`` hold them), so that a person can restore
            a digit it dropped by typing the number as written.
    """
    results_path = Path(results_path)
    record = read_record(results_path)
    recorded = recorded_inputs(record)
    scan_dpi = (record or {}).get("settings", {}).get("dpi")
    if dpi is None:
        dpi = scan_dpi or PDF_DPI
    elif scan_dpi and dpi != scan_dpi:
        log.warning("the scan read PDFs at %s dpi, the report cuts them at %s: their crops will miss", scan_dpi, dpi)
    if scans is None and record is None:
        raise InputNotFoundError(
            f"no run record beside {results_path} says where the scans are", "pass --scans the folder that was scanned"
        )
    if scans is not None and not Path(scans).exists():
        raise InputNotFoundError(f"scans not found: {scans}", "pass the folder or file that was scanned")
    root = None if scans is None else Path(scans).parent if Path(scans).is_file() else Path(scans)

    def located(name: str) -> Path:
        """Where the scan of ``name`` is, checked against the run record."""
        if root is None:
            return recorded_scan(recorded, name)
        path = root / name
        if name in recorded:
            check_scan(recorded[name], path)
        elif not path.is_file():
            raise InputNotFoundError(f"the scan {name} is not at {path}", "pass --scans the folder that was scanned")
        return path

    folder = is_review_folder(out)
    output = AtomicFolder(Path(out), owned=REVIEW_FOLDER) if folder else AtomicOutput(Path(out))
    try:
        try:
            results = read_results(results_path)
        except (OSError, ValueError, UnicodeDecodeError) as exc:  # pandas' parser errors are ValueErrors
            raise InputNotFoundError(
                f"cannot read results {results_path}: {exc}", "give the results file that scan wrote"
            ) from exc
        digits = results[results["status"] == Status.OK.value]
        flagged = digits[digits["confidence"] < threshold]
        # the unit of review is a field (a number): every field with a flagged digit, with all its digits
        keys = ["file", "page", "line", "field"]
        wanted_fields = set(flagged[keys].itertuples(index=False, name=None))
        marks = {}
        if rejected:
            shown = results[results["status"] == Status.REJECTED.value].dropna(subset=["x"])
            if not len(shown):
                log.warning("%s holds no rejected marks: scan with --keep-rejected to see them", results_path)
            marks = {key: rows for key, rows in shown.groupby(keys[:3], sort=False)}
        items, pages, strips = [], {}, 0
        pictures = output.tmp if folder else None  # where a folder's pictures go
        for (file, page_no, line, fld), rows in digits.groupby(keys, sort=True):
            if (file, page_no, line, fld) not in wanted_fields:
                continue
            rows = rows.sort_values("index")
            item = {"key": (str(file), int(page_no)), "rows": rows, "line": int(line), "field": int(fld)}
            item["marks"] = _beside(rows, marks.get((file, page_no, line)))
            items.append(item)
        for file, page_items in _by_file(items):
            wanted = {it["key"][1] for it in page_items}
            path = located(file)
            for page in read_pages(InputFile(path, file), dpi):
                if not isinstance(page, Page) or page.number not in wanted:
                    continue
                wanted.discard(page.number)
                pages[f"{file}|{page.number}"] = page_picture(page, pictures, str(len(pages) + 1))
                for it in page_items:
                    if it["key"][1] == page.number:
                        strips += 1
                        it["strip"], it["view"] = field_picture(page, it["rows"], it["marks"], pictures, str(strips))
            if wanted:
                raise InputNotFoundError(
                    f"page {min(wanted)} of {path} cannot be read, and holds flagged digits",
                    "pass --scans the folder that was scanned",
                )
        items = [_field_item(it, threshold) for it in items]
        ok_pages = results[results["status"] != Status.ERROR.value][["file", "page"]].drop_duplicates()
        summary = ReviewSummary(
            files=int(results["file"].nunique()),
            pages=len(ok_pages),
            digits=len(digits),
            flagged=len(flagged),
            fields=len(items),
            error_files=sorted(set(results.loc[results["status"] == Status.ERROR.value, "file"])),
        )
        data = {
            "report_id": hashlib.sha256(results_path.read_bytes()).hexdigest()[:16],
            "source": results_path.name,
            "threshold": threshold,
            "correction_columns": CORRECTION_COLUMNS,
            "files": sorted({it["file"] for it in items}),
            "summary": {
                "files": summary.files,
                "pages": summary.pages,
                "digits": summary.digits,
                "flagged": summary.flagged,
                "flagged_share": summary.flagged_share,
                "fields": summary.fields,
                "error_files": summary.error_files,
            },
            "pages": pages,
            "items": items,
        }
        template = resources.files("batchreader.verify").joinpath("templates/review.html").read_text(encoding="utf-8")
        # pictures come from inside the report only; a folder's from beside it
        html = (
            template.replace("__IMG_SRC__", "data: 'self'" if folder else "data:")
            .replace("__HISTOGRAM__", _histogram_svg(digits["confidence"].to_numpy(np.float64), threshold))
            .replace("__DATA__", script_json(data))
        )
        (output.tmp / INDEX if folder else output.tmp).write_text(html, encoding="utf-8")
        output.commit()
    except BaseException:
        output.discard()
        raise
    log.info("review report: %d of %d digits flagged -> %s", summary.flagged, summary.digits, out)
    if not folder and summary.fields >= MANY_FIELDS:
        log.warning(
            "the report holds %d fields and every picture in one file: give --out a name without .html to write "
            "it as a folder, its HTML light and its pictures beside it",
            summary.fields,
        )
    return summary


MARKS_BESIDE = 1.5
"""Rejected marks shown with a field (``rejected``): those on its line within this many
times the field's height of its digits."""


def _beside(digits, marks):
    """The rejected ``marks`` of a line that sit in or beside the field of ``digits``."""
    if marks is None:
        return None
    x0, y0, x1, y1 = bounds(digits)
    reach = MARKS_BESIDE * (y1 - y0)
    near = (marks["x"] + marks["width"] >= x0 - reach) & (marks["x"] <= x1 + reach)
    return marks[near] if near.any() else None


def _by_file(items: list[dict]):
    """The items of each file in turn (items are in file order)."""
    files: dict[str, list[dict]] = {}
    for it in items:
        files.setdefault(it["key"][0], []).append(it)
    return files.items()


def _field_item(it: dict, threshold: float) -> dict:
    """One field of the report: its reading, its digits (each flagged or not, with its
    box on the page), the rejected marks beside it (when asked), and the rectangle of the
    page its picture shows."""
    rows = it["rows"]
    file, page = it["key"]
    x0, y0, x1, y1 = bounds(rows)
    digits = list(rows.itertuples())
    marks = (
        []
        if it["marks"] is None
        else [[int(m.x), int(m.y), int(m.width), int(m.height)] for m in it["marks"].itertuples()]
    )
    return {
        "id": f"{file}|{page}|{it['line']}|{it['field']}",
        "file": file,
        "page": page,
        "line": it["line"],
        "field": it["field"],
        "value": "".join(str(int(r.digit)) for r in digits),
        "confidence": _plain(min(r.confidence for r in digits)),
        "box": [x0, y0, x1 - x0, y1 - y0],
        # the digits, column by column (a report of 10,000 fields holds 35,000 of them):
        # see field_digits for them one by one
        "rects": [[int(r.x), int(r.y), int(r.width), int(r.height)] for r in digits],
        "confidences": [_plain(r.confidence) for r in digits],
        "seconds": [[_plain(r.second_digit), _plain(r.second_confidence)] for r in digits],
        "flagged": [int(r.confidence < threshold) for r in digits],
        "marks": marks,
        "strip": it["strip"],
        "view": it["view"],
    }


def field_digits(item: dict) -> list[dict]:
    """The digits of a report's field one by one: rect (x, y, width, height on the page),
    digit, confidence, second_digit, second_confidence, flagged. The page does the same
    (the report stores them column by column, see :func:`_field_item`)."""
    return [
        {
            "rect": rect,
            "digit": int(digit),
            "confidence": confidence,
            "second_digit": second[0],
            "second_confidence": second[1],
            "flagged": bool(flag),
        }
        for rect, digit, confidence, second, flag in zip(
            item["rects"], item["value"], item["confidences"], item["seconds"], item["flagged"]
        )
    ]


def _plain(value):
    """numpy/pandas scalars to JSON-able Python values."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float):
        return round(value, 4)
    return value


def script_json(data: dict) -> str:
    """JSON safe inside a <script> element: no '<', '>' or '&' can end it or open a tag."""
    return (
        json.dumps(data, ensure_ascii=True, separators=(",", ":"))
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )
