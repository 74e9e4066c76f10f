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


LAYOUT_HELP = (
    "page: pages of lines and fields; field: each image (each page) is one written number, such as a "
    "cheque amount; auto: a small image holding one line of ink is a field, anything else a page."
)


def layout_option(help_text: str = LAYOUT_HELP, default: str | None = "auto"):
    from batchreader.segment.layout import LAYOUTS

    return click.option(
        "--layout", type=click.Choice(LAYOUTS), default=default, show_default=default is not None, help=help_text
    )
