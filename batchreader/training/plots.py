"""Pictures for the model evaluation: a confusion matrix and a montage of mistakes."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def confusion_png(confusion: list[list[int]], class_names: list[str], path: Path, title: str) -> None:
    """Draw a confusion matrix (true rows, predicted columns) with counts in the cells."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cm = np.asarray(confusion)
    keep = [i for i in range(len(cm)) if cm[i].sum() or cm[:, i].sum()]
    cm = cm[np.ix_(keep, keep)]
    names = [class_names[i] for i in keep]
    fig, ax = plt.subplots(figsize=(6.5, 5.5), dpi=110)
    shown = np.log1p(cm)
    ax.imshow(shown, cmap="Blues")
    for i in range(len(cm)):
        for j in range(len(cm)):
            if cm[i, j]:
                colour = "white" if shown[i, j] > shown.max() * 0.6 else "black"
                ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=7, color=colour)
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def mistakes_png(
    images: np.ndarray, labels: np.ndarray, probs: np.ndarray, class_names: list[str], path: Path, limit: int = 100
) -> int:
    """Montage of misclassified digits, each titled 'true->predicted (confidence)'. Returns the count shown."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pred = probs.argmax(axis=1)
    wrong = np.flatnonzero(pred != labels)[:limit]
    cols = 10
    rows = max(1, int(np.ceil(len(wrong) / cols)))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.1, rows * 1.25), dpi=100, squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, i in zip(axes.ravel(), wrong):
        ax.imshow(images[i].squeeze(), cmap="gray", vmin=0, vmax=1)
        ax.set_title(f"{class_names[labels[i]]}->{class_names[pred[i]]} {probs[i].max():.2f}", fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return len(wrong)
