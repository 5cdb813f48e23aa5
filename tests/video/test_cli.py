"""``bodyseg video``: formats, naming, what is kept (count, size, rate, times, audio) and every bad input."""

from __future__ import annotations

import av
import numpy as np
import pytest
from PIL import Image

from bodyseg.cli import main
from bodyseg.io import probe_video, read_video_frames
from tests.io.test_video import _header_only, _truncated, _unknown_codec, leftovers
from tests.video.clips import (  # noqa: F401
    SQUARE,
    SquareSegmenter,
    background,
    davis_clip,
    decoded,
    rotated_clip,
    square_clip,
    stream_facts,
    write_clip,
    write_frame_folder,
)

FAKE = ["-m", "test-square"]
CLIP = square_clip(12)
RGB = [rgb for rgb, _ in CLIP]

pytestmark = pytest.mark.usefixtures("square_segmenter")


def run(*args: object) -> int:
    return main(["video", *(str(a) for a in args)])


def inside(mask: np.ndarray, margin: int = 2) -> np.ndarray:
    """The mask without a ``margin``-pixel rim (where H.264's chroma and the feathered edge blend)."""
    core = np.zeros_like(mask)
    core[margin:-margin, margin:-margin] = mask[: -2 * margin, : -2 * margin] & mask[2 * margin :, 2 * margin :]
    return core


def one_line_error(capsys, *names: object) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert all(str(name) in err[0] for name in names), err[0]
    return err[0]


def test_blur_keeps_count_size_rate_and_audio(tmp_path):
    clip = write_clip(tmp_path / "dance.mp4", RGB, fps=24, audio_seconds=0.5)
    assert run(clip, *FAKE) == 0
    out = tmp_path / "dance.blur.mp4"
    facts, frames = stream_facts(out), decoded(out)[0]
    assert (len(frames), facts["size"], facts["rate"], facts["codec"], facts["pix_fmt"]) == (
        12,
        (96, 64),
        24,
        "h264",
        "yuv420p",
    )
    assert facts["audio"] == "aac" and facts["audio_packets"] == stream_facts(clip)["audio_packets"]
    square, corner, seen = inside(CLIP[6][1]), (slice(0, 8), slice(0, 8)), decoded(clip)[0][6].astype(int)
    assert np.abs(frames[6][square] - seen[square]).mean() < 8  # the person kept sharp
    assert np.abs(frames[6][corner] - seen[corner]).mean() > 3  # the background blurred
    assert leftovers(tmp_path) == []


def test_mask_and_replace_and_overlay(tmp_path):
    clip = write_clip(tmp_path / "c.mp4", RGB)
    assert run(clip, *FAKE, "--effect", "mask") == 0
    mask = decoded(tmp_path / "c.mask.mp4")[0][6][..., 0] > 127
    assert (mask == CLIP[6][1]).mean() > 0.98
    assert run(clip, *FAKE, "-e", "replace", "-b", "0,0,255", "-o", tmp_path / "r.mkv") == 0
    assert np.abs(decoded(tmp_path / "r.mkv")[0][0][2, 2].astype(int) - (0, 0, 255)).max() < 25
    assert run(clip, *FAKE, "-e", "overlay", "-o", tmp_path / "o.mov") == 0
    assert probe_video(tmp_path / "o.mov").frames == 12


def test_frame_folder_in_video_out_and_video_in_frames_out(tmp_path):
    folder = write_frame_folder(tmp_path / "shots", RGB)
    assert run(folder, *FAKE, "--fps", 12) == 0
    info = probe_video(tmp_path / "shots.blur.mp4")
    assert (info.frames, info.fps, info.width, info.height) == (12, 12, 96, 64)
    assert run(tmp_path / "shots.blur.mp4", *FAKE, "-e", "mask", "-o", tmp_path / "masks") == 0
    pngs = sorted((tmp_path / "masks").iterdir())
    assert len(pngs) == 12 and np.asarray(Image.open(pngs[0])).shape == (64, 96)


def test_frames_out_say_the_sound_is_left_out(tmp_path, capsys):
    clip = write_clip(tmp_path / "talk.mp4", RGB[:3], audio_seconds=0.2)
    assert run(clip, *FAKE, "-o", tmp_path / "frames") == 0
    assert "no sound" in capsys.readouterr().err and len(list((tmp_path / "frames").iterdir())) == 3


def test_cutout_writes_alpha_webm_by_default_or_rgba_frames(tmp_path):
    clip = write_clip(tmp_path / "c.mp4", RGB)
    assert run(clip, *FAKE, "-e", "cutout") == 0
    facts = stream_facts(tmp_path / "c.cutout.webm")
    assert facts["codec"] == "vp9" and probe_video(tmp_path / "c.cutout.webm").frames >= 12
    assert run(clip, *FAKE, "-e", "cutout", "-o", tmp_path / "cut") == 0
    rgba = np.asarray(Image.open(tmp_path / "cut" / "00006.png"))
    assert rgba.shape == (64, 96, 4) and rgba[..., 3][inside(CLIP[6][1])].min() > 200 and rgba[0, 0, 3] == 0


def test_cutout_into_h264_is_refused_before_any_work(tmp_path, capsys):
    clip = write_clip(tmp_path / "c.mp4", RGB)
    assert run(clip, *FAKE, "-e", "cutout", "-o", tmp_path / "cut.mp4") == 2
    assert ".webm" in one_line_error(capsys, tmp_path / "cut.mp4")
    assert SquareSegmenter.calls == 0 and not (tmp_path / "cut.mp4").exists()


def test_never_overwrites_without_overwrite(tmp_path, capsys):
    clip = write_clip(tmp_path / "c.mp4", RGB)
    target = tmp_path / "c.blur.mp4"
    target.write_bytes(b"mine")
    assert run(clip, *FAKE) == 2
    assert "--overwrite" in one_line_error(capsys, target) and target.read_bytes() == b"mine"
    assert run(clip, *FAKE, "--overwrite") == 0 and probe_video(target).frames == 12
    assert run(clip, *FAKE, "-o", clip, "--overwrite") == 2  # never the input itself
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("keep me")
    assert run(clip, *FAKE, "-o", tmp_path / "busy", "--overwrite") == 2
    assert (tmp_path / "busy" / "notes.txt").exists()


def test_odd_size_is_padded_with_a_warning(tmp_path, capsys):
    clip = write_frame_folder(tmp_path / "odd", [rgb[:63, :95] for rgb in RGB[:4]])
    assert run(clip, *FAKE) == 0
    assert "padded to 96x64" in capsys.readouterr().err
    assert probe_video(tmp_path / "odd.blur.mp4").width == 96


def test_a_phone_clip_with_rotate_90_comes_out_upright_without_a_rotation(tmp_path):
    upright = background(96, 64)  # portrait, as the phone showed it
    upright[8:28, 6:26] = SQUARE  # the "person" high up on the left
    truth = np.zeros((96, 64), bool)
    truth[8:28, 6:26] = True
    clip = rotated_clip(tmp_path / "phone.mp4", [upright] * 4, 90)  # stored landscape 96x64, rotate=90
    assert run(clip, *FAKE, "-e", "mask") == 0
    out = tmp_path / "phone.mask.mp4"
    with av.open(str(out)) as container:
        first = next(container.decode(video=0))
        assert (first.width, first.height, getattr(first, "rotation", 0)) == (
            64,
            96,
            0,
        )  # stored portrait, no display rotation
    mask = decoded(out)[0][2][..., 0] > 127
    assert (mask == truth).mean() > 0.98 and mask[18, 16] and not mask[-18, -16]


def test_variable_frame_rate_keeps_its_timestamps(tmp_path):
    times = [0.0, 0.04, 0.08, 0.3, 0.34, 0.5, 0.9, 0.94]
    clip = write_clip(tmp_path / "vfr.mkv", RGB[:8], times=times)
    assert run(clip, *FAKE) == 0
    assert np.allclose(decoded(tmp_path / "vfr.blur.mkv")[1], times, atol=2e-3)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: _truncated(d / "cut.mkv", keep=0.6), "truncated"),
        (lambda d: _truncated(d / "cut.mp4", keep=0.5), "truncated"),
        (
            lambda d: (d / "noise.mp4").write_bytes(np.random.default_rng(0).bytes(3000)) and d / "noise.mp4",
            "not a video",
        ),
        (lambda d: _header_only(d / "zero.mkv"), "damaged or truncated"),
        (lambda d: (d / "empty").mkdir() or d / "empty", "no frames"),
        (lambda d: _unknown_codec(d / "strange.mkv"), "cannot be decoded"),
        (lambda d: d / "missing.mp4", "no such file"),
    ],
    ids=["truncated-mkv", "truncated-mp4", "noise", "zero-frames", "empty-folder", "unknown-codec", "missing"],
)
def test_bad_input_is_one_line_exit_2_and_no_output(tmp_path, capsys, make, message):
    source = make(tmp_path)
    capsys.readouterr()
    before = set(tmp_path.iterdir())
    assert run(source, *FAKE, "-o", tmp_path / "out.mp4") == 2
    assert message in one_line_error(capsys, source)
    assert set(tmp_path.iterdir()) == before and leftovers(tmp_path) == []


def test_unwritable_output_and_bad_options(tmp_path, capsys):
    clip = write_clip(tmp_path / "c.mp4", RGB[:3])
    (tmp_path / "file").write_text("x")
    assert run(clip, *FAKE, "-o", tmp_path / "file" / "out.mp4") == 2
    one_line_error(capsys, tmp_path / "file")
    assert run(clip, *FAKE, "-o", tmp_path / "out.gif") == 2
    assert "suffix" in one_line_error(capsys, "out.gif")
    assert run(clip, *FAKE, "-e", "replace") == 2
    assert "--background" in one_line_error(capsys)


def test_ctrl_c_leaves_no_half_file(tmp_path, capsys):
    clip = write_clip(tmp_path / "c.mp4", RGB)
    assert run(clip, *FAKE, "--option", "interrupt_at=5", "--max-stale", 0) == 130
    assert not (tmp_path / "c.blur.mp4").exists() and leftovers(tmp_path) == []


def test_per_frame_and_temporal_options_change_segmenter_calls(tmp_path):
    still = write_clip(tmp_path / "still.mp4", [RGB[0]] * 12)
    assert run(still, *FAKE, "--per-frame", "-o", tmp_path / "a.mp4") == 0
    assert SquareSegmenter.calls == 12
    SquareSegmenter.calls = 0
    assert run(still, *FAKE, "--max-stale", 5, "-o", tmp_path / "b.mp4") == 0
    assert SquareSegmenter.calls == 2


@pytest.mark.slow
def test_real_clip_with_mediapipe(tmp_path):
    clip, _ = davis_clip(tmp_path, "tennis", 12)
    assert run(clip, "-m", "mediapipe-selfie", "-o", tmp_path / "t.mp4") == 0
    assert [f.rgb.shape for f in read_video_frames(tmp_path / "t.mp4")] == [(480, 854, 3)] * 12


@pytest.mark.parametrize(
    ("flags", "follow", "every"),
    [
        ([], True, 8),
        (["--redetect-every", "3"], True, 3),
        (["--redetect-every", "1"], False, 1),
        (["--per-frame"], False, 8),
    ],
)
def test_following_options(flags, follow, every, square_segmenter):
    from bodyseg.cli import build_parser
    from bodyseg.cli.video import build_video_segmenter

    args = build_parser().parse_args(["video", "in.mp4", "-m", "test-square", *flags])
    with build_video_segmenter(args) as video:
        assert (video.follow, video.redetect_every) == (follow, every)
