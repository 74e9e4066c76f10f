"""Output formats (CSV, JSON lines, an Excel workbook), the summary line and the log format."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

import batchreader
from batchreader.cli import main
from batchreader.errors import ExitCode
from batchreader.schema import COLUMNS, FIELD_COLUMNS

SOURCE = {"PYTHONPATH": str(Path(batchreader.__file__).parents[1])}  # this source tree, not an installed copy


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


def test_a_workbook_keeps_leading_zeros_and_reads_back_as_the_csv(tmp_path, leading_zeros):
    from openpyxl import load_workbook

    book = tmp_path / "r.xlsx"
    run = subprocess.run(
        [sys.executable, "-m", "batchreader", "-q", "scan", str(leading_zeros), "--out", str(book), "-j", "1"],
        env={**os.environ, **SOURCE},
    )
    assert run.returncode == ExitCode.SOME_FILES_FAILED  # broken.png
    batchreader.scan([leading_zeros], tmp_path / "r.csv", fields_out=tmp_path / "f.csv", jobs=1)
    wb = load_workbook(book)
    assert wb.sheetnames == ["digits", "fields", "summary"]
    assert all(wb[name].freeze_panes == "A2" for name in ("digits", "fields"))
    fields = wb["fields"]
    header = [c.value for c in fields[1]]
    assert header == FIELD_COLUMNS
    values = [row[header.index("value")] for row in fields.iter_rows(min_row=2, values_only=True)]
    assert "008" in values  # stored as text: Excel shows 008, not 8
    assert [c.value for c in wb["digits"][1]] == COLUMNS
    summary = dict(wb["summary"].iter_rows(min_row=2, values_only=True))
    assert summary["files"] == 2 and summary["failed"] == 1 and summary["fields"] == len(values)
    _same(batchreader.read_results(book), batchreader.read_results(tmp_path / "r.csv"))
    error = batchreader.read_results(book).query("status == 'error'")
    assert len(error) == 1 and error["page"].dtype == "Int64" and error["error"].iloc[0] != ""


def test_json_lines_are_typed_and_read_back_as_the_csv(tmp_path, leading_zeros):
    out, fields = tmp_path / "r.jsonl", tmp_path / "f.jsonl"
    result = CliRunner().invoke(main, ["scan", str(leading_zeros), "--out", str(out), "--fields", str(fields)])
    assert result.exit_code == ExitCode.SOME_FILES_FAILED, result.output  # broken.png
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert all(list(r) == COLUMNS for r in rows)
    digit = next(r for r in rows if r["status"] == "ok")
    assert type(digit["x"]) is int and type(digit["digit"]) is int and type(digit["confidence"]) is float
    error = next(r for r in rows if r["status"] == "error")
    assert error["page"] is None and error["digit"] is None and error["error"]
    numbers = [json.loads(line) for line in fields.read_text().splitlines()]
    assert "008" in [n["value"] for n in numbers] and all(type(n["digits"]) is int for n in numbers)
    batchreader.scan([leading_zeros], tmp_path / "r.csv", fields_out=tmp_path / "f.csv", jobs=1)
    _same(batchreader.read_results(out), batchreader.read_results(tmp_path / "r.csv"))
    _same(batchreader.read_results(fields), batchreader.read_results(tmp_path / "f.csv"))


def test_format_names_the_format_whatever_the_name_and_must_agree_with_it(tmp_path, leading_zeros):
    image = str(leading_zeros / "p.png")
    piped = subprocess.run(
        [sys.executable, "-m", "batchreader", "-q", "scan", image, "--out", "-", "--format", "jsonl"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **SOURCE},
    )
    assert [json.loads(line)["digit"] for line in piped.stdout.splitlines()] == [0, 0, 8]
    runner = CliRunner()
    named = runner.invoke(main, ["scan", image, "--out", str(tmp_path / "r.txt"), "--format", "jsonl"])
    assert named.exit_code == 0 and json.loads((tmp_path / "r.txt").read_text().splitlines()[0])["digit"] == 0
    clash = runner.invoke(main, ["scan", image, "--out", str(tmp_path / "r.xlsx"), "--format", "csv"])
    assert clash.exit_code == ExitCode.USAGE and "named for xlsx" in clash.output
    stream = runner.invoke(main, ["scan", image, "--out", "-", "--format", "xlsx"])
    assert stream.exit_code == ExitCode.USAGE and "cannot be streamed" in stream.output
    assert not (tmp_path / "r.xlsx").exists()


def test_corrections_and_score_take_any_format(tmp_path, leading_zeros):
    runner = CliRunner()
    book = tmp_path / "r.xlsx"
    runner.invoke(main, ["scan", str(leading_zeros / "p.png"), "--out", str(book)])
    results = batchreader.read_results(book)
    eight = results[results["digit"] == 8].iloc[0]
    corrections = tmp_path / "c.csv"
    pd.DataFrame(
        [[eight["file"], 1, eight["x"], eight["y"], eight["width"], eight["height"], 8, 3, ""]],
        columns=["file", "page", "x", "y", "width", "height", "digit", "corrected_digit", "note"],
    ).to_csv(corrections, index=False)
    final = tmp_path / "final.jsonl"
    assert runner.invoke(main, ["apply-corrections", str(book), str(corrections), "--out", str(final)]).exit_code == 0
    assert [json.loads(line)["digit"] for line in final.read_text().splitlines()] == [0, 0, 3]
    scored = runner.invoke(main, ["score", str(book), str(final)])  # a reviewed file as the truth
    assert scored.exit_code == 0 and "digits read right    66.67%" in scored.output
    assert "fields read exactly  0.00% of 1" in scored.output
    bare = tmp_path / "bare.csv"  # no line and field: digits are scored, fields cannot be
    batchreader.read_results(final)[["file", "page", "x", "y", "width", "height", "digit"]].to_csv(bare, index=False)
    scored = runner.invoke(main, ["score", str(book), str(bare)])
    assert scored.exit_code == 0 and "digits read right    66.67%" in scored.output and "n/a" in scored.output
    lacking = tmp_path / "lacking.csv"
    pd.read_csv(bare).drop(columns=["digit"]).to_csv(lacking, index=False)
    scored = runner.invoke(main, ["score", str(book), str(lacking)])
    assert scored.exit_code != 0 and "lacks columns digit" in scored.output and "x, y, width, height" in scored.output


def test_the_summary_counts_what_was_skipped_and_names_the_outputs_in_one_log_format(tmp_path, leading_zeros):
    (leading_zeros / "notes.txt").write_text("not a scan")
    out, fields = tmp_path / "r.csv", tmp_path / "f.xlsx"
    run = subprocess.run(
        [sys.executable, "-m", "batchreader", "scan", str(leading_zeros), "-o", str(out), "--fields", str(fields)],
        capture_output=True,
        text=True,
        env={**os.environ, **SOURCE},
    )
    assert run.returncode == ExitCode.SOME_FILES_FAILED and run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert f"batchreader: warning: skipping {leading_zeros / 'notes.txt'}: not a supported scan type" in lines
    summary = lines[-1]
    assert summary.startswith("2 files, 1 page, 3 digits")
    for part in ("1 field,", "0 rejected marks", "1 file skipped (1 not a supported scan type)", "1 failed"):
        assert part in summary
    assert f"-> {out}, {fields} in " in summary
    assert all(line.startswith("batchreader: ") for line in lines[:-1])
