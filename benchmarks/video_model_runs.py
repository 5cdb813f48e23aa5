"""Model runs per frame of ``VideoSegmenter("bodyseg")`` on davis_person: a speed figure the machine's load cannot move.

On a shared machine frames/s vary by a factor of two from one run to the next; how often each model
runs does not. For each sequence it prints the full runs and followed frames, and per frame the
landmark model's runs, the pose detector's (tiles included), NanoDet's, the face detector's and the
refiner's.

Example (from the project root, on the shared data sets)::

    OMP_NUM_THREADS=1 python benchmarks/video_model_runs.py
    OMP_NUM_THREADS=1 python benchmarks/video_model_runs.py --frames 48 --sequences breakdance
"""

from __future__ import annotations

import argparse
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bodyseg.io import read_video_frames
from bodyseg.segmenters import create
from bodyseg.segmenters.registry import parse_option_pairs
from bodyseg.video import VideoSegmenter

DATA = (
    Path(os.environ.get("BODYSEG_DATASETS", Path(__file__).resolve().parents[2] / "shared" / "datasets"))
    / "davis_person"
)
#: (PipelineModels field, method counted) for each model of the default method.
MODELS = (
    ("landmarks", "run"),
    ("detector", "detect"),
    ("finder", "detect"),
    ("faces", "detect"),
    ("refiner", "correction"),
)


def counted(counts: Counter, key: str, call: Callable[..., Any]) -> Callable[..., Any]:
    """``call``, adding one to ``counts[key]`` each time."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        counts[key] += 1
        return call(*args, **kwargs)

    return wrapper


def model_runs(sequence: Path, frames: int, options: dict[str, Any]) -> dict[str, float]:
    """Full runs, followed frames and each model's runs per frame on a sequence's first ``frames`` frames."""
    counts: Counter = Counter()
    with create("bodyseg", **options) as segmenter:
        for name, method in MODELS:
            model = getattr(segmenter.models, name)
            if model is not None:
                setattr(model, method, counted(counts, name, getattr(model, method)))
        video = VideoSegmenter(segmenter)
        shown = [f for f in read_video_frames(sequence / "images", fps=24) if f.index < frames]
        for _ in video.segment_frames(shown):
            pass
    row = {"frames": len(shown), "full runs": video.calls - video.follows, "followed": video.follows}
    return row | {name: counts[name] / len(shown) for name, _ in MODELS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sequences", nargs="+", default=None, help="davis_person sequence names (default: all)")
    parser.add_argument("--frames", type=int, default=10_000, help="first frames of each sequence (default: all)")
    parser.add_argument(
        "--option", action="append", default=[], metavar="KEY=VALUE", help="an option of the bodyseg method"
    )
    args = parser.parse_args()
    if not DATA.is_dir():
        raise SystemExit(f"{DATA}: davis_person is missing; set BODYSEG_DATASETS")
    options = parse_option_pairs(args.option)
    names = args.sequences or sorted(p.name for p in DATA.iterdir() if p.is_dir())
    print("| sequence | frames | full runs | followed | " + " | ".join(f"{n} /frame" for n, _ in MODELS) + " |")
    print("|---|" + "---:|" * (3 + len(MODELS)))
    for name in names:
        row = model_runs(DATA / name, args.frames, options)
        cells = [f"{row['frames']}", f"{row['full runs']}", f"{row['followed']}"]
        cells += [f"{row[n]:.2f}" for n, _ in MODELS]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
