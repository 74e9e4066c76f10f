"""What training shows while it runs: a bar per epoch on a terminal, a line per epoch in the log.

Keras' own progress output goes to stdout, which is for data; this goes to stderr.
"""

from __future__ import annotations

import logging
import sys

from batchreader.training.keras_env import import_keras

log = logging.getLogger(__name__)


def epoch_progress(bar: bool):
    """A Keras callback that logs each epoch's figures at INFO and, with ``bar``, draws
    a progress bar per epoch on stderr (tqdm) with the running loss and accuracy."""
    keras = import_keras()

    class EpochProgress(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self._bar = None

        def on_epoch_begin(self, epoch, logs=None) -> None:
            if bar:
                from tqdm import tqdm

                self._bar = tqdm(
                    total=self.params.get("steps"),
                    desc=f"epoch {epoch + 1}/{self.params.get('epochs')}",
                    unit="step",
                    file=sys.stderr,
                    dynamic_ncols=True,
                    leave=True,
                )

        def on_train_batch_end(self, batch, logs=None) -> None:
            if self._bar is not None:
                self._bar.update(1)
                if batch % 20 == 0 and logs:
                    self._bar.set_postfix(_figures(logs), refresh=False)

        def on_epoch_end(self, epoch, logs=None) -> None:
            figures = _figures(logs or {})
            if self._bar is not None:
                self._bar.set_postfix(figures)
                self._bar.close()
                self._bar = None
            shown = ", ".join(f"{k} {v}" for k, v in figures.items())
            log.info("epoch %d/%s: %s", epoch + 1, self.params.get("epochs"), shown)

        def on_train_end(self, logs=None) -> None:
            if self._bar is not None:  # stopped inside an epoch
                self._bar.close()
                self._bar = None

    return EpochProgress()


def _figures(logs: dict) -> dict[str, str]:
    """Keras' running figures, named as a person reads them."""
    names = {"loss": "loss", "accuracy": "accuracy", "val_loss": "val loss", "val_accuracy": "val accuracy"}
    return {names[k]: f"{float(v):.4f}" for k, v in logs.items() if k in names}
