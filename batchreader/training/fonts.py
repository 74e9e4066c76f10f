"""Fonts for training and for generated pages: matplotlib's bundled faces and the
handwriting and printed faces vendored in ``batchreader/fontdata``.

Training draws printed characters from the DejaVu families (as "not a digit":
printed numbers on a form are not handwriting); the synthetic benchmark prints
its form labels in STIX and Computer Modern, which training never sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

TRAINING_FONTS = (
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSans-Oblique.ttf",
    "DejaVuSans-BoldOblique.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSansMono-Bold.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSerif-Bold.ttf",
    "DejaVuSerif-Italic.ttf",
)
HELD_OUT_FONTS = (
    "STIXGeneral.ttf",
    "STIXGeneralBol.ttf",
    "STIXGeneralItalic.ttf",
    "cmr10.ttf",
    "cmss10.ttf",
    "cmtt10.ttf",
    "cmb10.ttf",
)


@lru_cache(maxsize=512)
def font(name: str, size: int):
    """A Pillow TrueType font from matplotlib's font folder."""
    import matplotlib
    from PIL import ImageFont

    return ImageFont.truetype(str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name), size=size)


def render_text(text: str, name: str, size: int) -> np.ndarray:  # noqa: F821
    """Render ``text`` as a uint8 ink image (ink 255), cropped to the text with a 2-px margin."""
    import numpy as np
    from PIL import Image, ImageDraw

    f = font(name, size)
    x0, y0, x1, y1 = f.getbbox(text)
    layer = Image.new("L", (max(1, x1 - x0 + 4), max(1, y1 - y0 + 4)), 0)
    ImageDraw.Draw(layer).text((2 - x0, 2 - y0), text, fill=255, font=f)
    return np.asarray(layer)


FONT_DIR = Path(__file__).resolve().parent / "fontdata"
"""The vendored handwriting and printed faces (see its README), so training runs offline."""

HELD_OUT = ("kalam", "gochi-hand", "merriweather", "ibm-plex-mono")
"""Vendored font name prefixes never used in training: the held-out checks of the cards."""


@dataclass
class Fonts:
    handwriting: list[Path]
    script: list[Path]
    printed: list[Path]


_SCRIPT = ("homemade-apple", "cedarville-cursive", "dancing-script", "satisfy", "great-vibes", "allura",
           "mr-dafoe", "la-belle-aurore", "kristi", "nothing-you-could-do", "reenie-beanie")  # fmt: skip


@lru_cache(maxsize=4)
def fonts(held_out: bool = False) -> Fonts:
    """The vendored fonts: the training faces, or with ``held_out`` only the held-out ones."""
    import matplotlib

    def keep(p: Path) -> bool:
        return p.name.startswith(HELD_OUT) == held_out

    hand = sorted(p for p in (FONT_DIR / "handwriting").glob("*.woff2") if keep(p))
    printed = sorted(p for p in (FONT_DIR / "printed").glob("*.woff2") if keep(p))
    if not held_out:  # matplotlib's DejaVu faces print too
        printed += sorted((Path(matplotlib.get_data_path()) / "fonts" / "ttf").glob("DejaVu*.ttf"))
    script = [p for p in hand if p.name.startswith(_SCRIPT)] or hand
    return Fonts(hand, script, printed)


@lru_cache(maxsize=2048)
def _face(path: Path, size: int):
    from PIL import ImageFont

    return ImageFont.truetype(str(path), size=size)


def render_face(text: str, path: Path, size: int) -> np.ndarray:
    """``text`` in the font at ``path`` as float32 ink 0..1, cropped with a margin."""
    from PIL import Image, ImageDraw

    f = _face(path, size)
    x0, y0, x1, y1 = f.getbbox(text)
    layer = Image.new("L", (max(1, x1 - x0 + 8), max(1, y1 - y0 + 8)), 0)
    ImageDraw.Draw(layer).text((4 - x0, 4 - y0), text, fill=255, font=f)
    return np.asarray(layer, np.float32) / 255.0
