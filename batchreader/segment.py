"""Finding handwritten digits on a page: ink map, threshold, ruled lines, contours,
merging, splitting, reading order and fields.

Every size threshold is a multiple of the page's own handwriting height, estimated
from its connected components, so the same code serves a 45-pixel cheque crop, a
300-dpi A4 scan and a phone photo.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from dataclasses import field as dc_field
from enum import IntEnum

import cv2
import numpy as np

log = logging.getLogger(__name__)


@dataclass
class Glyph:
    """One candidate digit: its box on the page and its own ink (neighbours masked out)."""

    x: int
    y: int
    width: int
    height: int
    ink: np.ndarray = dc_field(repr=False)
    """float32 ink intensity inside the box, zero outside this glyph's mask."""
    line: int = 0
    field: int = 0
    index: int = 0
    cuts: list[int] | None = None
    """Columns (from the glyph's left edge) where it may be cut into touching digits;
    None until asked for (see :func:`glyph_cuts`): most glyphs never need them."""
    fragment: bool = False
    """Too small to be a digit by itself: only ever read joined to a neighbour."""

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height

    @property
    def cy(self) -> float:
        return self.y + self.height / 2


@dataclass(frozen=True)
class Box:
    """A printed comb box or row of cells found on the page: digits inside are one field."""

    x0: int
    x1: int
    line_y: int
    """Row of the box's bottom line."""


@dataclass(frozen=True)
class SegmentConfig:
    """Tunable ratios; sizes are multiples of the estimated handwriting height."""

    min_contrast: int = 40
    """Weakest ink (0-255 darker than the local paper) that can seed a stroke."""
    low_ratio: float = 0.5
    """Hysteresis: pixels down to this share of the seed threshold join a stroke."""
    line_length: float = 3.0
    """Straight runs at least this many digit heights long are ruled lines or box edges."""
    comb_length: float = 1.6
    """...and shorter ones down to this length when two comb walls stand on them (the
    bottom line of a comb of two cells)."""
    tall_rule: float = 1.3
    """A ruler-straight vertical bar taller than this is a printed rule (a table's column
    line shorter than ``line_length``), not a 1."""
    min_digit_px: int = 10
    """No digit is shorter than this many pixels, whatever the page (smaller is dust)."""
    min_digit_mm: float = 1.5
    """No digit is shorter than this, on pages whose resolution is known."""
    min_height: float = 0.4
    fragment_height: float = 0.15
    """Pieces between this and ``min_height`` (in digit heights) are kept as fragments:
    parts of a digit broken by a fine pen or faint pencil, read only joined."""
    max_height: float = 3.0
    merge_gap: float = 0.35
    split_aspect: float = 0.75
    """A glyph wider than this times its height may be several touching digits."""
    touching_aspect: float = 0.4
    """...and one the model takes for touching digits, from this width on (a 1 written
    into its neighbour makes a pair narrower than ``split_aspect``)."""
    min_part: float = 0.12
    """Narrowest piece a cut may leave (a 1), in glyph heights."""
    max_part: float = 1.5
    """Widest single digit, in glyph heights."""
    max_cuts: int = 8
    """Most cut candidates in one glyph (the pieces to classify grow with their square)."""
    field_gap: float = 0.75
    line_tolerance: float = 0.6
    join_gap: float = 0.1
    """Glyphs of one field closer than this (in line heights) may be pieces of one broken digit."""
    join_aspect: float = 1.35
    """...when together they are no wider than this times their height (a wide 0 is
    1.3 times)."""
    join_glyphs: int = 3
    """Most glyphs one broken digit may have fallen into."""
    letter_height: float = 0.5
    """Lone fragments at least this share of their field's height, level with another of
    its glyphs, are the small letters of printed words (see :func:`small_letters`)."""


DEFAULT_CONFIG = SegmentConfig()


def ink_map(gray: np.ndarray) -> np.ndarray:
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
    k = int(np.clip(min(h, w) / 20 / factor, 5, 31)) | 1
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


def threshold_components(ink: np.ndarray, config: SegmentConfig = DEFAULT_CONFIG) -> Components:
    """Binarise with hysteresis and label the strokes in one pass.

    Strokes need a seed above Otsu's level (never below ``min_contrast``) and grow
    through fainter pixels, so pencil holds together while show-through and paper
    texture, which never reach the seed level, vanish. Same result as
    ``skimage.filters.apply_hysteresis_threshold`` with 8-connectivity; labelling the
    faint mask once also gives the strokes' boxes, so the page is labelled once, not
    three times (labelling is the costliest step on a full page).
    """
    otsu, _ = cv2.threshold(ink, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    high = max(float(otsu), float(config.min_contrast))
    low = max(high * config.low_ratio, config.min_contrast * 0.6)
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


FAINT_SPRAWL = 2.0
"""A stroke with more than this many times as many pixels as it has above the seed
level grew through faint print (see :func:`threshold_components`). On the benchmark's
pages strokes have at most 1.7 times (a photo's), digits joined to a watermark's letter
2.5 times and more."""


def threshold(ink: np.ndarray, config: SegmentConfig = DEFAULT_CONFIG) -> np.ndarray:
    """The stroke mask of :func:`threshold_components`."""
    return threshold_components(ink, config).mask


def masked_ink(gray: np.ndarray, config: SegmentConfig = DEFAULT_CONFIG) -> np.ndarray:
    """Ink intensity where the page's strokes are, zero elsewhere: crop it at a known box
    to re-cut a digit (review corrections) the way the scan saw it."""
    ink = ink_map(gray)
    return np.where(threshold(ink, config), ink, 0).astype(np.float32)


def estimate_digit_height(stats: np.ndarray, image_height: int, floor: float = 10) -> float:
    """Median height of the page's plausible character-sized components, in pixels."""
    heights = stats[1:, cv2.CC_STAT_HEIGHT]
    areas = stats[1:, cv2.CC_STAT_AREA]
    ok = (heights >= floor) & (heights <= max(12, image_height * 0.8)) & (areas >= 12)
    if not ok.any():
        return float(max(8, min(image_height, 40)))
    return _typical_height(heights[ok])


def grown_digit_height(boxes: np.ndarray, height: float, floor: float, config: SegmentConfig = DEFAULT_CONFIG) -> float:
    """The digit height re-estimated from the pieces of broken digits put together.

    A pen that skips breaks most digits of a page into pieces, each shorter than the
    digit, and the median of pieces can be half the real height. So the pieces that one
    digit would be made of at the current estimate (:func:`_merge_pieces`) are grouped
    and measured again, until the estimate stops growing. Whole digits group with
    nothing and leave it where it was. ``boxes`` (x, y, w, h) are the page's strokes once
    printed lines are gone (comb walls would group with the digits in their cells).
    """
    heights = boxes[:, 3]
    if not len(heights) or ((heights >= 0.15 * height) & (heights < 0.6 * height)).mean() < BROKEN_SHARE:
        return height  # few pieces: digits are whole (and grouping all strokes costs time)
    for _ in range(GROWTH_ROUNDS):
        groups = _merge_pieces(boxes, LOOK_TALLER * height, config)
        heights = np.array([(boxes[g, 1] + boxes[g, 3]).max() - boxes[g, 1].min() for g in groups])
        heights = heights[(heights >= floor) & (heights <= 4 * height)]
        grown = _typical_height(heights) if heights.size else height
        if grown < 1.1 * height:
            break
        log.debug("digit height %.1f -> %.1f: digits in pieces", height, grown)
        height = grown
    return height


BROKEN_SHARE = 0.3
"""Growth is tried on pages where at least this share of the strokes are pieces (0.15 to
0.6 of the estimated height): 43-46% on the benchmark's skipping-pen pages that need it,
under 15% on pages of whole digits (printed labels' small letters make 45-60%)."""
GROWTH_ROUNDS = 4
"""Most times the height estimate is grown."""
LOOK_TALLER = 1.25
"""Each round groups the pieces as if the digits were this much taller than the last
estimate (pieces cut by a gap across the middle of a digit are each about as tall as
the estimate made from them, and would not group at it)."""


def _typical_height(heights: np.ndarray) -> float:
    ordered = np.sort(heights)
    return float(np.median(ordered[len(ordered) // 3 :]))


def remove_lines(
    mask: np.ndarray, digit_height: float, config: SegmentConfig = DEFAULT_CONFIG, stats: np.ndarray | None = None
) -> tuple[np.ndarray, list[Box]]:
    """Erase printed rules: long straight horizontal and vertical runs (ruled lines, box
    frames, table grids) and the short straight separators standing on them (comb
    boxes), then repair the strokes that crossed the erased lines.

    Returns the cleaned mask (``mask`` itself when nothing was erased) and the comb
    boxes found (lines carrying separators). ``stats`` of the mask's components, when
    given, let pages without any long component skip the search.
    """
    length = int(max(25, config.line_length * digit_height))
    short = int(max(12, min(config.comb_length * digit_height, length)))
    m = mask.astype(np.uint8)
    # a straight run of `length` pixels lies in a component at least that wide (or tall):
    # without one, the costly full-page openings can be skipped
    widths = stats[1:, cv2.CC_STAT_WIDTH] if stats is not None else None
    wide = widths is None or (widths >= length).any()
    tall = stats is None or (stats[1:, cv2.CC_STAT_HEIGHT] >= length).any()
    combs_possible = short < length and (widths is None or (widths >= short).any())
    if not wide and not tall and (not combs_possible or not _runs(m, short, stats).any()):
        return mask, []  # no line, nor a run that could be a short comb's
    horiz = np.zeros_like(m)
    vert = np.zeros_like(m)
    if wide:
        horiz = cv2.morphologyEx(m, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1)))
    if tall:
        vert = cv2.morphologyEx(m, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, length)))
    cleaned = m & ~(horiz | vert) & 1
    boxes: list[Box] = []
    if horiz.any():
        cleaned, boxes, _ = _remove_separators(cleaned, horiz, digit_height)
    if combs_possible:
        # combs of two or three cells (a date's DD and MM) have bottom lines shorter than
        # a ruled line: a shorter straight run is a comb's when two walls stand on it
        runs = _runs(cleaned, short, stats)
        found = cv2.findNonZero(runs)
        if found is not None:
            # the runs' region, with room for the walls standing on them
            x, y, w, h = cv2.boundingRect(found)
            pad = int(2 * digit_height)
            rows = slice(max(0, y - pad), min(m.shape[0], y + h + pad))
            cols = slice(max(0, x - pad), min(m.shape[1], x + w + pad))
            region, region_runs = cleaned[rows, cols], runs[rows, cols]
            unlined = region & ~region_runs & 1
            trial, more, combs = _remove_separators(unlined, region_runs, digit_height, min_walls=2)
            if more:
                boxes += [Box(b.x0 + cols.start, b.x1 + cols.start, b.line_y + rows.start) for b in more]
                cleaned[rows, cols] = region & ~combs & ~(unlined & ~trial) & 1
                horiz[rows, cols] |= combs
    if not horiz.any() and not vert.any():
        return mask, []
    bridge = int(max(3, digit_height * 0.12)) | 1
    # a stroke crossing a line is cut in two; close the cut only inside the erased band
    fill_h = cv2.morphologyEx(cleaned, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (1, bridge)))
    fill_v = cv2.morphologyEx(cleaned, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (bridge, 1)))
    repaired = cleaned | (fill_h & horiz) | (fill_v & vert)
    return repaired.astype(bool), boxes


def _runs(mask: np.ndarray, length: int, stats: np.ndarray | None) -> np.ndarray:
    """The horizontal straight runs of at least ``length`` pixels in a 0/1 mask: an
    opening, over the boxes of the components at least that wide only (``stats``, when
    given: a run lies inside one), not the whole page."""
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1))
    if stats is None:
        return cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
    runs = np.zeros_like(mask)
    for x, y, w, h in stats[1:][stats[1:, cv2.CC_STAT_WIDTH] >= length, :4]:
        window = runs[y : y + h, x : x + w]
        np.maximum(window, cv2.morphologyEx(mask[y : y + h, x : x + w], cv2.MORPH_OPEN, kernel), out=window)
    return runs


def _line_thickness(lines: np.ndarray) -> float:
    """Mean thickness of horizontal lines: their pixels over the number of runs crossing columns."""
    points = cv2.findNonZero(lines)
    if points is None:
        return 0.0
    x, y, w, h = cv2.boundingRect(points)
    on = lines[y : y + h, x : x + w] > 0
    starts = np.count_nonzero(on[0]) + np.count_nonzero(on[1:] & ~on[:-1])
    return float(np.count_nonzero(on)) / max(1, starts)


def _remove_separators(
    cleaned: np.ndarray, horiz: np.ndarray, digit_height: float, min_walls: int = 1
) -> tuple[np.ndarray, list[Box], np.ndarray]:
    """Remove thin, ruler-straight vertical strokes that stand on an erased horizontal
    line: the cell walls and teeth of comb boxes. A handwritten 1 is rarely that
    straight and that thin, and rarely meets the line end-on.

    A line carrying two or more separators is a comb box; its extent is returned, with
    the mask of those lines. Only lines carrying ``min_walls`` separators or more lose
    theirs (a short straight run is a comb's bottom line only when walls stand on it).
    """
    thickness = _line_thickness(horiz)
    max_width = 1.6 * thickness + 1.5
    labels, stats, _ = label(cleaned)
    n = len(stats)
    near_line = cv2.dilate(horiz, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 5)))
    _, line_labels = cv2.connectedComponents(near_line, connectivity=8)
    walls: dict[int, list[tuple[int, int]]] = {}  # line label -> [(x, bottom line row)]
    standing: dict[int, list[int]] = {}  # line label -> the separators' component labels
    for i in range(1, n):
        x, y, w, h, _ = stats[i]
        if h < 0.2 * digit_height or w > max_width + 0.15 * h:
            continue
        own = labels[y : y + h, x : x + w] == i
        if np.median(own.sum(axis=1)) > max_width or not _ruler_straight(own):
            continue  # a pen stroke, or not ruler-straight: handwriting
        touching = line_labels[y : y + h, x : x + w][own & (near_line[y : y + h, x : x + w] > 0)]
        if touching.size == 0:
            continue
        # the line the wall stands on: the lowest one it touches
        for line_label in np.unique(touching):
            rows = np.flatnonzero((line_labels[y : y + h, x : x + w] == line_label).any(axis=1))
            walls.setdefault(int(line_label), []).append((x + w // 2, y + int(rows.max())))
            standing.setdefault(int(line_label), []).append(i)
    out = cleaned.copy()
    removed = [i for line, ids in standing.items() if len(ids) >= min_walls for i in ids]
    if removed:
        out[np.isin(labels, removed)] = 0
    boxes = []
    combs = []
    for line, found in walls.items():
        if len(found) >= 2:
            xs = [p[0] for p in found]
            boxes.append(Box(min(xs), max(xs), max(p[1] for p in found)))
            combs.append(line)
            _remove_attached_walls(out, stats[standing[line]], max_width, digit_height)
    comb_lines = (np.isin(line_labels, combs) & (horiz > 0)).astype(np.uint8) if combs else np.zeros_like(horiz)
    return out, boxes, comb_lines


def _remove_attached_walls(mask: np.ndarray, walls: np.ndarray, max_width: float, digit_height: float) -> None:
    """Erase, in place, the walls of a comb that a digit touches: joined to the digit,
    a wall is no thin stroke of its own, so it stays, is cut off as a 1 or makes the
    digit misread. The comb's walls found (``walls``: their component stats) tell where
    its walls run (the same rows) and how far apart they stand: a column that is ink
    over nine tenths of those rows, in a group no wider than a wall, within a cell of the comb's
    ends, is a wall. Digit strokes crossing it are closed across the gap again.
    """
    xs = np.sort(walls[:, cv2.CC_STAT_LEFT] + walls[:, cv2.CC_STAT_WIDTH] // 2)
    top = int(np.median(walls[:, cv2.CC_STAT_TOP]))
    bottom = int(np.median(walls[:, cv2.CC_STAT_TOP] + walls[:, cv2.CC_STAT_HEIGHT]))
    pitch = int(np.median(np.diff(xs)))
    x0, x1 = max(0, int(xs[0]) - pitch), min(mask.shape[1], int(xs[-1]) + pitch + 1)
    if bottom - top < 3 or x1 <= x0:
        return
    window = mask[top:bottom, x0:x1]  # a view: erased in place
    full = window.mean(axis=0) >= 0.9  # (the line's erased rows may nick it)
    full = np.concatenate([[False], full, [False]])
    edges = np.flatnonzero(np.diff(full.astype(np.int8)))
    erased = np.zeros_like(window)
    for start, stop in zip(edges[::2], edges[1::2]):
        if stop - start <= max_width:
            erased[:, start:stop] = window[:, start:stop]
    if not erased.any():
        return
    window &= ~erased
    bridge = int(max(3, digit_height * 0.12)) | 1
    across = cv2.getStructuringElement(cv2.MORPH_RECT, (bridge, 1))
    window |= (cv2.morphologyEx(window.view(np.uint8), cv2.MORPH_CLOSE, across) > 0) & erased


def _ruler_straight(own: np.ndarray) -> bool:
    """Whether a vertical stroke (its mask) is drawn straight as a ruler: its centre
    wavers by under a pixel. Printed rules are; handwritten 1s are not."""
    widths = own.sum(axis=1)
    centres = (own * np.arange(own.shape[1])).sum(axis=1) / np.maximum(widths, 1)
    return bool(np.std(centres) <= 0.6 and np.ptp(centres) <= 2.5)


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def segment(gray: np.ndarray, dpi: float | None = None, config: SegmentConfig = DEFAULT_CONFIG) -> list[Glyph]:
    """Find the candidate digits of one grayscale page, in reading order with lines and fields.

    ``dpi``, when known (PDF renders, scans that record it), sets a floor on digit size.
    """
    if gray.ndim != 2 or gray.size == 0:
        return []
    ink = ink_map(gray)
    comps = threshold_components(ink, config)
    if not comps.mask.any():
        return []
    floor = float(config.min_digit_px)
    if dpi and dpi >= 150:  # phone photos claim 72 dpi and mean nothing by it
        floor = max(floor, config.min_digit_mm * dpi / 25.4)
    digit_h = max(estimate_digit_height(comps.stats, gray.shape[0], floor), floor)
    cleaned, combs = remove_lines(comps.mask, digit_h, config, comps.stats)
    if cleaned is not comps.mask:  # lines were erased: the strokes changed
        comps = Components.of(cleaned)
    labels, stats = comps.labels, comps.stats
    if len(stats) <= 1:
        return []
    boxes = stats[1:, :4].astype(np.int64)  # x, y, w, h
    areas = stats[1:, cv2.CC_STAT_AREA]
    digit_h = grown_digit_height(boxes[areas >= 12], digit_h, floor, config)
    min_area = max(4.0, (0.06 * digit_h) ** 2)
    keep = np.flatnonzero(areas >= min_area)
    groups = _merge_pieces(boxes[keep], digit_h, config)

    glyphs: list[Glyph] = []
    for members in groups:
        ids = keep[members]
        x0 = int(boxes[ids, 0].min())
        y0 = int(boxes[ids, 1].min())
        x1 = int((boxes[ids, 0] + boxes[ids, 2]).max())
        y1 = int((boxes[ids, 1] + boxes[ids, 3]).max())
        w, h = x1 - x0, y1 - y0
        fragment = h < max(floor, config.min_height * digit_h)
        if (fragment and h < max(3, config.fragment_height * digit_h)) or h > config.max_height * digit_h:
            continue
        if w > 2.5 * h and h < 0.6 * digit_h:
            continue  # a dash or leftover rule, not a digit
        window = labels[y0:y1, x0:x1]
        own = window == ids[0] + 1 if len(ids) == 1 else np.isin(window, ids + 1)
        if h > config.tall_rule * digit_h and w < 0.25 * h and _ruler_straight(own):
            continue  # a printed vertical rule too short to be found as a line: no 1 is that tall and straight
        crop = np.where(own, ink[y0:y1, x0:x1], 0).astype(np.float32)
        glyphs.append(Glyph(x0, y0, w, h, crop, fragment=fragment))
    return order_glyphs(glyphs, digit_h, config, combs)


def _merge_pieces(boxes: np.ndarray, digit_h: float, config: SegmentConfig) -> list[np.ndarray]:
    """Group components that belong to one digit: pieces stacked over each other
    (the detached top of a 5, a stroke cut by a ruled line) close enough vertically.

    Pieces level with each other are left apart even when they overlap in x: they may
    be two digits written into each other, and :func:`clusters` offers them to the
    classifier both ways. Small pieces almost touching each other are merged: a stroke
    drawn in dots by a fine pen or faint pencil."""
    n = len(boxes)
    uf = _UnionFind(n)
    if n:
        x0, y0 = boxes[:, 0], boxes[:, 1]
        x1, y1 = x0 + boxes[:, 2], y0 + boxes[:, 3]
        w, h = boxes[:, 2], boxes[:, 3]
        small = h < config.min_height * digit_h
        wide = w >= 0.3 * digit_h
        reach = config.join_gap * digit_h
        order = np.argsort(x0, kind="stable")
        starts = x0[order]
        for a_pos, a in enumerate(order):
            # the boxes that start inside this one's columns (or just after, for a small
            # piece), all pairs tested at once
            limit = x1[a] + (reach if small[a] else 0)
            b = order[a_pos + 1 : np.searchsorted(starts, limit, side="left")]
            if b.size == 0:
                continue
            overlap = np.minimum(x1[a], x1[b]) - np.maximum(x0[a], x0[b])
            level = np.minimum(y1[a], y1[b]) - np.maximum(y0[a], y0[b])  # rows in common
            height = np.maximum(y1[a], y1[b]) - np.minimum(y0[a], y0[b])
            width = np.maximum(x1[a], x1[b]) - np.minimum(x0[a], x0[b])
            # the flat bar of a 5 (or 7) lifted off its body juts out past it to the right
            upper_flat = np.where(y0[a] <= y0[b], w[a] >= 2.5 * h[a], w[b] >= 2.5 * h[b])
            needed = np.where(upper_flat, 0.25, 0.5) * np.minimum(w[a], w[b])
            stacked = (
                (overlap >= needed)
                # two specks do not make a digit, nor do the dashes of a colon; two
                # wide halves of one may (the bar and bowl of a 5 a skipping pen drew apart)
                & ((np.maximum(h[a], h[b]) >= 0.4 * digit_h) | (wide[a] & wide[b]))
                # level with each other: neighbours, or pieces for clusters() to weigh
                & (level <= 0.5 * np.minimum(h[a], h[b]))
                & (-level <= config.merge_gap * digit_h)  # the vertical gap between them
                & (height <= 1.5 * digit_h)
            )
            # a stroke drawn in dots (a fine pen, faint pencil): small pieces almost
            # touching each other, together no bigger than a digit
            dotted = (
                small[a]
                & small[b]
                & (-overlap <= reach)
                & (-level <= reach)
                & (height <= 1.5 * digit_h)
                & (width <= digit_h)
            )
            for other in b[stacked | dotted]:
                uf.union(int(a), int(other))
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(uf.find(i), []).append(i)
    return [np.array(v) for v in groups.values()]


def cut_candidates(glyph: Glyph, config: SegmentConfig = DEFAULT_CONFIG, touching: bool = False) -> list[int]:
    """Columns where a glyph too wide for one digit (``touching``: that the model takes
    for touching digits) may be cut.

    Three kinds: the valleys of its ink profile (where touching digits meet through a
    thin bridge); the notches of its outline (where overlapping digits meet, see
    :func:`_contour_notches`); and, for glyphs wide enough to hold several digits, the
    columns that would divide it into equal digits, each moved to the least ink nearby.

    Wide single digits exist (a sprawling 5 or 0), so cuts are only candidates: the
    classifier scores every piece between two cuts and the best total wins, the whole
    glyph included.
    """
    w, h = glyph.width, glyph.height
    if w < (config.touching_aspect if touching else config.split_aspect) * h:
        return []
    mask = glyph.ink > 0
    profile = mask.sum(axis=0).astype(np.float32)
    k = max(3, int(h * 0.06)) | 1
    smooth = np.convolve(profile, np.ones(k, np.float32) / k, mode="same")
    margin = max(2, int(config.min_part * h))
    if w - margin <= margin:
        return []
    spacing = max(2, int(0.15 * h))
    wanted: list[int] = []
    for digits in range(2, int(w / (0.45 * h)) + 1):
        for i in range(1, digits):
            centre = int(round(w * i / digits))
            lo, hi = max(margin, centre - spacing), min(w - margin, centre + spacing + 1)
            if lo < hi:
                wanted.append(lo + int(np.argmin(smooth[lo:hi])))
    order = np.argsort(smooth[margin : w - margin], kind="stable") + margin
    limit = 0.6 * float(smooth.max())
    valleys = [int(c) for c in order if smooth[c] <= limit]
    notches = _contour_notches(mask, margin, spacing)
    cuts: list[int] = []
    for col in [*valleys[:1], *notches, *wanted, *valleys[1:]]:
        if len(cuts) >= config.max_cuts:
            break
        if all(abs(col - c) >= spacing for c in cuts):
            cuts.append(col)
    return sorted(cuts)


def glyph_cuts(glyph: Glyph, config: SegmentConfig = DEFAULT_CONFIG, touching: bool = False) -> list[int]:
    """The glyph's cut candidates (:func:`cut_candidates`), found once, when first asked
    for; fragments are never cut."""
    if glyph.cuts is None:
        glyph.cuts = [] if glyph.fragment else cut_candidates(glyph, config, touching)
    return glyph.cuts


def _contour_notches(mask: np.ndarray, margin: int, spacing: int) -> list[int]:
    """Columns where the glyph's outline draws in from above and below, compared with
    the columns nearby: where two digits that overlap meet, the top edge drops and the
    bottom edge rises (a notch, or a step down to a shorter digit) though the ink
    profile shows no valley. Deepest first; at most one per ``spacing`` columns."""
    h, w = mask.shape
    inked = mask.any(axis=0)
    top = np.where(inked, mask.argmax(axis=0), h).astype(np.float32)
    bottom = np.where(inked, h - 1 - mask[::-1].argmax(axis=0), -1).astype(np.float32)
    # the highest top edge and lowest bottom edge within ``spacing`` columns either side
    window = np.ones((1, 2 * spacing + 1), np.uint8)
    highest = cv2.erode(top[None, :], window, borderType=cv2.BORDER_REPLICATE)[0]
    lowest = cv2.dilate(bottom[None, :], window, borderType=cv2.BORDER_REPLICATE)[0]
    depth = (top - highest) + (lowest - bottom)
    depth[~inked] = 0
    depth[:margin] = 0
    depth[w - margin :] = 0
    deep = np.flatnonzero(depth >= 0.15 * h)
    out: list[int] = []
    for c in deep[np.argsort(-depth[deep], kind="stable")]:
        if all(abs(int(c) - o) >= spacing for o in out):
            out.append(int(c))
    return out


class Piece(IntEnum):
    """What a candidate is: a whole glyph, part of one between cuts, or glyphs joined."""

    WHOLE = 0
    CUT = 1
    JOINED = 2


def clusters(glyphs: list[Glyph], config: SegmentConfig = DEFAULT_CONFIG) -> list[list[Glyph]]:
    """Group ordered glyphs into runs that may hold pieces of one broken digit.

    A faint pencil stroke or a fine pen breaks a digit into several components side by
    side (the bowl and stem of a 6, the tail of a 2). Consecutive glyphs of one field,
    almost touching and together no wider than a digit, are candidates for joining;
    whether they are joined is the classifier's call (:func:`segments`).
    """
    heights: dict[int, float] = {}
    for line in {g.line for g in glyphs}:
        heights[line] = float(np.median([g.height for g in glyphs if g.line == line and not g.fragment]))
    out: list[list[Glyph]] = []
    for g in glyphs:
        if out and _joinable(out[-1][-1], g, heights[g.line], config):
            out[-1].append(g)
        else:
            out.append([g])
    return [c for c in out if not all(g.fragment for g in c)]  # fragments alone are dust


def small_letters(glyphs: list[Glyph], taken: list[list[Glyph]], config: SegmentConfig = DEFAULT_CONFIG) -> list[Glyph]:
    """Fragments that no cluster took, at least ``letter_height`` of their field's
    height and standing level with another glyph of it: the x-height letters of printed
    words (the a and e of "Page", the o of "of"). Too small to be digits, they are
    evidence that a field is text. Handwriting of the page's size leaves no fragment
    that tall, and pieces of a broken digit are joined to it. ``taken`` are the page's
    :func:`clusters`."""
    taken_ids = {id(g) for cluster in taken for g in cluster}
    fields: dict[tuple[int, int], list[Glyph]] = {}
    for g in glyphs:
        fields.setdefault((g.line, g.field), []).append(g)
    out = []
    for members in fields.values():
        whole = [g.height for g in members if not g.fragment]
        if not whole:
            continue
        height = float(np.median(whole))
        for g in members:
            if not g.fragment or id(g) in taken_ids or g.height < config.letter_height * height:
                continue
            # printed letters share a baseline; the g and p of a word hang below it
            if any(o is not g and abs(o.bottom - g.bottom) <= 0.1 * height for o in members):
                out.append(g)
    return out


def _joinable(a: Glyph, b: Glyph, line_height: float, config: SegmentConfig) -> bool:
    if (a.line, a.field) != (b.line, b.field):
        return False
    if b.x - a.right > config.join_gap * line_height:
        return False
    return _fits_one_digit([a, b], line_height, config)


def _fits_one_digit(glyphs: list[Glyph], line_height: float, config: SegmentConfig) -> bool:
    width = max(g.right for g in glyphs) - min(g.x for g in glyphs)
    height = max(g.bottom for g in glyphs) - min(g.y for g in glyphs)
    return width <= config.join_aspect * height and height <= config.max_height * line_height


def segments(
    cluster: list[Glyph] | Glyph, config: SegmentConfig = DEFAULT_CONFIG
) -> list[tuple[int, int, Piece, Glyph]]:
    """Every candidate reading of a cluster of glyphs (see :func:`clusters`), as pieces
    between cut points.

    The points are each glyph's left edge, its cut columns, and the right edge of the
    last glyph (one glyph's right edge is the next one's left edge). Candidates are:
    each glyph whole; the parts of a glyph between two of its cuts that are wide enough
    for a 1 and narrow enough for one digit; and runs of up to ``join_glyphs`` whole
    glyphs joined, when together they fit one digit. Returns (start, end, kind, piece)
    with start/end indices into the cluster's points; the classifier's scores pick the
    best path from the first point to the last.

    Each cut is tried two ways: along the path of least ink from top to bottom near
    its column (digits that lean into each other are parted along the gap between
    them, not through a stroke) and straight down (digits that overlap, where every
    path crosses a stroke). Both pieces are candidates between the same two points.
    """
    glyphs = [cluster] if isinstance(cluster, Glyph) else cluster
    out: list[tuple[int, int, Piece, Glyph]] = []
    bases = [0]
    for glyph in glyphs:
        base = bases[-1]
        out.extend((base + i, base + j, kind, p) for i, j, kind, p in _glyph_pieces(glyph, config))
        bases.append(base + len(glyph_cuts(glyph, config)) + 1)
    if len(glyphs) > 1:
        line_height = float(np.median([g.height for g in glyphs]))
        for a in range(len(glyphs)):
            for b in range(a + 2, min(len(glyphs), a + config.join_glyphs) + 1):
                run = glyphs[a:b]
                if _fits_one_digit(run, line_height, config):
                    out.append((bases[a], bases[b], Piece.JOINED, _join(run)))
    return out


def _join(glyphs: list[Glyph]) -> Glyph:
    """One glyph holding the ink of several (each keeps its own mask)."""
    x0, y0 = min(g.x for g in glyphs), min(g.y for g in glyphs)
    x1, y1 = max(g.right for g in glyphs), max(g.bottom for g in glyphs)
    ink = np.zeros((y1 - y0, x1 - x0), np.float32)
    for g in glyphs:
        view = ink[g.y - y0 : g.bottom - y0, g.x - x0 : g.right - x0]
        np.maximum(view, g.ink, out=view)
    first = glyphs[0]
    return Glyph(x0, y0, x1 - x0, y1 - y0, ink, first.line, first.field, first.index)


def _glyph_pieces(glyph: Glyph, config: SegmentConfig) -> list[tuple[int, int, Piece, Glyph]]:
    """The glyph whole, and its parts between pairs of its cut points."""
    cuts = glyph_cuts(glyph, config)
    edges = [0, *cuts, glyph.width]
    last = len(edges) - 1
    out = [(0, last, Piece.WHOLE, glyph)]
    if not cuts:
        return out
    h = glyph.height
    reach = max(1, int(0.1 * h))
    # each cut two ways: along the least ink (digits leaning into each other) and
    # straight down (digits overlapping, where any path must cross a stroke)
    bent = _least_ink_paths(glyph.ink, cuts, reach)
    ways = [[np.zeros(h, np.int32)]]
    for c, path in zip(cuts, bent):
        straight = np.full(h, c, np.int32)
        ways.append([path] if np.array_equal(path, straight) else [path, straight])
    ways.append([np.full(h, glyph.width, np.int32)])
    cols = np.arange(glyph.width)[None, :]
    for i in range(last):
        for j in range(i + 1, last + 1):
            if (i, j) == (0, last):
                continue
            width = edges[j] - edges[i]
            if width > config.max_part * h:
                break
            if width < config.min_part * h:
                continue
            for left in ways[i]:
                for right in ways[j]:
                    between = (cols >= left[:, None]) & (cols < right[:, None])
                    piece = _piece(glyph, np.where(between, glyph.ink, 0))
                    if piece is not None:
                        out.append((i, j, Piece.CUT, piece))
    return out


def _least_ink_paths(ink: np.ndarray, columns: list[int], reach: int) -> list[np.ndarray]:
    """For each column, the column per row of the top-to-bottom path through the least
    ink, moving at most one column per row and staying within ``reach`` of it (dynamic
    programming, all columns at once)."""
    h, w = ink.shape
    paths = [np.full(h, c, np.int32) for c in columns]  # a clean gap: the straight cut is best
    inked = [i for i, c in enumerate(columns) if ink[:, c].any()]
    if not inked:
        return paths
    cols = np.array([columns[i] for i in inked])
    offsets = np.arange(-reach, reach + 1)
    # cost of each cell of each band; columns outside the glyph are forbidden
    padded = np.pad((ink > 0).astype(np.float32), ((0, 0), (reach, reach)), constant_values=1e6)
    cost = padded[:, cols[:, None] + offsets[None, :] + reach]  # (h, paths, span)
    # a slight pull towards the valley column keeps paths straight through empty space
    cost += 0.01 * np.abs(offsets)[None, None, :] / max(1, reach)
    for r in range(1, h):
        prev = cost[r - 1]
        best = prev.copy()
        np.minimum(best[:, 1:], prev[:, :-1], out=best[:, 1:])  # from the left neighbour
        np.minimum(best[:, :-1], prev[:, 1:], out=best[:, :-1])  # from the right neighbour
        cost[r] += best
    rows = np.arange(len(cols))
    x = cost[-1].argmin(axis=1)
    found = np.empty((h, len(cols)), np.int64)
    found[-1] = x
    edge = np.full((len(cols), 1), np.inf, np.float32)
    for r in range(h - 1, 0, -1):  # walk back through the cheapest predecessor, leftmost on ties
        prev = np.concatenate([edge, cost[r - 1], edge], axis=1)  # index k+1 is band column k
        near = np.stack([prev[rows, x], prev[rows, x + 1], prev[rows, x + 2]], axis=1)
        x = x - 1 + near.argmin(axis=1)
        found[r - 1] = x
    for k, i in enumerate(inked):
        paths[i] = (found[:, k] + cols[k] - reach).astype(np.int32)
    return paths


def _piece(glyph: Glyph, ink: np.ndarray) -> Glyph | None:
    """The part of ``glyph`` holding ``ink`` (a masked copy of its ink), cropped to it."""
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        return None
    ink = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    return Glyph(
        glyph.x + int(cols[0]), glyph.y + int(rows[0]), ink.shape[1], ink.shape[0], ink, glyph.line, glyph.field
    )


def _box_of(glyph: Glyph, boxes: list[Box], digit_h: float) -> int | None:
    cx = glyph.x + glyph.width / 2
    for k, box in enumerate(boxes):
        if box.x0 <= cx <= box.x1 and box.line_y - 1.6 * digit_h <= glyph.cy <= box.line_y + 0.3 * digit_h:
            return k
    return None


def order_glyphs(
    glyphs: list[Glyph],
    digit_h: float,
    config: SegmentConfig = DEFAULT_CONFIG,
    boxes: list[Box] | None = None,
) -> list[Glyph]:
    """Assign lines (top to bottom), fields and indices (left to right).

    Lines are chained left to right, each glyph joining the line whose last glyph is
    level with it, so gently skewed lines stay whole. A gap wider than ``field_gap``
    times the mean height of the two glyphs beside it starts a new field (the glyphs'
    own size, not the line's: a printed label's small letters would shrink a line's
    median and split the large handwritten number beside it), except inside one comb
    box; a new box always does.
    """
    boxes = boxes or []
    fragments = [g for g in glyphs if g.fragment]
    glyphs = [g for g in glyphs if not g.fragment]
    lines: list[list[Glyph]] = []
    for g in sorted(glyphs, key=lambda g: (g.x, g.y)):
        best, best_dist = None, config.line_tolerance * digit_h
        for line in lines:
            last = line[-1]
            dist = abs(last.cy - g.cy)
            if dist <= best_dist and g.x >= last.x:
                best, best_dist = line, dist
        if best is None:
            lines.append([g])
        else:
            best.append(g)
    lines.sort(key=lambda line: (np.median([g.cy for g in line]), line[0].x))
    ordered: list[Glyph] = []
    for line_no, line in enumerate(lines, start=1):
        field_no, index, prev = 1, 0, None
        prev_box = None
        for g in line:
            box = _box_of(g, boxes, digit_h) if boxes else None
            if prev is not None:
                if box is not None or prev_box is not None:
                    new_field = box != prev_box
                else:
                    new_field = g.x - prev.right > config.field_gap * (prev.height + g.height) / 2
                if new_field:
                    field_no += 1
                    index = 0
            prev_box = box
            index += 1
            g.line, g.field, g.index = line_no, field_no, index
            ordered.append(g)
            prev = g
    return _attach_fragments(ordered, fragments, config) if fragments else ordered


def _attach_fragments(ordered: list[Glyph], fragments: list[Glyph], config: SegmentConfig) -> list[Glyph]:
    """Give each fragment the line and field of the glyph it (nearly) touches, and put it
    in reading order beside it; fragments touching no glyph are dropped."""
    if not ordered:
        return []
    x0 = np.array([g.x for g in ordered])
    x1 = np.array([g.right for g in ordered])
    y0 = np.array([g.y for g in ordered])
    y1 = np.array([g.bottom for g in ordered])
    h = np.array([g.height for g in ordered])
    for f in fragments:
        gap = np.maximum(f.x - x1, x0 - f.right)  # negative: overlapping columns
        level = (f.cy >= y0 - 0.2 * h) & (f.cy <= y1 + 0.2 * h)
        near = np.flatnonzero(level & (gap <= config.join_gap * h))
        if near.size:
            anchor = ordered[int(near[np.argmin(gap[near])])]
            f.line, f.field = anchor.line, anchor.field
    placed = [f for f in fragments if f.line]
    return sorted(ordered + placed, key=lambda g: (g.line, g.field, g.x))
