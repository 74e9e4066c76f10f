"""Training the field model (:mod:`batchreader.read.fieldkind`) on generated fields.

Numbers are drawn from MNIST's training digits (the digit model's validation digits
excluded); every other kind is generated (:mod:`batchreader.training.fieldsynth`). The card
records the validation figures on generated fields in the training faces, and on
fields in held-out faces with MNIST's test digits.
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
from batchreader.read.fieldkind import (
    FIELD_CHANNELS,
    FIELD_CLASSES,
    FIELD_HEIGHT,
    FIELD_WIDTH,
    NUMBER,
    NUMBER_THRESHOLD,
)
from batchreader.read.modelcard import card_path, sha256_file, write_json_atomic
from batchreader.training.digits import Mnist, TrainConfig, save_model_atomic, validation_split
from batchreader.training.keras_env import import_keras
from batchreader.training.progress import epoch_progress

log = logging.getLogger(__name__)


def build_field_model(dropout: float = 0.3):
    """A small CNN over one framed field (FIELD_HEIGHT x FIELD_WIDTH), logits of FIELD_CLASSES.

    The same layer kinds as the digit model, in a plain chain, so that
    :class:`batchreader.read.inference.NumpyNet` runs it at scan time.
    """
    import keras
    from keras import layers

    def conv_bn_relu(x, filters: int, name: str):
        x = layers.Conv2D(filters, 3, use_bias=False, name=f"{name}_conv")(x)
        x = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)
        return layers.ReLU(name=f"{name}_relu")(x)

    inputs = keras.Input(shape=(FIELD_HEIGHT, FIELD_WIDTH, FIELD_CHANNELS), name="field")
    x = conv_bn_relu(inputs, 16, "c1")  # 30 x 126
    x = layers.MaxPooling2D(name="p1")(x)  # 15 x 63
    x = conv_bn_relu(x, 32, "c2")  # 13 x 61
    x = layers.MaxPooling2D(name="p2")(x)  # 6 x 30
    x = conv_bn_relu(x, 64, "c3")  # 4 x 28
    x = layers.MaxPooling2D(name="p3")(x)  # 2 x 14
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(dropout, name="drop1")(x)
    x = layers.Dense(64, use_bias=False, name="fc")(x)
    x = layers.BatchNormalization(momentum=0.9, name="fc_bn")(x)
    x = layers.ReLU(name="fc_relu")(x)
    x = layers.Dropout(dropout, name="drop2")(x)
    logits = layers.Dense(len(FIELD_CLASSES), name="logits")(x)
    return keras.Model(inputs, logits, name="batchreader_fields")


def _figures(probs: np.ndarray, y: np.ndarray, threshold: float) -> dict[str, Any]:
    """Accuracy, and how well 'number' is told from the rest at ``threshold``."""
    keep = probs[:, NUMBER] >= threshold
    number = y == NUMBER
    return {
        "fields": int(len(y)),
        "accuracy": round(float((probs.argmax(1) == y).mean()), 4),
        "number_recall": round(float(keep[number].mean()) if number.any() else 0.0, 4),
        "number_precision": round(float(number[keep].mean()) if keep.any() else 0.0, 4),
        "false_number_by_kind": {
            FIELD_CLASSES[k]: round(float(keep[y == k].mean()), 4)
            for k in range(1, len(FIELD_CLASSES))
            if (y == k).any()
        },
    }


def train_fields(
    out: Path,
    data: Mnist,
    samples: int = 120_000,
    epochs: int = 12,
    batch_size: int = 128,
    learning_rate: float = 2e-3,
    seed: int = 0,
    command: str | None = None,
    progress: bool = False,
    init: Path | None = None,
) -> dict[str, Any]:
    """Train the field model on ``samples`` generated fields and write ``out`` with its
    card; ``progress`` draws a bar per epoch on stderr. ``init``: a field model to train
    on (checked against its card) instead of starting from random weights."""
    from batchreader.read.classify import softmax
    from batchreader.training.evaluation import fit_temperature
    from batchreader.training.fieldsynth import SHARES, field_set
    from batchreader.training.fonts import HELD_OUT

    keras = import_keras()
    import tensorflow as tf

    out = Path(out)
    if out.suffix != ".keras":
        raise DataError(f"model file must end in .keras: {out}")
    keras.utils.set_random_seed(seed)
    # the digit model's validation digits stay unseen here too
    _, train_idx = validation_split(len(data.x_train), TrainConfig())
    # 1s thrice as often as MNIST has them: a number of 1s is a row of strokes, the
    # commonest thing a row of box walls or a barcode is taken for
    ones = train_idx[data.y_train[train_idx] == 1]
    pool = data.x_train[np.concatenate([train_idx, ones, ones])]
    n_val = max(500, samples // 10)
    log.info("generating %d training and %d validation fields", samples, n_val)
    started = time.monotonic()
    jobs = os.cpu_count() or 1
    x_tr, y_tr = field_set(samples, pool, seed=seed, jobs=jobs)
    x_val, y_val = field_set(n_val, pool, seed=seed + 1, jobs=jobs)
    x_held, y_held = field_set(n_val, data.x_test, seed=seed + 2, held_out=True, jobs=jobs)
    generated = time.monotonic() - started

    if init is not None:
        from batchreader.read.fieldkind import FieldClassifier

        FieldClassifier.load(Path(init))  # its card and checksum
        try:
            model = keras.saving.load_model(init, compile=False, safe_mode=True)
        except Exception as exc:  # Keras raises many types for a bad file
            raise DataError(f"cannot load field model {init}: {exc}") from exc
    else:
        model = build_field_model()
    steps = max(1, samples // batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=steps * epochs, alpha=0.02)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    started = time.monotonic()
    model.fit(
        x_tr,
        y_tr,
        batch_size=batch_size,
        epochs=epochs,
        validation_data=(x_val, y_val),
        callbacks=[epoch_progress(progress)],
        verbose=0,  # Keras prints to stdout; epoch_progress writes to stderr
    )
    seconds = time.monotonic() - started
    val_logits = np.asarray(model.predict(x_val, batch_size=512, verbose=0))
    temperature = fit_temperature(val_logits, y_val)
    threshold = NUMBER_THRESHOLD
    val = _figures(softmax(val_logits, temperature), y_val, threshold)
    held = _figures(
        softmax(np.asarray(model.predict(x_held, batch_size=512, verbose=0)), temperature), y_held, threshold
    )
    log.info("field model: validation %s; held-out faces %s", val, held)

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
            "shape": [FIELD_HEIGHT, FIELD_WIDTH, FIELD_CHANNELS],
            "normalisation": "batchreader.read.fieldkind.to_field_input",
            "range": [0.0, 1.0],
        },
        "classes": FIELD_CLASSES,
        "temperature": round(temperature, 4),
        "number_threshold": threshold,
        "architecture": {"name": model.name, "parameters": int(model.count_params())},
        "training": {
            "data": "generated fields (batchreader.training.fieldsynth): MNIST training digits for numbers, vendored "
            "handwriting and printed fonts (batchreader/training/fontdata) for words, signatures and print, drawn "
            "marks and form furniture",
            "shares": SHARES,
            "mnist_sha256": data.checksum(),
            "samples": samples,
            "epochs": epochs,
            "batch_size": batch_size,
            "learning_rate": learning_rate,
            "seed": seed,
            "trained_on_from": None if init is None else {"file": Path(init).name, "sha256": sha256_file(Path(init))},
            "held_out_fonts": list(HELD_OUT),
            "generation_seconds": round(generated, 1),
            "seconds": round(seconds, 1),
            "cpu_count": os.cpu_count(),
            "command": command,
        },
        "metrics": {"validation": val, "held_out_faces": held},
    }
    write_json_atomic(card_path(out), card)
    return card
