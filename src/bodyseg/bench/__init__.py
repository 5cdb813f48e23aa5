"""Benchmarks: run methods over data sets, summarise, and report as text, tables and a plot.

``bodyseg eval`` and ``bodyseg bench`` are thin commands over these functions.

Example:
    >>> from pathlib import Path
    >>> from bodyseg.bench import run_grid, summarize, write_results, write_plot
    >>> from bodyseg.datasets import open_dataset
    >>> cells = run_grid(["mediapipe-selfie"], [open_dataset("ccp-val", limit=20)], Path("out"))  # doctest: +SKIP
    >>> summaries = [summarize(c) for c in cells]  # doctest: +SKIP
    >>> write_results(Path("out"), summaries, {"command": "..."})  # doctest: +SKIP
"""

from bodyseg.bench.cell import Cell, CellCache
from bodyseg.bench.memory import PeakMemory
from bodyseg.bench.plots import write_plot
from bodyseg.bench.report import (
    PER_IMAGE_FIELDS,
    format_summary,
    markdown_table,
    per_image_rows,
    write_csv,
    write_results,
)
from bodyseg.bench.review import WorstResults, review_overlay
from bodyseg.bench.runner import cell_path, run_cell, run_grid, score_sample
from bodyseg.bench.summary import SUMMARY_FIELDS, headline, summarize

__all__ = [
    "PER_IMAGE_FIELDS",
    "SUMMARY_FIELDS",
    "Cell",
    "CellCache",
    "PeakMemory",
    "WorstResults",
    "cell_path",
    "format_summary",
    "headline",
    "markdown_table",
    "per_image_rows",
    "review_overlay",
    "run_cell",
    "run_grid",
    "score_sample",
    "summarize",
    "write_csv",
    "write_plot",
    "write_results",
]
