"""--layout: a small one-line image is one number (a cheque amount, a cut-out box); a page is a page."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import batchreader
from batchreader.io.results import read_results
from batchreader.segment.cuts import Piece, segments
from batchreader.segment.glyphs import Glyph
from batchreader.segment.layout import FIELD_HEIGHT
from batchreader.segment.lines import remove_baseline
from batchreader.training.pagesynth import digit_ink
from batchreader.training.stripsynth import render_strip


def _strip(mnist_subset, height: int = 56, digit_h: int = 38, gap: float = 1.6) -> tuple[np.ndarray, str]:
    """Four digits on a strip, spaced so widely that a page's fields would part them."""
    x_test, y_test = mnist_subset["x_test"], mnist_subset["y_test"]
    picks = [i for i in range(len(y_test)) if y_test[i] not in (1, 7)][10:14]
    inks = [digit_ink(x_test[i], digit_h, 1.0) for i in picks]
    width = sum(i.shape[1] for i in inks) + int(gap * digit_h) * (len(inks) - 1) + 20
    strip = np.full((height, width), 245, np.uint8)
    x = 10
    for ink in inks:
        h, w = ink.shape
        y = (height - h) // 2
        region = strip[y : y + h, x : x + w]
        np.minimum(region, (245 - 225 * ink).astype(np.uint8), out=region)
        x += w + int(gap * digit_h)
    return strip, "".join(str(int(y_test[i])) for i in picks)


@pytest.mark.parametrize("layout", ["auto", "field"])
def test_a_strip_is_one_number(tmp_path, mnist_subset, layout):
    strip, number = _strip(mnist_subset)
    cv2.imwrite(str(tmp_path / "amount.png"), strip)
    batchreader.scan([tmp_path / "amount.png"], tmp_path / "r.csv", jobs=1, layout=layout)
    rows = read_results(tmp_path / "r.csv")
    assert "".join(str(d) for d in rows["digit"]) == number
    assert set(rows["line"]) == {1} and set(rows["field"]) == {1}
    assert rows["index"].tolist() == list(range(1, len(number) + 1))


def test_as_a_page_the_same_strip_is_several_fields(tmp_path, mnist_subset):
    strip, number = _strip(mnist_subset)
    cv2.imwrite(str(tmp_path / "amount.png"), strip)
    batchreader.scan([tmp_path / "amount.png"], tmp_path / "r.csv", jobs=1, layout="page")
    rows = read_results(tmp_path / "r.csv")
    assert rows["field"].nunique() > 1


def test_auto_takes_a_small_image_of_two_lines_for_a_page(tmp_path, mnist_subset):
    strip, number = _strip(mnist_subset, height=56)
    page = np.full((strip.shape[0] * 2 + 20, strip.shape[1]), 245, np.uint8)
    assert page.shape[0] <= FIELD_HEIGHT  # small enough to be a field, but two lines
    page[: strip.shape[0]] = strip
    page[-strip.shape[0] :] = strip
    cv2.imwrite(str(tmp_path / "page.png"), page)
    batchreader.scan([tmp_path / "page.png"], tmp_path / "r.csv", jobs=1)
    rows = read_results(tmp_path / "r.csv")
    assert rows["line"].nunique() == 2


def test_an_unknown_layout_is_refused(tmp_path, mnist_subset):
    strip, _ = _strip(mnist_subset)
    cv2.imwrite(str(tmp_path / "amount.png"), strip)
    with pytest.raises(ValueError, match="layout"):
        batchreader.scan([tmp_path / "amount.png"], tmp_path / "r.csv", layout="column")


@pytest.mark.parametrize("seed", [1, 8, 9])  # strips the page-style ink misread
def test_an_amount_on_a_security_background_reads_exactly(tmp_path, mnist_subset, seed):
    """A cheque-like strip: a guilloche background, a thousands dot, a dash after the
    amount, a printed baseline, digits close or touching. ``auto`` takes it for a field
    as ``field`` does, and both read exactly its digits (the dot and the dash are none)."""
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(mnist_subset["y_test"]), 5, replace=False)
    images, labels = mnist_subset["x_test"][pick], mnist_subset["y_test"][pick]
    strip = render_strip(images, labels, rng, pattern=True, dot=True, dash=True, underline=True)
    cv2.imwrite(str(tmp_path / "amount.png"), strip.gray)
    for layout in ("field", "auto"):
        batchreader.scan([tmp_path / "amount.png"], tmp_path / f"{layout}.csv", jobs=1, layout=layout)
        rows = read_results(tmp_path / f"{layout}.csv")
        rows = rows[rows["status"] == "ok"]
        assert "".join(str(int(d)) for d in rows.sort_values("x")["digit"]) == strip.digits, layout
        assert set(rows["field"]) == {1}


def _run(mnist_subset, digits: list[int], nth: int):
    """Digits written in one stroke: MNIST digits 44 px high overlapping their neighbour,
    each joined to the next by a rising stroke, as one glyph."""
    from batchreader.segment.glyphs import Glyph

    x, y = mnist_subset["x_test"], mnist_subset["y_test"]
    inks = [digit_ink(x[np.flatnonzero(y == d)[nth]], 44, 1.0) for d in digits]
    canvas = np.zeros((64, sum(i.shape[1] for i in inks) + 40), np.float32)
    left = 10
    for k, ink in enumerate(inks):
        region = canvas[10 : 10 + ink.shape[0], left : left + ink.shape[1]]
        np.maximum(region, ink, out=region)
        if k + 1 < len(inks):
            right = left + ink.shape[1]
            cv2.line(canvas, (right - 4, 10 + 33), (right + 6, 10 + 13), 1.0, 2)
        left += ink.shape[1] - 2
    rows, cols = np.nonzero(canvas > 0.3)
    box = canvas[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    return Glyph(int(cols.min()), int(rows.min()), box.shape[1], box.shape[0], box * (box > 0.3), 1, 1, 1)


@pytest.mark.parametrize(("digits", "nth"), [([5, 0, 0], 1), ([9, 0, 0], 4), ([7, 3, 0], 7)])
def test_a_number_written_in_one_stroke_and_dropped_whole_is_parted_into_its_digits(mnist_subset, digits, nth):
    from batchreader.read.classes import NOT_A_DIGIT
    from batchreader.read.classify import Classifier
    from batchreader.read.normalize import to_mnist_batch
    from batchreader.read.reading import Candidate, read_runs
    from batchreader.segment.cuts import Piece

    clf = Classifier.load(None)
    glyph = _run(mnist_subset, digits, nth)
    p = clf.predict(to_mnist_batch([glyph.ink]))[0]
    assert int(np.argmax(p)) >= NOT_A_DIGIT  # whole, it is no one digit
    whole = Candidate(0, 0, 1, Piece.WHOLE, 1, 1, glyph.x, glyph.y, glyph.width, glyph.height)
    slots = read_runs([[(whole, p, True)]], [glyph], clf)
    read = [(box, q) for slot in slots for box, q, rejected in slot if not rejected]
    assert "".join(str(int(np.argmax(q[:NOT_A_DIGIT]))) for _, q in read) == "".join(map(str, digits))
    assert all(a.x < b.x for (a, _), (b, _) in zip(read, read[1:]))  # left to right
    # a glyph as wide that is one digit's height of scribble, or in a page, is left alone
    flat = Candidate(0, 0, 1, Piece.WHOLE, 1, 1, glyph.x, glyph.y, glyph.width, glyph.height // 3)
    tall = Candidate(1, 0, 1, Piece.WHOLE, 1, 2, glyph.x, glyph.y, glyph.width // 4, glyph.height)
    assert read_runs([[(flat, p, True)], [(tall, p, False)]], [glyph], clf)[0] == [(flat, p, True)]


def test_corrections_of_a_strip_are_recut_from_the_ink_the_scan_saw(tmp_path, mnist_subset):
    """``train --corrections`` re-cuts each corrected digit from its scan: a strip that
    ``auto`` read as one field has its ink judged at the field's scale, as the scan judged
    it, and the re-cut digits read as the scan read them."""
    from batchreader.io.runrecord import read_record
    from batchreader.read.classify import Classifier
    from batchreader.read.normalize import to_mnist
    from batchreader.segment.glyphs import masked_ink
    from batchreader.training.finetune import corrected_digits

    rng = np.random.default_rng(1)
    pick = rng.choice(len(mnist_subset["y_test"]), 5, replace=False)
    strip = render_strip(mnist_subset["x_test"][pick], mnist_subset["y_test"][pick], rng, pattern=True, dot=True)
    scans = tmp_path / "scans"
    scans.mkdir()
    cv2.imwrite(str(scans / "amount.png"), strip.gray)
    batchreader.scan([scans], tmp_path / "r.csv", jobs=1)
    rows = read_results(tmp_path / "r.csv")
    rows = rows[rows["status"] == "ok"].sort_values("x")
    assert "".join(str(int(d)) for d in rows["digit"]) == strip.digits
    corrections = rows[["file", "page", "x", "y", "width", "height"]].assign(
        digit=rows["digit"].astype(int).astype(str), corrected_digit=list(strip.digits), note="", reviewer=""
    )
    images, labels = corrected_digits(corrections, None, record=read_record(tmp_path / "r.csv"))
    assert "".join(map(str, labels)) == strip.digits
    assert "".join(map(str, Classifier.load().predict(images).argmax(axis=1))) == strip.digits
    for ink, differs in ((masked_ink(strip.gray, field=True), False), (masked_ink(strip.gray), True)):
        crops = [to_mnist(ink[r.y : r.y + r.height, r.x : r.x + r.width]) for r in rows.itertuples()]
        assert (not np.allclose(np.stack(crops), images[..., 0])) == differs


def _on_a_dashed_line(mnist_subset, picks: list[int], digit_h: int = 38) -> tuple[np.ndarray, str]:
    """Digits written close on a dashed amount line that touches their feet: each dash
    (1.1 digit heights) shorter than a line that line removal finds."""
    x_test, y_test = mnist_subset["x_test"], mnist_subset["y_test"]
    inks = [digit_ink(x_test[i], digit_h, 1.0) for i in picks]
    gap, height = int(0.25 * digit_h), 60
    width = sum(i.shape[1] for i in inks) + gap * (len(inks) - 1) + 20
    strip = np.full((height, width), 245, np.uint8)
    x, feet = 10, 0
    for ink in inks:
        h, w = ink.shape
        y = (height - h) // 2 + (digit_h - h) // 2
        region = strip[y : y + h, x : x + w]
        np.minimum(region, (245 - 225 * ink).astype(np.uint8), out=region)
        x, feet = x + w + gap, max(feet, y + h)
    for start in range(0, width, int(1.4 * digit_h)):
        cv2.line(strip, (start, feet - 1), (min(width - 1, start + int(1.1 * digit_h)), feet - 1), 90, 2)
    return strip, "".join(str(int(y_test[i])) for i in picks)


@pytest.mark.parametrize("k", [1, 4, 8])  # amounts whose zeros read as 2s, or were lost, on the line's pieces
def test_an_amount_standing_on_a_dashed_line_reads_without_it(tmp_path, mnist_subset, k):
    y_test = mnist_subset["y_test"]
    zeros = [i for i in range(len(y_test)) if y_test[i] == 0]
    others = [i for i in range(len(y_test)) if y_test[i] not in (0, 1, 7)]
    strip, number = _on_a_dashed_line(mnist_subset, [others[k], zeros[2 * k], zeros[2 * k + 1]])
    cv2.imwrite(str(tmp_path / "amount.png"), strip)
    batchreader.scan([tmp_path / "amount.png"], tmp_path / "r.csv", jobs=1, layout="field")
    rows = read_results(tmp_path / "r.csv")
    rows = rows[rows["status"] == "ok"]
    assert "".join(str(int(d)) for d in rows.sort_values("x")["digit"]) == number


def test_the_baseline_goes_and_the_digits_standing_on_it_stay(mnist_subset):
    y_test = mnist_subset["y_test"]
    strip, _ = _on_a_dashed_line(mnist_subset, [i for i in range(len(y_test)) if y_test[i] == 0][:3])
    mask = strip < 170
    rows = np.flatnonzero(mask.any(axis=1))
    band = slice(rows[-1] - 2, rows[-1] + 1)  # the dashes, two pixels thick, and their edge
    beside = ~mask[: rows[-1] - 2].any(axis=0)  # columns where no digit stands on the line
    out = remove_baseline(mask, 38.0)
    assert out is not mask
    assert not out[band][:, beside].any()  # the line is gone between and beyond the digits
    above = slice(0, rows[-1] - 4)
    assert (out[above] == mask[above]).all()  # the digits above it are untouched
    digits = mask[above].copy()
    assert remove_baseline(digits, 38.0) is digits  # digits alone: nothing is a baseline


def test_a_cut_through_a_loop_is_known_as_one():
    """Two 0s joined by the stroke between them: a cut at the join crosses ink once, a cut
    through the first 0 crosses its loop twice, and the pieces say so."""
    ink = np.zeros((40, 76), np.float32)
    cv2.ellipse(ink, (18, 20), (14, 17), 0, 0, 360, 1.0, 3)
    cv2.ellipse(ink, (57, 20), (14, 17), 0, 0, 360, 1.0, 3)
    cv2.line(ink, (31, 20), (44, 20), 1.0, 3)
    glyph = Glyph(0, 0, 76, 40, ink)
    glyph.cuts = [18, 38]  # through the first 0; at the join
    pieces = {(i, j): p.loops for i, j, kind, p in segments(glyph) if kind == Piece.CUT}
    assert pieces[(0, 1)] == 1  # the first 0's left half: cut through its loop
    assert pieces[(0, 2)] == 0  # the first 0 whole, cut at the join
    assert pieces[(2, 3)] == 0  # the second 0, cut at the join
