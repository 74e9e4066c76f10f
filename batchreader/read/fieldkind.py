"""What a field is: a handwritten number, or something else that ink on paper makes.

Segmentation groups a page's glyphs into fields (:mod:`batchreader.segment.glyphs`). The
digit classifier reads each glyph alone, and alone the strokes of a word, a signature,
a printed label or a box wall look like digits all too often. The field model looks at
a field's ink as a whole, as one image, and says what kind of writing it is (see
:data:`FIELD_CLASSES`); only the fields it takes for handwritten numbers are read.

:func:`to_field_input` is the one normaliser: training (:mod:`batchreader.training.fieldsynth`)
and scanning both frame ink through it. The model is a ``.keras`` file with a card,
checked and run by NumPy like the digit model (:mod:`batchreader.read.inference`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from batchreader.errors import ModelError
from batchreader.read.inference import NumpyNet

FIELD_HEIGHT = 32
FIELD_WIDTH = 128
FIELD_CHANNELS = 2
"""The field's own ink, and the ink around it."""
INK_HEIGHT = 24
"""Rows of the frame the field's ink spans (the rest is margin): long fields are shrunk
to fit the width instead."""

FIELD_CLASSES = ["number", "words", "signature", "print", "mark", "furniture"]
"""What the field model tells apart. Only ``number`` is read; the others are what real
forms carry beside the numbers: handwritten words and names, signatures, printed text
and printed numbers, X marks, ticks and dashes, and form furniture (box walls, corners,
barcodes, rules, page and shadow edges, paper texture)."""
NUMBER = 0

NUMBER_THRESHOLD = 0.85
"""P(number) from which a field is read, written into a trained model's card. Chosen on
the real development forms: of 0.5-0.95 it gave nearly the lowest CER with the smallest
loss on the synthetic benchmark (docs/real-material.md)."""

DEFAULT_FIELD_MODEL_NAME = "batchreader-fields.keras"
BATCH_SIZE = 16
"""Fields per model call (every call gets exactly this many, see NumpyNet.batched_logits): a page
holds a few dozen fields, and a larger call computes padding for most of them."""


def to_field_input(own: np.ndarray, context: np.ndarray | None = None) -> np.ndarray:
    """Frame a field's ink and the ink around it as the model's input: float32
    (FIELD_HEIGHT, FIELD_WIDTH, 2), 0..1; channel 0 the field's own ink, channel 1 the
    rest of the page's ink in the same window.

    ``own`` and ``context`` are arrays of one shape in the same coordinates (0 = paper).
    The window is centred on the field's ink and scaled so that the field is INK_HEIGHT
    rows high (long fields are shrunk to fit the width), keeping the aspect: what is
    around a lone glyph, such as the rest of a word, is in view. Intensity is divided by
    a high percentile of the field's own ink, so faint pencil and black marker look alike.
    """
    out = np.zeros((FIELD_HEIGHT, FIELD_WIDTH, FIELD_CHANNELS), np.float32)
    a = np.asarray(own, np.float32)
    if not a.size:
        return out
    rows = np.flatnonzero(a.max(axis=1) > 0)
    if len(rows) == 0:
        return out
    cols = np.flatnonzero(a.max(axis=0) > 0)
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    top = max(float(np.percentile(a[y0:y1, x0:x1][a[y0:y1, x0:x1] > 0], 90)), 1e-6)
    scale = min(INK_HEIGHT / (y1 - y0), (FIELD_WIDTH - 4) / (x1 - x0))
    # the window in the source's pixels, FIELD_WIDTH : FIELD_HEIGHT, centred on the field
    win_w, win_h = max(1, round(FIELD_WIDTH / scale)), max(1, round(FIELD_HEIGHT / scale))
    wx = int(round((x0 + x1) / 2 - win_w / 2))
    wy = int(round((y0 + y1) / 2 - win_h / 2))
    for channel, src in enumerate((a, context)):
        if src is None:
            continue
        window = np.zeros((win_h, win_w), np.float32)
        sx0, sy0 = max(0, wx), max(0, wy)
        sx1, sy1 = min(src.shape[1], wx + win_w), min(src.shape[0], wy + win_h)
        if sx1 > sx0 and sy1 > sy0:
            window[sy0 - wy : sy1 - wy, sx0 - wx : sx1 - wx] = src[sy0:sy1, sx0:sx1]
        area = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        out[..., channel] = np.clip(cv2.resize(window, (FIELD_WIDTH, FIELD_HEIGHT), interpolation=area) / top, 0, 1)
    return out


def _paint(canvas: np.ndarray, glyphs: list, x0: int, y0: int) -> None:
    """Draw the ink of ``glyphs`` into ``canvas``, whose top left is the page's (x0, y0)
    (the brightest wins where glyphs overlap; what falls outside is left out)."""
    h, w = canvas.shape
    for g in glyphs:
        gx0, gy0 = max(g.x, x0), max(g.y, y0)
        gx1, gy1 = min(g.right, x0 + w), min(g.bottom, y0 + h)
        if gx1 <= gx0 or gy1 <= gy0:
            continue
        region = canvas[gy0 - y0 : gy1 - y0, gx0 - x0 : gx1 - x0]
        np.maximum(region, g.ink[gy0 - g.y : gy1 - g.y, gx0 - g.x : gx1 - g.x], out=region)


def frame_fields(glyphs: list, shape: tuple[int, int]) -> tuple[list[tuple[int, int]], np.ndarray]:
    """The (line, field) keys of a page's fields and their frames (see :func:`to_field_input`)."""
    groups: dict[tuple[int, int], list] = {}
    for g in glyphs:
        groups.setdefault((g.line, g.field), []).append(g)
    keys = list(groups)
    if not keys:
        return keys, np.zeros((0, FIELD_HEIGHT, FIELD_WIDTH, FIELD_CHANNELS), np.float32)
    boxes = np.array([(g.x, g.y, g.right, g.bottom) for g in glyphs])
    frames = []
    for key in keys:
        members = groups[key]
        x0, y0 = min(g.x for g in members), min(g.y for g in members)
        x1, y1 = max(g.right for g in members), max(g.bottom for g in members)
        # the field's own ink, and the rest, in the window that to_field_input frames
        scale = min(INK_HEIGHT / (y1 - y0), (FIELD_WIDTH - 4) / (x1 - x0))
        half_w, half_h = FIELD_WIDTH / scale / 2 + 2, FIELD_HEIGHT / scale / 2 + 2
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        wx0, wy0 = max(0, int(cx - half_w)), max(0, int(cy - half_h))
        wx1, wy1 = min(shape[1], int(cx + half_w) + 1), min(shape[0], int(cy + half_h) + 1)
        wx0, wy0, wx1, wy1 = min(wx0, x0), min(wy0, y0), max(wx1, x1), max(wy1, y1)
        own = np.zeros((wy1 - wy0, wx1 - wx0), np.float32)
        _paint(own, members, wx0, wy0)
        rest = np.zeros_like(own)  # all of the page's ink in the window, then the field's taken out
        near = (boxes[:, 0] < wx1) & (boxes[:, 2] > wx0) & (boxes[:, 1] < wy1) & (boxes[:, 3] > wy0)
        _paint(rest, [glyphs[i] for i in np.flatnonzero(near)], wx0, wy0)
        rest[own > 0] = 0
        frames.append(to_field_input(own, rest))
    return keys, np.stack(frames)


def default_field_model_path() -> Path:
    """The shipped field model, in an installed wheel or a source checkout."""
    from batchreader.read.modelcard import default_model_path

    return default_model_path(DEFAULT_FIELD_MODEL_NAME)


@dataclass
class FieldClassifier:
    """The verified field model and its card, run by NumPy."""

    net: NumpyNet
    card: dict[str, Any]
    path: Path

    @classmethod
    def load(cls, path: Path | None = None) -> FieldClassifier:
        """Verify ``path`` (default: the shipped field model) against its card and load it once per process."""
        from batchreader.read.modelcard import card_path, load_checked

        path = Path(path) if path is not None else default_field_model_path()

        def check(card: dict[str, Any]) -> None:
            if list(card["classes"]) != FIELD_CLASSES:
                raise ModelError(
                    f"field model card {card_path(path)} has classes {card['classes']}; expected {FIELD_CLASSES}"
                )
            if list(card["input"].get("shape", [])) != [FIELD_HEIGHT, FIELD_WIDTH, FIELD_CHANNELS]:
                raise ModelError(f"field model {path} expects input {card['input'].get('shape')}, not this version's")

        net, card = load_checked(path, ("sha256", "classes", "input"), check, "field model")
        return cls(net=net, card=card, path=path)

    @property
    def threshold(self) -> float:
        """P(number) from which a field is read (the card's, see NUMBER_THRESHOLD)."""
        return float(self.card.get("number_threshold", NUMBER_THRESHOLD))

    def predict(self, frames: np.ndarray) -> np.ndarray:
        """Class probabilities for an (N, FIELD_HEIGHT, FIELD_WIDTH, FIELD_CHANNELS) batch of framed fields."""
        from batchreader.read.classify import softmax

        logits = self.net.batched_logits(np.asarray(frames, np.float32), BATCH_SIZE, len(FIELD_CLASSES))
        return softmax(logits, float(self.card.get("temperature", 1.0)))


def not_numbers(glyphs: list, shape: tuple[int, int], classifier: FieldClassifier) -> dict[tuple[int, int], str]:
    """The fields of a page's ``glyphs`` (on a page of ``shape``) that are not handwritten
    numbers, with what the model took each for."""
    keys, frames = frame_fields(glyphs, shape)
    if not keys:
        return {}
    probs = classifier.predict(frames)
    return {key: FIELD_CLASSES[int(np.argmax(p))] for key, p in zip(keys, probs) if p[NUMBER] < classifier.threshold}
