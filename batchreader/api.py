"""The library API: the functions the ``batchreader`` commands call, for use from Python.

The five that ``import batchreader`` offers are the public API:

- :func:`scan` reads scans (files or folders) into a results CSV and returns a
  :class:`ScanSummary`: ``batchreader.scan(["scans"], "results.csv", fields_out="numbers.csv")``.
- :func:`review` writes the HTML review report of a results CSV's low-confidence digits.
- :func:`apply_corrections` applies the corrections exported from that report.
- :func:`read_results` reads a results or fields file (CSV, JSON lines, workbook) back with its types.
- :func:`train` trains the digit model on MNIST (:func:`load_mnist`, :class:`TrainConfig`)
  and writes it with its card.

The others here (fine-tuning, the field model, evaluation, scoring) serve the command
line's other commands. Everything under the subpackages is private: its names may
change between releases.
"""

from __future__ import annotations

from batchreader.io.results import read_results
from batchreader.read.classify import Classifier
from batchreader.read.modelcard import default_model_path, mnist_accuracy, read_card
from batchreader.run.pipeline import ScanSummary, scan
from batchreader.training.digits import TrainConfig, load_mnist, train
from batchreader.training.evaluation import evaluate_on_mnist
from batchreader.training.fieldtrain import train_fields
from batchreader.training.finetune import fine_tune
from batchreader.training.runtrain import train_runs
from batchreader.verify.corrections import apply_corrections
from batchreader.verify.report import ReviewSummary
from batchreader.verify.report import build_review as review
from batchreader.verify.scoring import compare, errors
from batchreader.verify.scoring import score_files as score

__all__ = [
    # the public API, exported by ``batchreader`` itself
    "scan",
    "review",
    "apply_corrections",
    "read_results",
    "train",
    # for the command line's other commands
    "Classifier",
    "ReviewSummary",
    "ScanSummary",
    "TrainConfig",
    "compare",
    "errors",
    "evaluate_on_mnist",
    "fine_tune",
    "load_mnist",
    "score",
    "shipped_mnist_accuracy",
    "train_fields",
    "train_runs",
]


def shipped_mnist_accuracy() -> float | None:
    """The MNIST test accuracy of the shipped digit model, by its card."""
    return mnist_accuracy(read_card(default_model_path()))
