"""``bodyseg video`` for editors: alpha in every format decoded back, the matte, --format, --people JSON Lines,
the parts effect, and that none of them leaves a partial file."""

from __future__ import annotations

import json

import av
import numpy as np
import pytest
from PIL import Image

from bodyseg.io.coco_rle import decode_mask
from bodyseg.result import Parts, Segmentation
from bodyseg.segmenters import register
from tests.io.test_video import leftovers
from tests.video.clips import SquareSegmenter, decoded, red_mask, square_clip, stream_facts, write_clip
from tests.video.test_cli import FAKE, one_line_error, run

CLIP = square_clip(12)
RGB = [rgb for rgb, _ in CLIP]

pytestmark = pytest.mark.usefixtures("square_segmenter")


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def segmented(clip) -> list[np.ndarray]:
    """The masks the square segmenter finds in the decoded clip: what the outputs must carry."""
    return [red_mask(rgb) for rgb in decoded(clip)[0]]


def decoded_alpha(path) -> list[np.ndarray]:
    """The alpha plane of every frame of a video or PNG frame folder, read back without bodyseg."""
    if path.is_dir():
        return [np.asarray(Image.open(p))[..., 3] for p in sorted(path.iterdir())]
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        # FFmpeg's own VP9 decoder drops the alpha side data: libvpx's decoder keeps it
        decoder = av.codec.CodecContext.create("libvpx-vp9", "r") if stream.codec_context.name == "vp9" else None
        if decoder is None:
            frames = list(container.decode(video=0))
        else:
            frames = [f for p in container.demux(video=0) for f in decoder.decode(p)]
    return [f.to_ndarray(format="rgba")[..., 3] for f in frames]


@pytest.mark.parametrize(
    ("output", "codec"), [("cut.webm", "vp9"), ("cut.mov", "prores"), ("cut", None)], ids=["webm", "mov", "png"]
)
def test_the_alpha_of_each_format_decodes_back_to_the_mask(tmp_path, output, codec):
    clip = write_clip(tmp_path / "c.mp4", RGB)
    assert run(clip, *FAKE, "-e", "cutout", "--per-frame", "-o", tmp_path / output) == 0
    alphas = decoded_alpha(tmp_path / output)
    assert len(alphas) == 12
    scores = [iou(alpha > 127, mask) for alpha, mask in zip(alphas, segmented(clip), strict=True)]
    assert min(scores) > (0.999 if codec is None else 0.95), scores
    assert all(alpha[0, 0] < 10 for alpha in alphas)  # the background transparent, not just dark
    if codec is not None:
        facts = stream_facts(tmp_path / output)
        assert facts["codec"] == codec
        if codec == "prores":
            assert facts["pix_fmt"].startswith("yuva444p")  # 4:4:4 with alpha: ProRes 4444
    assert leftovers(tmp_path) == []


def test_format_picks_the_container_and_must_agree_with_the_suffix(tmp_path, capsys):
    clip = write_clip(tmp_path / "c.mp4", RGB)
    assert run(clip, *FAKE, "-e", "cutout", "--format", "mov") == 0
    assert stream_facts(tmp_path / "c.cutout.mov")["codec"] == "prores"
    assert run(clip, *FAKE, "-e", "cutout", "--format", "png") == 0
    assert len(list((tmp_path / "c_cutout").iterdir())) == 12
    capsys.readouterr()
    assert run(clip, *FAKE, "-e", "cutout", "--format", "webm", "-o", tmp_path / "x.mov") == 2
    assert "--format webm" in one_line_error(capsys, tmp_path / "x.mov")
    assert not (tmp_path / "x.mov").exists() and SquareSegmenter.calls == 24


def test_matte_is_the_grey_alpha_and_audio_is_kept_in_mov(tmp_path, capsys):
    clip = write_clip(tmp_path / "c.mp4", RGB, audio_seconds=0.5)
    assert run(clip, *FAKE, "-e", "matte", "--per-frame") == 0
    frames = decoded(tmp_path / "c.matte.mp4")[0]
    assert len(frames) == 12
    assert np.abs(frames[3][..., 0].astype(int) - frames[3][..., 2]).max() < 12  # grey
    assert min(iou(f[..., 0] > 127, m) for f, m in zip(frames, segmented(clip), strict=True)) > 0.95
    assert stream_facts(tmp_path / "c.matte.mp4")["audio"] == "aac"
    assert run(clip, *FAKE, "-e", "cutout", "-f", "mov") == 0
    assert stream_facts(tmp_path / "c.cutout.mov")["audio"] == "aac"  # ProRes + AAC: what editors expect
    assert run(clip, *FAKE, "-e", "cutout") == 0  # WebM holds no AAC: said, not silently lost
    assert "audio cannot go into a .webm" in capsys.readouterr().err
    assert stream_facts(tmp_path / "c.cutout.webm")["audio"] is None


def test_an_interrupted_prores_write_leaves_nothing(tmp_path):
    clip = write_clip(tmp_path / "c.mp4", RGB)
    people = tmp_path / "p.jsonl"
    args = ["-e", "cutout", "-o", tmp_path / "cut.mov", "--people", people, "--per-frame"]
    assert run(clip, *FAKE, "--option", "interrupt_at=5", *args) == 130
    assert not (tmp_path / "cut.mov").exists() and not people.exists() and leftovers(tmp_path) == []


def test_people_lines_give_every_frame_its_people_with_a_stable_track_id(tmp_path):
    clip = write_clip(tmp_path / "c.mp4", RGB)
    people = tmp_path / "c.people.jsonl"
    assert run(clip, *FAKE, "-e", "mask", "--people", people) == 0
    lines = [json.loads(line) for line in people.read_text().splitlines()]
    assert [line["frame"] for line in lines] == list(range(12))
    assert np.allclose([line["time"] for line in lines], np.arange(12) / 24, atol=1e-3)
    assert all(len(line["people"]) == 1 for line in lines)
    assert len({line["people"][0]["track_id"] for line in lines}) == 1  # one person, one id throughout
    for line, (_, truth) in zip(lines, CLIP, strict=True):
        person = line["people"][0]
        mask = decode_mask(person["segmentation"])
        x, y, w, h = person["bbox"]
        assert iou(mask, truth) >= 0.9 and abs(w - 20) <= 2 and abs(h - 20) <= 2
        assert abs(x - (4 + 3 * line["frame"])) <= 1 and abs(y - 22) <= 1
        assert len(person["keypoints"]) == 9 and person["num_keypoints"] == 3


def test_people_needs_a_method_that_finds_people_and_keeps_existing_files(tmp_path, capsys):
    clip = write_clip(tmp_path / "c.mp4", RGB[:3])
    register("test-one-mask", "tests.video.test_editor_outputs:OneMask", "test only: one mask for all")
    assert run(clip, "-m", "test-one-mask", "--people", tmp_path / "p.jsonl") == 2
    assert "finds each person" in one_line_error(capsys)
    (tmp_path / "p.jsonl").write_text("mine")
    assert run(clip, *FAKE, "--people", tmp_path / "p.jsonl") == 2
    assert "--overwrite" in one_line_error(capsys, tmp_path / "p.jsonl")
    assert (tmp_path / "p.jsonl").read_text() == "mine" and not (tmp_path / "c.blur.mp4").exists()
    assert run(clip, *FAKE, "-o", tmp_path / "frames", "--people", tmp_path / "frames" / "p.jsonl") == 2
    assert "inside the frames folder" in one_line_error(capsys) and not (tmp_path / "frames").exists()


class OneMask(SquareSegmenter):
    """The square as one mask for everyone (no people)."""

    name = "test-one-mask"

    def _segment(self, rgb: np.ndarray) -> Segmentation:
        return Segmentation(prob=super()._segment(rgb).prob)


class SquareParts(SquareSegmenter):
    """The square in two parts: its top half label 1, its bottom half label 2."""

    name = "test-square-parts"

    def _segment(self, rgb: np.ndarray) -> Segmentation:
        seg = super()._segment(rgb)
        labels = np.zeros(seg.shape, np.int32)
        rows = np.nonzero(seg.prob.any(axis=1))[0]
        middle = (rows.min() + rows.max() + 1) // 2 if rows.size else 0
        labels[seg.prob > 0.5] = 1
        labels[middle:][seg.prob[middle:] > 0.5] = 2
        seg.parts = Parts(labels, ("background", "top", "bottom"))
        return seg


def test_parts_colours_whatever_parts_the_method_gives_and_says_when_it_gives_none(tmp_path, capsys):
    clip = write_clip(tmp_path / "c.mp4", RGB[:4])
    register("test-square-parts", "tests.video.test_editor_outputs:SquareParts", "test only: a square in two parts")
    assert run(clip, "-m", "test-square-parts", "-e", "parts", "--per-frame", "-o", tmp_path / "parts") == 0
    frame, truth = np.asarray(Image.open(tmp_path / "parts" / "00002.png")).astype(int), CLIP[2][1]
    rows = np.nonzero(truth.any(axis=1))[0]
    cols = np.nonzero(truth.any(axis=0))[0]
    top, bottom = frame[rows[2], cols[10]], frame[rows[-3], cols[10]]
    assert np.abs(top - bottom).sum() > 60  # two parts, two colours
    assert np.abs(frame[2, 2] - RGB[2][2, 2]).max() <= 2  # the background left as it was
    capsys.readouterr()
    assert run(clip, *FAKE, "-e", "parts", "-o", tmp_path / "none.mp4") == 2
    assert "gives no body parts" in one_line_error(capsys)
    assert not (tmp_path / "none.mp4").exists() and leftovers(tmp_path) == []


@pytest.mark.parametrize(("flag", "disable"), [([], None), (["-q"], True)], ids=["terminal-decides", "quiet"])
def test_the_progress_bar_shows_rate_and_eta_on_a_terminal_and_is_off_with_quiet(tmp_path, monkeypatch, flag, disable):
    import bodyseg.cli.video as command

    bars: list[dict[str, object]] = []
    real = command.tqdm

    def recording(*args, **kwargs):
        bars.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(command, "tqdm", recording)
    clip = write_clip(tmp_path / "c.mp4", RGB[:3])
    assert run(clip, *FAKE, *flag) == 0
    assert len(bars) == 1 and bars[0]["disable"] is disable  # None: shown only when stderr is a terminal
    assert bars[0]["total"] == 3 and bars[0]["unit"] == "frame"  # a known total: tqdm shows frames/s and ETA


def test_no_confirm_new_reaches_the_video_segmenter():
    from bodyseg.cli import build_parser
    from bodyseg.cli.video import build_video_segmenter

    for flags, expected in (([], True), (["--no-confirm-new"], False)):
        args = build_parser().parse_args(["video", "in.mp4", *FAKE, *flags])
        with build_video_segmenter(args) as video:
            assert video.confirm_new is expected and video.carry_missed
