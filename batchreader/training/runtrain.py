"""Training the run reader (:mod:`batchreader.read.runreader`) on generated numbers.

The digits are MNIST's training digits (the digit model's validation digits excluded),
written by :mod:`batchreader.training.runsynth`. The card records the share of
generated numbers read exactly, on validation numbers of training digits and on
numbers of MNIST's test digits.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

from batchreader.errors import DataError
from batchreader.read.modelcard import card_path, sha256_file, write_json_atomic
from batchreader.read.runreader import CLASSES, RUN_HEIGHT, RUN_WIDTH, best_path
from batchreader.training.digits import Mnist, TrainConfig, save_model_atomic, validation_split
from batchreader.training.keras_env import import_keras
from batchreader.training.progress import epoch_progress

log = logging.getLogger(__name__)


def build_run_model(dropout: float = 0.2):
    """A small fully convolutional network: a (RUN_HEIGHT, RUN_WIDTH) frame in, one
    column of CLASSES logits for every 4 columns out (shape (1, columns, CLASSES)).

    The same layer kinds as the digit model, in a plain chain, so that
    :class:`batchreader.read.inference.NumpyNet` runs it at scan time. Each output
    column sees 44 input columns, about one and a half digit heights: a digit and
    what it runs into on both sides.
    """
    import keras
    from keras import layers

    def conv_bn_relu(x, filters: int, kernel, name: str):
        x = layers.Conv2D(filters, kernel, use_bias=False, name=f"{name}_conv")(x)
        x = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)
        return layers.ReLU(name=f"{name}_relu")(x)

    inputs = keras.Input(shape=(RUN_HEIGHT, RUN_WIDTH, 1), name="run")
    x = conv_bn_relu(inputs, 24, 3, "c1")  # 30 x 158
    x = layers.MaxPooling2D(name="p1")(x)  # 15 x 79
    x = conv_bn_relu(x, 48, 3, "c2")  # 13 x 77
    x = layers.MaxPooling2D(name="p2")(x)  # 6 x 38
    x = conv_bn_relu(x, 64, 3, "c3")  # 4 x 36
    x = conv_bn_relu(x, 96, (4, 5), "c4")  # 1 x 32
    x = conv_bn_relu(x, 96, (1, 3), "c5")  # 1 x 30
    x = layers.Dropout(dropout, name="drop")(x)
    logits = layers.Dense(CLASSES, name="logits")(x)
    return keras.Model(inputs, logits, name="batchreader_runs")


def exact_share(probs: np.ndarray, y: np.ndarray) -> float:
    """Share of samples whose best path is exactly their digits (``y`` padded with -1)."""
    right = 0
    for p, truth in zip(probs, y):
        digits = best_path(p)[0]
        right += digits == [int(d) for d in truth if d >= 0]
    return right / max(1, len(y))


def train_runs(
    out: Path,
    data: Mnist,
    samples: int = 70_000,
    epochs: int = 8,
    batch_size: int = 64,
    learning_rate: float = 2e-3,
    seed: int = 0,
    command: str | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Train the run reader on ``samples`` generated numbers and write ``out`` with its card."""
    from batchreader.read.classify import softmax
    from batchreader.training.runsynth import LENGTHS, run_set

    keras = import_keras()
    import tensorflow as tf

    out = Path(out)
    if out.suffix != ".keras":
        raise DataError(f"model file must end in .keras: {out}")
    keras.utils.set_random_seed(seed)
    _, train_idx = validation_split(len(data.x_train), TrainConfig())
    images, labels = data.x_train[train_idx], data.y_train[train_idx]
    n_val = max(200, samples // 20)
    jobs = os.cpu_count() or 1
    log.info("generating %d training and %d validation numbers", samples, n_val)
    started = time.monotonic()
    x_tr, y_tr = run_set(images, labels, samples, seed=seed, jobs=jobs)
    x_val, y_val = run_set(images, labels, n_val, seed=seed + 1, jobs=jobs)
    x_test, y_test = run_set(data.x_test, data.y_test, n_val, seed=seed + 2, jobs=jobs)
    generated = time.monotonic() - started

    def targets(y: np.ndarray) -> np.ndarray:  # CTC: 0 is the blank, digits 1-10, padded with blanks
        return np.where(y >= 0, y + 1, 0).astype(np.int32)

    model = build_run_model()
    columns = model.output_shape[2]
    trainer = keras.Model(model.inputs, keras.layers.Reshape((columns, CLASSES), name="columns")(model.outputs[0]))
    steps = max(1, samples // batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=steps * epochs, alpha=0.02)
    trainer.compile(optimizer=keras.optimizers.Adam(schedule), loss=keras.losses.CTC())
    started = time.monotonic()
    trainer.fit(
        x_tr,
        targets(y_tr),
        batch_size=batch_size,
        epochs=epochs,
        validation_data=(x_val, targets(y_val)),
        callbacks=[epoch_progress(progress)],
        verbose=0,
    )
    seconds = time.monotonic() - started

    def probs(x: np.ndarray) -> np.ndarray:
        logits = np.asarray(trainer.predict(x, batch_size=256, verbose=0))
        return softmax(logits.reshape(-1, CLASSES)).reshape(logits.shape)

    val, test = exact_share(probs(x_val), y_val), exact_share(probs(x_test), y_test)
    log.info("run reader: generated numbers read exactly: validation %.4f, MNIST test digits %.4f", val, test)
    save_model_atomic(model, out)
    from batchreader import __version__

    card = {
        "name": out.stem,
        "file": out.name,
        "sha256": sha256_file(out),
        "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "batchreader_version": __version__,
        "framework": {"tensorflow": tf.__version__, "keras": keras.__version__, "python": platform.python_version()},
        "input": {
            "shape": [RUN_HEIGHT, RUN_WIDTH, 1],
            "normalisation": "batchreader.read.runreader.to_run_input",
            "range": [0.0, 1.0],
        },
        "classes": CLASSES,
        "output": "per column: blank, then the digits 0-9 (CTC)",
        "temperature": 1.0,
        "architecture": {"name": model.name, "parameters": int(model.count_params()), "columns": int(columns)},
        "training": {
            "data": "generated numbers (batchreader.training.runsynth) of MNIST training digits, the digit "
            "model's validation digits excluded",
            "lengths": list(LENGTHS),
            "mnist_sha256": data.checksum(),
            "samples": samples,
            "epochs": epochs,
            "batch_size": batch_size,
            "learning_rate": learning_rate,
            "seed": seed,
            "generation_seconds": round(generated, 1),
            "seconds": round(seconds, 1),
            "cpu_count": os.cpu_count(),
            "command": command,
        },
        "metrics": {"validation_exact": round(val, 4), "mnist_test_exact": round(test, 4)},
    }
    write_json_atomic(card_path(out), card)
    return card
