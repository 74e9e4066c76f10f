"""Sending pages to a Dask cluster (optional: ``pip install batchreader[dask]``).

Workers read whole files exactly as local worker processes do: decode, segment,
classify (each worker loads the model once and keeps it), and send back the file's
result rows; the client only journals them and writes the CSV, so a cluster run
writes the same CSV byte for byte as a local run. The only traffic is scans' paths
out and result rows back. The scans must be readable at the same path on every
worker (shared storage), and every worker needs batchreader installed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from batchreader.errors import BatchreaderError

log = logging.getLogger(__name__)

WINDOW = 64
"""Files in flight at once per worker: keeps memory flat on the client for any batch size."""


def dask_map(
    func: Callable, files: list, *args: Any, scheduler: str | None = None, workers: int | None = None
) -> Iterator:
    """Yield ``func(file, *args)`` for every file, in order, computed on a Dask cluster."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise BatchreaderError("the Dask backend is not installed", "pip install 'batchreader[dask]'") from exc

    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        from batchreader.run.threads import ONE_THREAD, child_environment

        with child_environment(ONE_THREAD):
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        log.info("Dask: %d workers at %s", n_workers, client.scheduler.address)
        client.run(_single_threaded_opencv)
        window = WINDOW * n_workers
        futures = []
        for i, item in enumerate(files):
            futures.append(client.submit(func, item, *args, pure=False, key=f"batchreader-{i}-{item.name}"))
            if len(futures) >= window:
                yield futures.pop(0).result()
        while futures:
            yield futures.pop(0).result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _single_threaded_opencv() -> None:
    from batchreader.run.threads import single_threaded

    single_threaded()
