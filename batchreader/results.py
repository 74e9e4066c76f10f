"""Writing results: CSV files that appear whole or not at all."""

from __future__ import annotations

from batchreader.atomic import AtomicOutput
from batchreader.schema import CONFIDENCE_DECIMALS, ResultRow, rows_to_frame


def write_frame(frame, output: AtomicOutput) -> None:
    """Write a DataFrame as CSV to ``output`` and commit it."""
    try:
        frame.to_csv(output.tmp, index=False, float_format=f"%.{CONFIDENCE_DECIMALS}f", lineterminator="\n")
        output.commit()
    except BaseException:
        output.discard()
        raise


def write_results(rows: list[ResultRow], output: AtomicOutput) -> None:
    """Write result rows in the schema's column order and commit the file."""
    write_frame(rows_to_frame(rows), output)
