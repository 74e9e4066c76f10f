"""Running one function over many files: here, in worker processes, or on a Dask cluster.

Takes a function of one input file and yields its results in input order, whatever
ran it; each worker process has one OpenCV and one BLAS thread, so N workers use N
cores.
"""

from __future__ import annotations

import logging
import logging.handlers
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

from batchreader.run.threads import ONE_THREAD, child_environment, single_threaded


def map_files(
    func: Callable,
    files: list,
    args: tuple,
    jobs: int,
    scheduler: str | None = None,
    dask_workers: int | None = None,
) -> Iterator[Any]:
    """Yield ``func(file, *args)`` for every file, in order.

    In this process (``jobs == 1``), in a local pool of ``jobs`` processes, or on a
    Dask cluster (``scheduler`` address, or a local cluster of ``dask_workers``
    processes).
    """
    if scheduler or dask_workers:
        from batchreader.run.distributed import dask_map

        yield from dask_map(func, files, *args, scheduler=scheduler, workers=dask_workers)
        return
    if jobs <= 1 or len(files) <= 1:
        for item in files:
            yield func(item, *args)
        return
    context = get_context("spawn")  # not fork: a library caller may hold threads (TensorFlow's, BLAS')
    records = context.Queue()
    listener = logging.handlers.QueueListener(records, _Forward())
    listener.start()
    try:
        yield from _pool_map(func, files, args, jobs, context, records)
    finally:
        listener.stop()


def _pool_map(func: Callable, files: list, args: tuple, jobs: int, context, records) -> Iterator[Any]:
    level = logging.getLogger("batchreader").getEffectiveLevel()
    with ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=_start_worker, initargs=(records, level)
    ) as pool:
        n = len(files)
        with child_environment(ONE_THREAD):  # the workers start with the first task
            results = pool.map(func, files, *([arg] * n for arg in args), chunksize=1)
        try:
            yield from results
        except BaseException:  # Ctrl-C, SIGTERM, a failure: the files not yet read are not waited for
            pool.shutdown(wait=False, cancel_futures=True)
            for process in list((pool._processes or {}).values()):  # no public way before Python 3.14
                process.terminate()
            raise


class _Forward(logging.Handler):
    """Hands a worker's log record to this process's logger of the same name, so that
    it is shown as this process's own are (one format, one level)."""

    def emit(self, record: logging.LogRecord) -> None:
        logging.getLogger(record.name).handle(record)


def _start_worker(records, level: int) -> None:
    """Worker set-up: its log records go to the parent (through ``records``) at the
    parent's level; see :func:`single_threaded` for the rest."""
    root = logging.getLogger()
    root.handlers[:] = [logging.handlers.QueueHandler(records)]
    root.setLevel(level)
    single_threaded()
