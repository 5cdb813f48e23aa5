"""Small media files for the reliability tests and the fuzz driver: well-formed videos and images of
every awkward kind (odd sizes, rotation, 10-bit, variable frame rate, audio only, animations), the
ways to damage them, and one way to run the ``bodyseg`` command on them and judge what came out.

Everything is synthesised with PyAV and Pillow in a temporary folder: no data set is needed.

Example:
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> clip = encode_video(folder / "a.mp4", count=3)
    >>> clip.stat().st_size > 0
    True
    >>> len(mutate(b"0123456789", "truncate", np.random.default_rng(0))) < 10
    True
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image

#: Width and height of the synthetic clips (the brief: a few frames, 64x48).
WIDTH, HEIGHT = 64, 48

#: The command line that runs ``bodyseg`` from the checkout under test (no console script needed).
BODYSEG = [sys.executable, "-c", "import sys; from bodyseg.cli import main; sys.exit(main(sys.argv[1:]))"]

#: The quickest method that still runs a real model on every frame.
FUZZ_METHOD = "mediapipe-selfie"


def frames(count: int, width: int = WIDTH, height: int = HEIGHT, seed: int = 0) -> list[np.ndarray]:
    """``count`` RGB frames: a bright block moving over a noisy gradient (something for codecs to code)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:height, :width]
    base = np.dstack([xx * 255 // max(width - 1, 1), yy * 255 // max(height - 1, 1), np.full_like(xx, 90)])
    out = []
    for i in range(count):
        rgb = np.clip(base + rng.integers(-20, 20, base.shape), 0, 255).astype(np.uint8)
        x0 = (4 + 5 * i) % max(width - 12, 1)
        rgb[height // 4 : height // 4 + 12, x0 : x0 + 12] = (240, 200, 60)
        out.append(rgb)
    return out


def encode_video(
    path: Path,
    count: int = 5,
    width: int = WIDTH,
    height: int = HEIGHT,
    *,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    fps: int = 10,
    times: Sequence[float] | None = None,
    rotation: int = 0,
    audio: bool = False,
    container_format: str | None = None,
) -> Path:
    """Encode ``count`` synthetic frames with PyAV (not bodyseg's writer).

    ``times`` gives each frame's timestamp in seconds (variable frame rate); ``rotation`` tags the
    stream to be shown turned clockwise (a phone's display matrix); ``audio`` adds a 440 Hz track.
    """
    import av

    suffix = path.suffix.lower()
    fmt = container_format or {".mkv": "matroska", ".m4a": "mp4"}.get(suffix, suffix[1:])
    with av.open(str(path), "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        if rotation:
            stream.set_display_rotation(-rotation)  # PyAV counts counter-clockwise
        time_base = Fraction(1, 1000)
        stream.time_base = stream.codec_context.time_base = time_base
        sound = _add_sine(container) if audio else None
        for i, rgb in enumerate(frames(count, width, height)):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = round((times[i] if times is not None else i / fps) / time_base)
            frame.time_base = time_base
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
        if sound is not None:
            _write_sine(container, sound, count / fps)
    return path


def encode_audio_only(path: Path, seconds: float = 0.5) -> Path:
    """An .m4a (mp4 container) holding only an AAC track."""
    import av

    with av.open(str(path), "w", format="mp4") as container:
        _write_sine(container, _add_sine(container), seconds)
    return path


def encode_empty_stream(path: Path) -> Path:
    """A container that declares an H.264 video stream but holds no frame."""
    import av

    with av.open(str(path), "w", format="matroska" if path.suffix == ".mkv" else "mp4") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        container.start_encoding()
    return path


def _add_sine(container):  # noqa: ANN001, ANN202 - PyAV objects
    stream = container.add_stream("aac", rate=16000)
    stream.layout = "mono"
    return stream


def _write_sine(container, stream, seconds: float, rate: int = 16000) -> None:  # noqa: ANN001
    import av

    samples = (0.3 * np.sin(2 * np.pi * 440 * np.arange(int(rate * seconds)) / rate)).astype(np.float32)
    for start in range(0, len(samples), 1024):
        chunk = av.AudioFrame.from_ndarray(samples[None, start : start + 1024], format="fltp", layout="mono")
        chunk.sample_rate, chunk.pts = rate, start
        container.mux(stream.encode(chunk))
    container.mux(stream.encode(None))


def save_animation(path: Path, count: int = 4, width: int = WIDTH, height: int = HEIGHT) -> Path:
    """An animated GIF or WebP, or a multi-page TIFF (by suffix), of ``count`` synthetic frames."""
    images = [Image.fromarray(rgb) for rgb in frames(count, width, height)]
    options = {"duration": 100, "loop": 0} if path.suffix.lower() in (".gif", ".webp") else {}
    images[0].save(path, save_all=True, append_images=images[1:], **options)
    return path


#: Well-formed inputs of ``bodyseg video``: name -> maker(folder) -> path. Each should give exit 0
#: (or, where the format is not one bodyseg reads, exit 2 with one clear line).
VIDEO_SEEDS: dict[str, Callable[[Path], Path]] = {
    "h264.mp4": lambda d: encode_video(d / "h264.mp4"),
    "h264-audio.mp4": lambda d: encode_video(d / "h264-audio.mp4", audio=True),
    "odd-65x49.mkv": lambda d: encode_video(d / "odd.mkv", width=65, height=49, pix_fmt="yuv444p"),
    "rotated-90.mp4": lambda d: encode_video(d / "rotated.mp4", rotation=90),
    "10bit.mkv": lambda d: encode_video(d / "10bit.mkv", pix_fmt="yuv420p10le"),
    "vfr.mp4": lambda d: encode_video(d / "vfr.mp4", count=6, times=[0, 0.04, 0.05, 0.3, 0.31, 0.9]),
    "vp9.webm": lambda d: encode_video(d / "vp9.webm", codec="libvpx-vp9"),
    "mpeg4.avi": lambda d: encode_video(d / "mpeg4.avi", codec="mpeg4"),
    "one-frame.mp4": lambda d: encode_video(d / "one.mp4", count=1),
    "anim.gif": lambda d: save_animation(d / "anim.gif"),
}

#: Inputs that are broken by construction: each must give exit 2 and one line naming the file.
VIDEO_BROKEN: dict[str, Callable[[Path], Path]] = {
    "audio-only.m4a": lambda d: encode_audio_only(d / "audio.m4a"),
    "zero-length-stream.mp4": lambda d: encode_empty_stream(d / "zero.mp4"),
    "zero-length-stream.mkv": lambda d: encode_empty_stream(d / "zero.mkv"),
    "text-named.mp4": lambda d: _write(d / "text.mp4", b"this is not a video\n" * 20),
    "empty.mp4": lambda d: _write(d / "empty.mp4", b""),
    "tiny-8x8.mp4": lambda d: encode_video(d / "tiny.mp4", width=8, height=8),
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


#: The ways :func:`mutate` damages a file.
MUTATIONS = ("truncate", "flip", "zero", "reverse-tail", "duplicate", "drop-chunk", "header-only")


def mutate(data: bytes, kind: str, rng: np.random.Generator) -> bytes:
    """``data`` damaged one way (one of :data:`MUTATIONS`), at places drawn from ``rng``.

    Example:
        >>> mutate(b"abcdef", "reverse-tail", np.random.default_rng(0))[:1]
        b'a'
    """
    n = len(data)
    buf = bytearray(data)
    if kind == "truncate":
        return bytes(buf[: int(rng.integers(1, max(n, 2)))])
    if kind == "flip":
        for at in rng.integers(0, n, size=max(1, n // 200)):
            buf[at] ^= 1 << int(rng.integers(0, 8))
        return bytes(buf)
    if kind == "zero":
        start = int(rng.integers(0, n))
        end = min(n, start + int(rng.integers(1, 256)))
        buf[start:end] = bytes(end - start)
        return bytes(buf)
    if kind == "reverse-tail":
        cut = int(rng.integers(1, max(n, 2)))
        return bytes(buf[:cut] + buf[cut:][::-1])
    if kind == "duplicate":
        start = int(rng.integers(0, n))
        return bytes(buf[: start + 64] + buf[start : start + 64] + buf[start + 64 :])
    if kind == "drop-chunk":
        start = int(rng.integers(0, n))
        return bytes(buf[:start] + buf[start + int(rng.integers(1, 512)) :])
    if kind == "header-only":
        return bytes(buf[: min(n, 64)])
    raise ValueError(f"unknown mutation {kind!r}; choose one of {MUTATIONS}")


@dataclass(frozen=True)
class Outcome:
    """What one ``bodyseg`` run gave: exit code (None: killed after the timeout), stderr, seconds."""

    code: int | None
    stderr: str
    seconds: float

    @property
    def hung(self) -> bool:
        return self.code is None

    @property
    def traceback(self) -> bool:
        return "Traceback (most recent call last)" in self.stderr

    def problems(self, source: Path, output: Path) -> list[str]:
        """What is wrong with this outcome: the promises of docs/reliability.md, checked."""
        found = []
        if self.hung:
            found.append("hang")
        if self.traceback:
            found.append("traceback")
        if self.code not in (0, 2, None):
            found.append(f"exit {self.code}")
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        if self.code == 2:
            if len(lines) != 1:
                found.append(f"{len(lines)} stderr lines")
            elif source.name not in lines[0] and str(source) not in lines[0]:
                found.append("error does not name the file")
            if output.exists():
                found.append("output written for a failed input")
        if self.code == 0 and not output.exists():
            found.append("exit 0 but no output")
        leftovers = [p.name for p in output.parent.iterdir() if ".part" in p.name or p.name.startswith(".")]
        if leftovers:
            found.append(f"temporary files left: {leftovers}")
        return found


def run_bodyseg(args: Sequence[str | os.PathLike], timeout: float = 60.0, *, quiet: bool = True) -> Outcome:
    """Run ``bodyseg ARGS`` in a new process (``quiet``: with -q, errors only) and wait at most ``timeout`` s."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [*BODYSEG, *map(str, args), *(["-q"] if quiet else [])],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else exc.stderr or ""
        return Outcome(None, stderr, time.perf_counter() - start)
    return Outcome(done.returncode, done.stderr, time.perf_counter() - start)


def video_command(source: Path, output: Path, method: str = FUZZ_METHOD) -> list[str | os.PathLike]:
    """``bodyseg video SOURCE -o OUTPUT -m METHOD`` (no smoothing: the quickest path through every stage)."""
    return ["video", source, "-o", output, "-m", method, "--per-frame"]


def image_command(source: Path, output: Path, method: str = FUZZ_METHOD) -> list[str | os.PathLike]:
    """``bodyseg blur SOURCE -o OUTPUT -m METHOD``."""
    return ["blur", source, "-o", output, "-m", method]
