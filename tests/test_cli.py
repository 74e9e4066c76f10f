"""The command line: in-process with CliRunner and as a real subprocess."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import click
import pandas as pd
from click.testing import CliRunner

import batchreader
from batchreader import __version__
from batchreader.cli import main
from batchreader.errors import ExitCode
from batchreader.schema import COLUMNS


def test_version_and_help_do_not_load_tensorflow():
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from batchreader.cli import main\n"
        "r = CliRunner().invoke(main, ['--help'])\n"
        "assert r.exit_code == 0 and 'scan' in r.output\n"
        "r = CliRunner().invoke(main, ['scan', '--help'])\n"
        "assert r.exit_code == 0 and '--dpi' in r.output\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_scan_in_process(scans, scans_truth, tmp_path):
    out = tmp_path / "r.csv"
    result = CliRunner().invoke(main, ["scan", str(scans / "clean.png"), "--out", str(out), "-j", "1"])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert list(frame.columns) == COLUMNS
    assert (frame["status"] == "ok").sum() >= 0.97 * (scans_truth["file"] == "clean.png").sum()


def test_fields_output_keeps_numbers_as_written(scans, scans_truth, tmp_path):
    out, fields = tmp_path / "r.csv", tmp_path / "fields.csv"
    args = ["scan", str(scans / "clean.png"), "--out", str(out), "--fields", str(fields)]
    assert CliRunner().invoke(main, args).exit_code == 0
    frame = pd.read_csv(fields, dtype={"value": str})
    from batchreader.schema import FIELD_COLUMNS

    assert list(frame.columns) == FIELD_COLUMNS
    truth = scans_truth[scans_truth["file"] == "clean.png"].sort_values(["line", "field", "index"])
    expected = truth.groupby(["line", "field"])["digit"].apply(lambda d: "".join(map(str, d))).tolist()
    assert (frame["value"].str.len() == frame["digits"]).all()
    assert sum(v in expected for v in frame["value"]) >= 0.85 * len(expected)


def test_exit_codes(scans, tmp_path):
    runner = CliRunner()
    missing = runner.invoke(main, ["scan", str(tmp_path / "nope"), "--out", str(tmp_path / "r.csv")])
    assert missing.exit_code == ExitCode.INPUT_NOT_FOUND
    assert "input not found" in missing.output
    no_model = runner.invoke(
        main, ["scan", str(scans), "--out", str(tmp_path / "r.csv"), "--model", str(tmp_path / "m.keras")]
    )
    assert no_model.exit_code == ExitCode.MODEL_ERROR
    bad_out = runner.invoke(main, ["scan", str(scans), "--out", str(tmp_path)])
    assert bad_out.exit_code == ExitCode.OUTPUT_ERROR
    usage = runner.invoke(main, ["scan", str(scans)])
    assert usage.exit_code == ExitCode.USAGE


def test_subprocess_scan_stdout_is_clean_and_failures_exit_1(scans, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.png").write_bytes((scans / "clean.png").read_bytes())
    (folder / "b.jpg").write_bytes(b"garbage")
    out = tmp_path / "r.csv"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(
        [sys.executable, "-m", "batchreader", "scan", str(folder), "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == ExitCode.SOME_FILES_FAILED, proc.stderr
    assert proc.stdout == ""
    assert "b.jpg" in proc.stderr
    frame = pd.read_csv(out)
    assert frame.loc[frame["file"] == "b.jpg", "status"].tolist() == ["error"]


def test_score_command(scans, tmp_path):
    out = tmp_path / "r.csv"
    runner = CliRunner()
    assert runner.invoke(main, ["scan", str(scans / "fax.tif"), "--out", str(out)]).exit_code == 0
    truth = pd.read_csv(scans.parent / f"{scans.name}_truth.csv")
    truth[truth["file"] == "fax.tif"].to_csv(tmp_path / "t.csv", index=False)
    result = runner.invoke(main, ["score", str(out), str(tmp_path / "t.csv")])
    assert result.exit_code == 0
    assert "digits read right" in result.output
    # the reading itself as truth, with one digit changed, one left out and one added
    # where nothing was read: one error of each kind, on the right rows
    read = pd.read_csv(out)
    read = read[read["status"] == "ok"].reset_index(drop=True)
    truth = read[["file", "page", "line", "field", "index", "x", "y", "width", "height", "digit"]].copy()
    truth.loc[0, "digit"] = (truth.loc[0, "digit"] + 1) % 10
    missing = truth.iloc[1]
    added = {**truth.iloc[2].to_dict(), "x": 5, "y": 5}
    truth = pd.concat([truth.drop(index=1), pd.DataFrame([added])], ignore_index=True)
    truth.to_csv(tmp_path / "t2.csv", index=False)
    errors = tmp_path / "errors.csv"
    result = runner.invoke(main, ["score", str(out), str(tmp_path / "t2.csv"), "--errors", str(errors)])
    assert result.exit_code == 0, result.output
    found = pd.read_csv(errors).sort_values("kind").reset_index(drop=True)
    assert found["kind"].tolist() == ["dropped", "invented", "misread"]
    assert found.loc[0, ["true_x", "true_y"]].tolist() == [5, 5]
    assert found.loc[1, "found_x"] == missing["x"] and found.loc[1, "read"] == missing["digit"]
    assert found.loc[2, "read"] == read.loc[0, "digit"] and found.loc[2, "digit"] == truth.loc[0, "digit"]


def test_train_and_evaluate_commands(scans, tmp_path):
    from tests.conftest import SUBSET

    model = tmp_path / "m.keras"
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "train",
            "--data",
            str(SUBSET),
            "--out",
            str(model),
            "--epochs",
            "1",
            "--steps-per-epoch",
            "20",
            "--validation-size",
            "200",
        ],
    )
    assert result.exit_code == 0, result.output
    assert model.is_file() and model.with_suffix(".json").is_file()
    accuracy = json.loads(model.with_suffix(".json").read_text())["metrics"]["mnist_test"]["accuracy"]
    assert accuracy < 0.98 and "worse than the shipped model's 99." in result.output  # 20 steps make no model
    weak = runner.invoke(main, ["scan", str(scans / "clean.png"), "--model", str(model), "-o", str(tmp_path / "r.csv")])
    assert weak.exit_code == 0 and "warning: the model" in weak.output and "expect many misread digits" in weak.output
    report = tmp_path / "report"
    result = runner.invoke(
        main, ["evaluate-model", "--model", str(model), "--data", str(SUBSET), "--report-dir", str(report)]
    )
    assert result.exit_code == 0, result.output
    assert "accuracy" in result.output
    assert (report / "confusion.png").stat().st_size > 1000
    assert (report / "mistakes.png").stat().st_size > 1000
    missing = runner.invoke(main, ["train", "--data", str(tmp_path / "none.npz"), "--out", str(model)])
    assert missing.exit_code == 6 and "--data" in missing.output
    (tmp_path / "truth.csv").write_text("file,digit\n")
    not_npz = runner.invoke(main, ["train", "--data", str(tmp_path / "truth.csv"), "--out", str(model)])
    assert not_npz.exit_code == 6 and "not an .npz archive" in not_npz.output and "pickle" not in not_npz.output


def test_ctrl_c_exits_130_and_keeps_the_old_output(scans, tmp_path, monkeypatch):
    import batchreader.run.pipeline as pipeline

    out = tmp_path / "r.csv"
    out.write_text("previous results")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "read_page", interrupted)  # Ctrl-C in the middle of the batch
    result = CliRunner().invoke(main, ["scan", str(scans / "clean.png"), "--out", str(out), "-j", "1"])
    assert result.exit_code == ExitCode.INTERRUPTED
    assert "run the same command to resume" in result.output
    assert out.read_text() == "previous results"
    assert not list(tmp_path.glob(".r.*.part"))


def test_verbosity_options_work_after_the_command_too(scans, tmp_path):
    out = tmp_path / "r.csv"
    quiet = CliRunner().invoke(main, ["scan", str(scans / "clean.png"), "--out", str(out), "-q"])
    assert quiet.exit_code == 0, quiet.output
    assert quiet.output == ""  # no summary, no log lines
    loud = CliRunner().invoke(main, ["scan", str(scans / "clean.png"), "--out", str(out), "--force", "-v"])
    assert loud.exit_code == 0, loud.output
    assert logging.getLogger().level == logging.INFO  # -v, as before the command
    summary = [line for line in loud.output.splitlines() if "digits (mean confidence" in line]
    assert len(summary) == 1 and summary[0].startswith("1 file, 1 page, ")  # once, in English


def test_every_command_and_option_has_help_and_the_list_is_not_cut():
    listing = CliRunner().invoke(main, ["--help"]).output.split("Commands:")[1]
    assert "..." not in listing  # each command's summary whole
    for name, command in main.commands.items():
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{name} {param.opts[0]} has no help text"


def test_out_names_a_csv_in_a_folder_that_exists_or_stdout(scans, tmp_path):
    image = str(scans / "clean.png")
    wrong = CliRunner().invoke(main, ["scan", image, "--out", str(tmp_path / "r.json")])
    assert wrong.exit_code == ExitCode.USAGE and "results are written as CSV, JSON lines or Excel" in wrong.output
    typo = tmp_path / "reslts" / "r.csv"
    missing = CliRunner().invoke(main, ["scan", image, "--out", str(typo)])
    assert missing.exit_code == ExitCode.OUTPUT_ERROR and "does not exist" in missing.output
    assert not typo.parent.exists()  # a typo is not a new folder
    made = CliRunner().invoke(main, ["scan", image, "--out", str(typo), "--mkdir"])
    assert made.exit_code == 0 and typo.is_file()
    piped = subprocess.run(
        [sys.executable, "-m", "batchreader", "-q", "scan", image, "--out", "-"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(Path(batchreader.__file__).parents[1])},  # this source tree
    )
    assert piped.stdout == typo.read_text()  # the same CSV, on stdout
    assert not list(tmp_path.glob(".*journal")) and not (tmp_path / "-").exists()
    review = CliRunner().invoke(main, ["scan", image, "--out", "-", "--review", str(tmp_path / "r.html")])
    assert review.exit_code == ExitCode.USAGE and "not a stream" in review.output


def test_the_fields_csv_reads_back_with_its_types_and_leading_zeros(tmp_path, leading_zeros):
    fields = tmp_path / "fields.csv"
    batchreader.scan([leading_zeros], tmp_path / "r.csv", fields_out=fields, jobs=1)
    frame = batchreader.read_results(fields)
    assert frame["value"].dtype == "string" and frame["page"].dtype == "Int64"
    assert "008" in list(frame["value"])
