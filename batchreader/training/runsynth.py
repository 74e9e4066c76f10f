"""Generated written numbers for the run reader (:mod:`batchreader.read.runreader`).

Each sample is the ink of one written number (0 = paper), as segmentation hands a
field's glyph over, and its digits. The digits are MNIST's, drawn with the
synthesizer's pens, and written as quick hands write amounts: spaced, touching, or
in one stroke with the loops of each digit running into the next ("000" as a chain
of rings), joined by the strokes between them; with a thousands dot, comma or
apostrophe, and sometimes the dash or "=" after the amount. 1s and 7s are often
written as most of the world writes them (:func:`batchreader.training.augment.continental`).
"""

from __future__ import annotations

import cv2
import numpy as np

from batchreader.read.runreader import MAX_DIGITS, RUN_HEIGHT, RUN_WIDTH, to_run_input
from batchreader.training.augment import continental
from batchreader.training.pagesynth import digit_ink

LENGTHS = (1, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 6, 7)
"""How many digits a sample holds, drawn evenly from this list: runs of two to four
digits (the glyphs the reader cannot part by cut points) come most often."""


def render_run(images: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The ink (float32, 0..1) of the MNIST ``images`` (uint8 28x28, digits ``labels``)
    written as one number."""
    digit_h = int(rng.integers(24, 56))
    pen = float(rng.uniform(0.45, 1.4))
    style = rng.random()  # spaced, touching, or in one stroke
    inks = []
    for img, label in zip(images, labels):
        if int(label) in (1, 7) and rng.random() < 0.3:
            img = (continental(img, int(label), rng) * 255).astype(np.uint8)
        ink = digit_ink(img, int(digit_h * rng.uniform(0.8, 1.05)), pen)
        # quick hands write wide: a 0 often twice as wide as it is tall
        stretch = rng.uniform(0.9, 2.0) if int(label) == 0 else rng.uniform(0.8, 1.3)
        inks.append(cv2.resize(ink, (max(1, round(ink.shape[1] * stretch)), ink.shape[0])))
    width = sum(i.shape[1] for i in inks) + 3 * digit_h
    layer = np.zeros((int(digit_h * 1.6), width), np.float32)
    base = int(digit_h * 1.25)
    thick = max(1, int(round(pen * digit_h / 14)))
    dot_at = len(inks) - 3 if len(inks) > 3 and rng.random() < 0.4 else -1
    x = int(digit_h * 0.1)
    previous: tuple[int, int, np.ndarray] | None = None  # the last digit's x, y and ink
    for k, ink in enumerate(inks):
        h, w = ink.shape
        if k == dot_at:
            x = _separator(layer, x, base, digit_h, thick, rng)
        elif previous is not None:
            if style < 0.3:  # in one stroke: each loop runs into the next
                x -= int(min(w, previous[2].shape[1]) * rng.uniform(0.1, 0.45))
            elif style < 0.7:  # touching
                x -= int(digit_h * rng.uniform(-0.05, 0.15))
            else:
                x += int(digit_h * rng.uniform(0.03, 0.3))
        y = int(np.clip(base - h + rng.integers(-digit_h // 12 - 1, digit_h // 12 + 2), 0, layer.shape[0] - h))
        x = int(np.clip(x, 0, layer.shape[1] - w))
        if previous is not None and k != dot_at and rng.random() < (0.8 if style < 0.3 else 0.3):
            _join(layer, previous, (x, y, ink), thick)
        np.maximum(layer[y : y + h, x : x + w], ink, out=layer[y : y + h, x : x + w])
        previous = (x, y, ink)
        x += w
    if rng.random() < 0.15:  # the dash or "=" after the amount
        x = _dash(layer, x + int(digit_h * rng.uniform(0.05, 0.3)), base, digit_h, thick, rng)
    layer = layer[:, : min(layer.shape[1], x + 2)]
    shear = rng.uniform(-0.35, 0.35)  # the slant of the hand
    h, w = layer.shape
    pad = int(abs(shear) * h) + 1
    matrix = np.float32([[1, -shear, pad + (shear * h if shear > 0 else 0)], [0, 1, 0]])
    return cv2.warpAffine(layer, matrix, (w + 2 * pad, h))


def strip_ink(images: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The ink the scan finds in a generated amount strip of these digits (see STRIP_SHARE)."""
    from batchreader.segment.glyphs import ink_of, segment
    from batchreader.training.stripsynth import render_strip

    return ink_of(segment(render_strip(images, labels, rng).gray, None, field=True))


def _join(layer: np.ndarray, left: tuple[int, int, np.ndarray], right: tuple[int, int, np.ndarray], thick: int) -> None:
    """The stroke that joins a digit to the next: from the left one's rightmost ink in
    its lower half to the right one's leftmost ink."""
    (x0, y0, a), (x1, y1, b) = left, right
    ys, xs = np.nonzero(a[a.shape[0] // 2 :] > 0.5)
    ys2, xs2 = np.nonzero(b > 0.5)
    if not xs.size or not xs2.size:
        return
    i, j = int(np.argmax(xs)), int(np.argmin(xs2))
    start = (x0 + int(xs[i]), y0 + a.shape[0] // 2 + int(ys[i]))
    end = (x1 + int(xs2[j]), y1 + int(ys2[j]))
    stroke = np.zeros(layer.shape, np.uint8)
    cv2.line(stroke, start, end, 255, thick, cv2.LINE_AA)
    np.maximum(layer, stroke.astype(np.float32) / 255.0, out=layer)


def _separator(layer: np.ndarray, x: int, base: int, digit_h: int, thick: int, rng: np.random.Generator) -> int:
    """A thousands dot, comma or apostrophe written at ``x``; returns where the next digit goes."""
    cx = x + int(digit_h * rng.uniform(0.05, 0.15))
    kind = rng.random()
    if kind < 0.6:
        cv2.circle(layer, (cx, base - thick), thick + 1, 1.0, -1, cv2.LINE_AA)
    elif kind < 0.85:
        cv2.line(layer, (cx, base - thick), (cx - int(0.1 * digit_h), base + int(0.15 * digit_h)), 1.0, thick + 1)
    else:
        top = base - digit_h
        cv2.line(layer, (cx, top), (cx - int(0.05 * digit_h), top + int(0.2 * digit_h)), 1.0, thick + 1)
    return cx + int(digit_h * rng.uniform(0.1, 0.25))


def _dash(layer: np.ndarray, x: int, base: int, digit_h: int, thick: int, rng: np.random.Generator) -> int:
    """The dash or "=" after an amount; returns its end."""
    x1 = min(layer.shape[1] - 1, x + int(digit_h * rng.uniform(0.3, 0.9)))
    y = base - int(digit_h * rng.uniform(0.25, 0.55))
    cv2.line(layer, (x, y), (x1, y - int(rng.integers(-3, 4))), 1.0, thick, cv2.LINE_AA)
    if rng.random() < 0.4:
        cv2.line(layer, (x, y + digit_h // 4), (x1, y + digit_h // 4), 1.0, thick, cv2.LINE_AA)
    return x1


TRAILING_ZEROS = 0.4
"""Share of the numbers of two digits or more that end in one to all-but-one zeros, as
amounts do: runs of zeros are the runs most often written in one stroke."""

STRIP_SHARE = 0.25
"""Share of the samples that are whole generated cheque amounts (:mod:`batchreader.training.stripsynth`:
security backgrounds, baselines, separators) as the scan's ink extraction leaves them:
the ink of every glyph :func:`batchreader.segment.glyphs.segment` finds in the strip,
the pattern's remains and the separators included."""

CHUNK = 2000
"""Samples per task of :func:`run_set`'s worker processes."""


def make_runs(images: np.ndarray, labels: np.ndarray, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` framed samples (N, RUN_HEIGHT, RUN_WIDTH, 1) and their digits, padded
    with -1 to (N, MAX_DIGITS): MNIST digits drawn at random from ``images``."""
    rng = np.random.default_rng(seed)
    x = np.zeros((count, RUN_HEIGHT, RUN_WIDTH, 1), np.float32)
    y = np.full((count, MAX_DIGITS), -1, np.int32)
    zeros = np.flatnonzero(labels == 0)
    for i in range(count):
        n = int(rng.choice(LENGTHS))
        idx = rng.integers(len(images), size=n)
        if n > 1 and rng.random() < TRAILING_ZEROS:  # amounts end in zeros: "5.000", "120.000"
            tail = int(rng.integers(1, n))
            idx[n - tail :] = zeros[rng.integers(len(zeros), size=tail)]
        if rng.random() < STRIP_SHARE:
            x[i, :, :, 0] = to_run_input(strip_ink(images[idx], labels[idx], rng))[0]
            y[i, :n] = labels[idx]
            continue
        ink = render_run(images[idx], labels[idx], rng)
        if rng.random() < 0.3:
            ink = cv2.GaussianBlur(ink, (0, 0), rng.uniform(0.5, 1.2))
        if rng.random() < 0.2:  # 1-bit
            ink = (ink > rng.uniform(0.3, 0.6)).astype(np.float32)
        x[i, :, :, 0] = to_run_input(ink)[0]
        y[i, :n] = labels[idx]
    return x, y


_POOL: tuple[np.ndarray, np.ndarray] | None = None


def _share(images: np.ndarray, labels: np.ndarray) -> None:
    global _POOL
    _POOL = (images, labels)


def _chunk(task: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    count, seed, k = task
    assert _POOL is not None
    return make_runs(_POOL[0], _POOL[1], count, seed * 100_003 + k)


def run_set(images: np.ndarray, labels: np.ndarray, n: int, seed: int, jobs: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """``n`` samples of :func:`make_runs`, in chunks of CHUNK over ``jobs`` processes
    (the same samples whatever ``jobs``)."""
    tasks = [(min(CHUNK, n - start), seed, k) for k, start in enumerate(range(0, n, CHUNK))]
    if jobs > 1 and len(tasks) > 1:
        from concurrent.futures import ProcessPoolExecutor
        from multiprocessing import get_context

        with ProcessPoolExecutor(
            jobs, mp_context=get_context("spawn"), initializer=_share, initargs=(images, labels)
        ) as pool:
            parts = list(pool.map(_chunk, tasks))
    else:
        _share(images, labels)
        parts = [_chunk(t) for t in tasks]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
