"""Load test of ``bodyseg serve`` over loopback, against the library called in-process.

Starts ``bodyseg serve`` as its own process on a free port of 127.0.0.1, warms it up, then sends
``--requests`` requests (default 1,000) from ``--clients`` concurrent clients (default 8): mixed
endpoints (mask, soft mask, people JSON, blur, replace, cutout) on three photo sizes, 5% bad inputs
(not an image, truncated, over the pixel limit, unknown method). It prints latency percentiles,
throughput, the server's RSS (at start, after warm-up, at peak, after the load) and the count of
5xx answers. Then it stops the server and runs the same good requests in-process with the same
number of worker threads (``bodyseg.serve.work.run_task``: decode, segment, draw, encode), for the
throughput the server should come close to.

Targets: no 5xx; RSS after the load <= 1.2x RSS after warm-up; server throughput >= 80% of the
in-process one.

Usage:
    python benchmarks/serve_load.py                       # 1000 requests, 8 clients, workers = cores
    python benchmarks/serve_load.py --requests 200 --method mediapipe-selfie --json runs/serve_load.json
"""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

import bodyseg
from bodyseg.serve.limits import Problem, Upload, default_workers
from bodyseg.serve.work import Task, run_task
from bodyseg.serve.workers import Segmenters

MAX_MEGAPIXELS = 4.0


@dataclass(frozen=True)
class Call:
    """One request of the load: endpoint path, query, body, and whether it is meant to fail."""

    path: str
    params: dict[str, str]
    name: str
    body: bytes
    bad: bool = False


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    wrong: list[str] = field(default_factory=list)  # a good request that failed, or a bad one that was not a 4xx


def photos() -> dict[str, bytes]:
    """Three photos of different sizes, made from the bundled one (no data set needed)."""
    rgb = Image.open(bodyseg.example_image()).convert("RGB")

    def encoded(image: Image.Image, fmt: str) -> bytes:
        buffer = io.BytesIO()
        image.save(buffer, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
        return buffer.getvalue()

    return {
        "small.jpg": encoded(rgb, "JPEG"),  # 512x512
        "large.jpg": encoded(rgb.resize((1280, 1280), Image.LANCZOS), "JPEG"),  # 1.6 MP
        "wide.png": encoded(rgb.crop((0, 96, 512, 416)).resize((960, 600)), "PNG"),
    }


def bad_calls() -> list[Call]:
    big = io.BytesIO()
    Image.new("RGB", (3000, 2000)).save(big, "PNG")  # 6 MP: over the server's limit
    good = bodyseg.example_image().read_bytes()
    return [
        Call("/v1/segment", {}, "notes.jpg", b"not an image at all", bad=True),
        Call("/v1/blur", {}, "cut.jpg", good[: len(good) // 3], bad=True),
        Call("/v1/segment", {}, "big.png", big.getvalue(), bad=True),
        Call("/v1/cutout", {"method": "no-such-method"}, "a.jpg", good, bad=True),
    ]


def plan(count: int, method: str, seed: int = 0) -> list[Call]:
    """``count`` calls: 5% bad, the rest spread over the endpoints and photos."""
    rng = np.random.default_rng(seed)
    images = photos()
    kinds = [
        ("/v1/segment", {}),
        ("/v1/segment", {"output": "soft"}),
        ("/v1/blur", {}),
        ("/v1/replace", {"background": "#00b140"}),
        ("/v1/cutout", {}),
    ]
    if method == "bodyseg":
        kinds.append(("/v1/segment", {"output": "json"}))
    bad = bad_calls()
    calls = []
    for i in range(count):
        if rng.random() < 0.05:
            calls.append(bad[i % len(bad)])
            continue
        path, params = kinds[rng.integers(len(kinds))]
        name = list(images)[rng.integers(len(images))]
        calls.append(Call(path, {**params, "method": method}, name, images[name]))
    return calls


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, workers: int, method: str) -> subprocess.Popen:
    command = [
        sys.executable,
        "-c",
        "import sys; from bodyseg.cli import main; sys.exit(main(sys.argv[1:]))",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--max-megapixels",
        str(MAX_MEGAPIXELS),
        "--preload",
        method,
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server stopped: {server.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.kill()
    raise RuntimeError("the server did not answer /healthz within 120 s")


def send_all(base: str, calls: list[Call], clients: int) -> tuple[Outcome, float]:
    """Send ``calls`` from ``clients`` threads (each its own connection); returns outcomes and wall time."""
    outcome = Outcome()
    lock = threading.Lock()
    queue = iter(range(len(calls)))

    def client() -> None:
        with httpx.Client(base_url=base, timeout=120) as http:
            while True:
                with lock:
                    index = next(queue, None)
                if index is None:
                    return
                call = calls[index]
                began = time.perf_counter()
                response = http.post(call.path, params=call.params, files={"file": (call.name, call.body)})
                elapsed = time.perf_counter() - began
                with lock:
                    outcome.latencies.append(elapsed)
                    outcome.statuses[response.status_code] += 1
                    expected = 400 <= response.status_code < 500 if call.bad else response.status_code == 200
                    if not expected:
                        outcome.wrong.append(
                            f"{call.path} {call.params} {call.name}: {response.status_code} {response.text[:200]}"
                        )

    began = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcome, time.perf_counter() - began


def task_of(call: Call) -> Task:
    """The in-process task a good call asks for (what the server's routes build)."""
    effect = call.path.rsplit("/", 1)[-1]
    params = dict(call.params)
    method = params.pop("method")
    if effect == "segment":
        output = params.get("output", "mask")
        return Task(output, method, {}, {} if output == "soft" else {"threshold": 0.5})
    return Task(effect, method, {}, params)


def in_process(calls: list[Call], workers: int) -> tuple[float, float]:
    """Seconds and CPU seconds ``run_task`` takes for ``calls`` on ``workers`` threads, each with
    its own segmenters (loaded before the clock starts, as the server preloads)."""
    lock = threading.Lock()
    queue = iter(range(len(calls)))
    caches = [Segmenters() for _ in range(workers)]
    method = calls[0].params["method"]
    for cache in caches:
        cache.get(method, {})  # loaded before the clock starts, as the server preloads

    def worker(cache: Segmenters) -> None:
        while True:
            with lock:
                index = next(queue, None)
            if index is None:
                return
            call = calls[index]
            try:
                run_task(task_of(call), Upload(call.body, call.name), cache, max_pixels=int(MAX_MEGAPIXELS * 1e6))
            except Problem:
                pass

    began, cpu = time.perf_counter(), cpu_seconds(os.getpid())
    threads = [threading.Thread(target=worker, args=(cache,)) for cache in caches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed, cpu = time.perf_counter() - began, cpu_seconds(os.getpid()) - cpu
    for cache in caches:
        cache.close()
    return elapsed, cpu


def percentile_ms(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values) * 1000, q))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--method", default="bodyseg")
    parser.add_argument(
        "--warmup", type=int, default=48, help="requests sent before the RSS baseline (default %(default)s)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    calls = plan(args.requests, args.method)
    warm = plan(args.warmup, args.method, seed=1)
    good = [c for c in calls if not c.bad]
    # the in-process run is split around the server's, so a change in the machine's load hits both alike
    first_time, first_cpu = in_process(good[: len(good) // 2], args.workers)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(port, args.workers, args.method)
    try:
        rss_start = rss_mb(server.pid)
        warm_outcome, _ = send_all(base, warm, args.clients)
        time.sleep(1.0)
        rss_warm = rss_mb(server.pid)
        peak = [rss_warm]
        running: list[int] = []  # jobs on the workers, sampled: below --workers means the workers wait for work
        sampling = threading.Event()

        def sample() -> None:
            with httpx.Client(base_url=base, timeout=10) as http:
                while not sampling.wait(0.1):
                    peak.append(rss_mb(server.pid))
                    running.append(http.get("/healthz").json()["running"])

        sampler = threading.Thread(target=sample)
        sampler.start()
        server_cpu, client_cpu = cpu_seconds(server.pid), cpu_seconds(os.getpid())
        outcome, wall = send_all(base, calls, args.clients)
        server_cpu, client_cpu = cpu_seconds(server.pid) - server_cpu, cpu_seconds(os.getpid()) - client_cpu
        sampling.set()
        sampler.join()
        time.sleep(2.0)
        rss_after = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)

    second_time, second_cpu = in_process(good[len(good) // 2 :], args.workers)
    baseline = len(good) / (first_time + second_time)
    figures = {
        "requests": len(calls),
        "clients": args.clients,
        "workers": args.workers,
        "method": args.method,
        "bad_inputs": sum(c.bad for c in calls),
        "statuses": dict(sorted(outcome.statuses.items())),
        "5xx": sum(n for s, n in outcome.statuses.items() if s >= 500),
        "wrong_answers": len(outcome.wrong) + len(warm_outcome.wrong),
        "p50_ms": percentile_ms(outcome.latencies, 50),
        "p95_ms": percentile_ms(outcome.latencies, 95),
        "p99_ms": percentile_ms(outcome.latencies, 99),
        "throughput_rps": len(good) / wall,
        "in_process_rps": baseline,
        "server_cpu_ms_per_request": 1000 * server_cpu / len(calls),
        "client_cpu_ms_per_request": 1000 * client_cpu / len(calls),
        "in_process_cpu_ms_per_request": 1000 * (first_cpu + second_cpu) / len(good),
        "rss_start_mb": rss_start,
        "rss_warm_mb": rss_warm,
        "rss_peak_mb": max(peak),
        "rss_after_mb": rss_after,
        "mean_running_workers": float(np.mean(running)) if running else float("nan"),
        "load": os.getloadavg()[0],
    }
    figures["throughput_ratio"] = figures["throughput_rps"] / baseline
    figures["rss_after_over_warm"] = rss_after / rss_warm
    print(
        f"{figures['requests']} requests ({figures['bad_inputs']} bad) from {args.clients} clients, "
        f"{args.workers} workers, method {args.method}"
    )
    print(f"statuses: {figures['statuses']}  5xx: {figures['5xx']}  wrong answers: {figures['wrong_answers']}")
    print(f"latency ms: p50 {figures['p50_ms']:.0f}  p95 {figures['p95_ms']:.0f}  p99 {figures['p99_ms']:.0f}")
    print(
        f"throughput of good requests: server {figures['throughput_rps']:.2f} req/s, in-process "
        f"{baseline:.2f} req/s -> {figures['throughput_ratio']:.0%} (target >= 80%)"
    )
    print(
        f"CPU ms per request: server {figures['server_cpu_ms_per_request']:.0f}, in-process "
        f"{figures['in_process_cpu_ms_per_request']:.0f}; "
        f"the load's own clients {figures['client_cpu_ms_per_request']:.0f}"
    )
    print(
        f"server RSS MB: start {rss_start:.0f}, after warm-up {rss_warm:.0f}, peak {max(peak):.0f}, "
        f"after {rss_after:.0f} -> {figures['rss_after_over_warm']:.2f}x warm-up (target <= 1.2x)"
    )
    print(
        f"workers busy: {figures['mean_running_workers']:.2f} of {args.workers} on average; "
        f"load average during the run: {figures['load']:.1f} (other jobs share the cores)"
    )
    for line in (warm_outcome.wrong + outcome.wrong)[:10]:
        print("wrong:", line)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    ok = figures["5xx"] == 0 and figures["rss_after_over_warm"] <= 1.2 and figures["throughput_ratio"] >= 0.8
    return 0 if ok and not figures["wrong_answers"] else 1


if __name__ == "__main__":
    sys.exit(main())
