"""The worker pool alone: admission, per-worker segmenters, timeouts that keep the bound."""

from __future__ import annotations

import asyncio
import threading

import pytest

from bodyseg.serve.workers import Busy, JobTimeout, Segmenters, WorkerPool
from tests.serve.fakes import register_fakes


def test_segmenters_are_made_once_and_the_least_recent_is_closed():
    register_fakes()
    cache = Segmenters(size=2)
    first = cache.get("test-serve-slow", {"seconds": 0.0})
    assert cache.get("test-serve-slow", {"seconds": 0.0}) is first
    closed: list[object] = []
    first.close = lambda: closed.append(first)  # type: ignore[method-assign]
    cache.get("test-serve-slow", {"seconds": 0.1})
    cache.get("test-serve-parts", {})
    assert closed == [first]


def test_admission_is_bounded_and_slots_come_back():
    pool = WorkerPool(workers=1, admitted=2)
    tickets = [pool.admit(), pool.admit()]
    with pytest.raises(Busy):
        pool.admit()
    tickets[0].release()
    pool.admit()


def test_a_timed_out_job_holds_its_slot_until_it_ends_and_a_queued_one_never_runs():
    pool = WorkerPool(workers=1, admitted=3)
    pool.start()
    release = threading.Event()
    ran: list[str] = []

    def blocking(_):
        release.wait(5)
        ran.append("blocking")

    async def scenario() -> None:
        first, second = pool.admit(), pool.admit()
        with pytest.raises(JobTimeout) as running:
            await pool.run(first, blocking, timeout=0.1)
        assert running.value.started
        with pytest.raises(JobTimeout) as queued:
            await pool.run(second, lambda _: ran.append("queued"), timeout=0.1)
        assert not queued.value.started
        first.release()
        second.release()
        assert pool.stats()["inside"] == 1  # the running job still holds its slot

    try:
        asyncio.run(scenario())
        release.set()
        pool.close()
    finally:
        release.set()
    assert ran == ["blocking"] and pool.stats()["inside"] == 0
