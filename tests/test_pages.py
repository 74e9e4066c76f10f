from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from batchreader.errors import InputNotFoundError
from batchreader.io.pages import InputFile, Page, PageFailure, discover, read_pages


def _pages(path):
    return list(read_pages(InputFile(path, path.name), dpi=150))


def _ink_page() -> np.ndarray:
    a = np.full((60, 80), 255, np.uint8)
    a[20:40, 30:36] = 0
    return a


@pytest.mark.parametrize(
    ("mode", "suffix"),
    [("L", ".png"), ("RGB", ".jpg"), ("RGBA", ".png"), ("P", ".png"), ("1", ".tif"), ("I;16", ".png"), ("RGB", ".bmp")],
)
def test_image_modes_become_gray_with_dark_ink(tmp_path, mode, suffix):
    gray = _ink_page()
    img = Image.fromarray(gray.astype(np.uint16) * 257) if mode == "I;16" else Image.fromarray(gray).convert(mode)
    path = tmp_path / f"page{suffix}"
    img.save(path)
    (page,) = _pages(path)
    assert isinstance(page, Page)
    assert page.gray.dtype == np.uint8 and page.gray.shape == (60, 80)
    assert page.gray[30, 32] < 60 and page.gray[5, 5] > 200


def test_blue_ballpoint_survives_and_transparency_is_paper(tmp_path):
    rgba = np.zeros((40, 40, 4), np.uint8)  # fully transparent...
    rgba[10:30, 18:22] = (30, 50, 180, 255)  # ...but for a blue stroke
    Image.fromarray(rgba, "RGBA").save(tmp_path / "blue.png")
    (page,) = _pages(tmp_path / "blue.png")
    assert page.gray[0, 0] == 255
    assert page.gray[20, 20] < 100


def test_multipage_tiff_and_pdf_yield_every_page(tmp_path):
    frames = [Image.fromarray(np.full((50, 40), v, np.uint8)) for v in (10, 128, 250)]
    frames[0].save(tmp_path / "three.tif", save_all=True, append_images=frames[1:])
    frames[0].save(tmp_path / "three.pdf", save_all=True, append_images=frames[1:], resolution=72.0)
    tif = _pages(tmp_path / "three.tif")
    assert [p.number for p in tif] == [1, 2, 3]
    assert [int(p.gray.mean()) for p in tif] == [10, 128, 250]
    pdf = _pages(tmp_path / "three.pdf")
    assert [p.number for p in pdf] == [1, 2, 3]
    # rendered at 150 dpi from a 72-dpi page: about twice the pixels
    assert abs(pdf[0].gray.shape[0] - 104) <= 2


@pytest.mark.parametrize("name", ["broken.png", "broken.pdf", "broken.tif", "empty.jpg"])
def test_unreadable_files_become_failures(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"" if name.startswith("empty") else b"this is not an image at all")
    (failure,) = _pages(path)
    assert isinstance(failure, PageFailure)
    assert failure.number is None and failure.message


def test_discover_sorts_recurses_and_skips(tmp_path):
    for rel in ["b.png", "a/z.PDF", "a/c.TIFF", "notes.txt", ".hidden.png", "d.jpeg"]:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")
    names = [f.name for f in discover([tmp_path])]
    assert names == ["a/c.TIFF", "a/z.PDF", "b.png", "d.jpeg"]
    assert [f.name for f in discover([tmp_path / "b.png"])] == ["b.png"]
    with pytest.raises(InputNotFoundError):
        discover([tmp_path / "missing"])
