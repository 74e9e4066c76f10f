"""How an image is laid out: a page of lines and fields, or one written number cut out
of a document (``scan --layout``)."""

from __future__ import annotations

import numpy as np

from batchreader.segment.glyphs import Glyph, segment

LAYOUTS = ("auto", "page", "field")
"""How an image is laid out (``scan --layout``): ``page``, a page of lines and fields;
``field``, one written number (a cheque amount, a form's box cut out by another system);
``auto``, a field when the image is small and holds one line of ink (see FIELD_HEIGHT),
else a page."""

FIELD_HEIGHT = 160
"""Images at most this many pixels high whose ink is one line are taken for a field by
``--layout auto``: a cheque's amount or a cut-out box is 30-120 px high at 200-300 dpi,
while a page, even a receipt, holds several lines."""


def _one_band(glyphs: list) -> bool:
    """Whether the glyphs' rows make one band, with no blank row between two of them:
    one line of ink. (A comma or a dash below an amount's digits is a line of its own
    to reading order, but it overlaps the digits' rows; two lines of a page do not.)"""
    spans = sorted((g.y, g.y + g.height) for g in glyphs)
    bottom = spans[0][1] if spans else 0
    for top, end in spans[1:]:
        if top > bottom:
            return False
        bottom = max(bottom, end)
    return bool(spans)


def segment_page(gray: np.ndarray, dpi: float | None, layout: str) -> tuple[list[Glyph], bool]:
    """A page's glyphs, and whether the image is one field (see LAYOUTS): a field's
    ink is judged at the field's scale (see :func:`batchreader.segment.glyphs.segment`)."""
    if layout == "field":
        return segment(gray, dpi, field=True), True
    if layout == "auto" and gray.shape[0] <= FIELD_HEIGHT:
        glyphs = segment(gray, dpi, field=True)
        if _one_band(glyphs):
            return glyphs, True
    return segment(gray, dpi), False
