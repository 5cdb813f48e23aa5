"""Soak: many segmentations in one process, resident memory (RSS) sampled as they go.

Two soaks, each printing RSS every ``--every`` calls and the growth after warm-up (target < 5%):

* images: ``--n`` segmentations (default 5000) per method (the default ``bodyseg`` and ``net``),
  cycling over a few photos of different sizes (ccp val photos, or the bundled astronaut when the
  data sets are missing);
* video: ``--video-minutes`` of frames (default 20, at 25 frames/s) through one
  ``VideoSegmenter`` (the ``bodyseg video`` defaults: smoothing, key-frame reuse, following,
  tracking), the frames looped forwards and backwards from a davis_person sequence (or synthesised
  when the data sets are missing).

Growth is (RSS at the end - RSS after warm-up) / RSS after warm-up; warm-up is the first
``--warmup`` fraction of the calls (default 0.2: caches, allocator pools and lazily loaded models
settle there).

Example (from the project root; the figures in docs/reliability.md)::

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/soak.py --n 2000 --video-minutes 5
    OMP_NUM_THREADS=1 python benchmarks/soak.py --n 300 --video-minutes 0.5 --methods net
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

import bodyseg
from bodyseg.io import read_image
from bodyseg.segmenters import create
from bodyseg.video import VideoSegmenter

#: ../shared/datasets beside the project root, or $BODYSEG_DATASETS (as the tests find them).
DATASETS = Path(os.environ.get("BODYSEG_DATASETS", Path(__file__).resolve().parents[2] / "shared" / "datasets"))


def rss_mb() -> float:
    """Resident memory of this process in MB (Linux /proc; psutil elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:
        import psutil

        return psutil.Process().memory_info().rss / 1e6


def soak_photos(count: int = 6) -> list[np.ndarray]:
    """A few photos of different sizes: ccp val and picsart photos, else the bundled astronaut at three sizes."""
    files = (
        sorted((DATASETS / "ccp" / "images").glob("*.jpg"))[-count // 2 :]
        + sorted((DATASETS / "picsart_portrait" / "images").glob("*.jpg"))[: count // 2]
    )
    if files:
        return [read_image(p) for p in files]
    rgb = read_image(bodyseg.example_image())
    return [np.asarray(Image.fromarray(rgb).resize((s, s))) for s in (512, 384, 640)]


def video_frames(count: int) -> Iterator[np.ndarray]:
    """``count`` frames looped forwards and backwards over a davis_person sequence (synthetic without data)."""
    folder = DATASETS / "davis_person" / "lucia" / "images"
    if folder.is_dir():
        clip = [read_image(p) for p in sorted(folder.iterdir())[:60]]
    else:
        clip = [np.asarray(Image.fromarray(read_image(bodyseg.example_image())).resize((480, 480)))] * 2
    loop = itertools.cycle(clip + clip[-2:0:-1])
    yield from itertools.islice(loop, count)


def report(name: str, samples: list[tuple[int, float]], warmup: float, seconds: float) -> dict[str, float]:
    """Print the RSS samples and the growth after warm-up; return the figures."""
    total = samples[-1][0]
    after = [rss for calls, rss in samples if calls >= warmup * total]
    base = after[0]
    growth = (samples[-1][1] - base) / base
    figures = {
        "calls": total,
        "rss_start": samples[0][1],
        "rss_warm": base,
        "rss_end": samples[-1][1],
        "rss_max_after_warmup": max(after),
        "growth": growth,
    }
    print(
        f"{name}: {total} calls in {seconds:.0f} s; RSS start {samples[0][1]:.0f} MB, after warm-up {base:.0f} MB, "
        f"end {samples[-1][1]:.0f} MB, max after warm-up {max(after):.0f} MB; growth after warm-up "
        f"{100 * growth:+.1f}% ({'PASS' if growth < 0.05 else 'FAIL'}: target < 5%)",
        flush=True,
    )
    print("  RSS MB every sample: " + " ".join(f"{rss:.0f}" for _, rss in samples), flush=True)
    return figures


def soak_images(method: str, n: int, every: int, warmup: float) -> dict[str, float]:
    photos = soak_photos()
    samples = [(0, rss_mb())]
    start = time.perf_counter()
    with create(method) as segmenter:
        for i in range(1, n + 1):
            seg = segmenter.segment(photos[i % len(photos)])
            del seg
            if i % every == 0:
                samples.append((i, rss_mb()))
                print(f"  {method} {i}: RSS {samples[-1][1]:.0f} MB", flush=True)
    return report(f"images, method {method}", samples, warmup, time.perf_counter() - start)


def soak_video(minutes: float, every: int, warmup: float, fps: int = 25) -> dict[str, float]:
    count = int(minutes * 60 * fps)
    samples = [(0, rss_mb())]
    start = time.perf_counter()
    with VideoSegmenter("bodyseg") as video:
        for i, seg in enumerate(video.segment_frames(video_frames(count), ahead=2), start=1):
            del seg
            if i % every == 0:
                samples.append((i, rss_mb()))
                print(f"  video frame {i}: RSS {samples[-1][1]:.0f} MB", flush=True)
        calls = video.calls
    figures = report(
        f"video, {minutes:g} min at {fps} frames/s (segmenter ran on {calls})",
        samples,
        warmup,
        time.perf_counter() - start,
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--n", type=int, default=5000, help="segmentations per method; 0 skips them (default %(default)s)"
    )
    parser.add_argument("--methods", nargs="+", default=["bodyseg", "net"], help="methods of the image soak")
    parser.add_argument("--video-minutes", type=float, default=20.0, help="minutes of 25 fps video; 0 skips it")
    parser.add_argument("--every", type=int, default=100, help="sample RSS every N calls (default %(default)s)")
    parser.add_argument("--warmup", type=float, default=0.2, help="fraction of calls before growth is measured")
    args = parser.parse_args()
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    print(f"load average at start: {os.getloadavg()[0]:.1f}", flush=True)
    for method in args.methods if args.n > 0 else []:
        soak_images(method, args.n, args.every, args.warmup)
    if args.video_minutes > 0:
        soak_video(args.video_minutes, args.every, args.warmup)
    print(f"load average at end: {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
