"""batchreader: read handwritten digits off scanned documents, in bulk."""

from __future__ import annotations

__version__ = "0.1.0"
