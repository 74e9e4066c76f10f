"""batchreader: read handwritten digits off scanned documents, in bulk.

The public API is :func:`scan`, :func:`review`, :func:`apply_corrections`,
:func:`read_results` and :func:`train`, documented in :mod:`batchreader.api`. The
subpackages are the pipeline's stages, in the order data flows through them:
``io`` (scans in, results out), ``segment`` (ink to glyphs), ``read`` (glyphs to
digits), ``run`` (the scan over many files), ``verify`` (review and scoring) and
``training`` (the models); ``cli`` is the command line.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "apply_corrections", "read_results", "review", "scan", "train"]


def __getattr__(name: str):
    # Imported on first use, so that `import batchreader` (and the CLI's --help) stays light.
    if name in __all__:
        from batchreader import api

        return getattr(api, name)
    raise AttributeError(f"module 'batchreader' has no attribute {name!r}")
