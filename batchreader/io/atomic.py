"""Files that appear whole or not at all: written under a temporary name, then renamed."""

from __future__ import annotations

import errno
import glob
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from batchreader.errors import OutputClashError, OutputError

STREAMS = frozenset({"/dev/null", "/dev/stdout", "/dev/stderr"})
"""Special files an output may name: written straight through, as a pipe is."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class AtomicOutput:
    """A temporary file in the target folder, renamed over ``path`` by :meth:`commit`.

    Creating it checks that the destination is writable before any work starts; if
    the work fails, :meth:`discard` removes the temporary file and an older output
    stays intact. A symlink is written through to its target (the link stays a link);
    /dev/null, /dev/stdout and /dev/stderr are written straight to; any other device,
    FIFO or socket is refused.
    """

    def __init__(self, path: Path | str, suffix: str = ".part") -> None:
        self.path = Path(path)
        self.direct = is_stream(self.path)
        if self.direct:
            self.tmp = self.path
            return
        self.path = Path(os.path.realpath(self.path)) if self.path.is_symlink() else self.path
        if self.path.is_dir():
            raise OutputError(f"output is a folder: {self.path}", "give a file name")
        if self.path.exists() and not stat.S_ISREG(self.path.stat().st_mode):
            raise OutputError(f"output is not a regular file: {self.path}", "give a file name (or /dev/stdout)")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            _remove_stale(self.path, suffix)
            prefix = f".{self.path.stem}.{os.getpid()}."
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=prefix, suffix=suffix)
            os.close(fd)
        except OSError as exc:
            raise write_error(self.path, exc) from exc
        self.tmp = Path(tmp)

    def commit(self) -> None:
        """Move the finished temporary file into place, with ordinary file permissions."""
        if self.direct:
            return
        try:
            os.chmod(self.tmp, 0o666 & ~_umask())
            os.replace(self.tmp, self.path)
        except OSError as exc:
            self.discard()
            raise write_error(self.path, exc) from exc

    def discard(self) -> None:
        """Remove the temporary file (after a failure)."""
        if not self.direct:
            self.tmp.unlink(missing_ok=True)


class AtomicFolder:
    """A temporary folder beside ``path``, put in its place by :meth:`commit`: an output
    of several files (a report and its pictures) appears whole or not at all.

    A folder already at ``path`` is replaced only when everything in it is one of
    ``owned`` (what an earlier run wrote there); a folder holding anything else is
    refused before any work starts, so nothing of the user's is ever overwritten.
    """

    def __init__(self, path: Path | str, owned: Iterable[str], suffix: str = ".part") -> None:
        self.path = Path(path)
        owned = set(owned)
        if self.path.exists():
            if not self.path.is_dir():
                raise OutputError(f"output is not a folder: {self.path}", "give a folder, or a name ending in .html")
            theirs = sorted(p.name for p in self.path.iterdir() if p.name not in owned)
            if theirs:
                raise OutputClashError(
                    f"the folder {self.path} holds files this report did not write ({', '.join(theirs[:3])})",
                    "give a new or empty folder",
                )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            _remove_stale(self.path, suffix)
            self.tmp = Path(
                tempfile.mkdtemp(dir=self.path.parent, prefix=f".{self.path.stem}.{os.getpid()}.", suffix=suffix)
            )
        except OSError as exc:
            raise write_error(self.path, exc) from exc

    def commit(self) -> None:
        """Move the finished folder into place (an earlier one is removed only after)."""
        try:
            os.chmod(self.tmp, 0o777 & ~_umask())
            old = None
            if self.path.exists():
                old = self.path.with_name(f".{self.path.stem}.{os.getpid()}.old{self.tmp.suffix}")
                os.replace(self.path, old)
            os.replace(self.tmp, self.path)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        except OSError as exc:
            self.discard()
            raise write_error(self.path, exc) from exc

    def discard(self) -> None:
        """Remove the temporary folder (after a failure)."""
        shutil.rmtree(self.tmp, ignore_errors=True)


def _remove_stale(path: Path, suffix: str) -> None:
    """Remove the temporary files of ``path`` left by runs that were killed (their
    names carry the process id that wrote them; one still running keeps its own)."""
    for stale in path.parent.glob(f".{glob.escape(path.stem)}.*{suffix}"):
        fields = stale.name[len(path.stem) + 2 :].split(".")
        if not fields[0].isdigit() or int(fields[0]) == os.getpid():
            continue
        try:
            os.kill(int(fields[0]), 0)  # signal 0: only asks whether the process exists
        except PermissionError:  # it does, another user's
            continue
        except (ProcessLookupError, OverflowError):
            if stale.is_dir():  # an AtomicFolder's
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)


def write_error(path: Path, exc: OSError) -> OutputError:
    """The OutputError for an OSError met while writing ``path``, in plain words."""
    if exc.errno == errno.ENOSPC:
        return OutputError(f"cannot write {path}: the disk is full", "free some space and run again: the scan resumes")
    if exc.errno == errno.EDQUOT:
        return OutputError(f"cannot write {path}: over the disk quota", "free some space and run again")
    return OutputError(f"cannot write {path}: {exc.strerror or exc}", "choose a writable location")


def output_path(path: Path | str | None) -> Path | None:
    """An output as given, with ``-`` meaning stdout."""
    return None if path is None else Path("/dev/stdout") if str(path) == "-" else Path(path)


def is_stream(path: Path | str | None) -> bool:
    """Whether ``path`` names one of :data:`STREAMS` (written straight to, never renamed)."""
    return path is not None and (str(path) in STREAMS or os.path.realpath(path) in STREAMS)


def check_folders(outputs: dict[str, Path | str | None], mkdir: bool = False) -> None:
    """Refuse outputs (by option name) that are folders, or in a folder that does not
    exist unless ``mkdir`` (then create it): a typo is not a new folder."""
    for option, path in outputs.items():
        if path is None or is_stream(path):
            continue
        path = Path(path)
        if path.is_dir():
            raise OutputError(f"output is a folder: {path}", "give a file name")
        if not path.parent.exists():
            if not mkdir:
                raise OutputError(
                    f"{option} {path}: the folder {path.parent} does not exist", "create it, or give --mkdir"
                )
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise write_error(path, exc) from exc


def check_writable(path: Path | str, folder: Iterable[str] | None = None) -> None:
    """Raise OutputError now if ``path`` could not be written later (the check
    :class:`AtomicOutput` makes, for an output written at the end of a run); with
    ``folder``, an output that is a folder of those files (:class:`AtomicFolder`)."""
    (AtomicFolder(path, folder) if folder is not None else AtomicOutput(path)).discard()


def _identities(path: Path) -> set:
    """What makes two paths one file: the path with its links resolved, and the file's
    device and inode when it exists (a hard link, a bind mount)."""
    found: set = {os.path.realpath(path)}
    try:
        st = path.stat()
        found.add((st.st_dev, st.st_ino))
    except OSError:
        pass
    return found


def check_outputs(outputs: dict[str, Path | str | None], inputs: Iterable[Path]) -> None:
    """Refuse outputs (by option name, such as ``--out``) that name the same file as
    each other or as one of the ``inputs`` (the scan files to be read), through links
    too: raise OutputClashError before anything is read or written."""
    named = [(option, Path(path)) for option, path in outputs.items() if path is not None and not is_stream(path)]
    seen: dict = {}  # identity -> the option that named it
    for option, path in named:
        for identity in _identities(path):
            if identity in seen:
                raise OutputClashError(
                    f"{seen[identity]} and {option} name the same file: {path}", "give each its own file"
                )
            seen[identity] = option
    for source in inputs:  # each input's identities once, however many outputs
        for identity in _identities(source):
            if identity in seen:
                raise OutputClashError(
                    f"{seen[identity]} names an input scan: {source}",
                    "write the results to a file that is not being read",
                )
