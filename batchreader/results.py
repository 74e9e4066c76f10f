"""Writing results: CSV files that appear whole or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from batchreader.errors import OutputError
from batchreader.schema import CONFIDENCE_DECIMALS, ResultRow, rows_to_frame


class AtomicOutput:
    """A file written under a temporary name in the target folder and renamed into place.

    Creating it checks that the destination is writable before any work starts;
    if the run fails, the temporary file is removed and the old output stays intact.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise OutputError(f"output is a folder: {self.path}", "give a file name such as results.csv")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".part")
            os.close(fd)
        except OSError as exc:
            raise OutputError(f"cannot write {self.path}: {exc.strerror or exc}", "choose a writable location") from exc
        self.tmp = Path(tmp)

    def commit(self) -> None:
        """Move the finished temporary file into place."""
        try:
            os.replace(self.tmp, self.path)
        except OSError as exc:
            self.discard()
            raise OutputError(f"cannot write {self.path}: {exc.strerror or exc}") from exc

    def discard(self) -> None:
        """Remove the temporary file (after a failure)."""
        self.tmp.unlink(missing_ok=True)


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
