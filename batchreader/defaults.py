"""Default settings shared by the library and the command line (one source of truth)."""

from __future__ import annotations

PDF_DPI = 300
"""Resolution at which PDF pages are rendered; boxes of PDF pages are in these pixels."""

REVIEW_THRESHOLD = 0.95
"""Digits with a calibrated confidence below this are flagged for review. On the
shipped model's MNIST test run the digits above it are wrong about once in 10,000."""
