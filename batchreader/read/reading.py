"""Reading clusters of glyphs: classify each glyph whole, and the pieces between its cut
points when the whole is unsure, then choose the best path through them (one
segmentation per cluster, by dynamic programming over the classifier's scores) with
the rules that keep letters, scribbles and marks from passing for digits."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from batchreader.read.classes import NOT_A_DIGIT, NUM_CLASSES, TOUCHING
from batchreader.read.normalize import to_mnist_batch
from batchreader.segment.cuts import Piece, clusters, equal_parts, glyph_cuts, parts_at, segments, small_letters
from batchreader.segment.glyphs import Glyph, ink_of


class Candidate(NamedTuple):
    """One candidate reading of part of a page: a glyph whole, a part of one between cut
    points, or several glyphs joined (see :func:`batchreader.segment.cuts.segments`).

    A slot is one cluster of glyphs; its candidates run between cut points ``start``
    and ``end``, and the classifier's scores pick the best way through them
    (:func:`best_segmentation`)."""

    slot: int
    start: int
    end: int
    kind: Piece
    line: int
    field: int
    x: int
    y: int
    width: int
    height: int
    fragment: bool = False
    """A piece too small to be a digit by itself (see :class:`batchreader.segment.glyphs.Glyph`):
    read only joined to a neighbour, alone it is a mark."""
    boxed: bool = False
    """In a printed comb box: its field's cells may hold marks beside digits (see
    :func:`_text_fields`)."""
    cells: bool = False
    """...in cells for a character each (see :attr:`batchreader.segment.glyphs.Glyph.cells`)."""
    loops: int = 0
    """...cut through a loop on this many of its sides (see :attr:`batchreader.segment.glyphs.Glyph.loops`)."""


def classify_glyphs(
    glyphs: list[Glyph], classifier, one_number: bool = False
) -> list[list[tuple[Candidate, np.ndarray, bool]]]:
    """Classify a page's glyphs and choose, per cluster, the best reading (see
    :func:`best_segmentation`). In an image that is ``one_number``, a cut through a
    digit's loop pays LOOP_COST.

    Lazily, in two rounds: first every glyph whole (and every candidate of clusters of
    several glyphs); then the pieces between cut points, only for glyphs whose whole
    reading is not already sure enough to beat any split (their cut points are looked
    for only then). A split has at least two pieces, each costing SEGMENT_PENALTY, and
    pays for cutting the glyph once (see TOUCHING_FLOOR), so a whole glyph scoring at
    least that much wins whatever its pieces say: skipping them changes no result and
    saves most of the classifier's work on ordinary pages. A glyph the model takes for
    touching digits gets its cut points then even when narrow (see :func:`_touching`);
    in a cluster of several glyphs, whose points were all found in the first round, the
    cluster is then read again whole.

    The small letters of printed words (see :func:`batchreader.segment.cuts.small_letters`)
    are added as marks, so that their fields are known for text.
    """
    slots: list[list[tuple[Candidate, Glyph]]] = []
    groups = clusters(glyphs)
    for slot, cluster in enumerate(groups):
        # a lone glyph is first read whole, without looking for its cuts
        found = [(0, 1, Piece.WHOLE, cluster[0])] if len(cluster) == 1 else segments(cluster)
        slots.append(_candidates(slot, found))
    probs: list[list[np.ndarray]] = _predict(classifier, slots)
    undecided, redone = [], []
    for slot, items in enumerate(slots):
        whole, glyph = items[0]
        if len(items) == 1:  # a lone glyph, read whole
            p = probs[slot][0]
            score, _ = _score(whole, p, whole.height)
            unsure = score < -2 * SEGMENT_PENALTY + _cutting_cost(p)
            if (unsure and not sure_mark(whole, p)) or _sure_scribble(whole, p):
                glyph_cuts(glyph, touching=_touching(p))
                found = segments(glyph)  # the whole again, now spanning its cut points, and its pieces
                if len(found) > 1:
                    slots[slot] = _candidates(slot, found)
                    undecided.append(slot)
        elif _recut_touching(items, probs[slot]):  # the cluster's points changed: all again
            slots[slot] = _candidates(slot, segments(groups[slot]))
            redone.append(slot)
    if undecided:
        pieces = [slots[slot][1:] for slot in undecided]
        for slot, more_probs in zip(undecided, _predict(classifier, pieces)):
            probs[slot].extend(more_probs)
    if redone:
        for slot, again in zip(redone, _predict(classifier, [slots[slot] for slot in redone])):
            probs[slot] = again
    loop_cost = LOOP_COST if one_number else 0.0
    chosen = [best_segmentation([c for c, _ in items], probs[slot], loop_cost) for slot, items in enumerate(slots)]
    chosen = _letters_not_digits(chosen, [[c for c, _ in items] for items in slots], probs)
    # small letters of printed words are marks of their fields (see page_rows' TEXT_MARKS)
    found = small_letters(glyphs, groups)
    letters = [_candidates(len(slots) + k, [(0, 1, Piece.WHOLE, g)]) for k, g in enumerate(found)]
    if letters:
        for items, letter_probs in zip(letters, _predict(classifier, letters)):
            chosen.append([(items[0][0], letter_probs[0], True)])
        chosen.sort(key=lambda slot: (slot[0][0].line, slot[0][0].field, slot[0][0].x))  # reading order
    return chosen


RUN_ASPECT = 1.2
"""In one written number (``--layout field``), a glyph rejected whole at least this many
times as wide as it is tall, and as tall as the number's digits (RUN_HEIGHT), is a run
of digits written in one stroke: it is parted into as many digits as its width holds
(see :func:`read_runs`)."""
RUN_HEIGHT = 0.6
"""...at least this share of the number's tallest glyph (lower, it is a dash or an
underline)."""


RUN_PIECE_HEIGHT = 0.5
"""A piece of a run lower than this share of the run's height is no digit (the dash or
underline the amount's last digit runs into)."""
RUN_PIECE_SURE = 0.5
"""Every digit of a parted run must be at least this likely: a run parted in the wrong
places reads as unsure digits."""


RUN_READ_SURE = 0.5
"""The run reader's reading of a run dropped whole is taken when its least sure digit
is at least this likely."""
RUN_READ_MORE = 0.8
"""...and its reading of a wide glyph already read, when it finds more digits there and
its least sure digit is at least this likely: a "000" written as a chain of rings is
read as one flat 0, or a 0 and a mark."""


def read_runs(chosen: list, glyphs: list[Glyph], classifier, runs=None) -> list:
    """In one written number, read the runs of digits that the cut points could not part.

    Amounts are often written in one stroke ("000", "16.386"): the strokes that join the
    digits stay on every piece between cut points, no path through them reads, and the
    glyph is dropped whole as touching digits, or read as fewer digits than it holds (a
    chain of rings as one flat 0). In a field that is one number, a wide glyph is read
    by the run reader (``runs``, a :class:`batchreader.read.runreader.RunReader`) too,
    whole, without cutting. Its reading is taken, the glyph parted where its ink is
    least between the digits it read, when it reads two digits or more and
    - the glyph was dropped whole, and each digit is sure (RUN_READ_SURE);
    - or the glyph was read as fewer digits, and each is surer (RUN_READ_MORE).
    A glyph dropped whole that the run reader does not read is parted near the columns
    that divide it into digits as wide as the number's other digits (or, with none,
    three quarters of its height), and the pieces are read if every one is a digit.
    """
    read = [box for slot in chosen for box, _, rejected in slot if not rejected]
    tallest = max((b.height for slot in chosen for b, _, _ in slot), default=0)
    width = float(np.median([b.width for b in read])) if read else None
    groups = clusters(glyphs)

    def run_glyph(slot) -> Glyph | None:  # the one wide glyph a slot was read from
        box = slot[0][0]
        if box.slot >= len(groups) or len(groups[box.slot]) != 1:
            return None
        size = box if len(slot) == 1 else groups[box.slot][0]  # read whole: as it was read
        if size.width >= RUN_ASPECT * size.height and size.height >= RUN_HEIGHT * tallest:
            return groups[box.slot][0]
        return None

    found = [run_glyph(slot) for slot in chosen]
    todo = [i for i, g in enumerate(found) if g is not None]
    readings = dict(zip(todo, runs.read([found[i].ink for i in todo]) if runs is not None else []))
    out = []
    for i, (slot, glyph) in enumerate(zip(chosen, found)):
        if glyph is None:
            out.append(slot)
            continue
        box = slot[0][0]._replace(x=glyph.x, y=glyph.y, width=glyph.width, height=glyph.height)
        dropped = len(slot) == 1 and slot[0][2]
        reading = readings.get(i)
        if dropped:
            best = _run_read(box, glyph, reading, RUN_READ_SURE) if reading is not None else None
            out.append(best or _run_parted(box, glyph, classifier, width) or slot)
        elif reading is not None and len(reading.digits) > sum(not rejected for _, _, rejected in slot):
            out.append(_run_read(box, glyph, reading, RUN_READ_MORE) or slot)
        else:
            out.append(slot)
    return out


def second_opinion(chosen: list, glyphs: list[Glyph], runs) -> list:
    """In one written number, let the run reader's reading of the whole field vote on each digit.

    The digit classifier reads each digit alone; the run reader (``runs``) reads the
    number's ink whole, left to right (:mod:`batchreader.read.runreader`). They were
    trained apart and err apart: on the real cheques, where both read as many digits
    but not the same ones, each is right about as often. When the run reader reads
    exactly as many digits as were read, each digit's probabilities become the
    geometric mean of the two readers' (normalised over the ten digits); otherwise the
    reading stands as it is.
    """
    read = [(k, j) for k, slot in enumerate(chosen) for j, (_, _, rejected) in enumerate(slot) if not rejected]
    if not read or not glyphs:
        return chosen
    reading = runs.read([ink_of(glyphs)])[0]
    if len(reading.digits) != len(read):
        return chosen
    out = [list(slot) for slot in chosen]
    for (k, j), q in zip(read, reading.probs):
        box, p, rejected = out[k][j]
        fused = np.sqrt(np.clip(p[:NOT_A_DIGIT], 1e-9, None) * np.clip(q, 1e-9, None))
        mixed = np.zeros_like(p)
        mixed[:NOT_A_DIGIT] = fused / fused.sum()
        out[k][j] = (box, mixed, rejected)
    return out


def _run_read(box: Candidate, glyph: Glyph, reading, sure: float) -> list | None:
    """A run parted between the digits the run reader read in it, or None (fewer than
    two digits, or one less likely than ``sure``)."""
    if len(reading.digits) < 2 or reading.confidence < sure:
        return None
    centres = reading.centres
    columns = [int(np.clip(round((a + b) / 2), 1, glyph.width - 1)) for a, b in zip(centres, centres[1:])]
    if len(set(columns)) < len(columns):
        return None
    reach = max(1, int(min(b - a for a, b in zip(centres, centres[1:])) / 4))
    pieces = parts_at(glyph, columns, reach)
    if pieces is None:
        return None
    out = []
    for g, q in zip(pieces, reading.probs):
        p = np.zeros(NUM_CLASSES, np.float32)
        p[:NOT_A_DIGIT] = q
        out.append((box._replace(kind=Piece.CUT, x=g.x, y=g.y, width=g.width, height=g.height), p, False))
    return out


def _run_parted(box: Candidate, glyph: Glyph, classifier, width: float | None) -> list | None:
    """A run parted near equal widths, when every piece reads as a digit; or None."""
    expected = box.width / (width or 0.75 * box.height)
    best, best_score = None, -np.inf
    for k in sorted({max(2, int(np.floor(expected)) + d) for d in (-1, 0, 1, 2)}):
        pieces = equal_parts(glyph, k)
        if pieces is None:
            continue
        # the dash after an amount, run into its last digit, is a piece too flat for a digit
        pieces = [g for g in pieces if g.height >= RUN_PIECE_HEIGHT * box.height]
        if not pieces:
            continue
        probs = classifier.predict(to_mnist_batch([g.ink for g in pieces]))
        if any(int(np.argmax(q)) >= NOT_A_DIGIT or q[:NOT_A_DIGIT].max() < RUN_PIECE_SURE for q in probs):
            continue
        score = float(np.mean([np.log(q[:NOT_A_DIGIT].max()) for q in probs]))
        if score > best_score:
            best_score = score
            best = [
                (box._replace(kind=Piece.CUT, x=g.x, y=g.y, width=g.width, height=g.height), q, False)
                for g, q in zip(pieces, probs)
            ]
    return best


def _letters_not_digits(
    chosen: list[list[tuple[Candidate, np.ndarray, bool]]],
    boxes: list[list[Candidate]],
    probs: list[list[np.ndarray]],
) -> list[list[tuple[Candidate, np.ndarray, bool]]]:
    """Each slot's reading, with a glyph the model does not take for one digit, cut
    into nothing but 1s, put back whole (as the mark it then is) when its field holds a
    mark as well: the strokes of a block capital's V, W or N read as sure 1s, and cut,
    the letter left its word short of the marks that make a field text (VAN read "1"
    "1" "4", its N alone a mark). Touching 1s in a number stand among digits. A glyph
    the model takes for a mark, cut into digits and a tall mark, is put back whole too
    (see WORD_MARK_HEIGHT)."""
    marked: dict[tuple[int, int], int] = {}  # field -> its tallest mark
    for slot in chosen:
        for box, _, rejected in slot:
            if rejected and not box.fragment:
                key = (box.line, box.field)
                marked[key] = max(marked.get(key, 0), box.height)
    out = []
    for slot, reading in enumerate(chosen):
        for r, whole in enumerate(boxes[slot]):
            p = probs[slot][r]
            if whole.kind != Piece.WHOLE or not _not_a_digit(p):
                continue
            run = [
                k
                for k, (b, _, _) in enumerate(reading)
                if b.kind == Piece.CUT and whole.start <= b.start and b.end <= whole.end
            ]
            if len(run) < 2:
                continue
            rejected = [reading[k][2] for k in run]
            word = (
                int(np.argmax(p)) == NOT_A_DIGIT
                and not all(rejected)
                and any(reading[k][2] and reading[k][0].height >= WORD_MARK_HEIGHT * whole.height for k in run)
            )
            ones = not any(rejected) and all(int(np.argmax(reading[k][1][:NOT_A_DIGIT])) == 1 for k in run)
            beside_mark = marked.get((whole.line, whole.field), 0) >= TEXT_MARK_HEIGHT * whole.height
            if word or (ones and beside_mark):
                reading = [*reading[: run[0]], (whole, p, True), *reading[run[-1] + 1 :]]
        out.append(reading)
    return out


def _touching(p: np.ndarray) -> bool:
    """Whether the model's likeliest reading of a whole glyph is touching digits: then
    it gets cut points even when narrow (a 1 written into its neighbour makes a pair
    narrower than a wide digit, see ``SegmentConfig.touching_aspect``)."""
    return int(np.argmax(p)) == TOUCHING


def _recut_touching(items: list[tuple[Candidate, Glyph]], probs: list[np.ndarray]) -> bool:
    """Give the glyphs of a cluster that the model takes for touching digits, but that
    were too narrow to get cut points, their cut points now; whether any got some."""
    recut = False
    for (box, glyph), p in zip(items, probs):
        if box.kind == Piece.WHOLE and not glyph.cuts and _touching(p):
            recut |= bool(glyph_cuts(glyph, touching=True))
    return recut


def _candidates(slot: int, found: list[tuple[int, int, Piece, Glyph]]) -> list[tuple[Candidate, Glyph]]:
    return [
        (
            Candidate(
                slot, s, e, k, g.line, g.field, g.x, g.y, g.width, g.height, g.fragment, g.boxed, g.cells, g.loops
            ),
            g,
        )
        for s, e, k, g in found
    ]


def _predict(classifier, groups: list[list[tuple[Candidate, Glyph]]]) -> list[list[np.ndarray]]:
    """Classify the glyphs of several groups in one batched call; probabilities per group."""
    framed = to_mnist_batch([g.ink for group in groups for _, g in group])
    flat = classifier.predict(framed) if len(framed) else np.zeros((0, NUM_CLASSES), np.float32)
    out, i = [], 0
    for group in groups:
        out.append(list(flat[i : i + len(group)]))
        i += len(group)
    return out


TEXT_MARK_HEIGHT = 0.4
"""A mark shorter than this share of its field's tallest glyph is no evidence of text:
a speck, or a piece of a broken digit left unjoined (printed letters are at least half
as tall as the capitals and digits beside them)."""


WORD_MARK_HEIGHT = 0.8
"""A glyph the model takes for a mark, cut into digits and a mark at least this share
of its height, is one mark: letters run together (the NE of NEW: the N's first stroke a
sure 1, the rest a mark). A run of touching digits the model takes for touching digits
is often cut into digits and a mark as tall (a badly parted middle digit), so the rule
stops at glyphs the model takes for a mark."""


LOOP_COST = 0.5
"""In one written number, a piece pays this for each of its cuts that ran through a
loop (crossing ink twice or more: see :attr:`batchreader.segment.glyphs.Glyph.loops`).
Digits written joined, in one stroke, meet at the stroke that joins them, which a cut
between them crosses once; a cut through a 0 leaves a C, read as a 6, and the rest of
the 0 on its neighbour, or read as a digit of its own. Real cheques exact 55.4 -> 56.7%
(56.4-56.7% for 0.25 to 2), strips with a digit too many 83 -> 54;
on pages it cost the forms two digits (c1_form_03's signatures), so pages pay none."""

SEGMENT_PENALTY = 0.1
"""Cost of each extra piece in a segmentation, in log-probability: a glyph is split only
when its pieces are clearly surer than the whole (halves of a 0 look like digits too)."""


ONE_CHARACTER = 1.15
"""Widest glyph (in heights) that is taken for a single character when it is not a digit."""


BOXED_MARK = 1.8
"""...and in a comb box, where one cell holds one character and digits do not run into
each other: an X or a tick across a cell is flatter than a letter, and cut up, its
halves read as a 7 and a 6, or two 1s."""


SURE_MARK = 0.9
"""A glyph the model takes for a non-digit at least this surely is not cut into digits."""


TOUCHING_FLOOR = 0.05
"""Cutting a glyph costs log(the model's probability that it is several touching digits,
see :func:`_cutting_cost`), at most -log(TOUCHING_FLOOR): a wide 9 the model reads as
a 9 stays whole even when its tail alone would pass for a sure 1."""


SURE_SCRIBBLE = 0.9


SCRIBBLE_WIDTH = 3.0
"""A glyph wider than one character is taken whole as a mark (a signature, a scribble)
only when it is at least SCRIBBLE_WIDTH heights long and the model is SURE_SCRIBBLE
sure; otherwise its pieces must speak for themselves (touching digits). A run of
touching digits goes to the model's "touching digits" class, not to "not a digit"; but
the model learnt that class from runs of two and three, so a longer run can still look
like a scribble to it: such a glyph is read as digits all the same when its pieces are
digits, SURE_PIECES sure on average (a signature's pieces are letters and marks)."""


SURE_PIECES = 0.9


SURE_WORD = 0.95


NOT_TOUCHING = 0.02
"""A glyph of any width the model takes for a mark at least SURE_WORD surely, giving
touching digits at most NOT_TOUCHING, is taken like a scribble: letters written into
each other (the AN of VAN, which cut reads "4" "1" "1"). Touching digits keep some
chance of touching digits with the model however they look (00666: 0.33; five digits
in a run: 0.06)."""


HIDDEN_TOUCHING = 0.1
"""A glyph the model takes for a mark, with at least this chance of being touching
digits (a 0 with a 1 leaning on it: a mark at 0.67, touching digits at 0.33), is read
as digits when its best split gives sure ones (SURE_PIECES), not all 1s: the strokes of
a block capital (H, N, V) read as sure 1s too."""


TOO_SHORT = 0.5
"""A piece shorter than this share of its slot's tallest glyph is no digit by itself
(the tail of a 2 cut off, a fragment of a broken stroke): at best a mark."""


SHORT = 0.8
"""Pieces shorter than this share of the slot's tallest glyph read as digits only at a
cost (SHORT_COST per unit of height missing): a line's digits are of one size."""


SHORT_COST = 2.0


WIDEST_USUAL = (1.43, 1.0, 1.67, 1.25, 1.25, 1.67, 1.11, 1.25, 1.25, 1.05)
"""Per digit, the width (in heights) that only 1% of MNIST's training digits exceed
(``benchmarks/digit_widths.py``). A reading wider than that pays WIDE_COST per unit of
relative width beyond it: where touching digits could be parted two ways that read
equally surely, "7" "3" with the 7 taking in the left half of an 8 beside it (1.3
heights wide) against "7" "8", the usual shapes win."""


WIDE_COST = 2.0


STRAY_COST = 0.5
"""Cost of leaving a piece unread as a mark in a cluster of glyphs that could be joined
into one digit: a fine pen breaks a 6 into an arc that reads as 1 and a loop that
reads as nothing, and the joined 6 should win unless it is itself unlikely."""


def best_segmentation(
    boxes: list[Candidate], probs: list[np.ndarray], loop_cost: float = 0.0
) -> list[tuple[Candidate, np.ndarray, bool]]:
    """The candidates of one slot on the best path through its cut points, each with
    its probabilities and whether it is rejected (not a digit).

    Each candidate scores log(probability of its likeliest class) - SEGMENT_PENALTY
    (see :func:`_score`); the path from the first point to the last with the highest
    total wins (dynamic programming over the points), and pieces the model takes for
    non-digits are dropped later. So a glyph is cut only when its parts are surer than
    the whole, and broken glyphs are joined only when the whole is surer than its parts;
    a join the model takes for touching digits is no candidate (several digits, not one).

    A glyph no wider than one character that the model surely takes for a non-digit (a
    printed N, a letter) is not cut: its strokes alone would pass for 1s. A glyph whose
    best cut leaves only marks is read whole. A long glyph the model takes for a
    scribble, or a glyph it half takes for touching digits, is cut when its pieces are
    sure digits (see :func:`_digits_behind_marks`).
    """
    uncut = [(b.start, b.end) for b, p in zip(boxes, probs) if sure_mark(b, p)]
    tallest = max(b.height for b in boxes if b.kind != Piece.CUT)
    joinable = any(b.kind == Piece.JOINED for b in boxes)
    pieces: dict[int, list[tuple[int, float, int]]] = {}  # end -> [(start, score, row)]
    marks: set[int] = set()  # rows that can only be marks
    # the cut pieces starting where a glyph starts pay once for cutting it (see TOUCHING_FLOOR)
    several = {b.start: _cutting_cost(p) for b, p in zip(boxes, probs) if b.kind == Piece.WHOLE}
    last = 0
    for r, box in enumerate(boxes):
        last = max(last, box.end)
        if box.kind == Piece.CUT and any(a <= box.start and box.end <= b for a, b in uncut):
            continue
        if box.kind == Piece.JOINED and _touching(probs[r]):
            continue  # joined, the glyphs are several digits: no reading of them whole is one
        score, mark = _score(box, probs[r], tallest, joinable, loop_cost)
        if box.kind == Piece.CUT:
            score += several.get(box.start, 0.0)
        if mark:
            marks.add(r)
        pieces.setdefault(box.end, []).append((box.start, score, r))
    path = _digits_behind_marks(boxes, probs, pieces, _best_path(pieces, last), marks)
    chosen = [(boxes[r], probs[r], r in marks or _not_a_digit(probs[r])) for r in path]
    if len(chosen) > 1 and all(rejected for *_, rejected in chosen) and boxes[0].kind == Piece.WHOLE:
        # a glyph cut into nothing but marks is one glyph the model is unsure of (a 7
        # with a speck on its bar): read whole, it is either a digit or one mark
        whole = boxes[0]
        if whole.start == 0 and whole.end == last:
            return [(whole, probs[0], _not_a_digit(probs[0]))]
    return chosen


def _digits_behind_marks(
    boxes: list[Candidate],
    probs: list[np.ndarray],
    pieces: dict[int, list[tuple[int, float, int]]],
    path: list[int],
    marks: set[int],
) -> list[int]:
    """``path`` with each whole glyph on it that the model takes for a mark, but that may
    be digits, replaced by its best split when the split reads as sure digits (see
    SURE_PIECES): a long scribble or letters run together (see :func:`_sure_scribble`),
    or a glyph the model half takes for touching digits (see HIDDEN_TOUCHING) whose split
    is not all 1s."""
    out = []
    for r in path:
        box, p = boxes[r], probs[r]
        scribble = _sure_scribble(box, p)
        if scribble or (box.kind == Piece.WHOLE and _not_a_digit(p) and p[TOUCHING] >= HIDDEN_TOUCHING):
            split = _best_path(pieces, box.end, first=box.start, skip=r)
            if (
                split
                and not marks.intersection(split)
                and _sure_digits([probs[k] for k in split], [boxes[k].height / box.height for k in split])
                and (scribble or any(int(np.argmax(probs[k])) != 1 for k in split))
            ):
                out.extend(split)
                continue
        out.append(r)
    return out


def _best_path(
    pieces: dict[int, list[tuple[int, float, int]]], last: int, first: int = 0, skip: int | None = None
) -> list[int]:
    """The rows of the highest-scoring chain of pieces from point ``first`` to ``last``
    (dynamic programming over the points; ``pieces`` maps an end point to its (start,
    score, row) candidates), leaving out the row ``skip``; empty when no chain reaches
    ``last``."""
    best: dict[int, tuple[float, int, int]] = {first: (0.0, -1, -1)}  # point -> (total, previous point, row)
    for end in range(first + 1, last + 1):
        for start, score, row in pieces.get(end, []):
            if start in best and row != skip:
                total = best[start][0] + score
                if end not in best or total > best[end][0]:
                    best[end] = (total, start, row)
    if last not in best:
        return []
    rows = []
    point = last
    while point > first:
        _, point, row = best[point]
        rows.append(row)
    return rows[::-1]


def _sure_scribble(box: Candidate, p: np.ndarray) -> bool:
    """A whole glyph long enough for a signature that the model surely takes for a mark
    (see SURE_SCRIBBLE), or one it takes for a mark and hardly for touching digits (see
    SURE_WORD)."""
    if box.kind != Piece.WHOLE:
        return False
    word = p[NOT_A_DIGIT] >= SURE_WORD and p[TOUCHING] <= NOT_TOUCHING
    return word or (p[NOT_A_DIGIT] >= SURE_SCRIBBLE and box.width >= SCRIBBLE_WIDTH * box.height)


def _sure_digits(probs: list[np.ndarray], shares: list[float]) -> bool:
    """Whether the pieces with these probabilities, each ``shares`` of the whole glyph's
    height, are all digits, as sure as SURE_PIECES on average (geometric mean: one digit
    cut short may be less sure), a short piece's certainty paying as on a path (SHORT):
    the zigzag of a long scribble cuts into pieces that pass for digits, but shorter
    than the glyph, while touching digits stand as tall as their run."""
    if any(_not_a_digit(p) for p in probs):
        return False
    sureness = [np.log(p.max()) - _short_cost(share) for p, share in zip(probs, shares)]
    return float(np.mean(sureness)) >= float(np.log(SURE_PIECES))


def _short_cost(share: float) -> float:
    """What reading a piece ``share`` of its glyphs' height as a digit costs (see SHORT)."""
    return SHORT_COST * max(0.0, SHORT - share)


def _not_a_digit(p: np.ndarray) -> bool:
    """Whether the model's likeliest reading is no digit: a mark, or touching digits
    that no cut could part (reading those as one digit would invent a number)."""
    return int(np.argmax(p)) >= NOT_A_DIGIT


def _cutting_cost(p: np.ndarray) -> float:
    """What cutting a whole glyph with probabilities ``p`` costs (see TOUCHING_FLOOR).

    Only the chance of touching digits counts, not that of a mark: the strokes of a
    handwritten capital the model half takes for a mark (the two bars of a V, the
    stems of an H) are sure 1s too, and cutting such glyphs at the price of their mark
    chance invented half as many digits again on block capitals as before (see
    ``test_a_narrow_glyph_the_model_half_takes_for_a_mark_stays_one_mark``).
    """
    return float(np.log(max(float(p[TOUCHING]), TOUCHING_FLOOR)))


def sure_mark(box: Candidate, p: np.ndarray) -> bool:
    """A whole glyph, no wider than one character, that the model surely takes for a mark."""
    return box.kind == Piece.WHOLE and p[NOT_A_DIGIT] >= SURE_MARK and box.width <= _one_character(box)


def _one_character(box: Candidate) -> float:
    """The widest a glyph can be as one character (see ONE_CHARACTER, BOXED_MARK)."""
    return (BOXED_MARK if box.boxed else ONE_CHARACTER) * box.height


def _score(
    box: Candidate, p: np.ndarray, tallest: int, joinable: bool = False, loop_cost: float = 0.0
) -> tuple[float, bool]:
    """A candidate's score on a segmentation path, and whether it can only be a mark.
    A piece cut through a loop pays ``loop_cost`` for each such cut (see LOOP_COST).

    A glyph wider than one character (see :func:`_one_character`) is never taken as a
    non-digit, whole (touching digits look like a scribble as a whole, so its pieces
    must speak for themselves; a long sure scribble excepted) or cut (a piece that wide
    is digits still joined: taken as one mark, it hid "00" and left the field's last
    digits beside two marks, text); neither are joined glyphs (joining exists to find a
    digit, not to hide two). Pieces much shorter than the slot's glyphs pay for reading
    as digits (see SHORT and TOO_SHORT); so do pieces left as marks where glyphs could be
    joined (STRAY_COST), and readings unusually wide for their digit (WIDEST_USUAL).
    """
    digit_only = box.kind == Piece.JOINED or (box.width > _one_character(box) and not _sure_scribble(box, p))
    q = p[:NOT_A_DIGIT] if digit_only else p[:TOUCHING]  # "touching digits" is never a reading
    share = box.height / tallest
    mark = box.fragment or (share < TOO_SHORT and (box.kind != Piece.WHOLE or joinable))
    stray = STRAY_COST if joinable else 0.0
    reading = int(np.argmax(q))
    if mark:
        likely, cost = float(p[NOT_A_DIGIT]), stray
    elif reading == NOT_A_DIGIT:
        likely, cost = float(q[reading]), stray
    else:
        likely, cost = float(q[reading]), _short_cost(share)
        cost += WIDE_COST * max(0.0, box.width / box.height / WIDEST_USUAL[reading] - 1.0)
    return float(np.log(max(likely, 1e-9))) - SEGMENT_PENALTY - cost - loop_cost * box.loops, mark
