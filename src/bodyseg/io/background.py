"""Overlap reading, computing and writing: a producer and a consumer on background threads.

Decoding and encoding video (PyAV), OpenCV and the model runtimes release the GIL, so on a
machine with two or more cores a frame can be decoded and the previous one rendered and encoded
while the current one is segmented. Errors raised on a background thread are raised again on the
caller's thread, unchanged, at the next call; work is never silently dropped.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

_DONE = object()
#: Seconds between checks of a stop request while a queue is full or empty.
_POLL = 0.1


def prefetched(items: Iterable[T], depth: int = 4) -> Iterator[T]:
    """``items`` produced on a background thread, at most ``depth`` ahead of the consumer.

    An exception raised while producing is raised here, after the items produced before it. When
    the consumer stops early and closes this generator (``with contextlib.closing(...)``, or when
    it is collected) the thread stops too, and ``items`` is closed on it; close it before
    releasing what ``items`` reads from (a file, a decoder).

    Example:
        >>> list(prefetched(range(5), depth=2))
        [0, 1, 2, 3, 4]
    """
    buffer: queue.Queue = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                buffer.put(item, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        source = iter(items)
        try:
            for item in source:
                if not put(item):
                    return
        except BaseException as error:  # handed to the consumer, raised there
            put(_Failure(error))
            return
        finally:
            close = getattr(source, "close", None)
            if close is not None:  # a generator stopped early is finalised here, on its own thread
                close()
        put(_DONE)

    thread = threading.Thread(target=produce, name="bodyseg-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = buffer.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
        thread.join()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class BackgroundWorker(Generic[T]):
    """Calls ``work(item)`` on one background thread for each item submitted, in order.

    :meth:`submit` blocks while ``depth`` items wait (memory stays flat). The first error raised by
    ``work`` is raised again by the next :meth:`submit` or by :meth:`finish`; after it, nothing
    more is done. Leaving the ``with`` block waits for the work submitted (and raises its error);
    leaving it on an exception drops the waiting items instead.

    Example:
        >>> done = []
        >>> with BackgroundWorker(done.append) as worker:
        ...     for i in range(3):
        ...         worker.submit(i)
        >>> done
        [0, 1, 2]
    """

    def __init__(self, work: Callable[[T], object], depth: int = 4) -> None:
        self._work = work
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, depth))
        self._error: BaseException | None = None
        self._abandon = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bodyseg-worker", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _DONE:
                return
            if self._error is not None or self._abandon.is_set():
                continue  # drain without working: the caller is told of the error, or gave up
            try:
                self._work(item)
            except BaseException as error:
                self._error = error

    def submit(self, item: T) -> None:
        """Queue ``item`` (waits while the queue is full); raises the worker's error, if any."""
        self._raise_error()
        while True:
            try:
                self._queue.put(item, timeout=_POLL)
                return
            except queue.Full:
                self._raise_error()
                if not self._thread.is_alive():
                    raise RuntimeError("the background worker stopped") from None

    def finish(self) -> None:
        """Wait until every item submitted is done; raises the worker's error, if any."""
        self._stop()
        self._raise_error()

    def _stop(self) -> None:
        if self._thread.is_alive():
            self._queue.put(_DONE)
            self._thread.join()

    def _raise_error(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            self._abandon.set()
            raise error

    def __enter__(self) -> BackgroundWorker[T]:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if exc_type is None:
            self.finish()
        else:
            self._abandon.set()
            self._stop()
