"""Entries of a scanned folder that are not scans one can read: each becomes an error row
(or is skipped with a warning), the good file beside it is still read, and the batch
finishes with exit code 1 where something could not be read."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from pathlib import Path

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


def _files(root):
    """Every file under ``root`` with its checksum: what a refused run must leave as it was."""
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    "args",
    [
        ["--out", "{in}/good.png"],  # the results over an input scan
        ["--out", "{tmp}/r.csv", "--fields", "{tmp}/r.csv"],
        ["--out", "{tmp}/r.csv", "--review", "{tmp}/r.csv"],
        ["--out", "{tmp}/r.csv", "--review", "{in}/good.png"],
        ["--out", "{tmp}/link.csv"],  # a link to an input scan
    ],
)
def test_an_output_that_is_an_input_or_another_output_is_refused_before_reading(folder, tmp_path, args):
    (tmp_path / "r.csv").write_text("an earlier run's results\n")
    (tmp_path / "link.csv").symlink_to(folder / "good.png")
    before = _files(tmp_path)
    argv = ["scan", str(folder)] + [a.format(**{"in": folder, "tmp": tmp_path}) for a in args]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "name the same file" in result.output or "names an input scan" in result.output
    assert _files(tmp_path) == before  # nothing touched, no temporary file left


def test_an_output_symlink_is_written_through_and_stays_a_link(folder, tmp_path):
    target = tmp_path / "results" / "r.csv"
    target.parent.mkdir()
    link = tmp_path / "r.csv"
    link.symlink_to(target)
    batchreader.scan([folder], link, jobs=1)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert (batchreader.read_results(target)["status"] == "ok").sum() > 20


def test_an_output_that_is_a_fifo_is_refused_and_dev_null_is_written(folder, tmp_path):
    pipe = tmp_path / "r.csv"
    os.mkfifo(pipe)
    result = CliRunner().invoke(main, ["scan", str(folder), "--out", str(pipe)])
    assert result.exit_code == ExitCode.OUTPUT_ERROR
    assert "not a regular file" in result.output
    assert batchreader.scan([folder], "/dev/null", jobs=1).digits > 20


def test_a_review_report_that_cannot_be_written_stops_the_run_before_reading(folder, tmp_path):
    (tmp_path / "notes.txt").write_text("a file, where the report's folder would be\n")
    out = tmp_path / "r.csv"
    argv = ["scan", str(folder), "--out", str(out), "--review", str(tmp_path / "notes.txt" / "r.html")]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == ExitCode.OUTPUT_ERROR
    assert "cannot write" in result.output
    assert not out.exists()  # refused before the scan, not after it


def _pdf(count: int, media: tuple[int, int, int, int]) -> bytes:
    """A minimal PDF of one blank page of ``media`` (points) whose page tree claims ``count``
    pages (with none at all for 0)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b"3 0 R" if count else b"", count),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [%d %d %d %d] >>" % media,
    ][: 3 if count else 2]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_a_pdf_page_too_large_to_render_is_an_error_row(folder, tmp_path):
    import resource

    (folder / "huge.pdf").write_bytes(_pdf(1, (0, 0, 7200, 7200)))  # 100 inches square: 900 Mpx at 300 dpi
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    status = Path("/proc/self/status").read_text().splitlines()
    size = next(int(line.split()[1]) << 10 for line in status if line.startswith("VmSize:"))
    resource.setrlimit(resource.RLIMIT_AS, (size + (3 << 30), hard))  # rendering it would need 8.7 GB more
    try:
        summary, rows = _scan(folder, tmp_path)
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    error = rows[rows["file"] == "huge.pdf"]
    assert list(error["status"]) == ["error"]
    assert error["error"].iloc[0].startswith("page too large: 7200 x 7200 pt")
    assert summary.exit_code == ExitCode.SOME_FILES_FAILED


def test_a_pdf_that_claims_a_million_pages_is_one_error_row(folder, tmp_path):
    (folder / "claims.pdf").write_bytes(_pdf(1_000_000, (0, 0, 612, 792)))
    summary, rows = _scan(folder, tmp_path)
    claims = rows[rows["file"] == "claims.pdf"]
    assert list(claims["status"]) == ["empty", "error"]  # its one real (blank) page, then the rest
    assert claims["error"].iloc[1] == "pages 2-1000000 of 1000000 cannot be loaded: the file is damaged or incomplete"
    assert summary.exit_code == ExitCode.SOME_FILES_FAILED


@pytest.mark.parametrize("suffix", [".gif", ".webp"])
def test_gif_and_webp_pages_are_read_as_the_png_is(folder, tmp_path, suffix):
    from PIL import Image

    with Image.open(folder / "good.png") as page:
        page.convert("L").save(folder / f"copy{suffix}", **({"lossless": True} if suffix == ".webp" else {}))
    summary, rows = _scan(folder, tmp_path)
    ok = rows[rows["status"] == "ok"]
    assert list(ok[ok["file"] == f"copy{suffix}"]["digit"]) == list(ok[ok["file"] == "good.png"]["digit"])
    assert summary.exit_code == ExitCode.OK


def test_two_input_folders_with_a_page_of_one_name_are_told_apart(tmp_path, scans):
    for batch in ("batch1", "batch2"):
        (tmp_path / batch).mkdir()
        shutil.copy(scans / "clean.png", tmp_path / batch / "page.png")
    out = tmp_path / "r.csv"
    batchreader.scan([tmp_path / "batch1", tmp_path / "batch2"], out, jobs=1)
    assert sorted(set(batchreader.read_results(out)["file"])) == ["batch1/page.png", "batch2/page.png"]
    batchreader.scan([tmp_path / "batch1" / "page.png", tmp_path / "batch2"], out, jobs=1, force=True)
    assert sorted(set(batchreader.read_results(out)["file"])) == ["batch1/page.png", "batch2/page.png"]
    batchreader.scan([tmp_path / "batch1"], out, jobs=1, force=True)  # one input: names as in its folder
    assert set(batchreader.read_results(out)["file"]) == {"page.png"}


def test_a_disk_that_fills_during_the_write_leaves_the_old_results_and_no_temporary_file(folder, tmp_path, monkeypatch):
    import errno

    import pandas as pd

    shutil.copy(folder / "good.png", folder / "second.png")
    out = tmp_path / "r.csv"
    out.write_text("an earlier run's results\n")
    real_to_csv = pd.DataFrame.to_csv
    calls = []

    def fills_up(frame, *args, **kwargs):  # the first file's rows fit, the second's do not
        calls.append(1)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_to_csv(frame, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", fills_up)
    result = CliRunner().invoke(main, ["scan", str(folder), "--out", str(out), "--jobs", "1"])
    assert result.exit_code == ExitCode.OUTPUT_ERROR
    assert f"cannot write {out}: the disk is full" in result.output
    assert "Traceback" not in result.output
    assert out.read_text() == "an earlier run's results\n"
    assert not list(tmp_path.glob("*.part")) and not list(tmp_path.glob(".*.part"))


def test_files_that_cannot_be_read_say_why_in_plain_words(folder, tmp_path):
    good = (folder / "good.png").read_bytes()
    (folder / "empty.png").write_bytes(b"")
    (folder / "text.png").write_bytes(b"this is not an image\n")
    (folder / "cut.png").write_bytes(good[: len(good) // 2])
    (folder / "text.pdf").write_bytes(b"this is not a PDF\n")
    (folder / "none.pdf").write_bytes(_pdf(0, (0, 0, 612, 792)))
    summary, rows = _scan(folder, tmp_path)
    errors = dict(zip(rows[rows["status"] == "error"]["file"], rows[rows["status"] == "error"]["error"]))
    assert errors == {
        "cut.png": "the image is cut short: the file was not copied or downloaded whole",
        "empty.png": "the file is empty",
        "none.pdf": "the PDF has no pages",
        "text.pdf": "not a PDF that can be read: the file is damaged, or not a PDF",
        "text.png": "not an image that can be read: the file is damaged, or not the format its name says",
    }
    assert summary.exit_code == ExitCode.SOME_FILES_FAILED


def test_a_file_name_that_is_not_utf8_is_written_as_its_own_bytes_and_read_back(folder, tmp_path):
    name = os.fsdecode(b"caf\xe9.png")  # Latin-1, as an old file server names it
    shutil.copy(folder / "good.png", folder / name)
    summary, rows = _scan(folder, tmp_path)
    assert summary.exit_code == ExitCode.OK
    assert set(rows["file"]) == {"good.png", name}  # read back as the name the file system gave
    assert b"caf\xe9.png," in (tmp_path / "r.csv").read_bytes()
    assert list(rows[rows["file"] == name]["digit"]) == list(rows[rows["file"] == "good.png"]["digit"])


def test_a_page_that_takes_too_long_is_an_error_row_and_the_batch_goes_on(folder, tmp_path):
    import cv2
    import numpy as np

    marks = np.full((3000, 3000), 255, np.uint8)  # 10,000 rings: about ten seconds to read
    for y in range(20, 3000, 30):
        for x in range(20, 3000, 30):
            cv2.circle(marks, (x, y), 6, 0, 2)
    cv2.imwrite(str(folder / "marks.png"), marks)
    out = tmp_path / "r.csv"
    result = CliRunner().invoke(main, ["scan", str(folder), "--out", str(out), "--jobs", "1", "--page-timeout", "1"])
    assert result.exit_code == ExitCode.SOME_FILES_FAILED
    rows = batchreader.read_results(out)
    error = rows[rows["file"] == "marks.png"]
    assert list(error["status"]) == ["error"] and list(error["page"]) == [1]
    assert error["error"].iloc[0].startswith("reading stopped after 1 s (--page-timeout)")
    assert (rows[rows["file"] == "good.png"]["status"] == "ok").sum() > 20
