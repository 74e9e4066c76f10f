"""The ``batchreader`` command: a thin Click layer over :mod:`batchreader.api`.

One module per command group; heavy modules (TensorFlow, pandas) are imported inside
the commands, so ``--help`` and ``--version`` answer at once.
"""

from __future__ import annotations

import logging
import signal
import sys

import click

from batchreader import __version__
from batchreader.cli import review, scan, score, train
from batchreader.errors import BatchreaderError, ExitCode, Terminated

log = logging.getLogger("batchreader")


class _Formatter(logging.Formatter):
    """The one format of every line on stderr, as the CLI's own errors have it:
    ``batchreader: warning: ...``; with -vv, the module that logged it too."""

    def __init__(self, debug: bool) -> None:
        super().__init__()
        self.debug = debug

    def format(self, record: logging.LogRecord) -> str:
        where = f"{record.name}: " if self.debug else ""
        text = f"batchreader: {record.levelname.lower()}: {where}{record.getMessage()}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def _configure_logging(verbose: int, quiet: bool) -> None:
    level = logging.ERROR if quiet else [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter(debug=level <= logging.DEBUG))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def _terminate(signum, frame) -> None:
    raise Terminated()


class _Group(click.Group):
    """Turns batchreader's errors into one line on stderr and their documented exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BatchreaderError as exc:
            log.debug("error details", exc_info=True)
            click.echo(f"batchreader: error: {exc.message}", err=True)
            if exc.hint:
                click.echo(f"batchreader: hint: {exc.hint}", err=True)
            ctx.exit(int(exc.exit_code))
        except KeyboardInterrupt as exc:
            click.echo("batchreader: interrupted; no output was written (run the same command to resume)", err=True)
            ctx.exit(int(ExitCode.TERMINATED if isinstance(exc, Terminated) else ExitCode.INTERRUPTED))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="batchreader")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr; no progress bar.")
@click.pass_context
def main(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """Read handwritten digits off scanned documents, in bulk."""
    _configure_logging(verbose, quiet)
    signal.signal(signal.SIGTERM, _terminate)
    ctx.obj = {"quiet": quiet, "verbose": verbose}


def _after_command(ctx: click.Context, param: click.Parameter, value) -> None:
    """-v and -q given after the command: as if given before it."""
    if not value:
        return
    root = ctx.find_root().obj
    if param.name == "verbose":
        root["verbose"] += value
    else:
        root["quiet"] = True
    _configure_logging(root["verbose"], root["quiet"])


def _verbosity_options() -> list[click.Option]:
    return [
        click.Option(
            ["-v", "--verbose"], count=True, expose_value=False, callback=_after_command, help="As before the command."
        ),
        click.Option(
            ["-q", "--quiet"], is_flag=True, expose_value=False, callback=_after_command, help="As before the command."
        ),
    ]


for command in (
    scan.scan,
    review.review,
    review.apply_corrections_command,
    train.train,
    train.train_fields,
    train.train_runs,
    train.evaluate_model,
    score.score,
):
    command.params.extend(_verbosity_options())
    main.add_command(command)
