"""Classifying framed digits with the trained CNN, in batches, with calibrated confidence."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from batchreader.errors import ModelError
from batchreader.modelcard import default_model_path, verify_model
from batchreader.tensorflow_env import import_keras

log = logging.getLogger(__name__)

BATCH_SIZE = 128
"""Digits per model call. Every call gets exactly this many (the last is padded): one
traced graph, one kernel choice, so a digit's scores never depend on which other
digits shared its batch, and resumed or parallel runs give identical CSVs. Small
batches also measured fastest on a 2-core CPU (cache-resident activations)."""


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax of ``logits / temperature``, numerically stable."""
    z = np.asarray(logits, np.float64) / temperature
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


_LOADED: dict[tuple[str, str], Classifier] = {}


@dataclass
class Classifier:
    """A loaded, verified model and its card."""

    model: Any
    card: dict[str, Any]
    path: Path
    _infer: Any = None

    @classmethod
    def load(cls, path: Path | None = None) -> Classifier:
        """Verify ``path`` (default: the shipped model) against its card, then load it safely.

        A model already loaded in this process, unchanged on disk, is reused: repeated
        ``batchreader.scan`` calls do not rebuild the graph each time.
        """
        path = Path(path) if path is not None else default_model_path()
        card = verify_model(path)
        key = (str(path.resolve()), card["sha256"])
        if key in _LOADED:
            return _LOADED[key]
        keras = import_keras()

        try:
            model = keras.saving.load_model(path, compile=False, safe_mode=True)
        except Exception as exc:  # Keras raises many types for a bad file
            raise ModelError(f"cannot load model {path}: {exc}") from exc
        log.info("loaded model %s (sha256 %s...)", path, card["sha256"][:12])
        import tensorflow as tf

        # XLA fuses each convolution with its batch norm and ReLU: about 20% more digits/s
        # on a 2-core CPU (benchmarks/classifier.py), for 0.3 s of compiling once
        infer = tf.function(lambda batch: model(batch, training=False), jit_compile=True)
        _LOADED[key] = cls(model=model, card=card, path=path, _infer=infer)
        return _LOADED[key]

    @property
    def temperature(self) -> float:
        return float(self.card["temperature"])

    def logits(self, digits: np.ndarray) -> np.ndarray:
        """Raw logits for an (N, 28, 28, 1) float32 batch."""
        n = len(digits)
        if n == 0:
            return np.zeros((0, len(self.card["classes"])), np.float32)
        padded = np.zeros((-(-n // BATCH_SIZE) * BATCH_SIZE, *digits.shape[1:]), np.float32)
        padded[:n] = digits
        out = [np.asarray(self._infer(padded[i : i + BATCH_SIZE])) for i in range(0, len(padded), BATCH_SIZE)]
        return np.concatenate(out, axis=0)[:n]

    def predict(self, digits: np.ndarray) -> np.ndarray:
        """Calibrated class probabilities, shape (N, classes)."""
        return softmax(self.logits(digits), self.temperature)
