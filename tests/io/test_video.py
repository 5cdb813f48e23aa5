"""Video reading and writing: frames, timestamps, audio, alpha, odd sizes, and every bad input."""

from __future__ import annotations

import logging
from pathlib import Path

import av
import numpy as np
import pytest

from bodyseg.errors import InputError, OutputError
from bodyseg.io import VideoReader, VideoWriter, probe_video, read_video_frames
from bodyseg.io.video import display_rotation, turn_upright
from tests.video.clips import decoded, rotated_clip, square_clip, stream_facts, write_clip, write_frame_folder

RGB = [rgb for rgb, _ in square_clip(12)]


def leftovers(folder: Path) -> list[str]:
    """Temporary files or folders a writer left behind."""
    return sorted(p.name for p in folder.iterdir() if ".part" in p.name or p.name.endswith(".old"))


def test_reads_frames_with_times_size_and_rate(tmp_path):
    clip = write_clip(tmp_path / "c.mp4", RGB, fps=24)
    frames = list(read_video_frames(clip))
    assert [f.index for f in frames] == list(range(12))
    assert np.allclose([f.time for f in frames], np.arange(12) / 24, atol=1e-3)
    assert frames[0].rgb.shape == (64, 96, 3) and frames[0].rgb.dtype == np.uint8
    assert np.abs(frames[5].rgb.astype(int) - RGB[5]).mean() < 6  # RGB order (BGR would be ~100 off)
    info = probe_video(clip)
    assert (info.width, info.height, info.fps, info.frames, info.codec, info.rotation) == (96, 64, 24, 12, "h264", 0)


def portrait_with_marker(height: int = 96, width: int = 64) -> np.ndarray:
    """A dark portrait frame with a white block in its top-left corner only (asymmetric under any turn)."""
    rgb = np.full((height, width, 3), 20, np.uint8)
    rgb[:16, :16] = 235
    return rgb


def corners(rgb: np.ndarray, side: int = 12) -> list[float]:
    """Mean brightness of the top-left, top-right, bottom-left and bottom-right corners."""
    return [
        float(rgb[rows, cols].mean())
        for rows in (slice(0, side), slice(-side, None))
        for cols in (slice(0, side), slice(-side, None))
    ]


@pytest.mark.parametrize("clockwise", [90, 180, 270])
def test_phone_clips_with_a_display_rotation_are_read_upright(tmp_path, clockwise):
    upright = portrait_with_marker()
    clip = rotated_clip(tmp_path / "phone.mp4", [upright] * 3, clockwise)
    stored = decoded(clip)[0][0]
    assert (
        stored.shape == ((64, 96, 3) if clockwise != 180 else (96, 64, 3)) and corners(stored)[0] < 100
    )  # stored turned
    info = probe_video(clip)
    assert (info.width, info.height, info.rotation) == (64, 96, clockwise)
    frames = list(read_video_frames(clip))
    assert [f.rgb.shape for f in frames] == [(96, 64, 3)] * 3 and frames[0].rgb.flags.c_contiguous
    top_left, *others = corners(frames[2].rgb)
    assert top_left > 200 and max(others) < 60


def test_too_many_pixels_are_refused_before_a_frame_is_decoded(tmp_path, monkeypatch):
    clip = rotated_clip(tmp_path / "big.mp4", [portrait_with_marker()] * 2, 90)
    monkeypatch.setattr(VideoReader, "_peek_rotation", lambda *_: pytest.fail("decoded a frame over the pixel limit"))
    with pytest.raises(InputError, match="96x64 is .* over the limit"):
        VideoReader(clip, max_pixels=96 * 64 - 1)


@pytest.mark.parametrize(
    ("frame_rotation", "tag", "clockwise"),
    [
        (None, None, 0),
        (0, None, 0),
        (-90, None, 90),
        (90, None, 270),
        (180, None, 180),
        (-180, None, 180),
        (None, "90", 90),
        (0, "270", 270),
        (None, "-90", 270),
        (None, "450", 90),
        (-89.6, None, 90),
        (-90, "90", 90),  # both say the same: turned once, not twice
        (None, "sideways", 0),
    ],
)
def test_display_rotation_decision(frame_rotation, tag, clockwise, caplog):
    with caplog.at_level(logging.WARNING):
        assert display_rotation(frame_rotation, tag) == clockwise
    assert ("not a number" in caplog.text) == (tag == "sideways")


def test_turn_upright_turns_clockwise():
    a = np.arange(6).reshape(2, 3)
    assert turn_upright(a, 0) is a
    assert turn_upright(a, 90).tolist() == [[3, 0], [4, 1], [5, 2]]
    assert turn_upright(a, 180).tolist() == [[5, 4, 3], [2, 1, 0]]
    assert turn_upright(a, 270).tolist() == [[2, 5], [1, 4], [0, 3]]


def test_reads_a_frame_folder_in_natural_order(tmp_path):
    folder = write_frame_folder(tmp_path / "frames", RGB)  # frame0..frame11: frame10 sorts after frame9
    frames = list(read_video_frames(folder, fps=10))
    assert len(frames) == 12 and np.array_equal(frames[10].rgb, RGB[10])
    assert frames[3].time == pytest.approx(0.3)
    assert probe_video(folder).fps == 25  # the default for folders


def test_writes_h264_keeping_count_size_and_rate(tmp_path):
    out = tmp_path / "out.mp4"
    with VideoWriter(out, fps=24) as writer:
        for rgb in RGB:
            writer.write(rgb)
    frames, times, _ = decoded(out)
    facts = stream_facts(out)
    assert len(frames) == 12 and frames[0].shape == (64, 96, 3)
    assert (facts["codec"], facts["pix_fmt"], facts["rate"]) == ("h264", "yuv420p", 24)
    assert np.abs(frames[7].astype(int) - RGB[7]).mean() < 6
    assert leftovers(tmp_path) == [] and oct(out.stat().st_mode & 0o077) != "0o0"  # not owner-only like mkstemp


def test_audio_is_copied_packet_for_packet(tmp_path):
    clip = write_clip(tmp_path / "talk.mp4", RGB, fps=24, audio_seconds=0.5)
    assert probe_video(clip).audio == "aac"
    out = tmp_path / "out.mkv"
    with VideoWriter(out, fps=24, audio_from=clip) as writer:
        for frame in read_video_frames(clip):
            writer.write(frame.rgb, frame.time)
    assert stream_facts(out)["audio"] == "aac"
    assert stream_facts(out)["audio_packets"] == stream_facts(clip)["audio_packets"]


def test_variable_frame_rate_timestamps_survive(tmp_path):
    times = [0.0, 0.04, 0.08, 0.3, 0.34, 0.5, 0.9, 0.94]
    clip = write_clip(tmp_path / "vfr.mkv", RGB[:8], times=times)
    read = [f.time for f in read_video_frames(clip)]
    assert np.allclose(read, times, atol=2e-3)
    out = tmp_path / "out.mp4"
    with VideoWriter(out, fps=probe_video(clip).fps) as writer:
        for frame in read_video_frames(clip):
            writer.write(frame.rgb, frame.time)
    assert np.allclose(decoded(out)[1], times, atol=2e-3)


def test_odd_sizes_are_padded_for_h264_and_kept_in_png_frames(tmp_path, caplog):
    odd = [rgb[:63, :95] for rgb in RGB[:3]]
    with caplog.at_level(logging.WARNING), VideoWriter(tmp_path / "odd.mp4") as writer:
        for rgb in odd:
            writer.write(rgb)
    assert decoded(tmp_path / "odd.mp4")[0][0].shape == (64, 96, 3)
    assert "95x63 frames padded to 96x64" in caplog.text
    with VideoWriter(tmp_path / "frames") as writer:
        for rgb in odd:
            writer.write(rgb)
    assert [f.rgb.shape for f in read_video_frames(tmp_path / "frames")] == [(63, 95, 3)] * 3


def test_alpha_goes_into_webm_and_png_frames_but_not_h264(tmp_path):
    rgba = np.dstack([RGB[0], np.tile(np.arange(96, dtype=np.uint8) * 2, (64, 1))])
    with VideoWriter(tmp_path / "cut.webm", alpha=True) as writer:
        writer.write(rgba)
        writer.write(rgba)
    with av.open(str(tmp_path / "cut.webm")) as container:  # VP9 alpha needs libvpx's decoder
        decoder = av.codec.CodecContext.create("libvpx-vp9", "r")
        frame = next(f for p in container.demux(video=0) for f in decoder.decode(p))
        alpha = frame.to_ndarray(format="rgba")[..., 3].astype(int)
    assert frame.format.name == "yuva420p" and np.abs(alpha - rgba[..., 3]).mean() < 6
    with VideoWriter(tmp_path / "cut") as writer:
        writer.write(rgba)
    assert np.array_equal(np.asarray(__import__("PIL.Image").Image.open(tmp_path / "cut" / "00000.png")), rgba)
    with pytest.raises(OutputError, match=r"cut\.mp4: .*transparency.*\.webm"):
        VideoWriter(tmp_path / "cut.mp4", alpha=True)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.mp4", "no such file"),
        (lambda d: _bytes(d / "empty.mp4", b""), "empty"),
        (lambda d: _bytes(d / "noise.mp4", np.random.default_rng(0).bytes(4000)), "not a video"),
        (lambda d: _truncated(d / "cut.mp4", keep=0.5), "damaged or truncated"),
        (lambda d: _truncated(d / "cut.mkv", keep=0.6), "truncated or damaged"),
        (lambda d: _header_only(d / "zero.mkv"), "damaged or truncated"),
        (lambda d: (d / "none").mkdir() or d / "none", "holds no frames"),
        (lambda d: (d / "bad").mkdir() or _bytes(d / "bad" / "0.png", b"not a png") and d / "bad", "not an image"),
        (lambda d: _unknown_codec(d / "strange.mkv"), "cannot be decoded"),
        (lambda d: _audio_only(d / "song.m4a"), "no video stream"),
    ],
    ids=[
        "missing",
        "empty",
        "noise",
        "truncated-mp4",
        "truncated-mkv",
        "zero-frames",
        "empty-folder",
        "damaged-frame",
        "unknown-codec",
        "audio-only",
    ],
)
def test_bad_inputs_raise_one_clear_error(tmp_path, make, message):
    path = make(tmp_path)
    with pytest.raises(InputError, match=message) as error:
        list(read_video_frames(path))
    assert str(path) in str(error.value) and "\n" not in str(error.value)


def test_frames_of_different_sizes_in_a_folder(tmp_path):
    folder = write_frame_folder(tmp_path / "f", [RGB[0], RGB[1][:32]])
    with pytest.raises(InputError, match="one size"):
        list(read_video_frames(folder))


def test_unwritable_destination_fails_at_once_and_leaves_nothing(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OutputError, match="cannot write"):
        VideoWriter(blocker / "out.mp4")
    with pytest.raises(OutputError, match="unknown video suffix"):
        VideoWriter(tmp_path / "out.gif")


@pytest.mark.parametrize("name", ["out.mp4", "frames"])
def test_an_interrupted_or_failed_write_leaves_no_file(tmp_path, name):
    with pytest.raises(KeyboardInterrupt), VideoWriter(tmp_path / name) as writer:
        writer.write(RGB[0])
        raise KeyboardInterrupt
    with pytest.raises(InputError, match="no frame was written"), VideoWriter(tmp_path / name):
        pass
    assert not (tmp_path / name).exists() and leftovers(tmp_path) == []


def test_reader_closes_and_is_a_context_manager(tmp_path):
    clip = write_clip(tmp_path / "c.mp4", RGB[:3])
    with VideoReader(clip) as reader:
        assert reader.info.frames == 3
        assert sum(1 for _ in reader) == 3
    reader.close()  # twice is fine


# --------------------------------------------------------------- bad files


def _bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _truncated(path: Path, keep: float) -> Path:
    rng = np.random.default_rng(1)
    noisy = [
        rng.integers(0, 255, (64, 96, 3), dtype=np.uint8) for _ in range(30)
    ]  # large frames: the cut lands mid-stream
    full = write_clip(path.with_name("full" + path.suffix), noisy)
    data = full.read_bytes()
    return _bytes(path, data[: int(len(data) * keep)])


def _header_only(path: Path) -> Path:
    with av.open(str(path), "w", format="matroska") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 96, 64, "yuv420p"
        container.start_encoding()
    return path


def _unknown_codec(path: Path) -> Path:
    """An mkv whose codec id says something no FFmpeg knows (same length, so the file stays valid)."""
    data = write_clip(path.with_name("h264.mkv"), RGB[:3]).read_bytes()
    assert b"V_MPEG4/ISO/AVC" in data
    return _bytes(path, data.replace(b"V_MPEG4/ISO/AVC", b"V_BODYSEG/NONE0"))


def _audio_only(path: Path) -> Path:
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=16000)
        stream.layout = "mono"
        chunk = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        chunk.sample_rate, chunk.pts = 16000, 0
        container.mux(stream.encode(chunk))
        container.mux(stream.encode(None))
    return path
