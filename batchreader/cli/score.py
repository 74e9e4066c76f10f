"""``batchreader score``: results against ground truth."""

from __future__ import annotations

from pathlib import Path

import click


@click.command(short_help="Compare results with a truth CSV.")
@click.argument("results", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("truth", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--errors",
    "errors_out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write every error here (CSV): its kind (merged, swallowed, misread, dropped, piece, invented), "
    "the true digit, what was read, and both boxes.",
)
def score(results, truth, errors_out) -> None:
    """Compare a RESULTS CSV with a TRUTH CSV and print recall, precision and accuracy."""
    from batchreader import api

    a = api.score(results, truth, errors_out)
    click.echo(f"digits in truth      {a.true_digits}")
    click.echo(f"digits found         {a.found_digits}")
    click.echo(f"recall               {a.recall:.2%}")
    click.echo(f"precision            {a.precision:.2%}")
    click.echo(f"digits read right    {a.digit_accuracy:.2%}")
    click.echo(f"fields read exactly  {a.field_accuracy:.2%} of {a.true_fields}")
