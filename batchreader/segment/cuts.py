"""Where glyphs may be cut into touching digits, or joined from the pieces of a broken
one: cut candidates (ink valleys, outline notches, even divisions), clusters of glyphs
that may be one digit, and the candidate pieces between cut points that the reader
chooses among (:mod:`batchreader.read.reading`)."""

from __future__ import annotations

from enum import IntEnum

import cv2
import numpy as np

from batchreader.segment.glyphs import DEFAULT_CONFIG, Glyph, SegmentConfig


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
    spacing = max(2, int(config.cut_spacing * h))
    wide = max(2, int(0.15 * h))
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
    # notches against the columns close by first (a 1 standing against its neighbour's
    # stem), then against a wider reach (where two round digits meet)
    notches = _contour_notches(mask, margin, spacing) + _contour_notches(mask, margin, wide)
    cuts: list[int] = []
    for col in [*valleys[:1], *notches, *wanted, *valleys[1:]]:
        if len(cuts) >= config.max_cuts:
            break
        if all(abs(col - c) >= spacing for c in cuts):
            cuts.append(col)
    return sorted(cuts)


def glyph_cuts(glyph: Glyph, config: SegmentConfig = DEFAULT_CONFIG, touching: bool = False) -> list[int]:
    """The glyph's cut candidates (:func:`cut_candidates`), found once, when first asked
    for (and again, when none were found, if it is now ``touching``: narrower glyphs
    qualify then); fragments are never cut."""
    if glyph.cuts is None or (touching and not glyph.cuts):
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
    for a 1 and narrow enough for one digit; runs of up to ``join_glyphs`` whole glyphs
    joined, when together they fit one digit; and the halves of a broken digit joined to
    a piece cut off the neighbour its other half runs into (see
    ``SegmentConfig.half_height``). Returns (start, end, kind, piece)
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
    heads: list[list[tuple[int, Glyph]]] = []  # per glyph: (end point, piece) of its cut pieces from its left edge
    tails: list[list[tuple[int, Glyph]]] = []  # ...and (start point, piece) of those to its right edge
    for glyph in glyphs:
        base = bases[-1]
        pieces = _glyph_pieces(glyph, config)
        out.extend((base + i, base + j, kind, p) for i, j, kind, p in pieces)
        last = len(glyph_cuts(glyph, config)) + 1
        heads.append([(base + j, p) for i, j, kind, p in pieces if kind == Piece.CUT and i == 0])
        tails.append([(base + i, p) for i, j, kind, p in pieces if kind == Piece.CUT and j == last])
        bases.append(base + last)
    if len(glyphs) > 1:
        out.extend(_joins(glyphs, bases, heads, tails, config))
    return out


def _joins(
    glyphs: list[Glyph],
    bases: list[int],
    heads: list[list[tuple[int, Glyph]]],
    tails: list[list[tuple[int, Glyph]]],
    config: SegmentConfig,
) -> list[tuple[int, int, Piece, Glyph]]:
    """The joined candidates of a cluster (see :func:`segments`): runs of whole glyphs,
    and a piece cut off a glyph's edge (``heads``: from its left edge, with their end
    points; ``tails``: to its right edge, with their start points) joined to the halves
    of a broken digit beside it. ``bases`` are each glyph's first point."""
    out = []
    line_height = float(np.median([g.height for g in glyphs]))
    tallest = max(g.height for g in glyphs)
    for a in range(len(glyphs)):
        for b in range(a + 1, min(len(glyphs), a + config.join_glyphs) + 1):
            run = glyphs[a:b]
            if b > a + 1 and _fits_one_digit(run, line_height, config):
                out.append((bases[a], bases[b], Piece.JOINED, _join(run)))
            # a digit broken in two whose one half touches a neighbour (the top of a
            # 3 apart, its bottom run into the 6 before it): that half cut off its
            # glyph, joined to the halves beside it (a whole digit joined to a piece of
            # its neighbour can read as a third digit, 1 and the head of a 2 as 6; a
            # fragment to a piece, as one more: the 12 of 3512 and a speck, as 0)
            halves = glyphs[a + 1 : b]
            if halves and all(_half(g, tallest, config) for g in halves):
                for start, tail in tails[a]:
                    if _fits_one_digit([tail, *halves], line_height, config):
                        out.append((start, bases[b], Piece.JOINED, _join([tail, *halves])))
            if b < len(glyphs) and all(_half(g, tallest, config) for g in run):
                for end, head in heads[b]:
                    if _fits_one_digit([*run, head], line_height, config):
                        out.append((bases[a], end, Piece.JOINED, _join([*run, head])))
    return out


def _half(glyph: Glyph, tallest: int, config: SegmentConfig) -> bool:
    """Whether a glyph may be half of a broken digit (see ``SegmentConfig.half_height``)."""
    return not glyph.fragment and glyph.height < config.half_height * tallest


def _join(glyphs: list[Glyph]) -> Glyph:
    """One glyph holding the ink of several (each keeps its own mask)."""
    x0, y0 = min(g.x for g in glyphs), min(g.y for g in glyphs)
    x1, y1 = max(g.right for g in glyphs), max(g.bottom for g in glyphs)
    ink = np.zeros((y1 - y0, x1 - x0), np.float32)
    for g in glyphs:
        view = ink[g.y - y0 : g.bottom - y0, g.x - x0 : g.right - x0]
        np.maximum(view, g.ink, out=view)
    first = glyphs[0]
    return Glyph(
        x0, y0, x1 - x0, y1 - y0, ink, first.line, first.field, first.index, boxed=first.boxed, cells=first.cells
    )


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
    # whether each way of each cut runs through a loop (the glyph's own edges never do)
    rows = np.arange(h)
    loop = [[0 < k < last and _crossings(glyph.ink, rows, way) >= 2 for way in cut] for k, cut in enumerate(ways)]
    for i in range(last):
        for j in range(i + 1, last + 1):
            if (i, j) == (0, last):
                continue
            width = edges[j] - edges[i]
            if width > config.max_part * h:
                break
            if width < config.min_part * h:
                continue
            for left, left_loop in zip(ways[i], loop[i]):
                for right, right_loop in zip(ways[j], loop[j]):
                    piece = _between(glyph, left, right)
                    if piece is not None:
                        piece.loops = int(left_loop) + int(right_loop)
                        out.append((i, j, Piece.CUT, piece))
    return out


def _crossings(ink: np.ndarray, rows: np.ndarray, way: np.ndarray) -> int:
    """How many strokes a cut down ``way`` (a column per row) crosses."""
    inked = ink[rows, np.clip(way, 0, ink.shape[1] - 1)] > 0
    return int(inked[0]) + int(np.count_nonzero(inked[1:] & ~inked[:-1]))


def equal_parts(glyph: Glyph, k: int) -> list[Glyph] | None:
    """``glyph`` parted into ``k`` pieces along the paths of least ink near the columns
    that divide it equally (a run of digits written in one stroke); None when a part
    would hold no ink."""
    return parts_at(glyph, [round(glyph.width * i / k) for i in range(1, k)], max(1, glyph.width // (3 * k)))


def parts_at(glyph: Glyph, columns: list[int], reach: int) -> list[Glyph] | None:
    """``glyph`` parted along the paths of least ink within ``reach`` of each of
    ``columns`` (left to right); None when a part would hold no ink."""
    h, w = glyph.height, glyph.width
    paths = _least_ink_paths(glyph.ink, columns, max(1, reach))
    edges = [np.zeros(h, np.int32), *paths, np.full(h, w, np.int32)]
    pieces = [_between(glyph, left, right) for left, right in zip(edges, edges[1:])]
    return None if any(p is None for p in pieces) else pieces


def _between(glyph: Glyph, left: np.ndarray, right: np.ndarray) -> Glyph | None:
    """The part of ``glyph`` between two top-to-bottom paths (a column per row)."""
    cols = np.arange(glyph.width)[None, :]
    inside = (cols >= left[:, None]) & (cols < right[:, None])
    return _piece(glyph, np.where(inside, glyph.ink, 0))


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
        glyph.x + int(cols[0]),
        glyph.y + int(rows[0]),
        ink.shape[1],
        ink.shape[0],
        ink,
        glyph.line,
        glyph.field,
        boxed=glyph.boxed,
        cells=glyph.cells,
    )
