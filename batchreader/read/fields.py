"""From chosen readings to result rows: which fields are numbers and which are text
(printed labels, handwritten words) or print, and the rows of the digits kept."""

from __future__ import annotations

from collections import Counter

import numpy as np

from batchreader.read.classes import NOT_A_DIGIT
from batchreader.read.reading import TEXT_MARK_HEIGHT, TOO_SHORT, Candidate, sure_mark
from batchreader.schema import ResultRow, Status

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
    not_numbers: set[tuple[int, int]] = frozenset(),
    one_number: bool = False,
) -> list[ResultRow]:
    """Turn the chosen readings of one page into its result rows, numbered in order.
    Text fields (see TEXT_MARKS), fields much smaller than the rest of their line (see
    SMALL_FIELD) and the fields of ``not_numbers`` (see
    :func:`batchreader.read.fieldkind.not_numbers`) are rejected; a glyph taken for a
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
            if rejected and sure_mark(box, p) and p[NOT_A_DIGIT] >= SURE_LETTER:
                letters.add(len(candidates))
            candidates.append((row, rejected))
    tallest: dict[tuple[int, int], int] = {}
    for row, _ in candidates:
        key = (row.line, row.field)
        tallest[key] = max(tallest.get(key, 0), row.height)
    # a box's frame left standing round its digit is no letter (compared within its field
    # only: a page of many marks costs their number, not its square)
    by_field: dict[tuple[int, int], list[ResultRow]] = {}
    for row, _ in candidates:
        by_field.setdefault(_key(row), []).append(row)
    letters = {
        k for k in letters if not any(_encloses(candidates[k][0], row) for row in by_field[_key(candidates[k][0])])
    }
    boxed = {(box.line, box.field) for slot in chosen for box, _, _ in slot if box.boxed}
    cells = {(box.line, box.field) for slot in chosen for box, _, _ in slot if box.cells}
    if one_number:
        text_fields: set[tuple[int, int]] = set()
        # separators and signs (a thousands dot or comma, the dash or "=" after an
        # amount) are much shorter than the number's digits
        heights = [row.height for row, rejected in candidates if not rejected]
        if heights:
            typical = float(np.median(heights))
            candidates = [(row, rejected or row.height < TOO_SHORT * typical) for row, rejected in candidates]
    else:
        text_fields = _text_fields(candidates, tallest, letters, boxed, cells) | set(not_numbers)
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


def _key(row: ResultRow) -> tuple[int, int]:
    return row.line, row.field


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
    # per line, how many glyphs of each height the fields that set the size hold: the
    # median of the others is then the line's less a field's own (linear in the glyphs)
    size = max((h for hs in heights.values() for h in hs), default=0) + 1
    lines: dict[int, np.ndarray] = {}
    for key, own in heights.items():
        if key not in text:
            counts = lines.setdefault(key[0], np.zeros(size, np.int64))
            np.add.at(counts, own, 1)
    small = set()
    for key, own in heights.items():
        others = lines.get(key[0])
        if others is None:
            continue
        if key not in text:
            others = others.copy()
            np.subtract.at(others, own, 1)
        if others.sum() and np.median(own) < SMALL_FIELD * _median_of_counts(others):
            small.add(key)
    return small


def _median_of_counts(counts: np.ndarray) -> float:
    """The median of values 0, 1, 2... held ``counts[v]`` times each (as np.median gives it)."""
    cumulative = np.cumsum(counts)
    n = int(cumulative[-1])
    low = int(np.searchsorted(cumulative, (n - 1) // 2 + 1))
    high = int(np.searchsorted(cumulative, n // 2 + 1))
    return (low + high) / 2


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
    cells: set[tuple[int, int]] = frozenset(),
) -> set[tuple[int, int]]:
    """Fields with more marks of TEXT_MARK_HEIGHT or more than digits, or TEXT_MARKS of
    them, or as many as their sure digits beside an unsure one (see UNSURE_DIGIT), a sure
    letter counting for all of them (``letters``: their numbers among the candidates,
    see SURE_LETTER); ``tallest`` is each field's tallest glyph. In ``boxed`` fields (comb
    boxes) only the first holds: a cell crossed out or ticked is no letter of a word. In
    ``cells`` fields (cells for a character each, see
    :attr:`batchreader.segment.lines.Box.cells`) marks do not count at all: the X in the
    empty cells of a tally box "X X 3" leaves its 3 a number (the field model, which
    sees the whole field, still decides whether it is one)."""
    marks: dict[tuple[int, int], list[int]] = {}  # field -> [digits, marks, unsure digits]
    for k, (row, rejected) in enumerate(candidates):
        key = (row.line, row.field)
        counts = marks.setdefault(key, [0, 0, 0])
        if not rejected:
            counts[0] += 1
            counts[2] += row.confidence < UNSURE_DIGIT
        elif key not in cells and row.height >= TEXT_MARK_HEIGHT * tallest[key]:
            counts[1] += TEXT_MARKS if k in letters and key not in boxed else 1
    return {
        key
        for key, (digits, other, unsure) in marks.items()
        if other > digits
        or (key not in boxed and (other >= TEXT_MARKS or (other and unsure and other >= digits - unsure)))
    }


def _renumber(rows: list[ResultRow]) -> list[ResultRow]:
    """Renumber lines, fields and indices densely after rejected marks were dropped."""
    line_map: dict[int, int] = {}
    field_map: dict[tuple[int, int], int] = {}
    fields_in_line: Counter[int] = Counter()
    counters: dict[tuple[int, int], int] = {}
    for row in rows:
        if row.line is None:
            continue
        new_line = line_map.setdefault(row.line, len(line_map) + 1)
        if (new_line, row.field) not in field_map:
            fields_in_line[new_line] += 1
            field_map[(new_line, row.field)] = fields_in_line[new_line]
        new_field = field_map[(new_line, row.field)]
        counters[(new_line, new_field)] = counters.get((new_line, new_field), 0) + 1
        row.line, row.field, row.index = new_line, new_field, counters[(new_line, new_field)]
    return rows
