"""The run reader: a written number read as a whole, left to right, without cutting it.

Amounts are often written in one stroke, "000" as a chain of rings each running into
the next. No cut between two such digits leaves two digits: the pieces are halves of
rings with the other's arcs through them, and the digit classifier, which reads one
digit at a time, has nothing right to read. The run reader looks at the whole glyph
and gives the digits it holds in order: a small convolutional network whose output
is one column of class scores for every four columns of its input, trained with the
connectionist temporal classification (CTC) loss on generated numbers written
spaced, touching and in one stroke (:mod:`batchreader.training.runsynth`), and read
by best path (the likeliest class in each column; repeats merged, blanks dropped).

:func:`to_run_input` is the one normaliser for training and scanning. The model is a
``.keras`` file with a card, checked and run by NumPy like the digit and field models
(:mod:`batchreader.read.inference`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from batchreader.errors import ModelError
from batchreader.read.inference import NumpyNet

RUN_HEIGHT = 32
RUN_WIDTH = 160
INK_ROWS = 28
"""Rows of the frame the ink spans; a number wider than the frame at that height is
narrowed to fit."""
MARGIN = 2
"""Rows above and below the ink."""
SIDE = 16
"""Columns left and right of the ink: the network's output columns see the frame's
edges only at the edge of their view (the first and the last look 21 columns in), and a
digit at the very edge was lost (the last digit of many whole amounts, read framed
without this margin)."""
MAX_DIGITS = 8
"""The most digits one sample holds in training (labels are padded to it)."""
CLASSES = 11
"""Blank (0), then the digits 0-9 as 1-10: the CTC loss's layout."""
STRIDE = 4
"""Input columns per output column (two poolings of 2)."""
CENTRE = 21.5
"""The input column at the centre of output column 0's view."""

DEFAULT_RUN_MODEL_NAME = "batchreader-runs.keras"
BATCH_SIZE = 8


@dataclass(frozen=True)
class RunReading:
    """What the run reader read in one glyph: its digits, how sure it is of each (the
    likeliest column's probability), where each stands (columns of the glyph), and the
    probabilities of the ten digits in each one's likeliest column (blank left out)."""

    digits: str
    confidences: tuple[float, ...]
    centres: tuple[float, ...]
    probs: tuple[np.ndarray, ...] = ()

    @property
    def confidence(self) -> float:
        """The least sure digit's confidence (0 with no digit)."""
        return min(self.confidences, default=0.0)


def to_run_input(ink: np.ndarray) -> tuple[np.ndarray, float]:
    """Frame a glyph's ink (any scale, 0 = paper) for the run reader: cropped to its
    ink, scaled to INK_ROWS rows (narrowed more if it would not fit), SIDE columns from
    the frame's left, values 0..1. Returns the frame and the scale (frame columns per glyph
    column)."""
    a = np.asarray(ink, np.float32)
    frame = np.zeros((RUN_HEIGHT, RUN_WIDTH), np.float32)
    rows = np.flatnonzero(a.any(axis=1))
    cols = np.flatnonzero(a.any(axis=0))
    if not rows.size:
        return frame, 1.0
    a = a[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    a = a / max(float(a.max()), 1e-6)
    h, w = a.shape
    scale = INK_ROWS / h
    new_w = max(1, round(w * scale))
    if new_w > RUN_WIDTH - 2 * SIDE:
        new_w = RUN_WIDTH - 2 * SIDE
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    scaled = cv2.resize(a, (new_w, INK_ROWS), interpolation=interpolation)
    frame[MARGIN : MARGIN + INK_ROWS, SIDE : SIDE + new_w] = scaled
    return np.clip(frame, 0, 1), new_w / w


def best_path(probs: np.ndarray) -> tuple[list[int], list[int], list[float]]:
    """Best-path decoding of (columns, CLASSES) probabilities: the digits, the column
    where each is likeliest, and each one's mean column."""
    best = probs.argmax(axis=1)
    digits: list[int] = []
    peaks: list[int] = []
    spans: list[list[int]] = []
    previous = 0
    for t, c in enumerate(best):
        if c != 0 and c == previous:
            if probs[t, c] > probs[peaks[-1], c]:
                peaks[-1] = t
            spans[-1].append(t)
        elif c != 0:
            digits.append(int(c) - 1)
            peaks.append(t)
            spans.append([t])
        previous = c
    return digits, peaks, [float(np.mean(s)) for s in spans]


def default_run_model_path() -> Path:
    """The shipped run model, in an installed wheel or a source checkout."""
    from batchreader.read.modelcard import default_model_path

    return default_model_path(DEFAULT_RUN_MODEL_NAME)


@dataclass
class RunReader:
    """The verified run model and its card, run by NumPy."""

    net: NumpyNet
    card: dict[str, Any]
    path: Path

    @classmethod
    def load(cls, path: Path | None = None) -> RunReader:
        """Verify ``path`` (default: the shipped run model) against its card and load it once per process."""
        from batchreader.read.modelcard import card_path, load_checked

        path = Path(path) if path is not None else default_run_model_path()

        def check(card: dict[str, Any]) -> None:
            if int(card["classes"]) != CLASSES or list(card["input"].get("shape", [])) != [RUN_HEIGHT, RUN_WIDTH, 1]:
                raise ModelError(f"run model card {card_path(path)} describes another model than this version's")

        net, card = load_checked(path, ("sha256", "input", "classes"), check, "run model")
        return cls(net=net, card=card, path=path)

    def probabilities(self, frames: np.ndarray) -> np.ndarray:
        """Per-column class probabilities, (N, columns, CLASSES), of framed inputs (N, RUN_HEIGHT, RUN_WIDTH, 1)."""
        from batchreader.read.classify import softmax

        frames = np.asarray(frames, np.float32)
        if not len(frames):
            return np.zeros((0, 0, CLASSES), np.float32)
        logits = np.concatenate(
            [self.net.logits(_padded(frames[i : i + BATCH_SIZE])) for i in range(0, len(frames), BATCH_SIZE)]
        )[: len(frames)]
        logits = logits.reshape(len(frames), -1, CLASSES)
        return softmax(logits.reshape(-1, CLASSES), float(self.card.get("temperature", 1.0))).reshape(logits.shape)

    def read(self, inks: list[np.ndarray]) -> list[RunReading]:
        """Read each glyph's ink (its own columns: centres are in them)."""
        framed = [to_run_input(ink) for ink in inks]
        probs = self.probabilities(np.stack([f for f, _ in framed])[..., None] if framed else np.zeros((0,)))
        out = []
        for (_, scale), p, ink in zip(framed, probs, inks):
            digits, peaks, steps = best_path(p)
            cols = np.flatnonzero(np.asarray(ink).any(axis=0))
            left = float(cols[0]) if cols.size else 0.0
            centres = tuple(left + (CENTRE + STRIDE * t - SIDE) / scale for t in steps)
            confidences = tuple(float(p[t, d + 1]) for t, d in zip(peaks, digits))
            shares = tuple(p[t, 1:] / max(float(p[t, 1:].sum()), 1e-9) for t in peaks)
            out.append(RunReading("".join(map(str, digits)), confidences, centres, shares))
        return out


def _padded(batch: np.ndarray) -> np.ndarray:
    """A call of exactly BATCH_SIZE inputs: a glyph's reading never depends on the others in its call."""
    if len(batch) == BATCH_SIZE:
        return batch
    out = np.zeros((BATCH_SIZE, *batch.shape[1:]), np.float32)
    out[: len(batch)] = batch
    return out
