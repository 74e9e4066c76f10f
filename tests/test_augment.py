"""Training-time augmentation: what it does to real MNIST digits from the committed subset."""

from __future__ import annotations

import cv2
import numpy as np
from skimage.morphology import skeletonize

from batchreader.read.classes import NOT_A_DIGIT, TOUCHING
from batchreader.read.normalize import MNIST_BOX, MNIST_SIZE, to_mnist
from batchreader.training.augment import _fine_pen, _separator, augment_batch, continental


def _strokes(a: np.ndarray) -> tuple[int, float]:
    """Connected pieces of a digit's ink, and its median stroke width (twice the distance
    from its centre line to the paper)."""
    mask = a > 0.5
    count, _ = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    distance = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 5)
    return count - 1, 2 * float(np.median(distance[skeletonize(mask)]))


def test_a_fine_pen_draws_every_stroke_whole_and_thinner(mnist_subset):
    rng = np.random.default_rng(0)
    thinner = 0
    for digit in mnist_subset["x_test"][:60]:
        a = cv2.resize(digit.astype(np.float32) / 255.0, (64, 64), interpolation=cv2.INTER_LINEAR)
        pieces, width = _strokes(a)
        pen = _fine_pen(a, rng)
        pen_pieces, pen_width = _strokes(pen)
        assert pen_pieces <= pieces  # a fine pen does not break strokes (erosion would)
        assert 1.0 <= pen_width <= 2 * (2.4 + 1)  # the nib drawn, whatever the digit's own width
        thinner += pen_width < width
    assert thinner >= 50  # MNIST strokes are wider than most nibs drawn


def test_augmented_batches_are_framed_as_mnist_and_keep_their_labels(mnist_subset):
    x, y = mnist_subset["x_test"][:256], mnist_subset["y_test"][:256]
    images, labels = augment_batch(x, y, np.random.default_rng(1), not_a_digit=NOT_A_DIGIT, touching=TOUCHING)
    assert images.shape == (256, MNIST_SIZE, MNIST_SIZE, 1) and images.dtype == np.float32
    assert images.min() >= 0.0 and images.max() <= 1.0
    digits = labels < NOT_A_DIGIT
    assert (labels[digits] == y[digits]).all()  # a digit keeps its own label
    assert 0 < (~digits).sum() < 0.3 * len(labels)  # some non-digits and touching pairs, not many
    for image in images[digits, :, :, 0]:
        rows = np.flatnonzero((image > 0.1).any(axis=1))
        cols = np.flatnonzero((image > 0.1).any(axis=0))
        assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 <= MNIST_BOX + 2
        mass = image.sum()
        cy = (image.sum(axis=1) @ np.arange(MNIST_SIZE)) / mass
        cx = (image.sum(axis=0) @ np.arange(MNIST_SIZE)) / mass
        assert abs(cy - 14) <= 2.5 and abs(cx - 14) <= 2.5  # shifted by at most a pixel or two


def test_touching_samples_take_a_one_from_the_batch_in_the_share_asked(mnist_subset):
    # every digit blank but the batch's one 1: a touching sample has ink only when that 1 is in it
    x, y = mnist_subset["x_test"][:128].copy(), mnist_subset["y_test"][:128].copy()
    one = int(np.flatnonzero(y == 1)[0])
    y[y == 1] = 7
    y[one] = 1
    x[np.arange(len(x)) != one] = 0
    inked = {}
    for share in (0.0, 0.5, 1.0):
        images, labels = augment_batch(
            x, y, np.random.default_rng(3), touching_share=1.0, nondigit_share=0.0, touching_ones=share
        )
        assert (labels == TOUCHING).all()
        inked[share] = float((images.reshape(len(images), -1).max(axis=1) > 0.5).mean())
    assert inked[1.0] == 1.0  # a 1 in every pair
    assert 0.35 <= inked[0.5] <= 0.65
    assert inked[0.0] <= 0.05  # by chance only: 1 digit in 128


def _ink_in(a: np.ndarray, rows: slice) -> int:
    return int((a[rows] > 0.5).sum())


def test_continental_ones_get_a_flag_and_sevens_a_bar_in_the_writers_stroke(mnist_subset):
    x, y = mnist_subset["x_test"], mnist_subset["y_test"]
    rng = np.random.default_rng(4)
    for label in (1, 7):
        wider = joined = 0
        for digit in x[y == label][:30]:
            plain = digit.astype(np.float32) / 255.0
            styled = continental(digit, label, rng)
            assert styled.shape == (MNIST_SIZE, MNIST_SIZE) and styled.min() >= 0 and styled.max() <= 1
            pieces, width = _strokes(styled)
            joined += pieces <= _strokes(to_mnist(plain))[0]  # the flag or bar touches the digit
            assert 0.5 * _strokes(plain)[1] <= width <= 2 * _strokes(plain)[1] + 1  # drawn as thick as the digit
            # a 1's flag is more ink in its top third; a 7's bar in its middle
            band = slice(4, 13) if label == 1 else slice(12, 20)
            wider += _ink_in(styled, band) >= _ink_in(to_mnist(plain), band) + 5
        assert wider >= 26 and joined >= 27
    four = x[y == 4][0]
    assert np.allclose(continental(four, 4, rng), four / 255.0)  # other digits as written


def test_a_thousands_dot_or_comma_is_written_against_the_digits_foot(mnist_subset):
    rng = np.random.default_rng(3)
    for digit in mnist_subset["x_test"][:60]:
        a = cv2.resize(digit.astype(np.float32) / 255.0, (64, 64), interpolation=cv2.INTER_LINEAR)
        out = _separator(a, rng)
        assert (out >= a - 1e-6).all()  # ink is only added: the digit stays whole
        ys, xs = np.nonzero((out > 0.5) & ~(a > 0.5))
        rows = np.nonzero((a > 0.5).any(axis=1))[0]
        assert ys.size and ys.min() >= rows[0] + 0.6 * (rows[-1] - rows[0])  # at the foot, not the top
        # against the digit: its nearest pixel touches the digit's ink, or nearly
        away = cv2.distanceTransform((a <= 0.5).astype(np.uint8), cv2.DIST_L2, 5)
        assert away[ys, xs].min() <= 0.1 * (rows[-1] - rows[0]) + 1
    x, y = mnist_subset["x_test"][:64], mnist_subset["y_test"][:64]
    _, labels = augment_batch(
        x, y, rng, nondigit_share=0, touching_share=0, separator_share=1.0, not_a_digit=NOT_A_DIGIT, touching=TOUCHING
    )
    assert (labels == y).all()  # a 9 with a dot at its tail is still a 9
