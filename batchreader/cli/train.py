"""``batchreader train``, ``train-fields`` and ``evaluate-model``: the models."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from batchreader.cli.options import layout_option, model_option


@click.command(short_help="Train the digit classifier on MNIST.")
@click.option("--data", type=click.Path(path_type=Path), help="mnist.npz in the Keras layout (default: download).")
@click.option(
    "--out",
    "-o",
    default="batchreader-cnn.keras",
    show_default=True,
    type=click.Path(path_type=Path),
    help="Model to write.",
)
@click.option(
    "--epochs",
    type=click.IntRange(1, None),
    help="Most passes over MNIST (early stopping; default 18); with --corrections, passes over the "
    "corrections mixed with MNIST (default 3).",
)
@click.option("--batch-size", default=128, show_default=True, type=click.IntRange(8, None), help="Digits per step.")
@click.option("--learning-rate", default=2e-3, show_default=True, type=float, help="Adam's step size.")
@click.option("--seed", default=1, show_default=True, type=int, help="Seed of the augmentation and the weights.")
@click.option("--steps-per-epoch", type=click.IntRange(1, None), help="Limit steps per epoch (quick trial runs).")
@click.option(
    "--validation-size",
    default=5000,
    show_default=True,
    type=click.IntRange(1, None),
    help="Training digits held out for early stopping and calibration.",
)
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
    "--letter-share",
    default=0.5,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="With --font-share: share of the drawn marks (class not-a-digit) that are letters in those faces.",
)
@click.option(
    "--touching-share",
    default=0.06,
    show_default=True,
    type=click.FloatRange(0, 0.5),
    help="Share of the samples that are two or three digits written touching (class touching-digits).",
)
@click.option(
    "--separator-share",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of the distorted digits with a thousands dot or a comma written against them.",
)
@click.option(
    "--continental",
    "continental_share",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of MNIST's 1s written with a flag and of its 7s with a bar across (as most of the world writes them).",
)
@click.option(
    "--average-start",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="With --model: average the trained weights with the starting model's, this share of them its "
    "(a weight-space ensemble: what the new samples taught, less of what the start read well forgotten).",
)
@click.option(
    "--corrections",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Fine-tune --model on a corrections CSV from the review report instead of training anew.",
)
@click.option("--scans", type=click.Path(path_type=Path), help="With --corrections: the folder that was scanned.")
@click.option(
    "--results",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="With --corrections: the results they were made on; their run record says where the scans are "
    "and at what dpi (instead of --scans and --dpi).",
)
@click.option(
    "--model",
    type=click.Path(path_type=Path),
    help="Model to start from: trained on with MNIST instead of from random weights; with --corrections, "
    "the model to fine-tune (default: shipped).",
)
@click.option(
    "--dpi",
    type=click.IntRange(50, 1200),
    help="With --corrections: PDF dpi of the scan (default: the run record's, else 300).",
)
@layout_option("With --corrections: the scan's --layout (default: the run record's, else auto).", default=None)
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
    letter_share,
    touching_share,
    separator_share,
    continental_share,
    average_start,
    corrections,
    scans,
    results,
    model,
    dpi,
    layout,
) -> None:
    """Train the digit classifier on MNIST and write the model with its card.

    With --model, train that model on (say a few epochs at a lower --learning-rate)
    instead of starting from random weights. With --corrections, fine-tune an existing
    model on the digits a person corrected, mixed with MNIST, and report accuracy
    before and after.
    """
    from batchreader import api

    command = shlex.join(["batchreader", *sys.argv[1:]])
    bar = _progress_bar()
    if corrections:
        if scans is None and results is None:
            raise click.UsageError(
                "--corrections needs --results (the results they were made on) or --scans (the scanned folder)"
            )
        card = api.fine_tune(
            model,
            out,
            api.load_mnist(data),
            corrections,
            scans,
            dpi=dpi,
            results=results,
            layout=layout,
            **({} if epochs is None else {"epochs": epochs}),
            seed=seed,
            command=command,
            progress=bar,
        )
        ft = card["fine_tuning"]
        for split in ("mnist_test", "held_out"):
            b, a = ft["accuracy_before"][split], ft["accuracy_after"][split]
            if b is None or a is None:
                click.echo(f"{split:<12} none held out (fewer than 5 corrections: all were trained on)")
            else:
                click.echo(f"{split:<12} before {b:.4f}  after {a:.4f}")
        click.echo(f"wrote {out} (fine-tuned on {ft['used_for_training']} corrections)", err=True)
        return

    config = api.TrainConfig(
        **({} if epochs is None else {"epochs": epochs}),
        batch_size=batch_size,
        learning_rate=learning_rate,
        seed=seed,
        steps_per_epoch=steps_per_epoch,
        validation_size=validation_size,
        touching_ones=touching_ones,
        font_share=font_share,
        letter_share=letter_share,
        touching_share=touching_share,
        separator_share=separator_share,
        continental_share=continental_share,
        average_start=average_start,
    )
    if average_start and model is None:
        raise click.UsageError("--average-start needs --model (the model to train on and average with)")
    card = api.train(out, api.load_mnist(data), config, command=command, init=model, progress=bar)
    test = card["metrics"]["mnist_test"]
    click.echo(
        f"wrote {out}: MNIST test accuracy {test['accuracy']:.4f}, "
        f"ECE {test['expected_calibration_error']:.4f}, trained in {card['training']['seconds']:.0f} s",
        err=True,
    )
    shipped = api.shipped_mnist_accuracy()
    if shipped is not None and test["accuracy"] < shipped:
        click.echo(
            f"batchreader: warning: {out} reads {test['accuracy']:.2%} of MNIST's test digits right, worse than "
            f"the shipped model's {shipped:.2%}: train longer (--epochs) before scanning with it",
            err=True,
        )


def _progress_bar() -> bool:
    """Whether training draws its bar per epoch: on a terminal, unless -q."""
    ctx = click.get_current_context()
    return not ctx.find_root().obj["quiet"] and sys.stderr.isatty()


@click.command("train-fields", short_help="Train the field model on generated fields.")
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
@click.option(
    "--model",
    "init",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Field model to train on (say a few epochs at a lower --learning-rate) instead of random weights.",
)
@click.option(
    "--learning-rate",
    default=2e-3,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Adam's initial learning rate (cosine decay over the epochs).",
)
def train_fields(data, out, samples, epochs, seed, init, learning_rate) -> None:
    """Train the field model, which tells handwritten numbers from words, signatures, print and furniture.

    It learns from generated fields only: MNIST digits written as numbers, and words,
    names, signatures, printed text and form furniture drawn in the vendored fonts.
    """
    from batchreader import api

    command = shlex.join(["batchreader", *sys.argv[1:]])
    card = api.train_fields(
        out,
        api.load_mnist(data),
        samples=samples,
        epochs=epochs,
        seed=seed,
        learning_rate=learning_rate,
        init=init,
        command=command,
        progress=_progress_bar(),
    )
    val, held = card["metrics"]["validation"], card["metrics"]["held_out_faces"]
    click.echo(
        f"wrote {out}: numbers told from the rest with recall {val['number_recall']:.4f}, precision "
        f"{val['number_precision']:.4f} (held-out faces {held['number_recall']:.4f} / {held['number_precision']:.4f})",
        err=True,
    )


@click.command("train-runs", short_help="Train the run reader on generated numbers.")
@click.option("--data", type=click.Path(path_type=Path), help="mnist.npz in the Keras layout (default: download).")
@click.option(
    "--out",
    "-o",
    default="batchreader-runs.keras",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Run model to write (.keras), with its card beside it.",
)
@click.option("--samples", default=70_000, show_default=True, type=click.IntRange(100, None), help="Generated numbers.")
@click.option("--epochs", default=8, show_default=True, type=click.IntRange(1, None), help="Passes over them.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the generator and of training.")
def train_runs(data, out, samples, epochs, seed) -> None:
    """Train the run reader, which reads a number written in one stroke without cutting it.

    It learns from generated numbers only: MNIST digits written spaced, touching and
    in one stroke, and whole generated cheque amounts as the scan's ink extraction
    leaves them.
    """
    from batchreader import api

    command = shlex.join(["batchreader", *sys.argv[1:]])
    card = api.train_runs(
        out, api.load_mnist(data), samples=samples, epochs=epochs, seed=seed, command=command, progress=_progress_bar()
    )
    metrics = card["metrics"]
    click.echo(
        f"wrote {out}: generated numbers read exactly {metrics['validation_exact']:.4f} "
        f"(of MNIST's test digits {metrics['mnist_test_exact']:.4f})",
        err=True,
    )


@click.command("evaluate-model", short_help="Score a model on the MNIST test split.")
@model_option()
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
    from batchreader import api

    clf = api.Classifier.load(model)
    scores = api.evaluate_on_mnist(clf, api.load_mnist(data), report_dir)
    click.echo(f"model                {clf.path}")
    click.echo(f"MNIST test digits    {scores.samples}")
    click.echo(f"accuracy             {scores.accuracy:.4%}")
    click.echo(f"ECE                  {scores.expected_calibration_error:.4%}")
    click.echo(f"error in top 95%     {scores.error_rate_top95:.4%}")
    click.echo("class  precision  recall  f1      support")
    for name, m in scores.per_class.items():
        click.echo(f"{name:>5}  {m['precision']:.4f}     {m['recall']:.4f}  {m['f1']:.4f}  {m['support']}")
    click.echo(f"pictures in          {report_dir}/")
