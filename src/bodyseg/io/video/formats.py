"""What reading and writing video share: containers and codecs, frames and their facts, rotation."""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from bodyseg.errors import InputError, OutputError
from bodyseg.io.images import IMAGE_SUFFIXES

#: Container formats by file suffix (what :class:`VideoWriter` writes and the CLI treats as video).
CONTAINER_FORMATS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm", ".avi": "avi"}

log = logging.getLogger(__name__)


VIDEO_SUFFIXES = tuple(CONTAINER_FORMATS)


#: Frame rate assumed for a folder of frames when none is given.
DEFAULT_FOLDER_FPS = Fraction(25)


#: Encoders that need even widths and heights (4:2:0 chroma).
EVEN_SIZE_CODECS = ("libx264", "mpeg4")


#: Clock of written frame timestamps: fine enough for any frame rate, so variable rates survive.
TIME_BASE = Fraction(1, 90000)


_FIX_HINT = "re-export or re-download it, or convert it with: ffmpeg -i IN -c:v libx264 -pix_fmt yuv420p OUT.mp4"


class Frame(NamedTuple):
    """One decoded frame: ``rgb`` (HxWx3 uint8), ``time`` in seconds, ``index`` from 0."""

    rgb: np.ndarray
    time: float
    index: int


@dataclass(frozen=True)
class VideoInfo:
    """What a video (or frame folder) holds, read from its header.

    Attributes:
        path: the file or folder.
        width, height: frame size in pixels, upright (as the frames are read: after ``rotation``).
        fps: the average frame rate (for a folder: the one given, 25 by default).
        frames: the frame count, estimated from the duration where the container does not store it.
        codec: the video codec (for a folder: its first frame's suffix, ``"png"``, ``"jpg"``...).
        audio: the audio codec, or None without sound.
        duration: seconds, from the container's header (None when it does not say).
        rotation: clockwise degrees (0, 90, 180, 270) the stored frames are turned to stand
            upright, from the file's display rotation (see :func:`display_rotation`).
    """

    path: Path
    width: int
    height: int
    fps: Fraction
    frames: int | None
    codec: str
    audio: str | None = None
    duration: float | None = None
    rotation: int = 0


def import_av() -> Any:
    """Import PyAV, or say how to install it."""
    try:
        import av
    except ImportError:  # pragma: no cover - av is in the video extra
        raise InputError("video needs PyAV: pip install 'bodyseg[video]' (or pip install av)") from None
    return av


def is_video_file(path: str | os.PathLike) -> bool:
    """True when the suffix is one bodyseg reads and writes as video.

    Example:
        >>> is_video_file("dance.MP4"), is_video_file("frame.png")
        (True, False)
    """
    return Path(path).suffix.lower() in CONTAINER_FORMATS


def natural_key(path: Path) -> list[object]:
    """Sort key that compares the numbers in names as numbers (``f2.png`` before ``f10.png``).

    Example:
        >>> sorted([Path("f10.png"), Path("f2.png")], key=natural_key)
        [PosixPath('f2.png'), PosixPath('f10.png')]
    """
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


def frame_files(folder: Path) -> list[Path]:
    """The images directly inside ``folder``, in frame order."""
    return sorted((p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES), key=natural_key)


def display_rotation(frame_rotation: float | None, rotate_tag: str | None) -> int:
    """Clockwise degrees (0, 90, 180 or 270) a decoded frame must turn to look as players show it.

    Phones store frames as the sensor sees them and say how to turn them for display: newer FFmpeg
    as a display matrix on each decoded frame (PyAV's ``frame.rotation``, counter-clockwise degrees),
    older FFmpeg as the stream's ``rotate`` tag (clockwise degrees). The frame's matrix wins where it
    turns at all; angles are rounded to a quarter turn, and a tag that is not a number is ignored
    with a warning. Mirroring in a display matrix is not applied (phones do not write it).

    Args:
        frame_rotation: ``frame.rotation`` of the first decoded frame (None when PyAV lacks it).
        rotate_tag: the video stream's ``rotate`` metadata (None when absent).

    Example:
        >>> display_rotation(-90, None), display_rotation(0, "90")
        (90, 90)
        >>> display_rotation(None, "-90"), display_rotation(180, "90")
        (270, 180)
    """
    if frame_rotation:
        return _quarter_turn(-float(frame_rotation))
    if rotate_tag is None:
        return 0
    try:
        return _quarter_turn(float(rotate_tag))
    except ValueError:
        log.warning("the video's rotate tag %r is not a number of degrees; frames are read as stored", rotate_tag)
        return 0


def _quarter_turn(degrees: float) -> int:
    """Degrees rounded to 0, 90, 180 or 270 (``-90 -> 270``)."""
    return int(round(degrees / 90.0)) % 4 * 90


def turn_upright(rgb: np.ndarray, clockwise: int) -> np.ndarray:
    """The frame turned ``clockwise`` degrees (a multiple of 90), contiguous in memory.

    Example:
        >>> turn_upright(np.array([[0, 1, 2], [3, 4, 5]]), 90).tolist()
        [[3, 0], [4, 1], [5, 2]]
    """
    if clockwise % 360 == 0:
        return rgb
    return np.ascontiguousarray(np.rot90(rgb, k=-(clockwise // 90)))


def nominal_rate(average: Fraction | None, base: Fraction | None) -> Fraction:
    """The stream's nominal frame rate: the base rate (exact, e.g. 24 or 30000/1001) where the average
    measured over the file agrees with it within 1%, else the average (variable frame rates).

    Example:
        >>> nominal_rate(Fraction(12800, 533), Fraction(24)), nominal_rate(Fraction(20), Fraction(1000))
        (Fraction(24, 1), Fraction(20, 1))
    """
    if average and base and abs(average / base - 1) < 0.01:
        return Fraction(base)
    return Fraction(average or base or DEFAULT_FOLDER_FPS)


def codec_available(name: str) -> bool:
    """True when this FFmpeg can encode with ``name`` (``"libx264"``, ``"libvpx-vp9"``...)."""
    av = import_av()
    try:
        av.codec.Codec(name, "w")
    except Exception:  # noqa: BLE001 - UnknownCodecError and FFmpeg errors alike
        return False
    return True


#: Output formats ``--format`` names, by the suffix each writes (``png``: a folder of PNG frames).
OUTPUT_FORMATS = {"mp4": ".mp4", "mov": ".mov", "mkv": ".mkv", "webm": ".webm", "png": ""}

#: Containers that keep transparency, and the encoder and pixel format that carry it.
ALPHA_CODECS = {".webm": ("libvpx-vp9", "yuva420p"), ".mov": ("prores_ks", "yuva444p10le")}


def format_of(path: str | os.PathLike) -> str:
    """The ``--format`` name a destination's suffix means (no suffix: ``png``, a folder of frames).

    Example:
        >>> format_of("cut.MOV"), format_of("cut.webm"), format_of("frames"), format_of("clip.m4v")
        ('mov', 'webm', 'png', 'mp4')
    """
    suffix = Path(path).suffix.lower()
    if not suffix:
        return "png"
    if suffix not in CONTAINER_FORMATS:
        raise OutputError(
            f"{path}: unknown video suffix {suffix!r}; use {', '.join(VIDEO_SUFFIXES)} or a folder for PNG frames"
        )
    return {"matroska": "mkv"}.get(CONTAINER_FORMATS[suffix], CONTAINER_FORMATS[suffix])


def choose_video_codec(suffix: str, alpha: bool) -> tuple[str, str]:
    """``(encoder, pixel format)`` for a file suffix: VP9 for .webm, else H.264 (MPEG-4 fallback);
    with ``alpha``: VP9 ``yuva420p`` in .webm, ProRes 4444 ``yuva444p10le`` in .mov (what editors import).

    Raises:
        OutputError: alpha asked for a container other than .webm or .mov, or no encoder is available.

    Example:
        >>> choose_video_codec(".mov", alpha=True)
        ('prores_ks', 'yuva444p10le')
    """
    if alpha and suffix in ALPHA_CODECS:
        return ALPHA_CODECS[suffix]
    if suffix == ".webm":
        return "libvpx-vp9", "yuv420p"
    if alpha:
        raise OutputError(
            f"{suffix} video cannot hold transparency; write the cut-out as .mov (ProRes 4444 with alpha, for "
            "editors), .webm (VP9 with alpha, for the web) or to a folder of PNG frames (-o FOLDER)"
        )
    for codec in ("libx264", "mpeg4"):
        if codec_available(codec):
            if codec != "libx264":
                log.warning("this FFmpeg has no H.264 encoder (libx264); writing MPEG-4 part 2 (mp4v) instead")
            return codec, "yuv420p"
    raise OutputError(
        "this FFmpeg can encode neither H.264 nor MPEG-4; install a PyAV wheel with libx264 (pip install av)"
    )


def encoder_options(codec: str, quality: int = 20, preset: str = "veryfast") -> dict[str, str]:
    """FFmpeg options for an encoder: constant quality, tuned for speed.

    Example:
        >>> encoder_options("libx264", 18)
        {'crf': '18', 'preset': 'veryfast'}
    """
    if codec == "libx264":
        return {"crf": str(quality), "preset": preset}
    if codec == "prores_ks":  # ProRes 4444 (profile 4): alpha, 4:4:4; its size is set by the profile, not a crf
        return {"profile": "4444", "vendor": "apl0"}
    if codec == "libvpx-vp9":  # VP9's crf scale runs to 63; realtime settings keep it near H.264's speed
        return {"crf": str(min(63, quality + 11)), "b": "0", "deadline": "realtime", "cpu-used": "8", "row-mt": "1"}
    return {}


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return text.split(": '")[0].strip() or type(exc).__name__
