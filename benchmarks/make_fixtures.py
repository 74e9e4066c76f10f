"""Write the bundled samples (samples/) and the tests' MNIST subset (tests/data/).

Both are made from MNIST: samples and test pages from test-split digits only, so the
shipped model has never seen them. Run once by a developer with the full MNIST:

    .venv/bin/python benchmarks/make_fixtures.py --mnist ../shared/data/mnist.npz
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from batchreader.training.pagesynth import STYLES, blank_page, render_pages, save_scan, truth_rows
from batchreader.verify.scoring import TRUTH_COLUMNS

SAMPLES = [
    # file, style, pages, seed
    ("clean.png", "clean", 1, 11),
    ("blue_ink.jpg", "blue-ink", 1, 12),
    ("phone_photo.jpg", "photo", 1, 13),
    ("fax.tif", "fax", 2, 14),
    ("pencil.pdf", "pencil", 1, 15),
]


def make_samples(x: np.ndarray, y: np.ndarray, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    offset = 0
    for name, style_name, count, seed in SAMPLES:
        style = STYLES[style_name]
        pages = render_pages(x[offset:], y[offset:], count, style, seed=seed)
        offset += sum(len(p.truth) for p in pages) + 10
        if name.endswith(".pdf"):  # a blank second page: it must come back as an empty page
            pages.append(blank_page(style, np.random.default_rng(seed)))
        save_scan(pages, out / name, style.dpi, binary=style.binary)
        rows.extend(truth_rows(pages, name))
    pd.DataFrame(rows, columns=TRUTH_COLUMNS).to_csv(out / "ground_truth.csv", index=False)
    print(f"wrote {len(SAMPLES)} sample files, {len(rows)} digits, to {out}")


def make_subset(data: np.lib.npyio.NpzFile, out: Path, n_train: int, n_test: int) -> None:
    rng = np.random.default_rng(0)
    tr = np.sort(rng.choice(len(data["x_train"]), n_train, replace=False))
    te = np.sort(rng.choice(len(data["x_test"]), n_test, replace=False))
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out,
        x_train=data["x_train"][tr],
        y_train=data["y_train"][tr],
        x_test=data["x_test"][te],
        y_test=data["y_test"][te],
    )
    print(f"wrote {out}: {n_train} train and {n_test} test digits")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", type=Path, required=True, help="full mnist.npz (Keras layout)")
    parser.add_argument("--samples", type=Path, default=Path("samples"))
    parser.add_argument("--subset", type=Path, default=Path("tests/data/mnist_subset.npz"))
    args = parser.parse_args()
    with np.load(args.mnist) as data:
        # samples use the second half of the test split; the tests' subset draws from all of it
        make_samples(data["x_test"][5000:], data["y_test"][5000:], args.samples)
        make_subset(data, args.subset, n_train=2000, n_test=1500)


if __name__ == "__main__":
    main()
