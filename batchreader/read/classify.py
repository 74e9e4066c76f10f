"""Classifying framed digits with the trained CNN, in batches, with calibrated confidence."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from batchreader.read.classes import CLASS_NAMES, NUM_CLASSES
from batchreader.read.inference import NumpyNet
from batchreader.read.modelcard import default_model_path, verify_model

log = logging.getLogger(__name__)

BATCH_SIZE = 32
"""Digits per model call. Every call gets exactly this many (the last is padded), so a
digit's scores never depend on which other digits shared its batch, and resumed or
parallel runs give identical CSVs. 32 measured fastest per digit on one core
(``benchmarks/classifier.py``); a page holds a few hundred candidates."""


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax of ``logits / temperature``, numerically stable."""
    z = np.asarray(logits, np.float64) / temperature
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


_LOADED: dict[tuple[str, str], Classifier] = {}


@dataclass
class Classifier:
    """A verified model and its card, run by the NumPy engine (:mod:`batchreader.read.inference`)."""

    net: NumpyNet
    card: dict[str, Any]
    path: Path

    @classmethod
    def load(cls, path: Path | None = None) -> Classifier:
        """Verify ``path`` (default: the shipped model) against its card, then load it.

        A model already loaded in this process, unchanged on disk, is reused: each
        worker process and repeated ``batchreader.scan`` calls load it once.
        """
        path, card = verified(path)
        key = (str(path.resolve()), card["sha256"])
        if key not in _LOADED:
            _LOADED[key] = cls(net=NumpyNet.load(path), card=card, path=path)
            log.info("loaded model %s (sha256 %s...)", path, card["sha256"][:12])
            if len(card["classes"]) < NUM_CLASSES:
                log.warning(
                    "model %s has no '%s' class: touching digits will rarely be cut; retrain it with "
                    "'batchreader train'",
                    path,
                    CLASS_NAMES[-1],
                )
        return _LOADED[key]

    @property
    def temperature(self) -> float:
        return float(self.card["temperature"])

    def logits(self, digits: np.ndarray) -> np.ndarray:
        """Raw logits for an (N, 28, 28, 1) float32 batch."""
        return self.net.batched_logits(digits, BATCH_SIZE, len(self.card["classes"]))

    def predict(self, digits: np.ndarray) -> np.ndarray:
        """Calibrated probabilities of :data:`batchreader.read.classes.CLASS_NAMES`, shape (N, classes).

        Models trained before the "touching digits" class have no such output: it is
        reported as probability 0 for them.
        """
        probs = softmax(self.logits(digits), self.temperature)
        missing = NUM_CLASSES - probs.shape[1]
        return np.pad(probs, ((0, 0), (0, missing))) if missing > 0 else probs


def verified(path: Path | None) -> tuple[Path, dict[str, Any]]:
    """``path`` (default: the shipped model) and its card, once the file matches it."""
    path = Path(path) if path is not None else default_model_path()
    return path, verify_model(path)
