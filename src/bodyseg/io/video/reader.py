"""Read video files and frame folders as upright RGB frames, one at a time, with their timestamps.

From a video file PyAV (FFmpeg) can decode (mp4, mov, mkv, webm, avi) or from a folder of images
(sorted by name, numbers in names compared as numbers). Frames come upright, as players show them:
phone videos store the sensor's frames with a display rotation (a display matrix, or the older
``rotate`` tag), which the reader applies (:func:`~bodyseg.io.video.formats.display_rotation`), so a
portrait clip stored landscape is read as portrait. Damaged, truncated or empty inputs and codecs
FFmpeg cannot decode raise :class:`~bodyseg.errors.InputError`.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Iterator
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from bodyseg.errors import InputError
from bodyseg.io.images import DEFAULT_MAX_PIXELS, IMAGE_SUFFIXES, _check_pixel_count, read_image
from bodyseg.io.video.formats import (
    _FIX_HINT,
    DEFAULT_FOLDER_FPS,
    Frame,
    VideoInfo,
    _reason,
    display_rotation,
    frame_files,
    import_av,
    nominal_rate,
    turn_upright,
)

log = logging.getLogger(__name__)


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
                f"{self.path}: the folder holds no frames ({', '.join(IMAGE_SUFFIXES[:4])}, ...); give a video file "
                "or a folder of images"
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
                f"{self.path}: its video codec cannot be decoded by this FFmpeg (unknown or unsupported codec); "
                f"{_FIX_HINT}"
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
                    f"{file}: is {rgb.shape[1]}x{rgb.shape[0]} but the first frame is "
                    f"{self.info.width}x{self.info.height}; "
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
            # one frame's span from the times seen: a stream's nominal rate can be its clock (1000 in an AVI)
            spacing = (last - first) / (index - 1) if index > 1 else step
            self._check_complete(last - first + spacing, index)

    def _check_complete(self, decoded_seconds: float, frames: int) -> None:
        """Decoding stopped well before the end the header announces: the file was cut or damaged."""
        expected = self.info.duration
        if expected and decoded_seconds < 0.9 * expected - 2.0 / float(self.info.fps):
            raise InputError(
                f"{self.path}: the video stops after {frames} frames ({decoded_seconds:.2f} s of the {expected:.2f} "
                "s its header "
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


def _decoder_name(stream: Any) -> str | None:
    try:
        context = stream.codec_context
    except Exception:  # noqa: BLE001 - PyAV raises several types for a codec it does not know
        return None
    name = getattr(context, "name", None)
    return None if not name or name == "none" else str(name)


def _duration(container: Any, stream: Any) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    return container.duration / 1_000_000 if container.duration is not None else None


def _frame_count(stream: Any, fps: Fraction, duration: float | None) -> int | None:
    if stream.frames:
        return int(stream.frames)
    return max(1, round(duration * float(fps))) if duration else None
