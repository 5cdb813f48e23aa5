"""The ``video`` command: segment every frame of a video (or a folder of frames) and draw an effect.

Output formats follow the output's suffix, or ``--format``: a video file (H.264 in .mp4/.mov/.mkv/.avi,
VP9 in .webm) or, with ``-o FOLDER`` (``--format png``), PNG frames. ``--effect cutout`` needs
transparency: .webm (VP9 with alpha, the default), .mov (ProRes 4444 with alpha, for editors) or RGBA
PNG frames. ``--effect matte`` is the cut-out's alpha as a grey video, to composite in an editor.
``--people FILE.jsonl`` also writes every frame's people (track id, box, keypoints, RLE mask). The
input's frame rate, size, timestamps and audio are kept where the container allows (odd sizes are
padded by one pixel for H.264; see :mod:`bodyseg.io.video`).
"""

from __future__ import annotations

import argparse
import logging
import time
from contextlib import closing, nullcontext
from pathlib import Path

from tqdm import tqdm

from bodyseg import effects
from bodyseg.cli.common import SUMMARY, add_effect_options, add_method_options, chosen_method
from bodyseg.errors import InputError, OutputError
from bodyseg.io.background import BackgroundWorker, prefetched
from bodyseg.io.images import DEFAULT_MAX_PIXELS, IMAGE_SUFFIXES
from bodyseg.io.paths import Job, check_target
from bodyseg.io.video import OUTPUT_FORMATS, Frame, VideoReader, VideoWriter, format_of, is_video_file
from bodyseg.io.video.people import PeopleLinesWriter
from bodyseg.result import Segmentation
from bodyseg.segmenters import MIN_SIDE, check_finds_people
from bodyseg.video import VideoSegmenter
from bodyseg.video.render import ALPHA_EFFECTS, VIDEO_EFFECTS, effect_option_names, render_frame

log = logging.getLogger("bodyseg")

EPILOG = """\
examples:
  bodyseg video dance.mp4                          # -> dance.blur.mp4 (H.264, audio kept)
  bodyseg video dance.mp4 --effect replace -b beach.jpg
  bodyseg video dance.mp4 --effect cutout          # -> dance.cutout.webm (VP9 with alpha)
  bodyseg video dance.mp4 --effect cutout --format mov   # -> dance.cutout.mov (ProRes 4444 with alpha)
  bodyseg video dance.mp4 --effect cutout -o cut/  # -> cut/00000.png ... (RGBA PNG frames)
  bodyseg video dance.mp4 --effect matte           # -> dance.matte.mp4 (grey alpha, for compositing)
  bodyseg video dance.mp4 --effect mask --people dance.people.jsonl   # people per frame, JSON Lines
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
        help="a video file (its suffix picks the format), or a folder for PNG frames; default: next to the input as "
        "NAME.<effect>.<the input's suffix> (.webm for cutout)",
    )
    parser.add_argument(
        "-e",
        "--effect",
        choices=VIDEO_EFFECTS,
        default="blur",
        help="what to draw (default %(default)s); matte: the cut-out's alpha as grey; parts: body parts coloured "
        "(a method that gives parts)",
    )
    parser.add_argument(
        "--people",
        type=Path,
        metavar="FILE.jsonl",
        help="also write each frame's people as JSON Lines: frame, time, people (track id, box, keypoints, RLE mask)",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an output that already exists")
    add_method_options(parser)
    add_effect_options(parser, soft=True)
    _add_temporal_options(parser)
    _add_format_options(parser)
    parser.set_defaults(run=run_video)


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
        "--no-confirm-new",
        action="store_true",
        help="show a person from the first frame they are found in (by default from the second, so one-frame "
        "false alarms never flicker in)",
    )
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
        "-f",
        "--format",
        choices=tuple(OUTPUT_FORMATS),
        default=None,
        help="mp4 / mkv: H.264; webm: VP9 (with alpha for cutout); mov: H.264, or ProRes 4444 with alpha for cutout; "
        "png: PNG frames in a folder (default: the output's suffix, else the input's)",
    )
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


def default_output(source: Path, effect: str, fmt: str | None = None) -> Path:
    """``dance.mp4 -> dance.blur.mp4``; a folder ``frames/ -> frames.blur.mp4``; cutout -> ``.webm``;
    ``fmt`` (``--format``) picks the suffix; ``png`` frames go into a folder without one (``dance_blur``).

    Example:
        >>> default_output(Path("clips/dance.mov"), "blur"), default_output(Path("shots"), "cutout")
        (PosixPath('clips/dance.blur.mov'), PosixPath('shots.cutout.webm'))
        >>> default_output(Path("dance.mp4"), "cutout", "mov"), default_output(Path("dance.mp4"), "matte", "png")
        (PosixPath('dance.cutout.mov'), PosixPath('dance_matte'))
    """
    if fmt is not None:
        suffix = OUTPUT_FORMATS[fmt]
    elif effect in ALPHA_EFFECTS:
        suffix = ".webm"
    elif source.is_dir() or not is_video_file(source):
        suffix = ".mp4"
    else:
        suffix = source.suffix.lower()
    stem = source.name if source.is_dir() else source.stem
    if fmt == "png":  # a folder: no dot, or its name would read as a file suffix
        return source.with_name(f"{stem}_{effect}".replace(".", "_"))
    return source.with_name(f"{stem}.{effect}{suffix}")


def chosen_target(args: argparse.Namespace) -> Path:
    """The output: ``-o`` or the default name; a ``--format`` that the output's suffix contradicts is an error."""
    if args.output is None:
        return default_output(args.input, args.effect, args.format)
    target: Path = args.output
    if args.format is not None:
        given = "png" if target.is_dir() else format_of(target)
        if given != args.format:
            raise OutputError(
                f"{target}: its suffix means {given}, but --format {args.format} was given; drop --format or end "
                f"the output in {OUTPUT_FORMATS[args.format] or 'no suffix (a folder of PNG frames)'}"
            )
    return target


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
        confirm_new=not args.no_confirm_new,
        follow=not per_frame and args.redetect_every > 1,
        redetect_every=max(1, args.redetect_every),
        **options,
    )


def run_video(args: argparse.Namespace) -> int:
    """Read, segment, render and write every frame; the outputs appear only when all went well."""
    source: Path = args.input
    target = chosen_target(args)
    if args.effect == "replace":
        if not args.background:
            raise InputError("--effect replace needs --background IMAGE or COLOUR (e.g. -b beach.jpg or -b '#00b140')")
        args.background = effects.load_background(args.background, int(args.max_megapixels * 1e6))
    if args.fps is not None and args.fps <= 0:
        raise InputError(f"--fps must be positive, got {args.fps}")
    check_video_target(source, target, args.overwrite)
    if args.people is not None:
        check_people_target(source, target, args.people, args.overwrite)
        check_finds_people(chosen_method(args)[0], "--people")
    reader = VideoReader(source, fps=args.fps, max_pixels=int(args.max_megapixels * 1e6))
    with reader:
        info = reader.info
        if min(info.width, info.height) < MIN_SIDE:
            raise InputError(
                f"{source}: frames are {info.width}x{info.height}; bodyseg needs at least {MIN_SIDE}x{MIN_SIDE} "
                "pixels to find a person"
            )
        people = PeopleLinesWriter(args.people) if args.people is not None else None
        writer = VideoWriter(
            target,
            info.fps,
            alpha=args.effect in ALPHA_EFFECTS,
            audio_from=source if info.audio else None,
            quality=args.quality,
        )
        if info.audio and writer.is_folder:
            log.warning(
                "%s: PNG frames carry no sound; the audio of %s is left out (write a video file to keep it)",
                target,
                source,
            )
        # the people file is closed last: it appears only once the video is in place
        with people or nullcontext(), writer, build_video_segmenter(args) as video:
            count, seconds = process_frames(reader, video, writer, args, info.frames, people=people)
    log.log(
        SUMMARY,
        "wrote %s%s: %d frames in %.1f s (%.1f frames/s; the segmenter ran on %d of them)",
        target,
        f" and {args.people}" if args.people is not None else "",
        count,
        seconds,
        count / max(seconds, 1e-9),
        video.calls,
    )
    return 0


def check_people_target(source: Path, target: Path, people: Path, overwrite: bool) -> None:
    """The ``--people`` file: not the input, not the video output, not over a file without ``--overwrite``."""
    if people.resolve() == target.resolve():
        raise OutputError(f"{people}: --people and the video output are the same path; give the people a .jsonl name")
    if people.is_dir():
        raise OutputError(f"{people}: is a folder; --people takes a file name such as dance.people.jsonl")
    if (target.is_dir() or not target.suffix) and target.resolve() in people.resolve().parents:
        raise OutputError(f"{people}: is inside the frames folder {target}, which is replaced whole; put it beside it")
    check_target(Job(source, people), overwrite)


def drawn_effect(args: argparse.Namespace) -> tuple[str, dict[str, object]]:
    """The effect to draw and its options, taken from the command-line options of the same names
    (``--effect mask --soft`` draws the probability as grey: the ``soft`` effect).

    Example:
        >>> drawn_effect(argparse.Namespace(effect="mask", soft=True))
        ('soft', {})
        >>> drawn_effect(argparse.Namespace(effect="matte", soft=False, feather=2.0, strength=None))
        ('matte', {'feather': 2.0})
    """
    effect = "soft" if args.effect == "mask" and getattr(args, "soft", False) else args.effect
    return effect, {name: getattr(args, name) for name in effect_option_names(effect) if hasattr(args, name)}


def process_frames(
    reader: VideoReader,
    video: VideoSegmenter,
    writer: VideoWriter,
    args: argparse.Namespace,
    total: int | None,
    *,
    people: PeopleLinesWriter | None = None,
) -> tuple[int, float]:
    """Segment, render and write each frame (and its people, with ``people``), with a progress bar on
    stderr (frames/s and time left; on a terminal, not with -q).

    Four stages overlap on their own threads: decoding the next frames, running the segmenter on
    them, smoothing and tracking this one, and rendering and encoding the last ones (frames stay in
    order; at most a few wait in between).
    """
    effect, options = drawn_effect(args)
    start = time.perf_counter()
    quiet = getattr(args, "quiet", False)
    with tqdm(
        total=total,
        unit="frame",
        desc=f"{args.effect} ({video.name})",
        leave=False,
        dynamic_ncols=True,
        disable=True if quiet else None,
    ) as progress:

        def write(job: tuple[Frame, Segmentation]) -> None:
            frame, seg = job
            writer.write(render_frame(effect, frame.rgb, seg, options), frame.time)
            if people is not None:
                people.write(seg, frame.index, frame.time)
            progress.update()

        frames = prefetched(reader)
        stream = video.segment_stream(frames, ahead=2)
        # closed in this order on any exit, so no thread still decodes once the reader is closed
        with closing(frames), closing(stream), BackgroundWorker(write) as output:
            for frame, seg in stream:
                output.submit((frame, seg))
    return writer.frames_written, time.perf_counter() - start
