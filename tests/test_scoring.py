import pandas as pd
import pytest

import batchreader
from batchreader.errors import BatchreaderError
from batchreader.verify.scoring import compare, errors, score_files


def _truth(*digits, **read):
    """Rows of one line of one page, a (digit, x, width) each; with ``read`` (the
    columns a result has besides), results instead of truth."""
    keys = dict(file="a.png", page=1, line=1, field=1, y=0, height=50, **read)
    return pd.DataFrame([{**keys, "index": i, "x": x, "width": w, "digit": d} for i, (d, x, w) in enumerate(digits)])


def _found(*digits):
    return _truth(*digits, confidence=0.9, status="ok")


def test_a_pair_read_as_one_digit_is_a_merge_and_a_swallowed_digit():
    truth = _truth((4, 0, 40), (1, 42, 12), (7, 70, 35))
    # "41" in one box read 4: the 4 is right and the 1 swallowed
    assert errors(_found((4, 0, 54), (7, 70, 35)), truth)["kind"].tolist() == ["swallowed"]
    # read 9: the 4 is misread in a box over its missed neighbour too
    wrong = errors(_found((9, 0, 54), (7, 70, 35)), truth)
    assert wrong["kind"].tolist() == ["merged", "swallowed"]
    assert wrong["digit"].tolist() == [4, 1] and wrong["read"].tolist() == [9, 9]
    assert compare(_found((9, 0, 54), (7, 70, 35)), truth).correct == 1


def test_a_split_digit_leaves_a_piece_and_nothing_right_leaves_no_rows():
    truth = _truth((0, 0, 40), (7, 70, 35))
    split = errors(_found((1, 0, 12), (0, 12, 28), (7, 70, 35)), truth)
    # one half matches the 0 and is misread (both halves lie wholly inside it), the other is a piece
    assert sorted(split["kind"]) == ["misread", "piece"]
    assert errors(_found((0, 0, 40), (7, 70, 35)), truth).empty


def test_a_reviewed_results_csv_serves_as_truth_and_scores_itself_perfectly(scans, tmp_path):
    out = tmp_path / "r.csv"
    batchreader.scan([scans], out, jobs=1)  # holds empty and ok rows (the PDF's blank page)
    frame = batchreader.read_results(out)
    assert "empty" in set(frame["status"])
    agreement = score_files(out, out)
    assert agreement.digit_accuracy == 1.0 and agreement.found_digits == agreement.true_digits


def test_a_truth_without_its_columns_is_refused_saying_what_a_truth_holds(scans, tmp_path):
    out = tmp_path / "r.csv"
    batchreader.scan([scans / "clean.png"], out, jobs=1)
    truth = tmp_path / "truth.csv"
    truth.write_text("file,digit\nclean.png,3\n")
    with pytest.raises(BatchreaderError, match="the truth lacks columns page, x, y, width, height"):
        score_files(out, truth)
