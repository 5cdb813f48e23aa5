"""The model workers: a fixed set of threads, each with its own segmenters, behind an admission gate.

Why threads and not processes: the models run in ONNX Runtime and LiteRT, which release the GIL,
so two threads segment about as fast as two processes (measured, docs/serve.md), without a second
copy of every import and model per process, without pickling images across, and without forking
after MediaPipe has started its threads (a forked worker hung in that test). The price: a request
that times out cannot be killed; its worker finishes it and the admission slot it holds is freed
only then, so the bound on work in flight stays true.

The bound: at most ``admitted`` requests are inside at once (uploading, queued or running); one
more is answered 503 at once. Queued jobs hold only their upload bytes; decoding happens on the
worker, so decoded images exist for at most ``workers`` requests at a time.

Example:
    >>> pool = WorkerPool(workers=1, admitted=2)  # doctest: +SKIP
    >>> pool.start()  # doctest: +SKIP
    >>> ticket = pool.admit()  # doctest: +SKIP
    >>> await pool.run(ticket, job, timeout=10)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import math
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from bodyseg.segmenters import Segmenter, create

log = logging.getLogger(__name__)

#: What a worker runs: a function of the worker's segmenters, returning the answer.
Job = Callable[["Segmenters"], Any]


class Busy(Exception):
    """Every admission slot is taken; answer 503 and ask the client to retry."""


class JobTimeout(Exception):
    """The job did not finish within the request's time; ``started`` says if a worker had begun it."""

    def __init__(self, started: bool) -> None:
        super().__init__("started" if started else "queued")
        self.started = started


class Segmenters:
    """One worker's segmenters, created on first use and kept, at most ``size`` of them (the least
    recently used is closed to make room). Used by one thread only.

    Example:
        >>> cache = Segmenters(size=2)
        >>> cache.get("mediapipe-selfie", {}) is cache.get("mediapipe-selfie", {})  # doctest: +SKIP
        True
    """

    def __init__(self, size: int = 3) -> None:
        self.size = size
        self._loaded: OrderedDict[tuple[str, tuple[tuple[str, Any], ...]], Segmenter] = OrderedDict()

    def get(self, method: str, options: dict[str, Any]) -> Segmenter:
        key = (method, tuple(sorted(options.items())))
        if key in self._loaded:
            self._loaded.move_to_end(key)
            return self._loaded[key]
        while len(self._loaded) >= self.size:
            _, old = self._loaded.popitem(last=False)
            log.info("closing %s to make room for %s", old, method)
            old.close()
        segmenter = create(method, **options)
        self._loaded[key] = segmenter
        return segmenter

    def close(self) -> None:
        while self._loaded:
            self._loaded.popitem()[1].close()


class Ticket:
    """One admitted request's slot. It is freed when the last holder lets go: the request handler
    and, when it submitted one, its job (which may outlive the handler after a timeout)."""

    def __init__(self, pool: WorkerPool) -> None:
        self._pool = pool
        self._holders = 1

    def hold(self) -> None:
        with self._pool._lock:
            self._holders += 1

    def release(self) -> None:
        with self._pool._lock:
            self._holders -= 1
            if self._holders == 0:
                self._pool._inside -= 1


class WorkerPool:
    """``workers`` threads that run jobs from one queue, behind a gate of ``admitted`` slots.

    Args:
        workers: threads, each with its own :class:`Segmenters`.
        admitted: requests inside at once (see :meth:`admit`); at least ``workers``.
        segmenters_per_worker: see :class:`Segmenters`.
        preload: methods each worker creates (default options) when it starts.
    """

    def __init__(
        self, workers: int, admitted: int, segmenters_per_worker: int = 3, preload: Iterable[str] = ()
    ) -> None:
        self.workers = workers
        self.admitted = admitted
        self.segmenters_per_worker = segmenters_per_worker
        self.preload = tuple(preload)
        self._lock = threading.Lock()
        self._inside = 0
        self._running = 0
        self._jobs: queue.SimpleQueue[tuple[Job, concurrent.futures.Future] | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._ready = threading.Semaphore(0)
        self._mean_seconds = 1.0  # running mean of a job's time, for Retry-After

    def start(self, wait: bool = True) -> None:
        """Start the worker threads; with ``wait``, return once each has loaded ``preload``."""
        for i in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"bodyseg-worker-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)
        if wait:
            for _ in range(self.workers):
                self._ready.acquire()

    def close(self) -> None:
        """Let the workers finish what they hold, then stop them and close their segmenters."""
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join()
        self._threads.clear()

    def admit(self) -> Ticket:
        """A slot for one request, or :class:`Busy` when all ``admitted`` are taken."""
        with self._lock:
            if self._inside >= self.admitted:
                raise Busy()
            self._inside += 1
        return Ticket(self)

    async def run(self, ticket: Ticket, job: Job, timeout: float) -> Any:
        """Run ``job`` on a worker and return its result (or raise its exception).

        Raises:
            JobTimeout: not done within ``timeout`` seconds. A job still queued is dropped; one
                already running finishes on its worker, holding ``ticket`` until then.
        """
        future: concurrent.futures.Future = concurrent.futures.Future()
        ticket.hold()
        future.add_done_callback(lambda _: ticket.release())
        self._jobs.put((job, future))
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout)
        except asyncio.TimeoutError:
            started = not future.cancel()
            raise JobTimeout(started) from None

    def retry_after(self) -> int:
        """Seconds after which a refused client may find room: the work ahead of it, spread over the workers."""
        with self._lock:
            return max(1, math.ceil(self._mean_seconds * self._inside / self.workers))

    def alive(self) -> bool:
        """True while every worker thread runs."""
        return len(self._threads) == self.workers and all(thread.is_alive() for thread in self._threads)

    def stats(self) -> dict[str, int]:
        """Workers, jobs running, and requests inside (admitted and not yet answered)."""
        with self._lock:
            return {
                "workers": self.workers,
                "running": self._running,
                "inside": self._inside,
                "admitted": self.admitted,
            }

    def _work(self) -> None:
        segmenters = Segmenters(self.segmenters_per_worker)
        try:
            for method in self.preload:
                try:
                    segmenters.get(method, {})
                except Exception:
                    log.exception("could not preload method %s; it will be created on first use", method)
        finally:
            self._ready.release()
        try:
            while (item := self._jobs.get()) is not None:
                job, future = item
                if not future.set_running_or_notify_cancel():
                    continue  # timed out while queued
                with self._lock:
                    self._running += 1
                began = time.perf_counter()
                try:
                    future.set_result(job(segmenters))
                except BaseException as exc:  # handed to the request, which answers it
                    future.set_exception(exc)
                finally:
                    with self._lock:
                        self._running -= 1
                        self._mean_seconds = 0.9 * self._mean_seconds + 0.1 * (time.perf_counter() - began)
        finally:
            segmenters.close()
