"""The scan pipeline: files -> pages -> candidate digits -> classified rows -> CSV.

Stages: discover input files; per file (in worker processes when ``jobs > 1``)
decode pages, segment them and frame each candidate as MNIST; in the main process
classify candidates of many pages in one batched call; write the CSV atomically.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from batchreader.defaults import MODEL_ACCURACY_FLOOR, PAGE_TIMEOUT, PDF_DPI
from batchreader.errors import ExitCode, InputNotFoundError, OutputFormatError
from batchreader.io.atomic import check_folders, check_outputs, check_writable, is_stream, output_path
from batchreader.io.journal import Journal
from batchreader.io.pages import SUPPORTED_SUFFIXES, InputFile, Page, PageFailure, discover, read_pages
from batchreader.io.results import fields_frame, open_writer, output_format
from batchreader.io.runrecord import describe_input, new_record, write_record
from batchreader.read.fieldkind import FieldClassifier, not_numbers
from batchreader.read.fields import page_rows
from batchreader.read.reading import classify_glyphs, read_runs, second_opinion
from batchreader.read.runreader import RunReader
from batchreader.run.threads import PageTimeout, time_limit
from batchreader.run.workers import map_files
from batchreader.schema import REVIEW_FOLDER, ResultRow, Status, is_review_folder, rows_to_frame
from batchreader.segment.layout import LAYOUTS, segment_page

log = logging.getLogger(__name__)


@dataclass
class ScanSummary:
    """What a scan did, for the closing log line and the exit code."""

    files: int = 0
    pages: int = 0
    digits: int = 0
    fields: int = 0
    rejected: int = 0
    failed: int = 0
    confidence_sum: float = 0.0
    seconds: float = 0.0
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    """Files in the inputs that were not read, with why (not a scan type, not a regular file)."""
    outputs: list[str] = field(default_factory=list)
    """The files written (``-`` for stdout)."""
    run_record: Path | None = None
    """The run record written beside the results (see :mod:`batchreader.io.runrecord`)."""

    def skipped_reasons(self) -> dict[str, int]:
        """How many files were skipped for each reason."""
        reasons: dict[str, int] = {}
        for _, why in self.skipped:
            reasons[why] = reasons.get(why, 0) + 1
        return reasons

    def figures(self) -> dict[str, object]:
        """The run's figures by name, as a workbook's summary sheet holds them."""
        return {
            "files": self.files,
            "pages": self.pages,
            "digits": self.digits,
            "fields": self.fields,
            "mean confidence": round(self.mean_confidence, 4),
            "rejected marks": self.rejected,
            "failed": self.failed,
            "skipped files": len(self.skipped),
            **{f"skipped: {why}": n for why, n in self.skipped_reasons().items()},
            "seconds": round(self.seconds, 1),
        }

    @property
    def mean_confidence(self) -> float:
        return self.confidence_sum / self.digits if self.digits else 0.0

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.SOME_FILES_FAILED if self.failed else ExitCode.OK


def process_file(
    item: InputFile,
    dpi: float,
    model: Path | None,
    keep_rejected: bool,
    field_model: Path | None = None,
    layout: str = "auto",
    page_timeout: float | None = PAGE_TIMEOUT,
    run_model: Path | None = None,
) -> list[ResultRow]:
    """Read every page of one file: its result rows (runs in a worker).

    The models are loaded once per process (:meth:`Classifier.load` and
    :meth:`FieldClassifier.load` keep them). A page that cannot be decoded or read, or
    takes longer than ``page_timeout`` seconds, becomes an error row; a model that
    cannot be loaded stops the run.
    """
    from batchreader.read.classify import Classifier

    classifier = Classifier.load(model)
    fields = FieldClassifier.load(field_model)
    runs = RunReader.load(run_model)
    rows: list[ResultRow] = []
    for page in read_pages(item, dpi):
        if isinstance(page, PageFailure):
            rows.append(ResultRow(file=page.file, page=page.number, status=Status.ERROR.value, error=page.message))
            continue
        try:
            with time_limit(page_timeout):
                rows.extend(read_page(page, classifier, keep_rejected, fields, layout, runs))
        except PageTimeout as exc:
            log.warning("%s page %d: %s", page.file, page.number, exc)
            message = f"{exc}: the page holds too much to read in time (a larger --page-timeout reads it)"
            rows.append(ResultRow(file=page.file, page=page.number, status=Status.ERROR.value, error=message))
        except Exception as exc:  # a page that breaks the reader is that page's error row
            log.exception("reading failed on %s page %d", page.file, page.number)
            rows.append(
                ResultRow(file=page.file, page=page.number, status=Status.ERROR.value, error=f"reading failed: {exc}")
            )
    return rows


def read_page(
    page: Page,
    classifier,
    keep_rejected: bool = False,
    fields: FieldClassifier | None = None,
    layout: str = "auto",
    runs: RunReader | None = None,
) -> list[ResultRow]:
    """The result rows of one decoded page: segment, tell numbers from the rest, classify,
    choose, number. Fields the field model does not take for handwritten numbers are
    read all the same (their marks are kept with ``keep_rejected``) but never reported.

    An image that is one field (see LAYOUTS) is one number: all its glyphs are one
    field, and the field model is not asked (the user, or the system that cut the image
    out, said what it holds); its runs of digits written in one stroke are read by the
    run reader (``runs``, default the shipped one: see :func:`read_runs`).
    """
    glyphs, one_number = segment_page(page.gray, page.dpi, layout)
    if one_number:
        glyphs.sort(key=lambda g: g.x)
        for index, g in enumerate(glyphs, start=1):
            g.line, g.field, g.index = 1, 1, index
        not_read: set = set()
    else:
        not_read = set(not_numbers(glyphs, page.gray.shape, fields or FieldClassifier.load()))
    chosen = classify_glyphs(glyphs, classifier, one_number)
    if one_number:
        runs = runs or RunReader.load()
        chosen = second_opinion(read_runs(chosen, glyphs, classifier, runs), glyphs, runs)
    return page_rows(page.file, page.number, chosen, keep_rejected, not_read, one_number)


def _process_all(
    files: list[InputFile],
    dpi: float,
    jobs: int,
    model: Path | None,
    keep_rejected: bool,
    scheduler: str | None = None,
    dask_workers: int | None = None,
    field_model: Path | None = None,
    layout: str = "auto",
    page_timeout: float | None = PAGE_TIMEOUT,
    run_model: Path | None = None,
) -> Iterator[list[ResultRow]]:
    """Run :func:`process_file` over ``files``, yielding each file's rows in input order
    (in this process, in worker processes or on a Dask cluster: :func:`map_files`)."""
    yield from map_files(
        process_file,
        files,
        (dpi, model, keep_rejected, field_model, layout, page_timeout, run_model),
        jobs=jobs,
        scheduler=scheduler,
        dask_workers=dask_workers,
    )


def _progress(files: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=files, unit="file", file=sys.stderr, disable=not enabled, dynamic_ncols=True)


def run_settings(
    model: Path | None,
    field_model: Path | None,
    dpi: float,
    keep_rejected: bool,
    layout: str,
    page_timeout: float | None = PAGE_TIMEOUT,
    run_model: Path | None = None,
) -> dict[str, object]:
    """What a run's results depend on besides its files, as its journal records it: a
    journal of other settings is not resumed. The models are checked against their cards."""
    from batchreader.read.modelcard import default_model_path, mnist_accuracy, read_card, verify_model

    path = model or default_model_path()
    card = verify_model(path)
    accuracy = mnist_accuracy(card)
    if accuracy is not None and accuracy < MODEL_ACCURACY_FLOOR:
        log.warning(
            "the model %s reads only %.1f%% of MNIST's test digits right, by its card (the shipped model %.1f%%): "
            "expect many misread digits",
            path,
            100 * accuracy,
            100 * (mnist_accuracy(read_card(default_model_path())) or 0),
        )
    return {
        "model_sha256": card["sha256"],
        "field_model_sha256": FieldClassifier.load(field_model).card["sha256"],
        "run_model_sha256": RunReader.load(run_model).card["sha256"],
        "dpi": dpi,
        "keep_rejected": keep_rejected,
        "layout": layout,
        "page_timeout": page_timeout,
    }


def scan(
    inputs: Iterable[Path | str],
    out: Path | str,
    model: Path | str | None = None,
    dpi: float = PDF_DPI,
    jobs: int | None = None,
    keep_rejected: bool = False,
    progress: bool = False,
    fields_out: Path | str | None = None,
    force: bool = False,
    scheduler: str | None = None,
    dask_workers: int | None = None,
    field_model: Path | str | None = None,
    layout: str = "auto",
    review_out: Path | str | None = None,
    page_timeout: float | None = PAGE_TIMEOUT,
    mkdir: bool = False,
    fmt: str | None = None,
    run_model: Path | str | None = None,
) -> ScanSummary:
    """Read every handwritten digit in ``inputs`` and write the results to ``out``.

    Args:
        inputs: files and folders (walked recursively, sorted).
        out: results file, CSV, JSON lines or an Excel workbook by its extension (see
            :mod:`batchreader.io.results`); written atomically, replaced only when the
            run completes.
        model: ``.keras`` model with its card; default the shipped model.
        dpi: resolution at which PDF pages are rendered.
        jobs: worker processes for decoding and segmentation (default: all cores).
        keep_rejected: also write marks judged not to be digits, with ``status=rejected``.
        progress: show a progress bar on stderr.
        fields_out: also write one row per field (written number) to this CSV.
        force: ignore the journal of an interrupted run and read everything again.
        scheduler: address of a Dask scheduler to send pages to (``tcp://host:8786``).
        dask_workers: or start a local Dask cluster with this many worker processes.
        field_model: ``.keras`` field model with its card, which tells handwritten
            numbers from words, signatures, print and form furniture; default the shipped one.
        layout: ``auto``, ``page`` or ``field`` (see :data:`LAYOUTS`).
        review_out: the review report the caller will write from ``out`` after the
            scan (:func:`batchreader.verify.report.build_review`): checked with the
            other outputs, before any page is read.
        page_timeout: seconds a page may take before it is given up as an error row
            (None or 0: no limit); see :data:`PAGE_TIMEOUT`.
        mkdir: create the folders of ``out`` and ``fields_out`` that do not exist
            (otherwise a missing folder is an OutputError: a typo is not a new folder).
            ``out`` (or ``fields_out``) ``-`` is stdout, written as it goes, with no journal.
        fmt: ``csv``, ``jsonl`` or ``xlsx`` for ``out`` and ``fields_out``, whatever
            their names (by default the format each name gives).
        run_model: ``.keras`` run model with its card, which reads a number written in
            one stroke whole (images read as one number only); default the shipped one.

    Raises:
        InputNotFoundError, ModelError, OutputError, OutputClashError (an output
        that is another output or an input scan): before any page is read.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, not {layout!r}")
    started = time.monotonic()
    skipped: list[tuple[Path, str]] = []
    files = discover([Path(p) for p in inputs], skipped)
    if not files:
        raise InputNotFoundError("no scans found in the inputs", "supported: " + " ".join(sorted(SUPPORTED_SUFFIXES)))
    out, fields_out = output_path(out), output_path(fields_out)
    outputs = {"--out": out, "--fields": fields_out, "--review": review_out}
    check_outputs(outputs, [f.path for f in files])
    for option in ("--out", "--fields"):
        if outputs[option] is not None:
            output_format(outputs[option], fmt, option)
    check_folders({k: v for k, v in outputs.items() if k != "--review"}, mkdir)
    if review_out is not None:
        if is_stream(out):
            raise OutputFormatError("--review reads the results back: give --out a file, not a stream")
        check_writable(review_out, REVIEW_FOLDER if is_review_folder(review_out) else None)
    jobs = max(1, jobs or os.cpu_count() or 1)
    model_path = Path(model).resolve() if model else None  # None: each worker finds its installed model
    field_path = Path(field_model).resolve() if field_model else None
    run_path = Path(run_model).resolve() if run_model else None
    stream = open_writer(out, fmt)
    try:
        fields_stream = open_writer(fields_out, fmt, kind="fields") if fields_out else None
    except BaseException:
        stream.discard()
        raise
    journal = None
    complete = False
    summary = ScanSummary(files=len(files), skipped=skipped)
    try:
        # wrong models stop the run here
        settings = run_settings(model_path, field_path, dpi, keep_rejected, layout, page_timeout, run_path)
        # a stream (stdout) has no file beside it to keep a journal in: it is not resumed
        journal = None if stream.output.direct else Journal(Path(out), settings, force=force)
        done = {item.name: journal.finished(item) if journal else None for item in files}
        todo = [item for item in files if done[item.name] is None]
        with _progress(len(files), progress) as bar:
            bar.update(len(files) - len(todo))
            pages_done = digits_found = 0
            loop_started = time.monotonic()
            results = iter(
                _process_all(
                    todo,
                    dpi,
                    jobs,
                    model_path,
                    keep_rejected,
                    scheduler,
                    dask_workers,
                    field_path,
                    layout,
                    page_timeout,
                    run_path,
                )
            )
            # files are written in input order as they finish: read ones from the
            # journal, new ones from the workers (which return them in order)
            for item in files:
                file_rows = done[item.name]
                if file_rows is None:
                    file_rows = next(results)
                    if journal is not None:
                        journal.record(item, file_rows)
                    pages_done += len({row.page for row in file_rows})
                    digits_found += sum(row.status == Status.OK.value for row in file_rows)
                    rate = digits_found / max(1e-6, time.monotonic() - loop_started)
                    bar.set_postfix(pages=pages_done, digits_per_s=f"{rate:.0f}", refresh=False)
                    bar.update(1)
                frame = rows_to_frame(file_rows)
                stream.write(frame)
                if fields_stream is not None:
                    fields_stream.write(fields_frame(frame))
                summarise(file_rows, summary)
        summary.seconds = time.monotonic() - started
        if fields_stream is not None:
            fields_stream.commit(summary.figures())
        stream.commit(summary.figures())
        complete = True
        if not stream.output.direct:
            record = new_record(
                {
                    **settings,
                    "model": str(model_path or "shipped"),
                    "field_model": str(field_path or "shipped"),
                    "run_model": str(run_path or "shipped"),
                },
                [describe_input(item.path, item.name) for item in files],
                skipped,
                {"results": str(out), "fields": None if fields_out is None else str(fields_out)},
            )
            summary.run_record = write_record(Path(out), record)
    except BaseException:
        stream.discard()
        if fields_stream is not None:
            fields_stream.discard()
        raise
    finally:
        if journal is not None:
            journal.close(complete)
    summary.seconds = time.monotonic() - started
    summary.outputs = ["-" if is_stream(path) else str(path) for path in (out, fields_out) if path is not None]
    log.debug("scan figures: %s", summary.figures())  # the command line prints its own summary
    return summary


def summarise(rows: list[ResultRow], summary: ScanSummary) -> ScanSummary:
    """Add the pages, digits, fields (written numbers), rejected marks and failures of
    some result rows to ``summary``."""
    pages = set()
    numbers = set()
    for row in rows:
        if row.status == Status.ERROR.value:
            summary.failed += 1
            continue
        pages.add((row.file, row.page))
        if row.status == Status.OK.value:
            summary.digits += 1
            summary.confidence_sum += row.confidence or 0.0
            numbers.add((row.file, row.page, row.line, row.field))
        elif row.status == Status.REJECTED.value:
            summary.rejected += 1
    summary.pages += len(pages)
    summary.fields += len(numbers)
    return summary
