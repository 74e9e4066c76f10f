"""Shared fixtures: the committed MNIST subset and synthetic scans made from its test digits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from batchreader.training.pagesynth import STYLES, blank_page, render_pages, save_scan, truth_rows
from batchreader.verify.scoring import TRUTH_COLUMNS

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


@pytest.fixture
def leading_zeros(tmp_path, mnist_subset) -> Path:
    """A folder (``tmp_path/zeros``) of p.png, a page with the number "008" written in
    MNIST digits 70 px high, and broken.png, a file that is no image (an error row)."""
    import cv2

    from batchreader.training.pagesynth import digit_ink

    x, y = mnist_subset["x_test"], mnist_subset["y_test"]
    zeros = [i for i in range(len(y)) if y[i] == 0][:2]
    eight = [i for i in range(len(y)) if y[i] == 8][:1]
    page = np.full((400, 900), 250, np.uint8)
    left = 150
    for i in zeros + eight:
        ink = digit_ink(x[i], 70, 1.0)
        region = page[150 : 150 + ink.shape[0], left : left + ink.shape[1]]
        np.minimum(region, (250 - 230 * ink).astype(np.uint8), out=region)
        left += ink.shape[1] + 20
    folder = tmp_path / "zeros"
    folder.mkdir()
    cv2.imwrite(str(folder / "p.png"), page)
    (folder / "broken.png").write_bytes(b"not an image")
    return folder
