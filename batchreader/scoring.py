"""Scoring results against ground truth: digit recall, precision, accuracy and whole fields.

A predicted digit matches a true one on the same file and page when their boxes
overlap by at least half of the smaller box (one-to-one, best overlap first).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


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


def _overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over the smaller area for every pair of boxes (x, y, w, h)."""
    ax0, ay0, aw, ah = (a[:, i][:, None] for i in range(4))
    bx0, by0, bw, bh = (b[:, i][None, :] for i in range(4))
    iw = np.clip(np.minimum(ax0 + aw, bx0 + bw) - np.maximum(ax0, bx0), 0, None)
    ih = np.clip(np.minimum(ay0 + ah, by0 + bh) - np.maximum(ay0, by0), 0, None)
    smaller = np.minimum(aw * ah, bw * bh)
    return (iw * ih) / np.maximum(smaller, 1)


def compare(results, truth) -> Agreement:
    """Compare a results DataFrame (schema columns) with a truth DataFrame
    (file, page, line, field, index, x, y, width, height, digit)."""
    found = results[results["status"].isin(["ok", "reviewed"])]
    matched = correct = exact_fields = true_fields = 0
    for (file, page), t in truth.groupby(["file", "page"], sort=True):
        r = found[(found["file"] == file) & (found["page"] == page)]
        tb = t[["x", "y", "width", "height"]].to_numpy(np.float64)
        rb = r[["x", "y", "width", "height"]].to_numpy(np.float64)
        pairs: dict[int, int] = {}
        if len(tb) and len(rb):
            ov = _overlap(tb, rb)
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
        t_digits = t["digit"].to_numpy()
        r_digits = r["digit"].to_numpy()
        r_fields = list(zip(r["line"].to_numpy(), r["field"].to_numpy()))
        matched += len(pairs)
        correct += sum(int(t_digits[ti] == r_digits[ri]) for ti, ri in pairs.items())
        t_positions = {}
        for i, key in enumerate(zip(t["line"].to_numpy(), t["field"].to_numpy())):
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
