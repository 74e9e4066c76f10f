"""Boxes on a page: the closed cells of tables, comb boxes and frames, found whatever
their size, and their walls erased before glyphs are found.

A box is a hole in the ink: paper closed all round by straight walls. The contour
hierarchy of the page's ink gives every hole; a hole whose outline is a convex
quadrilateral (sides straight to a few percent of its perimeter, so a photo's tilted
or slightly curved cells count) is a cell. Its walls are the ink in a thin band
round it, as thick as the wall measured where it meets the cell. Digits inside the
cell are islands in the hole and keep their ink; a digit touching a wall loses only
the wall's band.

Line removal (:mod:`batchreader.segment.lines`) erases long straight lines; boxes also catch
the short walls of small cells, a table's header row, a date's DD/MM/YYYY boxes and
a form's frame corners, which are shorter than any line and read as 1s and Ls.
"""

from __future__ import annotations

import cv2
import numpy as np

from batchreader.segment.lines import Box


def remove_boxes(mask: np.ndarray, min_side: int) -> tuple[np.ndarray, list[Box]]:
    """Erase the walls of the page's boxes; return the cleaned mask (``mask`` itself when
    there is no box) and the rows of cells whose digits are one field each (see
    :func:`box_rows`). A box is a hole in the ink whose outline is a rectangle (see
    :func:`_quadrilateral`) at least ``min_side`` pixels on each side."""
    m = mask.view(np.uint8) if mask.dtype == bool else (mask != 0).astype(np.uint8)
    contours, hierarchy = cv2.findContours(m, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return mask, []
    page_area = mask.shape[0] * mask.shape[1]
    cells: list[np.ndarray] = []
    for contour, (_, _, _, parent) in zip(contours, hierarchy[0]):
        if parent < 0:  # an outer boundary of ink, not a hole
            continue
        x, y, w, h = cv2.boundingRect(contour)
        if min(w, h) < min_side or w * h > CELL_MAX_SHARE * page_area:
            continue  # too small for a digit, or the page's own frame
        quad = _quadrilateral(contour)
        if quad is None:
            continue
        cells.append(quad)
    cleaned, reach = erase_walls(mask, cells)
    return cleaned, box_rows(cells, reach)


def _quadrilateral(contour: np.ndarray) -> np.ndarray | None:
    """The outline's four corners (4 x 2 int32) when it is a rectangle: four straight
    sides (or, bitten into by a digit against a wall, a hull that has them: see
    :func:`_bitten_cell`), right angles (give or take a photo's perspective), and filling
    its smallest enclosing rectangle (not an oval: the hole of a 0)."""
    perimeter = cv2.arcLength(contour, True)
    corners = cv2.approxPolyDP(contour, CELL_STRAIGHTNESS * perimeter, True)
    if len(corners) != 4 or not cv2.isContourConvex(corners):
        corners = _bitten_cell(contour)
        if corners is None:
            return None
    quad = corners.reshape(4, 2).astype(np.float32)
    if not _square_corners(quad):
        return None  # a diamond: the hole of a narrow 0 or a 4
    (_, _), (rw, rh), _ = cv2.minAreaRect(contour)
    if cv2.contourArea(contour) < CELL_FILL * rw * rh:
        return None  # an oval, or a digit touching the wall bites far into the hole
    return quad.astype(np.int32)


def _bitten_cell(contour: np.ndarray) -> np.ndarray | None:
    """The four corners of a cell that a digit written against its wall bites into (the
    hole's outline is then no quadrilateral, its hull still is), when the deepest bite is
    shallower than CELL_BITE of the cell's shorter side."""
    hull = cv2.convexHull(contour)
    corners = cv2.approxPolyDP(hull, CELL_STRAIGHTNESS * cv2.arcLength(hull, True), True)
    if len(corners) != 4:
        return None
    defects = cv2.convexityDefects(contour, cv2.convexHull(contour, returnPoints=False))
    _, _, w, h = cv2.boundingRect(contour)
    if defects is not None and defects.size and defects.reshape(-1, 4)[:, 3].max() / 256 > CELL_BITE * min(w, h):
        return None
    return corners


CELL_BITE = 1.0
"""A digit inside a cell is shorter than the cell, and bites into its hole less deep than
the cell's shorter side; a deeper bite is another box's wall (a tally box standing in a
table's row: the row is no cell, and its words and the tally's digits no one field)."""

CELL_STRAIGHTNESS = 0.03
"""Outline points may lie this share of the hole's perimeter off its four sides."""

CELL_FILL = 0.85
"""A cell's hole fills at least this share of its smallest enclosing rectangle (an
ellipse fills 0.785 of it)."""

CORNER_TOLERANCE = 20.0
"""A cell's corners are right angles to this many degrees (a photo's perspective)."""


def _square_corners(quad: np.ndarray) -> bool:
    for k in range(4):
        a, b = quad[k - 1] - quad[k], quad[(k + 1) % 4] - quad[k]
        cos = float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-9))
        if abs(np.degrees(np.arccos(np.clip(cos, -1, 1))) - 90) > CORNER_TOLERANCE:
            return False
    return True


CELL_MAX_SHARE = 0.25
"""Holes larger than this share of the page (the page's own frame) are not cells."""


def erase_walls(mask: np.ndarray, cells: list[np.ndarray]) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """The mask with the walls round ``cells`` erased (a copy; ``mask`` when no cell), and
    for each cell how far left and right its top and bottom lines ran on."""
    reach: list[tuple[int, int]] = []
    if not cells:
        return mask, reach
    out = mask.copy()
    ink = mask.view(np.uint8) if mask.dtype == bool else (mask != 0).astype(np.uint8)
    # each ink pixel's distance to the paper: a wall's thickness is twice the largest
    # (a high percentile) in a ring round the cell
    depth = cv2.distanceTransform(ink, cv2.DIST_L2, 3)
    for corners in cells:
        x, y, w, h = cv2.boundingRect(corners)
        pad = max(2, int(WALL_MAX * min(w, h)))
        x0, y0 = max(0, x - pad), max(0, y - pad)
        x1, y1 = min(mask.shape[1], x + w + pad), min(mask.shape[0], y + h + pad)
        hole = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillPoly(hole, [corners - (x0, y0)], 1)
        # a hole's contour runs on the ink round it (OpenCV traces the ink's pixels): the
        # hole proper is one pixel in
        hole = cv2.erode(hole, np.ones((3, 3), np.uint8))
        ring = cv2.dilate(hole, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * pad + 1, 2 * pad + 1)))
        on_ring = (ring > 0) & (hole == 0) & (ink[y0:y1, x0:x1] > 0)
        if not on_ring.any():
            reach.append((x, x + w))
            continue
        thick = int(np.clip(np.ceil(2 * float(np.percentile(depth[y0:y1, x0:x1][on_ring], 90))), 1, pad))
        band = cv2.dilate(hole, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * thick + 3, 2 * thick + 3)))
        wall = (band > 0) & (hole == 0)
        out[y0:y1, x0:x1][wall] = False
        # the box's top and bottom lines run on past this cell, over cells not found (a
        # digit written against their wall bit into them): those runs go too
        ends = [x, x + w]
        for rows in (slice(max(0, y - thick - 1), y + 2), slice(y + h - 2, min(mask.shape[0], y + h + thick + 1))):
            for side, step in ((0, -1), (1, 1)):
                col = x - thick - 2 if step < 0 else x + w + thick + 1
                while 0 <= col < mask.shape[1] and ink[rows, col].any():
                    out[rows, col] = False
                    col += step
                ends[side] = min(ends[side], col) if step < 0 else max(ends[side], col)
        reach.append((ends[0], ends[1]))
    return out, reach


WALL_MAX = 0.2
"""A wall is at most this share of its cell's shorter side thick."""


def box_rows(cells: list[np.ndarray], reach: list[tuple[int, int]]) -> list[Box]:
    """Rows of cells side by side (a comb box, a tally box's three cells), each as one
    :class:`~batchreader.segment.lines.Box`: the digits in one row of cells are one field; a
    cell alone (a table's) is a field of its own. Cells are side by side when their tops
    and bottoms are level (to a quarter of their height), they are alike (widths within
    1.6 times, none over twice as wide as high: cells for a digit each) and the gap
    between them is at most a third of their height (a wall, and a little more).

    A row reaches on as far as its lines ran (``reach``, see :func:`erase_walls`), by up
    to ROW_REACH cells each way: over the cells that a digit against a wall bit into.
    """
    rects = sorted(zip((cv2.boundingRect(c) for c in cells), reach))
    rows: list[list[tuple[int, int, int, int]]] = []
    ends: list[list[int]] = []
    for (x, y, w, h), (left, right) in rects:
        for row, end in zip(rows, ends):
            px, py, pw, ph = row[-1]
            level = abs(y - py) <= 0.25 * max(h, ph) and abs((y + h) - (py + ph)) <= 0.25 * max(h, ph)
            alike = max(w, pw) <= 1.6 * min(w, pw) and max(w, pw) <= 2 * max(h, ph)
            if level and alike and 0 <= x - (px + pw) <= max(3, 0.34 * max(h, ph)):
                row.append((x, y, w, h))
                end[1] = max(end[1], min(right, int(x + w + _reach(w, h))))
                break
        else:
            rows.append([(x, y, w, h)])
            ends.append([max(left, int(x - _reach(w, h))), min(right, int(x + w + _reach(w, h)))])
    return [
        Box(
            min(end[0], row[0][0]),
            max(end[1], row[-1][0] + row[-1][2]),
            max(y + h for _, y, _, h in row),
            min(y for _, y, _, _ in row),
            all(w <= CHARACTER_CELL * h for _, _, w, h in row),
        )
        for row, end in zip(rows, ends)
    ]


CHARACTER_CELL = 1.25
"""A cell at most this many times as wide as it is high holds one character (a comb
box's, a tally box's, a date's cells are about square); a wider one (a table's, a
name's or a signature's) holds words as well as numbers."""

ROW_REACH = 1.5
"""A row of cells reaches on over at most this many cells' width beyond its last found
cell, each way; a cell wider than twice its height (a table's) is no digit's cell, and
reaches no further than itself."""


def _reach(w: int, h: int) -> float:
    return ROW_REACH * w if w <= 2 * h else 0.0
