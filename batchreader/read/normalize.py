"""MNIST normalisation: the one function that frames a digit for the classifier.

MNIST was made by fitting each NIST digit into a 20x20 box (aspect ratio kept,
anti-aliased) and translating it so its centre of mass sits at the centre of a
28x28 field. Training (after augmentation) and scanning both call
:func:`to_mnist`, so the classifier always sees digits framed the same way.
"""

from __future__ import annotations

import cv2
import numpy as np

MNIST_SIZE = 28
"""Side of the MNIST field in pixels."""
MNIST_BOX = 20
"""Side of the box the digit's longer side is fitted into."""
MNIST_CENTRE = 14.0
"""Where MNIST puts the centre of mass (row and column, pixel-index coordinates)."""

# Pixels below this share of the stroke level do not count when cropping to the ink,
# so faint halo pixels (anti-aliasing, JPEG ringing) do not widen the box.
_CROP_LEVEL = 0.1


def ink_level(ink: np.ndarray) -> float:
    """Return the ink intensity of the strokes' core (a high percentile of the ink).

    Dividing by it makes faint pencil and bold marker look alike to the classifier.
    """
    values = ink[ink > 0]
    if values.size == 0:
        return 0.0
    k = int(0.9 * (values.size - 1))
    return float(np.partition(values, k)[k])


def to_mnist(ink: np.ndarray) -> np.ndarray:
    """Frame one digit as MNIST does.

    Args:
        ink: 2-D array of ink intensity (ink high, background 0) holding only this
            digit's ink: pixels of neighbours must already be zeroed by the caller's mask.
            Any numeric dtype; the scale does not matter.

    Returns:
        A 28x28 float32 array in [0, 1], white digit on black, its longer side 20 px,
        its centre of mass at (14, 14). All zeros when there is no ink.
    """
    a = np.asarray(ink, dtype=np.float32)
    if a.ndim != 2:
        raise ValueError(f"to_mnist expects a 2-D array, got shape {a.shape}")
    out = np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32)
    level = ink_level(a)
    if level <= 0:
        return out
    a = np.clip(a / level, 0.0, 1.0)

    inked = a > _CROP_LEVEL
    rows = np.flatnonzero(inked.any(axis=1))
    cols = np.flatnonzero(inked.any(axis=0))
    if rows.size == 0:
        return out
    a = a[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]

    h, w = a.shape
    scale = MNIST_BOX / max(h, w)
    new_w = max(1, min(MNIST_BOX, round(w * scale)))
    new_h = max(1, min(MNIST_BOX, round(h * scale)))
    # INTER_AREA is the anti-aliasing filter for shrinking; for tiny crops that must
    # grow (a cheque written small), bilinear avoids blocky strokes.
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    small = cv2.resize(a, (new_w, new_h), interpolation=interp)
    small = np.clip(small, 0.0, 1.0)

    mass = float(small.sum())
    if mass <= 0:
        return out
    cy = float(small.sum(axis=1) @ np.arange(small.shape[0], dtype=np.float32)) / mass
    cx = float(small.sum(axis=0) @ np.arange(small.shape[1], dtype=np.float32)) / mass
    # MNIST moved digits by whole pixels; rounding keeps strokes as sharp as the resize made them.
    top = int(round(MNIST_CENTRE - cy))
    left = int(round(MNIST_CENTRE - cx))
    _paste(out, small, top, left)
    return out


def _paste(canvas: np.ndarray, patch: np.ndarray, top: int, left: int) -> None:
    """Paste ``patch`` into ``canvas`` at (top, left), clipping what falls outside."""
    ch, cw = canvas.shape
    ph, pw = patch.shape
    y0, x0 = max(0, top), max(0, left)
    y1, x1 = min(ch, top + ph), min(cw, left + pw)
    if y0 >= y1 or x0 >= x1:
        return
    canvas[y0:y1, x0:x1] = patch[y0 - top : y1 - top, x0 - left : x1 - left]


def to_mnist_batch(inks: list[np.ndarray]) -> np.ndarray:
    """Frame several digits; returns an (N, 28, 28, 1) float32 array ready for the model."""
    out = np.zeros((len(inks), MNIST_SIZE, MNIST_SIZE, 1), np.float32)
    for i, ink in enumerate(inks):
        out[i, :, :, 0] = to_mnist(ink)
    return out
