"""Finding handwritten digits on a page: from its strokes (:mod:`batchreader.segment.ink`),
with printed rules erased (:mod:`batchreader.segment.lines`), to glyphs: merging pieces,
reading order and fields. Where glyphs may be cut or joined is :mod:`batchreader.segment.cuts`.

Every size threshold is a multiple of the page's own handwriting height, estimated
from its connected components, so the same code serves a 45-pixel cheque crop, a
300-dpi A4 scan and a phone photo.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from dataclasses import field as dc_field

import cv2
import numpy as np

from batchreader.segment.boxes import remove_boxes
from batchreader.segment.ink import Components, field_window, ink_map, threshold_components
from batchreader.segment.lines import Box, remove_baseline, remove_lines, ruler_straight

log = logging.getLogger(__name__)


FLAT = 2.0
"""A piece this many times as wide as it is tall is flat: a dash, a rule, or the bar of
a 5 or 7 (see ``SegmentConfig.min_bar``)."""


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
    None until asked for (see :func:`batchreader.segment.cuts.glyph_cuts`): most glyphs never need them."""
    fragment: bool = False
    """Too small to be a digit by itself: only ever read joined to a neighbour."""
    boxed: bool = False
    """Written in a printed comb box or row of cells (see :func:`order_glyphs`)."""
    cells: bool = False
    """...in cells that hold a character each (see :attr:`batchreader.segment.lines.Box.cells`)."""
    loops: int = 0
    """A piece cut from a glyph: how many of its two cuts ran through a loop, crossing
    ink twice or more (see :func:`batchreader.segment.cuts.segments`)."""

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height

    @property
    def cy(self) -> float:
        return self.y + self.height / 2

    @property
    def flat(self) -> bool:
        """A dash, or the bar of a 5 or 7 (see FLAT)."""
        return self.width > FLAT * self.height


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
    min_bar: float = 0.2
    max_bar: float = 1.2
    """Flat pieces this long (in digit heights) may be the bar of a 5 or 7 that a
    skipping pen lifted off, or a dash inside a number: they are kept as fragments,
    read only joined (bars) or parting no field (dashes). Shorter ones are specks,
    longer ones rules and underlines."""
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
    max_cuts: int = 10
    """Most cut candidates in one glyph (the pieces to classify grow with their square)."""
    cut_spacing: float = 0.1
    """Closest two cut candidates may be, in glyph heights: a 1 written against its
    neighbour leaves a valley or notch a tenth of a height from the next one."""
    field_gap: float = 0.75
    line_tolerance: float = 0.6
    join_gap: float = 0.1
    """Glyphs of one field closer than this (in line heights) may be pieces of one broken digit."""
    join_aspect: float = 1.35
    """...when together they are no wider than this times their height (a wide 0 is
    1.3 times)."""
    join_glyphs: int = 3
    """Most glyphs one broken digit may have fallen into."""
    half_height: float = 0.6
    """Glyphs shorter than this (in their cluster's tallest), but no fragments, may be
    half of a broken digit whose other half runs into a neighbour: they are joined to the
    pieces cut off that neighbour."""
    letter_height: float = 0.5
    """Lone fragments at least this share of their field's height, level with another of
    its glyphs, are the small letters of printed words (see :func:`small_letters`)."""


DEFAULT_CONFIG = SegmentConfig()


def ink_of(glyphs: list[Glyph]) -> np.ndarray:
    """The glyphs' ink on one canvas, cropped to their boxes together (a field's ink as
    segmentation found it, without what it set aside)."""
    if not glyphs:
        return np.zeros((1, 1), np.float32)
    x0, y0 = min(g.x for g in glyphs), min(g.y for g in glyphs)
    shape = (max(g.y + g.height for g in glyphs) - y0, max(g.x + g.width for g in glyphs) - x0)
    canvas = np.zeros(shape, np.float32)
    for g in glyphs:
        view = canvas[g.y - y0 : g.y - y0 + g.height, g.x - x0 : g.x - x0 + g.width]
        np.maximum(view, np.asarray(g.ink, np.float32), out=view)
    return canvas


def masked_ink(gray: np.ndarray, field: bool = False, config: SegmentConfig = DEFAULT_CONFIG) -> np.ndarray:
    """Ink intensity where the page's strokes are, zero elsewhere: crop it at a known box
    to re-cut a digit (review corrections) the way the scan saw it. ``field`` as for
    :func:`segment`: an image the scan read as one field is judged at the field's scale."""
    ink = ink_map(gray, field_window(gray.shape[0]) if field else None)
    mask = threshold_components(ink, config.min_contrast, config.low_ratio, background=field).mask
    return np.where(mask, ink, 0).astype(np.float32)


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


def segment(
    gray: np.ndarray, dpi: float | None = None, config: SegmentConfig = DEFAULT_CONFIG, field: bool = False
) -> list[Glyph]:
    """Find the candidate digits of one grayscale page, in reading order with lines and fields.

    ``dpi``, when known (PDF renders, scans that record it), sets a floor on digit size.
    ``field`` says the image is one field cut out of a document (``--layout field``):
    its paper is judged at the field's scale and may carry a printed background (see
    :func:`batchreader.segment.ink.threshold_components`).
    """
    if gray.ndim != 2 or gray.size == 0:
        return []
    ink = ink_map(gray, field_window(gray.shape[0]) if field else None)
    comps = threshold_components(ink, config.min_contrast, config.low_ratio, background=field)
    if not comps.mask.any():
        return []

    floor = float(config.min_digit_px)
    if dpi and dpi >= 150:  # phone photos claim 72 dpi and mean nothing by it
        floor = max(floor, config.min_digit_mm * dpi / 25.4)
    digit_h = max(estimate_digit_height(comps.stats, gray.shape[0], floor), floor)
    unboxed, cell_rows = remove_boxes(comps.mask, int(floor))
    if unboxed is not comps.mask:  # boxes closed all round: their walls go, whatever their length
        comps = Components.of(unboxed)
    cleaned, combs = remove_lines(comps.mask, digit_h, config.line_length, config.comb_length, comps.stats)
    if field:  # one written number: what is left of the line it stands on goes too
        cleaned = remove_baseline(cleaned, digit_h)
    combs += cell_rows
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
        if w > FLAT * h and h < 0.6 * digit_h:
            if not config.min_bar * digit_h <= w <= config.max_bar * digit_h:
                continue  # a speck, or a dash or leftover rule: not part of a digit
            fragment = True  # the bar of a 5 or 7 a skipping pen lifted off, or a dash (see order_glyphs)
        elif (fragment and h < max(3, config.fragment_height * digit_h)) or h > config.max_height * digit_h:
            continue
        window = labels[y0:y1, x0:x1]
        own = window == ids[0] + 1 if len(ids) == 1 else np.isin(window, ids + 1)
        if h > config.tall_rule * digit_h and w < 0.25 * h and ruler_straight(own):
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


def _box_of(glyph: Glyph, boxes: list[Box], digit_h: float) -> int | None:
    cx = glyph.x + glyph.width / 2
    for k, box in enumerate(boxes):
        if box.top is not None:
            if box.x0 <= cx <= box.x1 and box.top <= glyph.cy <= box.line_y:
                return k
        elif box.x0 <= cx <= box.x1 and box.line_y - 1.6 * digit_h <= glyph.cy <= box.line_y + 0.3 * digit_h:
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
    dashes = [f for f in fragments if f.flat]
    for line_no, line in enumerate(lines, start=1):
        field_no, index, prev = 1, 0, None
        prev_box = None
        for g in line:
            box = _box_of(g, boxes, digit_h) if boxes else None
            if prev is not None:
                if box is not None or prev_box is not None:
                    new_field = box != prev_box
                else:
                    new_field = _gap(prev, g, dashes) > config.field_gap * (prev.height + g.height) / 2
                if new_field:
                    field_no += 1
                    index = 0
            prev_box = box
            index += 1
            g.line, g.field, g.index, g.boxed = line_no, field_no, index, box is not None
            g.cells = box is not None and boxes[box].cells
            ordered.append(g)
            prev = g
    return _attach_fragments(ordered, fragments, config) if fragments else ordered


def _gap(a: Glyph, b: Glyph, dashes: list[Glyph]) -> int:
    """The gap between two neighbours on a line; when a dash stands between them, level
    with their middles, the wider of the gaps on either side of it: the groups of a
    number written with dashes (555-0192, 12-03-26) are one field."""
    gap = b.x - a.right
    top, bottom = max(a.y, b.y), min(a.bottom, b.bottom)
    for d in dashes:
        if a.right <= d.x and d.right <= b.x and _middling(d.cy, top, bottom):
            gap = min(gap, max(d.x - a.right, b.x - d.right))
    return gap


def _middling(y: float | np.ndarray, top: float | np.ndarray, bottom: float | np.ndarray):
    """Whether ``y`` lies in the middle half of the rows from top to bottom: where a
    dash is drawn, not the bar of a 5 or 7 or the base of a 2."""
    return (y >= top + 0.25 * (bottom - top)) & (y <= bottom - 0.25 * (bottom - top))


def _attach_fragments(ordered: list[Glyph], fragments: list[Glyph], config: SegmentConfig) -> list[Glyph]:
    """Give each fragment the line and field of the glyph it (nearly) touches, and put it
    in reading order beside it; fragments touching no glyph are dropped. A flat one (the
    bar of a 5 or 7, the base of a 2) only touches a glyph at its top or bottom: level
    with its middle, it is a dash ("12-34"), and a dash joined to a 1 reads as a 4."""
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
        if f.flat:
            level &= ~_middling(f.cy, y0, y1)
        near = np.flatnonzero(level & (gap <= config.join_gap * h))
        if near.size:
            anchor = ordered[int(near[np.argmin(gap[near])])]
            f.line, f.field = anchor.line, anchor.field
    placed = [f for f in fragments if f.line]
    return sorted(ordered + placed, key=lambda g: (g.line, g.field, g.x))
