from __future__ import annotations

import cv2
import numpy as np

from batchreader.segment.cuts import Piece, cut_candidates, segments
from batchreader.segment.glyphs import Glyph, ink_map, order_glyphs, segment
from batchreader.training.pagesynth import STYLES, blank_page, render_pages
from batchreader.verify.scoring import _overlap


def _recall(glyphs, truth) -> float:
    tb = np.array([[t["x"], t["y"], t["width"], t["height"]] for t in truth], float)
    gb = np.array([[g.x, g.y, g.width, g.height] for g in glyphs], float).reshape(-1, 4)
    return float((_overlap(tb, gb).max(axis=1) >= 0.5).mean())


def _write(page: np.ndarray, ink: np.ndarray, top: int, left: int) -> None:
    """Write a digit's ink (0-1) onto a gray page in dark ink, at (top, left)."""
    region = page[top : top + ink.shape[0], left : left + ink.shape[1]]
    np.minimum(region, (250 - 230 * ink[: region.shape[0], : region.shape[1]]).astype(np.uint8), out=region)


def test_blank_pages_give_no_glyphs():
    rng = np.random.default_rng(0)
    for style in ("clean", "photo", "fax", "blue-ink"):
        assert segment(blank_page(STYLES[style], rng).gray) == []
    assert segment(np.full((45, 300), 255, np.uint8)) == []


def test_every_digit_is_found_with_lines_and_fields(mnist_subset):
    (page,) = render_pages(mnist_subset["x_test"], mnist_subset["y_test"], 1, STYLES["clean"], seed=5)
    glyphs = segment(page.gray)
    assert _recall(glyphs, page.truth) == 1.0
    assert {g.line for g in glyphs} == {t["line"] for t in page.truth}
    true_fields = {(t["line"], t["field"]) for t in page.truth}
    assert len({(g.line, g.field) for g in glyphs}) == len(true_fields)


def test_shadowed_photo_background_is_flattened(mnist_subset):
    (page,) = render_pages(mnist_subset["x_test"], mnist_subset["y_test"], 1, STYLES["photo"], seed=6)
    ink = ink_map(page.gray)
    paper = ink[page.gray > np.percentile(page.gray, 50)]
    assert np.percentile(paper, 99) < 25  # the dark corner is paper, not ink
    assert _recall(segment(page.gray), page.truth) >= 0.97


def test_digits_on_the_edge_of_a_hard_shadow_are_found(mnist_subset):
    """A phone's shadow across a third of the page, its edge sharp, on textured paper:
    the paper estimate follows the edge (a closing, not a max filter alone, which lit
    the shadow's rim and made it a band of ink that swallowed the digits it crossed)."""
    (page,) = render_pages(mnist_subset["x_test"], mnist_subset["y_test"], 1, STYLES["clean"], seed=5)
    gray = page.gray.astype(np.float32)
    h, w = gray.shape
    shadow = np.zeros((h, w), np.float32)
    cv2.fillPoly(shadow, [np.array([[700, 0], [w, 0], [w, h], [520, h]], np.int32)], 1.0)
    shadow = cv2.GaussianBlur(shadow, (0, 0), 3)
    texture = cv2.GaussianBlur(np.random.default_rng(0).normal(0, 1, (h, w)).astype(np.float32), (0, 0), 3) * 6
    gray = np.clip(gray * (1 - 0.55 * shadow) + texture, 0, 255).astype(np.uint8)  # paper at 45%
    glyphs = segment(gray)
    assert _recall(glyphs, page.truth) == 1.0
    assert all(g.height < 1.5 * max(t["height"] for t in page.truth) for g in glyphs)


def test_digits_over_a_faint_watermark_do_not_grow_into_it(mnist_subset):
    """A watermark's large letters, a third as dark as the ink, under the handwriting:
    strokes grow through faint ink (pencil holds together that way), and a digit
    touching a letter took the letter with it, a glyph twice a digit's height. Such a
    stroke keeps only the faint ink near its strong ink."""
    from batchreader.training.fonts import HELD_OUT_FONTS, render_text

    (page,) = render_pages(mnist_subset["x_test"], mnist_subset["y_test"], 1, STYLES["clean"], seed=5)
    gray = page.gray.astype(np.float32)
    h, w = gray.shape
    word = render_text("COPY", HELD_OUT_FONTS[0], h // 3).astype(np.float32) / 255.0
    mark = np.zeros((h, w), np.float32)
    wh, ww = min(h, word.shape[0]), min(w, word.shape[1])
    mark[(h - wh) // 2 : (h - wh) // 2 + wh, (w - ww) // 2 : (w - ww) // 2 + ww] = word[:wh, :ww]
    gray = np.minimum(gray, 250 - 0.3 * 230 * mark).astype(np.uint8)
    glyphs = segment(gray)
    tallest = max(t["height"] for t in page.truth)
    assert all(g.height <= 1.2 * tallest for g in glyphs)
    assert _recall(glyphs, page.truth) == 1.0


def test_ruled_line_through_digits_is_removed(mnist_subset):
    (page,) = render_pages(mnist_subset["x_test"], mnist_subset["y_test"], 1, STYLES["clean"], seed=7)
    gray = page.gray.copy()
    for t in page.truth[:1]:
        y = t["y"] + t["height"] - 3  # a ruled line under the first row, touching the digits
    cv2.line(gray, (0, y), (gray.shape[1], y), 60, 3)
    glyphs = segment(gray)
    assert all(g.width < 3 * g.height for g in glyphs)
    assert _recall(glyphs, page.truth) >= 0.97


def test_specks_are_not_glyphs(mnist_subset):
    rng = np.random.default_rng(1)
    gray = blank_page(STYLES["clean"], rng).gray.copy()
    for _ in range(300):
        x, y = int(rng.integers(0, gray.shape[1])), int(rng.integers(0, gray.shape[0]))
        cv2.circle(gray, (x, y), 2, 0, -1)
    assert segment(gray, dpi=300) == []


def test_cut_candidates_and_segments_for_touching_digits():
    ink = np.zeros((30, 34), np.float32)
    ink[:, 0:4] = 1  # two bars joined by a thin bridge: "11"
    ink[:, 30:34] = 1
    ink[15:17, 4:30] = 1
    glyph = Glyph(0, 0, 34, 30, ink)
    glyph.cuts = cut_candidates(glyph)
    assert glyph.cuts and all(4 <= c <= 30 for c in glyph.cuts)
    pieces = segments(glyph)
    assert pieces[0] == (0, len(glyph.cuts) + 1, Piece.WHOLE, glyph)  # the whole glyph is always a candidate
    left = [p for start, end, _, p in pieces if start == 0 and end < len(glyph.cuts) + 1]
    assert left and all(p.x == 0 and p.right <= 30 for p in left)
    assert cut_candidates(Glyph(0, 0, 20, 30, ink[:, :20])) == []  # narrow: never cut


def test_reading_order_tolerates_skew():
    # two lines, each rising 10 px per glyph (about 6 degrees)
    glyphs = [Glyph(100 * i, 500 - 10 * i, 40, 60, np.ones((60, 40))) for i in range(6)]
    glyphs += [Glyph(100 * i, 700 - 10 * i, 40, 60, np.ones((60, 40))) for i in range(6)]
    ordered = order_glyphs(glyphs, 60)
    assert [g.line for g in ordered] == [1] * 6 + [2] * 6
    assert [g.x for g in ordered[:6]] == [0, 100, 200, 300, 400, 500]


def test_cuts_follow_the_gap_between_leaning_digits():
    from batchreader.segment.cuts import _least_ink_paths

    ink = np.zeros((40, 40), np.float32)
    for r in range(40):  # two strokes leaning right, 6 px apart, touching nowhere
        ink[r, 5 + r // 4 : 9 + r // 4] = 1
        ink[r, 15 + r // 4 : 19 + r // 4] = 1
    (path,) = _least_ink_paths(ink, [14], reach=8)
    assert all(ink[r, path[r]] == 0 for r in range(40))  # a straight cut would cross a stroke
    glyph = Glyph(0, 0, 40, 40, ink)
    glyph.cuts = [14]
    lefts = [p for start, end, _, p in segments(glyph) if (start, end) == (0, 1)]
    # along the gap: exactly the first stroke, whole; straight down (for digits that
    # overlap): the first stroke less its foot, which crosses the cut column
    assert sorted(int((p.ink > 0).sum()) for p in lefts) == [40 * 4 - 4 * (1 + 2 + 3 + 4), 40 * 4]


def test_overlapping_digits_get_a_cut_where_their_outlines_meet():
    """Two 0s overlapping: the ink profile peaks where they meet (two strokes cross
    there), so only the notch of the outline puts a cut candidate in the right place."""
    from batchreader.segment.cuts import _contour_notches

    mask = np.zeros((40, 62), np.uint8)
    cv2.ellipse(mask, (17, 20), (14, 18), 0, 0, 360, 1, 4)
    cv2.ellipse(mask, (43, 20), (14, 18), 0, 0, 360, 1, 4)
    profile = mask.sum(axis=0)
    assert profile[28:33].min() > 0.6 * profile.max()  # no valley where they meet
    assert any(abs(c - 30) <= 2 for c in _contour_notches(mask > 0, 4, 6))
    glyph = Glyph(0, 0, 62, 40, mask.astype(np.float32))
    # notches against the closer columns (a tenth of the height, which find a 1 against
    # its neighbour) come first and fall either side of the meeting point
    assert any(abs(c - 30) <= 3 for c in cut_candidates(glyph))


def test_a_small_printed_label_does_not_split_the_large_number_beside_it():
    def glyph(x, h):
        return Glyph(x, 200 - h, int(0.6 * h), h, np.ones((h, int(0.6 * h)), np.float32))

    label = [glyph(45 * k, 40) for k in range(6)]  # "Amount" in small print...
    number = [glyph(500, 100), glyph(600, 100)]  # ...then two large digits 0.4 heights apart
    ordered = order_glyphs(label + number, 100)
    assert [g.field for g in ordered] == [1] * 6 + [2, 2]


def test_the_lifted_bar_of_a_five_stays_with_its_body():
    """A 5 whose flat top bar was lifted off and juts out past the body to the right:
    alone, the bar is dropped as a dash (and the body reads as 3 or 0); it is stacked
    over the body, so it is part of the glyph. A dash level with a digit is not."""
    page = np.full((200, 400), 255, np.uint8)
    body = np.array([[52, 70], [50, 100], [70, 95], [90, 105], [96, 125], [85, 140], [65, 143], [48, 135]])
    cv2.polylines(page, [body], False, 0, 8)
    cv2.line(page, (84, 60), (132, 60), 0, 8)  # the bar: 17 of its 56 px over the body
    cv2.line(page, (200, 100), (250, 100), 0, 8)  # a dash level with the 1 after it
    cv2.line(page, (290, 60), (286, 140), 0, 8)
    glyphs = segment(page)
    boxes = sorted((g.x, g.x + g.width) for g in glyphs)
    assert len(boxes) == 2
    assert boxes[0][0] <= 46 and boxes[0][1] >= 132  # body and bar, one glyph
    assert boxes[1][0] >= 280  # the dash is no glyph


def test_the_bar_of_a_seven_lifted_off_beside_its_stem_is_kept_as_a_fragment():
    """A skipping pen lifted a 7's bar off its stem: the bar ends 8 px before the stem
    starts, flat, shorter than a fragment's least height. It is kept as a fragment of
    the stem's field (the pipeline reads it only joined), not dropped as a dash; a dash
    longer than a digit, a speck of a bar and a bar far from any digit are dropped."""
    page = np.full((220, 900), 255, np.uint8)
    for x in (40, 560):  # 1s setting the line's height (100 px)
        cv2.line(page, (x, 60), (x + 6, 160), 0, 7)
    cv2.line(page, (130, 62), (200, 62), 0, 7)  # the bar, 70 px
    cv2.line(page, (212, 64), (180, 160), 0, 7)  # the stem
    cv2.line(page, (300, 110), (440, 110), 0, 7)  # a dash 1.4 digit heights long
    cv2.line(page, (600, 62), (620, 62), 0, 7)  # a speck of a bar, 20 px
    cv2.line(page, (700, 62), (770, 62), 0, 7)  # a bar beside no digit
    glyphs = segment(page)
    bars = [g for g in glyphs if g.fragment]
    assert len(bars) == 1 and 120 <= bars[0].x <= 130 and 200 <= bars[0].x + bars[0].width <= 210
    stem = next(g for g in glyphs if g.x >= 175 and not g.fragment)
    assert (bars[0].line, bars[0].field) == (stem.line, stem.field)
    assert not any(g.x >= 290 and g.x + g.width <= 450 for g in glyphs)
    assert not any(g.x >= 590 and g.x + g.width <= 780 and g.height < 20 for g in glyphs)


def test_a_dash_inside_a_number_parts_no_field_and_joins_no_digit():
    """A number written "11-11": the dash sits level with the digits' middles, a short
    gap each side, in a gap wider than one between numbers (1.2 digit heights). The
    number is one field, and the dash is not kept beside the 1 next to it (joined, a
    dash and a 1 read as a 4)."""
    page = np.full((220, 900), 255, np.uint8)
    for x in (40, 90, 220, 270):
        cv2.line(page, (x, 60), (x + 6, 160), 0, 7)
    cv2.line(page, (122, 110), (188, 112), 0, 7)  # 20-25 px from each 1, 70 px long
    cv2.line(page, (600, 60), (606, 160), 0, 7)  # a number of its own, 290 px on
    glyphs = segment(page)
    assert [(g.field, g.fragment) for g in glyphs] == [(1, False)] * 4 + [(2, False)]


def test_a_short_printed_rule_is_not_a_one(mnist_subset):
    """A table's vertical rule, too short to be found as a line (1.6 digit heights),
    perfectly straight: not a glyph. The page's handwritten 1s, as tall as their line
    and never that straight, are all still found."""
    (page,) = render_pages(mnist_subset["x_test"], mnist_subset["y_test"], 1, STYLES["clean"], seed=5)
    gray = page.gray.copy()
    height = int(np.median([t["height"] for t in page.truth]))
    x = gray.shape[1] - 40
    cv2.line(gray, (x, 200), (x, 200 + int(1.6 * height)), 0, 3)
    glyphs = segment(gray)
    assert not any(g.x <= x <= g.x + g.width for g in glyphs)
    assert _recall(glyphs, page.truth) == 1.0
    assert sum(t["digit"] == 1 for t in page.truth) >= 2


def test_digits_a_skipping_pen_broke_into_pieces_keep_their_lines_and_fields(mnist_subset):
    """A pen that skips on a third of every stroke: each digit falls into pieces, whose
    median height is half the digits'. Measured from the pieces, the page's digits
    would be half their size, and each digit's upper and lower pieces would fall on
    lines of their own (13 lines and 56 fields instead of 5 and 14). The pieces that
    make one digit are grouped before the page is measured."""
    (page,) = render_pages(mnist_subset["x_test"], mnist_subset["y_test"], 1, STYLES["thin-pen"], seed=5)
    gray = page.gray.copy()
    height = float(np.median([t["height"] for t in page.truth]))
    rng = np.random.default_rng(3)
    flow = cv2.GaussianBlur(rng.random(gray.shape).astype(np.float32), (0, 0), 0.06 * height)
    inked = gray < 128
    gray[inked & (flow < np.quantile(flow[inked], 0.3))] = 250
    glyphs = segment(gray)
    assert {g.line for g in glyphs} == {t["line"] for t in page.truth}
    true_fields = {(t["line"], t["field"]) for t in page.truth}
    assert len({(g.line, g.field) for g in glyphs}) <= len(true_fields) + 3
    assert _recall(glyphs, page.truth) >= 0.95


def test_two_wide_halves_of_a_digit_make_one_glyph_and_a_colon_none():
    """A skipping pen drew a 5's bar and flag apart from its bowl: each half is under
    0.4 of the line's height (a fragment alone), and together they are one glyph. The
    two dashes of a colon between two numbers, as narrow as they are short, are not."""
    page = np.full((220, 700), 255, np.uint8)
    for x in (40, 90, 560, 610):  # a line of digits 100 px tall
        cv2.line(page, (x, 60), (x + 6, 160), 0, 7)
    cv2.polylines(page, [np.array([[200, 62], [158, 62], [155, 88]])], False, 0, 7)  # bar and flag
    cv2.ellipse(page, (178, 124), (28, 16), 0, -100, 150, 0, 7)  # the bowl, 10 px below
    cv2.line(page, (400, 75), (402, 100), 0, 8)  # a colon's two dashes
    cv2.line(page, (400, 120), (402, 145), 0, 8)
    glyphs = segment(page)
    five = [g for g in glyphs if 140 <= g.x + g.width / 2 <= 220]
    assert len(five) == 1 and five[0].y <= 62 and five[0].y + five[0].height >= 140
    assert not any(380 <= g.x + g.width / 2 <= 420 for g in glyphs)


def test_a_comb_wall_a_digit_touches_is_erased_with_the_others(mnist_subset):
    """A date's two-cell comb, a digit written against its middle wall: joined to the
    digit, the wall is no thin stroke of its own, yet it stands where a wall must, so it
    goes, and the digit is one glyph without it (before: the wall stayed, to be cut off
    as a 1 or read with the digit)."""
    from batchreader.training.pagesynth import digit_ink

    x, y = mnist_subset["x_test"], mnist_subset["y_test"]
    page = np.full((400, 900), 250, np.uint8)
    cell, top, bottom = 100, 120, 230
    cv2.rectangle(page, (100, top), (100 + 2 * cell, bottom), 20, 3)
    cv2.line(page, (100 + cell, top), (100 + cell, bottom), 20, 3)
    two = digit_ink(x[np.flatnonzero(y == 2)[0]], 75, 1.0)
    x0 = 100 + cell + 1 - two.shape[1]  # its right end on the middle wall
    _write(page, two, 135, x0)
    for k, d in enumerate((3, 5, 7)):  # handwriting beside it sets the page's digit height
        _write(page, digit_ink(x[np.flatnonzero(y == d)[0]], 75, 1.0), 135, 450 + 120 * k)
    glyphs = [g for g in segment(page) if g.x < 100 + 2 * cell + 10]
    assert not any(g.width < 0.15 * g.height for g in glyphs)  # no wall left
    digit = max(glyphs, key=lambda g: g.width * g.height)
    assert digit.x + digit.width <= 100 + cell + 2 and digit.x >= x0 - 2


def test_a_comb_whose_end_tooth_a_digit_touches_is_still_one_field(mnist_subset):
    """An open comb (a bottom line and short teeth), a digit written against its first
    tooth: the tooth is erased with the others and still counts for the comb's extent,
    so the digit is in the comb's field with the next one (it was a field of its own)."""
    from batchreader.training.pagesynth import digit_ink

    x, y = mnist_subset["x_test"], mnist_subset["y_test"]
    page = np.full((400, 900), 250, np.uint8)
    cell, bottom = 100, 215
    cv2.line(page, (100, bottom), (100 + 2 * cell, bottom), 20, 3)
    for wall in range(3):
        cv2.line(page, (100 + wall * cell, bottom - 35), (100 + wall * cell, bottom), 20, 3)
    for d, x0 in ((5, 99), (4, 120 + cell)):  # the 5 against the first tooth
        _write(page, digit_ink(x[np.flatnonzero(y == d)[0]], 75, 1.0), bottom - 78, x0)
    for k, d in enumerate((3, 7)):  # handwriting beside it sets the page's digit height
        _write(page, digit_ink(x[np.flatnonzero(y == d)[0]], 75, 1.0), 135, 500 + 150 * k)
    glyphs = [g for g in segment(page) if g.x < 100 + 2 * cell + 10 and g.height > 40]
    assert len(glyphs) == 2
    assert glyphs[0].field == glyphs[1].field


def test_a_framed_comb_whose_end_wall_a_digit_touches_is_still_one_field(mnist_subset):
    """A framed comb of three cells (top and bottom lines), its last digit written
    against the right end wall. The wall is found, and erased, from the first of the two
    lines only, so the other line's box ended a cell short, and the digit against the
    wall was a field of its own. The two lines carry the same walls: one frame, one
    extent, one field."""
    from batchreader.training.pagesynth import digit_ink

    x, y = mnist_subset["x_test"], mnist_subset["y_test"]
    page = np.full((400, 900), 250, np.uint8)
    cell, top, bottom = 100, 100, 215
    for row in (top, bottom):
        cv2.line(page, (100, row), (100 + 3 * cell, row), 20, 3)
    for wall in range(4):
        cv2.line(page, (100 + wall * cell, top), (100 + wall * cell, bottom), 20, 3)
    for k, d in enumerate((9, 7)):
        _write(page, digit_ink(x[np.flatnonzero(y == d)[0]], 75, 1.0), bottom - 95, 125 + k * cell)
    five = digit_ink(x[np.flatnonzero(y == 5)[0]], 75, 1.0)
    _write(page, five, bottom - 95, 100 + 3 * cell - five.shape[1] + 1)  # against the end wall
    for k, d in enumerate((3, 7)):  # handwriting beside it sets the page's digit height
        _write(page, digit_ink(x[np.flatnonzero(y == d)[0]], 75, 1.0), 120, 550 + 150 * k)
    glyphs = [g for g in segment(page) if g.x < 100 + 3 * cell + 10 and g.height > 40]
    assert len(glyphs) == 3
    assert len({g.field for g in glyphs}) == 1


def test_a_row_of_a_comb_line_shorter_than_the_rest_is_erased_with_it():
    """A printed line's edge row can be a pixel or two shorter than its other rows (anti-
    aliasing, a slightly tilted rule). When the other rows are just long enough to be
    found as a line and that row is not, it stayed behind as a one-pixel rule, and the
    digits of the cells above and below it grew into one glyph with it: a cell-sized 3
    that made the real numbers of its line look like small print."""
    from batchreader.segment.lines import remove_lines

    digit_height, line_length, comb_length = 70.0, 3.0, 1.6
    mask = np.zeros((300, 400), bool)
    mask[100:102, 50:265] = True  # the line's full rows: 215 px, at least 3 x 70 (a line)
    mask[99, 54:262] = True  # its edge row: 208 px, too short to be a line of its own
    for x in (50, 157, 262):  # the comb's walls standing on it
        mask[102:190, x : x + 3] = True
    mask[120:175, 80:86] = True  # a stroke in a cell
    cleaned, combs = remove_lines(mask, digit_height, line_length, comb_length)
    assert not cleaned[95:104, 100:140].any()  # the line is gone, all of its rows
    assert cleaned[120:175, 80:86].all()  # the stroke stays
    assert combs


def test_an_end_wall_a_digit_touches_is_erased_whole_when_its_cell_is_wider():
    """Printed cells differ by a pixel or two. The walls a digit touches are looked for
    about a cell beyond the comb's last free wall; a window ending inside the end wall
    erased two of its three columns and left the third, a ruler-straight 1."""
    from batchreader.segment.lines import remove_lines

    mask = np.zeros((300, 600), bool)
    mask[200:203, 50:365] = True  # the comb's bottom line
    for x in (50, 150, 250, 352):  # four walls; the last cell is two pixels wider
        mask[130:200, x : x + 3] = True
    mask[150:153, 320:352] = True  # a digit's stroke running into the end wall
    cleaned, combs = remove_lines(mask, 70.0, 3.0, 1.6)
    assert combs
    assert not cleaned[130:148, 340:365].any()  # no column of the end wall is left
    assert cleaned[150:153, 320:340].all()  # the stroke stays


def test_a_comb_whose_inner_walls_digits_touch_does_not_reach_into_the_next_comb():
    """A comb of three cells whose two inner walls digits touch: only its end walls are
    free, so the pitch measured between them is the whole comb. Looking that far beyond
    its end for walls reached the next comb's wall, erased it as this comb's and made
    this comb's box run over the next one's first digit, which joined the wrong number."""
    from batchreader.segment.lines import remove_lines

    mask = np.zeros((300, 900), bool)
    mask[200:203, 100:403] = True  # comb A's bottom line
    for x in (100, 200, 300, 400):
        mask[140:200, x : x + 3] = True
    for x in (200, 300):  # digits' strokes touching A's inner walls
        mask[160:163, x - 30 : x + 20] = True
    mask[120:123, 560:763] = True  # comb B, framed, beyond a gap
    mask[200:203, 560:763] = True
    for x in (560, 660, 760):
        mask[120:203, x : x + 3] = True
    _, combs = remove_lines(mask, 70.0, 3.0, 1.6)
    a = [box for box in combs if box.x0 < 150]
    assert a and max(box.x1 for box in a) < 500


def test_a_frame_of_two_cells_with_one_free_wall_is_a_comb():
    """A box of two cells whose second digit leans on the middle wall and crosses the
    end wall has one free wall. Combs on short lines needed two, so neither the frame
    nor its walls were erased: the end wall and the digit's tail read as a 7 or a 1."""
    from batchreader.segment.lines import remove_lines

    mask = np.zeros((300, 500), bool)
    mask[120:123, 100:303] = True  # the frame's top and bottom lines, two cells long
    mask[200:203, 100:303] = True
    for x in (100, 200, 300):
        mask[120:203, x : x + 3] = True
    mask[140:143, 170:200] = True  # the second digit's bar, leaning on the middle wall
    mask[175:178, 240:340] = True  # its tail, crossing the end wall
    cleaned, combs = remove_lines(mask, 70.0, 3.0, 1.6)
    assert [(box.x0, box.x1) for box in combs if box.line_y > 190] == [(101, 301)]
    assert not cleaned[123:170, 300:303].any() and not cleaned[123:200, 200:203].any()  # the walls are gone
    assert not cleaned[120:123].any() and not cleaned[200:203].any()  # and the lines
    assert cleaned[175:178, 240:340].all()  # the tail stays, closed across the erased wall


def test_walls_digits_touch_one_after_another_are_all_erased():
    """The last two walls of a comb both touched by digits: each is looked for a cell
    beyond the last wall found, the free ones and then those just erased."""
    from batchreader.segment.lines import remove_lines

    mask = np.zeros((300, 700), bool)
    mask[200:203, 100:503] = True  # the comb's bottom line: four cells
    for x in (100, 200, 300, 400, 500):
        mask[130:200, x : x + 3] = True
    for x in (400, 500):  # strokes running into the last two walls
        mask[150:153, x - 30 : x] = True
    cleaned, combs = remove_lines(mask, 70.0, 3.0, 1.6)
    assert [(box.x0, box.x1) for box in combs] == [(101, 501)]
    assert not cleaned[130:148, 400:403].any() and not cleaned[130:148, 500:503].any()
    assert cleaned[150:153, 370:400].all() and cleaned[150:153, 470:500].all()


def test_half_of_a_broken_digit_is_joined_to_the_piece_cut_off_its_neighbour():
    """A 3 broken across its middle whose bottom half runs into the 6 before it: the
    6-and-bottom glyph is cut, and its right piece joined to the top half beside it is
    a candidate (the 3 whole). A digit-high neighbour or a speck is not joined to a piece
    (1 and the head of a 2 read as a 6)."""
    ink = np.ones((80, 100), np.float32)
    pair = Glyph(0, 0, 100, 80, ink)
    pair.cuts = [60]
    top = Glyph(62, 0, 34, 38, np.ones((38, 34), np.float32))
    top.cuts = []
    candidates = segments([pair, top])
    joined = [(start, end) for start, end, kind, _ in candidates if kind == Piece.JOINED]
    assert (1, 3) in joined  # from the cut at 60 to the top half's right edge
    tall = Glyph(102, 0, 30, 80, np.ones((80, 30), np.float32), cuts=[])
    speck = Glyph(62, 0, 34, 10, np.ones((10, 34), np.float32), cuts=[], fragment=True)
    for other in (tall, speck):
        joined = [(start, end) for start, end, kind, _ in segments([pair, other]) if kind == Piece.JOINED]
        assert (1, 3) not in joined
