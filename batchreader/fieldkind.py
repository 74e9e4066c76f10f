"""What a field is: a handwritten number, or something else that ink on paper makes.

Segmentation groups a page's glyphs into fields (:mod:`batchreader.segment`). The
digit classifier reads each glyph alone, and alone the strokes of a word, a signature,
a printed label or a box wall look like digits all too often. The field model looks at
a field's ink as a whole, as one image, and says what kind of writing it is (see
:data:`FIELD_CLASSES`); only the fields it takes for handwritten numbers are read.

:func:`to_field_input` is the one normaliser: training (:mod:`batchreader.fieldsynth`)
and scanning both frame ink through it. The model is a ``.keras`` file with a card,
checked and run by NumPy like the digit model (:mod:`batchreader.inference`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from batchreader.errors import ModelError
from batchreader.inference import NumpyNet

log = logging.getLogger(__name__)

FIELD_HEIGHT = 32
FIELD_WIDTH = 128
INK_HEIGHT = 24
"""Rows of the frame the field's ink spans (the rest is margin): long fields are shrunk
to fit the width instead."""

FIELD_CLASSES = ["number", "words", "signature", "print", "mark", "furniture"]
"""What the field model tells apart. Only ``number`` is read; the others are what real
forms carry beside the numbers: handwritten words and names, signatures, printed text
and printed numbers, X marks, ticks and dashes, and form furniture (box walls, corners,
barcodes, rules, page and shadow edges, paper texture)."""
NUMBER = 0

DEFAULT_FIELD_MODEL_NAME = "batchreader-fields.keras"
BATCH_SIZE = 64


def to_field_input(ink: np.ndarray) -> np.ndarray:
    """Frame a field's ink (any scale, 0 = paper) as the model's FIELD_HEIGHT x FIELD_WIDTH
    float32 input in 0..1.

    The ink is cropped to its extent and scaled so that its height is INK_HEIGHT (or its
    width fits, for long fields), keeping its aspect, and centred. Intensity is divided by
    a high percentile of the field's own ink, so faint pencil and black marker look alike.
    """
    out = np.zeros((FIELD_HEIGHT, FIELD_WIDTH), np.float32)
    a = np.asarray(ink, np.float32)
    rows = np.flatnonzero(a.max(axis=1) > 0) if a.size else []
    if len(rows) == 0:
        return out
    cols = np.flatnonzero(a.max(axis=0) > 0)
    a = a[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    top = float(np.percentile(a[a > 0], 90))
    a = np.clip(a / max(top, 1e-6), 0, 1)
    h, w = a.shape
    scale = min(INK_HEIGHT / h, (FIELD_WIDTH - 4) / w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    small = cv2.resize(a, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    y0, x0 = (FIELD_HEIGHT - nh) // 2, (FIELD_WIDTH - nw) // 2
    out[y0 : y0 + nh, x0 : x0 + nw] = np.clip(small, 0, 1)
    return out


def field_ink(glyphs: list) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """The ink of one field's glyphs on one canvas, and the field's box (x, y, w, h)."""
    x0 = min(g.x for g in glyphs)
    y0 = min(g.y for g in glyphs)
    x1 = max(g.x + g.width for g in glyphs)
    y1 = max(g.y + g.height for g in glyphs)
    canvas = np.zeros((y1 - y0, x1 - x0), np.float32)
    for g in glyphs:
        region = canvas[g.y - y0 : g.y - y0 + g.height, g.x - x0 : g.x - x0 + g.width]
        np.maximum(region, g.ink, out=region)
    return canvas, (x0, y0, x1 - x0, y1 - y0)


def default_field_model_path() -> Path:
    """The shipped field model, in an installed wheel or a source checkout."""
    try:
        candidate = Path(str(resources.files("batchreader.models") / DEFAULT_FIELD_MODEL_NAME))
        if candidate.is_file():
            return candidate
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parent.parent / "models" / DEFAULT_FIELD_MODEL_NAME


_LOADED: dict[tuple[str, str], FieldClassifier] = {}


@dataclass
class FieldClassifier:
    """The verified field model and its card, run by NumPy."""

    net: NumpyNet
    card: dict[str, Any]
    path: Path

    @classmethod
    def load(cls, path: Path | None = None) -> FieldClassifier:
        """Verify ``path`` (default: the shipped field model) against its card and load it once per process."""
        from batchreader.modelcard import card_path, read_json_card, sha256_file

        path = Path(path) if path is not None else default_field_model_path()
        card = read_json_card(path, ("sha256", "classes", "input"))
        if list(card["classes"]) != FIELD_CLASSES:
            raise ModelError(f"field model card {card_path(path)} has classes {card['classes']}; expected {FIELD_CLASSES}")
        if list(card["input"].get("shape", [])) != [FIELD_HEIGHT, FIELD_WIDTH, 1]:
            raise ModelError(f"field model {path} expects input {card['input'].get('shape')}, not this version's")
        actual = sha256_file(path)
        if actual != card["sha256"]:
            raise ModelError(
                f"field model {path} does not match its card (sha256 {actual[:12]}...)",
                "the file is corrupt or was replaced; retrain or restore it",
            )
        key = (str(path.resolve()), card["sha256"])
        if key not in _LOADED:
            _LOADED[key] = cls(net=NumpyNet.load(path), card=card, path=path)
            log.info("loaded field model %s (sha256 %s...)", path, card["sha256"][:12])
        return _LOADED[key]

    @property
    def threshold(self) -> float:
        """P(number) from which a field is read (chosen on generated validation fields, see the card)."""
        return float(self.card.get("number_threshold", 0.5))

    def predict(self, frames: np.ndarray) -> np.ndarray:
        """Class probabilities for an (N, FIELD_HEIGHT, FIELD_WIDTH) batch of framed fields."""
        n = len(frames)
        if n == 0:
            return np.zeros((0, len(FIELD_CLASSES)), np.float32)
        padded = np.zeros((-(-n // BATCH_SIZE) * BATCH_SIZE, FIELD_HEIGHT, FIELD_WIDTH, 1), np.float32)
        padded[:n, ..., 0] = frames
        logits = np.concatenate([self.net.logits(padded[i : i + BATCH_SIZE]) for i in range(0, len(padded), BATCH_SIZE)])
        z = logits[:n].astype(np.float64) / float(self.card.get("temperature", 1.0))
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def not_numbers(glyphs: list, classifier: FieldClassifier) -> dict[tuple[int, int], str]:
    """The fields of a page's ``glyphs`` that are not handwritten numbers, with what the model took each for."""
    groups: dict[tuple[int, int], list] = {}
    for g in glyphs:
        groups.setdefault((g.line, g.field), []).append(g)
    if not groups:
        return {}
    keys = list(groups)
    frames = np.stack([to_field_input(field_ink(groups[k])[0]) for k in keys])
    probs = classifier.predict(frames)
    out = {}
    for key, p in zip(keys, probs):
        if p[NUMBER] < classifier.threshold:
            out[key] = FIELD_CLASSES[int(np.argmax(p))]
    return out
