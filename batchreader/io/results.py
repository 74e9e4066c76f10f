"""Results files: written in CSV, JSON lines or an Excel workbook, whole or not at all,
and read back with the schema's types.

The format is chosen by the output's extension (``.csv``, ``.jsonl``, ``.xlsx``) or
named outright (``scan --format``); ``-`` is stdout. Every writer takes the rows of one
input file at a time, so memory stays flat however many pages a run reads.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from batchreader.errors import OutputError, OutputFormatError
from batchreader.io.atomic import AtomicOutput, is_stream, write_error
from batchreader.schema import (
    COLUMNS,
    CONFIDENCE_DECIMALS,
    FIELD_COLUMNS,
    FIELD_FLOAT_COLUMNS,
    FIELD_INTEGER_COLUMNS,
    FLOAT_COLUMNS,
    INTEGER_COLUMNS,
    REVIEW_FLOAT_COLUMNS,
    REVIEW_INTEGER_COLUMNS,
    Status,
    coerce_field_types,
    coerce_types,
)

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".xlsx": "xlsx"}
"""The formats results are written in, by the extension that names each."""

XLSX_MAX_ROWS = 1_048_576
"""Rows an Excel sheet holds, its header included: more digits go on to a second sheet."""


def output_format(path: Path | str, fmt: str | None = None, option: str = "--out") -> str:
    """The format of the output ``path`` (by ``option``): ``fmt`` when it is given, else
    the one its extension names; a stream is CSV unless ``fmt`` says otherwise.

    Raises:
        OutputError: ``path`` is a folder.
        OutputFormatError: the name is for no format we write (``r.json``), or for
            another than ``fmt``; a workbook asked of a stream.
    """
    named = FORMATS.get(Path(path).suffix.lower())
    if Path(path).is_dir():
        raise OutputError(f"output is a folder: {path}", "give a file name")
    if is_stream(path):
        named = fmt or "csv"
        if named == "xlsx":
            raise OutputFormatError(f"{option} -: a workbook cannot be streamed", "give a file name ending .xlsx")
        return named
    if fmt is not None and named not in (None, fmt):
        raise OutputFormatError(f"{option} {path}: named for {named}, but --format is {fmt}", "make the two agree")
    if fmt is None and named is None:
        raise OutputFormatError(
            f"{option} {path}: results are written as CSV, JSON lines or Excel",
            "name the file .csv, .jsonl or .xlsx (or - for stdout), or give --format",
        )
    return fmt or named


def open_writer(path: Path | str, fmt: str | None = None, kind: str = "results"):
    """A writer (``write(frame)`` for each file's rows, then ``commit(summary)`` or
    ``discard()``) of ``kind`` ``results`` or ``fields`` to ``path`` in its format."""
    fmt = output_format(path, fmt)
    output = AtomicOutput(Path(path))
    if fmt == "xlsx":
        return XlsxWriter(output, kind)
    return (JsonlWriter if fmt == "jsonl" else CsvWriter)(output)


class _TextWriter:
    """A text file of rows, opened on an atomic output."""

    def __init__(self, output: AtomicOutput) -> None:
        self.output = output
        # a file name that is not UTF-8 (bytes the file system allows) is written as its
        # own bytes, and read back the same by read_results
        self._fh = open(output.tmp, "w", encoding="utf-8", errors="surrogateescape", newline="")  # noqa: SIM115

    def write(self, frame) -> None:
        try:
            self._write(frame)
        except OSError as exc:  # a full disk, a quota, a vanished mount
            raise write_error(self.output.path, exc) from exc

    def _write(self, frame) -> None:
        raise NotImplementedError

    def commit(self, summary: dict | None = None) -> None:
        try:
            self._fh.close()  # the last buffer is written here
        except OSError as exc:
            self.output.discard()
            raise write_error(self.output.path, exc) from exc
        self.output.commit()

    def discard(self) -> None:
        self._fh.close()
        self.output.discard()


class CsvWriter(_TextWriter):
    """CSV: the bytes of the whole frame written at once, in chunks."""

    def __init__(self, output: AtomicOutput) -> None:
        super().__init__(output)
        self._header = True

    def _write(self, frame) -> None:
        frame.to_csv(
            self._fh,
            index=False,
            header=self._header,
            float_format=f"%.{CONFIDENCE_DECIMALS}f",
            lineterminator="\n",
        )
        self._header = False


class JsonlWriter(_TextWriter):
    """JSON lines: one object per row, in column order, typed (integers as integers,
    a field's value as a string, an empty cell as null)."""

    def _write(self, frame) -> None:
        columns = list(frame.columns)
        for row in _plain_rows(frame):
            self._fh.write(json.dumps(dict(zip(columns, row)), ensure_ascii=False) + "\n")


def _plain_rows(frame):
    """The rows of ``frame`` as Python values: None for a missing cell, ``int`` and
    ``float`` for NumPy's and pandas' numbers, confidences rounded as in the CSV."""
    plain = frame.astype(object).where(frame.notna(), None)
    for row in plain.itertuples(index=False, name=None):
        yield [round(v, CONFIDENCE_DECIMALS) if isinstance(v, float) else v for v in row]


class XlsxWriter:
    """An Excel workbook, written as it goes (openpyxl's write-only mode).

    For results: a ``digits`` sheet (every row), a ``fields`` sheet (one row per
    number, its value stored as text so that Excel keeps leading zeros) and a
    ``summary`` sheet; for a fields file, the ``fields`` sheet alone. Headers are frozen.
    """

    def __init__(self, output: AtomicOutput, kind: str = "results") -> None:
        from openpyxl import Workbook

        self.output = output
        self.kind = kind
        self._book = Workbook(write_only=True)
        self._parts: dict[str, list] = {}  # sheet name -> its sheets, when one holds too few rows
        self._rows: dict[str, int] = {}  # sheet name -> rows in its last part
        if kind == "results":
            self._sheet("digits", COLUMNS)
        self._sheet("fields", FIELD_COLUMNS)

    def _sheet(self, name: str, header: list[str]) -> None:
        """Start the sheet ``name``, or its next part when the last is full."""
        part = len(self._parts.setdefault(name, [])) + 1
        sheet = self._book.create_sheet(name if part == 1 else f"{name} ({part})")
        sheet.freeze_panes = "A2"
        sheet.append(header)
        self._parts[name].append(sheet)
        self._rows[name] = 1

    def _append(self, name: str, frame) -> None:
        for row in _plain_rows(frame):
            if self._rows[name] >= XLSX_MAX_ROWS:
                self._sheet(name, list(frame.columns))
            self._parts[name][-1].append([_cell(v) for v in row])
            self._rows[name] += 1

    def write(self, frame) -> None:
        if self.kind == "results":
            self._append("digits", frame)
            self._append("fields", fields_frame(frame))
        else:
            self._append("fields", frame)

    def commit(self, summary: dict | None = None) -> None:
        if summary:
            sheet = self._book.create_sheet("summary")
            sheet.append(["figure", "value"])
            for key, value in summary.items():
                sheet.append([key, _cell(value)])
        try:
            self._book.save(self.output.tmp)
        except OSError as exc:
            self.output.discard()
            raise write_error(self.output.path, exc) from exc
        self.output.commit()

    def discard(self) -> None:
        self.output.discard()


_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _cell(value):
    """A cell as openpyxl takes it: text that XML can hold (a file name's bytes that are
    not UTF-8 become U+FFFD; control characters go), None for a missing value."""
    if isinstance(value, str):
        value = _ILLEGAL.sub("", value.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))
    return value


def write_frame(frame, output: AtomicOutput, fmt: str | None = None, kind: str = "results") -> None:
    """Write a DataFrame of ``kind`` ``results`` (or ``fields``) to ``output`` in ``fmt``
    (by default the one its name gives, CSV for a name of no format) and commit it."""
    fmt = fmt or FORMATS.get(output.path.suffix.lower(), "csv")
    writer = XlsxWriter(output, kind) if fmt == "xlsx" else (JsonlWriter if fmt == "jsonl" else CsvWriter)(output)
    try:
        writer.write(frame)
        writer.commit()
    except BaseException:
        writer.discard()
        raise


def read_results(path: Path | str):
    """Read a results file that batchreader wrote (CSV, JSON lines or a workbook), or a
    fields file (``scan --fields``), checking its columns, with the schema's dtypes:
    integers stay integers beside error rows (pandas' nullable ``Int64``), and a
    field's ``value`` stays a string, leading zeros kept ("008")."""
    import pandas as pd

    fmt = FORMATS.get(Path(path).suffix.lower(), "csv")
    if fmt == "xlsx":
        frame = _read_workbook(path)
    elif fmt == "jsonl":
        with open(path, encoding="utf-8", errors="surrogateescape") as fh:
            records = [json.loads(line) for line in fh if line.strip()]
        columns = list(records[0]) if records else COLUMNS
        frame = pd.DataFrame.from_records(records, columns=columns)
        if columns == FIELD_COLUMNS:
            frame["value"] = frame["value"].astype("string")
    else:
        with open(path, encoding="utf-8", errors="surrogateescape") as fh:
            header = fh.readline().rstrip("\r\n").split(",")
        if header == FIELD_COLUMNS:
            numbers = FIELD_INTEGER_COLUMNS + FIELD_FLOAT_COLUMNS
        else:
            numbers = INTEGER_COLUMNS + FLOAT_COLUMNS + REVIEW_INTEGER_COLUMNS + REVIEW_FLOAT_COLUMNS
        texts = ("file", "status", "error", "value", "reviewer", "reviewed_at", "note")
        frame = pd.read_csv(
            path,
            encoding_errors="surrogateescape",  # file names that are not UTF-8, as the writer wrote them
            dtype={c: "string" for c in texts if c in header},
            keep_default_na=False,
            na_values={c: [""] for c in numbers},
        )
    if list(frame.columns) == FIELD_COLUMNS:
        return coerce_field_types(frame)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{path} is not a batchreader results file: missing {', '.join(missing)}")
    return coerce_types(frame)


def _read_workbook(path: Path | str):
    """The digits of a results workbook (all the parts of its ``digits`` sheet), or the
    ``fields`` sheet of a fields workbook."""
    import pandas as pd

    sheets = pd.read_excel(path, sheet_name=None, dtype=object, engine="openpyxl")
    for name in ("digits", "fields"):
        parts = [frame for title, frame in sheets.items() if title == name or title.startswith(f"{name} (")]
        if parts:
            return pd.concat(parts, ignore_index=True)
    raise ValueError(f"{path} is not a batchreader workbook: it has no digits or fields sheet")


def bounds(rows) -> tuple[int, int, int, int]:
    """The box round some rows' boxes (a field's digits): left, top, right, bottom."""
    return (
        int(rows["x"].min()),
        int(rows["y"].min()),
        int((rows["x"] + rows["width"]).max()),
        int((rows["y"] + rows["height"]).max()),
    )


def fields_frame(results):
    """One row per field (a written number) from a results frame: its digits as a string
    (leading zeros kept), how many, the weakest confidence, and the box around them."""
    import pandas as pd

    digits = results[results["status"].isin([Status.OK.value, Status.REVIEWED.value])]
    rows = []
    for (file, page, line, fld), group in digits.groupby(["file", "page", "line", "field"], sort=False):
        group = group.sort_values("index")
        x0, y0, x1, y1 = bounds(group)
        rows.append(
            [
                file,
                int(page),
                int(line),
                int(fld),
                "".join(str(int(d)) for d in group["digit"]),
                len(group),
                float(group["confidence"].min()),
                x0,
                y0,
                x1 - x0,
                y1 - y0,
            ]
        )
    frame = pd.DataFrame(rows, columns=FIELD_COLUMNS)
    frame["value"] = frame["value"].astype("string")
    return frame
