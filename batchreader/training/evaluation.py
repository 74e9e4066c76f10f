"""Scores of a classifier on labelled digits: accuracy, per-class figures, calibration."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np


@dataclass
class Scores:
    """What the model card and ``evaluate-model`` report."""

    samples: int
    accuracy: float
    expected_calibration_error: float
    error_rate_top95: float
    """Error rate among the 95% most confident predictions."""
    per_class: dict[str, dict[str, float]] = field(default_factory=dict)
    confusion: list[list[int]] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    """ECE with equal-width confidence bins (Guo et al., 2017)."""
    conf = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    ece = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        in_bin = (conf > lo) & (conf <= hi)
        if in_bin.any():
            ece += in_bin.mean() * abs(correct[in_bin].mean() - conf[in_bin].mean())
    return float(ece)


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """Temperature that minimises the negative log-likelihood on held-out logits."""
    from batchreader.read.classify import softmax

    grid = np.exp(np.linspace(np.log(0.3), np.log(5.0), 200))
    idx = np.arange(len(labels))
    nll = [-np.log(softmax(logits, t)[idx, labels] + 1e-12).mean() for t in grid]
    return float(grid[int(np.argmin(nll))])


def score(probs: np.ndarray, labels: np.ndarray, class_names: list[str]) -> Scores:
    """Score calibrated probabilities against true labels."""
    labels = np.asarray(labels)
    pred = probs.argmax(axis=1)
    n_classes = probs.shape[1]
    confusion = np.zeros((n_classes, n_classes), np.int64)
    np.add.at(confusion, (labels, pred), 1)
    per_class = {}
    for k, name in enumerate(class_names[:n_classes]):
        tp = confusion[k, k]
        support = confusion[k].sum()
        if support == 0:
            continue
        predicted = confusion[:, k].sum()
        precision = tp / predicted if predicted else 0.0
        recall = tp / support
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[name] = {
            "precision": round(float(precision), 5),
            "recall": round(float(recall), 5),
            "f1": round(float(f1), 5),
            "support": int(support),
        }
    conf = probs.max(axis=1)
    keep = conf >= np.quantile(conf, 0.05)
    return Scores(
        samples=int(len(labels)),
        accuracy=float((pred == labels).mean()),
        expected_calibration_error=expected_calibration_error(probs, labels),
        error_rate_top95=float((pred[keep] != labels[keep]).mean()),
        per_class=per_class,
        confusion=confusion.tolist(),
    )


def evaluate_on_mnist(classifier, data, report_dir=None) -> Scores:
    """Score ``classifier`` on the MNIST test split; with ``report_dir``, also write
    ``confusion.png`` and ``mistakes.png`` there."""
    from pathlib import Path

    x = (data.x_test.astype(np.float32) / 255.0)[..., None]
    y = data.y_test.astype(np.int64)
    probs = classifier.predict(x)
    names = list(classifier.card["classes"])
    scores = score(probs, y, names)
    if report_dir is not None:
        from batchreader.training.plots import confusion_png, mistakes_png

        report_dir = Path(report_dir)
        report_dir.mkdir(parents=True, exist_ok=True)
        title = f"MNIST test: {scores.accuracy:.2%} of {scores.samples}"
        confusion_png(scores.confusion, names, report_dir / "confusion.png", title)
        mistakes_png(x, y, probs, names, report_dir / "mistakes.png")
    return scores
