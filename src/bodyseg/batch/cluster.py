"""The Dask side of a batch run: a local cluster (or a running scheduler) to work on, and what to
tell the user about it."""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
from collections.abc import Iterator
from typing import Any

from bodyseg.errors import BodysegError, InputError

#: Dask configuration of the local cluster's workers. Dask sets MALLOC_TRIM_THRESHOLD_=65536 in its
#: worker processes (against heap fragmentation in long-lived data work); it also fixes glibc's mmap
#: threshold, so every large temporary array of an image is mapped and faulted in afresh: measured,
#: 25% more CPU per image with the default method (docs/batch.md). Our workers keep no heap data
#: between images, so they run with glibc's own adaptive thresholds.
LOCAL_WORKER_CONFIG = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}

log = logging.getLogger("bodyseg")


#: How long to try to reach a scheduler given with ``--scheduler``.
CONNECT_TIMEOUT = "20s"


#: The port the local cluster's dashboard asks for (another free port is taken when it is busy).
DASHBOARD_ADDRESS = ":8787"


def dashboard_available() -> bool:
    """True when bokeh (which Dask's dashboard needs) is installed here."""
    return importlib.util.find_spec("bokeh") is not None


@contextlib.contextmanager
def connect(
    scheduler: str | None = None, workers: int | None = None, threads_per_worker: int | None = None
) -> Iterator[Any]:
    """A Dask client: of the scheduler at ``scheduler`` (``tcp://HOST:8786``), or of a local
    cluster of ``workers`` processes (default: one per core) with ``threads_per_worker`` threads
    (default 1), closed on exit.

    Example:
        >>> with connect(workers=2) as client:  # doctest: +SKIP
        ...     print(client.dashboard_link)
    """
    if scheduler and (workers or threads_per_worker):
        raise InputError(
            "--workers and --threads-per-worker start a local cluster; "
            "with --scheduler the cluster's own workers are used"
        )
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:
        raise BodysegError(
            "bodyseg batch runs on Dask: install it with pip install 'bodyseg[distributed]' (dask[distributed])"
        ) from None
    quiet_dask_logs()
    if scheduler:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as exc:
            raise BodysegError(
                f"cannot reach the Dask scheduler at {scheduler} ({exc}); "
                "check the address and that `dask scheduler` runs there, "
                "or drop --scheduler to start a local cluster"
            ) from None
        with client:
            yield client
        return
    if workers is None:
        workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if workers < 1 or (threads_per_worker is not None and threads_per_worker < 1):
        raise InputError("--workers and --threads-per-worker must be at least 1")
    dashboard = DASHBOARD_ADDRESS if dashboard_available() else None
    with dask.config.set(LOCAL_WORKER_CONFIG):  # read when the nannies are made; kept for restarts
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=threads_per_worker or 1,
            processes=True,
            dashboard_address=dashboard,
            silence_logs=logging.ERROR,
        )
    with cluster, Client(cluster) as client:
        yield client


def quiet_dask_logs() -> None:
    """Dask's own news (workers starting, connections) only with ``-v``; its warnings and errors always."""
    level = logging.INFO if log.getEffectiveLevel() <= logging.INFO else logging.WARNING
    for name in ("distributed", "tornado", "bokeh"):
        logging.getLogger(name).setLevel(level)


def dashboard_note(client: Any) -> str:
    """Where the Dask dashboard is, or how to get one.

    Example:
        >>> dashboard_note(client)  # doctest: +SKIP
        'Dask dashboard: http://127.0.0.1:8787/status'
    """
    try:  # the scheduler serves its HTTP routes without bokeh, but no dashboard
        has_bokeh = client.run_on_scheduler(lambda: __import__("importlib.util").util.find_spec("bokeh") is not None)
    except Exception:  # a scheduler that refuses to run functions: say where it would be
        has_bokeh = True
    if has_bokeh:
        return f"Dask dashboard: {client.dashboard_link}"
    return "no Dask dashboard: it needs bokeh where the scheduler runs (pip install 'bokeh>=3.1')"


def malloc_note(client: Any) -> str | None:
    """A hint when the cluster's workers run with Dask's ``MALLOC_TRIM_THRESHOLD_`` (see
    :data:`LOCAL_WORKER_CONFIG`), else None."""
    try:
        values = client.run(lambda: __import__("os").environ.get("MALLOC_TRIM_THRESHOLD_"))
    except Exception:  # workers that refuse to run functions: nothing to say
        return None
    slow = sorted(worker for worker, value in values.items() if value)
    if not slow:
        return None
    return (
        f"{len(slow)} of {len(values)} workers run with MALLOC_TRIM_THRESHOLD_ set (Dask's default): bodyseg "
        "then takes about a quarter more CPU per image; start them with the Dask setting "
        "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_: null (see docs/batch.md)"
    )


def total_threads(client: Any) -> int:
    """Worker threads of the cluster now (at least 1)."""
    return max(1, sum(client.nthreads().values()))
