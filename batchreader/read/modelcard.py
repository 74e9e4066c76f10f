"""Model files and their cards: where the default model lives, checksums, card I/O.

A model is a ``.keras`` file plus a JSON card of the same stem. The card records how
the model was trained, how well it scored, its calibration temperature and the
sha256 of the ``.keras`` file, which is checked before the model is loaded.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from batchreader.errors import ModelError
from batchreader.read.classes import CLASS_NAMES, NOT_A_DIGIT
from batchreader.read.inference import NumpyNet

log = logging.getLogger(__name__)

DEFAULT_MODEL_NAME = "batchreader-cnn.keras"
"""File name of the model shipped in ``models/`` (installed as package data ``batchreader.models``)."""


def default_model_path(name: str = DEFAULT_MODEL_NAME) -> Path:
    """Return the path of a shipped model (default: the digit model), in an installed
    wheel or a source checkout."""
    try:
        candidate = Path(str(resources.files("batchreader.models") / name))
        if candidate.is_file():
            return candidate
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parents[2] / "models" / name


def card_path(model_path: Path) -> Path:
    """Return the card that belongs to ``model_path`` (same stem, ``.json``)."""
    return model_path.with_suffix(".json")


def sha256_file(path: Path) -> str:
    """Return the hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


MAX_CARD_BYTES = 1 << 20
"""A card is a few KB; a larger one is not read."""


def read_json_card(model_path: Path, required: tuple[str, ...]) -> dict[str, Any]:
    """Read the card of any model file (digit or field model), checking it has ``required`` keys."""
    path = card_path(model_path)
    if not model_path.is_file():
        raise ModelError(f"model file not found: {model_path}", "pass --model PATH or run 'batchreader train'")
    if not path.is_file():
        raise ModelError(f"model card not found: {path}", "a model needs its JSON card beside it")
    try:
        if path.stat().st_size > MAX_CARD_BYTES:
            raise ModelError(f"model card {path} is {path.stat().st_size:,} bytes, over the {MAX_CARD_BYTES:,} allowed")
        card = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"model card {path} is not valid JSON: {exc}") from exc
    if not isinstance(card, dict):
        raise ModelError(f"model card {path} is not a JSON object")
    for key in required:
        if key not in card:
            raise ModelError(f"model card {path} lacks '{key}'")
    return card


def read_card(model_path: Path) -> dict[str, Any]:
    """Read and check the card of the digit model ``model_path``; raise :class:`ModelError` if unusable."""
    path = card_path(model_path)
    card = read_json_card(model_path, ("sha256", "temperature", "classes"))
    classes = list(card["classes"])
    # models older than the "touching digits" class lack it; the classifier reports it as 0
    if len(classes) <= NOT_A_DIGIT or classes != CLASS_NAMES[: len(classes)]:
        raise ModelError(f"model card {path} has classes {classes}; this version reads {CLASS_NAMES}")
    return card


def verify_model(model_path: Path) -> dict[str, Any]:
    """Check the model file against its card's sha256 and return the card."""
    card = read_card(model_path)
    check_sha256(model_path, card)
    return card


def mnist_accuracy(card: dict[str, Any]) -> float | None:
    """The MNIST test accuracy a model's card records (None for a card without it)."""
    return ((card.get("metrics") or {}).get("mnist_test") or {}).get("accuracy")


def check_sha256(model_path: Path, card: dict[str, Any]) -> None:
    """Raise :class:`ModelError` unless ``model_path`` has the sha256 its card records."""
    actual = sha256_file(model_path)
    if actual != card["sha256"]:
        raise ModelError(
            f"model {model_path} does not match its card (sha256 {actual[:12]}..., card says {card['sha256'][:12]}...)",
            "the file is corrupt or was replaced; retrain or restore it",
        )


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write JSON to ``path`` through a temporary file and a rename."""
    from batchreader.io.atomic import AtomicOutput

    output = AtomicOutput(path, suffix=".tmp")
    try:
        output.tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        output.commit()
    except BaseException:
        output.discard()
        raise


_NETS: dict[tuple[str, str], NumpyNet] = {}


def load_checked(
    path: Path, required: tuple[str, ...], check: Callable[[dict[str, Any]], None], kind: str
) -> tuple[NumpyNet, dict[str, Any]]:
    """A second model's (field or run model) NumPy net and card, loaded once per process:
    the card read (with ``required`` keys) and ``check``-ed (raising ModelError when it
    describes another model than this version runs), then the file checked against the
    card's sha256."""
    card = read_json_card(path, required)
    check(card)
    check_sha256(path, card)
    key = (str(path.resolve()), card["sha256"])
    if key not in _NETS:
        _NETS[key] = NumpyNet.load(path)
        log.info("loaded %s %s (sha256 %s...)", kind, path, card["sha256"][:12])
    return _NETS[key], card
