"""Video on davis_person: accuracy and flicker per frame vs VideoSegmenter, and end-to-end throughput.

For each method and sequence (frame folders, 854x480) it prints:

* mean frame IoU and dtSSD of the segmenter run frame by frame and of ``VideoSegmenter`` (its
  defaults: flow-warped smoothing, key-frame reuse, tracking), and how often the segmenter ran;
* end-to-end throughput of ``bodyseg video`` (decode an H.264 mp4 made from the first
  ``--timing-frames`` frames, segment, blur, encode H.264): the command's own frame loop, model
  loading excluded, median of ``--runs``;
* the ceiling: decode + encode alone; and where the time goes (ms per frame for each stage).

The machine's load average is printed with the figures: on a shared machine the frame rates are
only comparable within one run.

Example (from the project root, on the shared data sets)::

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/video_davis.py
    OMP_NUM_THREADS=1 python benchmarks/video_davis.py --methods mediapipe-selfie --sequences lucia --runs 1
    OMP_NUM_THREADS=1 python benchmarks/video_davis.py --methods bodyseg --configs default
    OMP_NUM_THREADS=1 python benchmarks/video_davis.py --methods bodyseg bodyseg:selfie_share_body=0 --configs default
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from bodyseg import effects
from bodyseg.cli import build_parser
from bodyseg.cli.video import build_video_segmenter, process_frames
from bodyseg.io import VideoReader, VideoWriter, read_video_frames
from bodyseg.metrics import TemporalMeter
from bodyseg.segmenters import create
from bodyseg.segmenters.registry import parse_method_spec, segmenter_class
from bodyseg.video import VideoSegmenter

DATA = (
    Path(os.environ.get("BODYSEG_DATASETS", Path(__file__).resolve().parents[2] / "shared" / "datasets"))
    / "davis_person"
)
METHODS = ("mediapipe-selfie", "mediapipe-pose", "bodyseg")
PER_FRAME = {"smoothing": "off", "reuse": False, "tracking": False, "follow": False}
#: VideoSegmenter settings compared: its defaults, and without following people between full runs
#: (the segmenter runs in full on every frame it is asked to).
CONFIGS = {
    "default": ({}, []),
    "no following": ({"redetect_every": 1}, ["--redetect-every", "1"]),
}
#: DAVIS 2016 is filmed at 24 frames/s.
FPS = 24


@dataclass
class Row:
    """One method on one sequence."""

    method: str
    config: str
    sequence: str
    frames: int
    per_frame: dict[str, float]
    video: dict[str, float]
    calls: float
    fps: list[float] = field(default_factory=list)
    ceiling: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    stages: dict[str, float] = field(default_factory=dict)


def truths(sequence: Path) -> list[np.ndarray]:
    return [
        (np.asarray(Image.open(p).convert("L")) > 127).astype(np.float32)
        for p in sorted((sequence / "masks").iterdir())
    ]


def score(video: VideoSegmenter, sequence: Path, masks: list[np.ndarray]) -> dict[str, float]:
    """Mean frame IoU and dtSSD of a VideoSegmenter over a frame folder."""
    meter = TemporalMeter()
    for seg, truth in zip(video.segment_frames(read_video_frames(sequence / "images", fps=FPS)), masks, strict=True):
        meter.update(seg.prob, truth)
    return meter.compute()


def make_clip(sequence: Path, folder: Path, frames: int) -> Path:
    """The sequence's first ``frames`` frames as an H.264 mp4 (what a user would feed the command)."""
    clip = folder / f"{sequence.name}.mp4"
    with VideoWriter(clip, FPS) as writer:
        for frame in read_video_frames(sequence / "images", fps=FPS):
            if frame.index < frames:
                writer.write(frame.rgb, frame.time)
    return clip


def command_fps(clip: Path, method: str, out: Path, extra: list[str]) -> tuple[float, float]:
    """Frames per second of ``bodyseg video CLIP -m METHOD`` (its frame loop: decode, segment, blur,
    encode) and the CPU milliseconds it took per frame, all threads (user + system: on a loaded
    machine a steadier figure than the frame rate, though contention still inflates it)."""
    name, options = parse_method_spec(method)
    option_flags = [flag for key, value in options.items() for flag in ("--option", f"{key}={value}")]
    args = build_parser().parse_args(
        ["video", str(clip), "-m", name, *option_flags, "-o", str(out), "--overwrite", *extra]
    )
    with (
        VideoReader(clip) as reader,
        VideoWriter(out, reader.info.fps, audio_from=None) as writer,
        build_video_segmenter(args) as video,
    ):
        before = os.times()
        count, seconds = process_frames(reader, video, writer, args, reader.info.frames)
        after = os.times()
    cpu = (after.user - before.user) + (after.system - before.system)
    return count / seconds, cpu / count * 1000


def ceiling_fps(clip: Path, out: Path) -> float:
    """Decode + encode alone."""
    start = time.perf_counter()
    with VideoWriter(out, FPS) as writer:
        for frame in read_video_frames(clip):
            writer.write(frame.rgb, frame.time)
    return writer.frames_written / (time.perf_counter() - start)


def stage_ms(clip: Path, video: VideoSegmenter, out: Path) -> dict[str, float]:
    """Median milliseconds per frame of each stage, timed one after the other on the same frames."""
    times: dict[str, list[float]] = {"decode": [], "segment": [], "blur": [], "encode": []}
    video.reset()
    with VideoWriter(out, FPS) as writer:
        frames = iter(read_video_frames(clip))
        while True:
            start = time.perf_counter()
            frame = next(frames, None)
            if frame is None:
                break
            t1 = time.perf_counter()
            seg = video.segment(frame)
            t2 = time.perf_counter()
            blurred = effects.blur(frame.rgb, seg)
            t3 = time.perf_counter()
            writer.write(blurred, frame.time)
            t4 = time.perf_counter()
            for name, seconds in zip(times, (t1 - start, t2 - t1, t3 - t2, t4 - t3), strict=False):
                times[name].append(seconds * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


def run_method(
    method: str, sequences: list[Path], runs: int, timing_frames: int, work: Path, configs: list[str]
) -> list[Row]:
    name, options = parse_method_spec(method)
    segmenter = create(name, **{**segmenter_class(name).video_defaults, **options})  # as `bodyseg video` builds it
    rows = []
    for sequence in sequences:
        masks = truths(sequence)
        per_frame = score(VideoSegmenter(segmenter, **PER_FRAME), sequence, masks)
        clip = make_clip(sequence, work, timing_frames)
        ceiling = [ceiling_fps(clip, work / "ceiling.mp4") for _ in range(runs)]
        for config in configs:
            options, flags = CONFIGS[config]
            video = VideoSegmenter(segmenter, **options)
            row = Row(
                method,
                config,
                sequence.name,
                len(masks),
                per_frame,
                score(video, sequence, masks),
                video.calls / video.frames,
            )
            for _ in range(runs):
                fps, cpu = command_fps(clip, method, work / "out.mp4", flags)
                row.fps.append(fps)
                row.cpu.append(cpu)
            row.ceiling = ceiling
            row.stages = stage_ms(clip, video, work / "stages.mp4")
            rows.append(row)
            logging.info("%s", row)
    segmenter.close()
    return rows


def overall(method: str, config: str, rows: list[Row]) -> Row:
    """Means over the sequences (IoU weighted by frames); throughput as total frames / total time."""
    frames = sum(r.frames for r in rows)

    def mean(key: str, part: str) -> float:
        return (
            float(sum(getattr(r, part)[key] * r.frames for r in rows) / frames)
            if key == "mean_frame_iou"
            else float(np.mean([getattr(r, part)[key] for r in rows]))
        )

    def rate(values: str) -> list[float]:
        return [frames / sum(r.frames / statistics.median(getattr(r, values)) for r in rows)]

    total = Row(
        method,
        config,
        "all",
        frames,
        {k: mean(k, "per_frame") for k in ("mean_frame_iou", "dtssd")},
        {k: mean(k, "video") for k in ("mean_frame_iou", "dtssd")},
        sum(r.calls * r.frames for r in rows) / frames,
        rate("fps"),
        rate("ceiling"),
        [sum(statistics.median(r.cpu) * r.frames for r in rows) / frames] if all(r.cpu for r in rows) else [],
    )
    total.stages = {k: float(np.mean([r.stages[k] for r in rows])) for k in rows[0].stages}
    return total


def print_table(rows: list[Row]) -> None:
    print(
        "| method | VideoSegmenter | sequence | frames | IoU per frame | IoU video | ΔIoU | dtSSD per frame | dtSSD "
        "video | ΔdtSSD | segmenter runs/frame | bodyseg video fps | ceiling fps (decode+encode) "
        "| CPU ms/frame, all threads | ms/frame decode / segment / blur / encode |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        d_iou = r.video["mean_frame_iou"] - r.per_frame["mean_frame_iou"]
        d_ssd = 100 * (r.video["dtssd"] / r.per_frame["dtssd"] - 1)
        stages = " / ".join(f"{r.stages[k]:.0f}" for k in ("decode", "segment", "blur", "encode"))
        print(
            f"| {r.method} | {r.config} | {r.sequence} | {r.frames} | {r.per_frame['mean_frame_iou']:.4f} | "
            f"{r.video['mean_frame_iou']:.4f} | {d_iou:+.4f} | "
            f"{r.per_frame['dtssd']:.2f} | {r.video['dtssd']:.2f} | {d_ssd:+.0f}% | {r.calls:.2f} | "
            f"{statistics.median(r.fps):.1f} | "
            f"{statistics.median(r.ceiling):.1f} | {statistics.median(r.cpu):.0f} | {stages} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--sequences", nargs="+", default=None, help="davis_person sequence names (default: all)")
    parser.add_argument(
        "--runs", type=int, default=3, help="timing runs per sequence; medians are printed (default %(default)s)"
    )
    parser.add_argument(
        "--timing-frames",
        type=int,
        default=48,
        help="frames of each sequence timed (default %(default)s; accuracy uses all)",
    )
    parser.add_argument(
        "--configs",
        nargs="+",
        default=list(CONFIGS),
        choices=list(CONFIGS),
        help="VideoSegmenter settings to compare (default: all; 'default' alone is about twice as fast)",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    if not DATA.is_dir():
        raise SystemExit(f"{DATA}: davis_person is missing; set BODYSEG_DATASETS")
    sequences = (
        [DATA / name for name in args.sequences] if args.sequences else sorted(p for p in DATA.iterdir() if p.is_dir())
    )
    load_before = os.getloadavg()[0]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bodyseg-video-bench-") as work:
        for method in args.methods:
            method_rows = run_method(method, sequences, args.runs, args.timing_frames, Path(work), args.configs)
            for config in args.configs:
                config_rows = [r for r in method_rows if r.config == config]
                rows += config_rows + [overall(method, config, config_rows)]
    print(
        f"davis_person, 854x480 at {FPS} frames/s; {os.cpu_count()} CPUs, load average {load_before:.1f} at start, "
        f"{os.getloadavg()[0]:.1f} at end; "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}; frame rates: medians of {args.runs} runs "
        f"over the first {args.timing_frames} frames\n"
    )
    print_table(rows)


if __name__ == "__main__":
    main()
