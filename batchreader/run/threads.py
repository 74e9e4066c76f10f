"""One thread per worker process: OpenCV's and BLAS', so that N workers use N cores."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import cv2


def single_threaded() -> None:
    """Worker set-up: one OpenCV thread per worker process, so N workers use N cores."""
    cv2.setNumThreads(1)


ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
"""Environment of worker processes: one BLAS thread each (read when NumPy loads)."""


@contextmanager
def child_environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the processes started inside the block only."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
