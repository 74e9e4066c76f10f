"""The run reader reads a number written in one stroke whole, and the scan parts it by that reading."""

from __future__ import annotations

import numpy as np
import pytest

from batchreader.read.runreader import (
    CLASSES,
    INK_ROWS,
    MARGIN,
    RUN_HEIGHT,
    RUN_WIDTH,
    SIDE,
    RunReader,
    best_path,
    default_run_model_path,
    to_run_input,
)


def _columns(*classes: int) -> np.ndarray:
    """Per-column probabilities, each column sure of the class given (0 the blank)."""
    p = np.full((len(classes), CLASSES), 0.01, np.float32)
    p[np.arange(len(classes)), classes] = 0.9
    return p


def test_best_path_merges_repeats_and_drops_blanks():
    # "0 0 blank 0 5 5 blank": a 0 over two columns, another 0, then a 5 (classes are digit + 1)
    digits, peaks, centres = best_path(_columns(1, 1, 0, 1, 6, 6, 0))
    assert digits == [0, 0, 5]
    assert peaks == [0, 3, 4]
    assert centres == [0.5, 3.0, 4.5]
    assert best_path(_columns(0, 0, 0)) == ([], [], [])


def test_a_glyph_is_framed_to_its_ink_rows_with_room_at_both_ends():
    ink = np.zeros((50, 200), np.float32)
    ink[10:40, 20:80] = 1.0  # 30 rows, 60 columns of ink
    frame, scale = to_run_input(ink)
    assert frame.shape == (RUN_HEIGHT, RUN_WIDTH)
    rows, cols = np.nonzero(frame > 0.5)
    assert rows.min() == MARGIN and rows.max() == MARGIN + INK_ROWS - 1
    assert cols.min() == SIDE and abs(cols.max() + 1 - SIDE - 60 * INK_ROWS / 30) <= 1
    assert scale == pytest.approx(INK_ROWS / 30, rel=0.02)
    # a number too long for the frame at that height is narrowed to fit
    long_ink = np.ones((20, 400), np.float32)
    frame, scale = to_run_input(long_ink)
    assert frame[:, RUN_WIDTH - SIDE :].max() == 0 and frame[:, RUN_WIDTH - SIDE - 1].max() > 0
    assert scale == pytest.approx((RUN_WIDTH - 2 * SIDE) / 400)


def test_the_shipped_run_model_gives_the_logits_keras_gives():
    from batchreader.read.inference import NumpyNet
    from batchreader.training.keras_env import import_keras

    keras = import_keras()
    rng = np.random.default_rng(0)
    x = (rng.random((4, RUN_HEIGHT, RUN_WIDTH, 1)) > 0.8).astype(np.float32)
    path = default_run_model_path()
    RunReader.load(path)  # checked against its card
    expected = np.asarray(keras.saving.load_model(path, compile=False, safe_mode=True).predict(x, verbose=0))
    np.testing.assert_allclose(NumpyNet.load(path).logits(x), expected, atol=1e-3)


def test_numpy_inference_matches_keras_on_a_tiny_trained_run_model(tmp_path, mnist_subset):
    from batchreader.training.digits import Mnist
    from batchreader.training.runtrain import train_runs

    keras = pytest.importorskip("keras")
    data = Mnist(mnist_subset["x_train"], mnist_subset["y_train"], mnist_subset["x_test"], mnist_subset["y_test"])
    out = tmp_path / "runs.keras"
    card = train_runs(out, data, samples=128, epochs=1, batch_size=32, seed=3)
    assert card["classes"] == CLASSES and card["input"]["shape"] == [RUN_HEIGHT, RUN_WIDTH, 1]
    assert set(card["metrics"]) == {"validation_exact", "mnist_test_exact"}
    reader = RunReader.load(out)
    frames = np.random.default_rng(0).random((3, RUN_HEIGHT, RUN_WIDTH, 1)).astype(np.float32)
    want = np.asarray(keras.saving.load_model(out, compile=False, safe_mode=True)(frames, training=False))
    assert np.allclose(reader.net.logits(frames), want, atol=1e-4)
    probs = reader.probabilities(frames)
    assert probs.shape == (3, card["architecture"]["columns"], CLASSES)
    assert np.allclose(probs.sum(axis=2), 1.0, atol=1e-5)


def _chain(mnist_subset, digits: list[int], overlap: float) -> np.ndarray:
    """The ink of MNIST test digits written in one stroke: each ring running ``overlap``
    of its width into the one before, joined at the foot."""
    import cv2

    from batchreader.training.pagesynth import digit_ink

    x, y = mnist_subset["x_test"], mnist_subset["y_test"]
    inks = [digit_ink(x[np.flatnonzero(y == d)[k]], 40, 0.7) for k, d in enumerate(digits)]
    inks = [cv2.resize(a, (int(a.shape[1] * (1.6 if d == 0 else 1.0)), a.shape[0])) for a, d in zip(inks, digits)]
    canvas = np.zeros((60, sum(a.shape[1] for a in inks) + 40), np.float32)
    left = 5
    for k, a in enumerate(inks):
        view = canvas[8 : 8 + a.shape[0], left : left + a.shape[1]]
        np.maximum(view, a, out=view)
        if k + 1 < len(inks):
            left += int(a.shape[1] * (1 - overlap))
    rows, cols = np.nonzero(canvas > 0.3)
    return canvas[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]


def test_a_chain_of_rings_is_read_whole_and_parted_between_its_digits(mnist_subset):
    from batchreader.read.classes import NOT_A_DIGIT
    from batchreader.read.classify import Classifier
    from batchreader.read.normalize import to_mnist_batch
    from batchreader.read.reading import Candidate, read_runs
    from batchreader.segment.cuts import Piece
    from batchreader.segment.glyphs import Glyph

    ink = _chain(mnist_subset, [0, 0, 0], overlap=0.3)
    glyph = Glyph(30, 12, ink.shape[1], ink.shape[0], ink * (ink > 0.3), 1, 1, 1)
    clf = Classifier.load(None)
    p = clf.predict(to_mnist_batch([glyph.ink]))[0]
    assert int(np.argmax(p)) >= NOT_A_DIGIT  # whole, it is no one digit
    whole = Candidate(0, 0, 1, Piece.WHOLE, 1, 1, glyph.x, glyph.y, glyph.width, glyph.height)
    reader = RunReader.load()
    assert reader.read([glyph.ink])[0].digits == "000"
    slots = read_runs([[(whole, p, True)]], [glyph], clf, reader)
    read = [(box, q) for slot in slots for box, q, rejected in slot if not rejected]
    assert "".join(str(int(np.argmax(q[:NOT_A_DIGIT]))) for _, q in read) == "000"
    lefts = [box.x for box, _ in read]
    assert lefts == sorted(lefts) and len(set(lefts)) == 3  # three boxes, left to right
    assert all(glyph.x <= box.x and box.x + box.width <= glyph.x + glyph.width for box, _ in read)


def test_a_run_model_that_does_not_match_its_card_is_refused_before_any_page_is_read(tmp_path, scans):
    import json
    import shutil

    from click.testing import CliRunner

    from batchreader.cli import main
    from batchreader.errors import ExitCode, ModelError

    src = default_run_model_path()
    model = tmp_path / "runs.keras"
    shutil.copy(src, model)
    card = json.loads(src.with_suffix(".json").read_text())
    card["sha256"] = "0" * 64
    model.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="does not match"):
        RunReader.load(model)
    out = tmp_path / "r.csv"
    args = ["scan", str(scans / "clean.png"), "--out", str(out), "--run-model", str(model)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == ExitCode.MODEL_ERROR and not out.exists()
    card["classes"] = 12
    model.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="another model"):
        RunReader.load(model)
