"""Default settings shared by the library and the command line (one source of truth)."""

from __future__ import annotations

PDF_DPI = 300
"""Resolution at which PDF pages are rendered; boxes of PDF pages are in these pixels."""

MAX_PAGE_PIXELS = 178_956_970
"""A PDF page that would render to more pixels than this is refused (an error row): the
limit past which Pillow refuses an image as a decompression bomb (twice its
``Image.MAX_IMAGE_PIXELS``). An A0 sheet at 300 dpi is 139 Mpx; a 461-byte PDF may
claim a page 7200 pt square, 8.7 GB of pixels at 300 dpi."""

PAGE_TIMEOUT = 300.0
"""Seconds one page may take before it is given up as an error row (``scan
--page-timeout``): an A4 page at 300 dpi takes a fifth of a second on one core, a
page of 40,000 marks 50 s; a pathological page must not hold up a batch for ever."""

REVIEW_THRESHOLD = 0.95
"""Digits with a calibrated confidence below this are flagged for review. On the
shipped model's MNIST test run the digits above it are wrong about once in 10,000."""

MODEL_ACCURACY_FLOOR = 0.99
"""A digit model whose card records MNIST test accuracy under this is one ``scan``
warns about (the shipped model reads 99.6%); ``train`` warns when a model it wrote
reads MNIST worse than the shipped one."""
