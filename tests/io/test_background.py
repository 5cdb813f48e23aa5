"""Background threads for video: items keep their order, errors reach the caller, nothing is left running."""

from __future__ import annotations

import threading
import time

import pytest

from bodyseg.io.background import BackgroundWorker, prefetched


def test_prefetched_yields_everything_in_order_and_reads_ahead():
    produced = []

    def items():
        for i in range(6):
            produced.append(i)
            yield i

    stream = prefetched(items(), depth=2)
    assert next(stream) == 0
    time.sleep(0.2)
    assert 2 <= len(produced) <= 4  # read ahead, but no more than the depth (plus one in hand)
    assert list(stream) == [1, 2, 3, 4, 5]


def test_prefetched_raises_the_producers_error_after_the_items_before_it():
    def items():
        yield 1
        yield 2
        raise ValueError("corrupt frame 3")

    got = []
    with pytest.raises(ValueError, match="corrupt frame 3"):
        for item in prefetched(items()):
            got.append(item)
    assert got == [1, 2]


def test_stopping_early_stops_the_producer():
    stream = prefetched(iter(range(10**9)), depth=2)
    assert next(stream) == 0
    stream.close()
    time.sleep(0.3)
    assert not any(t.name == "bodyseg-prefetch" for t in threading.enumerate())


def test_worker_runs_items_in_order_on_another_thread():
    seen = []
    with BackgroundWorker(lambda item: seen.append((item, threading.current_thread().name)), depth=1) as worker:
        for i in range(5):
            worker.submit(i)
    assert [i for i, _ in seen] == list(range(5)) and {name for _, name in seen} == {"bodyseg-worker"}


def test_a_workers_error_is_raised_to_the_caller_and_stops_the_work():
    done = []

    def work(item):
        if item == 2:
            raise OSError("disk full")
        done.append(item)

    with pytest.raises(OSError, match="disk full"):
        with BackgroundWorker(work, depth=1) as worker:
            for i in range(50):
                worker.submit(i)
                time.sleep(0.01)
    assert done == [0, 1]


def test_leaving_on_an_exception_drops_the_waiting_items():
    done = []
    with pytest.raises(KeyboardInterrupt):
        with BackgroundWorker(lambda item: (time.sleep(0.05), done.append(item)), depth=8) as worker:
            for i in range(8):
                worker.submit(i)
            raise KeyboardInterrupt
    assert len(done) < 8
