"""Generated amount strips: one handwritten number on a crop, as a cheque's courtesy
amount or a form's box comes out of another system.

A strip is 30-70 px high and holds MNIST digits drawn with the synthesizer's pens,
close together or touching, often with a thousands separator (a dot, a comma or an
apostrophe) and sometimes with the dash or "=" written after an amount. Under them
lies what such crops carry: a security background (families of fine wavy lines, as
guilloche is printed, and arcs of rosettes), a coloured tint, paper grain, a printed
baseline, and the crop's edge cutting into the digits. JPEG compression finishes it.

The strips test ``--layout field`` (see :mod:`batchreader.run.pipeline`) and measure it in
``benchmarks/strips.py``. Each strip comes with its truth: the digits, left to right.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from batchreader.training.pagesynth import digit_ink


@dataclass
class Strip:
    """A generated strip (grayscale uint8) and the digits written on it."""

    gray: np.ndarray
    digits: str


def render_strip(
    images: np.ndarray,
    labels: np.ndarray,
    rng: np.random.Generator,
    pattern: bool = True,
    dot: bool | None = None,
    dash: bool | None = None,
    underline: bool | None = None,
) -> Strip:
    """Write the MNIST ``images`` (uint8 28x28, digits ``labels``) as one amount.

    ``pattern`` lays a security background under it. ``dot`` puts a thousands separator
    before the last three digits of amounts over three digits, ``dash`` the dash or "="
    after the amount, and ``underline`` a printed baseline under it; None draws each at
    random (half, a fifth and a third of the time).
    """
    digit_h = int(rng.integers(26, 52))
    pen = float(rng.uniform(0.7, 1.6))
    inks = [digit_ink(img, int(digit_h * rng.uniform(0.85, 1.05)), pen) for img in images]
    # digits close together, overlapping now and then as a quick hand writes them
    gaps = [int(digit_h * rng.uniform(-0.08, 0.3)) for _ in inks]
    with_dot = len(inks) > 3 and (rng.random() < 0.5 if dot is None else dot)
    height = int(digit_h * rng.uniform(1.15, 1.45))
    width = sum(i.shape[1] for i in inks) + sum(max(g, 0) for g in gaps) + digit_h
    layer = np.zeros((height, width + 2 * digit_h), np.float32)
    base = int((height + digit_h) / 2 + rng.integers(-2, 3))
    x = int(digit_h * rng.uniform(0.0, 0.25))
    for k, ink in enumerate(inks):
        if with_dot and k == len(inks) - 3:
            x = _separator(layer, x, base, digit_h, pen, rng)
        h, w = ink.shape
        y = int(np.clip(base - h + rng.integers(-2, 3), 0, height - h))
        x = max(0, min(x, layer.shape[1] - w))
        np.maximum(layer[y : y + h, x : x + w], ink, out=layer[y : y + h, x : x + w])
        x += w + gaps[k]
    if rng.random() < 0.2 if dash is None else dash:
        x = _dash(layer, x + int(0.2 * digit_h), base, digit_h, pen, rng)
    layer = layer[:, : min(layer.shape[1], x + int(digit_h * rng.uniform(0.0, 0.3)) + 1)]
    return Strip(_paper(layer, base, pattern, underline, rng), "".join(str(int(d)) for d in labels))


def _separator(layer: np.ndarray, x: int, base: int, digit_h: int, pen: float, rng: np.random.Generator) -> int:
    """A thousands dot, comma or apostrophe written at ``x``; returns where the next digit goes."""
    r = max(1, int(pen * digit_h / 18))
    kind = rng.random()
    cx = x + int(digit_h * 0.12)
    if kind < 0.6:  # a dot on the baseline
        cv2.circle(layer, (cx, base - r), r + 1, 1.0, -1, cv2.LINE_AA)
    elif kind < 0.85:  # a comma
        cv2.line(layer, (cx, base - r), (cx - int(0.1 * digit_h), base + int(0.15 * digit_h)), 1.0, 2 * r, cv2.LINE_AA)
    else:  # an apostrophe at the top
        top = base - digit_h
        cv2.line(layer, (cx, top), (cx - int(0.05 * digit_h), top + int(0.2 * digit_h)), 1.0, 2 * r, cv2.LINE_AA)
    return cx + int(digit_h * rng.uniform(0.12, 0.25))


def _dash(layer: np.ndarray, x: int, base: int, digit_h: int, pen: float, rng: np.random.Generator) -> int:
    """The dash or "=" written after an amount, so nothing can be added; returns its end."""
    length = int(digit_h * rng.uniform(0.4, 0.9))
    x1 = min(layer.shape[1] - 1, x + length)
    y = base - int(digit_h * rng.uniform(0.3, 0.5))
    t = max(1, int(pen * digit_h / 12))
    cv2.line(layer, (x, y), (x1, y - int(rng.integers(-3, 4))), 1.0, t, cv2.LINE_AA)
    if rng.random() < 0.4:
        cv2.line(layer, (x, y + digit_h // 4), (x1, y + digit_h // 4), 1.0, t, cv2.LINE_AA)
    return x1


def _paper(layer: np.ndarray, base: int, pattern: bool, underline: bool | None, rng: np.random.Generator) -> np.ndarray:
    """Lay the ink on paper: tint, security pattern, grain, baseline, scan, JPEG."""
    h, w = layer.shape
    paper = np.full((h, w), rng.uniform(200, 248), np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    paper -= rng.uniform(0, 25) * (xx / w)  # a tint that changes across the cheque
    if pattern:
        paper -= _guilloche(h, w, rng) * rng.uniform(25, 110)
    paper += rng.normal(0, rng.uniform(1, 6), (h, w)).astype(np.float32)  # grain
    printed = np.zeros((h, w), np.float32)
    if underline or (underline is None and rng.random() < 0.33):
        y = int(np.clip(base + rng.integers(1, 6), 0, h - 1))
        cv2.line(printed, (0, y), (w - 1, y), 1.0, int(rng.integers(1, 3)))
    ink_level = rng.uniform(110, 190)
    gray = paper * (1 - layer) + (paper - ink_level).clip(10, None) * layer
    gray = np.minimum(gray, paper - printed * rng.uniform(60, 120))
    if rng.random() < 0.5:
        gray = cv2.GaussianBlur(gray, (0, 0), rng.uniform(0.4, 0.9))
    gray = np.clip(gray, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", gray, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(60, 95))])
    return cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)


def _guilloche(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """A security background 0..1: families of fine wavy lines, crossing, and arcs."""
    out = np.zeros((h, w), np.float32)
    xs = np.arange(w, dtype=np.float32)
    for _ in range(int(rng.integers(1, 4))):
        spacing = rng.uniform(2.5, 7.0)
        amp = rng.uniform(0, 0.6) * h
        period = rng.uniform(0.5, 3.0) * w
        tilt = rng.uniform(-0.6, 0.6)
        phase = rng.uniform(0, 2 * np.pi)
        thick = int(rng.integers(1, 3))
        level = rng.uniform(0.4, 1.0)
        for y0 in np.arange(-h - amp - abs(tilt) * w, 2 * h + amp + abs(tilt) * w, spacing):
            ys = y0 + tilt * xs + amp * np.sin(2 * np.pi * xs / period + phase)
            points = np.stack([xs, ys], 1).astype(np.int32)
            if (points[:, 1] >= -thick).any() and (points[:, 1] < h + thick).any():
                cv2.polylines(out, [points], False, level, thick, cv2.LINE_AA)
    if rng.random() < 0.4:  # the arcs of a rosette
        cx, cy = rng.uniform(0, w), rng.uniform(-h, 2 * h)
        for r in np.arange(rng.uniform(2, 8), w + h, rng.uniform(3, 8)):
            cv2.circle(out, (int(cx), int(cy)), int(r), rng.uniform(0.4, 1.0), 1, cv2.LINE_AA)
    return np.clip(out, 0, 1)
