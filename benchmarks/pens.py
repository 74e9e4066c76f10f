"""The classifier under other pens: all 10,000 MNIST test digits re-drawn as the page
synthesizer draws them (a fine pen's centre line, a marker, small at 200 dpi), framed
by the scanner's normaliser and classified one by one, without page segmentation; and
printed digits in training and held-out fonts, which should be rejected as print.

Ten thousand digits a pen make differences of 0.1% visible, which the page benchmark
(about 450 digits a style and seed) cannot show.

    .venv/bin/python benchmarks/pens.py --mnist ../shared/data/mnist.npz [--model M ...]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from batchreader.read.classes import NOT_A_DIGIT, TOUCHING
from batchreader.read.classify import Classifier
from batchreader.read.normalize import to_mnist_batch
from batchreader.training.digits import load_mnist
from batchreader.training.fonts import HELD_OUT_FONTS, TRAINING_FONTS, render_text
from batchreader.training.pagesynth import digit_ink

# (name, digit height in pixels, pen width factor): the benchmark styles' pens at 300 dpi
# (a 7.5 mm digit is about 90 px) and small digits at 200 dpi
PENS = [
    ("fine pen", 90, 0.6),
    ("fine pen, small", 45, 0.6),
    ("MNIST's pen", 90, 1.0),
    ("bold pen", 90, 1.4),
    ("marker", 90, 1.8),
    ("small, 200 dpi", 35, 1.0),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", type=Path, required=True)
    parser.add_argument("--model", type=Path, action="append", help="model(s) to compare (default: the shipped one)")
    args = parser.parse_args()
    data = load_mnist(args.mnist)
    x, y = data.x_test, data.y_test.astype(np.int64)
    framed = {"as MNIST ships it": (x.astype(np.float32) / 255.0)[..., None]}
    for name, height, pen in PENS:
        framed[f"{name} ({height} px, pen {pen})"] = to_mnist_batch([digit_ink(d, height, pen) for d in x])
    printed = {
        "training fonts": [render_text(c, f, s) for c in "0123456789" for f in TRAINING_FONTS for s in (20, 32, 48)],
        "held-out fonts": [render_text(c, f, s) for c in "0123456789" for f in HELD_OUT_FONTS for s in (20, 32, 48)],
    }
    for model in args.model or [None]:
        clf = Classifier.load(model)
        print(f"model {clf.path}")
        print(f"  {'digits':<34}{'right':>8}{'not a digit':>13}{'touching':>10}")
        for name, images in framed.items():
            p = clf.predict(images).argmax(axis=1)
            right, mark, touching = (p == y).mean(), (p == NOT_A_DIGIT).mean(), (p == TOUCHING).mean()
            print(f"  {name:<34}{right:>8.2%}{mark:>13.2%}{touching:>10.2%}")
        for name, inks in printed.items():
            p = clf.predict(to_mnist_batch([i.astype(np.float32) for i in inks])).argmax(axis=1)
            print(f"  printed digits, {name}: {(p >= NOT_A_DIGIT).mean():.1%} rejected of {len(p)}")


if __name__ == "__main__":
    main()
