"""Writing results: CSV files that appear whole or not at all."""

from __future__ import annotations

from batchreader.io.atomic import AtomicOutput, write_error
from batchreader.schema import CONFIDENCE_DECIMALS, FIELD_COLUMNS, Status


class CsvStream:
    """A CSV written in chunks of rows (each file's, as it finishes) to an atomic output:
    memory stays flat however many pages a run reads, and the bytes are those of the
    whole frame written at once. The one place results CSVs get their format."""

    def __init__(self, output: AtomicOutput) -> None:
        self.output = output
        # a file name that is not UTF-8 (bytes the file system allows) is written as its
        # own bytes, and read back the same by read_results
        self._fh = open(output.tmp, "w", encoding="utf-8", errors="surrogateescape", newline="")  # noqa: SIM115
        self._header = True

    def write(self, frame) -> None:
        try:
            frame.to_csv(
                self._fh,
                index=False,
                header=self._header,
                float_format=f"%.{CONFIDENCE_DECIMALS}f",
                lineterminator="\n",
            )
        except OSError as exc:  # a full disk, a quota, a vanished mount
            raise write_error(self.output.path, exc) from exc
        self._header = False

    def commit(self) -> None:
        try:
            self._fh.close()  # the last buffer is written here
        except OSError as exc:
            self.output.discard()
            raise write_error(self.output.path, exc) from exc
        self.output.commit()

    def discard(self) -> None:
        self._fh.close()
        self.output.discard()


def write_frame(frame, output: AtomicOutput) -> None:
    """Write a DataFrame as CSV to ``output`` and commit it."""
    stream = CsvStream(output)
    try:
        stream.write(frame)
        stream.commit()
    except BaseException:
        stream.discard()
        raise


def fields_frame(results):
    """One row per field (a written number) from a results frame: its digits as a string
    (leading zeros kept), how many, the weakest confidence, and the box around them."""
    import pandas as pd

    digits = results[results["status"].isin([Status.OK.value, Status.REVIEWED.value])]
    rows = []
    for (file, page, line, fld), group in digits.groupby(["file", "page", "line", "field"], sort=False):
        group = group.sort_values("index")
        x0, y0 = int(group["x"].min()), int(group["y"].min())
        x1 = int((group["x"] + group["width"]).max())
        y1 = int((group["y"] + group["height"]).max())
        rows.append(
            [
                file,
                int(page),
                int(line),
                int(fld),
                "".join(str(int(d)) for d in group["digit"]),
                len(group),
                float(group["confidence"].min()),
                x0,
                y0,
                x1 - x0,
                y1 - y0,
            ]
        )
    frame = pd.DataFrame(rows, columns=FIELD_COLUMNS)
    frame["value"] = frame["value"].astype("string")
    return frame
