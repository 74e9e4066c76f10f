"""Classifier throughput (digits per second, batched) and accuracy on the MNIST test split.

Throughput is measured two ways: in one process (NumPy's BLAS using every core), and
as a scan uses it, in ``--jobs`` worker processes with one thread each, every worker
classifying its share of the digits (the figure that bounds a scan).

    .venv/bin/python benchmarks/classifier.py --mnist ../shared/data/mnist.npz --runs 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from batchreader.read.classify import BATCH_SIZE, Classifier
from batchreader.run.pipeline import ONE_THREAD, child_environment
from batchreader.training.digits import load_mnist
from batchreader.training.evaluation import evaluate_on_mnist


def _classify_share(model: Path | None, x: np.ndarray, start_at: float) -> float:
    """Load the model, wait for the common start, classify ``x``; returns the end time."""
    clf = Classifier.load(model)
    clf.predict(x[:256])  # warm-up
    time.sleep(max(0.0, start_at - time.time()))
    clf.predict(x)
    return time.time()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", type=Path, required=True)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    clf = Classifier.load(args.model)
    data = load_mnist(args.mnist)
    x = (data.x_test.astype(np.float32) / 255.0)[..., None]
    clf.predict(x[:2048])  # warm-up
    rates = []
    for _ in range(args.runs):
        started = time.perf_counter()
        clf.predict(x)
        rates.append(len(x) / (time.perf_counter() - started))
    shares = np.array_split(x, args.jobs)
    parallel = []
    with (
        child_environment(ONE_THREAD),
        ProcessPoolExecutor(args.jobs, mp_context=get_context("spawn")) as pool,
    ):
        for _ in range(args.runs):
            start_at = time.time() + 2.0  # every worker loaded and warm
            ends = list(pool.map(_classify_share, [args.model] * args.jobs, shares, [start_at] * args.jobs))
            parallel.append(len(x) / (max(ends) - start_at))
    scores = evaluate_on_mnist(clf, data)
    print(f"model                   {clf.path.name} ({clf.card['architecture']['parameters']} parameters)")
    print(f"one process, digits/s   {statistics.median(rates):,.0f} (median of {args.runs}, batches of {BATCH_SIZE})")
    print(f"{args.jobs} workers, digits/s     {statistics.median(parallel):,.0f} (median of {args.runs})")
    print(f"MNIST test accuracy     {scores.accuracy:.4%}")
    print(f"ECE                     {scores.expected_calibration_error:.4%}")
    print(f"error in top 95%        {scores.error_rate_top95:.4%}")


if __name__ == "__main__":
    main()
