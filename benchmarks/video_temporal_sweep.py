"""Temporal settings of VideoSegmenter on davis_person, with the segmenter run once: IoU and dtSSD per setting.

The segmenter side of :class:`~bodyseg.video.VideoSegmenter` (which frames it runs on, following,
its raw results) does not depend on the temporal settings (smoothing weight, gate, fusion, cut
reset), so each sequence is segmented once and the temporal side is replayed for every setting:
the figures are exactly what ``VideoSegmenter(method, **setting)`` gives, in a fraction of the time.
The per-frame rows (no memory at all) of the method and of mediapipe-pose are the baselines.

Example (from the project root, on the shared data sets)::

    OMP_NUM_THREADS=1 python benchmarks/video_temporal_sweep.py
    OMP_NUM_THREADS=1 python benchmarks/video_temporal_sweep.py --method mediapipe-pose --sequences lucia
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from bodyseg.io import read_video_frames
from bodyseg.metrics import TemporalMeter
from bodyseg.segmenters import create
from bodyseg.video import VideoSegmenter
from video_davis import DATA, FPS, PER_FRAME, truths

#: The defaults before this sweep: no cut reset, people missed among others not carried, new people shown at once.
BEFORE: dict[str, object] = {"cut_reset": False, "carry_missed": False, "confirm_new": False}

#: Settings compared (keyword arguments of VideoSegmenter's temporal side); the last is the default now.
SETTINGS: dict[str, dict[str, object]] = {
    "before (blend 0.6, gate 15)": BEFORE,
    "blend 0.6 + cut reset": {**BEFORE, "cut_reset": True},
    "blend 0.75": {**BEFORE, "smoothing_weight": 0.75},
    "blend 0.85": {**BEFORE, "smoothing_weight": 0.85},
    "blend 0.75, gate 30": {**BEFORE, "smoothing_weight": 0.75, "gate_tolerance": 30.0},
    "confidence 0.6": {**BEFORE, "fusion": "confidence"},
    "confidence 0.75": {**BEFORE, "fusion": "confidence", "smoothing_weight": 0.75},
    "confidence 0.85": {**BEFORE, "fusion": "confidence", "smoothing_weight": 0.85},
    "confidence 0.85, gate 30": {**BEFORE, "fusion": "confidence", "smoothing_weight": 0.85, "gate_tolerance": 30.0},
    "confidence 0.9, gate 30": {**BEFORE, "fusion": "confidence", "smoothing_weight": 0.9, "gate_tolerance": 30.0},
    "blend 0.6, carry missed people": {**BEFORE, "carry_missed": True},
    "blend 0.6, confirm new people": {**BEFORE, "confirm_new": True},
    "blend 0.75, carry missed + confirm new": {"smoothing_weight": 0.75},
    "now (blend 0.6, cut reset, carry missed + confirm new)": {},
}


def scores(results, masks) -> dict[str, float]:
    meter = TemporalMeter()
    for prob, truth in zip(results, masks, strict=True):
        meter.update(prob, truth)
    return meter.compute()


def replay(segmenter, steps, setting: dict[str, object]) -> list[np.ndarray]:
    """The probabilities VideoSegmenter(segmenter, **setting) returns for the recorded segmenter steps."""
    video = VideoSegmenter(segmenter, **setting)
    video.reset()
    return [video._temporal_step(step).prob for step in steps]  # noqa: SLF001 - the replay is the point


def run_sequence(
    segmenter, pose, sequence: Path, settings: dict[str, dict[str, object]], sharpen: bool = False
) -> dict[str, dict[str, float]]:
    masks = truths(sequence)
    frames = list(read_video_frames(sequence / "images", fps=FPS))
    rows = {
        "mediapipe-pose per frame": scores((pose.segment(f.rgb).prob for f in frames), masks),
        f"{segmenter.name} per frame": scores(
            (s.prob for s in VideoSegmenter(segmenter, **PER_FRAME).segment_frames(frames)), masks
        ),
    }
    recorder = VideoSegmenter(segmenter)
    recorder.reset()
    steps = [recorder._segmenter_step(frame) for frame in frames]  # noqa: SLF001
    for name, setting in settings.items():
        probs = replay(segmenter, steps, setting)
        rows[name] = scores(probs, masks)
        if sharpen:  # the same result with a harder edge: how much of dtSSD is the soft edge moving
            rows[f"{name}, 0/1"] = scores(((p > 0.5).astype(np.float32) for p in probs), masks)
            rows[f"{name}, x4 steeper"] = scores((np.clip((p - 0.5) * 4 + 0.5, 0, 1) for p in probs), masks)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--method", default="bodyseg")
    parser.add_argument("--sequences", nargs="+", default=None)
    parser.add_argument("--settings", nargs="+", default=None, help="names of SETTINGS to run (default: all)")
    parser.add_argument("--sharpen", action="store_true", help="also score each setting's result made 0/1 and steeper")
    args = parser.parse_args()
    sequences = (
        [DATA / n for n in args.sequences] if args.sequences else sorted(p for p in DATA.iterdir() if p.is_dir())
    )
    segmenter, pose = create(args.method), create("mediapipe-pose")
    table: dict[str, dict[str, dict[str, float]]] = {}
    for sequence in sequences:
        chosen = {name: SETTINGS[name] for name in args.settings} if args.settings else SETTINGS
        for name, row in run_sequence(segmenter, pose, sequence, chosen, args.sharpen).items():
            table.setdefault(name, {})[sequence.name] = row
            print(f"{sequence.name}\t{name}\t{row['mean_frame_iou']:.4f}\t{row['dtssd']:.2f}", flush=True)
    frames = {s.name: len(truths(s)) for s in sequences}
    print(f"\n{args.method} on davis_person ({', '.join(frames)}); load average {os.getloadavg()[0]:.1f}\n")
    print("| setting | IoU (frame-weighted) | dtSSD (mean of sequences) | " + " | ".join(frames) + " |")
    print("|---|---:|---:|" + "---:|" * len(frames))
    for name, rows in table.items():
        iou = sum(rows[s]["mean_frame_iou"] * n for s, n in frames.items()) / sum(frames.values())
        dtssd = float(np.mean([rows[s]["dtssd"] for s in frames]))
        per = " | ".join(f"{rows[s]['mean_frame_iou']:.3f} / {rows[s]['dtssd']:.2f}" for s in frames)
        print(f"| {name} | {iou:.4f} | {dtssd:.2f} | {per} |")


if __name__ == "__main__":
    main()
