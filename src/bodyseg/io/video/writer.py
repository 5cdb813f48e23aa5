"""Write videos or PNG frame folders atomically.

:class:`VideoWriter` encodes H.264 (libx264, yuv420p; MPEG-4 part 2 when this FFmpeg has no libx264)
into .mp4/.mov/.mkv/.avi, VP9 into .webm, or PNG frames into a folder. Frames with alpha go into
.webm as VP9 ``yuva420p`` (for the web), into .mov as ProRes 4444 ``yuva444p10le`` (what video
editors import with transparency), or into RGBA PNG frames. Timestamps are kept
(variable frame rates survive), the audio of a source video is copied packet by packet, and
everything goes to a temporary file or folder beside the destination that is renamed into place
only when the last frame is written: a failure or Ctrl-C leaves no partial output. H.264 and MPEG-4
need even sizes: odd widths or heights are padded by one pixel (the edge repeated) with a warning;
write PNG frames to keep the exact size. Written videos carry no rotation: their frames are stored upright.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from bodyseg.errors import InputError, OutputError
from bodyseg.io.atomic import ClosedOrAborted, atomic_folder, atomic_path, give_default_permissions
from bodyseg.io.video.formats import (
    CONTAINER_FORMATS,
    EVEN_SIZE_CODECS,
    TIME_BASE,
    VIDEO_SUFFIXES,
    _reason,
    choose_video_codec,
    encoder_options,
    import_av,
    is_video_file,
)

log = logging.getLogger(__name__)


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
                f"frame of {array.shape[1]}x{array.shape[0]} in a video of "
                f"{self._stream.width}x{self._stream.height}; all frames must have one size"
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


class VideoWriter(ClosedOrAborted):
    """Write frames to a video file or a folder of PNG frames; nothing appears until :meth:`close`.

    Use it as a context manager (or call :meth:`close` / :meth:`abort`): the temporary file is
    reserved when the writer is made, so an unwritable destination fails at once.

    The destination decides the format: a video suffix (.mp4, .mov, .mkv, .avi: H.264 yuv420p;
    .webm: VP9) makes a video, a path without a suffix (or an existing folder) makes PNG frames.
    Frames are HxW (grey), HxWx3 (RGB) or HxWx4 (RGBA) uint8; with ``alpha=True`` RGBA keeps its
    alpha in .webm (VP9 yuva420p), .mov (ProRes 4444, yuva444p10le) and PNG frames, and is refused
    for other containers.

    Args:
        path: the output file or folder (replaced if it exists: check before, as the CLI does).
        fps: the frame rate (the stream's nominal rate; given timestamps win).
        alpha: write the alpha channel (a .webm, a .mov or a folder).
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
                f"{self.path}: unknown video suffix {self.path.suffix!r}; use {', '.join(VIDEO_SUFFIXES)} or a "
                "folder for PNG frames"
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
