"""``batchreader scan``: the batch job."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from batchreader.cli.options import dpi_option, layout_option, model_option, threshold_option
from batchreader.defaults import PAGE_TIMEOUT


@click.command(short_help="Read every handwritten digit in files and folders.")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(path_type=Path),
    help="Results file to write: .csv, .jsonl or .xlsx (- for stdout).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl", "xlsx"]),
    help="Format of --out and --fields, whatever their names (default: by extension; stdout is CSV).",
)
@click.option("--mkdir", is_flag=True, help="Create the folder of --out (and --fields) if it does not exist.")
@model_option()
@dpi_option()
@click.option("--jobs", "-j", type=click.IntRange(1, None), help="Worker processes (default: all cores).")
@click.option("--keep-rejected", is_flag=True, help="Also write marks judged not to be digits (status=rejected).")
@click.option(
    "--fields", "fields_out", type=click.Path(path_type=Path), help="Also write one row per number (a file as --out)."
)
@click.option(
    "--review",
    "review_out",
    type=click.Path(path_type=Path),
    help="Also write the review report (an .html file, or a folder: see 'review --out').",
)
@threshold_option("With --review: list digits below this confidence.")
@click.option("--force", is_flag=True, help="Read everything again, ignoring the journal of an interrupted run.")
@click.option("--scheduler", help="Send pages to this Dask scheduler (tcp://HOST:8786); needs batchreader[dask].")
@click.option("--dask-workers", type=click.IntRange(1, None), help="Or run a local Dask cluster of N workers.")
@click.option(
    "--field-model",
    type=click.Path(path_type=Path),
    help="Field model .keras file, which tells numbers from words, print and furniture (default: shipped).",
)
@click.option(
    "--run-model",
    type=click.Path(path_type=Path),
    help="Run model .keras file, which reads a number written in one stroke whole (default: shipped).",
)
@layout_option()
@click.option(
    "--page-timeout",
    type=click.FloatRange(0, None),
    default=PAGE_TIMEOUT,
    show_default=True,
    help="Seconds a page may take before it is given up as an error row (0: no limit).",
)
@click.pass_context
def scan(
    ctx,
    inputs,
    out,
    fmt,
    mkdir,
    model,
    dpi,
    jobs,
    keep_rejected,
    fields_out,
    review_out,
    threshold,
    force,
    scheduler,
    dask_workers,
    field_model,
    run_model,
    layout,
    page_timeout,
) -> None:
    """Find and read every handwritten digit in INPUTS (files or folders) into a CSV."""
    from batchreader import api

    quiet = ctx.obj["quiet"]
    if review_out and len(inputs) != 1:
        raise click.UsageError("--review needs a single input folder or file (crops are cut from it)")
    summary = api.scan(
        inputs,
        out,
        model=model,
        dpi=dpi,
        jobs=jobs,
        keep_rejected=keep_rejected,
        progress=not quiet and sys.stderr.isatty(),
        fields_out=fields_out,
        force=force,
        scheduler=scheduler,
        dask_workers=dask_workers,
        field_model=field_model,
        run_model=run_model,
        layout=layout,
        review_out=review_out,
        page_timeout=page_timeout or None,
        mkdir=mkdir,
        fmt=fmt,
    )
    outputs = list(summary.outputs)
    flagged = None
    if review_out:
        flagged = api.review(out, inputs[0], review_out, threshold=threshold, dpi=dpi).flagged
        outputs.append(str(review_out))
    if not quiet:
        click.echo(summary_line(summary, flagged, outputs), err=True)
    ctx.exit(int(summary.exit_code))


def summary_line(summary, flagged: int | None, outputs: list[str]) -> str:
    """The one line a scan ends with: what was read, what was left, what was written."""
    parts = [
        _count(summary.files, "file"),
        _count(summary.pages, "page"),
        f"{_count(summary.digits, 'digit')} (mean confidence {summary.mean_confidence:.3f})",
        _count(summary.fields, "field"),
        _count(summary.rejected, "rejected mark"),
    ]
    if flagged is not None:
        parts.append(f"{flagged} flagged for review")
    if summary.skipped:
        reasons = "; ".join(f"{n} {why}" for why, n in summary.skipped_reasons().items())
        parts.append(f"{_count(len(summary.skipped), 'file')} skipped ({reasons})")
    parts.append(f"{summary.failed} failed")
    return f"{', '.join(parts)} -> {', '.join(outputs)} in {summary.seconds:.1f} s"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
