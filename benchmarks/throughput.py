"""Throughput of `batchreader scan` against the floor of decoding and thresholding each page once.

Generates (once, cached) a set of realistic pages: A4, 200 and 300 dpi, PNG, colour
JPEG, multi-page 1-bit TIFF and PDF, 50-150 handwritten digits each, made from MNIST
test digits. Then, in the same run:

- the floor: every page decoded and Otsu-thresholded once, single-threaded;
- the stages of batchreader on one thread, per page: decode, segment, fields (the
  field model telling numbers from the rest), and classify
  (cutting, framing and classifying the candidates, choosing the readings);
- `batchreader scan --jobs N` end to end as a subprocess, several runs: pages/s,
  digits/s, the ratio to the floor, the largest process's peak RSS, and the time until
  the first file's results reach the journal;
- with ``--memory-copies K``, one more scan of the set K times over (1,000 pages for
  K=5), for the peak memory of a long run.

    .venv/bin/python benchmarks/throughput.py --mnist ../shared/data/mnist.npz --pages 200 --runs 3
    .venv/bin/python benchmarks/throughput.py --mnist ../shared/data/mnist.npz --runs 1 --memory-copies 5
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from batchreader.io.journal import journal_path
from batchreader.io.pages import discover, read_pages
from batchreader.training.pagesynth import STYLES, render_pages, save_scan

A4 = (210.0, 297.0)
MIX = [  # style, dpi, container, pages per file
    ("clean", 300, ".png", 1),
    ("blue-ink", 300, ".jpg", 1),
    ("photo", 200, ".jpg", 1),
    ("fax", 200, ".tif", 4),
    ("pencil", 300, ".pdf", 4),
    ("small-200dpi", 200, ".png", 1),
]


def make_pages(mnist: Path, folder: Path, pages: int) -> None:
    with np.load(mnist) as data:
        x, y = data["x_test"], data["y_test"]
    folder.mkdir(parents=True, exist_ok=True)
    made, k = 0, 0
    while made < pages:
        name, dpi, suffix, per_file = MIX[k % len(MIX)]
        style = replace(STYLES[name], dpi=dpi, page_mm=A4, rows=16, fields_per_row=(1, 3), digits_per_field=(2, 6))
        count = min(per_file, pages - made)
        group = render_pages(np.roll(x, -97 * k, axis=0), np.roll(y, -97 * k), count, style, seed=k)
        save_scan(group, folder / f"{k:04d}-{name}{suffix}", dpi, binary=style.binary)
        made += count
        k += 1
    print(f"generated {made} pages in {folder}", file=sys.stderr)


def floor(folder: Path) -> tuple[int, float]:
    """Decode every page and threshold it once (Otsu), single-threaded."""
    started = time.perf_counter()
    n = 0
    for item in discover([folder]):
        for page in read_pages(item):
            cv2.threshold(page.gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
            n += 1
    return n, time.perf_counter() - started


def stages(folder: Path, sample: int = 12) -> dict[str, float]:
    """Seconds per page of each stage, on one thread, over the first pages."""
    from batchreader.read.classify import Classifier
    from batchreader.read.fieldkind import FieldClassifier, not_numbers
    from batchreader.read.fields import page_rows
    from batchreader.read.reading import classify_glyphs
    from batchreader.segment.glyphs import segment

    cv2.setNumThreads(1)  # (run with OPENBLAS_NUM_THREADS=1 for one BLAS thread too)
    clf = Classifier.load()
    clf.predict(np.zeros((64, 28, 28, 1), np.float32))
    fields = FieldClassifier.load()
    t = {"decode": 0.0, "segment": 0.0, "fields": 0.0, "classify": 0.0}
    n = 0
    for item in discover([folder]):
        t0 = time.perf_counter()
        pages = list(read_pages(item))
        t["decode"] += time.perf_counter() - t0
        for page in pages:
            t0 = time.perf_counter()
            glyphs = segment(page.gray, page.dpi)
            t1 = time.perf_counter()
            not_read = set(not_numbers(glyphs, page.gray.shape, fields))
            t2 = time.perf_counter()
            chosen = classify_glyphs(glyphs, clf)
            page_rows(page.file, page.number, chosen, keep_rejected=False, not_numbers=not_read)
            t3 = time.perf_counter()
            t["segment"] += t1 - t0
            t["fields"] += t2 - t1
            t["classify"] += t3 - t2
            n += 1
        if n >= sample:
            break
    return {k: v / n for k, v in t.items()}


def end_to_end(folder: Path, jobs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "results.csv"
        cmd = [sys.executable, "-m", "batchreader", "-q", "scan", str(folder), "--out", str(out), "-j", str(jobs)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        started = time.perf_counter()
        proc = subprocess.Popen(cmd)
        first = None
        journal = journal_path(out)
        while proc.poll() is None:
            if first is None and journal.exists() and journal.read_text().count("\n") >= 2:
                first = time.perf_counter() - started
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        if proc.returncode != 0:
            raise SystemExit(f"scan failed with exit code {proc.returncode}")
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        frame = pd.read_csv(out)
        pages = len(frame[frame["status"] != "error"][["file", "page"]].drop_duplicates())
        return {
            "seconds": seconds,
            "pages": pages,
            "digits": int((frame["status"] == "ok").sum()),
            "first": first if first is not None else seconds,
            "peak_mb": max(peak_kb, before) / 1024,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", type=Path, required=True)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "batchreader-bench-pages")
    parser.add_argument(
        "--memory-copies",
        type=int,
        default=0,
        help="also scan the page set this many times over in one run (hard links), for memory",
    )
    args = parser.parse_args()
    folder = args.cache / f"{args.pages}"
    if not folder.exists():
        make_pages(args.mnist, folder, args.pages)

    floors = [floor(folder) for _ in range(args.runs)]
    n_pages = floors[0][0]
    floor_rate = statistics.median(n / s for n, s in floors)
    per_stage = stages(folder)
    runs = [end_to_end(folder, args.jobs) for _ in range(args.runs)]
    rate = statistics.median(r["pages"] / r["seconds"] for r in runs)
    digits_rate = statistics.median(r["digits"] / r["seconds"] for r in runs)
    print(f"pages                        {n_pages} ({runs[0]['digits']} digits read)")
    print(f"floor (decode + threshold)   {floor_rate:.1f} pages/s, single thread")
    for stage, seconds in per_stage.items():
        print(f"  stage {stage:<9}            {seconds * 1000:.0f} ms/page, single thread")
    print(f"scan --jobs {args.jobs}                {rate:.2f} pages/s, {digits_rate:.0f} digits/s")
    print(f"ratio to the floor           {rate / floor_rate:.1%}")
    print(f"time to first output         {statistics.median(r['first'] for r in runs):.1f} s")
    print(f"peak RSS (largest process)   {max(r['peak_mb'] for r in runs):.0f} MB")
    print(f"(medians of {args.runs} runs)")
    if args.memory_copies:
        with tempfile.TemporaryDirectory() as tmp:
            many = Path(tmp) / "pages"
            for k in range(args.memory_copies):
                (many / f"copy{k}").mkdir(parents=True)
                for f in sorted(folder.iterdir()):
                    _link(f, many / f"copy{k}" / f.name)
            big = end_to_end(many, args.jobs)
        rate = big["pages"] / big["seconds"]
        print(f"{big['pages']} pages in one run        {big['seconds']:.1f} s ({rate:.2f} pages/s)")
        print(f"peak RSS (largest process)   {big['peak_mb']:.0f} MB (over every run above)")


def _link(src: Path, dst: Path) -> None:
    try:
        dst.hardlink_to(src)
    except OSError:  # another file system
        shutil.copyfile(src, dst)


if __name__ == "__main__":
    main()
