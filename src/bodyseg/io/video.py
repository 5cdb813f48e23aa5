"""Read video files and frame folders as RGB frames; write videos or PNG frame folders atomically.

Reading (:func:`read_video_frames`, :class:`VideoReader`) streams one frame at a time, with its
timestamp in seconds, from a video file PyAV (FFmpeg) can decode (mp4, mov, mkv, webm, avi) or from
a folder of images (sorted by name, numbers in names compared as numbers). Frames come upright, as
players show them: phone videos store the sensor's frames with a display rotation (a display matrix,
or the older ``rotate`` tag), which the reader applies (:func:`display_rotation`), so a portrait
clip stored landscape is read as portrait. Damaged, truncated or empty inputs and codecs FFmpeg
cannot decode raise :class:`~bodyseg.errors.InputError`.

Writing (:class:`VideoWriter`) encodes H.264 (libx264, yuv420p; MPEG-4 part 2 when this FFmpeg
has no libx264) into .mp4/.mov/.mkv/.avi, VP9 into .webm (``yuva420p`` when the frames carry
alpha: the one video format here that keeps a cut-out's transparency), or PNG frames into a
folder. Timestamps are kept (variable frame rates survive), the audio of a source video is copied
packet by packet, and everything goes to a temporary file or folder beside the destination that
is renamed into place only when the last frame is written: a failure or Ctrl-C leaves no partial
output. H.264 and MPEG-4 need even sizes: odd widths or heights are padded by one pixel (the edge
repeated) with a warning; write PNG frames to keep the exact size. Written videos carry no
rotation: their frames are stored upright.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from PIL import Image

from bodyseg.errors import InputError, OutputError
from bodyseg.io.images import DEFAULT_MAX_PIXELS, IMAGE_SUFFIXES, _check_pixel_count, atomic_path, read_image

log = logging.getLogger(__name__)

#: Container formats by file suffix (what :class:`VideoWriter` writes and the CLI treats as video).
CONTAINER_FORMATS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm", ".avi": "avi"}
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


class VideoReader:
    """Frames of a video file or a folder of frames, streamed one at a time.

    Args:
        path: a video file or a folder of images.
        fps: frame rate of a folder of frames (default 25); ignored for video files, whose
            timestamps are read from the file.
        max_pixels: refuse frames with more pixels than this.

    Raises:
        InputError: missing, empty, damaged or truncated input; no video stream; a codec FFmpeg
            cannot decode; no frames; frames of different sizes in a folder.

    A reader streams its frames once; open another one to read them again. Opening a video file
    decodes its first frame (kept for the iteration): newer FFmpeg tells the display rotation only
    on decoded frames, and :attr:`info` gives the upright size.

    Example:
        >>> with VideoReader("dance.mp4") as reader:  # doctest: +SKIP
        ...     print(reader.info.fps, reader.info.frames)
        ...     for frame in reader:
        ...         print(frame.index, frame.time, frame.rgb.shape)
    """

    def __init__(
        self, path: str | os.PathLike, *, fps: float | Fraction | None = None, max_pixels: int = DEFAULT_MAX_PIXELS
    ) -> None:
        self.path = Path(path)
        self.max_pixels = max_pixels
        self._container: Any = None
        self._decoded: Iterator[Any] = iter(())
        self._stored_size: tuple[int, int] = (0, 0)
        if not self.path.exists():
            raise InputError(f"{self.path}: no such file or folder; check the path")
        self._files = frame_files(self.path) if self.path.is_dir() else []
        try:
            self.info = (
                self._probe_folder(Fraction(fps or DEFAULT_FOLDER_FPS).limit_denominator(1001))
                if self.path.is_dir()
                else self._probe_file()
            )
            _check_pixel_count(self.path, (self.info.width, self.info.height), max_pixels)
        except BaseException:
            self.close()
            raise

    def _probe_folder(self, fps: Fraction) -> VideoInfo:
        if not self._files:
            raise InputError(
                f"{self.path}: the folder holds no frames ({', '.join(IMAGE_SUFFIXES[:4])}, ...); give a video file or a folder of images"
            )
        first = read_image(self._files[0], max_pixels=self.max_pixels)
        return VideoInfo(
            self.path, first.shape[1], first.shape[0], fps, len(self._files), self._files[0].suffix.lower().lstrip(".")
        )

    def _probe_file(self) -> VideoInfo:
        if self.path.stat().st_size == 0:
            raise InputError(f"{self.path}: the file is empty; {_FIX_HINT}")
        av = import_av()
        try:
            self._container = av.open(str(self.path), metadata_errors="ignore")
        except (av.FFmpegError, UnicodeDecodeError) as exc:
            raise InputError(
                f"{self.path}: not a video FFmpeg can read, or damaged or truncated ({_reason(exc)}); {_FIX_HINT}"
            ) from None
        info = self._describe(self._container)
        _check_pixel_count(self.path, (info.width, info.height), self.max_pixels)  # before any frame is decoded
        self._stored_size = (info.width, info.height)
        rotation = self._peek_rotation(self._container.streams.video[0])
        if rotation:
            log.info(
                "%s: stored %dx%d with a display rotation of %d degrees clockwise; frames are turned upright",
                self.path,
                info.width,
                info.height,
                rotation,
            )
        width, height = (info.height, info.width) if rotation in (90, 270) else (info.width, info.height)
        return replace(info, width=width, height=height, rotation=rotation)

    def _peek_rotation(self, stream: Any) -> int:
        """Decode the first frame (kept for :meth:`_file_frames`) and read the display rotation."""
        av = import_av()
        stream.thread_type = "AUTO"
        decoded = self._container.decode(stream)
        try:
            first = next(decoded, None)
        except av.FFmpegError as exc:
            raise InputError(
                f"{self.path}: the video is damaged or truncated at frame 0 ({_reason(exc)}); {_FIX_HINT}"
            ) from None
        self._decoded = decoded if first is None else itertools.chain([first], decoded)
        return display_rotation(getattr(first, "rotation", None), stream.metadata.get("rotate"))

    def _describe(self, container: Any) -> VideoInfo:
        if not container.streams.video:
            raise InputError(f"{self.path}: holds no video stream (audio or data only); give a video file")
        stream = container.streams.video[0]
        codec = _decoder_name(stream)
        if codec is None or not stream.width or not stream.height:
            raise InputError(
                f"{self.path}: its video codec cannot be decoded by this FFmpeg (unknown or unsupported codec); {_FIX_HINT}"
            )
        fps = nominal_rate(stream.average_rate, stream.base_rate)
        audio = container.streams.audio[0].codec_context.name if container.streams.audio else None
        duration = _duration(container, stream)
        return VideoInfo(
            self.path, stream.width, stream.height, fps, _frame_count(stream, fps, duration), codec, audio, duration
        )

    def __iter__(self) -> Iterator[Frame]:
        frames = self._folder_frames() if self.path.is_dir() else self._file_frames()
        count = 0
        for frame in frames:
            count += 1
            yield frame
        if count == 0:
            raise InputError(f"{self.path}: holds no video frames; {_FIX_HINT}")

    def _folder_frames(self) -> Iterator[Frame]:
        step = 1.0 / float(self.info.fps)
        for index, file in enumerate(self._files):
            rgb = read_image(file, max_pixels=self.max_pixels)
            if rgb.shape[:2] != (self.info.height, self.info.width):
                raise InputError(
                    f"{file}: is {rgb.shape[1]}x{rgb.shape[0]} but the first frame is {self.info.width}x{self.info.height}; "
                    "all frames of a folder must have one size"
                )
            yield Frame(rgb, index * step, index)

    def _file_frames(self) -> Iterator[Frame]:
        av = import_av()
        step, first, last, index = 1.0 / float(self.info.fps), None, None, 0
        try:
            for frame in self._decoded:
                time = frame.time
                if time is None or (last is not None and time <= last):
                    time = 0.0 if last is None else last + step
                yield Frame(self._to_rgb(frame), float(time), index)
                first, last, index = time if first is None else first, time, index + 1
        except av.FFmpegError as exc:
            raise InputError(
                f"{self.path}: the video is damaged or truncated at frame {index} ({_reason(exc)}); {_FIX_HINT}"
            ) from None
        finally:
            self.close()
        if last is not None and first is not None:
            self._check_complete(last - first + step, index)

    def _check_complete(self, decoded_seconds: float, frames: int) -> None:
        """Decoding stopped well before the end the header announces: the file was cut or damaged."""
        expected = self.info.duration
        if expected and decoded_seconds < 0.9 * expected - 2.0 / float(self.info.fps):
            raise InputError(
                f"{self.path}: the video stops after {frames} frames ({decoded_seconds:.2f} s of the {expected:.2f} s its header "
                f"announces): it is truncated or damaged; {_FIX_HINT}"
            )

    def _to_rgb(self, frame: Any) -> np.ndarray:
        width, height = self._stored_size
        if (frame.width, frame.height) != (width, height):
            frame = frame.reformat(width=width, height=height)
        return turn_upright(frame.to_ndarray(format="rgb24"), self.info.rotation)

    def close(self) -> None:
        """Close the file (safe to call twice)."""
        self._decoded = iter(())
        if self._container is not None:
            self._container.close()
            self._container = None

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_video_frames(
    path: str | os.PathLike, *, fps: float | Fraction | None = None, max_pixels: int = DEFAULT_MAX_PIXELS
) -> Iterator[Frame]:
    """Yield the frames of a video file or frame folder as :class:`Frame` (rgb, time, index).

    Memory stays flat: one decoded frame at a time. See :class:`VideoReader` for the arguments
    and errors (raised at the first ``next()``).

    Example:
        >>> for rgb, time, index in read_video_frames("dance.mp4"):  # doctest: +SKIP
        ...     print(index, f"{time:.3f}s", rgb.shape)
    """
    with VideoReader(path, fps=fps, max_pixels=max_pixels) as reader:
        yield from reader


def probe_video(path: str | os.PathLike, *, fps: float | Fraction | None = None) -> VideoInfo:
    """Size (upright), rotation, frame rate, frame count, codecs of a video file or frame folder.

    Only the first frame is decoded (for the display rotation newer FFmpeg attaches to frames).

    Example:
        >>> probe_video("dance.mp4").fps  # doctest: +SKIP
        Fraction(30, 1)
    """
    with VideoReader(path, fps=fps, max_pixels=2**62) as reader:
        return reader.info


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
        >>> display_rotation(-90, None), display_rotation(0, "90"), display_rotation(None, "-90"), display_rotation(180, "90")
        (90, 90, 270, 180)
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


def _decoder_name(stream: Any) -> str | None:
    try:
        context = stream.codec_context
    except Exception:  # noqa: BLE001 - PyAV raises several types for a codec it does not know
        return None
    name = getattr(context, "name", None)
    return None if not name or name == "none" else str(name)


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


def _duration(container: Any, stream: Any) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    return container.duration / 1_000_000 if container.duration is not None else None


def _frame_count(stream: Any, fps: Fraction, duration: float | None) -> int | None:
    if stream.frames:
        return int(stream.frames)
    return max(1, round(duration * float(fps))) if duration else None


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return text.split(": '")[0].strip() or type(exc).__name__


# ---------------------------------------------------------------- writing


def codec_available(name: str) -> bool:
    """True when this FFmpeg can encode with ``name`` (``"libx264"``, ``"libvpx-vp9"``...)."""
    av = import_av()
    try:
        av.codec.Codec(name, "w")
    except Exception:  # noqa: BLE001 - UnknownCodecError and FFmpeg errors alike
        return False
    return True


def choose_video_codec(suffix: str, alpha: bool) -> tuple[str, str]:
    """``(encoder, pixel format)`` for a file suffix: VP9 for .webm, else H.264 (MPEG-4 fallback).

    Raises:
        OutputError: alpha asked for a container other than .webm, or no encoder is available.

    Example:
        >>> choose_video_codec(".webm", alpha=True)  # doctest: +SKIP
        ('libvpx-vp9', 'yuva420p')
    """
    if suffix == ".webm":
        return "libvpx-vp9", "yuva420p" if alpha else "yuv420p"
    if alpha:
        raise OutputError(
            f"{suffix} video cannot hold transparency; write the cut-out as .webm (VP9 with alpha) or to a folder of PNG frames (-o FOLDER)"
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
    if codec == "libvpx-vp9":  # VP9's crf scale runs to 63; realtime settings keep it near H.264's speed
        return {"crf": str(min(63, quality + 11)), "b": "0", "deadline": "realtime", "cpu-used": "8", "row-mt": "1"}
    return {}


def snap_to_frame_grid(time: float, fps: Fraction, tolerance: float = 0.05) -> Fraction | float:
    """A time within ``tolerance`` frames of ``k / fps`` becomes exactly that (a constant frame rate
    read from millisecond timestamps stays exactly constant); other times are kept (variable rates).

    Example:
        >>> snap_to_frame_grid(0.042, Fraction(24)), snap_to_frame_grid(0.3, Fraction(24))
        (Fraction(1, 24), 0.3)
    """
    frames = time * float(fps)
    return Fraction(round(frames)) / fps if abs(frames - round(frames)) < tolerance else time


def pad_to_even(image: np.ndarray) -> np.ndarray:
    """Repeat the last row / column so both sides are even (what 4:2:0 video needs).

    Example:
        >>> pad_to_even(np.zeros((3, 4, 3), np.uint8)).shape
        (4, 4, 3)
    """
    h, w = image.shape[:2]
    pad = ((0, h % 2), (0, w % 2)) + ((0, 0),) * (image.ndim - 2)
    return np.pad(image, pad, mode="edge") if h % 2 or w % 2 else image


def _as_channels(image: np.ndarray, channels: int) -> np.ndarray:
    """Grey, RGB or RGBA uint8 as ``channels`` (3 or 4; missing alpha is opaque)."""
    a = np.asarray(image)
    if a.dtype != np.uint8:
        raise InputError(f"video frames must be uint8 arrays, got {a.dtype}")
    if a.ndim == 2:
        a = np.repeat(a[..., None], 3, axis=2)
    if a.ndim != 3 or a.shape[2] not in (3, 4):
        raise InputError(f"a video frame must be HxW, HxWx3 or HxWx4, got shape {a.shape}")
    if channels == 3:
        return np.ascontiguousarray(a[..., :3])
    if a.shape[2] == 3:
        return np.dstack([a, np.full(a.shape[:2], 255, np.uint8)])
    return np.ascontiguousarray(a)


@contextlib.contextmanager
def atomic_folder(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; it replaces ``path`` only if the block succeeds.

    An existing ``path`` is replaced as a whole (the caller decides whether that is allowed).

    Example:
        >>> with atomic_folder("frames") as tmp:  # doctest: +SKIP
        ...     write_image(tmp / "00000.png", rgb)
    """
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".part", dir=parent))
    except OSError as exc:
        raise OutputError(
            f"{path}: cannot write to {parent} ({exc.strerror or exc}); choose another output folder"
        ) from None
    try:
        yield tmp
        _replace_folder(tmp, path)
    except OSError as exc:
        raise OutputError(
            f"{path}: could not be written ({exc.strerror or exc}); check free space and permissions"
        ) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def give_default_permissions(path: Path) -> None:
    """Undo ``mkstemp``/``mkdtemp``'s owner-only mode: what a plain ``open``/``mkdir`` would give."""
    mask = os.umask(0)
    os.umask(mask)
    path.chmod((0o777 if path.is_dir() else 0o666) & ~mask)


def _replace_folder(new: Path, path: Path) -> None:
    if not path.exists():
        os.replace(new, path)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
    os.replace(path, old / path.name)
    os.replace(new, path)
    shutil.rmtree(old, ignore_errors=True)


class _AudioCopy:
    """Copies the audio packets of a source video into an output container, in time order."""

    def __init__(self, source: Path, output: Any, suffix: str) -> None:
        av = import_av()
        self._input = av.open(str(source), metadata_errors="ignore")
        self._packets: Iterator[Any] = iter(())
        self._pending: Any = None
        stream = self._input.streams.audio[0] if self._input.streams.audio else None
        if stream is None:
            self.close()
            return
        if stream.codec_context.name not in output.supported_codecs:
            log.warning(
                "%s: its %s audio cannot go into a %s file and is left out; write .mkv or .mp4 to keep it",
                source,
                stream.codec_context.name,
                suffix,
            )
            self.close()
            return
        self._stream = output.add_stream_from_template(stream)
        self._packets = self._input.demux(stream)

    def mux_until(self, output: Any, seconds: float | None) -> None:
        """Mux the packets that start at or before ``seconds`` (all that remain when None)."""
        while True:
            packet = self._pending or next(self._packets, None)
            self._pending = None
            if packet is None:
                return
            if packet.dts is None:
                continue
            if seconds is not None and packet.pts is not None and float(packet.pts * packet.time_base) > seconds:
                self._pending = packet
                return
            packet.stream = self._stream
            output.mux(packet)

    def close(self) -> None:
        self._packets = iter(())
        if self._input is not None:
            self._input.close()
            self._input = None


class _FileSink:
    """An encoder and container writing into an already reserved temporary file."""

    def __init__(
        self, tmp: Path, target: Path, fps: Fraction, alpha: bool, audio_from: Path | None, options: dict[str, Any]
    ) -> None:
        av = import_av()
        self.target = target
        self.fps = fps
        self.codec, self.pix_fmt = choose_video_codec(target.suffix.lower(), alpha)
        self._channels = 4 if alpha else 3
        self._av = av
        self._options = options
        self._audio_from = audio_from
        self._audio: _AudioCopy | None = None
        self._stream: Any = None
        self._last_pts = -1
        try:
            self._output = av.open(str(tmp), "w", format=CONTAINER_FORMATS[target.suffix.lower()])
        except av.FFmpegError as exc:
            raise OutputError(
                f"{target}: cannot open for writing ({_reason(exc)}); check the folder's permissions"
            ) from None

    def _start(self, width: int, height: int) -> None:
        if self.codec in EVEN_SIZE_CODECS and (width % 2 or height % 2):
            log.warning(
                "%s: %dx%d frames padded to %dx%d (the edge repeated) because H.264 needs even sizes; "
                "write PNG frames (-o FOLDER) to keep the exact size",
                self.target,
                width,
                height,
                width + width % 2,
                height + height % 2,
            )
            width, height = width + width % 2, height + height % 2
        stream = self._output.add_stream(
            self.codec, rate=self.fps, options=encoder_options(self.codec, **self._options)
        )
        stream.width, stream.height, stream.pix_fmt = width, height, self.pix_fmt
        stream.time_base = stream.codec_context.time_base = TIME_BASE
        stream.thread_type = "AUTO"
        stream.bit_rate = int(width * height * float(self.fps) * 0.25) if self.codec == "mpeg4" else 0
        self._stream = stream
        if self._audio_from is not None:
            self._audio = _AudioCopy(self._audio_from, self._output, self.target.suffix.lower())

    def write(self, image: np.ndarray, time: float) -> None:
        array = _as_channels(image, self._channels)
        if self._stream is None:
            self._start(array.shape[1], array.shape[0])
        if self.codec in EVEN_SIZE_CODECS:
            array = pad_to_even(array)
        if array.shape[:2] != (self._stream.height, self._stream.width):
            raise InputError(
                f"frame of {array.shape[1]}x{array.shape[0]} in a video of {self._stream.width}x{self._stream.height}; all frames must have one size"
            )
        frame = self._av.VideoFrame.from_ndarray(array, format="rgba" if self._channels == 4 else "rgb24")
        pts = max(round(snap_to_frame_grid(time, self.fps) / self._stream.time_base), self._last_pts + 1)
        frame.pts, frame.time_base, self._last_pts = pts, self._stream.time_base, pts
        self._mux(self._stream.encode(frame))

    def _mux(self, packets: list[Any]) -> None:
        for packet in packets:
            if self._audio is not None and packet.pts is not None:
                self._audio.mux_until(self._output, float(packet.pts * packet.time_base))
            self._output.mux(packet)

    def finish(self) -> None:
        if self._stream is None:
            raise InputError(f"{self.target}: no frame was written; the input holds no frames")
        self._mux(self._stream.encode(None))
        if self._audio is not None:
            self._audio.mux_until(self._output, None)
        self.close()

    def close(self) -> None:
        if self._audio is not None:
            self._audio.close()
            self._audio = None
        if self._output is not None:
            try:
                self._output.close()
            finally:
                self._output = None


class _FolderSink:
    """PNG frames ``00000.png, 00001.png...`` in an already reserved temporary folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def write(self, image: np.ndarray, time: float) -> None:
        Image.fromarray(np.asarray(image)).save(self.folder / f"{self.count:05d}.png", format="PNG", compress_level=1)
        self.count += 1

    def finish(self) -> None:
        if self.count == 0:
            raise InputError(f"{self.folder}: no frame was written; the input holds no frames")

    def close(self) -> None:
        pass


class VideoWriter:
    """Write frames to a video file or a folder of PNG frames; nothing appears until :meth:`close`.

    Use it as a context manager (or call :meth:`close` / :meth:`abort`): the temporary file is
    reserved when the writer is made, so an unwritable destination fails at once.

    The destination decides the format: a video suffix (.mp4, .mov, .mkv, .avi: H.264 yuv420p;
    .webm: VP9) makes a video, a path without a suffix (or an existing folder) makes PNG frames.
    Frames are HxW (grey), HxWx3 (RGB) or HxWx4 (RGBA) uint8; RGBA keeps its alpha in .webm
    (``alpha=True``: VP9 yuva420p) and in PNG frames, and is refused for other containers.

    Args:
        path: the output file or folder (replaced if it exists: check before, as the CLI does).
        fps: the frame rate (the stream's nominal rate; given timestamps win).
        alpha: write the alpha channel (a .webm or a folder).
        audio_from: a video whose audio is copied into the output (no re-encoding); skipped with
            a warning when the container cannot hold that audio codec.
        quality: H.264 / VP9 constant rate factor (lower is better and larger; 18-23 is good).
        preset: libx264 speed preset (``"veryfast"`` by default; ``"medium"`` for smaller files).

    Example:
        >>> with VideoWriter("out.mp4", fps=25) as writer:  # doctest: +SKIP
        ...     for rgb, time, _ in read_video_frames("dance.mp4"):
        ...         writer.write(rgb, time)
    """

    def __init__(
        self,
        path: str | os.PathLike,
        fps: float | Fraction = 25,
        *,
        alpha: bool = False,
        audio_from: str | os.PathLike | None = None,
        quality: int = 20,
        preset: str = "veryfast",
    ) -> None:
        self.path = Path(path)
        self.fps = Fraction(fps).limit_denominator(1001)
        if self.fps <= 0:
            raise InputError(f"fps must be positive, got {fps}")
        self.is_folder = self.path.is_dir() or not self.path.suffix
        if not self.is_folder and not is_video_file(self.path):
            raise OutputError(
                f"{self.path}: unknown video suffix {self.path.suffix!r}; use {', '.join(VIDEO_SUFFIXES)} or a folder for PNG frames"
            )
        if not self.is_folder:
            try:
                choose_video_codec(self.path.suffix.lower(), alpha)  # refuse alpha in H.264 before any work
            except OutputError as exc:
                raise OutputError(f"{self.path}: {exc}") from None
        self.alpha = alpha
        self.audio_from = Path(audio_from) if audio_from is not None and not Path(audio_from).is_dir() else None
        self._options = {"quality": quality, "preset": preset}
        self._stack = contextlib.ExitStack()
        # Reserve the temporary file or folder now: an unwritable destination fails before any work.
        self._tmp = self._stack.enter_context(atomic_folder(self.path) if self.is_folder else atomic_path(self.path))
        give_default_permissions(self._tmp)
        self._sink: _FileSink | _FolderSink | None = None
        self.frames_written = 0

    def _open(self) -> _FileSink | _FolderSink:
        if self.is_folder:
            return _FolderSink(self._tmp)
        sink = _FileSink(self._tmp, self.path, self.fps, self.alpha, self.audio_from, self._options)
        self._stack.callback(sink.close)
        return sink

    def write(self, image: np.ndarray, time: float | None = None) -> None:
        """Add the next frame; ``time`` in seconds (by default ``index / fps``)."""
        if self._sink is None:
            self._sink = self._open()
        self._sink.write(image, self.frames_written / float(self.fps) if time is None else float(time))
        self.frames_written += 1

    def close(self) -> Path:
        """Finish the file and move it into place; returns the output path."""
        try:
            if self._sink is None:
                raise InputError(f"{self.path}: no frame was written; the input holds no frames")
            self._sink.finish()
        except BaseException:
            self.abort()
            raise
        self._stack.close()
        return self.path

    def abort(self) -> None:
        """Drop everything written so far; the destination is left as it was. Safe to call twice."""
        error = OutputError(f"{self.path}: writing was aborted")
        with contextlib.suppress(OutputError):
            self._stack.__exit__(OutputError, error, None)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
