"""A scan stopped from outside: SIGTERM is handled as Ctrl-C is, a scan killed with kill -9
leaves no workers behind, and the temporary file it left is cleared by the next run."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import batchreader
from batchreader.errors import ExitCode

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _children(pid: int) -> set[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in path.read_text().split()} if path.exists() else set()


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status  # a zombie has ended, only its parent has not asked


def _start_scan(tmp_path: Path, scans: Path) -> tuple[subprocess.Popen, Path, set[int]]:
    """A two-worker scan of 40 pages, once its workers are running."""
    folder = tmp_path / "in"
    folder.mkdir()
    for k in range(40):
        shutil.copy(scans / "clean.png", folder / f"page{k:02d}.png")
    out = tmp_path / "r.csv"
    argv = [sys.executable, "-m", "batchreader", "-q", "scan", str(folder), "--out", str(out), "--jobs", "2"]
    proc = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        workers = _children(proc.pid)
        if len(workers) >= 2 and list(tmp_path.glob(".r.*.part")):
            time.sleep(1.0)  # the workers past their start, a page or two read
            return proc, out, _children(proc.pid)
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.05)
    proc.kill()
    pytest.fail("the scan's workers did not start")


def _gone(pids: set[int], seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(_alive(p) for p in pids):
            return True
        time.sleep(0.1)
    return False


def test_sigterm_stops_the_scan_as_ctrl_c_does(tmp_path, scans):
    proc, out, workers = _start_scan(tmp_path, scans)
    os.kill(proc.pid, signal.SIGTERM)
    assert proc.wait(timeout=60) == ExitCode.TERMINATED
    assert "interrupted; no output was written" in proc.stderr.read()
    assert _gone(workers)
    assert not out.exists() and not list(tmp_path.glob(".r.*.part"))


def test_a_killed_scan_leaves_no_workers_and_the_next_run_clears_its_temporary_file(tmp_path, scans):
    proc, out, workers = _start_scan(tmp_path, scans)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert _gone(workers)  # they were told to end with their parent
    stale = list(tmp_path.glob(".r.*.part"))
    assert len(stale) == 1  # kill -9 gives no chance to clean up
    batchreader.scan([tmp_path / "in"], out, jobs=1)  # resumes from the journal
    assert not stale[0].exists()
    assert len(set(batchreader.read_results(out)["file"])) == 40
