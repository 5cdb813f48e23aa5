"""The client side of a batch: find the inputs, start or join a Dask cluster, hand out chunks,
follow them with a progress bar, and write the report.

A run is resumable: outputs already finished are skipped (checked here and again on the worker),
temporary files a killed run left are removed, and chunks are submitted a window at a time, so a
million inputs never make a million futures at once. A chunk whose worker dies (a crash, the
kernel's out-of-memory killer) is retried by Dask on another worker; if it kills workers again it
is split into single inputs, so the one input that crashes the worker fails alone, in the report.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tqdm import tqdm

from bodyseg.batch.cluster import connect, dashboard_note, malloc_note, total_threads
from bodyseg.batch.inputs import expand_batch_inputs
from bodyseg.batch.outputs import BatchItem, is_finished, plan_items, remove_stale_temporaries
from bodyseg.batch.report import ItemResult, counts, exit_code, report_paths, write_report
from bodyseg.batch.tasks import BatchSpec
from bodyseg.errors import BodysegError, InputError, MethodError

log = logging.getLogger("bodyseg")


#: Most images in one task: enough to make Dask's per-task cost small, few enough to balance workers.
MAX_CHUNK = 16


#: Chunks in flight per worker thread (running, queued on the worker, or waiting at the scheduler).
CHUNKS_PER_THREAD = 4


#: Seconds between two looks at the cluster's size (it may grow or shrink during a run).
WINDOW_REFRESH = 5.0


@dataclass
class BatchOutcome:
    """What a run did: one result per input, in input order, and where the report went."""

    results: list[ItemResult]
    report_csv: Path
    report_json: Path
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0 when all inputs are done or were finished before, 2 when some failed."""
        return exit_code(self.results)


def plan(inputs: Sequence[str], output: Path, effect: str) -> tuple[list[BatchItem], list[ItemResult]]:
    """The items to run and the inputs that failed already (matched nothing, clashing outputs).

    Example:
        >>> items, failed = plan(["shots/"], Path("out"), "mask")  # doctest: +SKIP
    """
    found, missing = expand_batch_inputs(inputs, output)
    items, clashes = plan_items(found, output, effect)
    failed = [ItemResult(str(path), "", "failed", message) for path, message in [*missing, *clashes]]
    return items, failed


def default_chunk_size(images: int, threads: int) -> int:
    """Images per task: about :data:`CHUNKS_PER_THREAD` tasks per thread, at most :data:`MAX_CHUNK`.

    Example:
        >>> default_chunk_size(300, 2), default_chunk_size(20, 2), default_chunk_size(1, 8)
        (16, 3, 1)
    """
    return max(1, min(MAX_CHUNK, math.ceil(images / max(1, CHUNKS_PER_THREAD * threads))))


def make_chunks(items: Sequence[BatchItem], size: int) -> list[list[BatchItem]]:
    """Images in chunks of ``size`` (in order), each video a chunk of its own.

    Example:
        >>> items = [BatchItem(Path(f"{i}.jpg"), Path(f"{i}.mask.png")) for i in range(5)]
        >>> [len(c) for c in make_chunks([*items, BatchItem(Path("v.mp4"), Path("v.mask.mp4"), "video")], 2)]
        [2, 2, 1, 1]
    """
    images = [item for item in items if item.kind != "video"]
    chunks = [images[i : i + size] for i in range(0, len(images), size)]
    return chunks + [[item] for item in items if item.kind == "video"]


def run_batch(
    inputs: Sequence[str],
    output: Path,
    spec: BatchSpec,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    threads_per_worker: int | None = None,
    chunk_size: int | None = None,
    report: Path | None = None,
    progress: bool | None = None,
    client: Any = None,
) -> BatchOutcome:
    """Run ``spec`` on every input into ``output`` and write the report; returns what happened.

    ``client``: an existing Dask client to use (then ``scheduler``, ``workers`` and
    ``threads_per_worker`` are ignored). ``progress``: a bar on stderr (None: on a terminal).
    A local cluster's workers are new Python processes that import the caller's main module: call
    this under ``if __name__ == "__main__":`` in a script.

    Raises :class:`~bodyseg.errors.BodysegError` for what stops the whole run (bad options, no
    cluster, a method the workers cannot create); a bad input never raises, it fails in the report.

    Example:
        >>> spec = BatchSpec.for_method("mask", "mediapipe-selfie")
        >>> run_batch(["shots/"], Path("out"), spec, workers=2).exit_code  # doctest: +SKIP
        0
    """
    started = time.time()
    if chunk_size is not None and chunk_size < 1:
        raise InputError(f"--chunk-size must be at least 1, got {chunk_size}")
    items, failed = plan(inputs, output, spec.effect)
    remove_stale_temporaries(output)
    todo, finished_before = [], []
    for item in items:
        if spec.overwrite or not is_finished(item.target):
            todo.append(item)
        else:
            finished_before.append(ItemResult(str(item.source), str(item.target), "skipped"))
    if finished_before:
        log.warning(
            "%d of %d outputs are finished already: skipped (--overwrite redoes them)", len(finished_before), len(items)
        )
    summary: dict[str, Any] = {
        "effect": spec.effect,
        "method": spec.method,
        "method_options": spec.method_options,
        "started": datetime.fromtimestamp(started, timezone.utc).isoformat(timespec="seconds"),
    }
    results: list[ItemResult] = []  # filled as chunks come back: kept when the run is interrupted
    cluster = contextlib.nullcontext(client) if client is not None else connect(scheduler, workers, threads_per_worker)
    try:
        if todo:
            with cluster as active:
                summary.update(
                    scheduler=active.scheduler.address, workers=len(active.nthreads()), threads=total_threads(active)
                )
                log.warning("%s", dashboard_note(active))
                if not active.nthreads():
                    log.warning("the scheduler has no worker yet: the work starts when workers join")
                note = malloc_note(active)
                if note:
                    log.warning("%s", note)
                size = chunk_size or default_chunk_size(len(todo), total_threads(active))
                summary["chunk_size"] = size
                begin = time.perf_counter()
                run_on_cluster(active, make_chunks(todo, size), spec, results, progress=progress)
                summary["processing_seconds"] = round(time.perf_counter() - begin, 3)
            remove_stale_temporaries(output)  # a worker killed mid-write leaves its temporary file
    except BaseException:
        if client is None and scheduler is None:  # our local workers are gone: nothing writes any more
            remove_stale_temporaries(output)
        raise
    finally:
        results = in_input_order(items, failed + finished_before + results)
        summary["seconds"] = round(time.time() - started, 3)
        done = counts(results)["done"]
        summary["images_per_second"] = (
            round(done / summary["processing_seconds"], 3) if summary.get("processing_seconds") else None
        )
        csv_path, json_path = report_paths(report, output)
        write_report(results, csv_path, json_path, summary)
    log_summary(results, summary, csv_path)
    return BatchOutcome(results, csv_path, json_path, summary)


def in_input_order(items: list[BatchItem], results: list[ItemResult]) -> list[ItemResult]:
    """``results`` ordered as the items were planned (inputs that matched nothing first); an item
    without a result (the run was interrupted) is ``done`` if its output was finished meanwhile,
    else ``cancelled``."""
    by_input = {result.input: result for result in results}
    ordered = [result for result in results if result.output == ""]
    for item in items:
        result = by_input.get(str(item.source))
        if result is None and is_finished(item.target):
            result = ItemResult(str(item.source), str(item.target), "done")
        elif result is None:
            result = ItemResult(str(item.source), str(item.target), "cancelled", "the run was interrupted first")
        ordered.append(result)
    return ordered


def run_on_cluster(
    client: Any,
    chunks: list[list[BatchItem]],
    spec: BatchSpec,
    results: list[ItemResult],
    *,
    progress: bool | None = None,
) -> None:
    """Register the worker plugin (the model is loaded on every worker), run the chunks and add one
    result per item to ``results`` as they come back; the plugin is removed at the end."""
    from bodyseg.batch.plugin import SegmenterPlugin

    plugin = SegmenterPlugin(spec)
    try:
        try:
            client.register_plugin(plugin)  # every worker loads the model now
        except BodysegError:
            raise
        except Exception as exc:
            raise MethodError(
                f"the workers could not create method {spec.method} ({type(exc).__name__}: {exc}); check its "
                "options, and that bodyseg (and the module of a method of your own) is installed on every worker"
            ) from None
        collect(client, chunks, plugin.name, results, progress=progress)
    finally:  # registered even when its set-up failed: removed in any case
        with contextlib.suppress(Exception):
            client.unregister_worker_plugin(plugin.name)


class Progress:
    """A progress bar on stderr: inputs finished of all, how many failed, rate and time left.

    Example:
        >>> bar = Progress(10, enabled=False)
        >>> bar.add([ItemResult("a", "b", "failed", "bad")]); bar.failed
        1
    """

    def __init__(self, total: int, enabled: bool | None = None) -> None:
        disable = None if enabled is None else not enabled  # None: shown on a terminal only
        self.bar = tqdm(total=total, unit="img", desc="batch", disable=disable, dynamic_ncols=True, smoothing=0.1)
        self.failed = 0

    def add(self, results: list[ItemResult]) -> None:
        """Count finished inputs."""
        self.failed += sum(result.status == "failed" for result in results)
        self.bar.update(len(results))
        self.bar.set_postfix(failed=self.failed, refresh=False)

    def close(self) -> None:
        self.bar.close()


def collect(
    client: Any,
    chunks: list[list[BatchItem]],
    plugin: str,
    results: list[ItemResult],
    *,
    progress: bool | None = None,
) -> None:
    """Run the chunks and gather their results, with a progress bar (done, failed, rate, time left).

    A chunk during which workers died is split into single inputs; a single input whose worker
    died (it may have died of another task it ran beside) is tried again at the end, alone on the
    cluster, and fails only if it kills its worker then too.
    """
    bar = Progress(sum(len(c) for c in chunks), progress)
    try:
        suspects = run_chunks(
            client, chunks, plugin, bar, results, window=lambda: CHUNKS_PER_THREAD * total_threads(client)
        )
        if suspects:
            log.warning("%d input(s) were on workers that died; trying each alone", len(suspects))
        for item in suspects:
            run_chunks(client, [[item]], plugin, bar, results, window=lambda: 1, alone=True)
    finally:
        bar.close()


def run_chunks(
    client: Any,
    chunks: list[list[BatchItem]],
    plugin: str,
    bar: Progress,
    results: list[ItemResult],
    *,
    window: Callable[[], int],
    alone: bool = False,
) -> list[BatchItem]:
    """Submit ``chunks`` at most ``window()`` at a time and add their results to ``results``; returns
    the inputs whose single-input task lost its worker (none when ``alone``: those fail).

    ``window()`` is asked again every few seconds: a cluster that grows gets more work in flight.

    Workers get absolute paths (their working folder is not the client's); the results name the
    inputs as the client was given them.
    """
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    from bodyseg.batch.plugin import run_chunk

    pending = deque(chunks)
    owners: dict[str, list[BatchItem]] = {}
    suspects: list[BatchItem] = []
    queue = as_completed()

    limit = window()
    asked = time.monotonic()

    def submit_more() -> None:
        nonlocal limit, asked
        if time.monotonic() - asked > WINDOW_REFRESH:
            limit, asked = window(), time.monotonic()
        while pending and queue.count() < limit:
            chunk = pending.popleft()
            sent = [BatchItem(item.source.absolute(), item.target.absolute(), item.kind) for item in chunk]
            future = client.submit(run_chunk, sent, plugin, key=f"bodyseg-chunk-{uuid.uuid4().hex}", pure=False)
            owners[future.key] = chunk
            queue.add(future)

    try:
        submit_more()
        for future in queue:
            chunk = owners.pop(future.key)
            chunk_results: list[ItemResult] = []
            try:
                chunk_results = [
                    replace(result, input=str(item.source), output=str(item.target))
                    for item, result in zip(chunk, future.result(), strict=True)
                ]
            except KilledWorker as exc:
                if len(chunk) > 1:  # one of them may kill workers: try each alone, so only that one fails
                    log.warning("workers died running a chunk of %d inputs; trying each on its own", len(chunk))
                    pending.extendleft([item] for item in reversed(chunk))
                elif not alone:
                    suspects.extend(chunk)
                else:
                    message = (
                        f"the worker died processing it, {tries(exc)} time(s) "
                        "(out of memory, or a crash in a decoder or model); see the workers' logs"
                    )
                    chunk_results = [failed_result(item, f"{item.source}: {message}") for item in chunk]
            except Exception as exc:  # a chunk that could not run at all: its inputs fail, the run goes on
                message = f"the task failed: {type(exc).__name__}: {exc}"
                chunk_results = [failed_result(item, f"{item.source}: {message}") for item in chunk]
            future.release()
            results.extend(chunk_results)
            bar.add(chunk_results)
            submit_more()
    except BaseException:
        client.cancel(list(queue.futures))
        raise
    return suspects


def tries(exc: Exception) -> int | str:
    """How many workers died running a task (Dask's ``KilledWorker`` knows)."""
    allowed = getattr(exc, "allowed_failures", None)
    return allowed + 1 if isinstance(allowed, int) else "several"


def failed_result(item: BatchItem, message: str) -> ItemResult:
    return ItemResult(str(item.source), str(item.target), "failed", message)


def log_summary(results: list[ItemResult], summary: dict[str, Any], report: Path) -> None:
    """One line of counts and speed; the failures one a line."""
    n = counts(results)
    for result in results:
        if result.status == "failed":
            log.error("  %s", result.error)
    speed = f", {summary['images_per_second']:.2f} inputs/s" if summary.get("images_per_second") else ""
    log.warning(
        "%d inputs: %d done, %d skipped (finished before), %d failed%s in %.1f s; report: %s",
        len(results),
        n["done"],
        n["skipped"],
        n["failed"] + n["cancelled"],
        speed,
        summary["seconds"],
        report,
    )
