"""What the review-and-fine-tune loop is worth on real writers (issue 21).

    python benchmarks/review_loop.py --mnist ../shared/data/mnist.npz
    python benchmarks/review_loop.py --mnist ../shared/data/mnist.npz --review 200 --seed 0 --keep /tmp/loop

A clerk reviews the readings of ``--review`` cheque amount strips of
``../shared/realdev/cheques`` and types each amount right (from the labels, as a
reviewer would enter it in the review report, and exported as the report exports it:
one row per digit when the amount has as many digits as were found, confirmations
included; else one row for the whole field). ``batchreader train --corrections`` then
fine-tunes the shipped model on them, exactly as a user runs it, and the other strips
are scanned with the shipped and with the fine-tuned model. Printed: exact amounts and
digit LCS recall on the strips not reviewed, before and after, and the fine-tuned
model's MNIST test accuracy.

This model is never shipped: the real strips' licences are unknown, and the shipped
model is trained on MNIST and generated material only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import batchreader
from batchreader.io.results import bounds, read_results
from batchreader.read.modelcard import card_path
from batchreader.schema import CORRECTION_COLUMNS

REALDEV = Path(__file__).resolve().parent.parent.parent / "shared" / "realdev"


def _scorer(realdev: Path):
    """The real material's own scorer (``score.py`` beside it), as a module."""
    spec = importlib.util.spec_from_file_location("realdev_score", realdev / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def corrections_for(results: pd.DataFrame, truth: dict[str, str], reviewer: str) -> pd.DataFrame:
    """The corrections CSV a clerk exports after typing each strip's amount right (see
    the report's export): per digit when the count matches, else per field."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    rows = []
    read = results[results["status"] == "ok"]
    for file, field in read.groupby("file", sort=True):
        want = truth[os.path.basename(file)]
        field = field.sort_values("x")
        found = "".join(str(int(d)) for d in field["digit"])
        if len(want) == len(field):
            for (_, r), digit in zip(field.iterrows(), want):
                rows.append([file, r["page"], r["x"], r["y"], r["width"], r["height"], int(r["digit"]), digit])
        else:
            x0, y0, x1, y1 = bounds(field)
            rows.append([file, field["page"].iloc[0], x0, y0, x1 - x0, y1 - y0, found, want])
    frame = pd.DataFrame(rows, columns=CORRECTION_COLUMNS[:8])
    frame["note"], frame["reviewer"], frame["reviewed_at"] = "", reviewer, now
    return frame[CORRECTION_COLUMNS]


def exact(scorer, results_csv: Path, truth: dict[str, str]) -> tuple[float, float]:
    """Exact amounts and digit LCS recall over the strips of ``truth`` (score.py's rules)."""
    found = scorer.read_results(str(results_csv))
    right, hit, total = 0, 0, 0
    for image, want in truth.items():
        got = "".join(b[4] for b in sorted(found.get(image, [])))
        right += got == want
        hit += scorer.lcs(want, got)
        total += len(want)
    return right / len(truth), hit / total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mnist", type=Path, required=True, help="mnist.npz (mixed into the fine-tuning).")
    parser.add_argument("--realdev", type=Path, default=REALDEV, help="The real development material.")
    parser.add_argument("--review", type=int, default=200, help="Strips the clerk reviews.")
    parser.add_argument("--seed", type=int, default=0, help="Which strips are reviewed.")
    parser.add_argument("--epochs", type=int, default=3, help="train --corrections --epochs.")
    parser.add_argument("--keep", type=Path, help="Keep the results, corrections and model in this folder.")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    folder = args.realdev / "cheques"
    if not folder.is_dir():
        sys.exit(f"no real material at {folder}")
    scorer = _scorer(args.realdev)
    truth = scorer.labels("cheques")
    names = sorted(truth)
    order = np.random.default_rng(args.seed).permutation(len(names))
    reviewed = sorted(names[i] for i in order[: args.review])
    others = sorted(names[i] for i in order[args.review :])

    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        first = work / "reviewed.csv"
        batchreader.scan([folder / n for n in reviewed], first, force=True)
        corrections = corrections_for(read_results(first), truth, "benchmark")
        corrections.to_csv(work / "corrections.csv", index=False)
        per_digit = int((corrections["corrected_digit"].str.len() == 1).sum())
        changed = int((corrections["digit"].astype(str) != corrections["corrected_digit"]).sum())

        model = work / "fine-tuned.keras"
        started = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "batchreader", "-q", "train", "--corrections", str(work / "corrections.csv")]
            + ["--results", str(first), "--data", str(args.mnist), "--epochs", str(args.epochs)]
            + ["--out", str(model)],
            check=True,
        )
        tuning = time.monotonic() - started
        card = json.loads(card_path(model).read_text())

        before, after = work / "before.csv", work / "after.csv"
        batchreader.scan([folder / n for n in others], before, force=True)
        batchreader.scan([folder / n for n in others], after, model=model, force=True)
        rest = {n: truth[n] for n in others}
        b_exact, b_lcs = exact(scorer, before, rest)
        a_exact, a_lcs = exact(scorer, after, rest)

    mnist = card["metrics"]["mnist_test"]
    print(f"review loop: {len(reviewed)} strips reviewed (seed {args.seed}), {len(others)} others scored")
    whole = len(corrections) - per_digit
    print(f"  corrections        {per_digit} digits ({changed} changed), {whole} whole fields (not trained on)")
    print(f"  fine-tuning        {tuning:.0f} s, {card['fine_tuning']['used_for_training']} digits trained on")
    print(f"  exact, others      {b_exact:.1%} -> {a_exact:.1%}")
    print(f"  digit LCS, others  {b_lcs:.1%} -> {a_lcs:.1%}")
    print(f"  MNIST test         {mnist['accuracy']:.2%} (fine-tuned)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
