"""VideoSegmenter's fusion of the moved previous result with the new one: by confidence, and reset on cuts."""

from __future__ import annotations

import numpy as np
import pytest

from bodyseg.errors import MethodError
from bodyseg.video import VideoSegmenter
from bodyseg.video.smoothing import fuse_by_confidence, is_cut
from tests.video.clips import SquareSegmenter, background, square_clip

PLAIN = {"reuse": False, "tracking": False, "follow": False}


def cut_clip() -> list[np.ndarray]:
    """Six frames of the square on its background, then six of the square on another scene (a cut)."""
    frames = [rgb for rgb, _ in square_clip(12)]
    rng = np.random.default_rng(3)
    scene = rng.integers(0, 90, size=frames[0].shape, dtype=np.uint8)  # dark noise: nothing like before, no red
    for i in range(6, 12):
        square = frames[i][..., 0] > 150
        frames[i] = np.where(square[..., None], frames[i], scene)
    return frames


def test_after_a_cut_nothing_of_the_previous_scene_is_carried():
    frames = cut_clip()
    alone = [
        s.prob for s in VideoSegmenter(SquareSegmenter(noise=0.3), smoothing="off", **PLAIN).segment_frames(frames)
    ]
    video = VideoSegmenter(SquareSegmenter(noise=0.3), **PLAIN)
    fused = [s.prob for s in video.segment_frames(frames)]
    assert video.cuts == 1
    assert np.array_equal(fused[6], alone[6])  # the first frame after the cut: its own result
    assert not np.array_equal(fused[5], alone[5]) and not np.array_equal(fused[7], alone[7])  # smoothed elsewhere
    unreset = VideoSegmenter(SquareSegmenter(noise=0.3), cut_reset=False, **PLAIN)
    assert not np.array_equal([s.prob for s in unreset.segment_frames(frames)][6], alone[6])
    assert unreset.cuts == 0


def test_confidence_fusion_keeps_the_sure_side():
    new = np.array([[0.5, 0.5, 0.95, 0.05]], np.float32)
    old = np.array([[1.0, 0.5, 0.0, 1.0]], np.float32)
    fused = fuse_by_confidence(new, old, np.array([[1.0, 1.0, 1.0, 0.0]]), weight=0.6)
    assert fused[0, 0] > 0.9  # this frame hesitates, the previous was sure: it holds
    assert fused[0, 1] == pytest.approx(0.5)  # both hesitate
    assert 0.3 < fused[0, 2] < 0.7  # both sure and opposite: weighed by the share
    assert fused[0, 3] == pytest.approx(0.05)  # the gate shut: the new value as it is
    assert is_cut(np.zeros((8, 8))) and not is_cut(np.ones((8, 8)))


def test_confidence_fusion_lowers_flicker_on_a_noisy_still_square():
    frames = [square_clip(1)[0][0]] * 10
    flicker = {}
    for fusion in ("blend", "confidence"):
        probs = [
            s.prob for s in VideoSegmenter(SquareSegmenter(noise=0.3), fusion=fusion, **PLAIN).segment_frames(frames)
        ]
        flicker[fusion] = float(np.mean([np.abs(b - a).mean() for a, b in zip(probs, probs[1:], strict=False)]))
    alone = [
        s.prob for s in VideoSegmenter(SquareSegmenter(noise=0.3), smoothing="off", **PLAIN).segment_frames(frames)
    ]
    raw = float(np.mean([np.abs(b - a).mean() for a, b in zip(alone, alone[1:], strict=False)]))
    assert flicker["confidence"] < raw and flicker["blend"] < raw
    with pytest.raises(MethodError, match="fusion"):
        VideoSegmenter(SquareSegmenter(), fusion="average")


def appearing_clip() -> list[np.ndarray]:
    """Four frames of empty background, then the square from the fifth frame on."""
    frames = [rgb for rgb, _ in square_clip(10)]
    for i in range(4):
        frames[i] = background()
    return frames


@pytest.mark.parametrize("confirm_new", [False, True])
def test_a_new_person_shows_from_the_second_frame_they_are_found_in_with_confirm_new(confirm_new):
    video = VideoSegmenter(SquareSegmenter(), smoothing="off", reuse=False, follow=False, confirm_new=confirm_new)
    shown = [float(s.mask().sum()) for s in video.segment_frames(appearing_clip())]
    assert shown[:4] == [0.0] * 4 and min(shown[5:]) > 300
    assert (shown[4] == 0.0) if confirm_new else (shown[4] > 300)
