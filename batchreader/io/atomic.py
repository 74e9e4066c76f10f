"""Files that appear whole or not at all: written under a temporary name, then renamed."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from batchreader.errors import OutputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class AtomicOutput:
    """A temporary file in the target folder, renamed over ``path`` by :meth:`commit`.

    Creating it checks that the destination is writable before any work starts; if
    the work fails, :meth:`discard` removes the temporary file and an older output
    stays intact.
    """

    def __init__(self, path: Path | str, suffix: str = ".part") -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise OutputError(f"output is a folder: {self.path}", "give a file name")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.stem}.", suffix=suffix)
            os.close(fd)
        except OSError as exc:
            raise OutputError(f"cannot write {self.path}: {exc.strerror or exc}", "choose a writable location") from exc
        self.tmp = Path(tmp)

    def commit(self) -> None:
        """Move the finished temporary file into place, with ordinary file permissions."""
        try:
            os.chmod(self.tmp, 0o666 & ~_umask())
            os.replace(self.tmp, self.path)
        except OSError as exc:
            self.discard()
            raise OutputError(f"cannot write {self.path}: {exc.strerror or exc}") from exc

    def discard(self) -> None:
        """Remove the temporary file (after a failure)."""
        self.tmp.unlink(missing_ok=True)
