"""``batchreader review`` and ``apply-corrections``: the review loop."""

from __future__ import annotations

from pathlib import Path

import click

from batchreader.cli.options import threshold_option


@click.command(short_help="Write the review report of the low-confidence digits.")
@click.argument("results", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--scans",
    type=click.Path(path_type=Path),
    help="The folder or file that was scanned (default: where the run record beside RESULTS says).",
)
@click.option(
    "--out",
    "-o",
    default="review.html",
    show_default=True,
    type=click.Path(path_type=Path),
    help="Report to write: an .html file with every picture inside it, or a folder (any name not ending in "
    ".html): its index.html, and the pictures beside it, loaded as they come into view (lighter for "
    "many fields).",
)
@threshold_option("List digits whose confidence is below this.")
@click.option(
    "--dpi",
    type=click.IntRange(50, 1200),
    help="PDF render resolution used by the scan (default: the run record's, else 300).",
)
@click.option(
    "--rejected",
    is_flag=True,
    help="Also show the marks rejected in each field (scan with --keep-rejected), to restore a dropped digit.",
)
@click.pass_context
def review(ctx, results, scans, out, threshold, dpi, rejected) -> None:
    """Write an HTML report of the numbers in RESULTS that hold a low-confidence digit,
    for a person to check."""
    from batchreader import api
    from batchreader.schema import REVIEW_FOLDER, is_review_folder

    summary = api.review(results, scans, out, threshold=threshold, dpi=dpi, rejected=rejected)
    if is_review_folder(out):
        out = out / REVIEW_FOLDER[0]
    if not ctx.obj["quiet"]:
        click.echo(
            f"{summary.fields} fields to review ({summary.flagged} of {summary.digits} digits flagged, "
            f"{summary.flagged_share}) -> {out}",
            err=True,
        )


@click.command("apply-corrections", short_help="Apply a review's corrections to a results CSV.")
@click.argument("results", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("corrections", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="Final results file to write.")
@click.option("--fields", "fields_out", type=click.Path(path_type=Path), help="Also write the final fields (numbers).")
@click.option("--reviewer", help="Who reviewed, for corrections that do not say (default: the corrections' own).")
@click.pass_context
def apply_corrections_command(ctx, results, corrections, out, fields_out, reviewer) -> None:
    """Apply a CORRECTIONS CSV exported from the review report to RESULTS.

    Reviewed digits keep what the machine read (original_digit, original_confidence),
    who reviewed them, when, and the note.
    """
    from batchreader import api

    changed = api.apply_corrections(results, corrections, out, fields_out=fields_out, reviewer=reviewer)
    if not ctx.obj["quiet"]:
        click.echo(f"{changed} rows reviewed -> {out}", err=True)
