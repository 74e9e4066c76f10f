"""Pictures of the pipeline's stages on one generated page, for docs/how-it-works.md.

A page of handwritten MNIST digits in comb boxes, with printed labels, words in
capitals and a phone's shadow, is drawn by the page synthesizer and taken through the
scan's stages: the scan as loaded, its ink once the paper is gone, the boxes and rules
erased, the glyphs grouped into fields (a field the field model does not take for a
number in red), and the digits read. Writes one PNG a stage and prints their paths.

    python benchmarks/pictures.py --mnist tests/data/mnist_subset.npz --out docs/images
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from batchreader.io.pages import Page
from batchreader.read.classify import Classifier
from batchreader.read.fieldkind import FieldClassifier, not_numbers
from batchreader.run.pipeline import read_page
from batchreader.segment.boxes import remove_boxes
from batchreader.segment.glyphs import DEFAULT_CONFIG, estimate_digit_height, segment
from batchreader.segment.ink import ink_map, threshold_components
from batchreader.segment.lines import remove_lines
from batchreader.training.pagesynth import Style, render_page

STYLE = Style(
    name="pictures",
    boxes="comb",
    printed=True,
    words=True,
    digits_per_field=(3, 5),
    light_falloff=0.25,
    hard_shadow=0.3,
    noise=2.0,
    paper_rgb=(232, 228, 214),
)
WIDTH = 800
"""Width of each picture in pixels (the page is cropped to its upper half first)."""


def _fit(image: np.ndarray) -> np.ndarray:
    crop = image[: image.shape[0] // 2]
    scale = WIDTH / crop.shape[1]
    return cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mnist", type=Path, required=True, help="an mnist.npz (the tests' subset will do)")
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    data = np.load(args.mnist)
    synth, _ = render_page(data["x_test"], data["y_test"], np.random.default_rng(args.seed), STYLE)
    gray = synth.gray
    args.out.mkdir(parents=True, exist_ok=True)

    ink = ink_map(gray)
    comps = threshold_components(ink, DEFAULT_CONFIG.min_contrast, DEFAULT_CONFIG.low_ratio)
    digit_h = estimate_digit_height(comps.stats, gray.shape[0], DEFAULT_CONFIG.min_digit_px)
    unboxed, _ = remove_boxes(comps.mask, DEFAULT_CONFIG.min_digit_px)
    cleaned, _ = remove_lines(unboxed, digit_h, DEFAULT_CONFIG.line_length, DEFAULT_CONFIG.comb_length)

    glyphs = segment(gray, STYLE.dpi)
    rejected = not_numbers(glyphs, gray.shape, FieldClassifier.load())
    fields = cv2.cvtColor(255 - cleaned.astype(np.uint8) * 255, cv2.COLOR_GRAY2BGR)
    for g in glyphs:
        colour = (0, 0, 220) if (g.line, g.field) in rejected else (200, 120, 0)
        cv2.rectangle(fields, (g.x, g.y), (g.x + g.width, g.y + g.height), colour, 3)

    rows = read_page(Page(file="page.png", number=1, gray=gray, dpi=STYLE.dpi), Classifier.load())
    read = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    for r in rows:
        if r.x is None:
            continue
        cv2.rectangle(read, (r.x, r.y), (r.x + r.width, r.y + r.height), (0, 160, 0), 3)
        cv2.putText(read, str(r.digit), (r.x, r.y - 8), cv2.FONT_HERSHEY_SIMPLEX, 1.6, (0, 120, 0), 4)

    paper_free = np.clip(ink.astype(np.float32) * 255 / max(float(np.percentile(ink, 99.5)), 1e-6), 0, 255)
    stages = {
        "stage-1-scan.png": gray,
        "stage-2-ink.png": 255 - paper_free.astype(np.uint8),
        "stage-3-mask.png": 255 - comps.mask.astype(np.uint8) * 255,
        "stage-4-unboxed.png": 255 - cleaned.astype(np.uint8) * 255,
        "stage-5-fields.png": fields,
        "stage-6-read.png": read,
    }
    for name, image in stages.items():
        path = args.out / name
        cv2.imwrite(str(path), _fit(image), [cv2.IMWRITE_PNG_COMPRESSION, 9])
        print(path)
    print(f"{len([r for r in rows if r.x is not None])} digits read, {len(synth.truth)} written")


if __name__ == "__main__":
    main()
