"""Threads or processes for the server's model workers: throughput and memory of each.

Runs the server's per-request work (``bodyseg.serve.work.run_task``: decode, segment, blur, encode
JPEG) on the bundled photo with 1 thread, N threads (each its own segmenter) and N processes
(spawned, each its own segmenter), and prints images per second and the resident memory of
everything involved. Segmenters are created before the clock starts.

Usage:
    python benchmarks/serve_workers.py                    # the default method, N = 2, 40 images
    python benchmarks/serve_workers.py --method mediapipe-selfie --images 120
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import threading
import time
from pathlib import Path

import bodyseg
from bodyseg.serve.limits import Upload
from bodyseg.serve.work import Task, run_task
from bodyseg.serve.workers import Segmenters

PHOTO = bodyseg.example_image().read_bytes()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def one(cache: Segmenters, method: str) -> None:
    run_task(Task("blur", method), Upload(PHOTO, "astronaut.jpg"), cache, max_pixels=50_000_000)


def threads(method: str, workers: int, images: int) -> tuple[float, float]:
    caches = [Segmenters() for _ in range(workers)]
    for cache in caches:
        one(cache, method)
    counter = iter(range(images))
    lock = threading.Lock()

    def loop(cache: Segmenters) -> None:
        while True:
            with lock:
                if next(counter, None) is None:
                    return
            one(cache, method)

    began = time.perf_counter()
    pool = [threading.Thread(target=loop, args=(cache,)) for cache in caches]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    rate = images / (time.perf_counter() - began)
    memory = rss_mb(os.getpid())
    for cache in caches:
        cache.close()
    return rate, memory


def _process(method: str, count: int, ready, go, done) -> None:
    cache = Segmenters()
    one(cache, method)
    ready.put(os.getpid())
    go.wait()
    for _ in range(count):
        one(cache, method)
    done.put(rss_mb(os.getpid()))
    cache.close()


def processes(method: str, workers: int, images: int) -> tuple[float, float]:
    context = mp.get_context("spawn")
    ready, done, go = context.Queue(), context.Queue(), context.Event()
    children = [
        context.Process(target=_process, args=(method, images // workers, ready, go, done)) for _ in range(workers)
    ]
    for child in children:
        child.start()
    for _ in children:
        ready.get()
    began = time.perf_counter()
    go.set()
    memory = sum(done.get() for _ in children)
    rate = (images // workers * workers) / (time.perf_counter() - began)
    for child in children:
        child.join()
    return rate, memory + rss_mb(os.getpid())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--method", default="bodyseg")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--images", type=int, default=40)
    args = parser.parse_args()
    print(f"method {args.method}, {args.images} images of 512x512 (blur, JPEG), load average {os.getloadavg()[0]:.1f}")
    for label, run in (
        ("1 thread", lambda: threads(args.method, 1, args.images)),
        (f"{args.workers} threads", lambda: threads(args.method, args.workers, args.images)),
        (f"{args.workers} processes", lambda: processes(args.method, args.workers, args.images)),
    ):
        rate, memory = run()
        print(f"{label:<12} {rate:6.1f} images/s   RSS {memory:6.0f} MB")


if __name__ == "__main__":
    main()
