"""Run a segmenter over data sets: score every image, stream video sequences, cache and resume.

The same loop serves ``bodyseg eval`` (no cache) and ``bodyseg bench`` (a cache per cell, so an
interrupted grid resumes where it stopped). Only the ``segment`` call is timed.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import groupby
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from bodyseg.bench.cell import Cell, CellCache, Record
from bodyseg.bench.memory import PeakMemory
from bodyseg.datasets import Dataset, Entry, Sample
from bodyseg.errors import BodysegError
from bodyseg.io.coco_rle import encode_mask
from bodyseg.metrics import TemporalMeter, binary_counts, boundary_f_score, hausdorff95, scores_from_counts
from bodyseg.result import Segmentation
from bodyseg.segmenters import Segmenter, create
from bodyseg.segmenters.registry import parse_method_spec

log = logging.getLogger(__name__)

#: Tolerance of the boundary F-score, in pixels.
BOUNDARY_TOLERANCE = 2.0

#: Called after each image with (sample, rgb, segmentation, record), e.g. to keep the worst ones.
OnResult = Callable[[Sample, np.ndarray, Segmentation, Record], None]


def score_sample(
    seg: Segmentation, sample: Sample, *, threshold: float = 0.5, ms: float = 0.0, instances: bool = False
) -> Record:
    """One image's record: pixel counts, region and boundary scores, time, and (with ``instances``)
    the predicted and true people as RLE so mask AP can be computed later.

    Example:
        >>> s = Sample("a", Path("a.jpg"), np.array([[True, False]]))
        >>> r = score_sample(Segmentation(prob=np.array([[1.0, 1.0]])), s)
        >>> r["iou"], r["tp"], r["fp"], r["person_fraction"]
        (0.5, 1, 1, 1.0)
    """
    pred = seg.mask(threshold)
    counts = binary_counts(pred, sample.mask)
    height, width = sample.shape
    record: Record = {
        "type": "image",
        "id": sample.id,
        "sequence": sample.sequence,
        "frame": sample.frame,
        "height": height,
        "width": width,
        "ms": round(ms, 3),
        **dict(zip(("tp", "fp", "fn", "tn"), counts, strict=False)),
        **scores_from_counts(*counts),
        "person_fraction": (counts[0] + counts[1]) / float(height * width),
    }
    if sample.mask.any():  # a person to outline (else bf and hd95 say nothing)
        record["bf"] = boundary_f_score(pred, sample.mask, BOUNDARY_TOLERANCE)
        record["hd95"] = hausdorff95(pred, sample.mask)
    if instances:
        record["people"] = [{"score": float(p.score), "rle": encode_mask(p.mask)} for p in seg.people]
        record["gt_people"] = [encode_mask(m) for m in sample.instance_masks()]
    return record


def run_cell(
    segmenter: Segmenter | Callable[[], Segmenter],
    dataset: Dataset,
    *,
    threshold: float = 0.5,
    cache: CellCache | None = None,
    on_result: OnResult | None = None,
    progress: bool = True,
    method: str | None = None,
) -> Cell:
    """Segment and score every sample of ``dataset`` not already in ``cache``.

    Args:
        segmenter: the method, or a function that returns it (called only when there is work; a
            :class:`LazySegmenter` creates the model then, once).
        dataset: the samples; video sets are streamed sequence by sequence through a
            :class:`~bodyseg.metrics.TemporalMeter` (an unfinished sequence is redone whole).
        threshold: probability above which a pixel is person.
        cache: where finished records are read from and appended to; None keeps nothing.
        on_result: called after each image (see :data:`OnResult`).
        progress: show a progress bar named after the cell (on a terminal only).
        method: the method's name for reports (by default ``segmenter.name``).

    Returns:
        The cell: cached and new records, the run's peak memory (RSS above the run's start, the
        model already loaded), the images that failed.

    Example:
        >>> cell = run_cell(create("mediapipe-selfie"), open_dataset("ccp-val", limit=5))  # doctest: +SKIP
        >>> summarize(cell)["iou"]  # doctest: +SKIP
    """
    cell = Cell.for_dataset(method or getattr(segmenter, "name", "?"), dataset)
    if cache is not None:
        cache.fill(cell)
    groups = pending_groups(cell, dataset)
    todo = sum(len(g) for g in groups)
    if not todo:
        return cell
    get_segmenter = segmenter if not isinstance(segmenter, Segmenter) else lambda: segmenter
    get_segmenter()  # load the model before memory is measured: peak_mb is what segmenting adds
    bar = tqdm(
        total=len(cell.ids),
        initial=len(cell.ids) - todo,
        desc=cell.name,
        unit="img",
        leave=False,
        disable=None if progress else True,
    )
    with _appending(cache) as append:
        with PeakMemory() as memory:
            for group in groups:
                _run_group(get_segmenter, dataset, group, cell, append, threshold, on_result, bar)
        bar.close()
        run = {
            "type": "run",
            "images": todo - len(cell.failures),
            "peak_mb": round(memory.peak_mb, 1),
            "memory": memory.method,
            "load": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        }
        _keep(cell, append, run)
    return cell


def _run_group(
    get_segmenter: Callable[[], Segmenter],
    dataset: Dataset,
    group: list[Entry],
    cell: Cell,
    append: Callable[[Record], None] | None,
    threshold: float,
    on_result: OnResult | None,
    bar: tqdm,
) -> None:
    """Segment and score one group of entries (a whole sequence for video, with its dtSSD)."""
    meter = TemporalMeter(threshold) if dataset.is_video else None
    for sample, rgb, seg, ms in _segment_each(get_segmenter, dataset, group, cell):
        record = score_sample(seg, sample, threshold=threshold, ms=ms, instances=dataset.has_instances)
        _keep(cell, append, record)
        if meter is not None:
            meter.update(seg.prob, sample.mask.astype(np.float32))
        if on_result is not None:
            on_result(sample, rgb, seg, record)
        bar.update(1)
    if meter is not None and meter.frame_iou:
        sequence = {
            "type": "sequence",
            "sequence": group[0].sequence,
            **meter.compute(),
            "frame_ids": [e.id for e in group],
        }
        _keep(cell, append, sequence)


def pending_groups(cell: Cell, dataset: Dataset) -> list[list[Entry]]:
    """The entries still to do: one group per unfinished video sequence, else one group of images."""
    if not dataset.is_video:
        todo = [entry for entry in dataset.entries if entry.id not in cell.images]
        return [todo] if todo else []
    groups = [list(frames) for _, frames in groupby(dataset.entries, key=lambda e: e.sequence)]
    return [frames for frames in groups if not cell.sequence_done(frames[0].sequence or "", [e.id for e in frames])]


def _segment_each(
    get_segmenter: Callable[[], Segmenter],
    dataset: Dataset,
    entries: list[Entry],
    cell: Cell,
) -> Iterator[tuple[Sample, np.ndarray, Segmentation, float]]:
    """Load and segment each entry; failures are logged and recorded on the cell, not raised."""
    for entry in entries:
        try:
            sample = dataset.load(entry)
            rgb = sample.load_image()
            segmenter = get_segmenter()
            start = time.perf_counter()
            seg = segmenter.segment(rgb)
            ms = (time.perf_counter() - start) * 1000.0
        except BodysegError as exc:
            log.warning("%s: %s: %s", cell.name, entry.id, exc)
            cell.add({"type": "failure", "id": entry.id, "error": str(exc)})
            continue
        yield sample, rgb, seg, ms


def _keep(cell: Cell, append: Callable[[Record], None] | None, record: Record) -> None:
    cell.add(record)
    if append is not None:
        append(record)


@contextmanager
def _appending(cache: CellCache | None) -> Iterator[Callable[[Record], None] | None]:
    """``cache.appending()``, or None without a cache."""
    if cache is None:
        yield None
        return
    with cache.appending() as append:
        yield append


def run_grid(
    methods: list[str],
    datasets: list[Dataset],
    out: Path,
    *,
    threshold: float = 0.5,
    force: bool = False,
    progress: bool = True,
) -> list[Cell]:
    """Every method on every data set, cached in ``out/cells/<method>/<dataset>.jsonl``.

    A method may carry options: ``"bodyseg:tiles=false"`` (see
    :func:`~bodyseg.segmenters.registry.parse_method_spec`); the whole string names its row.
    One segmenter is created per method (only if one of its cells has work) and reused across
    the data sets. A rerun skips every finished image; ``force`` recomputes everything.

    Example:
        >>> cells = run_grid(["mediapipe-selfie"], [open_dataset("ccp-val")], Path("bench-out"))  # doctest: +SKIP
    """
    caches = {
        (m, d.name): CellCache(cell_path(out, m, d.name), cell_config(m, d, threshold))
        for m in methods
        for d in datasets
    }
    if force:  # all at once, so an interrupted --force run leaves no stale cell behind
        for cache in caches.values():
            cache.clear()
    cells = []
    for method in methods:
        with LazySegmenter(*parse_method_spec(method)) as get_segmenter:
            for dataset in datasets:
                cache = caches[method, dataset.name]
                cells.append(
                    run_cell(get_segmenter, dataset, threshold=threshold, cache=cache, progress=progress, method=method)
                )
    return cells


class LazySegmenter:
    """Creates the named segmenter at the first call and returns that one ever after.

    So a method's model is loaded only if some data set needs it, and once for all of them.

    Example:
        >>> with LazySegmenter("mediapipe-selfie") as get:  # doctest: +SKIP
        ...     get().segment(rgb)
    """

    def __init__(self, method: str, options: dict[str, Any] | None = None) -> None:
        self.method = method
        self.options = dict(options or {})
        self._segmenter: Segmenter | None = None

    def __call__(self) -> Segmenter:
        if self._segmenter is None:
            self._segmenter = create(self.method, **self.options)
        return self._segmenter

    def close(self) -> None:
        """Release the segmenter, if it was created."""
        if self._segmenter is not None:
            self._segmenter.close()
            self._segmenter = None

    def __enter__(self) -> LazySegmenter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def cell_config(method: str, dataset: Dataset, threshold: float) -> Record:
    """What a cached cell must match to be reused: the method and its options, threshold and data."""
    name, options = parse_method_spec(method)
    return {
        "method": name,
        "options": options,
        "threshold": threshold,
        "dataset": dataset.name,
        "source": str(dataset.root),
    }


def cell_path(out: Path, method: str, dataset: str) -> Path:
    """``out/cells/<method>/<dataset>.jsonl`` with both names made safe as file names.

    Example:
        >>> cell_path(Path("out"), "grabcut", "davis_person/lucia").as_posix()
        'out/cells/grabcut/davis_person_lucia.jsonl'
    """
    return out / "cells" / safe_name(method) / f"{safe_name(dataset)}.jsonl"


def safe_name(text: str) -> str:
    """``text`` with every character but letters, digits, ``.``, ``_`` and ``-`` turned into ``_``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "_"
