"""Real material: scan ../shared/realdev and print its scorer's figures.

    python benchmarks/real.py forms             # 17 real forms, sheets and photos
    python benchmarks/real.py cheques           # 1,080 cheque amount strips
    python benchmarks/real.py forms --field-model other.keras --out /tmp/forms.csv

The images are real scans found in public repositories and labelled by hand; their
licences are unknown, so they live outside the project and are never committed. The
scorer (``score.py`` beside them) counts a missed, an invented and a misread digit as
one error each. The figures beside the targets of issue 20 (forms) and 21 (cheques):
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import batchreader

REALDEV = Path(__file__).resolve().parent.parent.parent / "shared" / "realdev"
TARGETS = {
    "forms": {"cer": ("<=", 0.05), "reported": ("<=", 1.05), "lcs_recall": (">=", 0.97)},
    "cheques": {"exact": (">=", 0.85)},
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("set", choices=sorted(TARGETS))
    parser.add_argument("--realdev", type=Path, default=REALDEV, help="The real development material.")
    parser.add_argument("--model", type=Path, help="Digit model (default: shipped).")
    parser.add_argument("--field-model", type=Path, help="Field model (default: shipped).")
    parser.add_argument("--run-model", type=Path, help="Run model (default: shipped).")
    parser.add_argument("--out", type=Path, help="Keep the results CSV here.")
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    folder = args.realdev / args.set
    if not folder.is_dir():
        sys.exit(f"no real material at {folder}")
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp) / f"{args.set}.csv"
        started = time.monotonic()
        batchreader.scan(
            [folder],
            out,
            model=args.model,
            field_model=args.field_model,
            run_model=args.run_model,
            jobs=args.jobs,
            force=True,
        )
        seconds = time.monotonic() - started
        scored = subprocess.run(
            [sys.executable, str(args.realdev / "score.py"), args.set, str(out)],
            check=True,
            capture_output=True,
            text=True,
        )
    figures = json.loads(scored.stdout)
    print(f"{args.set}: {folder} in {seconds:.1f} s")
    per_image = figures.pop("per_image", None)
    met = True
    for key, value in figures.items():
        target = TARGETS[args.set].get(key)
        mark = ""
        if target:
            op, limit = target
            ok = value <= limit if op == "<=" else value >= limit
            met &= ok
            mark = f"   target {op} {limit}: {'met' if ok else 'NOT met'}"
        print(f"  {key:<18} {value}{mark}")
    if per_image:
        print(f"  {'image':<26} {'labelled':>8} {'reported':>8} {'lcs_recall':>10} {'cer':>8}")
        for image, f in per_image.items():
            print(f"  {image:<26} {f['labelled']:>8} {f['reported']:>8} {f['lcs_recall']:>10.4f} {f['cer']:>8.4f}")
    print("all targets met" if met else "targets not all met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
