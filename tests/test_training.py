"""Training end to end on the committed MNIST subset, and the model's safety checks."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from batchreader.errors import DataError, ModelError
from batchreader.read.classes import CLASS_NAMES, NOT_A_DIGIT, NUM_CLASSES
from batchreader.read.classify import Classifier
from batchreader.read.modelcard import card_path, default_model_path, sha256_file
from batchreader.read.normalize import to_mnist_batch
from batchreader.training.digits import Mnist, TrainConfig, load_mnist, train
from batchreader.training.model import load_keras_model
from batchreader.training.pagesynth import digit_ink
from tests.conftest import SUBSET


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "tiny.keras"
    cfg = TrainConfig(epochs=2, steps_per_epoch=100, batch_size=64, validation_size=400, seed=3)
    card = train(out, load_mnist(SUBSET), cfg, command="test")
    return out, card


def test_tiny_training_run_learns_and_writes_a_card(tiny_model):
    out, card = tiny_model
    assert out.is_file() and card_path(out).is_file()
    assert card["sha256"] == sha256_file(out)
    assert json.loads(card_path(out).read_text())["sha256"] == card["sha256"]
    test = card["metrics"]["mnist_test"]
    assert test["accuracy"] > 0.85  # 200 steps on 1,600 digits
    assert card["training"]["data_sha256"] == load_mnist(SUBSET).checksum()
    assert 0.3 < card["temperature"] < 5
    assert card["architecture"]["parameters"] < 1_000_000


def test_trained_model_loads_and_classifies(tiny_model, mnist_subset):
    out, _ = tiny_model
    clf = Classifier.load(out)
    x = (mnist_subset["x_test"][:200] / 255.0).astype(np.float32)[..., None]
    probs = clf.predict(x)
    assert probs.shape == (200, NUM_CLASSES)
    assert np.allclose(probs.sum(axis=1), 1, atol=1e-4)
    # the scanner's NumPy engine runs a freshly trained model as Keras does
    keras_logits = np.asarray(load_keras_model(out).predict(x, verbose=0))
    np.testing.assert_allclose(clf.logits(x), keras_logits, atol=1e-3)


def test_training_goes_on_from_a_given_model(tiny_model, tmp_path, mnist_subset):
    parent, parent_card = tiny_model
    x = (mnist_subset["x_test"][:300] / 255.0).astype(np.float32)[..., None]
    before = Classifier.load(parent).predict(x).argmax(axis=1)
    cfg = TrainConfig(
        epochs=1, steps_per_epoch=5, batch_size=64, validation_size=300, validation_seed=9, seed=4, learning_rate=1e-7
    )
    data = load_mnist(SUBSET)
    on = train(tmp_path / "on.keras", data, cfg, command="test", init=parent)
    anew = train(tmp_path / "anew.keras", data, cfg, command="test")
    assert on["training"]["init"]["sha256"] == parent_card["sha256"]
    # validated on its parent's validation digits, not on digits the parent learnt
    assert on["training"]["validation_digits"] == parent_card["training"]["validation_digits"] == 400
    assert on["training"]["config"]["validation_seed"] == parent_card["training"]["config"]["validation_seed"] == 1
    assert anew["training"]["validation_digits"] == 300
    assert on["training"]["init"]["command"] == "test"
    assert "init" not in anew["training"]
    # at a rate too small to move the weights, the model trained on reads as its parent did
    assert (Classifier.load(tmp_path / "on.keras").predict(x).argmax(axis=1) == before).mean() >= 0.97
    assert (Classifier.load(tmp_path / "anew.keras").predict(x).argmax(axis=1) == before).mean() < 0.5


def test_trained_weights_can_be_averaged_with_the_starting_model(tiny_model, tmp_path):
    """``average_start``: the weights trained on are averaged with the start's at the end
    (a weight-space ensemble), and the card says so."""
    parent, _ = tiny_model
    start = load_keras_model(parent).get_weights()
    cfg = TrainConfig(epochs=1, steps_per_epoch=20, batch_size=64, seed=5, learning_rate=1e-3)
    data = load_mnist(SUBSET)
    trained = train(tmp_path / "on.keras", data, cfg, command="test", init=parent)
    averaged = train(tmp_path / "avg.keras", data, replace(cfg, average_start=0.5), command="test", init=parent)
    on = load_keras_model(tmp_path / "on.keras").get_weights()
    avg = load_keras_model(tmp_path / "avg.keras").get_weights()
    moved = max(float(np.abs(a - b).max()) for a, b in zip(on, start))
    assert moved > 1e-3  # training moved the weights...
    for a, b, m in zip(avg, start, on):  # ...and the average lies half-way (same seed, same steps)
        np.testing.assert_allclose(a, (b + m) / 2, atol=max(1e-4, 0.05 * moved))
    assert "averaged with the starting model's, 50%" in averaged["training"]["augmentation"]
    assert "averaged" not in trained["training"]["augmentation"]


def test_tampered_model_is_refused(tiny_model, tmp_path):
    out, _ = tiny_model
    copy = tmp_path / "copy.keras"
    copy.write_bytes(out.read_bytes() + b"\0")
    card_path(copy).write_text(card_path(out).read_text())
    with pytest.raises(ModelError, match="does not match"):
        Classifier.load(copy)


def test_a_model_for_other_classes_is_refused(tiny_model, tmp_path):
    out, card = tiny_model
    copy = tmp_path / "letters.keras"
    copy.write_bytes(out.read_bytes())
    card_path(copy).write_text(json.dumps({**card, "classes": ["a", "b", *CLASS_NAMES[2:]]}))
    with pytest.raises(ModelError, match="classes"):
        Classifier.load(copy)


def test_shipped_model_scores_on_the_committed_subset(mnist_subset):
    clf = Classifier.load(default_model_path())
    card = clf.card
    assert card["metrics"]["mnist_test"]["accuracy"] >= 0.994
    x = (mnist_subset["x_test"] / 255.0).astype(np.float32)[..., None]
    pred = clf.predict(x).argmax(axis=1)
    assert (pred == mnist_subset["y_test"]).mean() >= 0.99


@pytest.mark.parametrize(("pen", "right"), [(0.6, 0.99), (1.8, 0.99)])
def test_shipped_model_reads_a_fine_pen_and_a_marker(mnist_subset, pen, right):
    # the subset's test digits redrawn as the page synthesizer draws them: a fine pen's
    # centre line (the model before fine-pen augmentation read 98.9% of them) or a marker
    clf = Classifier.load(default_model_path())
    inks = [digit_ink(d, 90, pen) for d in mnist_subset["x_test"]]
    pred = clf.predict(to_mnist_batch(inks)).argmax(axis=1)
    assert (pred == mnist_subset["y_test"]).mean() >= right
    assert (pred >= NOT_A_DIGIT).mean() <= 0.004  # a bold 0 or 7 is not print


def test_data_errors(tmp_path, monkeypatch):
    with pytest.raises(DataError, match="not found"):
        load_mnist(tmp_path / "none.npz")
    bad = tmp_path / "bad.npz"
    np.savez(bad, x_train=np.zeros((3, 28, 28)))
    with pytest.raises(DataError, match="lacks"):
        load_mnist(bad)

    import keras

    def offline():
        raise OSError("network is unreachable")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(DataError) as info:
        load_mnist(None)
    assert "--data" in str(info.value)


def test_checksum_is_layout_independent(mnist_subset):
    a = Mnist(**{k: mnist_subset[k] for k in ("x_train", "y_train", "x_test", "y_test")})
    b = Mnist(**{k: mnist_subset[k].copy() for k in ("x_train", "y_train", "x_test", "y_test")})
    assert a.checksum() == b.checksum()


def test_a_model_from_before_the_touching_class_still_reads(tmp_path, monkeypatch, mnist_subset, caplog):
    import batchreader.training.model as model_module

    monkeypatch.setattr(model_module, "NUM_CLASSES", NUM_CLASSES - 1)
    old = tmp_path / "old.keras"
    model_module.build_model().save(old)
    card = {"sha256": sha256_file(old), "temperature": 1.0, "classes": CLASS_NAMES[:-1]}
    card_path(old).write_text(json.dumps(card))
    monkeypatch.undo()
    with caplog.at_level("WARNING"):
        clf = Classifier.load(old)
    assert "touching-digits" in caplog.text
    probs = clf.predict((mnist_subset["x_test"][:5] / 255.0).astype(np.float32)[..., None])
    assert probs.shape == (5, NUM_CLASSES) and (probs[:, -1] == 0).all()
    np.testing.assert_allclose(probs.sum(axis=1), 1, atol=1e-5)
