"""The run record: what a scan read, with what, and how, written beside its results.

``results.csv`` gets ``results.csv.run.json``: the tool's version, the models' sha256
and cards, the dpi, the layout and options, every input file with its size and
sha256, the files skipped and why, and the outputs. ``review`` and ``train
--corrections`` take the scans' location and the dpi from it, and ``review`` checks
each scan against its checksum before cutting crops from it: a crop from another
file than the one read, or at another dpi, would show the clerk the wrong ink.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from batchreader.errors import InputNotFoundError
from batchreader.io.atomic import AtomicOutput, write_error

log = logging.getLogger(__name__)

FORMAT = 1
SUFFIX = ".run.json"


def record_path(results: Path | str) -> Path:
    """Where the run record of the results file ``results`` lives."""
    results = Path(results)
    return results.with_name(results.name + SUFFIX)


def file_sha256(path: Path) -> str | None:
    """The sha256 of a file's bytes; None for one that cannot be read."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def describe_input(path: Path, name: str) -> dict[str, Any]:
    """One input file as the record lists it: its name in the results, where it was,
    its size and checksum (None for an entry that could not be read)."""
    try:
        size = path.stat().st_size
    except OSError:
        size = None
    return {"name": name, "path": os.fsdecode(os.path.abspath(path)), "size": size, "sha256": file_sha256(path)}


def write_record(results: Path, record: dict[str, Any]) -> Path:
    """Write ``record`` (see :func:`new_record`) beside ``results``, atomically."""
    path = record_path(results)
    output = AtomicOutput(path, suffix=".tmp")
    try:
        # a file name that is not UTF-8 is written as its own bytes, as in the results
        text = json.dumps(record, indent=1, ensure_ascii=False) + "\n"
        output.tmp.write_text(text, encoding="utf-8", errors="surrogateescape")
    except OSError as exc:
        output.discard()
        raise write_error(path, exc) from exc
    output.commit()
    return path


def new_record(settings: dict[str, Any], inputs: list[dict], skipped: list[tuple[Path, str]], outputs: dict) -> dict:
    """A run record of one scan: its ``settings`` (models, dpi, layout, options), the
    ``inputs`` (:func:`describe_input`), the files ``skipped`` with why, and ``outputs``."""
    from batchreader import __version__

    return {
        "format": FORMAT,
        "tool": "batchreader",
        "version": __version__,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "settings": settings,
        "inputs": inputs,
        "skipped": [{"path": os.fsdecode(p), "why": why} for p, why in skipped],
        "outputs": outputs,
    }


def read_record(results: Path | str) -> dict[str, Any] | None:
    """The run record beside ``results``; None when there is none (results of an older
    version, or written to stdout). A record that cannot be read is reported and ignored."""
    path = record_path(results)
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8", errors="surrogateescape"))
    except (OSError, ValueError) as exc:
        log.warning("ignoring the run record %s: %s", path, exc)
        return None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        log.warning("ignoring the run record %s: not one this version writes", path)
        return None
    return record


def recorded_inputs(record: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The run record's input files by name (none without a record)."""
    return {entry["name"]: entry for entry in (record or {}).get("inputs", [])}


def recorded_scan(recorded: dict[str, dict[str, Any]], name: str) -> Path:
    """Where the run record (see :func:`recorded_inputs`) says the scan ``name`` is,
    checked to be the very file the scan read."""
    if name not in recorded:
        raise InputNotFoundError(f"the run record lists no scan {name}", "pass --scans the folder that was scanned")
    path = Path(recorded[name]["path"])
    check_scan(recorded[name], path)
    return path


def check_scan(entry: dict[str, Any], path: Path) -> None:
    """Raise InputNotFoundError unless ``path`` holds the very file the record's
    ``entry`` describes (the same size and sha256)."""
    if not path.is_file():
        raise InputNotFoundError(
            f"the scan {entry['name']} is not at {path}", "pass --scans the folder or file that was scanned"
        )
    if entry.get("sha256") and file_sha256(path) != entry["sha256"]:
        raise InputNotFoundError(
            f"the scan {path} is not the file that was read: it changed since the scan (its checksum differs)",
            "review the results of a scan of the files as they are now",
        )
