"""Resumable scans and the Dask backend: both must give the local run's CSV byte for byte."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

import batchreader
from batchreader.io.journal import journal_path


@pytest.fixture(scope="module")
def many_files(scans, tmp_path_factory):
    """Twelve scan files (copies of the test scans under other names)."""
    folder = tmp_path_factory.mktemp("many")
    for k in range(3):
        for src in ("clean.png", "nested/blue.jpg", "fax.tif", "pencil.pdf"):
            dst = folder / f"{k}-{src.replace('/', '-')}"
            shutil.copy(scans / src, dst)
    return folder


@pytest.fixture(scope="module")
def reference(many_files, tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "results.csv"
    batchreader.scan([many_files], out, jobs=1)
    return out.read_bytes()


@pytest.fixture(scope="module")
def forty_files(scans, tmp_path_factory):
    """Forty one-page scans: a run takes several seconds, so it can be killed half-way."""
    folder = tmp_path_factory.mktemp("forty")
    for k in range(40):
        shutil.copy(scans / "clean.png", folder / f"page-{k:02d}.png")
    out = tmp_path_factory.mktemp("forty-ref") / "results.csv"
    batchreader.scan([folder], out, jobs=1)
    return folder, out.read_bytes()


def _journal_entries(out) -> int:
    path = journal_path(out)
    return max(0, len(path.read_text().splitlines()) - 1) if path.exists() else 0


def test_resume_after_kill_gives_the_same_bytes(forty_files, tmp_path):
    folder, reference = forty_files
    out = tmp_path / "results.csv"
    args = ["scan", str(folder), "--out", str(out), "-j", "1"]
    cmd = [sys.executable, "-m", "batchreader", "-q", *args]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while _journal_entries(out) < 1 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if proc.poll() is not None:
        pytest.fail("the scan finished before it could be killed; give it more files")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = _journal_entries(out)
    assert 1 <= done < 40
    assert not out.exists()  # nothing half-written where the user looks

    again = subprocess.run([sys.executable, "-m", "batchreader", "-v", *args], env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert f"{done} files already done" in again.stderr
    assert out.read_bytes() == reference
    assert not journal_path(out).exists()


def test_journal_skips_unchanged_files_redoes_changed_ones_and_force_redoes_all(many_files, reference, tmp_path):
    from batchreader.io.journal import Journal
    from batchreader.io.pages import discover
    from batchreader.run.pipeline import run_settings
    from batchreader.schema import ResultRow

    folder = tmp_path / "in"
    shutil.copytree(many_files, folder)
    out = tmp_path / "results.csv"
    files = discover([folder])
    settings = run_settings(None, None, 300, False, "auto")
    fake = [ResultRow(file=files[0].name, page=1, status="empty")]

    def interrupted_run() -> None:  # a journal as a killed run leaves it, with made-up rows for file 0
        journal = Journal(out, settings, force=True)
        journal.record(files[0], fake)
        journal.close(complete=False)

    interrupted_run()
    batchreader.scan([folder], out, jobs=1)
    assert b"empty" in out.read_bytes().split(b"\n")[1]  # unchanged file: taken from the journal

    interrupted_run()
    os.utime(files[0].path, ns=(time.time_ns(), time.time_ns()))  # the file changed since
    batchreader.scan([folder], out, jobs=1)
    assert out.read_bytes() == reference

    interrupted_run()
    batchreader.scan([folder], out, jobs=1, force=True)
    assert out.read_bytes() == reference
    assert not journal_path(out).exists()


def test_dask_local_cluster_matches_local_run(many_files, reference, tmp_path):
    pytest.importorskip("dask.distributed")
    out = tmp_path / "results.csv"
    summary = batchreader.scan([many_files], out, dask_workers=2)
    assert summary.files == 12
    assert out.read_bytes() == reference
