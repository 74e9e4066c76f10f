"""The digit CNN as Keras builds and loads it: for training and fine-tuning only.

Scanning never needs Keras: :mod:`batchreader.read.inference` runs the saved weights
in NumPy.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from batchreader.errors import ModelError
from batchreader.read.classes import NUM_CLASSES
from batchreader.read.classify import verified
from batchreader.read.normalize import MNIST_SIZE
from batchreader.training.keras_env import import_keras

if TYPE_CHECKING:
    import keras


def build_model(dropout: float = 0.3) -> keras.Model:
    """Build the compact CNN (about 190k parameters).

    Valid convolutions with early pooling keep the compute per digit small: on a
    2-core CPU this trains at ~1,700 digits/s and classifies several thousand per
    second, where a same-padded 28x28x32 stack was ten times slower for no gain.
    The model outputs logits; :mod:`batchreader.read.classify` applies the calibrated
    temperature and the softmax.
    """
    import keras
    from keras import layers

    def conv_bn_relu(x, filters: int, kernel: int, name: str):
        x = layers.Conv2D(filters, kernel, use_bias=False, name=f"{name}_conv")(x)
        x = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)
        return layers.ReLU(name=f"{name}_relu")(x)

    inputs = keras.Input(shape=(MNIST_SIZE, MNIST_SIZE, 1), name="digit")
    x = conv_bn_relu(inputs, 32, 5, "c1")  # 24x24
    x = layers.MaxPooling2D(name="p1")(x)  # 12x12
    x = conv_bn_relu(x, 64, 3, "c2")  # 10x10
    x = conv_bn_relu(x, 64, 3, "c3")  # 8x8
    x = layers.MaxPooling2D(name="p2")(x)  # 4x4
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(dropout, name="drop1")(x)
    x = layers.Dense(128, use_bias=False, name="fc")(x)
    x = layers.BatchNormalization(momentum=0.9, name="fc_bn")(x)
    x = layers.ReLU(name="fc_relu")(x)
    x = layers.Dropout(dropout, name="drop2")(x)
    logits = layers.Dense(NUM_CLASSES, name="logits")(x)
    return keras.Model(inputs, logits, name="batchreader_cnn")


def load_keras_model(path: Path | None = None) -> Any:
    """The verified model as a Keras model (for fine-tuning; scanning uses :class:`Classifier`)."""
    path, _ = verified(path)
    keras = import_keras()
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # Keras raises many types for a bad file
        raise ModelError(f"cannot load model {path}: {exc}") from exc
