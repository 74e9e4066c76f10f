"""Shared fixtures: the committed MNIST subset and synthetic scans made from its test digits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from batchreader.training.pagesynth import STYLES, TRUTH_COLUMNS, blank_page, render_pages, save_scan, truth_rows

DATA = Path(__file__).parent / "data"
SUBSET = DATA / "mnist_subset.npz"


@pytest.fixture(scope="session")
def mnist_subset() -> dict[str, np.ndarray]:
    with np.load(SUBSET) as npz:
        return {k: npz[k] for k in npz.files}


@pytest.fixture(scope="session")
def scans(tmp_path_factory, mnist_subset) -> Path:
    """A folder of scans in every supported container, with ground_truth.csv beside them.

    clean.png (grayscale), nested/blue.jpg (colour JPEG), fax.tif (2-page 1-bit TIFF),
    pencil.pdf (PDF with a blank second page).
    """
    root = tmp_path_factory.mktemp("scans")
    (root / "nested").mkdir()
    x, y = mnist_subset["x_test"], mnist_subset["y_test"]
    rows = []
    offset = 0
    for name, style, count, seed in [
        ("clean.png", "clean", 1, 1),
        ("nested/blue.jpg", "blue-ink", 1, 2),
        ("fax.tif", "fax", 2, 3),
        ("pencil.pdf", "pencil", 1, 4),
    ]:
        pages = render_pages(x[offset:], y[offset:], count, STYLES[style], seed=seed)
        offset += sum(len(p.truth) for p in pages)
        if name.endswith(".pdf"):
            pages.append(blank_page(STYLES[style], np.random.default_rng(seed)))
        save_scan(pages, root / name, STYLES[style].dpi, binary=STYLES[style].binary)
        rows.extend(truth_rows(pages, name))
    pd.DataFrame(rows, columns=TRUTH_COLUMNS).to_csv(root.parent / f"{root.name}_truth.csv", index=False)
    return root


@pytest.fixture(scope="session")
def scans_truth(scans) -> pd.DataFrame:
    return pd.read_csv(scans.parent / f"{scans.name}_truth.csv")
