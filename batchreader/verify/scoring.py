"""Scoring results against ground truth: digit recall, precision, accuracy and whole fields.

A predicted digit matches a true one on the same file and page when their boxes
overlap by at least half of the smaller box (one-to-one, best overlap first).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from batchreader.errors import BatchreaderError
from batchreader.schema import Status

BOX = ["x", "y", "width", "height"]


@dataclass
class Agreement:
    """How results agree with the truth."""

    true_digits: int
    found_digits: int
    matched: int
    correct: int
    true_fields: int
    exact_fields: int

    @property
    def recall(self) -> float:
        return self.matched / self.true_digits if self.true_digits else 1.0

    @property
    def precision(self) -> float:
        return self.matched / self.found_digits if self.found_digits else 1.0

    @property
    def digit_accuracy(self) -> float:
        """Share of true digits found and read correctly."""
        return self.correct / self.true_digits if self.true_digits else 1.0

    @property
    def field_accuracy(self) -> float:
        return self.exact_fields / self.true_fields if self.true_fields else 1.0

    def to_dict(self) -> dict:
        d = asdict(self)
        d.update(
            recall=self.recall,
            precision=self.precision,
            digit_accuracy=self.digit_accuracy,
            field_accuracy=self.field_accuracy,
        )
        return d


def _intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Area shared by every pair of boxes (x, y, w, h): rows for ``a``, columns for ``b``."""
    ax0, ay0, aw, ah = (a[:, i][:, None] for i in range(4))
    bx0, by0, bw, bh = (b[:, i][None, :] for i in range(4))
    iw = np.clip(np.minimum(ax0 + aw, bx0 + bw) - np.maximum(ax0, bx0), 0, None)
    ih = np.clip(np.minimum(ay0 + ah, by0 + bh) - np.maximum(ay0, by0), 0, None)
    return iw * ih


def _area(boxes: np.ndarray) -> np.ndarray:
    return boxes[:, 2] * boxes[:, 3]


def _overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over the smaller area for every pair of boxes (x, y, w, h)."""
    smaller = np.minimum(_area(a)[:, None], _area(b)[None, :])
    return _intersection(a, b) / np.maximum(smaller, 1)


def match(truth_boxes: np.ndarray, found_boxes: np.ndarray) -> dict[int, int]:
    """Pairs (truth row -> found row) of boxes (x, y, w, h) on one page, one-to-one,
    best overlap first, each overlapping by at least half of the smaller box."""
    pairs: dict[int, int] = {}
    if not len(truth_boxes) or not len(found_boxes):
        return pairs
    ov = _overlap(np.asarray(truth_boxes, np.float64), np.asarray(found_boxes, np.float64))
    order = np.dstack(np.unravel_index(np.argsort(-ov, axis=None), ov.shape))[0]
    used_t: set[int] = set()
    used_r: set[int] = set()
    for ti, ri in order:
        if ov[ti, ri] < 0.5:
            break
        if ti in used_t or ri in used_r:
            continue
        used_t.add(ti)
        used_r.add(ri)
        pairs[int(ti)] = int(ri)
    return pairs


def found_digits(results):
    """The rows of a results DataFrame that report a digit."""
    return results[results["status"].isin([Status.OK.value, Status.REVIEWED.value])]


TRUTH_COLUMNS = ["file", "page", "line", "field", "index", "x", "y", "width", "height", "digit"]
"""What a truth CSV holds, one row per written digit (as ``samples/ground_truth.csv``);
see :data:`REQUIRED_TRUTH` for the columns it cannot do without."""

REQUIRED_TRUTH = ["file", "page", "x", "y", "width", "height", "digit"]
"""The columns a truth must have: digits are matched by box. Without ``line`` and
``field`` a truth's fields are not known, and only digits are scored; with ``field``
alone, a field is its number within the page."""

FIELD_KEYS = ["line", "field"]


def truth_digits(truth):
    """The written digits of a truth DataFrame: a results CSV a person reviewed serves as
    truth too, and then only its rows that hold a digit (``ok`` and ``reviewed``) count;
    its ``empty``, ``error`` and ``rejected`` rows are not digits."""
    missing = [c for c in REQUIRED_TRUTH if c not in truth.columns]
    if missing:
        raise ValueError(
            f"the truth lacks columns {', '.join(missing)} (a truth CSV has {', '.join(REQUIRED_TRUTH)}, and "
            "line and field to score whole numbers: one row per written digit)"
        )
    if "status" in truth.columns:
        truth = found_digits(truth)
    truth = truth.dropna(subset=["digit", *BOX])
    keys = [c for c in FIELD_KEYS if c in truth.columns]
    return truth.astype({c: "int64" for c in ["page", *keys, "digit", *BOX]})


def compare(results, truth) -> Agreement:
    """Compare a results DataFrame (schema columns) with a truth DataFrame
    (:data:`TRUTH_COLUMNS`, see :func:`truth_digits`)."""
    found = found_digits(results)
    truth = truth_digits(truth)
    keys = [c for c in FIELD_KEYS if c in truth.columns]  # what tells the truth's fields apart
    matched = correct = exact_fields = true_fields = 0
    for (file, page), t in truth.groupby(["file", "page"], sort=True):
        r = found[(found["file"] == file) & (found["page"] == page)]
        pairs = match(t[BOX].to_numpy(), r[BOX].to_numpy())
        t_digits = t["digit"].to_numpy()
        r_digits = r["digit"].to_numpy()
        r_fields = list(zip(r["line"].to_numpy(), r["field"].to_numpy()))
        matched += len(pairs)
        correct += sum(int(t_digits[ti] == r_digits[ri]) for ti, ri in pairs.items())
        if not keys:
            continue
        t_positions: dict = {}
        for i, key in enumerate(zip(*(t[k].to_numpy() for k in keys))):
            t_positions.setdefault(key, []).append(i)
        for members in t_positions.values():
            true_fields += 1
            if not all(i in pairs for i in members):
                continue
            predicted = {r_fields[pairs[i]] for i in members}
            if len(predicted) != 1:
                continue
            pred_field = predicted.pop()
            size = sum(1 for f in r_fields if f == pred_field)
            if size == len(members) and all(t_digits[i] == r_digits[pairs[i]] for i in members):
                exact_fields += 1
    # marks found anywhere in a file the truth covers count, blank pages included
    found_on_truth_pages = int(found["file"].isin(set(truth["file"])).sum())
    return Agreement(
        true_digits=len(truth),
        found_digits=found_on_truth_pages,
        matched=matched,
        correct=correct,
        true_fields=true_fields,
        exact_fields=exact_fields,
    )


KINDS = ["merged", "swallowed", "misread", "dropped", "piece", "invented"]
"""What went wrong, per error (see :func:`errors`):

- ``merged``: read wrongly in a box that also covers a neighbour the reader missed
  (a "41" read as one 4 costs the 1 and, through the 4's box, often the 4 too);
- ``swallowed``: missed, with most of it inside a found box matched to another digit;
- ``misread``: found in its own box, read as another digit;
- ``dropped``: missed with no found box over it (taken for a mark, or never seen);
- ``piece``: a digit found inside a true digit's box that matched another (a split);
- ``invented``: a digit found where nothing was written.
"""

ERROR_COLUMNS = [
    "kind",
    "file",
    "page",
    "style",
    "digit",
    "read",
    "confidence",
    *(f"true_{k}" for k in BOX),
    *(f"found_{k}" for k in BOX),
]
"""The columns of :func:`errors`: what went wrong, where, the true digit and its box,
what was read there and its box (empty where there is none)."""

COVERED = 0.5
"""Share of a true digit's area inside a found box for it to count as under that box."""


def _page_errors(t, r) -> list[dict]:
    """The errors on one page: ``t`` its truth rows, ``r`` its found digits."""
    tb = t[BOX].to_numpy(np.float64)
    rb = r[BOX].to_numpy(np.float64)
    pairs = match(tb, rb)
    shared = _intersection(tb, rb)
    true_inside = shared / np.maximum(_area(tb), 1)[:, None]  # share of each true box inside each found one
    found_inside = shared / np.maximum(_area(rb), 1)[None, :]  # ...and of each found box inside each true one
    out = []

    def error(kind: str, ti: int | None, ri: int | None) -> None:
        row = t.iloc[ti] if ti is not None else None
        found = r.iloc[ri] if ri is not None else None
        out.append(
            {
                "kind": kind,
                "file": (row if row is not None else found)["file"],
                "page": int((row if row is not None else found)["page"]),
                "digit": int(row["digit"]) if row is not None else None,
                "read": int(found["digit"]) if found is not None else None,
                "confidence": float(found["confidence"]) if found is not None else None,
                **{f"true_{k}": int(row[k]) if row is not None else None for k in BOX},
                **{f"found_{k}": int(found[k]) if found is not None else None for k in BOX},
            }
        )

    missed = [ti for ti in range(len(t)) if ti not in pairs]
    for ti, ri in pairs.items():
        if int(t.iloc[ti]["digit"]) != int(r.iloc[ri]["digit"]):
            covers_missed = bool((true_inside[missed, ri] >= COVERED).any())
            error("merged" if covers_missed else "misread", ti, ri)
    for ti in missed:
        over = np.flatnonzero(true_inside[ti] >= COVERED)
        under = np.flatnonzero(shared[ti] > 0)
        if len(over):
            error("swallowed", ti, int(over[0]))
        else:
            error("dropped", ti, int(under[0]) if len(under) else None)
    for ri in sorted(set(range(len(rb))) - set(pairs.values())):
        piece = bool((found_inside[:, ri] >= COVERED).any())
        error("piece" if piece else "invented", None, ri)
    return out


def errors(results, truth):
    """Every error of a results DataFrame against a truth DataFrame (see :func:`compare`),
    one row each: its kind (see KINDS), file, page, style (when the truth has one), the
    true digit and what was read, and both boxes (``true_x`` ..., ``found_x`` ...)."""
    import pandas as pd

    found = found_digits(results)
    truth = truth_digits(truth)
    rows = []
    for (file, page), t in truth.groupby(["file", "page"], sort=True):
        r = found[(found["file"] == file) & (found["page"] == page)]
        rows.extend(_page_errors(t.reset_index(drop=True), r.reset_index(drop=True)))
    truth_pages = set(zip(truth["file"], truth["page"]))
    for (file, page), r in found.groupby(["file", "page"], sort=True):
        if (file, page) not in truth_pages and file in set(truth["file"]):
            rows.extend(_page_errors(truth.iloc[:0], r.reset_index(drop=True)))
    styles = dict(zip(truth["file"], truth["style"])) if "style" in truth else {}
    for row in rows:
        row["style"] = styles.get(row["file"], "")
    return pd.DataFrame(rows, columns=ERROR_COLUMNS)


def read_truth(path: Path | str):
    """A truth file: a results file a person reviewed (CSV, JSON lines or a workbook,
    see :func:`truth_digits`), or a plain CSV of :data:`TRUTH_COLUMNS`."""
    import pandas as pd

    from batchreader.io.results import FORMATS, read_results

    if FORMATS.get(Path(path).suffix.lower(), "csv") != "csv":
        return read_results(path)
    return pd.read_csv(path, encoding_errors="surrogateescape")


def score_files(results: Path | str, truth: Path | str, errors_out: Path | str | None = None) -> Agreement:
    """Compare the results CSV ``results`` with the truth CSV ``truth``; with
    ``errors_out``, also write every error there (see :func:`errors`)."""

    from batchreader.io.atomic import AtomicOutput
    from batchreader.io.results import read_results, write_frame

    output = AtomicOutput(Path(errors_out)) if errors_out else None
    try:
        found, true = read_results(results), read_truth(truth)
        agreement = compare(found, true)
        wrong = errors(found, true) if output else None
    except (ValueError, KeyError) as exc:
        if output:
            output.discard()
        raise BatchreaderError(f"cannot compare {results} with {truth}: {exc}") from exc
    if output:
        write_frame(wrong, output)
    return agreement
