"""The README's claims, tried: every command it shows parses, the quickstart runs, links resolve."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from batchreader.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _shell_lines() -> list[list[str]]:
    """The batchreader command lines of the README's ``sh`` blocks, as argument lists."""
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", README, re.S):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if words and Path(words[0]).name == "batchreader":
                lines.append(words[1:])
    return lines


def _option_names(command: click.Command) -> set[str]:
    return {name for p in command.params if isinstance(p, click.Option) for name in p.opts + p.secondary_opts}


def test_the_readme_shows_commands():
    assert len(_shell_lines()) >= 10


@pytest.mark.parametrize("args", _shell_lines(), ids=lambda a: " ".join(a)[:60])
def test_every_command_shown_exists_with_its_options(args):
    """Each line names a real command and only options it has, with values where they take one."""
    globals_, rest = [], list(args)
    while rest and rest[0].startswith("-"):
        globals_.append(rest.pop(0))
    assert set(globals_) <= _option_names(main), globals_
    assert rest, "no command"
    command = main.commands.get(rest[0])
    assert command is not None, f"no command {rest[0]!r}"
    known = _option_names(command)
    for word in rest[1:]:
        if word.startswith("-"):
            assert word.split("=")[0] in known, f"{rest[0]} has no option {word}"
    # Click parses the line (types, choices, counts) once the paths it must find exist.
    ctx = command.make_context(rest[0], rest[1:], resilient_parsing=True)
    assert ctx.params


def test_the_quickstart_runs(tmp_path, monkeypatch):
    """The quickstart's scan on a copy of the samples: results, numbers and the report."""
    scans = tmp_path / "scans"
    shutil.copytree(ROOT / "samples", scans, ignore=shutil.ignore_patterns("*.csv"))
    monkeypatch.chdir(tmp_path)
    line = next(a for a in _shell_lines() if "--review" in a and "--fields" in a)
    args = [str(scans) if a == "~/scans" else a for a in line]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    for name in ("results.csv", "numbers.csv", "review.html"):
        assert (tmp_path / name).stat().st_size > 0, name
    from batchreader import read_results

    truth = (ROOT / "samples" / "ground_truth.csv").read_text().count("\n") - 1
    assert (read_results(tmp_path / "results.csv")["status"] == "ok").sum() >= 0.95 * truth


def test_the_python_example_names_real_arguments():
    import inspect

    import batchreader

    assert "fields_out" in inspect.signature(batchreader.scan).parameters
    assert callable(batchreader.read_results)


def test_links_resolve():
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = doc.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if "://" in target:
                continue
            assert (doc.parent / target).exists(), f"{doc.name}: broken link {target}"


def test_the_readme_is_a_guide():
    assert len(README.splitlines()) <= 200
