"""``batchreader score``: results against ground truth."""

from __future__ import annotations

from pathlib import Path

import click


@click.command(short_help="Compare results with a truth file.")
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
    """Compare RESULTS with TRUTH and print recall, precision and accuracy.

    \b
    TRUTH is one row per written digit, as samples/ground_truth.csv:
      file,page,x,y,width,height,digit   required: digits are matched by box
      line,field                         to score whole numbers (field alone will do)
    or a results file a person reviewed (apply-corrections' output, in any format):
    then only its rows that hold a digit (ok, reviewed) count.
    """
    from batchreader import api

    a = api.score(results, truth, errors_out)
    click.echo(f"digits in truth      {a.true_digits}")
    click.echo(f"digits found         {a.found_digits}")
    click.echo(f"recall               {a.recall:.2%}")
    click.echo(f"precision            {a.precision:.2%}")
    click.echo(f"digits read right    {a.digit_accuracy:.2%}")
    if a.true_fields:
        click.echo(f"fields read exactly  {a.field_accuracy:.2%} of {a.true_fields}")
    else:
        click.echo("fields read exactly  n/a (the truth has no line or field column)")
