"""Classifier throughput (digits per second, batched) and accuracy on the MNIST test split.

.venv/bin/python benchmarks/classifier.py --mnist ../shared/data/mnist.npz --runs 5
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from batchreader.classify import BATCH_SIZE, Classifier
from batchreader.evaluation import evaluate_on_mnist
from batchreader.training import load_mnist


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", type=Path, required=True)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    clf = Classifier.load(args.model)
    data = load_mnist(args.mnist)
    x = (data.x_test.astype(np.float32) / 255.0)[..., None]
    clf.predict(x[:2048])  # warm-up: graph tracing and thread pools
    rates = []
    for _ in range(args.runs):
        started = time.perf_counter()
        clf.predict(x)
        rates.append(len(x) / (time.perf_counter() - started))
    scores = evaluate_on_mnist(clf, data)
    print(f"model                 {clf.path.name} ({clf.card['architecture']['parameters']} parameters)")
    print(f"classifier digits/s   {statistics.median(rates):,.0f} (median of {args.runs}, batches of {BATCH_SIZE})")
    print(f"MNIST test accuracy   {scores.accuracy:.4%}")
    print(f"ECE                   {scores.expected_calibration_error:.4%}")
    print(f"error in top 95%      {scores.error_rate_top95:.4%}")


if __name__ == "__main__":
    main()
