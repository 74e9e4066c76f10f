"""Training-time augmentation: MNIST digits made to look like scanned handwriting,
and generated marks that are not digits.

Every sample is re-framed through :func:`batchreader.read.normalize.to_mnist`, the same
function the scanner uses, so augmentation changes the writing, never the framing.
"""

from __future__ import annotations

import cv2
import numpy as np

from batchreader.read.normalize import MNIST_SIZE, to_mnist

_WORK = 64  # augment at a finer grid than 28x28 so thickness and warps stay smooth


def augment_digit(digit: np.ndarray, rng: np.random.Generator, separator: float = 0.0) -> np.ndarray:
    """Return a randomly distorted, re-framed copy of a 28x28 MNIST digit (float in [0, 1]);
    in a share ``separator`` of them, a dot or comma is written against it (see
    :func:`_separator`)."""
    a = np.asarray(digit, np.float32)
    if a.max() > 1.0:
        a = a / 255.0
    a = cv2.resize(a, (_WORK, _WORK), interpolation=cv2.INTER_LINEAR)
    a = _random_affine(a, rng)
    if separator and rng.random() < separator:
        a = _separator(a, rng)
    if rng.random() < 0.3:
        a = _elastic(a, rng)
    pen = rng.random()
    if pen < 0.25:
        a = _fine_pen(a, rng)
    elif pen < 0.65:
        a = _thickness(a, rng)
    if rng.random() < 0.2:  # fine pens and faint pencil break strokes, sometimes twice
        for _ in range(int(rng.integers(1, 3))):
            a = _break_stroke(a, rng)
    if rng.random() < 0.2:
        a = cv2.GaussianBlur(a, (0, 0), rng.uniform(0.6, 1.6))
    if rng.random() < 0.15:
        # 1-bit fax or a hard threshold, at a level relative to the ink (a thin, blurred
        # stroke is faint but a scanner's threshold still keeps it)
        a = (a > rng.uniform(0.3, 0.6) * a.max()).astype(np.float32)
    out = to_mnist(a)
    if rng.random() < 0.3:
        out = _shift(out, int(rng.integers(-1, 2)), int(rng.integers(-1, 2)))
    if rng.random() < 0.15:
        out = np.clip(out + rng.normal(0, 0.04, out.shape).astype(np.float32) * (out > 0), 0, 1)
    return out


def _random_affine(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    angle = np.deg2rad(rng.uniform(-12, 12))
    shear = rng.uniform(-0.3, 0.3)
    sx, sy = rng.uniform(0.8, 1.15), rng.uniform(0.8, 1.15)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    lin = rot @ np.array([[1.0, shear], [0.0, 1.0]]) @ np.diag([sx, sy])
    size = int(_WORK * 1.5)
    centre_in = np.array([_WORK / 2, _WORK / 2])
    centre_out = np.array([size / 2, size / 2])
    m = np.hstack([lin, (centre_out - lin @ centre_in)[:, None]]).astype(np.float32)
    return cv2.warpAffine(a, m, (size, size), flags=cv2.INTER_LINEAR, borderValue=0)


def _separator(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Write a thousands dot or a comma against the digit's foot, after it or before it
    (1.000, 25.810,-): in an amount written quickly it touches the digit, segmentation
    cannot part them, and a 9 with a dot at its tail or a 0 with one at its side is
    still a 9 or a 0."""
    ys, xs = np.nonzero(a > 0.5)
    if ys.size == 0:
        return a
    top, bottom, left, right = ys.min(), ys.max(), xs.min(), xs.max()
    height = bottom - top + 1
    radius = max(1.5, rng.uniform(0.07, 0.13) * height)
    # the foot of the digit on the chosen side, where the dot meets it or nearly does
    after = rng.random() < 0.7
    y = int(bottom - rng.uniform(0.0, 0.2) * height)
    row = xs[np.abs(ys - y) <= radius]
    edge = (row.max() if after else row.min()) if row.size else (right if after else left)
    x = int(edge + (1 if after else -1) * rng.uniform(0.4, 1.6) * radius)
    out = a.copy()
    cv2.circle(out, (x, y), int(round(radius)), 1.0, -1)
    if rng.random() < 0.35:  # a comma's tail, down and back
        tail = (int(x - rng.uniform(0.5, 1.5) * radius), int(y + rng.uniform(1.5, 3.0) * radius))
        cv2.line(out, (x, y), tail, 1.0, max(1, int(radius * 0.8)))
    return out


def _elastic(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = a.shape
    alpha, sigma = rng.uniform(3, 7), 6.0
    dx = cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma)
    dy = cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma)
    dx *= alpha / (np.abs(dx).max() + 1e-6)
    dy *= alpha / (np.abs(dy).max() + 1e-6)
    ys, xs = np.indices((h, w), dtype=np.float32)
    return cv2.remap(a, xs + dx, ys + dy, cv2.INTER_LINEAR, borderValue=0)


def _thickness(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    size = int(rng.integers(2, 6))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    if rng.random() < 0.55:
        return cv2.dilate(a, kernel)
    thinner = cv2.erode(a, kernel)
    # a pen thinner than the grid still leaves a trace: never erase the digit
    return thinner if thinner.max() > 0.5 else a


def _fine_pen(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Redraw the digit's centre line with a fine nib (a ballpoint or fine liner).

    Eroding a stroke thins it unevenly and cuts it where it is narrow; a fine pen keeps
    every stroke whole at one width, and draws tips and loops to their full length.
    """
    from skimage.morphology import skeletonize

    centre = skeletonize(a > 0.5)
    if not centre.any():
        return a
    distance = cv2.distanceTransform((~centre).astype(np.uint8), cv2.DIST_L2, 3)
    half_width = rng.uniform(0.8, 2.4)  # MNIST strokes are ~2.9 px half-width at this grid
    return np.clip(half_width - distance + 0.5, 0, 1).astype(np.float32)


def _break_stroke(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    ys, xs = np.nonzero(a > 0.5)
    if ys.size == 0:
        return a
    i = int(rng.integers(ys.size))
    angle = rng.uniform(0, np.pi)
    length = a.shape[0] // 6
    dx, dy = int(np.cos(angle) * length), int(np.sin(angle) * length)
    out = a.copy()
    cv2.line(out, (xs[i] - dx, ys[i] - dy), (xs[i] + dx, ys[i] + dy), 0.0, int(rng.integers(2, 4)))
    return out


def _shift(a: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """Move the image by whole pixels; what leaves one edge is lost (it does not wrap)."""
    h, w = a.shape
    out = np.zeros_like(a)
    out[max(0, dy) : h + min(0, dy), max(0, dx) : w + min(0, dx)] = a[
        max(0, -dy) : h - max(0, dy), max(0, -dx) : w - max(0, dx)
    ]
    return out


# Letters that do not look like a digit in someone's handwriting; O, l, I, S, Z, B, g, q, b, G...
# stay out so the reject class never learns to swallow real digits.
_LETTERS = "ACEFHKMNPRUVWXYacdefhkmnprtuvwxy"
_FONTS = [
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
    cv2.FONT_HERSHEY_PLAIN,
]


def make_font_digit(label: int, rng: np.random.Generator) -> np.ndarray:
    """Return a 28x28 framed handwritten ``label`` in a vendored handwriting face,
    distorted as the MNIST digits are (see :func:`augment_digit`).

    MNIST's writers were American: its 1s are bars, its 7s are never crossed, its 4s
    are closed. Elsewhere a 1 has a long flag (taken for a 7), a 4 is open (for a 6)
    and a 9's tail is looped (for an 8): the handwriting faces write them so, and a 1
    is also drawn with a flag of any length (:func:`_flagged_one`). Only the training
    faces are drawn (never :data:`batchreader.training.fonts.HELD_OUT`)."""
    from batchreader.training.fonts import fonts, render_face

    if label == 1 and rng.random() < 0.5:
        ink = _flagged_one(rng)
    else:
        faces = fonts().handwriting
        ink = render_face(str(label), faces[int(rng.integers(len(faces)))], int(rng.integers(32, 72)))
    return augment_digit(to_mnist(ink), rng)


def make_font_letters(rng: np.random.Generator) -> np.ndarray:
    """Return a 28x28 framed run of one to three letters in a vendored handwriting face
    (the faces :func:`make_font_digit` draws digits in): what makes a mark "not a digit"
    is its shape, never the face it is written in."""
    from batchreader.training.fonts import fonts, render_face

    faces = fonts().handwriting
    text = "".join(rng.choice(list(_LETTERS), size=int(rng.integers(1, 4))))
    ink = render_face(text, faces[int(rng.integers(len(faces)))], int(rng.integers(32, 72)))
    return augment_digit(to_mnist(ink), rng)


def _flagged_one(rng: np.random.Generator) -> np.ndarray:
    """A 1 as much of the world writes it: a stem, a flag from its top down to the left
    (short, or half the height, and steeper than a 7's bar), sometimes a foot."""
    h = 80
    canvas = np.zeros((h + 20, h + 20), np.uint8)
    thick = int(rng.integers(3, 9))
    slant = rng.uniform(-0.15, 0.35) * h
    top = (int(10 + h / 2 + slant / 2), 10)
    bottom = (int(10 + h / 2 - slant / 2), 10 + h)
    cv2.line(canvas, top, bottom, 255, thick, cv2.LINE_AA)
    length = rng.uniform(0.2, 0.5) * h
    angle = np.deg2rad(rng.uniform(25, 70))  # below the horizontal
    flag = (int(top[0] - length * np.cos(angle)), int(top[1] + length * np.sin(angle)))
    cv2.line(canvas, top, flag, 255, thick, cv2.LINE_AA)
    if rng.random() < 0.2:
        foot = int(rng.uniform(0.15, 0.3) * h)
        cv2.line(canvas, (bottom[0] - foot, bottom[1]), (bottom[0] + foot, bottom[1]), 255, thick, cv2.LINE_AA)
    return canvas.astype(np.float32) / 255.0


def continental(digit: np.ndarray, label: int, rng: np.random.Generator) -> np.ndarray:
    """Return an MNIST ``label`` (28x28) rewritten as much of the world writes it, in
    its writer's own stroke: a 1 gets a flag from its top down to the left (from a
    fifth to nine tenths of its height: Latin American and European writers draw it
    long; steeper than a 7's bar), a 7 a bar across its stem. MNIST's
    American writers did neither, so to a model trained on it alone a flagged 1 is a
    7, and a crossed 7 that is a 7 only by its bar. Other digits come back unchanged."""
    a = np.asarray(digit, np.float32)
    a = a / 255.0 if a.max() > 1.0 else a.copy()
    if label not in (1, 7):
        return a
    big = cv2.resize(a, (_WORK, _WORK), interpolation=cv2.INTER_LINEAR)
    inked = big > 0.5
    rows = np.flatnonzero(inked.any(axis=1))
    if rows.size < 8:
        return a
    height = rows[-1] - rows[0] + 1
    # the writer's stroke width: twice the depth of the strokes' cores
    depth = cv2.distanceTransform(inked.astype(np.uint8), cv2.DIST_L2, 3)
    thick = int(np.clip(round(2 * np.percentile(depth[inked], 95)), 2, 12))
    layer = np.zeros_like(big, np.uint8)
    if label == 1:
        top_row = rows[0]
        cols = np.flatnonzero(inked[top_row : top_row + 3].any(axis=0))
        top = (int(cols.mean()), int(top_row + thick // 2))
        length = rng.uniform(0.2, 0.9) * height  # 0.2-0.55 until 2026-12-03: long flags were cut into two 1s
        # below the horizontal: steeper than a 7's bar, which MNIST's 7s keep (a flag
        # at 25 degrees made 7s of 1s and 1s of 7s: MNIST test 7 -> 1 from 2 to 15)
        angle = np.deg2rad(rng.uniform(35, 70))
        end = (int(top[0] - length * np.cos(angle)), int(top[1] + length * np.sin(angle)))
        cv2.line(layer, top, end, 255, thick, cv2.LINE_AA)
    else:
        y = int(rows[0] + rng.uniform(0.45, 0.65) * height)
        cols = np.flatnonzero(inked[y])
        if cols.size == 0:
            return a
        centre = float(cols.mean())
        half = rng.uniform(0.18, 0.32) * height
        tilt = rng.uniform(-0.08, 0.08) * height
        cv2.line(
            layer, (int(centre - half), int(y + tilt)), (int(centre + half), int(y - tilt)), 255, thick, cv2.LINE_AA
        )
    big = np.maximum(big, layer.astype(np.float32) / 255.0 * float(np.percentile(big[inked], 90)))
    return to_mnist(big)


_PRINTED = "0123456789" * 3 + "ABCDEFGHKMNPRSTUXYZabdeghkmnpqrstuxyz#%&$"


def make_printed(rng: np.random.Generator) -> np.ndarray:
    """Return a 28x28 framed printed character (a digit two times in three): printed
    numbers on forms are not handwriting and must not be read as such."""
    from batchreader.training.fonts import TRAINING_FONTS, render_text

    char = str(rng.choice(list(_PRINTED)))
    size = int(rng.integers(18, 64))
    marks = render_text(char, str(rng.choice(TRAINING_FONTS)), size).astype(np.float32) / 255.0
    if rng.random() < 0.3:
        marks = cv2.GaussianBlur(marks, (0, 0), rng.uniform(0.4, 1.0))
    if rng.random() < 0.3:  # scanned print: thresholded, slightly bolder or thinner
        marks = (marks > rng.uniform(0.3, 0.7)).astype(np.float32)
    return to_mnist(marks)


def make_nondigit(rng: np.random.Generator) -> np.ndarray:
    """Return a 28x28 framed mark that is not a digit: a letter, X mark, tick, dash,
    scribble, ink blot, box corner or similar, as found beside digits on forms."""
    kind = int(rng.integers(8))
    canvas = np.zeros((96, 96), np.uint8)
    thick = int(rng.integers(3, 9))
    if kind == 0:  # printed or script letters, one or a few
        text = "".join(rng.choice(list(_LETTERS), size=int(rng.integers(1, 4))))
        font = _FONTS[int(rng.integers(len(_FONTS)))]
        canvas = np.zeros((96, 96 * 3), np.uint8)
        cv2.putText(canvas, text, (4, 70), font, 2.0, 255, max(1, thick // 2), cv2.LINE_AA)
    elif kind == 1:  # X mark
        d = rng.integers(-8, 9, size=4)
        cv2.line(canvas, (20 + d[0], 20 + d[1]), (76, 76), 255, thick, cv2.LINE_AA)
        cv2.line(canvas, (76 + d[2], 20 + d[3]), (20, 76), 255, thick, cv2.LINE_AA)
    elif kind == 2:  # tick mark
        pts = np.array([[15, 50], [38, 78], [85, 15]]) + rng.integers(-8, 9, size=(3, 2))
        cv2.polylines(canvas, [pts.astype(np.int32)], False, 255, thick, cv2.LINE_AA)
    elif kind == 3:  # dash, underline or slash-free stroke: wider than tall
        y = int(rng.integers(30, 66))
        cv2.line(canvas, (8, y), (88, y + int(rng.integers(-10, 11))), 255, thick, cv2.LINE_AA)
    elif kind == 4:  # scribble or signature fragment: a long wandering curve
        canvas = np.zeros((96, 96 * 3), np.uint8)
        n = int(rng.integers(6, 14))
        xs = np.sort(rng.uniform(5, 280, n))
        ys = rng.uniform(10, 86, n)
        pts = np.stack([xs, ys], axis=1).astype(np.int32)
        cv2.polylines(canvas, [pts], False, 255, max(2, thick // 2), cv2.LINE_AA)
    elif kind == 5:  # ink blot or filled box
        if rng.random() < 0.5:
            cv2.ellipse(canvas, (48, 48), (int(rng.integers(15, 40)), int(rng.integers(15, 40))), 0, 0, 360, 255, -1)
        else:
            cv2.rectangle(canvas, (20, 20), (int(rng.integers(40, 80)), int(rng.integers(40, 80))), 255, -1)
    elif kind == 6:  # square box or box corner left over from a form
        x1, y1 = int(rng.integers(55, 90)), int(rng.integers(55, 90))
        if rng.random() < 0.5:
            cv2.rectangle(canvas, (8, 8), (x1, y1), 255, thick)
        else:
            cv2.polylines(canvas, [np.array([[8, y1], [8, 8], [x1, 8]], np.int32)], False, 255, thick)
    else:  # plus sign, asterisk or hash
        c = 48
        for ang in rng.choice([0, 45, 90, 135], size=int(rng.integers(2, 4)), replace=False):
            dx, dy = int(40 * np.cos(np.deg2rad(ang))), int(40 * np.sin(np.deg2rad(ang)))
            cv2.line(canvas, (c - dx, c - dy), (c + dx, c + dy), 255, thick, cv2.LINE_AA)
    marks = canvas.astype(np.float32) / 255.0
    if rng.random() < 0.5:
        h, w = marks.shape
        marks = _random_affine(cv2.resize(marks, (_WORK, max(1, _WORK * h // w))), rng)
    return to_mnist(marks)


def make_touching(digits: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Return a 28x28 framed glyph of two or three MNIST digits written so close that
    they touch or overlap: one glyph that is not one digit. The scanner must cut it,
    and a class that says "several digits" keeps the model from reading the pair as
    its likelier half (a 1 leaning on a 6 reads as a sure 6 otherwise)."""
    height = 48
    parts = []
    for d in digits:
        a = np.asarray(d, np.float32)
        a = a / 255.0 if a.max() > 1.0 else a
        rows = np.flatnonzero((a > 0.1).any(axis=1))
        cols = np.flatnonzero((a > 0.1).any(axis=0))
        if rows.size == 0:
            continue
        a = a[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
        h = int(height * rng.uniform(0.85, 1.1))
        w = max(1, round(a.shape[1] * h / a.shape[0]))
        parts.append(cv2.resize(a, (w, h), interpolation=cv2.INTER_LINEAR))
    total = sum(p.shape[1] for p in parts) + 2 * height
    canvas = np.zeros((int(height * 1.4), total), np.float32)
    x = height // 2
    for k, part in enumerate(parts):
        if k:  # the next digit starts where this one ends, minus an overlap small
            # enough that both stay visible (a 1 hidden inside a 7 is a 7)
            narrower = min(part.shape[1], parts[k - 1].shape[1])
            wider = max(part.shape[1], parts[k - 1].shape[1])
            if wider > 0.35 * height:  # two bars overlapping are one thick bar
                # a bar may cross its neighbour by up to an eighth of the height, as
                # crammed writing does; wider digits overlap by up to a fifth of themselves
                reach = min(height, max(1.75 * narrower, 0.6 * height))
                x -= int(rng.uniform(0.02, 0.2) * reach)
        top = int(rng.uniform(0.0, 0.3) * height)
        view = canvas[top : top + part.shape[0], x : x + part.shape[1]]
        np.maximum(view, part[: view.shape[0], : view.shape[1]], out=view)
        x += part.shape[1]
    if rng.random() < 0.5:
        canvas = _thickness(canvas, rng)
    if rng.random() < 0.2:
        canvas = cv2.GaussianBlur(canvas, (0, 0), rng.uniform(0.6, 1.4))
    return to_mnist(canvas)


def augment_batch(
    images: np.ndarray,
    labels: np.ndarray,
    rng: np.random.Generator,
    nondigit_share: float = 0.08,
    touching_share: float = 0.06,
    augment_share: float = 0.75,
    not_a_digit: int = 10,
    touching: int = 11,
    touching_ones: float = 0.0,
    font_share: float = 0.0,
    continental_share: float = 0.0,
    letter_share: float = 0.5,
    separator_share: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Augment a batch of 28x28 digits and replace a share of it with non-digit marks
        and a share with touching digits (drawn from the batch's own digits; in a share
        ``touching_ones`` of them one of the digits is a 1: a bar written into the stem of
        its neighbour is the pair most easily taken for one digit, 41 for a 4, 91 for a 9).
        A share ``font_share`` of the digits is replaced by the same digit in a handwriting
        face (:func:`make_font_digit`), and then a share ``letter_share`` of the drawn marks
        are letters in those faces (:func:`make_font_letters`). A share ``continental_share`` of the 1s and 7s
        is written with a flag or a bar (:func:`continental`) before it is distorted. A share
    ``separator_share`` of the distorted digits has a dot or comma against it (:func:`_separator`).

        Returns (N, 28, 28, 1) float32 images and int32 labels.
    """
    n = len(images)
    out = np.zeros((n, MNIST_SIZE, MNIST_SIZE, 1), np.float32)
    out_labels = np.asarray(labels, np.int32).copy()
    ones = np.flatnonzero(out_labels == 1)
    for i in range(n):
        draw = rng.random()
        if draw < nondigit_share:
            if draw >= nondigit_share / 2:
                out[i, :, :, 0] = make_printed(rng)
            elif font_share and rng.random() < letter_share:  # letters in the faces the digits are drawn in
                out[i, :, :, 0] = make_font_letters(rng)
            else:
                out[i, :, :, 0] = make_nondigit(rng)
            out_labels[i] = not_a_digit
        elif draw < nondigit_share + touching_share:
            count = 3 if rng.random() < 0.15 else 2
            chosen = rng.integers(n, size=count)
            if ones.size and rng.random() < touching_ones:
                chosen[rng.integers(count)] = ones[rng.integers(ones.size)]
            out[i, :, :, 0] = make_touching([images[int(j)] for j in chosen], rng)
            out_labels[i] = touching
        elif font_share and rng.random() < font_share:
            out[i, :, :, 0] = make_font_digit(int(out_labels[i]), rng)
        elif continental_share and out_labels[i] in (1, 7) and rng.random() < continental_share:
            out[i, :, :, 0] = augment_digit(continental(images[i], int(out_labels[i]), rng), rng, separator_share)
        elif rng.random() < augment_share:
            out[i, :, :, 0] = augment_digit(images[i], rng, separator_share)
        else:  # MNIST digits are already framed; some stay as written
            out[i, :, :, 0] = images[i] / (255.0 if images[i].max() > 1 else 1.0)
    return out, out_labels
