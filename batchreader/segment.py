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
    splits: list[list[Glyph]] = dc_field(default_factory=list, repr=False)
    """Other readings of this glyph as several touching digits; the classifier picks one."""

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
class SegmentConfig:
    """Tunable ratios; sizes are multiples of the estimated handwriting height."""

    min_contrast: int = 40
    """Weakest ink (0-255 darker than the local paper) that can seed a stroke."""
    low_ratio: float = 0.5
    """Hysteresis: pixels down to this share of the seed threshold join a stroke."""
    line_length: float = 3.0
    """Straight runs at least this many digit heights long are ruled lines or box edges."""
    min_digit_px: int = 10
    """No digit is shorter than this many pixels, whatever the page (smaller is dust)."""
    min_digit_mm: float = 1.5
    """No digit is shorter than this, on pages whose resolution is known."""
    min_height: float = 0.4
    max_height: float = 3.0
    merge_gap: float = 0.35
    split_aspect: float = 0.9
    """A glyph wider than this times its height may be several touching digits."""
    field_gap: float = 0.75
    line_tolerance: float = 0.6


DEFAULT_CONFIG = SegmentConfig()


def ink_map(gray: np.ndarray) -> np.ndarray:
    """Return ink intensity (0 = paper) relative to the local paper colour.

    The paper is estimated with a max filter wider than any stroke, on a reduced
    copy of the page, so shadows, vignetting and coloured paper subtract away.
    """
    h, w = gray.shape
    factor = 4 if min(h, w) >= 400 else 1
    small = cv2.resize(gray, (max(1, w // factor), max(1, h // factor)), interpolation=cv2.INTER_AREA)
    k = int(np.clip(min(h, w) / 40 / factor, 5, 31)) | 1
    paper = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    paper = cv2.medianBlur(paper, 5)
    paper = cv2.resize(paper, (w, h), interpolation=cv2.INTER_LINEAR)
    paper = np.maximum(paper, gray)
    return cv2.subtract(paper, gray)


def threshold(ink: np.ndarray, config: SegmentConfig = DEFAULT_CONFIG) -> np.ndarray:
    """Binarise with hysteresis: strokes need a seed above Otsu's level (never below
    ``min_contrast``) and grow through fainter pixels, so pencil holds together while
    show-through and paper texture, which never reach the seed level, vanish.

    Same result as ``skimage.filters.apply_hysteresis_threshold`` with 8-connectivity,
    done with OpenCV's labelling, which is several times faster on a full page.
    """
    otsu, _ = cv2.threshold(ink, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    high = max(float(otsu), float(config.min_contrast))
    low = max(high * config.low_ratio, config.min_contrast * 0.6)
    weak = (ink > low).astype(np.uint8)
    n, labels = cv2.connectedComponents(weak, connectivity=8)
    seeded = np.zeros(n, bool)
    seeded[np.unique(labels[ink > high])] = True
    seeded[0] = False
    return seeded[labels]


def estimate_digit_height(mask: np.ndarray, floor: float = 10) -> float:
    """Median height of the page's plausible character-sized components, in pixels."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    h_img = mask.shape[0]
    heights = stats[1:, cv2.CC_STAT_HEIGHT]
    areas = stats[1:, cv2.CC_STAT_AREA]
    ok = (heights >= floor) & (heights <= max(12, h_img * 0.8)) & (areas >= 12)
    if not ok.any():
        return float(max(8, min(h_img, 40)))
    # the taller half of components: dots, commas and stray pieces pull a plain median down
    hs = np.sort(heights[ok])
    return float(np.median(hs[len(hs) // 3 :]))


def remove_lines(mask: np.ndarray, digit_height: float, config: SegmentConfig = DEFAULT_CONFIG) -> np.ndarray:
    """Erase long straight horizontal and vertical runs (ruled lines, boxes, table grids)
    and repair the strokes that crossed them."""
    length = int(max(25, config.line_length * digit_height))
    m = mask.astype(np.uint8)
    horiz = cv2.morphologyEx(m, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1)))
    vert = cv2.morphologyEx(m, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, length)))
    if not horiz.any() and not vert.any():
        return mask
    cleaned = m & ~(horiz | vert) & 1
    bridge = int(max(3, digit_height * 0.12)) | 1
    # a stroke crossing a line is cut in two; close the cut only inside the erased band
    fill_h = cv2.morphologyEx(cleaned, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (1, bridge)))
    fill_v = cv2.morphologyEx(cleaned, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (bridge, 1)))
    repaired = cleaned | (fill_h & horiz) | (fill_v & vert)
    return repaired.astype(bool)


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
    mask = threshold(ink, config)
    if not mask.any():
        return []
    floor = float(config.min_digit_px)
    if dpi and dpi >= 150:  # phone photos claim 72 dpi and mean nothing by it
        floor = max(floor, config.min_digit_mm * dpi / 25.4)
    digit_h = max(estimate_digit_height(mask, floor), floor)
    mask = remove_lines(mask, digit_h, config)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return []
    boxes = stats[1:, :4].astype(np.int64)  # x, y, w, h
    areas = stats[1:, cv2.CC_STAT_AREA]
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
        if h < max(floor, config.min_height * digit_h) or h > config.max_height * digit_h:
            continue
        if w > 2.5 * h and h < 0.6 * digit_h:
            continue  # a dash or leftover rule, not a digit
        own = np.isin(labels[y0:y1, x0:x1], ids + 1)
        crop = np.where(own, ink[y0:y1, x0:x1], 0).astype(np.float32)
        glyph = Glyph(x0, y0, w, h, crop)
        glyph.splits = split_candidates(glyph, config)
        glyphs.append(glyph)
    return order_glyphs(glyphs, digit_h, config)


def _merge_pieces(boxes: np.ndarray, digit_h: float, config: SegmentConfig) -> list[np.ndarray]:
    """Group components that belong to one digit: pieces stacked over each other
    (the detached top of a 5, a stroke cut by a ruled line) close enough vertically."""
    n = len(boxes)
    uf = _UnionFind(n)
    if n:
        x0, y0 = boxes[:, 0], boxes[:, 1]
        x1, y1 = x0 + boxes[:, 2], y0 + boxes[:, 3]
        order = np.argsort(x0, kind="stable")
        for a_pos, a in enumerate(order):
            for b in order[a_pos + 1 :]:
                if x0[b] >= x1[a]:
                    break
                overlap = min(x1[a], x1[b]) - max(x0[a], x0[b])
                narrow = min(boxes[a, 2], boxes[b, 2])
                if overlap < 0.5 * narrow:
                    continue
                if max(boxes[a, 3], boxes[b, 3]) < 0.4 * digit_h:
                    continue  # two specks do not make a digit
                gap = max(y0[a], y0[b]) - min(y1[a], y1[b])
                height = max(y1[a], y1[b]) - min(y0[a], y0[b])
                if gap <= config.merge_gap * digit_h and height <= 1.5 * digit_h:
                    uf.union(int(a), int(b))
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(uf.find(i), []).append(i)
    return [np.array(v) for v in groups.values()]


def split_candidates(glyph: Glyph, config: SegmentConfig = DEFAULT_CONFIG) -> list[list[Glyph]]:
    """Ways to read a wide glyph as 2 or 3 touching digits, cut at the weakest columns.

    Wide single digits exist (a sprawling 5 or 0), so these are only candidates:
    the pipeline classifies the whole glyph and every candidate and keeps the
    reading the model is surest of.
    """
    w, h = glyph.width, glyph.height
    out = []
    for parts in (2, 3):
        if w < config.split_aspect * h * (parts - 1) or w < 6 * parts:
            break
        pieces = _cut(glyph, parts)
        if len(pieces) == parts:
            out.append(pieces)
    return out


def _cut(glyph: Glyph, parts: int) -> list[Glyph]:
    w = glyph.width
    profile = (glyph.ink > 0).sum(axis=0).astype(np.float32)
    profile = np.convolve(profile, np.ones(3, np.float32) / 3, mode="same")
    cuts = []
    for k in range(1, parts):
        centre = int(w * k / parts)
        reach = max(1, int(0.3 * w / parts))
        lo, hi = max(1, centre - reach), min(w - 1, centre + reach + 1)
        cuts.append(lo + int(np.argmin(profile[lo:hi])))
    pieces = []
    edges = [0, *cuts, w]
    for a, b in zip(edges[:-1], edges[1:]):
        piece = glyph.ink[:, a:b]
        rows = np.flatnonzero(piece.any(axis=1))
        if b <= a or rows.size == 0:
            continue
        piece = piece[rows[0] : rows[-1] + 1]
        pieces.append(Glyph(glyph.x + a, glyph.y + int(rows[0]), b - a, piece.shape[0], piece))
    return pieces


def order_glyphs(glyphs: list[Glyph], digit_h: float, config: SegmentConfig = DEFAULT_CONFIG) -> list[Glyph]:
    """Assign lines (top to bottom), fields and indices (left to right).

    Lines are chained left to right, each glyph joining the line whose last glyph is
    level with it, so gently skewed lines stay whole.
    """
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
        height = float(np.median([g.height for g in line]))
        field_no, index, prev = 1, 0, None
        for g in line:
            if prev is not None and g.x - prev.right > config.field_gap * height:
                field_no += 1
                index = 0
            index += 1
            g.line, g.field, g.index = line_no, field_no, index
            ordered.append(g)
            prev = g
    return ordered
