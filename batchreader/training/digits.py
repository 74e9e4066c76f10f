"""Training the classifier on MNIST: data loading, augmented training, calibration, card."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import platform
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from batchreader.errors import DataError
from batchreader.io.atomic import AtomicOutput
from batchreader.read.classes import CLASS_NAMES, NOT_A_DIGIT, TOUCHING
from batchreader.read.modelcard import card_path, read_card, sha256_file, write_json_atomic
from batchreader.training.evaluation import Scores, fit_temperature, score
from batchreader.training.keras_env import import_keras
from batchreader.training.model import build_model
from batchreader.training.progress import epoch_progress

log = logging.getLogger(__name__)

MNIST_KEYS = ("x_train", "y_train", "x_test", "y_test")


@dataclass
class Mnist:
    """MNIST in the Keras layout: uint8 images (N, 28, 28) and integer labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def checksum(self) -> str:
        """sha256 over the four arrays, the same whether read from a file or downloaded."""
        digest = hashlib.sha256()
        for key in MNIST_KEYS:
            digest.update(np.ascontiguousarray(getattr(self, key)).tobytes())
        return digest.hexdigest()


def load_mnist(path: Path | None = None) -> Mnist:
    """Load MNIST from a Keras-layout ``mnist.npz``, or download it with Keras when ``path`` is None."""
    if path is None:
        try:
            keras = import_keras()
            (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
        except Exception as exc:  # offline: urllib/HTTP errors of many kinds
            raise DataError(
                f"could not download MNIST: {exc}",
                "pass --data PATH to a local mnist.npz (x_train, y_train, x_test, y_test)",
            ) from exc
        return Mnist(x_train, y_train, x_test, y_test)
    path = Path(path)
    if not path.is_file():
        raise DataError(f"training data not found: {path}", "pass --data PATH to an mnist.npz file")
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in MNIST_KEYS if k not in npz.files]
            if missing:
                raise DataError(f"{path} lacks {', '.join(missing)}", "expected the Keras mnist.npz layout")
            data = Mnist(*(npz[k] for k in MNIST_KEYS))
    except (OSError, ValueError) as exc:  # NumPy's message would suggest unpickling a stranger's file
        raise DataError(
            f"cannot read {path}: it is not an .npz archive of arrays",
            "pass --data PATH to an mnist.npz in the Keras layout (x_train, y_train, x_test, y_test)",
        ) from exc
    for split in ("train", "test"):
        x, y = getattr(data, f"x_{split}"), getattr(data, f"y_{split}")
        if x.ndim != 3 or x.shape[1:] != (28, 28) or len(x) != len(y) or len(x) == 0:
            raise DataError(f"{path}: x_{split} must be (N, 28, 28) with N labels, got {x.shape} and {y.shape}")
    return data


@dataclass
class TrainConfig:
    """Settings of one training run (recorded in the card)."""

    epochs: int = 18
    batch_size: int = 128
    learning_rate: float = 2e-3
    seed: int = 1
    validation_size: int = 5000
    validation_seed: int = 1
    """The validation split's own seed, whatever ``seed`` is: a model trained on from
    another (``train(init=...)``) must be validated on digits neither run trained on."""
    steps_per_epoch: int | None = None
    """Limit steps per epoch (tiny runs for tests); None means the whole training split."""
    nondigit_share: float = 0.08
    touching_share: float = 0.06
    """Share of the samples that are two or three digits written touching (class
    ``touching-digits``)."""
    touching_ones: float = 0.0
    """Share of the touching samples in which one digit is a 1 (see
    :func:`batchreader.training.augment.augment_batch`). The shipped model was trained on for 2
    epochs with 0.5 from one trained without (see the README's model section)."""
    font_share: float = 0.0
    """Share of the digits drawn in a handwriting face instead of MNIST's hand (see
    :func:`batchreader.training.augment.make_font_digit`): the styles MNIST lacks."""
    letter_share: float = 0.5
    """With ``font_share``: share of the drawn marks that are letters in those faces."""
    separator_share: float = 0.0
    """Share of the distorted digits with a thousands dot or a comma written against them
    (see :func:`batchreader.training.augment.augment_digit`)."""
    continental_share: float = 0.0
    """Share of the 1s and 7s written with a flag or a bar (see
    :func:`batchreader.training.augment.continental`)."""
    patience: int = 8
    average_start: float = 0.0
    """Trained on from a model (``train(init=...)``): the share of the starting model's
    weights averaged into the trained ones at the end (a weight-space ensemble of the
    two: what the new samples taught, with less of what the start read well forgotten)."""


def _batches(x: np.ndarray, y: np.ndarray, cfg: TrainConfig, seed: int):
    """tf.data pipeline that augments each batch on the fly (no augmented copy in memory)."""
    import tensorflow as tf

    from batchreader.training.augment import augment_batch

    rng = np.random.default_rng(seed)

    def make(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return augment_batch(
            x[idx],
            y[idx],
            rng,
            nondigit_share=cfg.nondigit_share,
            touching_share=cfg.touching_share,
            touching_ones=cfg.touching_ones,
            font_share=cfg.font_share,
            letter_share=cfg.letter_share,
            continental_share=cfg.continental_share,
            separator_share=cfg.separator_share,
            not_a_digit=NOT_A_DIGIT,
            touching=TOUCHING,
        )

    def tf_make(idx):
        images, labels = tf.numpy_function(make, [idx], (tf.float32, tf.int32))
        images.set_shape((None, 28, 28, 1))
        labels.set_shape((None,))
        return images, labels

    ds = tf.data.Dataset.range(len(x)).shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(cfg.batch_size, drop_remainder=True).map(tf_make, num_parallel_calls=1)
    return ds.repeat().prefetch(4)


def validation_split(n: int, cfg: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the validation and training digits among ``n`` training digits."""
    order = np.random.default_rng(cfg.validation_seed).permutation(n)
    n_val = min(cfg.validation_size, n // 5)
    return order[:n_val], order[n_val:]


def parent_split(card: dict[str, Any]) -> dict[str, int]:
    """The validation split settings of the model with this card, for a run that trains
    it on: validated on other digits, it would fit its temperature on digits the model
    learnt, and come out overconfident. Cards from before ``validation_seed`` drew the
    split with their run's own seed."""
    trained = card.get("training", {}).get("config", {})
    default = TrainConfig()
    return {
        "validation_size": int(trained.get("validation_size", default.validation_size)),
        "validation_seed": int(trained.get("validation_seed", trained.get("seed", default.validation_seed))),
    }


def train(
    out: Path,
    data: Mnist,
    config: TrainConfig | None = None,
    command: str | None = None,
    init: Path | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Train a model on ``data``, calibrate it, score it on the test split, and write
    ``out`` (``.keras``) with its card. Returns the card. Each epoch's figures are
    logged at INFO; ``progress`` draws a bar per epoch on stderr too.

    From random weights, or from those of the model ``init`` (training it on, for
    instance a few epochs at a lower rate with another mix of samples; its card is
    named in the new one's, and its validation split is kept, see :func:`parent_split`).
    The MNIST test split is used only for the final scores; early stopping and the
    temperature use a validation split taken from the training set (see
    ``TrainConfig.validation_seed``).
    """
    keras = import_keras()
    import tensorflow as tf

    cfg = config or TrainConfig()
    out = Path(out)
    if out.suffix != ".keras":
        raise DataError(f"model file must end in .keras: {out}")
    keras.utils.set_random_seed(cfg.seed)

    parent = read_card(Path(init)) if init is not None else None
    if parent is not None:
        cfg = replace(cfg, **parent_split(parent))
    val_idx, train_idx = validation_split(len(data.x_train), cfg)
    x_tr, y_tr = data.x_train[train_idx], data.y_train[train_idx].astype(np.int32)
    x_val = (data.x_train[val_idx].astype(np.float32) / 255.0)[..., None]
    y_val = data.y_train[val_idx].astype(np.int32)

    steps = cfg.steps_per_epoch or max(1, len(x_tr) // cfg.batch_size)
    # from random weights the rate warms up for an epoch, then decays; a trained model
    # goes on at the rate given (a warm-up would first shake it, a decay end in nothing)
    if parent is not None:
        from batchreader.training.model import load_keras_model

        model = load_keras_model(init)  # the file checked against its card
        start = model.get_weights()
        schedule = cfg.learning_rate
    else:
        model = build_model()
        schedule = keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=cfg.learning_rate / 10,
            decay_steps=max(1, steps * cfg.epochs - steps),
            warmup_target=cfg.learning_rate,
            warmup_steps=steps,
            alpha=0.01,
        )
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    callbacks = [
        keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=cfg.patience, restore_best_weights=True, min_delta=1e-4
        ),
        epoch_progress(progress),
    ]
    log.info("training on %d digits (%d validation), %d epochs of %d steps", len(x_tr), len(x_val), cfg.epochs, steps)
    started = time.monotonic()
    history = model.fit(
        _batches(x_tr, y_tr, cfg, cfg.seed),
        steps_per_epoch=steps,
        epochs=cfg.epochs,
        validation_data=(x_val, y_val),
        callbacks=callbacks,
        shuffle=False,  # the batches are drawn in random order already (Keras warns otherwise)
        verbose=0,  # Keras prints to stdout; epoch_progress writes to stderr
    )
    seconds = time.monotonic() - started
    if parent is not None and cfg.average_start:
        share = cfg.average_start
        model.set_weights([(1 - share) * w + share * w0 for w, w0 in zip(model.get_weights(), start)])
        log.info("weights averaged with the starting model's (%.0f%% of them its)", 100 * share)

    from batchreader.read.classify import softmax

    val_logits = np.asarray(model.predict(x_val, batch_size=1024, verbose=0))
    temperature = fit_temperature(val_logits, y_val)
    x_test = (data.x_test.astype(np.float32) / 255.0)[..., None]
    test_probs = softmax(np.asarray(model.predict(x_test, batch_size=1024, verbose=0)), temperature)
    scores = score(test_probs, data.y_test.astype(np.int64), CLASS_NAMES)
    log.info("MNIST test accuracy %.4f, ECE %.4f", scores.accuracy, scores.expected_calibration_error)

    save_model_atomic(model, out)
    card = _card(
        model, out, data, cfg, len(x_val), scores, temperature, seconds, len(history.epoch), command, tf.__version__
    )
    if parent is not None:
        card["training"]["init"] = {
            "sha256": parent["sha256"],
            "command": parent.get("training", {}).get("command"),
            "seconds": parent.get("training", {}).get("seconds"),
        }
    write_json_atomic(card_path(out), card)
    return card


def save_model_atomic(model: Any, out: Path) -> None:
    """Save a Keras model to ``out`` through a temporary file and a rename."""
    output = AtomicOutput(out, suffix=".keras")  # Keras insists on the suffix
    try:
        model.save(output.tmp)
        output.commit()
    except BaseException:
        output.discard()
        raise


def _card(
    model: Any,
    out: Path,
    data: Mnist,
    cfg: TrainConfig,
    n_val: int,
    scores: Scores,
    temperature: float,
    seconds: float,
    epochs_run: int,
    command: str | None,
    tf_version: str,
) -> dict[str, Any]:
    import keras

    from batchreader import __version__

    layers = [{"name": layer.name, "type": type(layer).__name__} for layer in model.layers]
    return {
        "name": out.stem,
        "file": out.name,
        "sha256": sha256_file(out),
        "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "batchreader_version": __version__,
        "framework": {"tensorflow": tf_version, "keras": keras.__version__, "python": platform.python_version()},
        "input": {"shape": [28, 28, 1], "normalisation": "batchreader.read.normalize.to_mnist", "range": [0.0, 1.0]},
        "classes": CLASS_NAMES,
        "temperature": round(temperature, 4),
        "architecture": {"name": model.name, "parameters": int(model.count_params()), "layers": layers},
        "training": {
            "data": "MNIST (Keras layout)",
            "data_sha256": data.checksum(),
            "train_digits": int(len(data.x_train) - n_val),
            "validation_digits": int(n_val),
            "config": cfg.__dict__,
            "epochs_run": epochs_run,
            "seconds": round(seconds, 1),
            "cpu_count": os.cpu_count(),
            "command": command,
            "augmentation": "rotation, shear, scale/aspect, elastic, fine-pen centre lines, stroke thickness, "
            "broken strokes, blur, 1-bit threshold, shift, noise; class 'not-a-digit': generated marks "
            "(letters, X, ticks, dashes, scribbles, blots, box corners) and printed characters in DejaVu fonts; class "
            "'touching-digits': two or three training digits written overlapping"
            + (f", a 1 among them in {cfg.touching_ones:.0%} of them" if cfg.touching_ones else "")
            + (
                f"; {cfg.continental_share:.0%} of the 1s flagged and of the 7s crossed"
                if cfg.continental_share
                else ""
            )
            + (
                f"; {cfg.font_share:.0%} of the digits in handwriting faces, and {cfg.letter_share:.0%} of the "
                "marks letters in them"
                if cfg.font_share
                else ""
            )
            + (
                f"; a dot or comma written against {cfg.separator_share:.0%} of the digits"
                if cfg.separator_share
                else ""
            )
            + (
                f"; the weights then averaged with the starting model's, {cfg.average_start:.0%} of them its"
                if cfg.average_start
                else ""
            ),
        },
        "metrics": {"mnist_test": scores.to_dict()},
    }
