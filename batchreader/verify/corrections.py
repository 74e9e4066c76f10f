"""Corrections from the review report: reading them and applying them to results."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from batchreader.errors import CorrectionsError
from batchreader.io.atomic import AtomicOutput
from batchreader.io.results import bounds, fields_frame, read_results, write_frame
from batchreader.schema import CORRECTION_COLUMNS, REVIEW_COLUMNS, Status, coerce_types

KEY = ["file", "page", "x", "y", "width", "height"]
NOT_A_DIGIT = "x"
OPTIONAL = ("note", "reviewer", "reviewed_at")
"""Columns a corrections CSV may lack (those of earlier versions of the report do)."""


def read_corrections(path: Path | str) -> pd.DataFrame:
    """Read and check a corrections CSV (``schema.CORRECTION_COLUMNS``)."""
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding_errors="surrogateescape")
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise CorrectionsError(f"cannot read corrections {path}: {exc}") from exc
    missing = [c for c in CORRECTION_COLUMNS if c not in frame.columns and c not in OPTIONAL]
    if missing:
        raise CorrectionsError(f"{path} lacks columns {', '.join(missing)}", "export it from the review report")
    for col in OPTIONAL:
        if col not in frame.columns:
            frame[col] = ""
    bad = frame[~frame["corrected_digit"].str.fullmatch(r"[0-9]+|x|X")]
    if len(bad):
        row, value = int(bad.index[0]) + 2, bad.iloc[0]["corrected_digit"]
        raise CorrectionsError(
            f"{path}: corrected_digit must be 0-9, x, or the digits of a whole field (line {row}: {value!r})"
        )
    for col in ("page", "x", "y", "width", "height"):
        try:
            frame[col] = frame[col].astype(int)
        except ValueError as exc:
            raise CorrectionsError(f"{path}: column {col} must hold whole numbers") from exc
    frame["corrected_digit"] = frame["corrected_digit"].str.lower()
    lines = pd.Series(range(2, len(frame) + 2), index=frame.index)  # as a spreadsheet numbers them
    for _, same in frame.groupby(KEY, sort=False):
        if same["corrected_digit"].nunique() > 1:
            first = same.iloc[0]
            raise CorrectionsError(
                f"{path}: lines {', '.join(str(lines[i]) for i in same.index)} correct the same digit "
                f"({first['file']} page {first['page']} box {first['x']},{first['y']},{first['width']},"
                f"{first['height']}) differently: {' and '.join(same['corrected_digit'])}",
                "keep one correction of each digit",
            )
    return frame.drop_duplicates(KEY)


def apply_corrections(
    results_path: Path | str,
    corrections_path: Path | str,
    out: Path | str,
    fields_out: Path | str | None = None,
    reviewer: str | None = None,
) -> int:
    """Write ``out``: the results with corrections applied, and their
    :data:`~batchreader.schema.REVIEW_COLUMNS`. Returns how many rows changed.

    A corrected or confirmed digit gets ``status=reviewed``, the person's digit with
    confidence 1 and no runner-up, and keeps what the machine read in
    ``original_digit`` and ``original_confidence``; a mark corrected to ``x`` gets
    ``status=rejected`` and no digit. The note, the reviewer (the correction's, else
    ``reviewer``) and the time of the review (the correction's, else now) go with it.
    A correction of a whole field (a number typed with another count of digits than were
    found; its box the box round the field's digits) rejects the field's rows and adds
    the person's digits after them, reviewed, the field's box split evenly.
    Every correction must match exactly one result row (same file, page and box) or
    field, or nothing is written. ``fields_out``: also write the final fields (one row per number).
    """
    output = AtomicOutput(Path(out))
    fields_output = AtomicOutput(Path(fields_out)) if fields_out is not None else None
    try:
        try:
            results = read_results(results_path)
        except (OSError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise CorrectionsError(
                f"cannot read results {results_path}: {exc}", "give the results file that scan wrote"
            ) from exc
        corrections = read_corrections(corrections_path)
        for col in REVIEW_COLUMNS:  # results reviewed before keep what was first read
            if col not in results.columns:
                results[col] = pd.NA if col.startswith("original") else ""
        results = coerce_types(results).reset_index(drop=True)
        keyed, field_fixes = _match(results, corrections)
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        for _, c in keyed.iterrows():
            i = int(c["_row"])
            _keep_original(results, i)
            results.loc[i, ["second_digit", "second_confidence"]] = pd.NA
            if c["corrected_digit"] == NOT_A_DIGIT:
                results.loc[i, "digit"] = pd.NA
                results.loc[i, "confidence"] = pd.NA
                results.loc[i, "status"] = Status.REJECTED.value
            else:
                results.loc[i, "digit"] = int(c["corrected_digit"])
                results.loc[i, "confidence"] = 1.0
                results.loc[i, "status"] = Status.REVIEWED.value
            stamp = _stamp(c, reviewer, now)
            results.loc[i, list(stamp)] = list(stamp.values())
        results = _rewrite_fields(results, field_fixes, reviewer, now)
        if fields_output is not None:
            write_frame(fields_frame(results), fields_output, kind="fields")
        write_frame(results, output)
    except BaseException:
        output.discard()
        if fields_output is not None:
            fields_output.discard()
        raise
    return len(keyed) + sum(len(fix["rows"]) + len(fix["number"]) for fix in field_fixes)


def _keep_original(results: pd.DataFrame, i) -> None:
    """What the machine read, kept the first time a row is reviewed."""
    if pd.isna(results.loc[i, "original_digit"]) and results.loc[i, "status"] != Status.REVIEWED.value:
        results.loc[i, "original_digit"] = results.loc[i, "digit"]
        results.loc[i, "original_confidence"] = results.loc[i, "confidence"]


def _stamp(c, reviewer: str | None, now: str) -> dict[str, str]:
    """Who reviewed, when, and the note: the correction's, else ``reviewer`` and now."""
    return {"note": c["note"], "reviewer": c["reviewer"] or reviewer or "", "reviewed_at": c["reviewed_at"] or now}


def _match(results: pd.DataFrame, corrections: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    """The corrections of single digits (matched to a result row by file, page and box),
    and those of whole fields: a number typed with another count of digits than were
    found, whose box is the box round one field's digits."""
    rows = results[KEY].assign(_row=range(len(results)))
    for col in KEY[1:]:
        rows[col] = rows[col].astype("float64")  # error rows have no box; match numbers as numbers
        corrections[col] = corrections[col].astype("float64")
    keyed = rows.merge(corrections, on=KEY, how="right", indicator=True)
    single = keyed[(keyed["_merge"] == "both") & (keyed["corrected_digit"].str.len() == 1)]
    rest = corrections.loc[~corrections.set_index(KEY).index.isin(single.set_index(KEY).index)]
    digits = results[results["status"].isin([Status.OK.value, Status.REVIEWED.value])]
    boxes = {}
    for key, group in digits.groupby(["file", "page", "line", "field"], sort=False):
        x0, y0, x1, y1 = bounds(group)
        box = (key[0], float(key[1]), *(float(v) for v in (x0, y0, x1 - x0, y1 - y0)))
        boxes[box] = group.sort_values("index").index
    fixes, unmatched = [], []
    for _, c in rest.iterrows():
        found = boxes.get((c["file"], c["page"], c["x"], c["y"], c["width"], c["height"]))
        if found is None or c["corrected_digit"] == NOT_A_DIGIT:
            unmatched.append(c)
        else:
            fixes.append({"rows": list(found), "number": c["corrected_digit"], "correction": c})
    if unmatched:
        first = unmatched[0]
        box = ",".join(str(int(first[k])) for k in ("x", "y", "width", "height"))
        raise CorrectionsError(
            f"{len(unmatched)} correction(s) match no result row or field, e.g. {first['file']} page "
            f"{int(first['page'])} box {box}",
            "corrections must come from a report of these same results",
        )
    return single, fixes


def _rewrite_fields(results: pd.DataFrame, fixes: list[dict], reviewer: str | None, now: str) -> pd.DataFrame:
    """Apply the corrections of whole fields: the field's digits as found are kept as
    rejected rows (what the machine read stays in ``original_digit``), and the person's
    digits follow them as reviewed rows, the field's box split evenly between them."""
    if not fixes:
        return results
    new_rows, anchors = [], []
    for fix in fixes:
        old = results.loc[fix["rows"]]
        x0, y0, x1, y1 = bounds(old)
        stamp = _stamp(fix["correction"], reviewer, now)
        for i in fix["rows"]:
            _keep_original(results, i)
            results.loc[i, ["digit", "confidence", "second_digit", "second_confidence"]] = pd.NA
            results.loc[i, "status"] = Status.REJECTED.value
            results.loc[i, list(stamp)] = list(stamp.values())
        number = fix["number"]
        for k, ch in enumerate(number):
            left, right = x0 + (x1 - x0) * k // len(number), x0 + (x1 - x0) * (k + 1) // len(number)
            row = old.iloc[0].copy()
            row[["x", "y", "width", "height"]] = [left, y0, max(1, right - left), y1 - y0]
            row[["digit", "confidence", "status", "index"]] = [int(ch), 1.0, Status.REVIEWED.value, k + 1]
            row[["second_digit", "second_confidence", "original_digit", "original_confidence"]] = pd.NA
            row[list(stamp)] = list(stamp.values())
            new_rows.append(row)
            anchors.append(fix["rows"][-1] + 0.5)  # right after the field's old rows, in order
    added = pd.DataFrame(new_rows).assign(_order=anchors)
    merged = pd.concat([results.assign(_order=range(len(results))), added], ignore_index=True)
    merged = merged.sort_values("_order", kind="stable").drop(columns="_order")
    return coerce_types(merged.reset_index(drop=True))
