"""--layout: a small one-line image is one number (a cheque amount, a cut-out box); a page is a page."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import batchreader
from batchreader.io.results import read_results
from batchreader.run.pipeline import FIELD_HEIGHT
from batchreader.training.pagesynth import digit_ink
from batchreader.training.stripsynth import render_strip


def _strip(mnist_subset, height: int = 56, digit_h: int = 38, gap: float = 1.6) -> tuple[np.ndarray, str]:
    """Four digits on a strip, spaced so widely that a page's fields would part them."""
    x_test, y_test = mnist_subset["x_test"], mnist_subset["y_test"]
    picks = [i for i in range(len(y_test)) if y_test[i] not in (1, 7)][10:14]
    inks = [digit_ink(x_test[i], digit_h, 1.0) for i in picks]
    width = sum(i.shape[1] for i in inks) + int(gap * digit_h) * (len(inks) - 1) + 20
    strip = np.full((height, width), 245, np.uint8)
    x = 10
    for ink in inks:
        h, w = ink.shape
        y = (height - h) // 2
        region = strip[y : y + h, x : x + w]
        np.minimum(region, (245 - 225 * ink).astype(np.uint8), out=region)
        x += w + int(gap * digit_h)
    return strip, "".join(str(int(y_test[i])) for i in picks)


@pytest.mark.parametrize("layout", ["auto", "field"])
def test_a_strip_is_one_number(tmp_path, mnist_subset, layout):
    strip, number = _strip(mnist_subset)
    cv2.imwrite(str(tmp_path / "amount.png"), strip)
    batchreader.scan([tmp_path / "amount.png"], tmp_path / "r.csv", jobs=1, layout=layout)
    rows = read_results(tmp_path / "r.csv")
    assert "".join(str(d) for d in rows["digit"]) == number
    assert set(rows["line"]) == {1} and set(rows["field"]) == {1}
    assert rows["index"].tolist() == list(range(1, len(number) + 1))


def test_as_a_page_the_same_strip_is_several_fields(tmp_path, mnist_subset):
    strip, number = _strip(mnist_subset)
    cv2.imwrite(str(tmp_path / "amount.png"), strip)
    batchreader.scan([tmp_path / "amount.png"], tmp_path / "r.csv", jobs=1, layout="page")
    rows = read_results(tmp_path / "r.csv")
    assert rows["field"].nunique() > 1


def test_auto_takes_a_small_image_of_two_lines_for_a_page(tmp_path, mnist_subset):
    strip, number = _strip(mnist_subset, height=56)
    page = np.full((strip.shape[0] * 2 + 20, strip.shape[1]), 245, np.uint8)
    assert page.shape[0] <= FIELD_HEIGHT  # small enough to be a field, but two lines
    page[: strip.shape[0]] = strip
    page[-strip.shape[0] :] = strip
    cv2.imwrite(str(tmp_path / "page.png"), page)
    batchreader.scan([tmp_path / "page.png"], tmp_path / "r.csv", jobs=1)
    rows = read_results(tmp_path / "r.csv")
    assert rows["line"].nunique() == 2


def test_an_unknown_layout_is_refused(tmp_path, mnist_subset):
    strip, _ = _strip(mnist_subset)
    cv2.imwrite(str(tmp_path / "amount.png"), strip)
    with pytest.raises(ValueError, match="layout"):
        batchreader.scan([tmp_path / "amount.png"], tmp_path / "r.csv", layout="column")


@pytest.mark.parametrize("seed", [1, 8, 9])  # strips the page-style ink misread
def test_an_amount_on_a_security_background_reads_exactly(tmp_path, mnist_subset, seed):
    """A cheque-like strip: a guilloche background, a thousands dot, a dash after the
    amount, a printed baseline, digits close or touching. ``auto`` takes it for a field
    as ``field`` does, and both read exactly its digits (the dot and the dash are none)."""
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(mnist_subset["y_test"]), 5, replace=False)
    images, labels = mnist_subset["x_test"][pick], mnist_subset["y_test"][pick]
    strip = render_strip(images, labels, rng, pattern=True, dot=True, dash=True, underline=True)
    cv2.imwrite(str(tmp_path / "amount.png"), strip.gray)
    for layout in ("field", "auto"):
        batchreader.scan([tmp_path / "amount.png"], tmp_path / f"{layout}.csv", jobs=1, layout=layout)
        rows = read_results(tmp_path / f"{layout}.csv")
        rows = rows[rows["status"] == "ok"]
        assert "".join(str(int(d)) for d in rows.sort_values("x")["digit"]) == strip.digits, layout
        assert set(rows["field"]) == {1}
