"""Clips for video tests: a moving coloured square with exact masks, fake segmenters that find it,
clips written with PyAV directly (with a sine audio track, variable frame rate, damaged), and short
real clips from the davis_person frames."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from bodyseg.result import Person, Segmentation, box_of_mask
from bodyseg.segmenters import Segmenter, register
from tests.conftest import dataset_path

SQUARE = (230, 40, 40)
HEIGHT, WIDTH, SIDE = 64, 96, 20


def background(height: int = HEIGHT, width: int = WIDTH) -> np.ndarray:
    """A smooth blue-green texture (optical flow needs something to hold on to; no red in it)."""
    yy, xx = np.mgrid[:height, :width]
    green = 90 + 40 * np.sin(xx / 5.0) * np.cos(yy / 7.0)
    blue = 120 + 40 * np.cos(xx / 9.0 + yy / 6.0)
    return np.dstack([np.full((height, width), 30.0), green, blue]).astype(np.uint8)


def square_clip(
    count: int = 12, step: int = 3, height: int = HEIGHT, width: int = WIDTH
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``count`` frames of a red square sliding right by ``step`` px a frame: ``(rgb, exact mask)``."""
    frames = []
    for i in range(count):
        mask = np.zeros((height, width), bool)
        x0, y0 = 4 + i * step, (height - SIDE) // 2
        mask[y0 : y0 + SIDE, x0 : x0 + SIDE] = True
        rgb = background(height, width)
        rgb[mask] = SQUARE
        rgb[y0 : y0 + SIDE : 4, x0 : x0 + SIDE, 0] = 180  # stripes: texture for the optical flow
        rgb[y0 : y0 + SIDE, x0 + 2 : x0 + SIDE : 5, 1] = 80
        frames.append((rgb, mask))
    return frames


def red_mask(rgb: np.ndarray) -> np.ndarray:
    """The square's pixels, also after lossy video coding."""
    r, g, b = (rgb[..., c].astype(int) for c in range(3))
    return (r > 150) & (g < 110) & (b < 110)


def square_keypoints(mask: np.ndarray) -> np.ndarray:
    """Three keypoints of the square: top-left corner, centre, bottom-right corner."""
    x0, y0, x1, y1 = box_of_mask(mask)
    return np.array([[x0, y0, 1.0], [(x0 + x1) / 2, (y0 + y1) / 2, 1.0], [x1, y1, 1.0]], np.float32)


class SquareSegmenter(Segmenter):
    """Finds the red square exactly; counts its calls (over all instances) to check key-frame reuse.

    Args:
        noise: standard deviation of seeded noise added to the probability (flicker).
        miss: call numbers (from 0) at which it finds nobody.
        interrupt_at: raise KeyboardInterrupt at this call (a Ctrl-C in the middle of a run).
    """

    name = "test-square"
    calls = 0

    def __init__(self, noise: float = 0.0, miss: Sequence[int] = (), interrupt_at: int = -1) -> None:
        self.noise = noise
        self.miss = set(miss)
        self.interrupt_at = interrupt_at
        self._rng = np.random.default_rng(7)
        self.own_calls = 0

    def _segment(self, rgb: np.ndarray) -> Segmentation:
        call = self.own_calls
        type(self).calls += 1
        self.own_calls += 1
        if call == self.interrupt_at:
            raise KeyboardInterrupt
        mask = red_mask(rgb)
        if call in self.miss:
            return Segmentation(prob=np.zeros(mask.shape, np.float32))
        prob = mask.astype(np.float32)
        if self.noise:
            prob = np.clip(prob + self._rng.normal(0.0, self.noise, prob.shape), 0.0, 1.0).astype(np.float32)
        person = Person(mask=mask, box=box_of_mask(mask), score=0.9, keypoints=square_keypoints(mask))
        return Segmentation(prob=prob, people=[person])


@pytest.fixture
def square_segmenter() -> Iterator[type[SquareSegmenter]]:
    """``test-square`` registered, its call counter at zero."""
    register("test-square", "tests.video.clips:SquareSegmenter", "test only: finds a red square", people=True)
    SquareSegmenter.calls = 0
    yield SquareSegmenter
    SquareSegmenter.calls = 0


def write_clip(
    path: Path,
    frames: Sequence[np.ndarray],
    fps: int = 24,
    *,
    times: Sequence[float] | None = None,
    audio_seconds: float | None = None,
    codec: str = "libx264",
    rotation: int = 0,
) -> Path:
    """Encode frames with PyAV (not bodyseg's writer); optionally with ``times``, a 440 Hz sine track
    and a display ``rotation`` (clockwise degrees, as a phone's ``rotate`` tag says)."""
    suffix = path.suffix.lower()
    container = av.open(str(path), "w", format={".mkv": "matroska"}.get(suffix, suffix[1:]))
    stream = container.add_stream(codec, rate=fps)
    stream.height, stream.width = frames[0].shape[:2]
    stream.pix_fmt = "yuv420p"
    if rotation:
        set_display_rotation(stream, rotation)
    time_base = Fraction(1, 1000)
    stream.time_base = stream.codec_context.time_base = time_base
    audio = None
    if audio_seconds:
        audio = container.add_stream("aac", rate=16000)
        audio.layout = "mono"
    for i, rgb in enumerate(frames):
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        frame.pts = round((times[i] if times is not None else i / fps) / time_base)
        frame.time_base = time_base
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))
    if audio is not None:
        _write_sine(container, audio, audio_seconds)
    container.close()
    return path


def set_display_rotation(stream: av.video.stream.VideoStream, clockwise: int) -> None:
    """Tag a stream to be shown turned ``clockwise`` degrees (a display matrix: what phones write)."""
    if not hasattr(stream, "set_display_rotation"):
        pytest.skip("this PyAV cannot write a display rotation (VideoStream.set_display_rotation needs a newer av)")
    stream.set_display_rotation(-clockwise)  # PyAV counts counter-clockwise


def rotated_clip(path: Path, upright: Sequence[np.ndarray], clockwise: int) -> Path:
    """A clip storing ``upright`` frames turned back by ``clockwise`` degrees, tagged to be shown upright."""
    stored = [np.ascontiguousarray(np.rot90(rgb, k=clockwise // 90)) for rgb in upright]
    return write_clip(path, stored, rotation=clockwise)


def _write_sine(
    container: av.container.OutputContainer, stream: av.audio.stream.AudioStream, seconds: float, rate: int = 16000
) -> None:
    samples = (0.3 * np.sin(2 * np.pi * 440 * np.arange(int(rate * seconds)) / rate)).astype(np.float32)
    for start in range(0, len(samples), 1024):
        chunk = av.AudioFrame.from_ndarray(samples[None, start : start + 1024], format="fltp", layout="mono")
        chunk.sample_rate, chunk.pts = rate, start
        container.mux(stream.encode(chunk))
    container.mux(stream.encode(None))


def write_frame_folder(folder: Path, frames: Sequence[np.ndarray], suffix: str = ".png") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, rgb in enumerate(frames):
        Image.fromarray(rgb).save(folder / f"frame{i}{suffix}")  # unpadded numbers: natural order needed
    return folder


def davis_clip(tmp_path: Path, sequence: str = "lucia", count: int = 12) -> tuple[Path, list[np.ndarray]]:
    """The first ``count`` frames of a davis_person sequence as an H.264 mp4, with their masks (skips without data)."""
    root = dataset_path("davis_person", sequence)
    images = sorted((root / "images").iterdir())[:count]
    masks = sorted((root / "masks").iterdir())[:count]
    frames = [np.asarray(Image.open(p).convert("RGB")) for p in images]
    truths = [np.asarray(Image.open(p).convert("L")) > 127 for p in masks]
    return write_clip(tmp_path / f"{sequence}.mp4", frames), truths


def decoded(path: Path) -> tuple[list[np.ndarray], list[float], av.container.InputContainer]:
    """All frames (RGB) and times of a video, read with PyAV directly; the container is closed."""
    with av.open(str(path)) as container:
        frames = [(f.to_ndarray(format="rgb24"), float(f.time)) for f in container.decode(video=0)]
    return [f for f, _ in frames], [t for _, t in frames], container


def stream_facts(path: Path) -> dict[str, object]:
    """Codec names, pixel format, size, rate and audio packet count of a video file."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        facts: dict[str, object] = {
            "codec": video.codec_context.name,
            "pix_fmt": video.codec_context.pix_fmt,
            "size": (video.width, video.height),
            "rate": video.average_rate,
            "audio": container.streams.audio[0].codec_context.name if container.streams.audio else None,
        }
        if container.streams.audio:
            facts["audio_packets"] = sum(1 for p in container.demux(audio=0) if p.size)
    return facts
