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

BATCH_SIZE = 1024


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax of ``logits / temperature``, numerically stable."""
    z = np.asarray(logits, np.float64) / temperature
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


@dataclass
class Classifier:
    """A loaded, verified model and its card."""

    model: Any
    card: dict[str, Any]
    path: Path

    @classmethod
    def load(cls, path: Path | None = None) -> Classifier:
        """Verify ``path`` (default: the shipped model) against its card, then load it safely."""
        path = Path(path) if path is not None else default_model_path()
        card = verify_model(path)
        keras = import_keras()

        try:
            model = keras.saving.load_model(path, compile=False, safe_mode=True)
        except Exception as exc:  # Keras raises many types for a bad file
            raise ModelError(f"cannot load model {path}: {exc}") from exc
        log.info("loaded model %s (sha256 %s...)", path, card["sha256"][:12])
        return cls(model=model, card=card, path=path)

    @property
    def temperature(self) -> float:
        return float(self.card["temperature"])

    def logits(self, digits: np.ndarray) -> np.ndarray:
        """Raw logits for an (N, 28, 28, 1) float32 batch."""
        if len(digits) == 0:
            return np.zeros((0, len(self.card["classes"])), np.float32)
        out = [
            np.asarray(self.model(digits[i : i + BATCH_SIZE], training=False))
            for i in range(0, len(digits), BATCH_SIZE)
        ]
        return np.concatenate(out, axis=0)

    def predict(self, digits: np.ndarray) -> np.ndarray:
        """Calibrated class probabilities, shape (N, classes)."""
        return softmax(self.logits(digits), self.temperature)
