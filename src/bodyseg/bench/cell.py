"""One cell of a benchmark: a method's per-image results on one data set, cached as JSON lines.

The cache is a JSONL file: a ``config`` line first (method, options, threshold, data set), then
one line per finished image, per finished video sequence and per run. A rerun with the same config
skips what is there; an interrupted write leaves at most one broken last line, which is dropped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from bodyseg.datasets import Dataset
from bodyseg.io.images import atomic_path

log = logging.getLogger(__name__)

Record = dict[str, Any]


@dataclass
class Cell:
    """Per-image results of one method on one data set (only ``ids`` count in summaries).

    Attributes:
        method: the segmenter name.
        dataset: the data set name.
        kind: the data set kind (``images``, ``video``, ``person-free``).
        has_instances: the data set has one id per person.
        ids: the selected sample ids, in order.
        images: ``{id: record}`` of the finished images.
        sequences: ``{sequence: record}`` of the finished video sequences.
        runs: one record per run that computed something (images, peak memory).
        failures: the images that could not be read or segmented in this run (never cached, so
            a rerun tries them again).
    """

    method: str
    dataset: str
    kind: str
    has_instances: bool
    ids: list[str]
    images: dict[str, Record] = field(default_factory=dict)
    sequences: dict[str, Record] = field(default_factory=dict)
    runs: list[Record] = field(default_factory=list)
    failures: list[Record] = field(default_factory=list)

    @classmethod
    def for_dataset(cls, method: str, dataset: Dataset) -> Cell:
        """An empty cell for ``method`` on ``dataset``."""
        return cls(method, dataset.name, dataset.kind, dataset.has_instances, dataset.ids())

    def records(self) -> list[Record]:
        """The finished image records of the selection, in order."""
        return [self.images[i] for i in self.ids if i in self.images]

    def add(self, record: Record) -> None:
        """Keep a record of any type (``image``, ``sequence``, ``run``, ``failure``)."""
        kind = record["type"]
        if kind == "image":
            self.images[record["id"]] = record
        elif kind == "sequence":
            self.sequences[record["sequence"]] = record
        elif kind == "run":
            self.runs.append(record)
        elif kind == "failure":
            self.failures.append(record)

    def sequence_done(self, sequence: str, frame_ids: list[str]) -> bool:
        """True when ``sequence`` was finished over exactly these frames."""
        record = self.sequences.get(sequence)
        return record is not None and record.get("frame_ids") == frame_ids and all(i in self.images for i in frame_ids)

    @property
    def name(self) -> str:
        """``"method x dataset"``, for progress bars and messages."""
        return f"{self.method} x {self.dataset}"


class CellCache:
    """The JSONL file of one cell: read what is there, append as results come.

    Example:
        >>> cache = CellCache(Path("out/cells/grabcut/ccp-val.jsonl"), {"method": "grabcut"})  # doctest: +SKIP
        >>> cache.fill(cell)  # doctest: +SKIP
        >>> with cache.appending() as append:  # doctest: +SKIP
        ...     append({"type": "image", "id": "0001", ...})
    """

    def __init__(self, path: Path, config: Record) -> None:
        self.path = Path(path)
        self.config = {"type": "config", **config}

    def fill(self, cell: Cell) -> int:
        """Add the cached records to ``cell``; returns how many were read.

        A cache written with another config (options, threshold, data source) is discarded, with a
        warning, and started anew.
        """
        records = self._read()
        if records and records[0] != self.config:
            log.warning(
                "%s: cached with other settings (%s); computing this cell again",
                self.path,
                _difference(records[0], self.config),
            )
            records = []
        if not records:
            self._rewrite([self.config])
            return 0
        for record in records[1:]:
            cell.add(record)
        return len(records) - 1

    def clear(self) -> None:
        """Forget everything cached (``--force``)."""
        if self.path.exists():
            self.path.unlink()

    @contextmanager
    def appending(self) -> Iterator[Any]:
        """Yield ``append(record)``: one JSON line, flushed at once so an interruption loses nothing finished."""
        with self.path.open("a", encoding="utf-8") as handle:
            yield lambda record: _write_line(handle, record)

    def _read(self) -> list[Record]:
        if not self.path.is_file():
            return []
        text = self.path.read_text(encoding="utf-8")
        records, complete = _parse_lines(text)
        if not complete:
            log.warning("%s: dropped a record broken by an interruption", self.path)
            self._rewrite(records)
        return records

    def _rewrite(self, records: list[Record]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(self.path) as tmp:
            tmp.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def _parse_lines(text: str) -> tuple[list[Record], bool]:
    """Records of the complete lines; ``complete`` is False when a line was broken."""
    records: list[Record] = []
    complete = True
    for line in text.splitlines(keepends=True):
        try:
            if not line.endswith("\n"):
                raise ValueError("unfinished line")
            records.append(json.loads(line))
        except ValueError:
            complete = False
    return records, complete


def _write_line(handle: TextIO, record: Record) -> None:
    handle.write(json.dumps(record) + "\n")
    handle.flush()


def _difference(old: Record, new: Record) -> str:
    keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    return ", ".join(f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in keys)
