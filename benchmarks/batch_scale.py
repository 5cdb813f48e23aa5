"""Batch throughput on a local Dask cluster: 1 and 2 workers against plain ``bodyseg segment``.

The same photos (100 each from ccp, pfcn_portrait and picsart_portrait, read where they are) are
segmented, in each repetition, by the plain CLI, by ``bodyseg batch --workers 1`` and by
``--workers 2``, each a fresh process timed from start to exit (Python start, model loads, the
cluster's start and stop included): images/s = photos / wall seconds. The batch report's
``processing_seconds`` (from the first task to the last result, model loads on the workers
included, the cluster's start and stop not) gives the steady figure too. Then the per-task
overhead: the same photos on one worker, once in tasks of 1 photo and once in tasks of 16, with a
fast method; the difference of the two times divided by the difference in task counts.

The machine is shared: the load average (1 min) is recorded before each run, and the figures are
medians of the repetitions, each ratio taken within one repetition. Wall time on a loaded machine
swings by a third between repetitions, so each run's CPU seconds are recorded too (user + system of
the process and of every process it started, the workers included): photos per CPU second says
what each way costs, whatever else the machine is doing.

    python benchmarks/batch_scale.py --out runs/batch_scale --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATASETS = Path(os.environ.get("BODYSEG_DATASETS", REPO.parent / "shared" / "datasets"))
#: The folders the photos come from, an equal share from each.
SOURCES = ("ccp/images", "pfcn_portrait/images", "picsart_portrait/images")
CLI = "import sys; from bodyseg.cli import main; sys.exit(main(sys.argv[1:]))"


def photos(count: int) -> list[Path]:
    """``count`` photos, an equal share of each source folder (the first ones by name)."""
    share = -(-count // len(SOURCES))
    found: list[Path] = []
    for source in SOURCES:
        folder = DATASETS / source
        if not folder.is_dir():
            sys.exit(f"{folder} is missing: set BODYSEG_DATASETS to the shared data sets folder")
        found += sorted(folder.glob("*.jpg"))[:share]
    return found[:count]


def timed(args: list[str]) -> dict[str, float]:
    """Run the CLI with ``args`` in a new process: wall seconds, CPU seconds (user + system of the
    process and every process it started: the workers too), and the load average before."""
    load = os.getloadavg()[0]
    cpu = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CLI, *args], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"bodyseg {' '.join(args[:4])} ... failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return {"seconds": seconds, "cpu_seconds": _children_cpu() - cpu, "load": load}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def repetition(paths: list[Path], manifest: Path, out: Path, method: str) -> dict[str, dict[str, float]]:
    """One run of each contender on the same photos; outputs are removed afterwards."""
    figures: dict[str, dict[str, float]] = {}
    folder = out / "cli"
    figures["cli"] = timed(["-q", "segment", *map(str, paths), "-o", str(folder), "-m", method])
    shutil.rmtree(folder, ignore_errors=True)
    for workers in (1, 2):
        folder = out / f"batch{workers}"
        run = timed(["-q", "batch", str(manifest), "-o", str(folder), "-m", method, "--workers", str(workers)])
        summary = json.loads((folder / "batch-report.json").read_text())["summary"]
        if summary["done"] != len(paths):
            sys.exit(f"batch with {workers} worker(s) did {summary['done']} of {len(paths)} photos; see {folder}")
        run["steady_images_per_second"] = len(paths) / summary["processing_seconds"]
        figures[f"batch{workers}"] = run
        shutil.rmtree(folder, ignore_errors=True)
    for run in figures.values():
        run["images_per_second"] = len(paths) / run["seconds"]
        run["images_per_cpu_second"] = len(paths) / run["cpu_seconds"]
    return figures


def task_overhead(manifest: Path, out: Path, count: int, method: str) -> dict[str, float]:
    """Seconds each extra task costs: tasks of 1 photo against tasks of 16, one worker, one cluster."""
    from bodyseg.batch.run import connect, run_batch
    from bodyseg.batch.tasks import BatchSpec

    spec = BatchSpec.for_method("mask", method, overwrite=True)
    seconds = {}
    with connect(workers=1) as client:
        run_batch([str(manifest)], out / "warm", spec, client=client, chunk_size=16, progress=False)  # loads, caches
        for size in (1, 16, 1, 16):
            outcome = run_batch([str(manifest)], out / "overhead", spec, client=client, chunk_size=size, progress=False)
            seconds.setdefault(size, []).append(outcome.summary["processing_seconds"])
    shutil.rmtree(out / "warm", ignore_errors=True)
    shutil.rmtree(out / "overhead", ignore_errors=True)
    one, sixteen = min(seconds[1]), min(seconds[16])
    tasks_one, tasks_sixteen = count, -(-count // 16)
    return {
        "seconds_tasks_of_1": one,
        "seconds_tasks_of_16": sixteen,
        "per_task_ms": 1000 * (one - sixteen) / (tasks_one - tasks_sixteen),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--out", type=Path, default=Path("runs/batch_scale"), help="scratch outputs and the figures (JSON)"
    )
    parser.add_argument("--count", type=int, default=300, help="photos (default %(default)s)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--method", default="bodyseg", help="the method timed (default %(default)s)")
    parser.add_argument("--overhead-method", default="mediapipe-selfie", help="a fast method for the per-task overhead")
    args = parser.parse_args()

    paths = photos(args.count)
    args.out.mkdir(parents=True, exist_ok=True)
    manifest = args.out / "photos.txt"
    manifest.write_text("".join(f"{p.resolve()}\n" for p in paths))
    runs = [repetition(paths, manifest, args.out, args.method) for _ in range(args.repeats)]
    overhead = task_overhead(manifest, args.out, len(paths), args.overhead_method)

    def median(name: str, key: str) -> float:
        return statistics.median(run[name][key] for run in runs)

    def ratio(name: str, base: str, key: str = "images_per_second") -> float:
        return statistics.median(run[name][key] / run[base][key] for run in runs)

    print(
        f"{len(paths)} photos ({', '.join(SOURCES)}), method {args.method}, {args.repeats} repetitions; "
        f"medians; load average before each run {min(r[k]['load'] for r in runs for k in r):.1f}-"
        f"{max(r[k]['load'] for r in runs for k in r):.1f} on {os.cpu_count()} cores"
    )
    print("| run | wall s | images/s | steady images/s | x CLI | x 1 worker | CPU s | images per CPU s | x CLI |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, label in (("cli", "bodyseg segment"), ("batch1", "batch, 1 worker"), ("batch2", "batch, 2 workers")):
        steady = f"{median(name, 'steady_images_per_second'):.2f}" if name != "cli" else "-"
        versus_one = f"{ratio(name, 'batch1'):.2f}" if name == "batch2" else "-"
        print(
            f"| {label} | {median(name, 'seconds'):.1f} | {median(name, 'images_per_second'):.2f} | {steady} | "
            f"{ratio(name, 'cli'):.2f} | {versus_one} | {median(name, 'cpu_seconds'):.1f} | "
            f"{median(name, 'images_per_cpu_second'):.2f} | {ratio(name, 'cli', 'images_per_cpu_second'):.2f} |"
        )
    print(
        f"per-task overhead ({args.overhead_method}, 1 worker): {overhead['per_task_ms']:.1f} ms "
        f"(tasks of 1: {overhead['seconds_tasks_of_1']:.2f} s, of 16: {overhead['seconds_tasks_of_16']:.2f} s)"
    )
    (args.out / "batch_scale.json").write_text(
        json.dumps({"runs": runs, "overhead": overhead, "method": args.method, "count": len(paths)}, indent=1)
    )


if __name__ == "__main__":
    main()
