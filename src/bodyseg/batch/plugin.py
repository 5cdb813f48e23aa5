"""The Dask side of a worker: a plugin that loads the model once per worker, and the chunk task.

The client registers one :class:`SegmenterPlugin` for its run; Dask installs it on every worker,
on the ones that join or restart later too. Its ``setup`` makes the worker's first segmenter (a
method that cannot be created fails the registration, so the run stops before any task with the
method's own message) and reads a replacement background once. :func:`run_chunk` is the task:
it borrows a segmenter from the worker's pool and processes a chunk of items.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from distributed import WorkerPlugin, get_worker

from bodyseg.batch.outputs import BatchItem
from bodyseg.batch.report import ItemResult
from bodyseg.batch.tasks import BatchSpec, SegmenterPool, effect_options, make_segmenter, process_items

log = logging.getLogger("bodyseg")


def plugin_name(spec: BatchSpec) -> str:
    """A name per method, options and effect, so runs of different settings can share a cluster.

    Example:
        >>> plugin_name(BatchSpec("mask", "mediapipe-selfie")).startswith("bodyseg-mediapipe-selfie-")
        True
    """
    digest = hashlib.sha1(
        repr(
            (spec.method, sorted(spec.method_options.items()), spec.effect, sorted(spec.effect_options.items()))
        ).encode()
    ).hexdigest()[:10]
    return f"bodyseg-{spec.method}-{digest}"


class SegmenterPlugin(WorkerPlugin):
    """Keeps a pool of segmenters (one per busy thread, made once) and the effect's options on a worker.

    Example:
        >>> client.register_plugin(SegmenterPlugin(spec))  # doctest: +SKIP
    """

    idempotent = False

    def __init__(self, spec: BatchSpec) -> None:
        self.spec = spec
        self.name = plugin_name(spec)
        self.pool: SegmenterPool | None = None
        self.options: dict[str, Any] = {}

    def setup(self, worker: Any) -> None:
        """Load the model and the effect's background on ``worker``."""
        self.options = effect_options(self.spec)
        self.pool = SegmenterPool(lambda: make_segmenter(self.spec))
        self.pool.preload()
        log.info("%s: %s loaded", worker.address, self.spec.method)

    def teardown(self, worker: Any) -> None:
        """Close the segmenters."""
        if self.pool is not None:
            self.pool.close()

    def process(self, items: list[BatchItem], worker: str) -> list[ItemResult]:
        """Process ``items`` with a segmenter of this worker's pool."""
        assert self.pool is not None, "the plugin was not set up on this worker"
        with self.pool.lend() as segmenter:
            return process_items(items, self.spec, segmenter, self.options, worker)


def run_chunk(items: list[BatchItem], name: str) -> list[ItemResult]:
    """The task: process a chunk of items on this worker with the plugin registered as ``name``."""
    worker = get_worker()
    plugin = worker.plugins[name]
    return plugin.process(items, worker.address)
