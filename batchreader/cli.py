"""The ``batchreader`` command: a thin Click layer over the library API.

Heavy modules (TensorFlow, pandas) are imported inside the commands, so ``--help``
and ``--version`` answer at once.
"""

from __future__ import annotations

import logging
import shlex
import sys
from pathlib import Path

import click

from batchreader import __version__
from batchreader.defaults import PDF_DPI, REVIEW_THRESHOLD
from batchreader.errors import BatchreaderError, ExitCode

log = logging.getLogger("batchreader")


def _dpi_option(help_text: str = "PDF render resolution."):
    return click.option("--dpi", default=PDF_DPI, show_default=True, type=click.IntRange(50, 1200), help=help_text)


def _threshold_option(help_text: str):
    return click.option(
        "--threshold", default=REVIEW_THRESHOLD, show_default=True, type=click.FloatRange(0, 1), help=help_text
    )


def _model_option(help_text: str = "Model .keras file (default: the shipped model)."):
    return click.option("--model", type=click.Path(path_type=Path), help=help_text)


def _configure_logging(verbose: int, quiet: bool) -> None:
    level = logging.ERROR if quiet else [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


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
        except KeyboardInterrupt:
            click.echo("batchreader: interrupted; no output was written (run the same command to resume)", err=True)
            ctx.exit(int(ExitCode.INTERRUPTED))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="batchreader")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr; no progress bar.")
@click.pass_context
def main(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """Read handwritten digits off scanned documents, in bulk."""
    _configure_logging(verbose, quiet)
    ctx.obj = {"quiet": quiet, "verbose": verbose}


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="Results CSV to write.")
@_model_option()
@_dpi_option()
@click.option("--jobs", "-j", type=click.IntRange(1, None), help="Worker processes (default: all cores).")
@click.option("--keep-rejected", is_flag=True, help="Also write marks judged not to be digits (status=rejected).")
@click.option("--fields", "fields_out", type=click.Path(path_type=Path), help="Also write one row per number.")
@click.option("--review", "review_out", type=click.Path(path_type=Path), help="Also write the review report (HTML).")
@_threshold_option("With --review: list digits below this confidence.")
@click.option("--force", is_flag=True, help="Read everything again, ignoring the journal of an interrupted run.")
@click.option("--scheduler", help="Send pages to this Dask scheduler (tcp://HOST:8786); needs batchreader[dask].")
@click.option("--dask-workers", type=click.IntRange(1, None), help="Or run a local Dask cluster of N workers.")
@click.option(
    "--field-model",
    type=click.Path(path_type=Path),
    help="Field model .keras file, which tells numbers from words, print and furniture (default: shipped).",
)
@click.option(
    "--layout",
    type=click.Choice(["auto", "page", "field"]),
    default="auto",
    show_default=True,
    help="page: pages of lines and fields; field: each image (each page) is one written number, such as a "
    "cheque amount; auto: a small image holding one line of ink is a field, anything else a page.",
)
@click.pass_context
def scan(
    ctx,
    inputs,
    out,
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
    layout,
) -> None:
    """Find and read every handwritten digit in INPUTS (files or folders) into a CSV."""
    from batchreader.pipeline import scan as run_scan

    quiet = ctx.obj["quiet"]
    summary = run_scan(
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
        layout=layout,
    )
    if not quiet:
        click.echo(
            f"{summary.files} files, {summary.pages} pages, {summary.digits} digits "
            f"(mean confidence {summary.mean_confidence:.3f}), {summary.failed} failed "
            f"-> {out} in {summary.seconds:.1f} s",
            err=True,
        )
    if review_out:
        if len(inputs) != 1:
            raise click.UsageError("--review needs a single input folder or file (crops are cut from it)")
        from batchreader.review import build_review

        build_review(out, inputs[0], review_out, threshold=threshold, dpi=dpi)
    ctx.exit(int(summary.exit_code))


@main.command()
@click.argument("results", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--scans", required=True, type=click.Path(path_type=Path), help="The folder or file that was scanned.")
@click.option("--out", "-o", default="review.html", show_default=True, type=click.Path(path_type=Path))
@_threshold_option("List digits whose confidence is below this.")
@_dpi_option("PDF render resolution used by the scan.")
@click.pass_context
def review(ctx, results, scans, out, threshold, dpi) -> None:
    """Write an HTML report of the low-confidence digits in RESULTS, for a person to check."""
    from batchreader.review import build_review

    summary = build_review(results, scans, out, threshold=threshold, dpi=dpi)
    if not ctx.obj["quiet"]:
        click.echo(
            f"{summary.flagged} of {summary.digits} digits to review ({summary.flagged_share}) -> {out}", err=True
        )


@main.command("apply-corrections")
@click.argument("results", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("corrections", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="Final results CSV to write.")
@click.pass_context
def apply_corrections_command(ctx, results, corrections, out) -> None:
    """Apply a CORRECTIONS CSV exported from the review report to RESULTS."""
    from batchreader.corrections import apply_corrections

    changed = apply_corrections(results, corrections, out)
    if not ctx.obj["quiet"]:
        click.echo(f"{changed} rows reviewed -> {out}", err=True)


@main.command()
@click.option("--data", type=click.Path(path_type=Path), help="mnist.npz in the Keras layout (default: download).")
@click.option("--out", "-o", default="batchreader-cnn.keras", show_default=True, type=click.Path(path_type=Path))
@click.option("--epochs", default=18, show_default=True, type=click.IntRange(1, None))
@click.option("--batch-size", default=128, show_default=True, type=click.IntRange(8, None))
@click.option("--learning-rate", default=2e-3, show_default=True, type=float)
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--steps-per-epoch", type=click.IntRange(1, None), help="Limit steps per epoch (quick trial runs).")
@click.option("--validation-size", default=5000, show_default=True, type=click.IntRange(1, None))
@click.option(
    "--touching-ones",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of the generated touching-digit samples in which one digit is a 1.",
)
@click.option(
    "--font-share",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of the digits drawn in the vendored handwriting faces instead of MNIST's (flagged 1s, open 4s).",
)
@click.option(
    "--corrections",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Fine-tune --model on a corrections CSV from the review report instead of training anew.",
)
@click.option("--scans", type=click.Path(path_type=Path), help="With --corrections: the folder that was scanned.")
@click.option(
    "--model",
    type=click.Path(path_type=Path),
    help="Model to start from: trained on with MNIST instead of from random weights; with --corrections, "
    "the model to fine-tune (default: shipped).",
)
@click.option("--dpi", default=PDF_DPI, show_default=True, type=click.IntRange(50, 1200), help="PDF dpi of the scan.")
def train(
    data,
    out,
    epochs,
    batch_size,
    learning_rate,
    seed,
    steps_per_epoch,
    validation_size,
    touching_ones,
    font_share,
    corrections,
    scans,
    model,
    dpi,
) -> None:
    """Train the digit classifier on MNIST and write the model with its card.

    With --model, train that model on (say a few epochs at a lower --learning-rate)
    instead of starting from random weights. With --corrections, fine-tune an existing
    model on the digits a person corrected, mixed with MNIST, and report accuracy
    before and after.
    """
    from batchreader.training import TrainConfig, load_mnist
    from batchreader.training import train as run_train

    command = shlex.join(["batchreader", *sys.argv[1:]])
    if corrections:
        if scans is None:
            raise click.UsageError("--corrections needs --scans (the folder the corrected digits come from)")
        from batchreader.finetune import fine_tune

        card = fine_tune(model, out, load_mnist(data), corrections, scans, dpi=dpi, seed=seed, command=command)
        ft = card["fine_tuning"]
        for split in ("mnist_test", "held_out"):
            b, a = ft["accuracy_before"][split], ft["accuracy_after"][split]
            click.echo(f"{split:<12} before {b:.4f}  after {a:.4f}")
        click.echo(f"wrote {out} (fine-tuned on {ft['used_for_training']} corrections)", err=True)
        return

    config = TrainConfig(
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        seed=seed,
        steps_per_epoch=steps_per_epoch,
        validation_size=validation_size,
        touching_ones=touching_ones,
        font_share=font_share,
    )
    card = run_train(out, load_mnist(data), config, command=command, init=model)
    test = card["metrics"]["mnist_test"]
    click.echo(
        f"wrote {out}: MNIST test accuracy {test['accuracy']:.4f}, "
        f"ECE {test['expected_calibration_error']:.4f}, trained in {card['training']['seconds']:.0f} s",
        err=True,
    )


@main.command("train-fields")
@click.option("--data", type=click.Path(path_type=Path), help="mnist.npz in the Keras layout (default: download).")
@click.option(
    "--out",
    "-o",
    default="batchreader-fields.keras",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Field model to write (.keras), with its card beside it.",
)
@click.option("--samples", default=120_000, show_default=True, type=click.IntRange(100, None), help="Generated fields.")
@click.option("--epochs", default=12, show_default=True, type=click.IntRange(1, None), help="Passes over them.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the generator and of training.")
def train_fields(data, out, samples, epochs, seed) -> None:
    """Train the field model, which tells handwritten numbers from words, signatures, print and furniture.

    It learns from generated fields only: MNIST digits written as numbers, and words,
    names, signatures, printed text and form furniture drawn in the vendored fonts.
    """
    from batchreader.fieldtrain import train_fields as run
    from batchreader.training import load_mnist

    command = shlex.join(["batchreader", *sys.argv[1:]])
    card = run(out, load_mnist(data), samples=samples, epochs=epochs, seed=seed, command=command)
    val, held = card["metrics"]["validation"], card["metrics"]["held_out_faces"]
    click.echo(
        f"wrote {out}: numbers told from the rest with recall {val['number_recall']:.4f}, precision "
        f"{val['number_precision']:.4f} (held-out faces {held['number_recall']:.4f} / {held['number_precision']:.4f})",
        err=True,
    )


@main.command("evaluate-model")
@_model_option()
@click.option("--data", type=click.Path(path_type=Path), help="mnist.npz in the Keras layout (default: download).")
@click.option(
    "--report-dir",
    default="model-report",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the confusion matrix and the montage of mistakes are written.",
)
def evaluate_model(model, data, report_dir) -> None:
    """Score a model on the MNIST test split: accuracy, per-class figures, calibration, pictures."""
    from batchreader.classify import Classifier
    from batchreader.evaluation import evaluate_on_mnist
    from batchreader.training import load_mnist

    clf = Classifier.load(model)
    scores = evaluate_on_mnist(clf, load_mnist(data), report_dir)
    click.echo(f"model                {clf.path}")
    click.echo(f"MNIST test digits    {scores.samples}")
    click.echo(f"accuracy             {scores.accuracy:.4%}")
    click.echo(f"ECE                  {scores.expected_calibration_error:.4%}")
    click.echo(f"error in top 95%     {scores.error_rate_top95:.4%}")
    click.echo("class  precision  recall  f1      support")
    for name, m in scores.per_class.items():
        click.echo(f"{name:>5}  {m['precision']:.4f}     {m['recall']:.4f}  {m['f1']:.4f}  {m['support']}")
    click.echo(f"pictures in          {report_dir}/")


@main.command()
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
    import pandas as pd

    from batchreader.atomic import AtomicOutput
    from batchreader.results import write_frame
    from batchreader.schema import read_results
    from batchreader.scoring import compare, errors

    output = AtomicOutput(errors_out) if errors_out else None
    try:
        found, true = read_results(results), pd.read_csv(truth)
        agreement = compare(found, true)
        wrong = errors(found, true) if output else None
    except (ValueError, KeyError) as exc:
        if output:
            output.discard()
        raise BatchreaderError(f"cannot compare {results} with {truth}: {exc}") from exc
    if output:
        write_frame(wrong, output)
    a = agreement
    click.echo(f"digits in truth      {a.true_digits}")
    click.echo(f"digits found         {a.found_digits}")
    click.echo(f"recall               {a.recall:.2%}")
    click.echo(f"precision            {a.precision:.2%}")
    click.echo(f"digits read right    {a.digit_accuracy:.2%}")
    click.echo(f"fields read exactly  {a.field_accuracy:.2%} of {a.true_fields}")


if __name__ == "__main__":  # pragma: no cover
    main()
