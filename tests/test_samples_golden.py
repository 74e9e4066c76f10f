"""The bundled samples read to a committed golden CSV, byte for byte.

The pipeline is deterministic with the pinned dependencies and the shipped model; a
change to segmentation, the model or the CSV format shows up here first. When the
change is intended, regenerate the golden file from the working tree (the venv's
``batchreader`` command is the copy ``make install`` made) and review its diff:

    PYTHONPATH=. .venv/bin/python -m batchreader scan samples --out tests/data/samples_golden.csv --force
"""

from __future__ import annotations

from pathlib import Path

import batchreader

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "data" / "samples_golden.csv"


def test_samples_match_the_golden_csv(tmp_path):
    out = tmp_path / "results.csv"
    summary = batchreader.scan([ROOT / "samples"], out)
    assert summary.files == 5 and summary.failed == 0
    assert out.read_text() == GOLDEN.read_text()
