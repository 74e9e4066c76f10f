"""Exit codes and the exceptions that carry them.

The exit codes are a stable interface: scripts that drive batchreader may rely on
them. Each exception says what went wrong and how to fix it; the CLI turns it into
one line on stderr and its exit code (a traceback only with ``-v``).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes of the ``batchreader`` command (documented in the README)."""

    OK = 0
    """Everything was read."""
    SOME_FILES_FAILED = 1
    """The batch finished, but at least one file or page could not be read (see the error rows)."""
    USAGE = 2
    """Bad command line (Click's own code for usage errors)."""
    INPUT_NOT_FOUND = 3
    """An input path does not exist, or holds no readable scans."""
    MODEL_ERROR = 4
    """The model file or its card is missing, corrupt, or fails its checksum."""
    OUTPUT_ERROR = 5
    """The output file cannot be written."""
    DATA_ERROR = 6
    """Training data is missing or malformed."""
    CORRECTIONS_ERROR = 7
    """A corrections file is malformed or does not match the results it is applied to."""
    INTERRUPTED = 130
    """Stopped by Ctrl-C (128 + SIGINT), nothing half-written was left behind."""
    TERMINATED = 143
    """Stopped by SIGTERM (128 + SIGTERM), as by Ctrl-C: nothing half-written was left behind."""


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: raised where the program was, and unwound as Ctrl-C is."""


class BatchreaderError(Exception):
    """Base of all errors that stop a batchreader command; carries an exit code."""

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class InputNotFoundError(BatchreaderError):
    """An input path does not exist or contains nothing to read."""

    exit_code = ExitCode.INPUT_NOT_FOUND


class ModelError(BatchreaderError):
    """The model cannot be used: missing, corrupt, or not matching its card."""

    exit_code = ExitCode.MODEL_ERROR


class OutputError(BatchreaderError):
    """An output file cannot be written."""

    exit_code = ExitCode.OUTPUT_ERROR


class OutputClashError(BatchreaderError):
    """Two outputs of one run, or an output and an input, are the same file: refused
    before anything is read, so that nothing the user had is overwritten."""

    exit_code = ExitCode.USAGE


class OutputFormatError(BatchreaderError):
    """An output named for a format it is not written in (``r.json`` for a CSV), or a
    stream where a file is needed: refused before anything is read."""

    exit_code = ExitCode.USAGE


class DataError(BatchreaderError):
    """Training or evaluation data cannot be loaded."""

    exit_code = ExitCode.DATA_ERROR


class CorrectionsError(BatchreaderError):
    """Corrections cannot be read or do not match the results."""

    exit_code = ExitCode.CORRECTIONS_ERROR
