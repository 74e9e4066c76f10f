"""Printed rules: ruled lines, box frames, table grids and comb boxes, found and erased
from a page's stroke mask so that the handwriting crossing them stays.

Lengths are multiples of the page's handwriting height (see
:func:`batchreader.segment.glyphs.segment`).
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass

import cv2
import numpy as np

from batchreader.segment.ink import label


@dataclass(frozen=True)
class Box:
    """A printed comb box or row of cells found on the page: digits inside are one field."""

    x0: int
    x1: int
    line_y: int
    """Row of the box's bottom line."""
    top: int | None = None
    """Row of its top line, when known (cells found closed all round)."""
    cells: bool = True
    """Its cells hold a character each (a comb box, a tally box's cells); False for a
    cell wider than twice its height (a table's), which holds words as well as numbers."""


def remove_lines(
    mask: np.ndarray, digit_height: float, line_length: float, comb_length: float, stats: np.ndarray | None = None
) -> tuple[np.ndarray, list[Box]]:
    """Erase printed rules: long straight horizontal and vertical runs (ruled lines, box
    frames, table grids) and the short straight separators standing on them (comb
    boxes), then repair the strokes that crossed the erased lines.

    Returns the cleaned mask (``mask`` itself when nothing was erased) and the comb
    boxes found (lines carrying separators). ``stats`` of the mask's components, when
    given, let pages without any long component skip the search.
    """
    length = int(max(25, line_length * digit_height))
    short = int(max(12, min(comb_length * digit_height, length)))
    m = mask.astype(np.uint8)
    # a straight run of `length` pixels lies in a component at least that wide (or tall):
    # without one, the costly full-page openings can be skipped
    widths = stats[1:, cv2.CC_STAT_WIDTH] if stats is not None else None
    wide = widths is None or (widths >= length).any()
    tall = stats is None or (stats[1:, cv2.CC_STAT_HEIGHT] >= length).any()
    combs_possible = short < length and (widths is None or (widths >= short).any())
    runs = None
    if not wide and not tall:
        runs = _runs(m, short, stats) if combs_possible else None
        if runs is None or not runs.any():
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
        if runs is None:  # (found above when no line was: then ``cleaned`` is the mask)
            runs = _runs(cleaned, short, stats)
            found = _erase_line_edges(cleaned, horiz, runs)
        else:
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
    return _rejoin(cleaned, horiz, vert, digit_height), boxes


def _rejoin(cleaned: np.ndarray, horiz: np.ndarray, vert: np.ndarray | None, digit_height: float) -> np.ndarray:
    """``cleaned`` with the strokes that crossed the erased lines ``horiz`` (and ``vert``)
    joined again: a stroke crossing a line is cut in two, and the cut is closed only
    inside the erased band."""
    bridge = _bridge(digit_height)
    fill_h = cv2.morphologyEx(cleaned, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (1, bridge)))
    repaired = cleaned | (fill_h & horiz)
    if vert is not None:
        fill_v = cv2.morphologyEx(cleaned, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (bridge, 1)))
        repaired |= fill_v & vert
    return repaired.astype(bool)


def remove_baseline(mask: np.ndarray, digit_height: float) -> np.ndarray:
    """In an image that is one written number: erase what is left of the line it is
    written on (a cheque's amount line, an underline), returned as a new mask (``mask``
    itself when there is none).

    Line removal erases such a line where it runs long and straight; where it is faint or
    dotted its pieces are too short to be found, and where it passes under the digits it
    stays on their feet (a 0 standing on it reads as a 2). Here a baseline is horizontal
    strokes each at least BASELINE_PIECE of the digits' height long, together covering
    BASELINE_SPAN of the image's width within three rows, in the lowest part of the ink
    (below BASELINE_LOW of its height): one number's own bars are shorter, fewer, or
    higher (the tops of 5s and 7s, the bars of 4s). Strokes that crossed it are closed
    again, as after line removal."""
    m = (mask != 0).astype(np.uint8)
    rows = np.flatnonzero(m.any(axis=1))
    if rows.size == 0:
        return mask
    piece = max(3, int(BASELINE_PIECE * digit_height))
    horiz = cv2.morphologyEx(m, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (piece, 1)))
    cover = cv2.dilate(horiz, np.ones((3, 1), np.uint8)).sum(axis=1) / m.shape[1]
    low = np.arange(m.shape[0]) >= rows[0] + BASELINE_LOW * (rows[-1] - rows[0])
    line = np.zeros_like(m)
    hit = (cover >= BASELINE_SPAN) & low
    line[hit] = horiz[hit]
    if not line.any():
        return mask
    return _rejoin(m & ~line & 1, line, None, digit_height)


BASELINE_PIECE = 0.7
"""A baseline's pieces are at least this share of the digits' height long (0.5-1.0 read
the real cheques alike; the bars of one number's digits are mostly shorter)."""
BASELINE_SPAN = 0.5
"""...and together cover at least this share of the image's width (0.4-0.7 alike; at
0.35 the feet of a row of 2s went)."""
BASELINE_LOW = 0.6
"""...below this share of the ink's height, from its top."""


def _erase_line_edges(cleaned: np.ndarray, horiz: np.ndarray, runs: np.ndarray) -> np.ndarray | None:
    """Erase, in place, the ``runs`` that lie along a line just erased (``horiz``) from
    ``cleaned`` and ``runs``, and add them to ``horiz``: such a run is its line's edge, a
    row a pixel or two shorter than the rest and so too short to be found as a line.
    Left, it joins the digits of the cells above and below it into one glyph. Returns
    the points of the runs left (``cv2.findNonZero``)."""
    found = cv2.findNonZero(runs)
    if found is None:
        return None
    x, y, w, h = cv2.boundingRect(found)
    rows, cols = slice(max(0, y - 1), min(runs.shape[0], y + h + 1)), slice(x, x + w)
    edge = runs[rows, cols] & cv2.dilate(horiz[rows, cols], np.ones((3, 1), np.uint8))
    if not edge.any():
        return found
    cleaned[rows, cols] &= ~edge & 1
    horiz[rows, cols] |= edge
    runs[rows, cols] &= ~edge & 1
    return cv2.findNonZero(runs)


def _bridge(digit_height: float) -> int:
    """Widest gap an erased line leaves in a stroke that crossed it, closed again (odd)."""
    return int(max(3, digit_height * 0.12)) | 1


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
    _, line_labels, line_stats, _ = cv2.connectedComponentsWithStats(near_line, connectivity=8)
    walls: dict[int, list[tuple[int, int]]] = {}  # line label -> [(x, bottom line row)]
    standing: dict[int, list[int]] = {}  # line label -> the separators' component labels
    for i in range(1, n):
        x, y, w, h, _ = stats[i]
        if h < 0.2 * digit_height or w > max_width + 0.15 * h:
            continue
        own = labels[y : y + h, x : x + w] == i
        if np.median(own.sum(axis=1)) > max_width or not ruler_straight(own):
            continue  # a pen stroke, or not ruler-straight: handwriting
        touching = line_labels[y : y + h, x : x + w][own & (near_line[y : y + h, x : x + w] > 0)]
        if touching.size == 0:
            continue
        # the line the wall stands on: the lowest one it touches
        for line_label in np.unique(touching):
            rows = np.flatnonzero((line_labels[y : y + h, x : x + w] == line_label).any(axis=1))
            walls.setdefault(int(line_label), []).append((x + w // 2, y + int(rows.max())))
            standing.setdefault(int(line_label), []).append(i)
    # a wall standing between two lines is a frame's (a comb's top and bottom): one such
    # is enough, when digits touch the frame's other walls (a box of two cells whose
    # second digit leans on the middle wall and crosses the end wall)
    lines_of = Counter(i for ids in standing.values() for i in ids)
    framed = {line for line, ids in standing.items() if any(lines_of[i] >= 2 for i in ids)}
    combs_found = {line for line, ids in standing.items() if len(ids) >= min_walls or line in framed}
    out = cleaned.copy()
    removed = [i for line in combs_found for i in standing[line]]
    if removed:
        out[np.isin(labels, removed)] = 0
    extents: dict[int, list[int]] = {}  # comb line label -> [x0, x1, bottom line row]
    for line, found in walls.items():
        if len(found) >= 2 or line in framed:
            xs = [p[0] for p in found]
            line_x0, line_width = line_stats[line, cv2.CC_STAT_LEFT], line_stats[line, cv2.CC_STAT_WIDTH]
            xs += _remove_attached_walls(
                out, stats[standing[line]], max_width, digit_height, (line_x0, line_x0 + line_width)
            )
            extents[line] = [min(xs), max(xs), max(p[1] for p in found)]
    # the top and bottom lines of a frame carry the same walls: the frame's extent is
    # both lines' (an end wall a digit touches is found, and erased, from one line only)
    for a, b in itertools.combinations(extents, 2):
        if set(standing[a]) & set(standing[b]):
            x0, x1 = min(extents[a][0], extents[b][0]), max(extents[a][1], extents[b][1])
            extents[a][:2] = extents[b][:2] = [x0, x1]
    boxes = [Box(x0, x1, row) for x0, x1, row in extents.values()]
    combs = list(extents)
    comb_lines = (np.isin(line_labels, combs) & (horiz > 0)).astype(np.uint8) if combs else np.zeros_like(horiz)
    return out, boxes, comb_lines


def _remove_attached_walls(
    mask: np.ndarray, walls: np.ndarray, max_width: float, digit_height: float, line: tuple[int, int]
) -> list[int]:
    """Erase, in place, the walls of a comb that a digit touches: joined to the digit,
    a wall is no thin stroke of its own, so it stays, is cut off as a 1 or makes the
    digit misread. The comb's walls found (``walls``: their component stats) tell where
    its walls run (the same rows) and how far apart they stand: a column that is ink
    over nine tenths of those rows, in a group no wider than a wall, within a cell of
    the comb's walls (the free ones and those found so) and between the ends of its
    ``line`` (columns), is a wall. Digit strokes crossing it are closed across the gap
    again. Returns the erased walls' columns (an end wall widens the comb's extent).
    """
    xs = np.sort(walls[:, cv2.CC_STAT_LEFT] + walls[:, cv2.CC_STAT_WIDTH] // 2)
    top = int(np.median(walls[:, cv2.CC_STAT_TOP]))
    bottom = int(np.median(walls[:, cv2.CC_STAT_TOP] + walls[:, cv2.CC_STAT_HEIGHT]))
    # one free wall (a frame's) tells no pitch: the search spans the frame's line
    pitch = int(np.median(np.diff(xs))) if len(xs) > 1 else mask.shape[1]
    # an end wall stands about a pitch beyond the last wall found, and the next one a
    # pitch beyond that (digits touch several walls in a row); cells differ by a pixel
    # or two, and a window ending inside a wall would leave its last column. Walls stand
    # on their line: none lies beyond its ends (where the pitch, measured between the
    # free walls only, could reach the next comb's)
    reach = pitch + int(max_width) + 1
    x0, x1 = max(0, int(line[0])), min(mask.shape[1], int(line[1]))
    if bottom - top < 3 or x1 <= x0:
        return []
    window = mask[top:bottom, x0:x1]  # a view: erased in place
    full = window.mean(axis=0) >= 0.9  # (the line's erased rows may nick it)
    full = np.concatenate([[False], full, [False]])
    edges = np.flatnonzero(np.diff(full.astype(np.int8)))
    groups = [(start, stop) for start, stop in zip(edges[::2], edges[1::2]) if stop - start <= max_width]
    centres = [x0 + (start + stop) // 2 for start, stop in groups]
    left, right = int(xs[0]), int(xs[-1])
    taken = set()
    for order in (range(len(groups)), reversed(range(len(groups)))):  # rightwards, then leftwards
        for k in order:
            if left - reach <= centres[k] <= right + reach:
                taken.add(k)
                left, right = min(left, centres[k]), max(right, centres[k])
    erased = np.zeros_like(window)
    for k in taken:
        start, stop = groups[k]
        erased[:, start:stop] = window[:, start:stop]
    columns = [centres[k] for k in sorted(taken)]
    if not erased.any():
        return []
    window &= ~erased
    across = cv2.getStructuringElement(cv2.MORPH_RECT, (_bridge(digit_height), 1))
    window |= (cv2.morphologyEx(window.view(np.uint8), cv2.MORPH_CLOSE, across) > 0) & erased
    return columns


def ruler_straight(own: np.ndarray) -> bool:
    """Whether a vertical stroke (its mask) is drawn straight as a ruler: its centre
    wavers by under a pixel. Printed rules are; handwritten 1s are not."""
    widths = own.sum(axis=1)
    centres = (own * np.arange(own.shape[1])).sum(axis=1) / np.maximum(widths, 1)
    return bool(np.std(centres) <= 0.6 and np.ptp(centres) <= 2.5)
