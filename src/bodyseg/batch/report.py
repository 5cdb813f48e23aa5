"""The batch report: one row per input (status, error, seconds), written as CSV and JSON.

Statuses: ``done`` (written by this run), ``skipped`` (finished by an earlier run), ``failed`` (the
error says why and what to do), ``cancelled`` (the run was interrupted before it got there).
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bodyseg.io.images import write_text

log = logging.getLogger("bodyseg")

STATUSES = ("done", "skipped", "failed", "cancelled")
COLUMNS = ("input", "output", "status", "error", "seconds", "worker")


@dataclass(frozen=True)
class ItemResult:
    """What became of one input.

    Attributes:
        input: the input file, as found.
        output: its output file ("" when none was planned, e.g. a folder that matched nothing).
        status: one of :data:`STATUSES`.
        error: why it failed ("" otherwise).
        seconds: time spent on it by the worker (reading, segmenting, writing).
        worker: the address of the worker that handled it ("" when none did).
    """

    input: str
    output: str
    status: str
    error: str = ""
    seconds: float = 0.0
    worker: str = ""


def counts(results: list[ItemResult]) -> dict[str, int]:
    """How many inputs ended in each status (every status listed, zeros too).

    Example:
        >>> counts([ItemResult("a", "b", "done"), ItemResult("c", "", "failed", "bad")])
        {'done': 1, 'skipped': 0, 'failed': 1, 'cancelled': 0}
    """
    found = Counter(result.status for result in results)
    return {status: found[status] for status in STATUSES}


def exit_code(results: list[ItemResult]) -> int:
    """0 when every input is done or was already finished; 2 when some failed or were not reached.

    Example:
        >>> exit_code([ItemResult("a", "b", "skipped")]), exit_code([ItemResult("a", "b", "failed", "x")])
        (0, 2)
    """
    return 0 if all(result.status in ("done", "skipped") for result in results) else 2


def report_paths(report: Path | None, output: Path) -> tuple[Path, Path]:
    """The CSV and JSON paths: ``OUT/batch-report.{csv,json}`` by default; ``--report X`` (with or
    without a ``.csv``/``.json`` suffix) names both, and an existing folder holds them.

    Example:
        >>> [p.as_posix() for p in report_paths(None, Path("out"))]
        ['out/batch-report.csv', 'out/batch-report.json']
        >>> [p.as_posix() for p in report_paths(Path("runs/r1/report.json"), Path("out"))]
        ['runs/r1/report.csv', 'runs/r1/report.json']
    """
    if report is None:
        base = output / "batch-report"
    elif report.is_dir():
        base = report / "batch-report"
    elif report.suffix.lower() in (".csv", ".json"):
        base = report.with_suffix("")
    else:
        base = report
    return base.with_name(base.name + ".csv"), base.with_name(base.name + ".json")


def to_csv(results: list[ItemResult]) -> str:
    """The rows as CSV text with a header (seconds to the millisecond)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for result in results:
        row = asdict(result)
        row["seconds"] = f"{result.seconds:.3f}"
        writer.writerow(row)
    return buffer.getvalue()


def write_report(results: list[ItemResult], csv_path: Path, json_path: Path, summary: dict[str, Any]) -> None:
    """Write the report as CSV (the rows) and JSON (``summary`` with the counts, then the rows), atomically.

    Example:
        >>> write_report(results, *report_paths(None, Path("out")), {"effect": "mask"})  # doctest: +SKIP
    """
    document = {"summary": {**summary, **counts(results)}, "items": [asdict(result) for result in results]}
    write_text(csv_path, to_csv(results))
    write_text(json_path, json.dumps(document, indent=1) + "\n")
    log.info("wrote the report %s and %s", csv_path, json_path)
