"""What went wrong on benchmark pages: each error of a kept run, by kind.

Reads the ``truth.csv`` and ``results.csv`` that ``benchmarks/accuracy.py --keep DIR``
leaves (or results of another scan of ``DIR/scans``, with ``--results``) and puts
every true digit not read correctly, and every digit found where none was written,
in one kind (``batchreader.verify.scoring.KINDS``: merged with a neighbour, swallowed by
one, misread, dropped, a piece of a split digit, invented).

Prints counts per kind and style and the commonest misreadings; ``--csv``
lists every error with its boxes, ``--crops DIR`` writes an image of each around
its true box (PNG, the file and kind in the name) to look at.

    .venv/bin/python benchmarks/accuracy.py --mnist ../shared/data/mnist.npz --styles touching --pages 175 \
        --keep /tmp/sweep
    .venv/bin/python benchmarks/errors.py /tmp/sweep --crops /tmp/sweep/errors
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import cv2
import pandas as pd

from batchreader.io.pages import InputFile, Page, read_pages
from batchreader.io.results import read_results
from batchreader.verify.scoring import BOX, KINDS, errors


def write_crops(errs: pd.DataFrame, scans: Path, out: Path) -> None:
    """An image of each error around its true (else found) box: truth in green, the
    found box in red."""
    out.mkdir(parents=True, exist_ok=True)
    for file, group in errs.groupby("file", sort=True):
        pages = {p.number: p for p in read_pages(InputFile(scans / file, file)) if isinstance(p, Page)}
        for n, e in enumerate(group.itertuples()):
            page = pages.get(e.page)
            if page is None:
                continue
            box = [getattr(e, f"true_{k}") for k in BOX]
            if pd.isna(box[0]):
                box = [getattr(e, f"found_{k}") for k in BOX]
            x, y, w, h = (int(v) for v in box)
            x0, y0 = max(0, x - 2 * h), max(0, y - h // 2)
            crop = cv2.cvtColor(page.gray[y0 : y + h + h // 2, x0 : x + w + 2 * h], cv2.COLOR_GRAY2BGR)
            for prefix, colour in (("true", (0, 160, 0)), ("found", (0, 0, 220))):
                b = [getattr(e, f"{prefix}_{k}") for k in BOX]
                if not pd.isna(b[0]):
                    bx, by, bw, bh = (int(v) for v in b)
                    cv2.rectangle(crop, (bx - x0, by - y0), (bx - x0 + bw - 1, by - y0 + bh - 1), colour, 1)
            truth = "-" if pd.isna(e.digit) else int(e.digit)
            read = "-" if pd.isna(e.read) else int(e.read)
            name = f"{e.kind}-{Path(file).stem}-p{e.page}-{n:03d}-true{truth}-read{read}.png"
            cv2.imwrite(str(out / name), crop)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kept", type=Path, help="a folder left by benchmarks/accuracy.py --keep")
    parser.add_argument("--results", type=Path, default=None, help="results to score (default: KEPT/results.csv)")
    parser.add_argument("--csv", type=Path, default=None, help="write every error here")
    parser.add_argument("--crops", type=Path, default=None, help="write an image of every error into this folder")
    args = parser.parse_args()
    truth = pd.read_csv(args.kept / "truth.csv")
    results = read_results(args.results or args.kept / "results.csv")
    errs = errors(results, truth)
    print(f"{len(truth)} true digits; errors by kind (a merged pair often costs a merged and a swallowed digit)")
    if errs.empty:
        print("none")
        return
    table = errs.pivot_table(index="style", columns="kind", values="file", aggfunc="count", fill_value=0)
    table = table.reindex(columns=[k for k in KINDS if k in table.columns])
    table["all"] = table.sum(axis=1)
    print(table.to_string())
    misread = errs[errs["kind"].isin(["merged", "misread"])]
    pairs = Counter((int(d), int(r)) for d, r in zip(misread["digit"], misread["read"]))
    print("commonest misreadings (true -> read):", ", ".join(f"{d}->{r}: {n}" for (d, r), n in pairs.most_common(10)))
    if args.csv:
        errs.to_csv(args.csv, index=False)
    if args.crops:
        write_crops(errs, args.kept / "scans", args.crops)


if __name__ == "__main__":
    main()
