"""The review report: one self-contained HTML file of the digits worth a person's look.

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

from batchreader.defaults import PDF_DPI, REVIEW_THRESHOLD
from batchreader.errors import InputNotFoundError
from batchreader.io.atomic import AtomicOutput
from batchreader.io.pages import InputFile, Page, read_pages
from batchreader.io.results import read_results
from batchreader.io.runrecord import check_scan, read_record
from batchreader.schema import CORRECTION_COLUMNS, Status

log = logging.getLogger(__name__)

_CROP_HEIGHT = 96
_REGION_WIDTH = 480


@dataclass
class ReviewSummary:
    """What the report shows at its top."""

    files: int
    pages: int
    digits: int
    flagged: int
    error_files: list[str]

    @property
    def flagged_share(self) -> str:
        return f"{self.flagged / self.digits:.1%}" if self.digits else "0%"


def _data_uri(image: np.ndarray, kind: str = "png") -> str:
    """A picture as a data URI: ``png`` for the enlarged digit (sharp edges), ``jpeg``
    for pictures of paper (the field, the page region: a tenth of a PNG's size for
    scanned grey, sharp enough to read)."""
    params = [cv2.IMWRITE_JPEG_QUALITY, _JPEG_QUALITY] if kind == "jpeg" else []
    ok, buf = cv2.imencode(".jpg" if kind == "jpeg" else ".png", image, params)
    if not ok:  # pragma: no cover - cv2 encodes any uint8 image
        raise ValueError(f"{kind} encoding failed")
    return f"data:image/{kind};base64," + base64.b64encode(buf.tobytes()).decode("ascii")


def _cut(gray: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    h, w = gray.shape
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    return gray[y0:y1, x0:x1]


_JPEG_QUALITY = 80


def _shrunk(image: np.ndarray, height: int | None = None, width: int | None = None) -> np.ndarray:
    """``image`` scaled down to ``height`` (or ``width``) when larger, never up: the
    browser enlarges a small picture as well, and the report stays light."""
    h, w = image.shape[:2]
    if (height and h <= height) or (width and w <= width):
        return image
    return _scaled(image, height=height, width=width)


def _scaled(image: np.ndarray, height: int | None = None, width: int | None = None) -> np.ndarray:
    h, w = image.shape[:2]
    if h == 0 or w == 0:
        return np.full((8, 8), 255, np.uint8)
    scale = (height / h) if height else (width / w)
    scale = min(scale, 8.0)
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_NEAREST
    return cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=interp)


def crops_for(page: Page, row, field_rows) -> dict[str, str]:
    """The three pictures of one digit: enlarged crop, its field with the digit marked,
    and the page region around the field."""
    x, y, w, h = int(row["x"]), int(row["y"]), int(row["width"]), int(row["height"])
    m = max(2, int(0.25 * h))
    crop = _scaled(_cut(page.gray, x - m, y - m, x + w + m, y + h + m), height=_CROP_HEIGHT)
    fx0, fy0 = int(field_rows["x"].min()), int(field_rows["y"].min())
    fx1 = int((field_rows["x"] + field_rows["width"]).max())
    fy1 = int((field_rows["y"] + field_rows["height"]).max())
    sx0, sy0 = max(0, fx0 - m), max(0, fy0 - m)
    strip = cv2.cvtColor(_cut(page.gray, sx0, sy0, fx1 + m, fy1 + m), cv2.COLOR_GRAY2BGR)
    cv2.rectangle(strip, (x - sx0 - 2, y - sy0 - 2), (x - sx0 + w + 1, y - sy0 + h + 1), (0, 0, 230), max(2, h // 30))
    fh = fy1 - fy0
    rx0, ry0 = max(0, fx0 - 3 * fh), max(0, fy0 - 2 * fh)
    region = cv2.cvtColor(_cut(page.gray, rx0, ry0, fx1 + 3 * fh, fy1 + 2 * fh), cv2.COLOR_GRAY2BGR)
    # the digit meant, marked in the region too (two 8s may be in view)
    thick = max(2, region.shape[1] // _REGION_WIDTH * 2)
    cv2.rectangle(region, (x - rx0 - 3, y - ry0 - 3), (x - rx0 + w + 2, y - ry0 + h + 2), (0, 0, 230), thick)
    return {
        "crop": _data_uri(crop),
        "strip": _data_uri(_shrunk(strip, height=_CROP_HEIGHT), "jpeg"),
        "region": _data_uri(_shrunk(region, width=_REGION_WIDTH), "jpeg"),
    }


def _histogram_svg(confidences: np.ndarray, threshold: float, bins: int = 20) -> str:
    """Counts of the digits by confidence (bars on a log scale, each titled with its
    count), the threshold in red, and an axis labelled 0, 0.5 and 1 below."""
    counts, _ = np.histogram(confidences, bins=bins, range=(0.0, 1.0))
    width, height, axis = 200, 50, 12
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
            f'<text x="{4 + value * width:.0f}" y="{height + axis - 1}" font-size="10" text-anchor="{anchor}">'
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
) -> ReviewSummary:
    """Write the review report for ``results_path`` to ``out``.

    Every flagged digit is in the report, or nothing is written: a scan that cannot be
    found, cannot be read, or (by the run record's checksum) is not the file that was
    read, stops the report with InputNotFoundError.

    Args:
        results_path: a results file written by ``batchreader scan``.
        scans: the folder (or single file) that was scanned; crops are re-cut from it.
            None: where the run record beside the results says the scans were.
        out: the HTML file to write (atomically).
        threshold: digits with confidence below it are listed.
        dpi: the resolution PDFs were rendered at during the scan; None: the run
            record's (else the default).
    """
    results_path = Path(results_path)
    record = read_record(results_path)
    recorded = {entry["name"]: entry for entry in (record or {}).get("inputs", [])}
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
        path = root / name if root is not None else Path(recorded[name]["path"]) if name in recorded else None
        if path is None:
            raise InputNotFoundError(f"the run record lists no scan {name}", "pass --scans the folder that was scanned")
        if name in recorded:
            check_scan(recorded[name], path)
        elif not path.is_file():
            raise InputNotFoundError(f"the scan {name} is not at {path}", "pass --scans the folder that was scanned")
        return path

    output = AtomicOutput(Path(out))
    try:
        try:
            results = read_results(results_path)
        except (OSError, ValueError, UnicodeDecodeError) as exc:  # pandas' parser errors are ValueErrors
            raise InputNotFoundError(
                f"cannot read results {results_path}: {exc}", "give the results file that scan wrote"
            ) from exc
        digits = results[results["status"] == Status.OK.value]
        flagged = digits[digits["confidence"] < threshold].sort_values("confidence", kind="stable")
        # one grouping of all digits by number, not a scan of the whole table per flagged digit
        fields = digits.groupby(["file", "page", "line", "field"], sort=False)
        items = []
        for file, rows in flagged.groupby("file", sort=True):
            wanted = {int(p) for p in rows["page"]}
            path = located(str(file))
            for page in read_pages(InputFile(path, str(file)), dpi):
                if not isinstance(page, Page) or page.number not in wanted:
                    continue
                wanted.discard(page.number)
                for idx, row in rows[rows["page"] == page.number].iterrows():
                    same_field = fields.get_group((file, page.number, row["line"], row["field"]))
                    item = {
                        "id": f"{file}|{page.number}|{row['x']}|{row['y']}|{row['width']}|{row['height']}",
                        "order": int(idx),
                        **{k: _plain(row[k]) for k in ("file", "page", "line", "field", "index", "x", "y")},
                        **{k: _plain(row[k]) for k in ("width", "height", "digit", "confidence")},
                        **{k: _plain(row[k]) for k in ("second_digit", "second_confidence")},
                    }
                    item.update(crops_for(page, row, same_field))
                    items.append(item)
            if wanted:
                raise InputNotFoundError(
                    f"page {min(wanted)} of {path} cannot be read, and holds flagged digits",
                    "pass --scans the folder that was scanned",
                )
        items.sort(key=lambda it: (it["confidence"], it["order"]))
        ok_pages = results[results["status"] != Status.ERROR.value][["file", "page"]].drop_duplicates()
        summary = ReviewSummary(
            files=int(results["file"].nunique()),
            pages=len(ok_pages),
            digits=len(digits),
            flagged=len(flagged),
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
                "error_files": summary.error_files,
            },
            "items": items,
        }
        template = resources.files("batchreader.verify").joinpath("templates/review.html").read_text(encoding="utf-8")
        html = template.replace(
            "__HISTOGRAM__", _histogram_svg(digits["confidence"].to_numpy(np.float64), threshold)
        ).replace("__DATA__", _script_json(data))
        output.tmp.write_text(html, encoding="utf-8")
        output.commit()
    except BaseException:
        output.discard()
        raise
    log.info("review report: %d of %d digits flagged -> %s", summary.flagged, summary.digits, out)
    return summary


def _plain(value):
    """numpy/pandas scalars to JSON-able Python values."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float):
        return round(value, 4)
    return value


def _script_json(data: dict) -> str:
    """JSON safe inside a <script> element: no '<', '>' or '&' can end it or open a tag."""
    return (
        json.dumps(data, ensure_ascii=True, separators=(",", ":"))
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )
