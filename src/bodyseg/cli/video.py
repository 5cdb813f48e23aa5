"""The ``video`` command: segment every frame of a video (or a folder of frames) and draw an effect.

Output formats: a video file (H.264 in .mp4/.mov/.mkv/.avi, VP9 in .webm) or, with ``-o FOLDER``,
PNG frames. ``--effect cutout`` needs transparency: it writes .webm (VP9 with alpha) by default,
or RGBA PNG frames into a folder. The input's frame rate, size, timestamps and audio are kept
(odd sizes are padded by one pixel for H.264; see :mod:`bodyseg.io.video`).
"""

from __future__ import annotations

import argparse
import logging
import time
from contextlib import closing
from pathlib import Path

import numpy as np
from tqdm import tqdm

from bodyseg import effects
from bodyseg.cli.common import SUMMARY, add_method_options, chosen_method
from bodyseg.cli.images import effect_options
from bodyseg.errors import InputError, OutputError
from bodyseg.io.background import BackgroundWorker, prefetched
from bodyseg.io.images import DEFAULT_MAX_PIXELS, IMAGE_SUFFIXES
from bodyseg.io.paths import Job, check_target
from bodyseg.io.video import Frame, VideoReader, VideoWriter, is_video_file
from bodyseg.result import Segmentation
from bodyseg.segmenters import MIN_SIDE
from bodyseg.video import VideoSegmenter

log = logging.getLogger("bodyseg")

#: The effects a video can be drawn with (of :data:`bodyseg.effects.EFFECTS`).
VIDEO_EFFECTS = ("blur", "replace", "cutout", "mask", "overlay")

EPILOG = """\
examples:
  bodyseg video dance.mp4                          # -> dance.blur.mp4 (H.264, audio kept)
  bodyseg video dance.mp4 --effect replace -b beach.jpg
  bodyseg video dance.mp4 --effect cutout          # -> dance.cutout.webm (VP9 with alpha)
  bodyseg video dance.mp4 --effect cutout -o cut/  # -> cut/00000.png ... (RGBA PNG frames)
  bodyseg video frames/ --fps 24 -o dance.mp4      # a folder of frames in, a video out
  bodyseg video dance.mp4 --method bodyseg --max-stale 4   # reuse results on still frames
"""


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``video`` command."""
    parser = subparsers.add_parser(
        "video",
        help="segment a video (or a folder of frames) and blur, replace or cut out the background",
        description="Segment each frame with memory across frames (smoothing, key-frame reuse, people tracking) and "
        "write a video or PNG frames.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "input", metavar="IN", type=Path, help="a video file (mp4, mov, mkv, webm, avi) or a folder of frames"
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        type=Path,
        help="a video file, or a folder for PNG frames; default: next to the input as NAME.<effect>.mp4 (.webm for "
        "cutout)",
    )
    parser.add_argument(
        "-e", "--effect", choices=VIDEO_EFFECTS, default="blur", help="what to draw (default %(default)s)"
    )
    parser.add_argument(
        "-b",
        "--background",
        metavar="IMAGE|COLOUR",
        help="for --effect replace: an image (scaled to cover) or a colour",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an output that already exists")
    add_method_options(parser)
    _add_effect_options(parser)
    _add_temporal_options(parser)
    _add_format_options(parser)
    parser.set_defaults(run=run_video)


def _add_effect_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("effect")
    group.add_argument(
        "-s",
        "--strength",
        type=float,
        default=None,
        metavar="PX",
        help="blur: Gaussian sigma in pixels (default 1.5%% of the diagonal)",
    )
    group.add_argument(
        "--feather",
        type=float,
        default=None,
        metavar="PX",
        help="edge softness in pixels (default 0.3%% of the diagonal)",
    )
    group.add_argument("--soft", action="store_true", help="mask: the probability as grey levels instead of 0/255")
    group.add_argument(
        "--colour", "--color", default=None, help="overlay: one colour for the mask (default one per person)"
    )
    group.add_argument(
        "--opacity", type=float, default=0.5, help="overlay: mask opacity in [0, 1] (default %(default)s)"
    )


def _add_temporal_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("across frames")
    group.add_argument(
        "--smoothing",
        choices=("flow", "gated", "off"),
        default="flow",
        help="temporal smoothing of the probability (default %(default)s)",
    )
    group.add_argument(
        "--max-stale",
        type=int,
        default=2,
        metavar="N",
        help="reuse a result for at most N frames when the frame barely changed; 0 segments every frame (default "
        "%(default)s)",
    )
    group.add_argument(
        "--change-threshold",
        type=float,
        default=0.02,
        metavar="X",
        help="frame change (0-1) that forces a new segmentation (default %(default)s)",
    )
    group.add_argument("--no-tracking", action="store_true", help="do not carry people the detector misses")
    group.add_argument(
        "--redetect-every",
        type=int,
        default=8,
        metavar="N",
        help="between full runs the segmenter follows the people it found (bodyseg: no person detector, "
        "as MediaPipe's pose tracking); run it in full at least every N frames; 1 never follows (default %(default)s)",
    )
    group.add_argument(
        "--per-frame",
        action="store_true",
        help="no memory across frames at all (smoothing, reuse, following and tracking off)",
    )


def _add_format_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("format")
    group.add_argument(
        "--fps",
        type=float,
        default=None,
        help="frame rate of a folder of frames (default 25); video files keep their own",
    )
    group.add_argument(
        "--quality",
        type=int,
        default=20,
        metavar="CRF",
        help="H.264 constant rate factor, lower is better (default %(default)s)",
    )
    group.add_argument(
        "--max-megapixels",
        type=float,
        default=DEFAULT_MAX_PIXELS / 1e6,
        metavar="MP",
        help="refuse larger frames (default %(default)g)",
    )


def default_output(source: Path, effect: str) -> Path:
    """``dance.mp4 -> dance.blur.mp4``; a folder ``frames/ -> frames.blur.mp4``; cutout -> ``.webm``.

    Example:
        >>> default_output(Path("clips/dance.mov"), "blur"), default_output(Path("shots"), "cutout")
        (PosixPath('clips/dance.blur.mov'), PosixPath('shots.cutout.webm'))
    """
    if effect == "cutout":
        suffix = ".webm"
    elif source.is_dir() or not is_video_file(source):
        suffix = ".mp4"
    else:
        suffix = source.suffix.lower()
    stem = source.name if source.is_dir() else source.stem
    return source.with_name(f"{stem}.{effect}{suffix}")


def check_video_target(source: Path, target: Path, overwrite: bool) -> None:
    """Refuse to write over the input or an existing output; a folder is replaced only if it holds only frames."""
    if target.suffix and not target.is_dir() and not is_video_file(target):
        raise OutputError(
            f"{target}: unknown video suffix {target.suffix!r}; use .mp4, .mov, .mkv, .webm or a folder for PNG frames"
        )
    if target.is_dir():
        if source.resolve() == target.resolve():
            raise OutputError(f"{target}: is the input folder itself; choose another output")
        if any(target.iterdir()) and not overwrite:
            raise OutputError(f"{target}: the folder exists and is not empty; pass --overwrite to replace its frames")
        others = [p for p in target.iterdir() if p.is_dir() or p.suffix.lower() not in IMAGE_SUFFIXES]
        if others:
            raise OutputError(
                f"{target}: holds other files than frames ({others[0].name}); choose an empty or new folder"
            )
        return
    check_target(Job(source, target), overwrite)


def build_video_segmenter(args: argparse.Namespace) -> VideoSegmenter:
    """The VideoSegmenter the options ask for (the segmenter is created here)."""
    method, options = chosen_method(args)
    per_frame = args.per_frame
    return VideoSegmenter(
        method,
        smoothing="off" if per_frame else args.smoothing,
        reuse=not per_frame and args.max_stale > 0,
        max_stale=max(0, args.max_stale),
        change_threshold=args.change_threshold,
        tracking=not (per_frame or args.no_tracking),
        follow=not per_frame and args.redetect_every > 1,
        redetect_every=max(1, args.redetect_every),
        **options,
    )


def run_video(args: argparse.Namespace) -> int:
    """Read, segment, render and write every frame; the output appears only when all went well."""
    source: Path = args.input
    target: Path = args.output or default_output(source, args.effect)
    if args.effect == "replace":
        if not args.background:
            raise InputError("--effect replace needs --background IMAGE or COLOUR (e.g. -b beach.jpg or -b '#00b140')")
        args.background = effects.load_background(args.background, int(args.max_megapixels * 1e6))
    if args.fps is not None and args.fps <= 0:
        raise InputError(f"--fps must be positive, got {args.fps}")
    check_video_target(source, target, args.overwrite)
    reader = VideoReader(source, fps=args.fps, max_pixels=int(args.max_megapixels * 1e6))
    with reader:
        info = reader.info
        if min(info.width, info.height) < MIN_SIDE:
            raise InputError(
                f"{source}: frames are {info.width}x{info.height}; bodyseg needs at least {MIN_SIDE}x{MIN_SIDE} "
                "pixels to find a person"
            )
        writer = VideoWriter(
            target,
            info.fps,
            alpha=args.effect == "cutout",
            audio_from=source if info.audio else None,
            quality=args.quality,
        )
        if info.audio and writer.is_folder:
            log.warning(
                "%s: PNG frames carry no sound; the audio of %s is left out (write a video file to keep it)",
                target,
                source,
            )
        with writer, build_video_segmenter(args) as video:
            count, seconds = process_frames(reader, video, writer, args, info.frames)
    log.log(
        SUMMARY,
        "wrote %s: %d frames in %.1f s (%.1f frames/s; the segmenter ran on %d of them)",
        target,
        count,
        seconds,
        count / max(seconds, 1e-9),
        video.calls,
    )
    return 0


def process_frames(
    reader: VideoReader, video: VideoSegmenter, writer: VideoWriter, args: argparse.Namespace, total: int | None
) -> tuple[int, float]:
    """Segment, render and write each frame, with a progress bar (frames/s and time left) on a terminal.

    Four stages overlap on their own threads: decoding the next frames, running the segmenter on
    them, smoothing and tracking this one, and rendering and encoding the last ones (frames stay in
    order; at most a few wait in between).
    """
    options = effect_options(args.effect, args)
    start = time.perf_counter()
    with tqdm(
        total=total, unit="frame", desc=f"{args.effect} ({video.name})", leave=False, dynamic_ncols=True, disable=None
    ) as progress:

        def write(job: tuple[Frame, Segmentation]) -> None:
            frame, seg = job
            writer.write(np.asarray(effects.render(args.effect, frame.rgb, seg, **options)), frame.time)
            progress.update()

        frames = prefetched(reader)
        stream = video.segment_stream(frames, ahead=2)
        # closed in this order on any exit, so no thread still decodes once the reader is closed
        with closing(frames), closing(stream), BackgroundWorker(write) as output:
            for frame, seg in stream:
                output.submit((frame, seg))
    return writer.frames_written, time.perf_counter() - start
