"""The results CSV: its columns, their types and the record each row comes from.

This module is the one place that defines the schema; the README documents it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum
from pathlib import PurePath


class Status(StrEnum):
    """What a row says about its digit, page or file."""

    OK = "ok"
    """A digit was read."""
    REJECTED = "rejected"
    """A mark that the model judged not to be a digit (written only with --keep-rejected)."""
    EMPTY = "empty"
    """A page that was read but holds no digits (one row for the page)."""
    ERROR = "error"
    """A file or page that could not be read (one row, with ``error`` set)."""
    REVIEWED = "reviewed"
    """A digit corrected or confirmed by a person."""


@dataclass
class ResultRow:
    """One row of the results CSV, in column order."""

    file: str
    page: int | None = None
    line: int | None = None
    field: int | None = None
    index: int | None = None
    x: int | None = None
    y: int | None = None
    width: int | None = None
    height: int | None = None
    digit: int | None = None
    confidence: float | None = None
    second_digit: int | None = None
    second_confidence: float | None = None
    status: str = Status.OK.value
    error: str = ""

    def values(self) -> tuple:
        """The row's values in column order (``dataclasses.astuple`` deep-copies each
        field, which costs more than the rest of writing a row)."""
        return (
            self.file,
            self.page,
            self.line,
            self.field,
            self.index,
            self.x,
            self.y,
            self.width,
            self.height,
            self.digit,
            self.confidence,
            self.second_digit,
            self.second_confidence,
            self.status,
            self.error,
        )


COLUMNS: list[str] = [f.name for f in fields(ResultRow)]
"""Column order of the results CSV (stable: scripts rely on it)."""

FIELD_COLUMNS: list[str] = [
    "file",
    "page",
    "line",
    "field",
    "value",
    "digits",
    "min_confidence",
    "x",
    "y",
    "width",
    "height",
]
"""Column order of the fields CSV (``scan --fields``): one row per written number."""

CORRECTION_COLUMNS: list[str] = [
    "file",
    "page",
    "x",
    "y",
    "width",
    "height",
    "digit",
    "corrected_digit",
    "note",
    "reviewer",
    "reviewed_at",
]
"""Column order of a corrections CSV exported from the review report. ``corrected_digit``
is 0-9, or ``x`` for a mark that is not a digit; rows are matched to results by
file, page and box. A row whose box is the box round a whole field, and whose
``corrected_digit`` is a number, corrects the field (a number typed with another count
of digits than were found). ``note``, ``reviewer`` and ``reviewed_at`` (ISO 8601) may be absent."""

REVIEW_COLUMNS: list[str] = ["original_digit", "original_confidence", "reviewer", "reviewed_at", "note"]
"""What final results (``apply-corrections``) hold after :data:`COLUMNS`: for a digit a
person reviewed, what the machine read and how sure it was, who reviewed it, when, and
their note (the row's ``digit`` is then the person's, with confidence 1 and no runner-up)."""

INTEGER_COLUMNS = ["page", "line", "field", "index", "x", "y", "width", "height", "digit", "second_digit"]
FLOAT_COLUMNS = ["confidence", "second_confidence"]
REVIEW_INTEGER_COLUMNS = ["original_digit"]
REVIEW_FLOAT_COLUMNS = ["original_confidence"]
CONFIDENCE_DECIMALS = 4


def rows_to_frame(rows: list[ResultRow]):
    """Build the results DataFrame with nullable integer columns and fixed column order."""
    import pandas as pd

    frame = pd.DataFrame([r.values() for r in rows], columns=COLUMNS)
    return coerce_types(frame)


def coerce_types(frame):
    """Give a results frame (built or read back) the schema's dtypes; final results keep
    their :data:`REVIEW_COLUMNS`."""
    reviewed = all(c in frame.columns for c in REVIEW_COLUMNS)
    for col in INTEGER_COLUMNS + (REVIEW_INTEGER_COLUMNS if reviewed else []):
        frame[col] = frame[col].astype("Int64")
    for col in FLOAT_COLUMNS + (REVIEW_FLOAT_COLUMNS if reviewed else []):
        frame[col] = frame[col].astype("Float64").round(CONFIDENCE_DECIMALS)
    for col in ["file", "status", "error"] + (["reviewer", "reviewed_at", "note"] if reviewed else []):
        frame[col] = frame[col].fillna("") if col in ("error", "reviewer", "reviewed_at", "note") else frame[col]
        frame[col] = frame[col].astype("string")
    return frame[COLUMNS + (REVIEW_COLUMNS if reviewed else [])]


FIELD_INTEGER_COLUMNS = ["page", "line", "field", "digits", "x", "y", "width", "height"]
FIELD_FLOAT_COLUMNS = ["min_confidence"]


def coerce_field_types(frame):
    """Give a fields frame (built or read back) the schema's dtypes: ``value`` a string."""
    frame = frame.astype({c: "Int64" for c in FIELD_INTEGER_COLUMNS} | {c: "Float64" for c in FIELD_FLOAT_COLUMNS})
    frame["file"] = frame["file"].astype("string")
    frame["value"] = frame["value"].astype("string")
    return frame[FIELD_COLUMNS]


REVIEW_FOLDER = ("index.html", "fields", "pages")
"""What a review report written as a folder holds: its page, and the folders of the
fields' and the pages' pictures beside it (see :func:`is_review_folder`)."""


def is_review_folder(path) -> bool:
    """Whether a review report is written to ``path`` as a folder (:data:`REVIEW_FOLDER`):
    a name ending in .html is one file, every picture inside it, and so is a stream
    (/dev/stdout); any other name is a folder."""
    return PurePath(path).suffix.lower() not in (".html", ".htm") and not str(path).startswith("/dev/")
