"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path

import click

from batchreader.defaults import PDF_DPI, REVIEW_THRESHOLD


def dpi_option(help_text: str = "PDF render resolution."):
    return click.option("--dpi", default=PDF_DPI, show_default=True, type=click.IntRange(50, 1200), help=help_text)


def threshold_option(help_text: str):
    return click.option(
        "--threshold", default=REVIEW_THRESHOLD, show_default=True, type=click.FloatRange(0, 1), help=help_text
    )


def model_option(help_text: str = "Model .keras file (default: the shipped model)."):
    return click.option("--model", type=click.Path(path_type=Path), help=help_text)
