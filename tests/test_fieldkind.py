"""The field model: framing, its card, and what it lets through on a real page.

The page is made of our own material: MNIST test digits for the number, and, for
what is not a number, faces the field model never trained on (its held-out fonts) and
drawn furniture.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

import batchreader
from batchreader.errors import ModelError
from batchreader.io.results import read_results
from batchreader.read.fieldkind import (
    FIELD_CHANNELS,
    FIELD_CLASSES,
    FIELD_HEIGHT,
    FIELD_WIDTH,
    INK_HEIGHT,
    FieldClassifier,
    default_field_model_path,
    to_field_input,
)
from batchreader.training.fonts import FONT_DIR, HELD_OUT, render_face
from batchreader.training.pagesynth import digit_ink


def test_framing_keeps_the_aspect_and_scales_the_ink():
    own = np.zeros((400, 600), np.float32)
    own[160:240, 280:320] = 120.0  # a bar 80 high, 40 wide, faint
    rest = np.zeros_like(own)
    rest[170:230, 400:430] = 200.0  # a neighbour 80 px to its right
    frame = to_field_input(own, rest)
    assert frame.shape == (FIELD_HEIGHT, FIELD_WIDTH, FIELD_CHANNELS)
    mine, around = frame[..., 0], frame[..., 1]
    rows = np.flatnonzero(mine.max(axis=1) > 0.5)
    cols = np.flatnonzero(mine.max(axis=0) > 0.5)
    assert len(rows) == INK_HEIGHT
    assert abs(len(cols) - INK_HEIGHT / 2) <= 1
    assert abs((cols[0] + cols[-1]) / 2 - FIELD_WIDTH / 2) <= 1  # centred
    assert mine.max() == pytest.approx(1.0)  # faint ink is as dark as any
    # the neighbour, in the same scale, right of the field and not in its channel
    near = np.flatnonzero(around.max(axis=0) > 0.5)
    assert near[0] - cols[-1] == pytest.approx(80 * INK_HEIGHT / 80, abs=2)
    assert not to_field_input(np.zeros((5, 5), np.float32)).any()


def test_a_long_field_is_shrunk_to_fit_the_width():
    ink = np.full((20, 1000), 255, np.float32)
    frame = to_field_input(ink)[..., 0]
    assert (frame.max(axis=0) > 0.5).sum() <= FIELD_WIDTH - 4
    assert (frame.max(axis=1) > 0.5).sum() < INK_HEIGHT


def test_shipped_field_model_loads_with_its_card():
    clf = FieldClassifier.load()
    assert clf.card["classes"] == FIELD_CLASSES
    probs = clf.predict(np.zeros((3, FIELD_HEIGHT, FIELD_WIDTH, FIELD_CHANNELS), np.float32))
    assert probs.shape == (3, len(FIELD_CLASSES))
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_a_field_model_that_does_not_match_its_card_is_refused(tmp_path):
    src = default_field_model_path()
    model = tmp_path / "fields.keras"
    shutil.copy(src, model)
    card = json.loads(src.with_suffix(".json").read_text())
    card["sha256"] = "0" * 64
    model.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="does not match"):
        FieldClassifier.load(model)
    card["classes"] = ["number", "other"]
    model.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="classes"):
        FieldClassifier.load(model)


def _stamp(page: np.ndarray, ink: np.ndarray, x: int, y: int) -> None:
    """Write ``ink`` (0..1) onto a gray page at (x, y)."""
    h, w = ink.shape
    region = page[y : y + h, x : x + w]
    np.minimum(region, (250 - 230 * ink).astype(np.uint8), out=region)


def _held_out(kind: str) -> Path:
    return sorted(p for p in (FONT_DIR / kind).glob("*.woff2") if p.name.startswith(HELD_OUT))[0]


@pytest.fixture(scope="module")
def mixed_page(tmp_path_factory, mnist_subset) -> tuple[Path, str]:
    """A page with one handwritten number, and beside it a box wall, a printed label
    with printed digits, a handwritten word and a signature, each on its own line."""
    rng = np.random.default_rng(5)
    page = np.full((1100, 1400), 250, np.uint8)
    x_test, y_test = mnist_subset["x_test"], mnist_subset["y_test"]
    picks = [i for i in range(len(y_test)) if y_test[i] != 1][:4]
    x = 150
    for i in picks:  # the number, 60 px high
        ink = digit_ink(x_test[i], 60, 1.0)
        _stamp(page, ink, x, 120)
        x += ink.shape[1] + 18
    number = "".join(str(int(y_test[i])) for i in picks)
    cv2.rectangle(page, (150, 300), (260, 380), 30, 2)  # an empty box: its walls
    _stamp(page, render_face("Invoice No. 2019", _held_out("printed"), 44), 150, 480)
    _stamp(page, render_face("Seratus dua", _held_out("handwriting"), 80), 150, 640)
    pts = np.stack([np.linspace(150, 650, 120), 900 + 40 * np.sin(np.linspace(0, 18, 120))], 1)
    pts += rng.normal(0, 3, pts.shape)
    cv2.polylines(page, [pts.astype(np.int32)], False, 25, 4, cv2.LINE_AA)  # a signature's scribble
    path = tmp_path_factory.mktemp("mixed") / "mixed.png"
    cv2.imwrite(str(path), page)
    return path, number


def test_only_the_handwritten_number_is_read(mixed_page, tmp_path):
    path, number = mixed_page
    summary = batchreader.scan([path], tmp_path / "r.csv", jobs=1)
    rows = read_results(tmp_path / "r.csv")
    read = "".join(str(d) for d in rows.sort_values("x")["digit"].dropna())
    assert read == number
    assert summary.digits == len(number)
    assert (rows["y"] < 250).all()  # every row is on the number's line


def test_kept_rejected_marks_show_what_the_field_model_set_aside(mixed_page, tmp_path):
    path, number = mixed_page
    batchreader.scan([path], tmp_path / "r.csv", jobs=1, keep_rejected=True)
    rows = read_results(tmp_path / "r.csv")
    ok = rows[rows["status"] == "ok"]
    rejected = rows[rows["status"] == "rejected"]
    assert len(ok) == len(number)
    assert (rejected["y"] > 250).any()  # the print, the word and the signature were seen, and set aside


def test_numpy_inference_matches_keras_on_a_tiny_trained_field_model(tmp_path, mnist_subset):
    from batchreader.training.digits import Mnist
    from batchreader.training.fieldtrain import train_fields

    keras = pytest.importorskip("keras")
    data = Mnist(mnist_subset["x_train"], mnist_subset["y_train"], mnist_subset["x_test"], mnist_subset["y_test"])
    out = tmp_path / "fields.keras"
    card = train_fields(out, data, samples=256, epochs=1, batch_size=64, seed=3)
    assert card["classes"] == FIELD_CLASSES
    assert set(card["metrics"]) == {"validation", "held_out_faces"}
    clf = FieldClassifier.load(out)
    frames = np.random.default_rng(0).random((5, FIELD_HEIGHT, FIELD_WIDTH, FIELD_CHANNELS)).astype(np.float32)
    want = np.asarray(keras.saving.load_model(out, compile=False, safe_mode=True)(frames, training=False))
    got = clf.net.logits(frames)
    assert np.allclose(got, want, atol=1e-4)
    # trained on from it: its weights are the start, and the card says so
    again = tmp_path / "again.keras"
    card = train_fields(again, data, samples=128, epochs=1, batch_size=64, seed=4, learning_rate=1e-9, init=out)
    assert card["training"]["trained_on_from"] == {"file": "fields.keras", "sha256": clf.card["sha256"]}
    fresh = tmp_path / "fresh.keras"  # the same run from random weights
    train_fields(fresh, data, samples=128, epochs=1, batch_size=64, seed=4, learning_rate=1e-9)
    moved = np.abs(FieldClassifier.load(again).net.logits(frames) - got).mean()
    assert moved < 0.5 * np.abs(FieldClassifier.load(fresh).net.logits(frames) - got).mean()
