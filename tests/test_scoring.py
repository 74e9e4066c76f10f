import pandas as pd

from batchreader.verify.scoring import compare, errors


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
