"""Draw docs/video_before_after.gif: one davis_person sequence as filmed | through ``bodyseg.VideoSegmenter``.

The right panel replaces the background by a flat colour (the hardest effect to flatter: every
wrong pixel shows). Every frame of the first ``--frames`` is segmented and shown, at ``--fps``
(24 frames/s footage plays slowed down), in panels ``--width`` pixels wide; the palette shrinks
until the GIF fits in 2.5 MB. The script also runs the segmenter frame by frame and prints mean
IoU and dtSSD of both runs on those frames, so the caption can say what the smoothing changed.

Example (from the project root, on the shared data sets)::

    python benchmarks/video_before_after.py
    python benchmarks/video_before_after.py --sequence lucia --method mediapipe-selfie --out lucia.gif
"""

from __future__ import annotations

import argparse
import io
import itertools
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from bodyseg import effects
from bodyseg.io import read_video_frames
from bodyseg.metrics import TemporalMeter
from bodyseg.result import Segmentation
from bodyseg.segmenters import DEFAULT_METHOD, create
from bodyseg.video import VideoSegmenter
from video_davis import DATA, PER_FRAME, truths  # the sibling benchmark: same data and per-frame settings

BACKGROUND = "#2a9df4"
#: What a README picture may weigh.
MAX_BYTES = 2_500_000

#: An effect drawn from a frame and its segmentation.
Render = Callable[[np.ndarray, Segmentation], np.ndarray]


def load_sequence(sequence: Path, count: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The first ``count`` frames (RGB) of a davis_person sequence and their masks (float32 0/1)."""
    frames = [frame.rgb for frame in itertools.islice(read_video_frames(sequence / "images"), count)]
    return frames, truths(sequence)[: len(frames)]


def shrink(rgb: np.ndarray, width: int) -> np.ndarray:
    """An RGB frame scaled to ``width`` pixels wide (area-averaged), aspect kept.

    Example:
        >>> shrink(np.zeros((480, 854, 3), np.uint8), 320).shape
        (180, 320, 3)
    """
    height = round(rgb.shape[0] * width / rgb.shape[1])
    return np.asarray(Image.fromarray(rgb).resize((width, height), Image.Resampling.BOX))


def label(panel: np.ndarray, text: str) -> np.ndarray:
    """``text`` in white on a dark band in the panel's top-left corner."""
    image = Image.fromarray(panel)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=max(10, panel.shape[1] // 24))
    _, _, right, bottom = draw.textbbox((4, 2), text, font=font)
    draw.rectangle((0, 0, right + 4, bottom + 3), fill=(0, 0, 0))
    draw.text((4, 2), text, fill=(255, 255, 255), font=font)
    return np.asarray(image)


def run_panels(
    video: VideoSegmenter, frames: list[np.ndarray], masks: list[np.ndarray], renders: list[Render], width: int
) -> tuple[list[list[np.ndarray]], dict[str, float]]:
    """For each render, the shrunk panels of every frame; and the run's mean IoU and dtSSD against the masks."""
    meter, panels = TemporalMeter(), [[] for _ in renders]
    for rgb, seg, truth in zip(frames, video.segment_frames(frames), masks, strict=True):
        meter.update(seg.prob, truth)
        for render, out in zip(renders, panels, strict=True):
            out.append(shrink(render(rgb, seg), width))
    return panels, meter.compute()


def side_by_side(left: Iterable[np.ndarray], right: Iterable[np.ndarray], titles: tuple[str, str]) -> list[np.ndarray]:
    """Pairs of panels joined left to right with a 4-pixel white gutter, each labelled."""
    joined = []
    for a, b in zip(left, right, strict=True):
        gutter = np.full((a.shape[0], 4, 3), 255, np.uint8)
        joined.append(np.hstack([label(a, titles[0]), gutter, label(b, titles[1])]))
    return joined


def encode_gif(frames: list[np.ndarray], fps: float, colours: int) -> bytes:
    """An endlessly looping GIF with one palette of ``colours`` for all frames (no palette flicker).

    The palette is taken from a strip of every sixth frame, so colours that appear late are in it;
    no dithering (it changes from frame to frame, which looks like noise and compresses badly).
    """
    strip = Image.fromarray(np.vstack(frames[::6])).quantize(colors=colours, method=Image.Quantize.MEDIANCUT)
    images = [Image.fromarray(f).quantize(palette=strip, dither=Image.Dither.NONE) for f in frames]
    out = io.BytesIO()
    images[0].save(
        out, format="GIF", save_all=True, append_images=images[1:], duration=round(1000 / fps), loop=0, optimize=True
    )
    return out.getvalue()


def write_gif(path: Path, frames: list[np.ndarray], fps: float, max_bytes: int = MAX_BYTES) -> tuple[int, int]:
    """Write the GIF with the most colours (128 down to 32) that keeps it within ``max_bytes``.

    Returns ``(bytes, colours)``; the 32-colour GIF is written even when it is still too large.
    """
    for colours in (128, 96, 64, 48, 32):
        data = encode_gif(frames, fps, colours)
        if len(data) <= max_bytes:
            break
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return len(data), colours


def report(name: str, scores: dict[str, float]) -> str:
    """One line: ``name: mean IoU 0.8326, dtSSD 11.29``."""
    return f"{name}: mean IoU {scores['mean_frame_iou']:.4f}, dtSSD {scores['dtssd']:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sequence", default="dance-twirl", help="davis_person sequence (default %(default)s)")
    parser.add_argument("--method", default=DEFAULT_METHOD, help="segmenter (default %(default)s)")
    parser.add_argument("--frames", type=int, default=60, help="first N frames (default %(default)s)")
    parser.add_argument("--width", type=int, default=320, help="pixels per panel (default %(default)s)")
    parser.add_argument("--fps", type=float, default=10, help="GIF frame rate (default %(default)s)")
    parser.add_argument("--out", type=Path, default=Path("docs/video_before_after.gif"))
    args = parser.parse_args()
    sequence = DATA / args.sequence
    if not sequence.is_dir():
        raise SystemExit(
            f"{sequence}: no such davis_person sequence; set BODYSEG_DATASETS or pick one of "
            f"{sorted(p.name for p in DATA.glob('*'))}"
        )
    frames, masks = load_sequence(sequence, args.frames)

    def replace(rgb: np.ndarray, seg: Segmentation) -> np.ndarray:
        return effects.replace(rgb, seg, BACKGROUND)

    segmenter = create(args.method)
    video = VideoSegmenter(segmenter)
    (replaced,), smooth = run_panels(video, frames, masks, [replace], args.width)
    _, per_frame = run_panels(VideoSegmenter(segmenter, **PER_FRAME), frames, masks, [], args.width)
    segmenter.close()
    title = "bodyseg video" if args.method == DEFAULT_METHOD else f"bodyseg video -m {args.method}"
    gif_frames = side_by_side((shrink(rgb, args.width) for rgb in frames), replaced, ("filmed", title))
    size, colours = write_gif(args.out, gif_frames, args.fps)
    print(
        f"{args.sequence}, first {len(frames)} frames, {args.method}; the segmenter ran on {video.calls} of them in "
        "VideoSegmenter"
    )
    print(report("frame by frame", per_frame))
    print(report("VideoSegmenter", smooth))
    warning = (
        f" (over the {MAX_BYTES / 1e6:.1f} MB a README picture may weigh: lower --frames or --width)"
        if size > MAX_BYTES
        else ""
    )
    print(
        f"wrote {args.out}: {gif_frames[0].shape[1]}x{gif_frames[0].shape[0]}, {len(gif_frames)} frames at "
        f"{args.fps:g} fps, {colours} colours, {size / 1e6:.2f} MB{warning}"
    )


if __name__ == "__main__":
    main()
