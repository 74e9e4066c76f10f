"""The journal that makes a scan resumable.

As each input file is finished, its result rows are appended to a JSON-lines journal
beside the output (``.results.csv.journal``). A run that is killed (Ctrl-C, ``kill -9``,
a crash) and started again with the same command reads the journal, skips every file
it holds whose size and modification time are unchanged, and assembles exactly the
CSV an uninterrupted run would have written. A different model, dpi or option starts
over; so does ``--force``. The journal is removed when the output is complete.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from batchreader.io.atomic import write_error
from batchreader.io.pages import InputFile
from batchreader.schema import ResultRow

log = logging.getLogger(__name__)

FORMAT = 1


def journal_path(out: Path) -> Path:
    """Where the journal of ``out`` lives: a hidden file beside it."""
    return out.with_name(f".{out.name}.journal")


def signature(item: InputFile) -> list[int]:
    """What identifies an unchanged input file: its size and modification time (ns);
    an entry that cannot be opened has none, and is never taken as done."""
    try:
        st = item.path.stat()
    except OSError:
        return [-1, -1]
    return [st.st_size, st.st_mtime_ns]


class Journal:
    """Append-only record of finished files; see the module docstring."""

    def __init__(self, out: Path, settings: dict[str, Any], force: bool = False) -> None:
        self.path = journal_path(Path(out))
        self.settings = {"format": FORMAT, **settings}
        self.done: dict[str, tuple[list[int], list[ResultRow]]] = {}
        if not force:
            self._load()
        try:
            if not self.done:
                self._start()
            self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        except OSError as exc:
            raise write_error(self.path, exc) from exc

    def _load(self) -> None:
        if not self.path.is_file():
            return
        with open(self.path, encoding="utf-8") as fh:
            lines = fh.read().split("\n")
        try:
            header = json.loads(lines[0])
        except (json.JSONDecodeError, IndexError):
            return
        if header != self.settings:
            log.info("journal %s is for other settings (model, dpi or options): starting over", self.path)
            return
        for line in lines[1:]:
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # the line being written when the run was killed
            self.done[entry["file"]] = (entry["signature"], [ResultRow(*row) for row in entry["rows"]])
        if self.done:
            log.warning(
                "resuming: %d files already done (journal %s; --force reads all again)", len(self.done), self.path
            )

    def _start(self) -> None:
        self.done = {}
        with open(self.path, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(self.settings) + "\n")

    def finished(self, item: InputFile) -> list[ResultRow] | None:
        """The rows recorded for ``item`` if it is unchanged since, else None."""
        entry = self.done.get(item.name)
        if entry is None:
            return None
        return entry[1] if entry[0] == signature(item) else None

    def record(self, item: InputFile, rows: list[ResultRow]) -> None:
        """Append one finished file; flushed at once so a killed run keeps it."""
        entry = {"file": item.name, "signature": signature(item), "rows": [list(r.values()) for r in rows]}
        try:
            self._fh.write(json.dumps(entry) + "\n")
            self._fh.flush()
        except OSError as exc:  # beside the output, so the output could not be written either
            raise write_error(self.path, exc) from exc

    def close(self, complete: bool) -> None:
        """Close; remove the journal when the output it served is complete."""
        try:
            self._fh.close()
        except OSError:  # its last lines are lost: a rerun reads those files again
            log.warning("could not finish the journal %s", self.path)
        if complete:
            self.path.unlink(missing_ok=True)
