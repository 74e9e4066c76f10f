"""Worker processes: one OpenCV and one BLAS thread each, so that N workers use N cores,
and none outlives the process that started it."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import cv2


def single_threaded() -> None:
    """Worker set-up: one OpenCV thread per worker process, so N workers use N cores;
    and the worker ends with the process that started it, even a killed one."""
    cv2.setNumThreads(1)
    end_with_parent()


PR_SET_PDEATHSIG = 1


def end_with_parent() -> None:
    """Ask the kernel to send this process SIGTERM when its parent dies (Linux; elsewhere
    a worker notices at its next task): a scan killed with kill -9 leaves no workers."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before the request was made
        os.kill(os.getpid(), signal.SIGTERM)


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


class PageTimeout(Exception):
    """A page took longer than its time limit (see :func:`time_limit`)."""


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise PageTimeout inside the block once ``seconds`` have passed (by SIGALRM, so
    only in a process's main thread, as the CLI and its worker processes run pages;
    elsewhere, such as in a Dask worker's thread, there is no limit)."""
    if not seconds or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum, frame) -> None:
        raise PageTimeout(f"reading stopped after {seconds:g} s (--page-timeout)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
