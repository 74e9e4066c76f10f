"""Synthetic scanned pages with known ground truth, for tests, samples and benchmarks.

Real MNIST digits (test split in tests and benchmarks, never the training split) are
written onto a page in numbers of several digits, then the page goes through what
scanning does to paper: pen width, ink colour, paper tone, uneven light, blur,
noise, JPEG and 1-bit thresholding. Every digit's box and label is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Style:
    """How a synthetic page looks."""

    name: str = "clean"
    dpi: int = 300
    page_mm: tuple[float, float] = (148.0, 105.0)
    """Page width and height in millimetres (A6 landscape by default: small files)."""
    digit_mm: tuple[float, float] = (6.0, 9.0)
    pen: float = 1.0
    """Stroke width factor: below 1 a fine pen, above 1 a marker."""
    skipping: bool = False
    """A fine pen that skips (a failing ballpoint, faint pencil): strokes thinned by
    re-thresholding, so their lighter stretches break into pieces. Otherwise a fine pen
    draws whole strokes, thinner."""
    ink_rgb: tuple[int, int, int] = (20, 20, 25)
    paper_rgb: tuple[int, int, int] = (250, 249, 245)
    light_falloff: float = 0.0
    """Darkening towards one corner (phone photos, 0..0.5)."""
    hard_shadow: float = 0.0
    """Darkness (0..1) of a sharp-edged shadow over one side of the page (the phone's,
    on a photo); 0 for none."""
    blur: float = 0.0
    noise: float = 0.0
    binary: bool = False
    """1-bit output (fax)."""
    rows: int = 5
    fields_per_row: tuple[int, int] = (1, 3)
    digits_per_field: tuple[int, int] = (2, 6)
    spacing: tuple[float, float] = (0.12, 0.35)
    """Gap between digits of a number, in digit heights (negative: they touch)."""
    boxes: str = ""
    """"comb": each number written in a printed comb box, one cell a digit; "" none."""
    ruled: bool = False
    """Printed ruled lines that the digits sit on (and often cross)."""
    printed: bool = False
    """Printed labels and numbers beside the handwriting (not to be read)."""
    marks: bool = False
    """X marks, ticks, dashes and a scribbled signature (not to be read)."""
    words: bool = False
    """Words handwritten in block capitals before the numbers (NAME, KAREN, REF): letters
    are not digits, though their strokes alone look like 1s and 7s."""
    dashes: bool = False
    """Numbers written in groups parted by handwritten dashes (a phone number 555-0192,
    a date 12-03-26): a dash is no digit, and the number is one field."""
    cell_marks: float = 0.0
    """Share of comb cells that hold an X, a tick or a dash instead of a digit (a cell
    crossed out or left void on purpose): not to be read, nor to make the number text."""
    skew_deg: float = 0.0
    """Rotation of the whole page (random sign)."""
    letterhead: bool = False
    """A solid logo and a company name in the top margin, and a large faint watermark
    across the page (not to be read)."""
    show_through: float = 0.0
    """Darkness (0..1) of the back of the sheet's handwriting showing through, mirrored
    and blurred; 0 for none."""


STYLES: dict[str, Style] = {
    "clean": Style(),
    "thin-pen": Style(name="thin-pen", pen=0.6),
    "marker": Style(name="marker", pen=1.8),
    "blue-ink": Style(name="blue-ink", ink_rgb=(25, 45, 170), paper_rgb=(245, 243, 232), noise=4.0),
    "pencil": Style(name="pencil", ink_rgb=(120, 120, 125), pen=0.8, skipping=True, noise=3.0),
    "photo": Style(name="photo", light_falloff=0.35, hard_shadow=0.35, blur=0.8, noise=5.0, paper_rgb=(225, 220, 205)),
    "fax": Style(name="fax", dpi=200, binary=True, noise=6.0, blur=0.6),
    "small-200dpi": Style(name="small-200dpi", dpi=200, digit_mm=(4.5, 6.0)),
    "touching": Style(name="touching", spacing=(-0.12, 0.0)),
    "comb-boxes": Style(name="comb-boxes", boxes="comb", digits_per_field=(3, 6)),
    "ruled": Style(name="ruled", ruled=True),
    "printed-text": Style(name="printed-text", printed=True),
    "marks": Style(name="marks", marks=True),
    "skewed": Style(name="skewed", skew_deg=4.0),
    "skipping-pen": Style(name="skipping-pen", pen=0.6, skipping=True),
    "letterhead": Style(name="letterhead", letterhead=True, show_through=0.25, marks=False),
    # combs of two to four cells, as a date's DD, MM and YYYY
    "short-combs": Style(name="short-combs", boxes="comb", digits_per_field=(2, 4), fields_per_row=(2, 3)),
    "dashes": Style(name="dashes", dashes=True, digits_per_field=(3, 6)),
    "words": Style(name="words", words=True),
    "crossed-cells": Style(name="crossed-cells", boxes="comb", digits_per_field=(3, 6), cell_marks=0.2),
}


@dataclass
class SynthPage:
    """A rendered page (RGB uint8) and the truth rows for its digits (without file/page)."""

    rgb: np.ndarray
    truth: list[dict]

    @property
    def gray(self) -> np.ndarray:
        return cv2.cvtColor(self.rgb, cv2.COLOR_RGB2GRAY)


def digit_ink(img28: np.ndarray, height_px: int, pen: float, skipping: bool = False) -> np.ndarray:
    """Crop an MNIST digit to its ink, scale it to ``height_px`` and set the pen width."""
    a = img28.astype(np.float32) / 255.0
    rows = np.flatnonzero((a > 0.1).any(axis=1))
    cols = np.flatnonzero((a > 0.1).any(axis=0))
    a = a[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    h, w = a.shape
    scale = height_px / h
    big = cv2.resize(a, (max(1, round(w * scale)), height_px), interpolation=cv2.INTER_CUBIC)
    big = np.clip(big, 0, 1)
    if pen < 1 and not skipping:
        # a fine pen: the digit's centre line, drawn with a narrower nib (MNIST strokes
        # are ~2.5 px wide at 20 px, an eighth of the height)
        from skimage.morphology import skeletonize

        centre = skeletonize(big > 0.5)
        distance = cv2.distanceTransform((~centre).astype(np.uint8), cv2.DIST_L2, 3)
        half_width = max(1.0, pen * height_px / 16)
        return np.clip(half_width - distance + 0.5, 0, 1).astype(np.float32)
    # MNIST strokes are ~2.5 px at 20 px; re-threshold at a level that gives the pen width wanted
    level = float(np.clip(0.5 / pen, 0.15, 0.85))
    soft = np.clip((big - level) / 0.15 + 0.5, 0, 1)
    return soft


def render_page(
    digits: np.ndarray,
    labels: np.ndarray,
    rng: np.random.Generator,
    style: Style = STYLES["clean"],
) -> tuple[SynthPage, int]:
    """Write as many of ``digits`` as fit on one page. Returns the page and how many were used."""
    px_per_mm = style.dpi / 25.4
    width, height = (int(round(s * px_per_mm)) for s in style.page_mm)
    ink = np.zeros((height, width), np.float32)  # handwriting
    printed = np.zeros((height, width), np.uint8)  # form print: lines, boxes, text
    truth: list[dict] = []
    used = 0
    margin = int(10 * px_per_mm)
    row_pitch = (height - 2 * margin) / style.rows
    for line in range(1, style.rows + 1):
        x = margin + int(rng.integers(0, int(10 * px_per_mm)))
        base = margin + int((line - 0.5) * row_pitch)
        field_h0 = int(rng.uniform(*style.digit_mm) * px_per_mm)
        if style.ruled:
            y_rule = base + int(field_h0 * rng.uniform(0.3, 0.5))
            cv2.line(printed, (margin // 2, y_rule), (width - margin // 2, y_rule), 255, max(1, style.dpi // 150))
        n_fields = int(rng.integers(style.fields_per_row[0], style.fields_per_row[1] + 1))
        for field_no in range(1, n_fields + 1):
            if style.printed:
                x = _print_label(printed, x, base, field_h0, rng, width - margin)
            if style.marks and rng.random() < 0.5:
                x = _draw_mark(ink, x, base, field_h0, rng, width - margin)
            if style.words and rng.random() < 0.6:
                x = _draw_word(ink, x, base, field_h0, rng, width - margin)
            n_digits = int(rng.integers(style.digits_per_field[0], style.digits_per_field[1] + 1))
            field_h = int(field_h0 * rng.uniform(0.9, 1.1))
            cell = int(field_h * 1.0)
            if style.boxes == "comb":
                n_digits = min(n_digits, max(0, (width - margin - x) // cell - 1))
                _draw_comb(printed, x, base, cell, n_digits, field_h, rng, style.dpi)
            placed = []
            for index in range(1, n_digits + 1):
                if used >= len(digits):
                    break
                if style.boxes == "comb" and style.cell_marks and rng.random() < style.cell_marks:
                    _draw_cell_mark(ink, x + (index - 1) * cell, base, cell, rng)
                    continue
                h = int(field_h * (rng.uniform(0.62, 0.75) if style.boxes else rng.uniform(0.9, 1.1)))
                glyph = digit_ink(digits[used], h, style.pen, style.skipping)
                gh, gw = glyph.shape
                if style.boxes == "comb":
                    gx = (
                        x
                        + (index - 1) * cell
                        + max(1, (cell - gw) // 2)
                        + int(rng.integers(-cell // 10, cell // 10 + 1))
                    )
                    y = base - gh // 2 + int(rng.integers(-gh // 6, gh // 6 + 1))
                else:
                    gx = x
                    y = base - gh // 2 + int(rng.integers(-gh // 10, gh // 10 + 1))
                if gx + gw >= width - margin:
                    break
                region = ink[y : y + gh, gx : gx + gw]
                np.maximum(region, glyph, out=region)
                ys, xs = np.nonzero(glyph > 0.5)
                placed.append(
                    {
                        "line": line,
                        "field": field_no,
                        "index": index,
                        "x": gx + int(xs.min()),
                        "y": y + int(ys.min()),
                        "width": int(xs.max() - xs.min() + 1),
                        "height": int(ys.max() - ys.min() + 1),
                        "digit": int(labels[used]),
                    }
                )
                used += 1
                if not style.boxes:
                    x += gw + int(field_h * rng.uniform(*style.spacing))
                    if style.dashes and index + 1 < n_digits and rng.random() < 0.4:
                        x = _draw_dash(ink, x, base, field_h, rng, style.spacing)
            if style.boxes == "comb":
                x += n_digits * cell
            truth.extend(placed)
            x += int(field_h * rng.uniform(1.6, 3.0))
            if x >= width - margin - field_h:
                break
    if style.letterhead:
        _draw_letterhead(printed, ink, margin, rng)
    if style.show_through:
        # the back's writing: this page's own, mirrored and moved half a line, faint and blurred
        back = np.roll(ink[:, ::-1], int(row_pitch / 2), axis=0)
        back = cv2.GaussianBlur(back, (0, 0), style.dpi / 150)
        np.maximum(ink, back * style.show_through * rng.uniform(0.6, 1.0), out=ink)
    ink = np.maximum(ink, printed.astype(np.float32) / 255.0)
    if style.skew_deg:
        ink, truth = _rotate(ink, truth, style.skew_deg * rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.0))
    return SynthPage(_scan(ink, style, rng), truth), used


def _draw_comb(printed, x, base, cell, n, field_h, rng, dpi) -> None:
    """A printed comb box: a frame of ``n`` cells, or only its bottom line and teeth."""
    top, bottom = base - int(field_h * 0.55), base + int(field_h * 0.55)
    t = max(1, dpi // 150)
    full = rng.random() < 0.5
    if full:
        cv2.rectangle(printed, (x, top), (x + n * cell, bottom), 255, t)
    else:
        cv2.line(printed, (x, bottom), (x + n * cell, bottom), 255, t)
    for k in range(0, n + 1):
        y0 = top if full else bottom - (bottom - top) // 3
        cv2.line(printed, (x + k * cell, y0), (x + k * cell, bottom), 255, t)


_LABELS = ["Total", "Date:", "Amount", "Ref. No.", "Qty", "Form 1040", "Page 2 of 3", "No.", "Code", "Tel. 555"]


def _print_label(printed, x, base, field_h, rng, limit) -> int:
    """Print a form label (words and printed numbers) at ``x``; return where writing may start.

    The print uses fonts that the model's not-a-digit class never trains on, so the
    benchmark does not flatter the model.
    """
    from batchreader.training.fonts import HELD_OUT_FONTS, render_text

    text = str(rng.choice(_LABELS))
    stamp = render_text(text, str(rng.choice(HELD_OUT_FONTS)), max(8, int(field_h * 0.55)))
    if x + stamp.shape[1] + field_h >= limit:
        return x
    top = base + int(field_h * 0.3) - stamp.shape[0]  # printed text sits on the writing's baseline
    region = printed[top : top + stamp.shape[0], x : x + stamp.shape[1]]
    np.maximum(region, stamp[: region.shape[0], : region.shape[1]], out=region)
    return x + stamp.shape[1] + int(field_h * rng.uniform(0.8, 1.4))


def _draw_letterhead(printed, ink, margin, rng) -> None:
    """A solid logo and a company name in the top margin (print), and a large faint
    watermark turned across the page (drawn into ``ink`` at an eighth to a quarter of
    full darkness)."""
    from batchreader.training.fonts import HELD_OUT_FONTS, render_text

    height, width = printed.shape
    r = int(margin * 0.35)
    x = width - int(margin * rng.uniform(4.5, 6.0))
    if rng.random() < 0.5:
        cv2.circle(printed, (x, margin // 2), r, 255, -1)
    else:
        cv2.rectangle(printed, (x - r, margin // 2 - r), (x + r, margin // 2 + r), 255, -1)
    name = render_text(str(rng.choice(["ACME Ltd", "Northwind", "City Archive"])), str(rng.choice(HELD_OUT_FONTS)), r)
    name = name[:, : max(0, width - (x + 2 * r) - margin // 4)]
    top = margin // 2 - name.shape[0] // 2
    region = printed[top : top + name.shape[0], x + 2 * r : x + 2 * r + name.shape[1]]
    np.maximum(region, name[: region.shape[0], : region.shape[1]], out=region)
    word = render_text(str(rng.choice(["COPY", "CONFIDENTIAL", "DRAFT"])), str(rng.choice(HELD_OUT_FONTS)), height // 4)
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), float(rng.uniform(15, 35)), 1.0)
    canvas = np.zeros((height, width), np.float32)
    h, w = min(height, word.shape[0]), min(width, word.shape[1])
    canvas[(height - h) // 2 : (height - h) // 2 + h, (width - w) // 2 : (width - w) // 2 + w] = word[:h, :w] / 255.0
    mark = cv2.warpAffine(canvas, turn, (width, height)) * float(rng.uniform(0.12, 0.25))
    np.maximum(ink, mark, out=ink)


def _draw_mark(ink, x, base, field_h, rng, limit) -> int:
    """A handwritten non-digit: X mark, tick, dash or a signature scribble."""
    kind = int(rng.integers(4))
    w = int(field_h * (3.0 if kind == 3 else 0.8))
    if x + w + field_h >= limit:
        return x
    t = max(2, field_h // 14)
    canvas = np.zeros_like(ink, dtype=np.uint8)
    top, bottom = base - field_h // 2, base + field_h // 2
    if kind == 0:
        cv2.line(canvas, (x, top), (x + w, bottom), 255, t, cv2.LINE_AA)
        cv2.line(canvas, (x + w, top), (x, bottom), 255, t, cv2.LINE_AA)
    elif kind == 1:
        pts = np.array([[x, base], [x + w // 3, bottom], [x + w, top]], np.int32)
        cv2.polylines(canvas, [pts], False, 255, t, cv2.LINE_AA)
    elif kind == 2:
        cv2.line(canvas, (x, base), (x + w, base + int(rng.integers(-3, 4))), 255, t, cv2.LINE_AA)
    else:
        n = 12
        xs = np.linspace(x, x + w, n)
        ys = base + rng.uniform(-0.5, 0.5, n) * field_h
        cv2.polylines(canvas, [np.stack([xs, ys], 1).astype(np.int32)], False, 255, t, cv2.LINE_AA)
    np.maximum(ink, canvas.astype(np.float32) / 255.0, out=ink)
    return x + w + int(field_h * rng.uniform(1.0, 1.6))


# block capitals as pen strokes in a unit box (x right, y down); only letters that no
# one would take for a digit on their own (no I, O, S, Z, B, G, L, J)
_CAPITALS = {
    "A": [[(0, 1), (0.5, 0), (1, 1)], [(0.25, 0.6), (0.75, 0.6)]],
    "D": [[(0, 0), (0, 1)], [(0, 0), (0.6, 0), (1, 0.3), (1, 0.7), (0.6, 1), (0, 1)]],
    "E": [[(1, 0), (0, 0), (0, 1), (1, 1)], [(0, 0.5), (0.7, 0.5)]],
    "F": [[(1, 0), (0, 0), (0, 1)], [(0, 0.5), (0.7, 0.5)]],
    "H": [[(0, 0), (0, 1)], [(1, 0), (1, 1)], [(0, 0.5), (1, 0.5)]],
    "K": [[(0, 0), (0, 1)], [(1, 0), (0, 0.55), (1, 1)]],
    "M": [[(0, 1), (0, 0), (0.5, 0.6), (1, 0), (1, 1)]],
    "N": [[(0, 1), (0, 0), (1, 1), (1, 0)]],
    "P": [[(0, 1), (0, 0), (0.8, 0), (1, 0.2), (0.8, 0.45), (0, 0.45)]],
    "R": [[(0, 1), (0, 0), (0.8, 0), (1, 0.2), (0.8, 0.45), (0, 0.45)], [(0.4, 0.45), (1, 1)]],
    "T": [[(0, 0), (1, 0)], [(0.5, 0), (0.5, 1)]],
    "U": [[(0, 0), (0, 0.8), (0.2, 1), (0.8, 1), (1, 0.8), (1, 0)]],
    "V": [[(0, 0), (0.5, 1), (1, 0)]],
    "W": [[(0, 0), (0.25, 1), (0.5, 0.4), (0.75, 1), (1, 0)]],
    "X": [[(0, 0), (1, 1)], [(1, 0), (0, 1)]],
    "Y": [[(0, 0), (0.5, 0.5), (1, 0)], [(0.5, 0.5), (0.5, 1)]],
}
_WORDS = [
    "NAME",
    "DATE",
    "PAYEE",
    "MAX",
    "HANNAH",
    "KAREN",
    "PETER",
    "YEAR",
    "NET",
    "KEY",
    "VAN",
    "ANNA",
    "FRANK",
    "NEW",
    "DEPT",
    "REF",
    "MARY",
    "HENRY",
    "ANDREW",
    "TED",
]


def _draw_word(ink, x, base, field_h, rng, limit) -> int:
    """A word handwritten in block capitals, each letter's strokes wobbling a little."""
    word = str(rng.choice(_WORDS))
    h = int(field_h * rng.uniform(0.8, 1.05))
    widths = [h * rng.uniform(0.55, 0.8) for _ in word]
    gaps = [h * rng.uniform(0.1, 0.35) for _ in word]
    if x + sum(widths) + sum(gaps) + field_h >= limit:
        return x
    thick = max(2, int(h * rng.uniform(0.07, 0.12)))
    slant = rng.uniform(-0.15, 0.25)
    top = base - h // 2 + int(rng.integers(-h // 10, h // 10 + 1))
    canvas = np.zeros_like(ink, dtype=np.uint8)
    for letter, w, gap in zip(word, widths, gaps):
        for stroke in _CAPITALS[letter]:
            corners = np.array([(x + px * w + (1 - py) * h * slant, top + py * h) for px, py in stroke], np.float32)
            corners += rng.normal(0, h * 0.03, corners.shape).astype(np.float32)
            steps = [
                a + (b - a) * share
                for a, b in zip(corners[:-1], corners[1:])
                for share in np.linspace(0, 1, 8, endpoint=False)
            ]
            path = np.array([*steps, corners[-1]], np.float32) + rng.normal(0, h * 0.008, (len(steps) + 1, 2))
            cv2.polylines(canvas, [path.astype(np.int32)], False, 255, thick, cv2.LINE_AA)
        x += int(w + gap)
    np.maximum(ink, canvas.astype(np.float32) / 255.0, out=ink)
    return x + int(field_h * rng.uniform(1.0, 1.6))


def _draw_cell_mark(ink, x, base, cell, rng) -> None:
    """An X, a tick or a dash handwritten in the comb cell starting at ``x``."""
    kind = int(rng.integers(3))
    t = max(2, cell // 14)
    m = int(cell * rng.uniform(0.15, 0.3))
    top, bottom = base - int(cell * rng.uniform(0.2, 0.35)), base + int(cell * rng.uniform(0.2, 0.35))
    canvas = np.zeros_like(ink, dtype=np.uint8)
    if kind == 0:
        cv2.line(canvas, (x + m, top), (x + cell - m, bottom), 255, t, cv2.LINE_AA)
        cv2.line(canvas, (x + cell - m, top), (x + m, bottom), 255, t, cv2.LINE_AA)
    elif kind == 1:
        pts = np.array([[x + m, base], [x + cell // 2 - m // 2, bottom], [x + cell - m, top]], np.int32)
        cv2.polylines(canvas, [pts], False, 255, t, cv2.LINE_AA)
    else:
        cv2.line(canvas, (x + m, base), (x + cell - m, base + int(rng.integers(-3, 4))), 255, t, cv2.LINE_AA)
    np.maximum(ink, canvas.astype(np.float32) / 255.0, out=ink)


def _draw_dash(ink, x, base, field_h, rng, spacing) -> int:
    """A handwritten dash at ``x``, about mid-height, between two digits of a number;
    returns where the next digit starts."""
    t = max(2, field_h // 10)
    canvas = np.zeros_like(ink, dtype=np.uint8)
    w = int(field_h * rng.uniform(0.25, 0.5))
    y = base + int(field_h * rng.uniform(-0.1, 0.1))
    cv2.line(canvas, (x, y), (x + w, y + int(rng.integers(-3, 4))), 255, t, cv2.LINE_AA)
    np.maximum(ink, canvas.astype(np.float32) / 255.0, out=ink)
    return x + w + int(field_h * rng.uniform(*spacing))


def _rotate(ink: np.ndarray, truth: list[dict], degrees: float) -> tuple[np.ndarray, list[dict]]:
    """Rotate the page about its centre; boxes become the bounds of their rotated corners."""
    h, w = ink.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    rotated = cv2.warpAffine(ink, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)
    out = []
    for t in truth:
        corners = np.array(
            [
                [t["x"], t["y"]],
                [t["x"] + t["width"], t["y"]],
                [t["x"], t["y"] + t["height"]],
                [t["x"] + t["width"], t["y"] + t["height"]],
            ],
            np.float64,
        )
        moved = corners @ m[:, :2].T + m[:, 2]
        x0, y0 = moved.min(axis=0)
        x1, y1 = moved.max(axis=0)
        out.append({**t, "x": int(x0), "y": int(y0), "width": int(x1 - x0), "height": int(y1 - y0)})
    return rotated, out


def _scan(ink: np.ndarray, style: Style, rng: np.random.Generator) -> np.ndarray:
    """Turn an ink layer into what a scanner or camera would deliver (RGB uint8)."""
    h, w = ink.shape
    paper = np.array(style.paper_rgb, np.float32)
    colour = np.array(style.ink_rgb, np.float32)
    rgb = paper[None, None, :] * (1 - ink[..., None]) + colour[None, None, :] * ink[..., None]
    if style.light_falloff:
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        light = 1.0 - style.light_falloff * ((xx / w) ** 2 + (yy / h) ** 2) / 2
        rgb *= light[..., None]
    if style.hard_shadow:
        # a straight-edged shadow over one side, its edge a little soft (drawn from a
        # child generator: the page's own stream, and so its digits, stay as they were)
        (own,) = rng.spawn(1)
        top, bottom = (int(w * own.uniform(0.25, 0.75)) for _ in range(2))
        shade = np.zeros((h, w), np.float32)
        cv2.fillPoly(shade, [np.array([[top, 0], [w, 0], [w, h], [bottom, h]], np.int32)], 1.0)
        if own.random() < 0.5:
            shade = shade[:, ::-1]
        shade = cv2.GaussianBlur(shade, (0, 0), own.uniform(2.0, 6.0))
        rgb *= 1 - style.hard_shadow * own.uniform(0.7, 1.0) * shade[..., None]
    if style.blur:
        rgb = cv2.GaussianBlur(rgb, (0, 0), style.blur)
    if style.noise:
        rgb += rng.normal(0, style.noise, rgb.shape).astype(np.float32)
    rgb = np.clip(rgb, 0, 255).astype(np.uint8)
    if style.binary:
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        bw = np.where(gray > 150, 255, 0).astype(np.uint8)
        rgb = np.dstack([bw, bw, bw])
    return rgb


def render_pages(
    digits: np.ndarray,
    labels: np.ndarray,
    count: int,
    style: Style,
    seed: int = 0,
) -> list[SynthPage]:
    """Render ``count`` pages in one style from a pool of digits (used in order, cycling)."""
    rng = np.random.default_rng(seed)
    pages = []
    start = 0
    for _ in range(count):
        idx = (np.arange(start, start + 200)) % len(digits)
        page, used = render_page(digits[idx], labels[idx], rng, style)
        start += used
        pages.append(page)
    return pages


def save_scan(pages: list[SynthPage], path, dpi: int, binary: bool = False, quality: int = 85) -> None:
    """Save synthetic pages as a scan file; the format follows the suffix.

    ``.tif``/``.tiff`` and ``.pdf`` hold all pages (TIFF 1-bit with Group 4 when
    ``binary``); ``.png``, ``.jpg`` and ``.bmp`` hold the first page only.
    """
    from pathlib import Path

    from PIL import Image

    path = Path(path)
    suffix = path.suffix.lower()
    images = [Image.fromarray(p.rgb) for p in pages]
    if binary:
        images = [im.convert("L").point(lambda v: 255 if v > 127 else 0).convert("1") for im in images]
    elif all(np.array_equal(p.rgb[..., 0], p.rgb[..., 2]) for p in pages):
        images = [im.convert("L") for im in images]
    first, rest = images[0], images[1:]
    if suffix in (".tif", ".tiff"):
        kwargs = {"compression": "group4"} if binary else {"compression": "tiff_lzw"}
        first.save(path, save_all=True, append_images=rest, dpi=(dpi, dpi), **kwargs)
    elif suffix == ".pdf":
        first.save(path, save_all=True, append_images=rest, resolution=float(dpi))
    elif suffix in (".jpg", ".jpeg"):
        first.convert("RGB").save(path, quality=quality, dpi=(dpi, dpi))
    else:
        first.save(path, dpi=(dpi, dpi))


def truth_rows(pages: list[SynthPage], file: str) -> list[dict]:
    """Ground-truth rows (``TRUTH_COLUMNS``) for pages saved as ``file``."""
    rows = []
    for number, page in enumerate(pages, start=1):
        rows.extend({"file": file, "page": number, **t} for t in page.truth)
    return rows


def blank_page(style: Style, rng: np.random.Generator) -> SynthPage:
    """A page with no writing at all, scanned in ``style``."""
    px_per_mm = style.dpi / 25.4
    width, height = (int(round(s * px_per_mm)) for s in style.page_mm)
    return SynthPage(_scan(np.zeros((height, width), np.float32), style, rng), [])
