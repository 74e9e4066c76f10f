"""Generated amount strips read with ``--layout field``: the second check of issue 21.

Writes strips of 2-7 MNIST test digits (``batchreader.training.stripsynth``), on plain paper
and on security backgrounds, as JPEG files, runs the real ``batchreader.scan`` with
``--layout field`` and prints the share of strips read exactly (every digit right,
nothing extra) and the digit LCS recall, per background. The real check is
``benchmarks/real.py cheques``.

    .venv/bin/python benchmarks/strips.py --mnist ../shared/data/mnist.npz --strips 300
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

import cv2
import numpy as np

import batchreader
from batchreader.io.results import read_results
from batchreader.training.stripsynth import render_strip


def _lcs(a: str, b: str) -> int:
    prev = [0] * (len(b) + 1)
    for ca in a:
        cur = [0]
        for j, cb in enumerate(b):
            cur.append(prev[j] + 1 if ca == cb else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", type=Path, required=True)
    parser.add_argument("--strips", type=int, default=300, help="strips per background")
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--keep", type=Path, default=None, help="write the strips and results here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    with np.load(args.mnist) as data:
        x, y = data["x_test"], data["y_test"]
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        truth: dict[str, tuple[str, str]] = {}
        for background in ("plain", "pattern"):
            folder = root / background
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(args.strips):
                pick = rng.integers(len(x), size=int(rng.integers(2, 8)))
                strip = render_strip(x[pick], y[pick], rng, pattern=background == "pattern")
                name = f"{background}_{i:04d}.png"
                cv2.imwrite(str(folder / name), strip.gray)
                truth[name] = (background, strip.digits)
        with open(root / "truth.csv", "w", encoding="utf-8") as f:
            f.write("image,digits\n" + "".join(f"{n},{d}\n" for n, (_, d) in truth.items()))
        out = root / "results.csv"
        batchreader.scan(
            [root / "plain", root / "pattern"], out, model=args.model, jobs=args.jobs, layout="field", force=True
        )
        rows = read_results(out)
    rows = rows[rows["status"].isin(["ok", "reviewed"])].sort_values(["file", "x"])
    read = {Path(f).name: "".join(str(int(d)) for d in g["digit"]) for f, g in rows.groupby("file")}
    print(f"{'background':<10} {'strips':>6} {'exact':>7} {'lcs recall':>10}")
    for background in ("plain", "pattern"):
        names = [n for n, (b, _) in truth.items() if b == background]
        exact = np.mean([read.get(n, "") == truth[n][1] for n in names])
        lcs = sum(_lcs(truth[n][1], read.get(n, "")) for n in names) / sum(len(truth[n][1]) for n in names)
        print(f"{background:<10} {len(names):>6} {exact:>7.1%} {lcs:>10.1%}")


if __name__ == "__main__":
    main()
