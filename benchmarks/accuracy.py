"""Reading accuracy on synthetic scans, per page style.

Renders pages in every style of ``batchreader.training.pagesynth.STYLES`` from MNIST test digits
(digits the shipped model never trained on), saves them in the style's usual
container (PNG, colour JPEG, 1-bit TIFF, PDF), runs the real ``batchreader.scan``
and prints, per style and overall: digit recall, precision, digits read correctly
(of all true digits), fields (whole numbers) read exactly, and the classifier's share
right among the digits found ("classified").

    .venv/bin/python benchmarks/accuracy.py --mnist ../shared/data/mnist.npz --pages 4

One style over nearly all the test digits (about 200 pages) gives its figure
with a tenth of the sampling error of 12 pages:

    .venv/bin/python benchmarks/accuracy.py --mnist ../shared/data/mnist.npz --styles touching --pages 175
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

import batchreader
from batchreader.io.results import read_results
from batchreader.training.digits import TrainConfig, validation_split
from batchreader.training.pagesynth import STYLES, render_pages, save_scan, truth_rows
from batchreader.verify.scoring import TRUTH_COLUMNS, compare

PEN_AND_SCANNER = ["clean", "thin-pen", "marker", "blue-ink", "photo", "fax", "small-200dpi"]
"""Plain handwriting under every pen and scanner (thick and thin pens, blur, noise, JPEG,
200 and 300 dpi): how well the classifier reads digits once they are found."""

CONTAINER = {"fax": ".tif", "blue-ink": ".jpg", "photo": ".jpg", "pencil": ".pdf"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", type=Path, required=True)
    parser.add_argument("--pages", type=int, default=4, help="pages per style")
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--field-model", type=Path, default=None, help="field model (default: shipped)")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--seed", type=int, default=100)
    parser.add_argument("--styles", default=None, help="comma-separated subset of styles (default: all)")
    parser.add_argument("--keep", type=Path, default=None, help="write the pages, truth and results here to inspect")
    parser.add_argument(
        "--digits",
        choices=["test", "validation"],
        default="test",
        help="write pages from the test digits, or from the 5,000 training digits that training keeps for "
        "validation (to choose between models without looking at the test digits)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with np.load(args.mnist) as data:
        if args.digits == "test":
            x, y = data["x_test"], data["y_test"]
        else:
            held = np.sort(validation_split(len(data["x_train"]), TrainConfig())[0])
            x, y = data["x_train"][held], data["y_train"][held]
    with tempfile.TemporaryDirectory() as tmp:
        if args.keep:
            tmp = args.keep
        root = Path(tmp) / "scans"
        root.mkdir(parents=True, exist_ok=False)
        rows = []
        # each seed starts at its own place in the test digits: MNIST keeps a writer's
        # digits together, and styles that always started at the same digit measured the
        # same writers at every seed (the skipping pen met one faint writer four times)
        offset = int(np.random.default_rng(args.seed).integers(len(x)))
        wanted = args.styles.split(",") if args.styles else list(STYLES)
        unknown = set(wanted) - set(STYLES)
        if unknown:
            parser.error(f"unknown styles: {', '.join(sorted(unknown))}")
        for k, (name, style) in enumerate(STYLES.items()):
            if name not in wanted:
                continue
            pages = render_pages(
                np.roll(x, -offset, axis=0), np.roll(y, -offset), args.pages, style, seed=args.seed + k
            )
            offset = (offset + sum(len(p.truth) for p in pages)) % len(x)
            suffix = CONTAINER.get(name, ".png")
            if suffix in (".tif", ".pdf"):
                files = [(f"{name}{suffix}", pages)]
            else:
                files = [(f"{name}-{i + 1}{suffix}", [p]) for i, p in enumerate(pages)]
            for file, group in files:
                save_scan(group, root / file, style.dpi, binary=style.binary)
                rows.extend({**r, "style": name} for r in truth_rows(group, file))
        truth = pd.DataFrame(rows, columns=[*TRUTH_COLUMNS, "style"])
        truth.to_csv(Path(tmp) / "truth.csv", index=False)
        out = Path(tmp) / "results.csv"
        summary = batchreader.scan([root], out, model=args.model, jobs=args.jobs, field_model=args.field_model)
        results = read_results(out)
    print(f"{'style':<14}{'digits':>8}{'recall':>9}{'precision':>11}{'correct':>9}{'fields':>9}{'classified':>12}")
    for name in [*wanted, "overall"]:
        t = truth if name == "overall" else truth[truth["style"] == name]
        r = results[results["file"].isin(set(t["file"]))]
        a = compare(r, t)
        print(
            f"{name:<14}{a.true_digits:>8}{a.recall:>9.2%}{a.precision:>11.2%}"
            f"{a.digit_accuracy:>9.2%}{a.field_accuracy:>9.2%}{a.correct / max(1, a.matched):>12.2%}"
        )
    pen_and_scanner = [s for s in PEN_AND_SCANNER if s in wanted]
    if pen_and_scanner:
        t = truth[truth["style"].isin(pen_and_scanner)]
        a = compare(results[results["file"].isin(set(t["file"]))], t)
        print(f"classified, pen and scanner styles ({', '.join(pen_and_scanner)}): {a.correct / max(1, a.matched):.2%}")
    print(f"{summary.pages} pages in {summary.seconds:.1f} s")


if __name__ == "__main__":
    main()
