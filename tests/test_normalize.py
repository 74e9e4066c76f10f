from __future__ import annotations

import numpy as np
import pytest

from batchreader.read.normalize import MNIST_BOX, to_mnist, to_mnist_batch


def centre_of_mass(a: np.ndarray) -> tuple[float, float]:
    ys, xs = np.indices(a.shape)
    return float((a * ys).sum() / a.sum()), float((a * xs).sum() / a.sum())


def test_mnist_digit_pasted_on_a_page_comes_back_nearly_identical(mnist_subset):
    diffs = []
    for digit in mnist_subset["x_test"][:300]:
        page = np.zeros((200, 300), np.uint8)
        page[90:118, 140:168] = digit
        framed = to_mnist(page)
        diffs.append(np.abs(framed - digit / 255.0).mean())
    assert np.median(diffs) < 0.005
    assert np.percentile(diffs, 95) < 0.03


def test_frames_like_mnist_box_and_centre_of_mass():
    ink = np.zeros((300, 100), np.float32)
    ink[20:280, 40:60] = 200  # a tall bar: its long side must become 20 px
    framed = to_mnist(ink)
    rows = np.flatnonzero(framed.max(axis=1) > 0.5)
    assert rows[-1] - rows[0] + 1 == MNIST_BOX
    cy, cx = centre_of_mass(framed)
    assert abs(cy - 14) <= 0.75 and abs(cx - 14) <= 0.75
    assert framed.dtype == np.float32 and framed.max() <= 1.0


def test_faint_ink_is_brought_to_full_strength():
    ink = np.zeros((60, 40), np.float32)
    ink[10:50, 15:25] = 30  # pencil-faint
    assert to_mnist(ink).max() == pytest.approx(1.0, abs=0.05)


def test_tiny_crop_is_scaled_up_not_lost():
    ink = np.zeros((9, 6), np.uint8)
    ink[1:8, 2:4] = 255
    framed = to_mnist(ink)
    assert (framed > 0.5).sum() > 20


def test_empty_and_batch():
    assert not to_mnist(np.zeros((10, 10))).any()
    batch = to_mnist_batch([np.ones((5, 5)), np.zeros((3, 3))])
    assert batch.shape == (2, 28, 28, 1)
    with pytest.raises(ValueError):
        to_mnist(np.zeros((2, 2, 3)))
