"""The scan pipeline: files -> pages -> candidate digits -> classified rows -> CSV.

Stages: discover input files; per file (in worker processes when ``jobs > 1``)
decode pages, segment them and frame each candidate as MNIST; in the main process
classify candidates of many pages in one batched call; write the CSV atomically.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np

from batchreader.atomic import AtomicOutput
from batchreader.defaults import PDF_DPI
from batchreader.errors import ExitCode, InputNotFoundError
from batchreader.journal import Journal
from batchreader.model import NOT_A_DIGIT, NUM_CLASSES, TOUCHING
from batchreader.normalize import to_mnist_batch
from batchreader.pages import InputFile, Page, PageFailure, discover, read_pages
from batchreader.results import CsvStream, fields_frame
from batchreader.schema import ResultRow, Status, rows_to_frame
from batchreader.segment import Glyph, Piece, clusters, glyph_cuts, segment, segments, small_letters

log = logging.getLogger(__name__)


class Candidate(NamedTuple):
    """One candidate reading of part of a page: a glyph whole, a part of one between cut
    points, or several glyphs joined (see :func:`batchreader.segment.segments`).

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
    """A piece too small to be a digit by itself (see :class:`batchreader.segment.Glyph`):
    read only joined to a neighbour, alone it is a mark."""
    boxed: bool = False
    """In a printed comb box: its field's cells may hold marks beside digits (see
    :func:`_text_fields`)."""


@dataclass
class ScanSummary:
    """What a scan did, for the closing log line and the exit code."""

    files: int = 0
    pages: int = 0
    digits: int = 0
    rejected: int = 0
    failed: int = 0
    confidence_sum: float = 0.0
    seconds: float = 0.0

    @property
    def mean_confidence(self) -> float:
        return self.confidence_sum / self.digits if self.digits else 0.0

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.SOME_FILES_FAILED if self.failed else ExitCode.OK


def process_file(item: InputFile, dpi: float, model: Path | None, keep_rejected: bool) -> list[ResultRow]:
    """Read every page of one file: its result rows (runs in a worker).

    The model is loaded once per process (:meth:`Classifier.load` keeps it). A page
    that cannot be decoded or read becomes an error row; a model that cannot be loaded
    stops the run.
    """
    from batchreader.classify import Classifier

    classifier = Classifier.load(model)
    rows: list[ResultRow] = []
    for page in read_pages(item, dpi):
        if isinstance(page, PageFailure):
            rows.append(ResultRow(file=page.file, page=page.number, status=Status.ERROR.value, error=page.message))
            continue
        try:
            rows.extend(read_page(page, classifier, keep_rejected))
        except Exception as exc:  # a page that breaks the reader is that page's error row
            log.exception("reading failed on %s page %d", page.file, page.number)
            rows.append(
                ResultRow(file=page.file, page=page.number, status=Status.ERROR.value, error=f"reading failed: {exc}")
            )
    return rows


def read_page(page: Page, classifier, keep_rejected: bool = False) -> list[ResultRow]:
    """The result rows of one decoded page: segment, classify, choose, number."""
    chosen, printed = classify_glyphs(segment(page.gray, page.dpi), classifier)
    return page_rows(page.file, page.number, chosen, keep_rejected, printed)


def classify_glyphs(
    glyphs: list[Glyph], classifier
) -> tuple[list[list[tuple[Candidate, np.ndarray, bool]]], set[tuple[int, int]]]:
    """Classify a page's glyphs and choose, per cluster, the best reading (see
    :func:`best_segmentation`); also return the fields that are print (see
    :func:`printed_fields`).

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

    The small letters of printed words (see :func:`batchreader.segment.small_letters`)
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
            if (unsure and not _sure_mark(whole, p)) or _sure_scribble(whole, p):
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
    chosen = [best_segmentation([c for c, _ in items], probs[slot]) for slot, items in enumerate(slots)]
    chosen = _letters_not_digits(chosen, [[c for c, _ in items] for items in slots], probs)
    ink = {c: g for items in slots for c, g in items}
    printed = printed_fields([(c, ink[c]) for slot in chosen for c, _, rejected in slot if not rejected])
    # small letters of printed words are marks of their fields (see page_rows' TEXT_MARKS)
    found = small_letters(glyphs, groups)
    letters = [_candidates(len(slots) + k, [(0, 1, Piece.WHOLE, g)]) for k, g in enumerate(found)]
    if letters:
        for items, letter_probs in zip(letters, _predict(classifier, letters)):
            chosen.append([(items[0][0], letter_probs[0], True)])
        chosen.sort(key=lambda slot: (slot[0][0].line, slot[0][0].field, slot[0][0].x))  # reading order
    return chosen, printed


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


SAME_GLYPH = 0.9
"""Two digits of one field whose ink masks overlap at least this much (intersection
over union, best of one-pixel shifts) are the same glyph printed twice."""


def printed_fields(digits: list[tuple[Candidate, Glyph]]) -> set[tuple[int, int]]:
    """Fields holding the same digit twice, pixel for pixel: print (a printed "555"
    beside a label), since no hand writes a digit twice alike. Plain bars (1, l, |) are
    too simple to tell and are not compared."""
    by_field: dict[tuple[int, int], list[np.ndarray]] = {}
    for c, g in digits:
        if g.width >= 0.35 * g.height:
            by_field.setdefault((c.line, c.field), []).append(g.ink > 0)
    printed = set()
    for key, masks in by_field.items():
        if any(_same_glyph(a, b) for i, a in enumerate(masks) for b in masks[i + 1 :]):
            printed.add(key)
    return printed


def _same_glyph(a: np.ndarray, b: np.ndarray) -> bool:
    if abs(a.shape[0] - b.shape[0]) > 1 or abs(a.shape[1] - b.shape[1]) > 1:
        return False
    h, w = max(a.shape[0], b.shape[0]) + 2, max(a.shape[1], b.shape[1]) + 2
    canvas = np.zeros((h, w), bool)
    canvas[1 : 1 + a.shape[0], 1 : 1 + a.shape[1]] = a
    best = 0.0
    for dy in range(3):
        for dx in range(3):
            other = np.zeros((h, w), bool)
            other[dy : dy + b.shape[0], dx : dx + b.shape[1]] = b[: h - dy, : w - dx]
            union = np.count_nonzero(canvas | other)
            best = max(best, np.count_nonzero(canvas & other) / max(1, union))
    return best >= SAME_GLYPH


def _candidates(slot: int, found: list[tuple[int, int, Piece, Glyph]]) -> list[tuple[Candidate, Glyph]]:
    return [
        (Candidate(slot, s, e, k, g.line, g.field, g.x, g.y, g.width, g.height, g.fragment, g.boxed), g)
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


def single_threaded() -> None:
    """Worker set-up: one OpenCV thread per worker process, so N workers use N cores."""
    cv2.setNumThreads(1)


ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
"""Environment of worker processes: one BLAS thread each (read when NumPy loads)."""


@contextmanager
def child_environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the processes started inside the block only."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _process_all(
    files: list[InputFile],
    dpi: float,
    jobs: int,
    model: Path | None,
    keep_rejected: bool,
    scheduler: str | None = None,
    dask_workers: int | None = None,
) -> Iterator[list[ResultRow]]:
    """Run :func:`process_file` over ``files``, yielding each file's rows in input order.

    In this process (``jobs == 1``), in a local pool of ``jobs`` processes (each with
    one OpenCV and one BLAS thread), or on a Dask cluster (``scheduler`` address, or a
    local cluster of ``dask_workers`` processes).
    """
    if scheduler or dask_workers:
        from batchreader.distributed import dask_map

        yield from dask_map(process_file, files, dpi, model, keep_rejected, scheduler=scheduler, workers=dask_workers)
        return
    if jobs <= 1 or len(files) <= 1:
        for item in files:
            yield process_file(item, dpi, model, keep_rejected)
        return
    context = get_context("spawn")  # not fork: a library caller may hold threads (TensorFlow's, BLAS')
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=single_threaded) as pool:
        n = len(files)
        with child_environment(ONE_THREAD):  # the workers start with the first task
            results = pool.map(process_file, files, [dpi] * n, [model] * n, [keep_rejected] * n, chunksize=1)
        yield from results


NUMBER_DIGITS = 2
IN_NUMBER_CONFIDENCE = 0.25
"""See :func:`page_rows`: a thin 9 the model half takes for print, inside a written
number, is a 9."""

TEXT_MARKS = 2
"""A field holding this many marks that are not digits (or more non-digits than digits)
is printed or written text, such as a label 'Tel. 555': none of it is reported."""

SURE_LETTER = 0.99
"""A mark one character wide that the model is this sure of is a letter: it alone makes
its field text. Words in block capitals have letters whose strokes read as digits (TED:
T a 7, D a 0) beside one the model knows (E); a number holding one unreadable glyph is
mostly unsure of it. A mark enclosing another glyph of its field is no letter: it is a
box's frame left round its digit. Nor is a mark in a comb cell (see :func:`_text_fields`)."""


def page_rows(
    file: str,
    page: int | None,
    chosen: list[list[tuple[Candidate, np.ndarray, bool]]],
    keep_rejected: bool,
    printed: set[tuple[int, int]] = frozenset(),
) -> list[ResultRow]:
    """Turn the chosen readings of one page into its result rows, numbered in order.
    Text fields (see TEXT_MARKS), fields much smaller than the rest of their line (see
    SMALL_FIELD) and ``printed`` fields are rejected; a glyph taken for a
    non-digit in a field of NUMBER_DIGITS digits or more is read as its likeliest digit
    when that is at least IN_NUMBER_CONFIDENCE likely."""
    candidates = []
    letters = set()  # the candidates that are surely a letter (see SURE_LETTER)
    for slot in chosen:
        for box, p, rejected in slot:
            digit_probs = p[:NOT_A_DIGIT]
            first, second = np.argsort(digit_probs)[::-1][:2]
            row = ResultRow(
                file=file,
                page=page,
                line=box.line,
                field=box.field,
                index=0,
                x=box.x,
                y=box.y,
                width=box.width,
                height=box.height,
                digit=int(first),
                confidence=float(digit_probs[first]),
                second_digit=int(second),
                second_confidence=float(digit_probs[second]),
            )
            if rejected and _sure_mark(box, p) and p[NOT_A_DIGIT] >= SURE_LETTER:
                letters.add(len(candidates))
            candidates.append((row, rejected))
    tallest: dict[tuple[int, int], int] = {}
    for row, _ in candidates:
        key = (row.line, row.field)
        tallest[key] = max(tallest.get(key, 0), row.height)
    # a box's frame left standing round its digit is no letter
    letters = {k for k in letters if not any(_encloses(candidates[k][0], row) for row, _ in candidates)}
    boxed = {(box.line, box.field) for slot in chosen for box, _, _ in slot if box.boxed}
    text_fields = _text_fields(candidates, tallest, letters, boxed) | set(printed)
    text_fields |= _small_fields(candidates, text_fields)
    # a hesitant non-digit inside a handwritten number is one of its digits (print and
    # marks do not sit between the digits of one number); a piece too short to be a
    # digit is not one
    digits_in = Counter((row.line, row.field) for row, rejected in candidates if not rejected)
    rows = []
    for row, rejected in candidates:
        key = (row.line, row.field)
        if (
            rejected
            and digits_in[key] >= NUMBER_DIGITS
            and row.confidence >= IN_NUMBER_CONFIDENCE
            and row.height >= TOO_SHORT * tallest[key]
        ):
            rejected = False
        if rejected or key in text_fields:
            if not keep_rejected:
                continue
            row.status = Status.REJECTED.value
        rows.append(row)
    if not rows:
        rows.append(ResultRow(file=file, page=page, status=Status.EMPTY.value))
    return _renumber(rows)


SMALL_FIELD = 0.6
"""A field whose glyphs are less than this share of the height of the other fields on
its line is print (see :func:`_small_fields`)."""


def _encloses(a: ResultRow, b: ResultRow) -> bool:
    """Whether ``b`` (another row of ``a``'s field) has its centre inside ``a``'s box."""
    if b is a or (b.line, b.field) != (a.line, a.field):
        return False
    cx, cy = b.x + b.width / 2, b.y + b.height / 2
    return a.x < cx < a.x + a.width and a.y < cy < a.y + a.height


def _small_fields(candidates: list[tuple[ResultRow, bool]], text: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Fields much smaller than the numbers on their line: the printed label beside a
    handwritten number ("Qty", "Page 2 of 3"). Print on a form is smaller than the
    hand that fills it in, and one hand writes the numbers of a line at one size.
    Only fields that are not ``text`` set the size: a large printed heading does not
    make the small handwriting beside it print."""
    heights: dict[tuple[int, int], list[int]] = {}
    for row, _ in candidates:
        heights.setdefault((row.line, row.field), []).append(row.height)
    small = set()
    for key, own in heights.items():
        others = [
            h for other, hs in heights.items() if other[0] == key[0] and other != key and other not in text for h in hs
        ]
        if others and np.median(own) < SMALL_FIELD * np.median(others):
            small.add(key)
    return small


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

UNSURE_DIGIT = 0.9
"""A field holding a mark and a digit the model is less than this sure of is text when
its marks are at least as many as its sure digits: the letters of a word that pass for
digits mostly pass unsurely (DATE: the E a mark, the D a 0 at 0.81, the A a 4 at 0.68,
the T a 7 at 1.0), while a number with a stray mark in it reads surely."""


def _text_fields(
    candidates: list[tuple[ResultRow, bool]],
    tallest: dict[tuple[int, int], int],
    letters: set[int] = frozenset(),
    boxed: set[tuple[int, int]] = frozenset(),
) -> set[tuple[int, int]]:
    """Fields with more marks of TEXT_MARK_HEIGHT or more than digits, or TEXT_MARKS of
    them, or as many as their sure digits beside an unsure one (see UNSURE_DIGIT), a sure
    letter counting for all of them (``letters``: their numbers among the candidates,
    see SURE_LETTER); ``tallest`` is each field's tallest glyph. In ``boxed`` fields (comb
    boxes) only the first holds: a cell crossed out or ticked is no letter of a word."""
    marks: dict[tuple[int, int], list[int]] = {}  # field -> [digits, marks, unsure digits]
    for k, (row, rejected) in enumerate(candidates):
        key = (row.line, row.field)
        counts = marks.setdefault(key, [0, 0, 0])
        if not rejected:
            counts[0] += 1
            counts[2] += row.confidence < UNSURE_DIGIT
        elif row.height >= TEXT_MARK_HEIGHT * tallest[key]:
            counts[1] += TEXT_MARKS if k in letters and key not in boxed else 1
    return {
        key
        for key, (digits, other, unsure) in marks.items()
        if other > digits
        or (key not in boxed and (other >= TEXT_MARKS or (other and unsure and other >= digits - unsure)))
    }


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


def best_segmentation(boxes: list[Candidate], probs: list[np.ndarray]) -> list[tuple[Candidate, np.ndarray, bool]]:
    """The candidates of one slot on the best path through its cut points, each with
    its probabilities and whether it is rejected (not a digit).

    Each candidate scores log(probability of its likeliest class) - SEGMENT_PENALTY
    (see :func:`_score`); the path from the first point to the last with the highest
    total wins (dynamic programming over the points), and pieces the model takes for
    non-digits are dropped later. So a glyph is cut only when its parts are surer than
    the whole, and broken glyphs are joined only when the whole is surer than its parts.

    A glyph no wider than one character that the model surely takes for a non-digit (a
    printed N, a letter) is not cut: its strokes alone would pass for 1s. A glyph whose
    best cut leaves only marks is read whole. A long glyph the model takes for a
    scribble, or a glyph it half takes for touching digits, is cut when its pieces are
    sure digits (see :func:`_digits_behind_marks`).
    """
    uncut = [(b.start, b.end) for b, p in zip(boxes, probs) if _sure_mark(b, p)]
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
        score, mark = _score(box, probs[r], tallest, joinable)
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


def _sure_mark(box: Candidate, p: np.ndarray) -> bool:
    """A whole glyph, no wider than one character, that the model surely takes for a mark."""
    return box.kind == Piece.WHOLE and p[NOT_A_DIGIT] >= SURE_MARK and box.width <= _one_character(box)


def _one_character(box: Candidate) -> float:
    """The widest a glyph can be as one character (see ONE_CHARACTER, BOXED_MARK)."""
    return (BOXED_MARK if box.boxed else ONE_CHARACTER) * box.height


def _score(box: Candidate, p: np.ndarray, tallest: int, joinable: bool = False) -> tuple[float, bool]:
    """A candidate's score on a segmentation path, and whether it can only be a mark.

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
    return float(np.log(max(likely, 1e-9))) - SEGMENT_PENALTY - cost, mark


def _renumber(rows: list[ResultRow]) -> list[ResultRow]:
    """Renumber lines, fields and indices densely after rejected marks were dropped."""
    line_map: dict[int, int] = {}
    field_map: dict[tuple[int, int], int] = {}
    counters: dict[tuple[int, int], int] = {}
    for row in rows:
        if row.line is None:
            continue
        new_line = line_map.setdefault(row.line, len(line_map) + 1)
        fields_in_line = sum(1 for key in field_map if key[0] == new_line)
        new_field = field_map.setdefault((new_line, row.field), fields_in_line + 1)
        counters[(new_line, new_field)] = counters.get((new_line, new_field), 0) + 1
        row.line, row.field, row.index = new_line, new_field, counters[(new_line, new_field)]
    return rows


def _progress(files: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=files, unit="file", file=sys.stderr, disable=not enabled, dynamic_ncols=True)


def scan(
    inputs: Iterable[Path | str],
    out: Path | str,
    model: Path | str | None = None,
    dpi: float = PDF_DPI,
    jobs: int | None = None,
    keep_rejected: bool = False,
    progress: bool = False,
    fields_out: Path | str | None = None,
    force: bool = False,
    scheduler: str | None = None,
    dask_workers: int | None = None,
) -> ScanSummary:
    """Read every handwritten digit in ``inputs`` and write the results CSV to ``out``.

    Args:
        inputs: files and folders (walked recursively, sorted).
        out: results CSV; written atomically, replaced only when the run completes.
        model: ``.keras`` model with its card; default the shipped model.
        dpi: resolution at which PDF pages are rendered.
        jobs: worker processes for decoding and segmentation (default: all cores).
        keep_rejected: also write marks judged not to be digits, with ``status=rejected``.
        progress: show a progress bar on stderr.
        fields_out: also write one row per field (written number) to this CSV.
        force: ignore the journal of an interrupted run and read everything again.
        scheduler: address of a Dask scheduler to send pages to (``tcp://host:8786``).
        dask_workers: or start a local Dask cluster with this many worker processes.

    Raises:
        InputNotFoundError, ModelError, OutputError: before any page is read.
    """
    from batchreader.modelcard import default_model_path, verify_model

    started = time.monotonic()
    files = discover([Path(p) for p in inputs])
    if not files:
        raise InputNotFoundError("no scans found in the inputs", "supported: .png .jpg .jpeg .tif .tiff .bmp .pdf")
    jobs = max(1, jobs or os.cpu_count() or 1)
    model_path = Path(model).resolve() if model else None  # None: each worker finds its installed model
    stream = CsvStream(AtomicOutput(Path(out)))
    try:
        fields_stream = CsvStream(AtomicOutput(Path(fields_out))) if fields_out else None
    except BaseException:
        stream.discard()
        raise
    journal = None
    complete = False
    summary = ScanSummary(files=len(files))
    try:
        card = verify_model(model_path or default_model_path())  # a wrong file stops the run before any work
        settings = {"model_sha256": card["sha256"], "dpi": dpi, "keep_rejected": keep_rejected}
        journal = Journal(Path(out), settings, force=force)
        done = {item.name: journal.finished(item) for item in files}
        todo = [item for item in files if done[item.name] is None]
        with _progress(len(files), progress) as bar:
            bar.update(len(files) - len(todo))
            pages_done = digits_found = 0
            loop_started = time.monotonic()
            results = iter(_process_all(todo, dpi, jobs, model_path, keep_rejected, scheduler, dask_workers))
            # files are written in input order as they finish: read ones from the
            # journal, new ones from the workers (which return them in order)
            for item in files:
                file_rows = done[item.name]
                if file_rows is None:
                    file_rows = next(results)
                    journal.record(item, file_rows)
                    pages_done += len({row.page for row in file_rows})
                    digits_found += sum(row.status == Status.OK.value for row in file_rows)
                    rate = digits_found / max(1e-6, time.monotonic() - loop_started)
                    bar.set_postfix(pages=pages_done, digits_per_s=f"{rate:.0f}", refresh=False)
                    bar.update(1)
                frame = rows_to_frame(file_rows)
                stream.write(frame)
                if fields_stream is not None:
                    fields_stream.write(fields_frame(frame))
                summarise(file_rows, summary)
        if fields_stream is not None:
            fields_stream.commit()
        stream.commit()
        complete = True
    except BaseException:
        stream.discard()
        if fields_stream is not None:
            fields_stream.discard()
        raise
    finally:
        if journal is not None:
            journal.close(complete)
    summary.seconds = time.monotonic() - started
    log.info(
        "%d files, %d pages, %d digits (mean confidence %.3f), %d rejected marks, %d failures in %.1f s",
        summary.files,
        summary.pages,
        summary.digits,
        summary.mean_confidence,
        summary.rejected,
        summary.failed,
        summary.seconds,
    )
    return summary


def summarise(rows: list[ResultRow], summary: ScanSummary) -> ScanSummary:
    """Add the pages, digits, rejected marks and failures of some result rows to ``summary``."""
    pages = set()
    for row in rows:
        if row.status == Status.ERROR.value:
            summary.failed += 1
            continue
        pages.add((row.file, row.page))
        if row.status == Status.OK.value:
            summary.digits += 1
            summary.confidence_sum += row.confidence or 0.0
        elif row.status == Status.REJECTED.value:
            summary.rejected += 1
    summary.pages += len(pages)
    return summary
