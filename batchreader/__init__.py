"""batchreader: read handwritten digits off scanned documents, in bulk."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "scan", "train"]


def __getattr__(name: str):
    # The library API, imported on first use so that `import batchreader` (and the
    # CLI's --help) stays light.
    if name == "scan":
        from batchreader.pipeline import scan

        return scan
    if name == "train":
        from batchreader.training import train

        return train
    raise AttributeError(f"module 'batchreader' has no attribute {name!r}")
