"""Entries of a scanned folder that are not scans one can read: each becomes an error row
(or is skipped with a warning), the good file beside it is still read, and the batch
finishes with exit code 1 where something could not be read."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil

import pytest
from click.testing import CliRunner

import batchreader
from batchreader.cli import main
from batchreader.errors import ExitCode


@pytest.fixture
def folder(tmp_path, scans):
    root = tmp_path / "in"
    root.mkdir()
    shutil.copy(scans / "clean.png", root / "good.png")
    return root


def _checksums(root):
    return {
        p: hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file() and not p.is_symlink()
    }


def _scan(folder, tmp_path):
    before = _checksums(folder)
    out = tmp_path / "r.csv"
    summary = batchreader.scan([folder], out, jobs=1)
    assert _checksums(folder) == before  # nothing the user had changed
    rows = batchreader.read_results(out)
    assert (rows[rows["file"] == "good.png"]["status"] == "ok").sum() > 20  # the good file is still read
    return summary, rows


@pytest.mark.parametrize("kind", ["dangling", "loop"])
def test_a_broken_symlink_is_an_error_row(folder, tmp_path, kind):
    if kind == "dangling":
        (folder / "gone.png").symlink_to(tmp_path / "nowhere.png")
    else:
        (folder / "gone.png").symlink_to(folder / "gone.png")
    summary, rows = _scan(folder, tmp_path)
    error = rows[rows["file"] == "gone.png"]
    assert list(error["status"]) == ["error"]
    assert error["error"].iloc[0].startswith("cannot open: ")
    assert summary.exit_code == ExitCode.SOME_FILES_FAILED


def test_a_fifo_is_skipped_with_a_warning_not_waited_on(folder, tmp_path, caplog):
    os.mkfifo(folder / "pipe.png")
    with caplog.at_level(logging.WARNING):
        summary, rows = _scan(folder, tmp_path)
    assert "pipe.png" not in set(rows["file"])
    assert any("not a regular file" in r.getMessage() for r in caplog.records)
    assert summary.exit_code == ExitCode.OK


@pytest.mark.skipif(os.geteuid() == 0, reason="root lists any folder")
def test_a_folder_that_cannot_be_listed_is_an_error_row(folder, tmp_path):
    locked = folder / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        summary, rows = _scan(folder, tmp_path)
    finally:
        locked.chmod(0o755)
    error = rows[rows["file"] == "locked"]
    assert list(error["status"]) == ["error"]
    assert error["error"].iloc[0].startswith("cannot list this folder")
    assert summary.exit_code == ExitCode.SOME_FILES_FAILED


def test_the_command_line_exits_1_after_a_broken_link(folder, tmp_path):
    (folder / "gone.png").symlink_to(tmp_path / "nowhere.png")
    result = CliRunner().invoke(main, ["-q", "scan", str(folder), "--out", str(tmp_path / "r.csv"), "-j", "1"])
    assert result.exit_code == ExitCode.SOME_FILES_FAILED, result.output
    assert "good.png" in (tmp_path / "r.csv").read_text()
