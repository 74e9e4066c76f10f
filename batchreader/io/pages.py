"""Reading scans: finding input files and decoding every page to 8-bit grayscale.

Images go through Pillow (multi-page TIFF, 1-bit, 16-bit, palette, alpha, EXIF
rotation of phone photos); PDFs are rendered with pypdfium2 at a chosen dpi.
A file or page that cannot be read yields a :class:`PageFailure` instead of
stopping the batch.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from batchreader.defaults import MAX_PAGE_PIXELS, PDF_DPI
from batchreader.errors import InputNotFoundError

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp"})
"""Read by Pillow; a multi-frame TIFF, GIF or WebP is one page a frame."""
PDF_SUFFIXES = frozenset({".pdf"})
SUPPORTED_SUFFIXES = IMAGE_SUFFIXES | PDF_SUFFIXES


@dataclass(frozen=True)
class InputFile:
    """One scan file and the name it gets in the results (relative to the folder given)."""

    path: Path
    name: str
    problem: str | None = None
    """Why the entry cannot be read at all (a broken link, a folder that cannot be
    listed): it becomes one error row, and the batch goes on."""


@dataclass
class Page:
    """One decoded page: 8-bit grayscale, paper light and ink dark."""

    file: str
    number: int
    """Page number within its file, counting from 1."""
    gray: np.ndarray
    dpi: float | None = None


@dataclass
class PageFailure:
    """A file or page that could not be read; ``number`` is None when the whole file failed."""

    file: str
    number: int | None
    message: str


SKIPS_LOGGED = 10
"""Skipped files named one by one in the log; the rest are counted."""

NOT_A_SCAN = "not a supported scan type"


def discover(inputs: list[Path], skipped: list[tuple[Path, str]] | None = None) -> list[InputFile]:
    """Expand input paths into scan files, folders walked recursively in sorted order.

    Files that are not scans (another type, a FIFO or a device) are left out; each is
    added to ``skipped`` with why, when a list is given, and logged at WARNING (the
    first :data:`SKIPS_LOGGED` of them, then how many more).

    A file is named in the results by its path relative to the folder given (a file
    given itself, by its name). With several inputs, names start with each input's
    path relative to the inputs' common folder, so that two folders' ``page.png`` are
    told apart (``batch1/page.png``, ``batch2/page.png``).

    Raises:
        InputNotFoundError: a path does not exist.
    """
    found: list[InputFile] = []
    skipped = [] if skipped is None else skipped

    def skip(path: Path, why: str) -> None:
        skipped.append((path, why))
        if len(skipped) <= SKIPS_LOGGED:
            log.warning("skipping %s: %s", path, why)

    roots = [Path(raw) for raw in inputs]
    common = os.path.commonpath([os.path.abspath(r.parent) for r in roots]) if len(roots) > 1 else None
    for root in roots:
        if not root.exists():
            raise InputNotFoundError(f"input not found: {root}", "check the path")
        prefix = Path(os.path.relpath(os.path.abspath(root), common)).as_posix() if common else None
        if root.is_file():
            if root.suffix.lower() in SUPPORTED_SUFFIXES:
                found.append(InputFile(root, prefix or root.name))
            else:
                skip(root, NOT_A_SCAN)
            continue
        in_folder = []

        def unlisted(exc: OSError, root: Path = root, in_folder: list = in_folder) -> None:
            path = Path(exc.filename or root)
            log.warning("cannot list %s: %s", path, exc.strerror or exc)
            name = path.relative_to(root).as_posix() if path != root else path.name
            in_folder.append(InputFile(path, name, f"cannot list this folder: {exc.strerror or exc}"))

        for dirpath, dirnames, filenames in os.walk(root, onerror=unlisted):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                path = Path(dirpath) / name
                if name.startswith("."):
                    continue
                if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                    skip(path, NOT_A_SCAN)
                    continue
                relative = path.relative_to(root).as_posix()
                try:
                    mode = path.stat().st_mode
                except OSError as exc:  # a dangling symlink, a symlink loop
                    log.warning("cannot read %s: %s", path, exc.strerror or exc)
                    in_folder.append(InputFile(path, relative, f"cannot open: {exc.strerror or exc}"))
                    continue
                if not stat.S_ISREG(mode):  # a FIFO or a device would block or never end
                    skip(path, "not a regular file")
                    continue
                in_folder.append(InputFile(path, relative))
        if prefix:
            in_folder = [InputFile(f.path, f"{prefix}/{f.name}", f.problem) for f in in_folder]
        # sorted by the name written to the CSV, so the order never depends on the file system
        found.extend(sorted(in_folder, key=lambda f: f.name))
    if len(skipped) > SKIPS_LOGGED:
        log.warning("skipped %d more files that are not scans", len(skipped) - SKIPS_LOGGED)
    return found


def read_pages(item: InputFile, dpi: float = PDF_DPI) -> Iterator[Page | PageFailure]:
    """Yield every page of a scan file, or failures for what cannot be read."""
    if item.problem:
        yield PageFailure(item.name, None, item.problem)
        return
    try:
        if item.path.stat().st_size == 0:
            yield PageFailure(item.name, None, "the file is empty")
            return
        if item.path.suffix.lower() in PDF_SUFFIXES:
            yield from _read_pdf(item, dpi)
        else:
            yield from _read_image(item)
    except Exception as exc:  # any decoder error is this file's error row, not the batch's end
        log.warning("cannot read %s: %s", item.path, exc)
        yield PageFailure(item.name, None, _one_line(exc))


def _one_line(exc: BaseException) -> str:
    """What went wrong, in one line of plain words: the decoders' usual failures are
    named by what they mean for the file; anything else by its exception."""
    text = " ".join(str(exc).split())
    name = type(exc).__name__
    lowered = text.lower()
    if name == "UnidentifiedImageError":
        return "not an image that can be read: the file is damaged, or not the format its name says"
    if name == "DecompressionBombError":
        pixels = re.findall(r"\d+", text)
        if len(pixels) >= 2:
            return f"image too large: {int(pixels[0]):,} pixels, over the limit of {int(pixels[1]):,}"
        return "image too large to read safely"
    if "truncated" in lowered:
        return "the image is cut short: the file was not copied or downloaded whole"
    if name == "PdfiumError" and "password" in lowered:
        return "the PDF is encrypted: give a copy without a password"
    if name == "PdfiumError" and "load document (pdfium: success)" in lowered:  # PDFium's word for no pages
        return "the PDF has no pages"
    if name == "PdfiumError" and "load document" in lowered:
        return "not a PDF that can be read: the file is damaged, or not a PDF"
    return f"{name}: {text or name}"[:300]


def _read_image(item: InputFile) -> Iterator[Page | PageFailure]:
    from PIL import Image, ImageOps, ImageSequence

    with Image.open(item.path) as img:
        dpi = _dpi(img.info.get("dpi"))
        for number, frame in enumerate(ImageSequence.Iterator(img), start=1):
            try:
                if number == 1:
                    frame = ImageOps.exif_transpose(frame)
                yield Page(item.name, number, to_gray(frame), dpi)
            except Exception as exc:  # a damaged frame: record it, go on with the next
                log.warning("cannot read %s page %d: %s", item.path, number, exc)
                yield PageFailure(item.name, number, _one_line(exc))


def _dpi(value: object) -> float | None:
    try:
        dpi = float(value[0])  # type: ignore[index]
    except (TypeError, ValueError, IndexError):
        return None
    return dpi if dpi > 1 else None


def to_gray(img) -> np.ndarray:
    """Convert a Pillow image of any mode to 8-bit grayscale on white.

    Transparent areas become paper; 16-bit images keep their full range; colour
    goes through luminance, so blue or red ballpoint stays dark.
    """
    from PIL import Image

    mode = img.mode
    if mode.startswith("I") or mode == "F":
        a = np.asarray(img, dtype=np.float64)
        full = 65535.0 if mode.startswith("I;16") or a.max() > 255 else 255.0
        return np.clip(a * (255.0 / full) + 0.5, 0, 255).astype(np.uint8)
    if mode == "1":
        return np.asarray(img.convert("L"), dtype=np.uint8)
    if mode in ("P", "PA"):
        img = img.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA"):
        white = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, img.convert("RGBA"))
    if img.mode == "CMYK":
        img = img.convert("RGB")
    return np.asarray(img.convert("L"), dtype=np.uint8)


def _read_pdf(item: InputFile, dpi: float) -> Iterator[Page | PageFailure]:
    """Render each page; a page too large to render (see MAX_PAGE_PIXELS) or that cannot
    be rendered is an error row, and a run of pages that cannot be loaded at all (a
    damaged file, or one that claims pages it does not hold) is one error row."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(item.path))
    total = len(pdf)
    if total == 0:
        pdf.close()
        yield PageFailure(item.name, None, "the PDF has no pages")
        return
    missing: list[int] = []  # the run of pages that could not be loaded: its first and last

    def missing_row() -> PageFailure:
        first, last = missing
        pages = f"page {first}" if first == last else f"pages {first}-{last}"
        log.warning("cannot load %s %s of %d", item.path, pages, total)
        return PageFailure(item.name, first, f"{pages} of {total} cannot be loaded: the file is damaged or incomplete")

    try:
        for number in range(1, total + 1):
            try:
                page = pdf[number - 1]
            except pdfium.PdfiumError:
                missing[:] = [missing[0] if missing else number, number]
                continue
            if missing:
                yield missing_row()
                missing.clear()
            try:
                width, height = page.get_size()
                pixels = width * height * (dpi / 72.0) ** 2
                if pixels > MAX_PAGE_PIXELS:
                    log.warning("not rendering %s page %d: %.0f Mpx", item.path, number, pixels / 1e6)
                    yield PageFailure(
                        item.name,
                        number,
                        f"page too large: {width:.0f} x {height:.0f} pt is {pixels / 1e6:.0f} million pixels at "
                        f"{dpi:g} dpi, over the limit of {MAX_PAGE_PIXELS / 1e6:.0f} million",
                    )
                    continue
                bitmap = page.render(scale=dpi / 72.0, grayscale=True)
                gray = np.array(bitmap.to_numpy(), dtype=np.uint8)
                if gray.ndim == 3:
                    gray = gray[..., 0]
                yield Page(item.name, number, gray, float(dpi))
            except Exception as exc:  # one broken page does not lose the others
                log.warning("cannot render %s page %d: %s", item.path, number, exc)
                yield PageFailure(item.name, number, _one_line(exc))
        if missing:
            yield missing_row()
    finally:
        pdf.close()
