"""The review report, corrections and fine-tuning on corrections, end to end."""

from __future__ import annotations

import base64
import json
import re
import shutil

import cv2
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import batchreader
from batchreader.cli import main
from batchreader.errors import CorrectionsError, ExitCode
from batchreader.io.results import read_results
from batchreader.schema import COLUMNS, CORRECTION_COLUMNS, REVIEW_COLUMNS
from batchreader.verify.corrections import apply_corrections
from batchreader.verify.report import build_review, field_digits

EVIL = "<img src=x onerror=alert(1)>.png"


@pytest.fixture(scope="module")
def reviewed(scans, tmp_path_factory):
    """A scan of the test scans plus a file with a hostile name, and its review report."""
    root = tmp_path_factory.mktemp("review")
    folder = root / "scans"
    shutil.copytree(scans, folder)
    shutil.copy(scans / "clean.png", folder / EVIL)
    results = root / "results.csv"
    batchreader.scan([folder], results, jobs=1)
    report = root / "review.html"
    summary = build_review(results, folder, report, threshold=0.999)
    return folder, results, report, summary


def _data(report) -> dict:
    html = report.read_text(encoding="utf-8")
    blob = re.search(r'<script id="review-data" type="application/json">(.*?)</script>', html, re.S).group(1)
    return json.loads(blob)


def test_report_lists_every_field_with_a_flagged_digit_in_reading_order_with_pictures(reviewed):
    _, results, report, summary = reviewed
    data = _data(report)
    frame = read_results(results)
    ok = frame[frame["status"] == "ok"]
    keys = ["file", "page", "line", "field"]
    flagged = ok[ok["confidence"] < 0.999]
    expected = sorted(set(flagged[keys].itertuples(index=False, name=None)))
    assert summary.flagged == len(flagged) > 0 and summary.fields == len(expected) == len(data["items"])
    assert [(it["file"], it["page"], it["line"], it["field"]) for it in data["items"]] == expected
    for item in data["items"]:
        rows = ok[(ok[keys] == [item[k] for k in keys]).all(axis=1)].sort_values("index")
        # the whole number, its flagged digits marked, each digit's box inside the field's picture
        assert (
            item["value"]
            == "".join(str(d) for d in rows["digit"])
            == "".join(str(d["digit"]) for d in field_digits(item))
        )
        assert [d["flagged"] for d in field_digits(item)] == list(rows["confidence"] < 0.999)
        assert item["confidence"] == pytest.approx(rows["confidence"].min(), abs=1e-4)
        assert [d["rect"] for d in field_digits(item)] == rows[["x", "y", "width", "height"]].values.tolist()
        vx, vy, vw, vh = item["view"]  # the page's rectangle the field's picture shows: all its digits
        assert all(
            vx <= r[0] and r[0] + r[2] <= vx + vw and vy <= r[1] and r[1] + r[3] <= vy + vh
            for r in (d["rect"] for d in field_digits(item))
        )
        assert item["strip"].startswith("data:image/webp;base64,")
        page = data["pages"][f"{item['file']}|{item['page']}"]
        assert page["src"].startswith("data:image/webp;base64,") and page["width"] >= item["box"][0] + item["box"][2]
    assert len(data["pages"]) == len({(it["file"], it["page"]) for it in data["items"]})
    assert data["summary"]["digits"] == len(ok)
    assert data["correction_columns"] == CORRECTION_COLUMNS


def test_report_is_self_contained_and_escapes_names(reviewed):
    _, _, report, _ = reviewed
    html = report.read_text(encoding="utf-8")
    assert not re.search(r'(src|href)\s*=\s*["\']?https?:', html)
    assert "url(" not in html
    assert "<img src=x" not in html  # the hostile file name only appears escaped inside the JSON
    assert "Content-Security-Policy" in html


def test_a_report_written_as_a_folder_keeps_its_page_pictures_beside_it(reviewed, tmp_path):
    folder, results, report, _ = reviewed
    out = tmp_path / "review"
    run = CliRunner().invoke(
        main, ["review", str(results), "--scans", str(folder), "--out", str(out), "--threshold", "0.999"]
    )
    assert run.exit_code == 0, run.output
    assert sorted(p.name for p in out.iterdir()) == ["fields", "index.html", "pages"]
    data, whole = _data(out / "index.html"), _data(report)
    assert [it["id"] for it in data["items"]] == [it["id"] for it in whole["items"]]
    assert data["pages"].keys() == whole["pages"].keys()

    def same_picture(src: str, inline: str, kind: str) -> bool:
        assert re.fullmatch(kind + r"/\d+\.webp", src)  # beside the report, never an absolute path
        picture = cv2.imdecode(np.frombuffer((out / src).read_bytes(), np.uint8), cv2.IMREAD_GRAYSCALE)
        inside = cv2.imdecode(np.frombuffer(base64.b64decode(inline.split(",", 1)[1]), np.uint8), cv2.IMREAD_GRAYSCALE)
        return picture.shape == inside.shape

    assert all(same_picture(a["strip"], b["strip"], "fields") for a, b in zip(data["items"], whole["items"]))
    assert all(same_picture(page["src"], whole["pages"][key]["src"], "pages") for key, page in data["pages"].items())
    assert len(list((out / "fields").iterdir())) == len(data["items"])
    assert (out / "index.html").stat().st_size < report.stat().st_size
    # pictures load from inside the one-file report only; from beside the folder's index
    assert "img-src data:;" in report.read_text() and "img-src data: 'self';" in (out / "index.html").read_text()
    again = CliRunner().invoke(
        main, ["review", str(results), "--scans", str(folder), "-o", str(out), "--threshold", "0.5"]
    )
    assert again.exit_code == 0 and len(_data(out / "index.html")["items"]) <= len(data["items"])  # replaced whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["review"]  # no temporary folder left
    (out / "notes.txt").write_text("mine")  # a folder holding the user's files is never replaced
    refused = CliRunner().invoke(main, ["review", str(results), "--scans", str(folder), "-o", str(out)])
    assert refused.exit_code == ExitCode.USAGE and "did not write" in refused.output
    assert (out / "notes.txt").read_text() == "mine" and (out / "index.html").exists()


def test_a_large_one_file_report_says_a_folder_keeps_it_light(reviewed, tmp_path, monkeypatch, caplog):
    folder, results, _, summary = reviewed
    monkeypatch.setattr("batchreader.verify.report.MANY_FIELDS", summary.fields)
    with caplog.at_level("WARNING", logger="batchreader.verify.report"):
        build_review(results, folder, tmp_path / "big.html", threshold=0.999)
        assert "as a folder" in caplog.text
        caplog.clear()
        build_review(results, folder, tmp_path / "big", threshold=0.999)
        assert "as a folder" not in caplog.text


def _corrections(results, tmp_path, rows):
    frame = read_results(results)
    ok = frame[frame["status"] == "ok"].head(len(rows))
    out = []
    for (_, r), (value, note) in zip(ok.iterrows(), rows):
        out.append([r["file"], r["page"], r["x"], r["y"], r["width"], r["height"], r["digit"], value, note, "ana", ""])
    path = tmp_path / "corrections.csv"
    pd.DataFrame(out, columns=CORRECTION_COLUMNS).to_csv(path, index=False)
    return path, ok


def test_apply_corrections_marks_rows_reviewed_or_rejected(reviewed, tmp_path):
    _, results, _, _ = reviewed
    path, ok = _corrections(results, tmp_path, [("7", "looked like a 1"), ("x", "a tick, not a digit")])
    final, fields = tmp_path / "final.csv", tmp_path / "fields.csv"
    assert apply_corrections(results, path, final, fields_out=fields) == 2
    frame = read_results(final)
    assert list(frame.columns) == COLUMNS + REVIEW_COLUMNS
    first = frame[
        (frame["file"] == ok.iloc[0]["file"]) & (frame["x"] == ok.iloc[0]["x"]) & (frame["y"] == ok.iloc[0]["y"])
    ].iloc[0]
    assert first["status"] == "reviewed" and first["digit"] == 7 and first["confidence"] == 1.0
    assert pd.isna(first["second_digit"]) and pd.isna(first["second_confidence"])
    assert first["original_digit"] == ok.iloc[0]["digit"] and first["original_confidence"] == ok.iloc[0]["confidence"]
    assert first["note"] == "looked like a 1" and first["reviewer"] == "ana" and first["reviewed_at"].startswith("20")
    second = frame[
        (frame["file"] == ok.iloc[1]["file"]) & (frame["x"] == ok.iloc[1]["x"]) & (frame["y"] == ok.iloc[1]["y"])
    ].iloc[0]
    assert second["status"] == "rejected" and pd.isna(second["digit"]) and second["note"] == "a tick, not a digit"
    assert second["original_digit"] == ok.iloc[1]["digit"]
    untouched = frame[~frame.index.isin([first.name, second.name])]
    assert untouched["original_digit"].isna().all() and (untouched["reviewer"] == "").all()
    assert len(frame) == len(read_results(results))
    numbers = read_results(fields)  # the final numbers: the 7 in its field, the tick gone
    field = numbers[(numbers["file"] == first["file"]) & (numbers["line"] == first["line"])]
    assert "7" in "".join(field[field["field"] == first["field"]]["value"])
    again = tmp_path / "again.csv"  # reviewed twice: the machine's reading stays the first one
    apply_corrections(final, path, again)
    twice = read_results(again).loc[first.name]
    assert (
        twice["original_digit"] == ok.iloc[0]["digit"] and twice["original_confidence"] == first["original_confidence"]
    )


def _field(results, digits: int):
    """The rows of the first field of ``results`` with at least ``digits`` digits."""
    frame = read_results(results)
    ok = frame[frame["status"] == "ok"]
    for _, rows in ok.groupby(["file", "page", "line", "field"], sort=False):
        if len(rows) >= digits:
            return rows.sort_values("index")
    raise AssertionError(f"no field of {digits} digits")


def _field_correction(rows, number, tmp_path):
    x0, y0 = int(rows["x"].min()), int(rows["y"].min())
    x1, y1 = int((rows["x"] + rows["width"]).max()), int((rows["y"] + rows["height"]).max())
    value = "".join(str(d) for d in rows["digit"])
    first = rows.iloc[0]
    line = [first["file"], first["page"], x0, y0, x1 - x0, y1 - y0, value, number, "one more", "ana", ""]
    path = tmp_path / "corrections.csv"
    pd.DataFrame([line], columns=CORRECTION_COLUMNS).to_csv(path, index=False)
    return path, (x0, y0, x1, y1)


@pytest.mark.parametrize("change", [+1, -1])
def test_a_field_typed_with_another_count_of_digits_is_rewritten(reviewed, tmp_path, change):
    _, results, _, _ = reviewed
    rows = _field(results, 3)
    value = "".join(str(d) for d in rows["digit"])
    number = value + "5" if change > 0 else value[:-1]
    path, (x0, y0, x1, y1) = _field_correction(rows, number, tmp_path)
    final, fields = tmp_path / "final.csv", tmp_path / "fields.csv"
    assert apply_corrections(results, path, final, fields_out=fields) == len(rows) + len(number)
    frame = read_results(final)
    first = rows.iloc[0]
    same = frame[
        (frame["file"] == first["file"]) & (frame["line"] == first["line"]) & (frame["field"] == first["field"])
    ]
    old = same[same["status"] == "rejected"]  # what the machine read stays, rejected
    assert list(old["original_digit"]) == list(rows["digit"]) and (old["reviewer"] == "ana").all()
    new = same[same["status"] == "reviewed"]
    assert "".join(str(d) for d in new["digit"]) == number and (new["confidence"] == 1.0).all()
    assert list(new["index"]) == list(range(1, len(number) + 1)) and (new["note"] == "one more").all()
    # the field's box split evenly between the person's digits, left to right
    assert new["x"].min() == x0 and (new["x"] + new["width"]).max() == x1 and (new["y"] == y0).all()
    assert new["x"].is_monotonic_increasing
    assert len(frame) == len(read_results(results)) + len(number)
    numbers = read_results(fields)
    mine = numbers[(numbers["file"] == first["file"]) & (numbers["line"] == first["line"])]
    assert list(mine[mine["field"] == first["field"]]["value"]) == [number]


def test_a_field_correction_must_be_the_box_of_a_field(reviewed, tmp_path):
    _, results, _, _ = reviewed
    rows = _field(results, 3)
    path, _ = _field_correction(rows.iloc[1:], "123", tmp_path)  # the box of part of a field only
    with pytest.raises(CorrectionsError, match="match no result row or field"):
        apply_corrections(results, path, tmp_path / "final.csv")
    assert not (tmp_path / "final.csv").exists()


def test_corrections_that_match_nothing_are_refused(reviewed, tmp_path):
    _, results, _, _ = reviewed
    path = tmp_path / "bad.csv"
    old = CORRECTION_COLUMNS[:9]  # a report of an earlier version: no reviewer, no time
    pd.DataFrame([["nope.png", 1, 1, 2, 3, 4, 5, "6", ""]], columns=old).to_csv(path, index=False)
    with pytest.raises(CorrectionsError, match="match no result row"):
        apply_corrections(results, path, tmp_path / "final.csv")
    assert not (tmp_path / "final.csv").exists()
    result = CliRunner().invoke(main, ["apply-corrections", str(results), str(path), "--out", str(tmp_path / "f.csv")])
    assert result.exit_code == ExitCode.CORRECTIONS_ERROR
    assert "match no result row" in result.output


def test_two_corrections_of_one_digit_that_disagree_are_refused_naming_their_lines(reviewed, tmp_path):
    _, results, _, _ = reviewed
    path, _ = _corrections(results, tmp_path, [("7", ""), ("3", "")])
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    twice = pd.concat([frame, frame.iloc[[0]].assign(corrected_digit="4")], ignore_index=True)
    twice.to_csv(path, index=False)
    argv = ["apply-corrections", str(results), str(path), "--out", str(tmp_path / "f.csv")]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == ExitCode.CORRECTIONS_ERROR
    assert "lines 2, 4 correct the same digit" in result.output and "7 and 4" in result.output
    assert not (tmp_path / "f.csv").exists()
    pd.concat([frame, frame.iloc[[0]]]).to_csv(path, index=False)  # the same correction twice is one
    assert apply_corrections(results, path, tmp_path / "f.csv") == 2


def test_results_that_are_not_a_results_csv_are_refused(reviewed, tmp_path):
    _, results, _, _ = reviewed
    path, _ = _corrections(results, tmp_path, [("7", "")])
    other = tmp_path / "other.csv"
    other.write_text("name,amount\nrent,100\n")
    result = CliRunner().invoke(main, ["apply-corrections", str(other), str(path), "--out", str(tmp_path / "f.csv")])
    assert result.exit_code == ExitCode.CORRECTIONS_ERROR
    assert "is not a batchreader results file" in result.output and "Traceback" not in result.output


def test_scan_with_review_in_one_go(scans, tmp_path):
    out, report = tmp_path / "r.csv", tmp_path / "review.html"
    args = ["scan", str(scans / "clean.png"), "--out", str(out), "--review", str(report), "--threshold", "1.0"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    frame = read_results(out)
    flagged = frame[(frame["status"] == "ok") & (frame["confidence"] < 1.0)]
    fields = len(flagged[["file", "page", "line", "field"]].drop_duplicates())
    assert len(_data(report)["items"]) == fields > 0


def test_fine_tune_on_corrections(reviewed, tmp_path, monkeypatch):
    from batchreader.read.classify import Classifier
    from batchreader.training import finetune
    from batchreader.training.digits import TrainConfig, load_mnist, parent_split, validation_split
    from tests.conftest import SUBSET

    fitted_on = []

    def fit_temperature(logits, labels):
        fitted_on.append(np.asarray(labels))
        return 1.0

    monkeypatch.setattr(finetune, "fit_temperature", fit_temperature)

    folder, results, _, _ = reviewed
    frame = read_results(results)
    ok = frame[frame["status"] == "ok"].head(12)
    rows = [
        [r["file"], r["page"], r["x"], r["y"], r["width"], r["height"], r["digit"], str(r["digit"]), ""]
        for _, r in ok.iterrows()
    ]
    path = tmp_path / "corrections.csv"
    pd.DataFrame(rows, columns=CORRECTION_COLUMNS[:9]).to_csv(path, index=False)
    out = tmp_path / "tuned.keras"
    data = load_mnist(SUBSET)
    card = finetune.fine_tune(None, out, data, path, folder, epochs=1, mnist_digits=600, command="test")
    ft = card["fine_tuning"]
    # the temperature is fitted on the shipped model's own validation digits
    held, _ = validation_split(len(data.x_train), TrainConfig(**parent_split(Classifier.load(None).card)))
    assert len(fitted_on) == 1 and np.array_equal(fitted_on[0], data.y_train[held])
    assert out.is_file() and ft["corrections"] == 12 and ft["held_out"] == 2
    assert ft["accuracy_after"]["mnist_test"] > 0.95
    assert ft["accuracy_after"]["held_out"] >= 0.5
    assert batchreader.scan([folder / "clean.png"], tmp_path / "r.csv", model=out).digits > 30


def test_fine_tuning_on_too_few_corrections_to_hold_out_says_so(reviewed, tmp_path):
    from tests.conftest import SUBSET

    folder, results, _, _ = reviewed
    path, _ = _corrections(results, tmp_path, [("7", ""), ("3", ""), ("1", ""), ("x", "")])
    out = tmp_path / "tuned.keras"
    argv = ["train", "--corrections", str(path), "--scans", str(folder), "--data", str(SUBSET), "--out", str(out)]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 0, result.output
    assert "held_out     none held out" in result.output and "nan" not in result.output
    assert json.loads(out.with_suffix(".json").read_text())["fine_tuning"]["accuracy_after"]["held_out"] is None


def test_fine_tuning_finds_the_scans_by_the_results_run_record(scans, tmp_path):
    from tests.conftest import SUBSET

    folder = tmp_path / "scans"
    shutil.copytree(scans, folder)
    results = tmp_path / "r.csv"
    batchreader.scan([folder / "clean.png"], results, jobs=1)
    path, _ = _corrections(results, tmp_path, [("7", ""), ("3", ""), ("1", ""), ("x", ""), ("2", "")])
    out = tmp_path / "tuned.keras"
    argv = ["train", "--corrections", str(path), "--results", str(results), "--data", str(SUBSET), "--out", str(out)]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 0, result.output
    assert json.loads(out.with_suffix(".json").read_text())["fine_tuning"]["corrections"] == 5
    with open(folder / "clean.png", "ab") as f:  # the scan changed since: its digits are not those corrected
        f.write(b"\0")
    result = CliRunner().invoke(main, [*argv[:-1], str(tmp_path / "again.keras")])
    assert result.exit_code == ExitCode.INPUT_NOT_FOUND and "changed since the scan" in result.output
    no_scans = CliRunner().invoke(main, argv[:3] + argv[5:])
    assert no_scans.exit_code == 2 and "--results" in no_scans.output


def test_the_run_record_tells_review_where_the_scans_are_and_their_dpi(scans, tmp_path):
    folder = tmp_path / "scans"
    shutil.copytree(scans, folder)
    results = tmp_path / "r.csv"
    batchreader.scan([folder], results, jobs=1, dpi=200)
    record = json.loads((tmp_path / "r.csv.run.json").read_text())
    assert record["settings"]["dpi"] == 200 and record["version"] == batchreader.__version__
    clean = next(e for e in record["inputs"] if e["name"] == "clean.png")
    assert clean["size"] == (folder / "clean.png").stat().st_size and len(clean["sha256"]) == 64
    report = tmp_path / "review.html"
    summary = build_review(results, None, report, threshold=0.999)  # no --scans, no --dpi
    frame = read_results(results)
    assert summary.flagged == int(((frame["status"] == "ok") & (frame["confidence"] < 0.999)).sum())
    pdf_items = [it for it in _data(report)["items"] if it["file"] == "pencil.pdf"]
    assert pdf_items  # cut at the scan's 200 dpi: at 300 the boxes would fall beside the digits
    assert all(_ink_in(it) for it in pdf_items)
    build_review(results, None, report, threshold=0.999, dpi=300)
    assert not all(_ink_in(it) for it in _data(report)["items"] if it["file"] == "pencil.pdf")


def _ink_in(item: dict) -> bool:
    """Whether every digit box of a field's picture in the report holds ink in its middle
    (not blank paper)."""
    import base64

    import cv2

    webp = np.frombuffer(base64.b64decode(item["strip"].split(",", 1)[1]), np.uint8)
    gray = cv2.imdecode(webp, cv2.IMREAD_GRAYSCALE)
    h, w = gray.shape
    vx, vy, vw, vh = item["view"]
    for d in field_digits(item):
        x, y, bw, bh = (d["rect"][0] - vx) / vw, (d["rect"][1] - vy) / vh, d["rect"][2] / vw, d["rect"][3] / vh
        inner = gray[
            int(h * (y + bh / 4)) : int(h * (y + 3 * bh / 4)) + 1, int(w * (x + bw / 4)) : int(w * (x + 3 * bw / 4)) + 1
        ]
        if inner.size == 0 or int(inner.min()) >= 160:
            return False
    return True


def test_review_refuses_scans_that_are_missing_or_changed_and_writes_nothing(scans, tmp_path):
    folder = tmp_path / "scans"
    shutil.copytree(scans, folder)
    results = tmp_path / "r.csv"
    batchreader.scan([folder], results, jobs=1)
    report = tmp_path / "review.html"
    partial = tmp_path / "partial"
    partial.mkdir()
    shutil.copy(folder / "clean.png", partial / "clean.png")
    runner = CliRunner()
    args = ["review", str(results), "--out", str(report), "--threshold", "0.999"]
    missing = runner.invoke(main, [*args, "--scans", str(partial)])
    assert missing.exit_code == ExitCode.INPUT_NOT_FOUND and "is not at" in missing.output
    with open(folder / "fax.tif", "ab") as fh:  # the scan was changed since it was read
        fh.write(b"\0")
    changed = runner.invoke(main, args)
    assert changed.exit_code == ExitCode.INPUT_NOT_FOUND and "changed since the scan" in changed.output
    (tmp_path / "r.csv.run.json").unlink()  # results without a record: the folder must hold every scan still
    unrecorded = runner.invoke(main, [*args, "--scans", str(partial)])
    assert unrecorded.exit_code == ExitCode.INPUT_NOT_FOUND and "is not at" in unrecorded.output
    nowhere = runner.invoke(main, args)
    assert nowhere.exit_code == ExitCode.INPUT_NOT_FOUND and "pass --scans" in nowhere.output
    truth = runner.invoke(main, ["review", str(tmp_path / "r.csv.bak"), "--scans", str(folder)])
    assert truth.exit_code == ExitCode.USAGE  # Click: the file does not exist
    (tmp_path / "truth.csv").write_text("file,page,x,y,width,height,digit\nclean.png,1,1,1,5,5,3\n")
    truth = runner.invoke(main, ["review", str(tmp_path / "truth.csv"), "--scans", str(folder), "-o", str(report)])
    assert truth.exit_code == ExitCode.INPUT_NOT_FOUND and "not a batchreader results file" in truth.output
    assert truth.exception is None or isinstance(truth.exception, SystemExit)
    assert not report.exists()


def test_the_marks_rejected_beside_a_number_are_shown_with_it_when_asked(scans, tmp_path):
    results = tmp_path / "r.csv"
    batchreader.scan([scans / "clean.png"], results, jobs=1)
    frame = read_results(results)
    rows = _field(results, 3)
    # the reader dropped the field's last digit as a mark, and was unsure of its first
    frame.loc[rows.index[-1], "status"] = "rejected"
    frame.loc[rows.index[0], "confidence"] = 0.5
    edited = tmp_path / "edited.csv"
    frame.to_csv(edited, index=False)
    report = tmp_path / "review.html"
    build_review(edited, scans / "clean.png", report, threshold=0.9, rejected=True)
    first = rows.iloc[0]
    item = next(it for it in _data(report)["items"] if (it["line"], it["field"]) == (first["line"], first["field"]))
    assert item["value"] == "".join(str(d) for d in rows["digit"][:-1])
    assert len(item["marks"]) == 1  # the dropped digit, drawn in the field's picture for the clerk to restore
    dropped = rows.iloc[-1]
    assert item["marks"] == [[int(dropped[k]) for k in ("x", "y", "width", "height")]]
    vx, _, vw, _ = item["view"]
    assert vx <= dropped["x"] and dropped["x"] + dropped["width"] <= vx + vw  # inside the picture
    build_review(edited, scans / "clean.png", report, threshold=0.9)
    assert all(it["marks"] == [] for it in _data(report)["items"])
