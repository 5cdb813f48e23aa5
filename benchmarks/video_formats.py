"""Editor outputs of ``bodyseg video`` on a davis_person clip: each alpha format decoded back, its size and speed.

For one sequence (an H.264 mp4 made of its frames, 854x480) it runs ``bodyseg video --effect cutout``
into VP9 WebM, ProRes 4444 .mov and RGBA PNG frames (and ``--effect matte`` into H.264), decodes the
alpha back with PyAV (libvpx for VP9's alpha) and prints, per format: the IoU of the decoded alpha
(> 127) with the lossless PNG frames' alpha, the mean absolute alpha error (0-255), the output's size
against the input's, and the command's frames/s (median of ``--runs``; model loading excluded: the
same segmenter object serves every run). The machine's load average is printed: on a shared machine
frame rates compare only within one run.

Example (from the project root, on the shared data sets)::

    OMP_NUM_THREADS=1 python benchmarks/video_formats.py --sequence dance-twirl --method bodyseg
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import av
import numpy as np
from PIL import Image

from bodyseg.cli import build_parser
from bodyseg.cli.video import process_frames
from bodyseg.io import VideoReader, VideoWriter
from bodyseg.video import VideoSegmenter
from video_davis import DATA, make_clip

OUTPUTS = {"webm (VP9 + alpha)": "cut.webm", "mov (ProRes 4444)": "cut.mov", "png frames": "cut"}


def alphas(path: Path) -> list[np.ndarray]:
    """Every frame's alpha (or grey level, for a matte), decoded without bodyseg."""
    if path.is_dir():
        return [np.asarray(Image.open(p))[..., 3] for p in sorted(path.iterdir())]
    with av.open(str(path)) as container:
        if container.streams.video[0].codec_context.name == "vp9":
            decoder = av.codec.CodecContext.create("libvpx-vp9", "r")
            frames = [f for p in container.demux(video=0) for f in decoder.decode(p)]
        else:
            frames = list(container.decode(video=0))
    channel = 3 if frames[0].format.name.startswith("yuva") else 0
    return [f.to_ndarray(format="rgba")[..., channel] for f in frames]


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.iterdir()) if path.is_dir() else path.stat().st_size


def run_command(clip: Path, out: Path, effect: str, video: VideoSegmenter) -> float:
    """Frames/s of the command's frame loop (decode, segment, draw, encode) into ``out``."""
    args = build_parser().parse_args(["video", str(clip), "-e", effect, "-o", str(out), "--overwrite"])
    with VideoReader(clip) as reader:
        writer = VideoWriter(out, reader.info.fps, alpha=effect == "cutout")
        with writer:
            start = time.perf_counter()
            count, _ = process_frames(reader, video, writer, args, reader.info.frames)
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sequence", default="dance-twirl")
    parser.add_argument("--method", default="mediapipe-selfie")
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bodyseg-formats-") as work, VideoSegmenter(args.method) as video:
        folder = Path(work)
        clip = make_clip(DATA / args.sequence, folder, args.frames)
        rates = {
            name: [run_command(clip, folder / out, "cutout", video) for _ in range(args.runs)]
            for name, out in OUTPUTS.items()
        }
        rates["matte (H.264 grey)"] = [
            run_command(clip, folder / "matte.mp4", "matte", video) for _ in range(args.runs)
        ]
        reference = alphas(folder / "cut")
        print(
            f"{args.sequence}, first {args.frames} frames, 854x480, {args.method}; input {size(clip) / 1e6:.2f} MB; "
            f"load average {load:.1f} -> {os.getloadavg()[0]:.1f}; frames/s: medians of {args.runs}\n"
        )
        print("| output | alpha IoU with the PNG alpha | mean abs alpha error (0-255) | size / input | frames/s |")
        print("|---|---:|---:|---:|---:|")
        for name, out in [*OUTPUTS.items(), ("matte (H.264 grey)", "matte.mp4")]:
            decoded = alphas(folder / out)
            ious = [
                ((a > 127) & (r > 127)).sum() / max(((a > 127) | (r > 127)).sum(), 1)
                for a, r in zip(decoded, reference, strict=True)
            ]
            error = np.mean([np.abs(a.astype(int) - r).mean() for a, r in zip(decoded, reference, strict=True)])
            print(
                f"| {name} | {np.mean(ious):.4f} | {error:.2f} | {size(folder / out) / size(clip):.1f}x | "
                f"{statistics.median(rates[name]):.1f} |"
            )


if __name__ == "__main__":
    main()
