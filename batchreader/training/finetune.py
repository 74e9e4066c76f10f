"""Learning from corrections: fine-tune a model on digits a person corrected in review.

The corrected digits are re-cut from the source scans (the results CSV keeps only
boxes), framed by the same normaliser, and mixed into MNIST so the model learns the
new writers without forgetting the old ones. A share of the corrections is held out
to measure whether the fine-tuned model reads those writers better.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from batchreader.defaults import PDF_DPI
from batchreader.errors import DataError
from batchreader.io.pages import InputFile, Page, read_pages
from batchreader.io.runrecord import read_record, recorded_inputs, recorded_scan
from batchreader.read.classes import CLASS_NAMES, NOT_A_DIGIT
from batchreader.read.classify import Classifier, softmax
from batchreader.read.modelcard import card_path, sha256_file, write_json_atomic
from batchreader.read.normalize import to_mnist
from batchreader.segment.glyphs import masked_ink
from batchreader.segment.layout import segment_page
from batchreader.training.digits import Mnist, TrainConfig, parent_split, save_model_atomic, validation_split
from batchreader.training.evaluation import fit_temperature, score
from batchreader.training.model import load_keras_model
from batchreader.training.progress import epoch_progress
from batchreader.verify.corrections import NOT_A_DIGIT as CORRECTED_NOT_A_DIGIT
from batchreader.verify.corrections import read_corrections

log = logging.getLogger(__name__)


def corrected_digits(
    corrections,
    scans: Path | None,
    dpi: float = PDF_DPI,
    record: dict[str, Any] | None = None,
    layout: str = "auto",
) -> tuple[np.ndarray, np.ndarray]:
    """Re-cut and frame every corrected mark; labels are the corrected digits (``x`` ->
    the not-a-digit class). The scans are under ``scans`` or, without it, where the run
    ``record`` of the corrected results says (and must still be the files it read).
    Each page's ink is judged as the scan judged it: an image read as one field (see
    ``layout``, :func:`batchreader.segment.layout.segment_page`) at the field's scale."""
    recorded = recorded_inputs(record)

    def located(name: str) -> Path:
        if scans is not None:
            return (scans.parent if scans.is_file() else scans) / name
        return recorded_scan(recorded, name)

    images, labels = [], []
    whole = corrections["corrected_digit"].str.len() > 1
    if whole.any():
        log.info(
            "%d correction(s) of whole fields (typed with another count of digits than were found) are not "
            "trained on: where each of their digits is, is not known",
            int(whole.sum()),
        )
    for file, rows in corrections[~whole].groupby("file", sort=True):
        pages = {int(p) for p in rows["page"]}
        path = located(str(file))
        for page in read_pages(InputFile(path, str(file)), dpi):
            if not isinstance(page, Page):
                raise DataError(f"cannot re-read {path} for corrections", "pass --scans: the scanned folder")
            if page.number not in pages:
                continue
            _, one_field = segment_page(page.gray, page.dpi, layout)
            ink = masked_ink(page.gray, field=one_field)
            for _, r in rows[rows["page"] == page.number].iterrows():
                crop = ink[r["y"] : r["y"] + r["height"], r["x"] : r["x"] + r["width"]]
                images.append(to_mnist(crop))
                c = r["corrected_digit"]
                labels.append(NOT_A_DIGIT if c == CORRECTED_NOT_A_DIGIT else int(c))
    if not images:
        raise DataError("no corrected digits could be re-cut from the scans")
    return np.stack(images)[..., None].astype(np.float32), np.array(labels, np.int32)


def _accuracy(model: Any, x: np.ndarray, y: np.ndarray) -> float | None:
    """The share of ``x`` read as ``y``; None for no digits (too few corrections to hold any out)."""
    if len(x) == 0:
        return None
    return float((np.asarray(model.predict(x, batch_size=1024, verbose=0)).argmax(axis=1) == y).mean())


def fine_tune(
    model_path: Path | None,
    out: Path,
    data: Mnist,
    corrections_path: Path,
    scans: Path | None,
    dpi: float | None = None,
    results: Path | None = None,
    layout: str | None = None,
    epochs: int = 3,
    seed: int = 1,
    mnist_digits: int = 12000,
    command: str | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Fine-tune ``model_path`` (default: the shipped model) on corrections; write ``out`` and its card.
    ``layout`` is the scan's (default: the run record's, else ``auto``)."""
    from batchreader.training.keras_env import import_keras

    keras = import_keras()
    keras.utils.set_random_seed(seed)
    clf = Classifier.load(model_path)
    record = read_record(Path(results)) if results is not None else None
    if scans is None and record is None:
        raise DataError(
            "no scans to re-cut the corrected digits from",
            "pass --results (the results the corrections were made on, with their run record) or --scans",
        )
    settings = (record or {}).get("settings", {})
    if dpi is None:
        dpi = settings.get("dpi") or PDF_DPI
    x_c, y_c = corrected_digits(
        read_corrections(corrections_path),
        Path(scans) if scans is not None else None,
        dpi,
        record,
        layout if layout is not None else settings.get("layout", "auto"),
    )
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x_c))
    n_hold = max(1, round(0.2 * len(x_c))) if len(x_c) >= 5 else 0
    hold, fit_idx = order[:n_hold], order[n_hold:]

    # validated on the model's own validation digits (see parent_split), mixed with others
    val_idx, rest = validation_split(len(data.x_train), TrainConfig(**parent_split(clf.card)))
    mnist_idx = rng.permutation(rest)[:mnist_digits]
    x_val = (data.x_train[val_idx] / 255.0).astype(np.float32)[..., None]
    y_val = data.y_train[val_idx].astype(np.int32)
    x_test = (data.x_test / 255.0).astype(np.float32)[..., None]
    y_test = data.y_test.astype(np.int32)

    model = load_keras_model(model_path)
    before = {"mnist_test": _accuracy(model, x_test, y_test), "held_out": _accuracy(model, x_c[hold], y_c[hold])}
    # corrections are repeated until they make about a tenth of the mix: enough to
    # learn from, too few to make the model forget MNIST
    reps = max(1, round(0.1 * len(mnist_idx) / max(1, len(fit_idx))))
    x_fit = np.concatenate([(data.x_train[mnist_idx] / 255.0).astype(np.float32)[..., None]] + [x_c[fit_idx]] * reps)
    y_fit = np.concatenate([data.y_train[mnist_idx].astype(np.int32)] + [y_c[fit_idx]] * reps)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-4),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    started = time.monotonic()
    callbacks = [epoch_progress(progress)]
    model.fit(x_fit, y_fit, batch_size=128, epochs=epochs, shuffle=True, verbose=0, callbacks=callbacks)
    seconds = time.monotonic() - started
    after = {"mnist_test": _accuracy(model, x_test, y_test), "held_out": _accuracy(model, x_c[hold], y_c[hold])}
    log.info("fine-tuned on %d corrections: before %s, after %s", len(fit_idx), before, after)

    temperature = fit_temperature(np.asarray(model.predict(x_val, batch_size=1024, verbose=0)), y_val)
    test_probs = softmax(np.asarray(model.predict(x_test, batch_size=1024, verbose=0)), temperature)
    scores = score(test_probs, y_test.astype(np.int64), CLASS_NAMES)
    save_model_atomic(model, Path(out))
    card = dict(clf.card)
    card.update(
        name=Path(out).stem,
        file=Path(out).name,
        sha256=sha256_file(Path(out)),
        created=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        temperature=round(temperature, 4),
        metrics={"mnist_test": scores.to_dict()},
        fine_tuning={
            "parent_sha256": clf.card["sha256"],
            "corrections": int(len(x_c)),
            "used_for_training": int(len(fit_idx)),
            "held_out": int(n_hold),
            "mnist_digits_mixed_in": int(len(mnist_idx)),
            "epochs": epochs,
            "seconds": round(seconds, 1),
            "accuracy_before": before,
            "accuracy_after": after,
            "command": command,
        },
    )
    write_json_atomic(card_path(Path(out)), card)
    return card
