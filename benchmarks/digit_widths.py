"""How wide each digit is written, in heights, over MNIST's training digits: the
quantiles behind ``batchreader.read.reading.WIDEST_USUAL`` (the 99th).

    .venv/bin/python benchmarks/digit_widths.py --mnist ../shared/data/mnist.npz
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from batchreader.read.reading import WIDEST_USUAL
from batchreader.training.digits import load_mnist

QUANTILES = (0.5, 0.9, 0.99, 0.999)


def widths(images: np.ndarray, level: int = 60) -> np.ndarray:
    """Width over height of each image's ink (pixels darker than ``level`` of 255)."""
    ink = images > level
    cols, rows = ink.any(axis=1), ink.any(axis=2)
    w = cols.shape[1] - np.argmax(cols[:, ::-1], axis=1) - np.argmax(cols, axis=1)
    h = rows.shape[1] - np.argmax(rows[:, ::-1], axis=1) - np.argmax(rows, axis=1)
    return w / np.maximum(h, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", type=Path, required=True)
    args = parser.parse_args()
    data = load_mnist(args.mnist)
    aspect = widths(data.x_train)
    print(f"{'digit':<7}" + "".join(f"{f'q{q * 100:g}':>8}" for q in QUANTILES) + f"{'shipped':>9}")
    for digit in range(10):
        q = np.quantile(aspect[data.y_train == digit], QUANTILES)
        print(f"{digit:<7}" + "".join(f"{v:>8.2f}" for v in q) + f"{WIDEST_USUAL[digit]:>9.2f}")


if __name__ == "__main__":
    main()
