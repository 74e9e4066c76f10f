"""The NumPy engine that scanning uses gives the logits Keras gives, and refuses models it cannot run."""

from __future__ import annotations

import numpy as np
import pytest

from batchreader.errors import ModelError
from batchreader.read.classes import NUM_CLASSES
from batchreader.read.inference import NumpyNet
from batchreader.read.modelcard import default_model_path
from batchreader.training.keras_env import import_keras
from batchreader.training.model import load_keras_model


def test_shipped_model_gives_the_logits_keras_gives(mnist_subset):
    x = (mnist_subset["x_test"][:300] / 255.0).astype(np.float32)[..., None]
    keras_logits = np.asarray(load_keras_model().predict(x, verbose=0))
    numpy_logits = NumpyNet.load(default_model_path()).logits(x)
    assert numpy_logits.shape == (300, NUM_CLASSES)
    np.testing.assert_allclose(numpy_logits, keras_logits, atol=1e-3)
    assert (numpy_logits.argmax(axis=1) == keras_logits.argmax(axis=1)).all()


def test_models_it_cannot_run_are_refused(tmp_path):
    keras = import_keras()
    inputs = keras.Input(shape=(28, 28, 1))
    x = keras.layers.Conv2D(4, 3, padding="same")(inputs)  # 'same' padding is not in our architecture
    x = keras.layers.Flatten()(x)
    model = keras.Model(inputs, keras.layers.Dense(11)(x))
    path = tmp_path / "other.keras"
    model.save(path)
    with pytest.raises(ModelError, match="unsupported"):
        NumpyNet.load(path)
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="cannot read"):
        NumpyNet.load(broken)


def _rezip(src, dst, config: bytes) -> None:
    """Copy the .keras archive ``src`` to ``dst`` with another config.json."""
    import zipfile

    with zipfile.ZipFile(src) as old, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            new.writestr(item.filename, config if item.filename == "config.json" else old.read(item.filename))


def test_a_model_of_another_shape_or_size_is_refused_with_a_message(tmp_path):
    src = default_model_path()
    listed = tmp_path / "list.keras"
    _rezip(src, listed, b"[1, 2, 3]")  # valid JSON, not a model's configuration
    with pytest.raises(ModelError, match="not one this version can run"):
        NumpyNet.load(listed)
    huge = tmp_path / "huge.keras"
    _rezip(src, huge, b"[" + b" " * (64 << 20) + b"]")  # 64 MB of JSON, a few KB compressed
    assert huge.stat().st_size < 4 << 20
    with pytest.raises(ModelError, match="over the 1,048,576 allowed"):
        NumpyNet.load(huge)
