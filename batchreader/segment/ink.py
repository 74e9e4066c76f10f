"""The ink of a page: its strokes told from the paper, whatever the light.

The paper's own colour is estimated and subtracted (shadows, vignetting, coloured
paper, solid print), and the strokes are thresholded with hysteresis and labelled in
one pass. :mod:`batchreader.segment.glyphs` builds glyphs from them.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


def ink_map(gray: np.ndarray, window: int | None = None) -> np.ndarray:
    """Return ink intensity (0 = paper) relative to the local paper colour.

    The paper is estimated with a closing (a max filter wider than any stroke, then a
    min filter as wide) on a reduced copy of the page, so shadows, vignetting and
    coloured paper subtract away. The max filter alone would light the rim of a hard
    shadow (a phone's, across the page) and make it a band of ink; the min filter
    puts the shadow's edge back where it is. The filter is a twentieth of the page
    wide: narrower, it saw no paper inside the dense ink of a marker's loops.

    A solid print wider than the filter (a logo, a filled box, a black header band)
    would pass for paper there, and only its rim would be ink: a ring, read as a 0.
    Where the estimate is under SOLID_PRINT of the page's paper (darker than a shadow
    leaves paper), the nearest paper around is taken instead.
    """
    h, w = gray.shape
    factor = 4 if min(h, w) >= 400 else 1
    small = cv2.resize(gray, (max(1, w // factor), max(1, h // factor)), interpolation=cv2.INTER_AREA)
    window = window or int(np.clip(min(h, w) / 20, 5 * factor, 31 * factor))
    k = max(5, window // factor) | 1
    paper = _closing(small, k)
    paper = cv2.medianBlur(paper, 5)
    solid = paper < SOLID_PRINT * float(np.median(paper[::4, ::4]))
    if solid.any() and not solid.all():
        # with the median filter's blurred edge round it
        solid = cv2.dilate(solid.view(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))) > 0
        # each pixel's nearest paper pixel (labels of the zero pixels of the input)
        _, nearest = cv2.distanceTransformWithLabels(
            solid.astype(np.uint8), cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL
        )
        value = np.zeros(int(nearest.max()) + 1, paper.dtype)
        value[nearest[~solid]] = paper[~solid]
        paper = value[nearest]
    paper = cv2.resize(paper, (w, h), interpolation=cv2.INTER_LINEAR)
    paper = np.maximum(paper, gray)
    return cv2.subtract(paper, gray)


def field_window(height: int) -> int:
    """The paper filter's width for a field ``height`` pixels high: a sixth of it, wider
    than the strokes of a number written to fill the field (a marker's are a tenth of
    the digit height). At the page's twentieth of a 60-px cheque amount (5 px), the
    filter saw no paper inside the strokes, which kept little contrast against a
    security background."""
    return int(height / 6)


def _closing(image: np.ndarray, k: int) -> np.ndarray:
    """A closing with a k x k square whose window stays centred near the image's edges.

    Clipped by an edge, a window sees the image on one side only, and a closing no
    longer restores a slanted shadow edge there: the shadow's rim is lit along the
    page's border, a speck of ink. The rows (then columns) d to 2d - 1 pixels from the
    border are closed with a window 2d + 1 high (wide) instead, the rest with the full
    square; the corners keep the rows' value.
    """
    h, w = image.shape
    out = cv2.morphologyEx(image, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    r = k // 2
    if min(h, w) <= 6 * r:
        return out  # a small crop: no room for bands
    # each band is closed on a strip of the image 3r deep, all that its windows see
    strips = {
        "left": image[:, : 3 * r + 1],
        "right": image[:, w - 3 * r - 1 :],
        "top": image[: 3 * r + 1],
        "bottom": image[h - 3 * r - 1 :],
    }
    d = 0
    while d < r:
        rows = slice(d, min(2 * d, r - 1) + 1)  # distances d .. 2d - 1 (0 and 1 alone)
        far = slice(-rows.start - 1, -rows.stop - 1, -1)  # the same distances from the far side
        tall = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * d + 1, k))
        out[r : h - r, rows] = cv2.morphologyEx(strips["left"], cv2.MORPH_CLOSE, tall)[r : h - r, rows]
        out[r : h - r, w - 1 - rows.start : w - 1 - rows.stop : -1] = cv2.morphologyEx(
            strips["right"], cv2.MORPH_CLOSE, tall
        )[r : h - r, far]
        wide = cv2.getStructuringElement(cv2.MORPH_RECT, (k, 2 * d + 1))
        out[rows] = cv2.morphologyEx(strips["top"], cv2.MORPH_CLOSE, wide)[rows]
        closed = cv2.morphologyEx(strips["bottom"], cv2.MORPH_CLOSE, wide)
        out[h - 1 - rows.start : h - 1 - rows.stop : -1] = closed[far]
        d = max(1, 2 * d)
    return out


SOLID_PRINT = 0.35
"""Paper estimated darker than this share of the page's paper is solid print (see
:func:`ink_map`): print is nearly as dark as ink, while a phone's shadow leaves paper
at half its light or more (at 0.5, a deep shadow was taken for print, and its rim for
a band of ink)."""


@dataclass
class Components:
    """Connected components of a binary page: the mask, its labels and per-label stats
    (``cv2.CC_STAT_*`` columns; label 0 is the background)."""

    mask: np.ndarray
    labels: np.ndarray
    stats: np.ndarray

    @classmethod
    def of(cls, mask: np.ndarray) -> Components:
        labels, stats, _ = label(mask)
        return cls(mask.astype(bool), labels, stats)


def label(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """8-connected components of a binary image: labels, stats and the flat indices of
    the foreground pixels.

    Same labels and stats as ``cv2.connectedComponentsWithStats``, at a third of the
    cost on a page: OpenCV's statistics pass visits every pixel, while ink covers a few
    percent of a page, so the statistics are gathered over the ink pixels only. (Row 0,
    the background, holds the whole image's box and the background's area.)
    """
    m = mask.view(np.uint8) if mask.dtype == bool else (mask != 0).view(np.uint8)
    n, labels = cv2.connectedComponents(m, connectivity=8, ltype=cv2.CV_32S)
    points = cv2.findNonZero(m)  # (x, y) in raster order; twice as fast as np.flatnonzero
    points = np.zeros((0, 2), np.int32) if points is None else points.reshape(-1, 2)
    cols, rows = points[:, 0].astype(np.int64), points[:, 1].astype(np.int64)
    flat = rows * m.shape[1] + cols
    stats = np.zeros((n, 5), np.int32)
    stats[0] = (0, 0, m.shape[1], m.shape[0], m.size - flat.size)
    if n > 1:
        which = labels.ravel()[flat]
        x0 = np.full(n, m.shape[1], np.int64)
        y0 = np.full(n, m.shape[0], np.int64)
        x1 = np.full(n, -1, np.int64)
        np.minimum.at(x0, which, cols)
        np.maximum.at(x1, which, cols)
        y0[which[::-1]] = rows[::-1]  # raster order: a label's first pixel is its top row
        y1 = np.zeros(n, np.int64)
        y1[which] = rows  # ...and its last pixel its bottom row
        stats[1:, cv2.CC_STAT_LEFT] = x0[1:]
        stats[1:, cv2.CC_STAT_TOP] = y0[1:]
        stats[1:, cv2.CC_STAT_WIDTH] = x1[1:] - x0[1:] + 1
        stats[1:, cv2.CC_STAT_HEIGHT] = y1[1:] - y0[1:] + 1
        stats[1:, cv2.CC_STAT_AREA] = np.bincount(which, minlength=n)[1:]
    return labels, stats, flat


def threshold_components(
    ink: np.ndarray, min_contrast: float, low_ratio: float, background: bool = False
) -> Components:
    """Binarise with hysteresis and label the strokes in one pass.

    Strokes need a seed above Otsu's level (never below ``min_contrast``) and grow
    through pixels down to ``low_ratio`` of it, so pencil holds together while
    show-through and paper texture, which never reach the seed level, vanish. Same result as
    ``skimage.filters.apply_hysteresis_threshold`` with 8-connectivity; labelling the
    faint mask once also gives the strokes' boxes, so the page is labelled once, not
    three times (labelling is the costliest step on a full page).

    With ``background``, the image is one field that may lie on a printed pattern (a
    cheque's guilloche, a tinted form): its ink falls in three classes, paper, the
    pattern's fine lines and the strokes, and only the darkest class seeds strokes
    (the upper of three-class Otsu levels), which grow through pixels down to
    PATTERN_GROWTH of it (never into the pattern's class). On plain paper the upper
    level parts the strokes' core from their rim, and the strokes come out thinner.
    Telling plain fields from patterned ones first (by where the middle class lies: at
    the strokes' rims, or away from them) read fewer real cheque amounts right
    (42.7% exact, against 45.0%): on real paper, grain and faint bridges between
    touching digits are the middle class as well.
    """
    if background and np.unique(ink[::2, ::2]).size >= 3:
        from skimage.filters import threshold_multiotsu

        paper_level, stroke_level = (float(t) for t in threshold_multiotsu(ink, classes=3))
        high = max(stroke_level, float(min_contrast))
        low = max(high * PATTERN_GROWTH, paper_level, min_contrast * 0.6)
    else:
        otsu, _ = cv2.threshold(ink, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        high = max(float(otsu), float(min_contrast))
        low = max(high * low_ratio, min_contrast * 0.6)
    faint = ink > low
    labels, stats, flat = label(faint)
    which = labels.ravel()[flat]
    strong = np.bincount(which[ink.ravel()[flat] > high], minlength=len(stats))
    seeded = strong > 0
    seeded[0] = False
    stats[~seeded, cv2.CC_STAT_AREA] = 0  # faint-only components are not strokes
    # a stroke grown mostly through faint ink has run into a faint print it touches (a
    # watermark's letters): it keeps only the faint ink within 3 px of its strong ink
    sprawling = np.flatnonzero(seeded & (stats[:, cv2.CC_STAT_AREA] > FAINT_SPRAWL * strong))
    if seeded[1:].all() and not sprawling.size:
        return Components(faint, labels, stats)
    mask = np.zeros(faint.shape, bool)
    mask.ravel()[flat] = seeded[which]
    if not sprawling.size:
        return Components(mask, labels, stats)
    near = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))
    for i in sprawling:
        x, y, w, h = stats[i, :4]
        own = labels[y : y + h, x : x + w] == i
        core = (own & (ink[y : y + h, x : x + w] > high)).view(np.uint8)
        mask[y : y + h, x : x + w] &= ~own | (cv2.dilate(core, near) > 0)
    return Components.of(mask)


PATTERN_GROWTH = 0.85
"""Strokes of a field grow through pixels down to this share of the seed level (see
:func:`threshold_components`). Real cheque amounts read exactly, on 2026-12-02: 39.2%
at 0.5, 40.7% at 0.6, 45.0% at 0.75, 45.9% at 0.9 (generated strips on plain paper
79.5, 75.0, 76.0 and 75.5%), and 0.75 was chosen. Measured again on 2026-12-04, once the
line an amount stands on was erased (:func:`batchreader.segment.lines.remove_baseline`):
49.3% at 0.65, 53.9% at 0.75, 54.6% at 0.8, 55.4% at 0.85, 54.7% at 0.875, 53.2% at 0.9,
53.0% at 0.95; generated strips 76.5 / 77.0% (plain / patterned) at 0.75, 75.5 / 76.0%
at 0.85. Lower, the pattern's lines join the strokes; higher, faint strokes keep only
their cores."""


FAINT_SPRAWL = 2.0
"""A stroke with more than this many times as many pixels as it has above the seed
level grew through faint print (see :func:`threshold_components`). On the benchmark's
pages strokes have at most 1.7 times (a photo's), digits joined to a watermark's letter
2.5 times and more."""
