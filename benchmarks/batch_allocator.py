"""CPU seconds a Dask worker spends on the same photos with and without Dask's MALLOC_TRIM_THRESHOLD_.

Dask's nanny starts worker processes with ``MALLOC_TRIM_THRESHOLD_=65536``; setting it also fixes
glibc's mmap threshold, so large temporary arrays are mapped and faulted in afresh for every image.
This measures the CPU time (user + system, of the worker process) that the batch's chunk function
takes on ``--count`` photos on one worker, in three set-ups, each in a fresh process (Dask leaks the
variable into the process that starts the workers): Dask's default, the variable unset (what
``bodyseg batch`` does on its local cluster), and a plain process without Dask. CPU time, unlike
wall time, barely depends on what else runs on the machine.

    python benchmarks/batch_allocator.py --count 30 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from batch_scale import photos  # noqa: E402 - the same photos as the throughput benchmark

SETUPS = ("dask-default", "unset", "plain")


def chunk_cpu_seconds(paths: list[str], method: str) -> float:
    """CPU seconds of this process for the batch's chunk function on ``paths`` (after a warm-up)."""
    from bodyseg.batch.outputs import BatchItem
    from bodyseg.batch.tasks import BatchSpec, make_segmenter, process_items

    spec = BatchSpec.for_method("mask", method, overwrite=True)
    segmenter = make_segmenter(spec)
    with tempfile.TemporaryDirectory() as out:
        items = [BatchItem(Path(p), Path(out) / f"{i}.mask.png") for i, p in enumerate(paths)]
        process_items(items[:2], spec, segmenter, {})
        start = time.process_time()
        results = process_items(items, spec, segmenter, {})
        seconds = time.process_time() - start
    assert all(r.status == "done" for r in results), [r.error for r in results if r.error]
    return seconds


def probe(setup: str, paths: list[str], method: str) -> float:
    """The CPU seconds in one set-up (run in a fresh process)."""
    if setup == "plain":
        return chunk_cpu_seconds(paths, method)
    import logging

    import dask
    from distributed import Client, LocalCluster

    config = {} if setup == "dask-default" else {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
    with dask.config.set(config):
        cluster = LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None, silence_logs=logging.ERROR)
    with cluster, Client(cluster) as client:
        return client.submit(chunk_cpu_seconds, paths, method, pure=False).result()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=30, help="photos (default %(default)s)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--method", default="bodyseg")
    parser.add_argument("--probe", choices=SETUPS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    paths = [str(p) for p in photos(args.count)]
    if args.probe:
        print(json.dumps(probe(args.probe, paths, args.method)))
        return
    seconds: dict[str, list[float]] = {setup: [] for setup in SETUPS}
    for _ in range(args.rounds):
        for setup in SETUPS:
            command = [sys.executable, __file__, "--probe", setup, "--count", str(args.count), "--method", args.method]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            seconds[setup].append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"CPU seconds for {args.count} photos, method {args.method}, {args.rounds} rounds (each value one round)")
    for setup in SETUPS:
        values = ", ".join(f"{v:.2f}" for v in seconds[setup])
        print(f"| {setup} | {values} | median {statistics.median(seconds[setup]):.2f} |")


if __name__ == "__main__":
    main()
