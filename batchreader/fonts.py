"""TrueType fonts for printed characters, taken from matplotlib's bundled fonts.

Training draws printed characters from the DejaVu families (as "not a digit":
printed numbers on a form are not handwriting); the synthetic benchmark prints
its form labels in STIX and Computer Modern, which training never sees.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

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
