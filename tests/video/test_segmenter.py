"""VideoSegmenter and its parts: flow, smoothing, key-frame reuse, tracking, streaming."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import bodyseg
from bodyseg.errors import MethodError
from bodyseg.io import read_video_frames
from bodyseg.metrics import TemporalMeter, iou
from bodyseg.segmenters import create
from bodyseg.video import (
    FlowEstimator,
    KeyframeScheduler,
    KeypointKalman,
    Motion,
    PeopleTracker,
    VideoSegmenter,
    small_grey,
)
from tests.video.clips import SquareSegmenter, background, davis_clip, square_clip

OFF = {"smoothing": "off", "reuse": False, "tracking": False}


def scores(results, truths) -> dict[str, float]:
    meter = TemporalMeter()
    for seg, truth in zip(results, truths, strict=True):
        meter.update(seg.prob, truth.astype(np.float32))
    return meter.compute()


def test_flow_moves_results_with_the_picture():
    (a, mask_a), (b, mask_b) = square_clip(2, step=2)
    motion = Motion(FlowEstimator().backward(small_grey(b, 320), small_grey(a, 320)), b.shape[:2])
    assert iou(motion.warp(mask_a) > 0.5, mask_b) > 0.9 > iou(mask_a, mask_b)
    centre = np.array([[4 + 10, 32.0]])  # the square's centre in the first frame
    assert motion.move_points(centre)[0, 0] == pytest.approx(16, abs=1.0)


def test_per_frame_mode_returns_the_segmenters_own_results():
    clip = square_clip(5)
    with VideoSegmenter(SquareSegmenter(), **OFF) as video:
        results = list(video.segment_frames(rgb for rgb, _ in clip))
    assert [r.meta["frame"] for r in results] == list(range(5)) and all(r.meta["keyframe"] for r in results)
    assert all(np.array_equal(r.mask(), m) for r, (_, m) in zip(results, clip, strict=False))


def test_frames_stream_through_one_at_a_time():
    alive: list[weakref.ref] = []
    pulled = []

    def frames():
        for i, (rgb, _) in enumerate(square_clip(30, step=1)):
            rgb = rgb.copy()
            alive.append(weakref.ref(rgb))
            pulled.append(i)
            yield rgb

    video = VideoSegmenter(SquareSegmenter())
    results = video.segment_frames(frames())
    next(results)
    assert pulled == [0]  # lazy: nothing read ahead
    for _ in results:
        pass
    gc.collect()
    assert sum(ref() is not None for ref in alive) <= 1  # no frame kept beyond the current one


def test_smoothing_lowers_flicker_without_lowering_iou():
    clip = square_clip(20, step=2)
    truths = [m for _, m in clip]
    per_frame = scores(VideoSegmenter(SquareSegmenter(noise=0.3), **OFF).segment_frames(f for f, _ in clip), truths)
    smooth = scores(
        VideoSegmenter(SquareSegmenter(noise=0.3), reuse=False, tracking=False).segment_frames(f for f, _ in clip),
        truths,
    )
    assert smooth["dtssd"] < 0.75 * per_frame["dtssd"]
    assert smooth["mean_frame_iou"] >= per_frame["mean_frame_iou"] - 0.005


@pytest.mark.parametrize("mode", ["flow", "gated"])
def test_smoothing_does_not_smear_a_moving_square(mode):
    clip = square_clip(12, step=4)
    results = list(
        VideoSegmenter(SquareSegmenter(), smoothing=mode, reuse=False, tracking=False).segment_frames(
            f for f, _ in clip
        )
    )
    assert min(iou(r.mask(), m) for r, (_, m) in zip(results, clip, strict=False)) > 0.9


def test_key_frames_are_reused_on_a_still_clip_but_never_too_long(square_segmenter):
    still = [square_clip(1)[0][0]] * 15
    video = VideoSegmenter("test-square", max_stale=3)
    results = list(video.segment_frames(still))
    keys = [r.meta["frame"] for r in results if r.meta["keyframe"]]
    assert keys == [0, 4, 8, 12] and video.calls == square_segmenter.calls == 4
    assert all(np.array_equal(r.mask(), results[0].mask()) for r in results)


def test_reused_results_follow_the_motion():
    clip = square_clip(10, step=1)
    video = VideoSegmenter(SquareSegmenter(), smoothing="off", tracking=False, change_threshold=1.0, max_stale=4)
    results = list(video.segment_frames(f for f, _ in clip))
    reused = [(r, m) for r, (_, m) in zip(results, clip, strict=False) if not r.meta["keyframe"]]
    assert video.calls == 2 and len(reused) == 8
    assert min(iou(r.mask(), m) for r, m in reused) > 0.85


def test_a_changed_frame_forces_a_new_key_frame():
    clip = square_clip(8, step=6)
    video = VideoSegmenter(SquareSegmenter(), max_stale=5, change_threshold=0.02)
    list(video.segment_frames(f for f, _ in clip))
    assert video.calls == 8


class FollowingSquareSegmenter(SquareSegmenter):
    """Follows the square from its last result (as bodyseg follows people without its detector);
    loses it on the follow calls numbered in ``lose`` (from 0)."""

    def __init__(self, lose=()) -> None:
        super().__init__()
        self.lose = set(lose)
        self.followed_from: list[int] = []

    def _segment(self, rgb):
        result = super()._segment(rgb)
        result.meta["call"] = self.own_calls - 1
        return result

    def _segment_next(self, rgb, previous):
        follow = len(self.followed_from)
        self.followed_from.append(previous.meta["call"])
        if follow in self.lose:
            return None
        return self._segment(rgb)


def test_between_full_runs_the_segmenter_follows_its_last_result():
    clip = square_clip(10, step=6)
    segmenter = FollowingSquareSegmenter()
    with VideoSegmenter(segmenter, redetect_every=4) as video:
        results = list(video.segment_frames(f for f, _ in clip))
    followed = [r.meta["followed"] for r in results]
    assert followed == [False, True, True, True, False, True, True, True, False, True]  # a full run every 4th frame
    assert segmenter.followed_from == [0, 1, 2, 4, 5, 6, 8]  # each time from the result just before
    assert video.follows == 7 and video.calls == 10
    assert min(iou(r.mask(), m) for r, (_, m) in zip(results, clip, strict=False)) > 0.9


def test_a_lost_follow_falls_back_to_a_full_run():
    clip = square_clip(6, step=6)
    segmenter = FollowingSquareSegmenter(lose=[1])
    results = list(VideoSegmenter(segmenter, redetect_every=10).segment_frames(f for f, _ in clip))
    assert [r.meta["followed"] for r in results] == [False, True, False, True, True, True]
    assert all(r.mask().any() for r in results)


def test_per_frame_settings_never_follow():
    segmenter = FollowingSquareSegmenter()
    results = list(VideoSegmenter(segmenter, **OFF, follow=False).segment_frames(f for f, _ in square_clip(5)))
    assert not any(r.meta["followed"] for r in results) and segmenter.followed_from == []
    with pytest.raises(MethodError, match="redetect_every"):
        VideoSegmenter(segmenter, redetect_every=0)


def test_running_the_segmenter_ahead_gives_the_same_results():
    clip = square_clip(12, step=3)
    results = {}
    for ahead in (0, 3):
        segmenter = FollowingSquareSegmenter()
        segmenter.noise, segmenter._rng = 0.2, np.random.default_rng(7)  # flicker, the same draws in both runs
        with VideoSegmenter(segmenter, redetect_every=3) as video:
            pairs = list(video.segment_stream((f for f, _ in clip), ahead=ahead))
        assert [frame is f for (frame, _), (f, _) in zip(pairs, clip, strict=False)] == [
            True
        ] * 12  # each result with its own frame
        results[ahead] = [seg for _, seg in pairs]
    for a, b in zip(results[0], results[3], strict=True):
        assert (
            np.array_equal(a.prob, b.prob)
            and a.meta["followed"] == b.meta["followed"]
            and a.meta["keyframe"] == b.meta["keyframe"]
        )


def test_tracking_fills_a_missed_detection():
    clip = square_clip(10, step=2)
    truth = clip[6][1]
    missed = list(VideoSegmenter(SquareSegmenter(miss=[6]), **OFF).segment_frames(f for f, _ in clip))
    assert missed[6].people == [] and not missed[6].mask().any()
    video = VideoSegmenter(SquareSegmenter(miss=[6]), smoothing="off", reuse=False)
    results = list(video.segment_frames(f for f, _ in clip))
    filled = results[6]
    assert filled.meta["tracked"] and filled.meta["tracked_people"] == [True]
    assert {tuple(r.meta["track_ids"]) for r in results} == {(0,)}
    assert iou(filled.people[0].mask, truth) > 0.8 and iou(filled.mask(), truth) > 0.8
    centre = filled.people[0].keypoints[1, :2]
    assert np.abs(centre - (4 + 6 * 2 + 10, 32)).max() < 2.5
    assert not results[7].meta["tracked"]  # found again: a detection, not a carried track


def test_a_track_is_dropped_after_max_missed_frames():
    clip = square_clip(10, step=1)
    video = VideoSegmenter(SquareSegmenter(miss=range(3, 10)), smoothing="off", reuse=False, max_missed=2)
    results = list(video.segment_frames(f for f, _ in clip))
    assert [len(r.people) for r in results] == [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]


def test_a_one_frame_false_alarm_is_not_carried():
    clip = square_clip(4, step=1)
    video = VideoSegmenter(SquareSegmenter(miss=[1, 2, 3]), smoothing="off", reuse=False)
    assert [len(r.people) for r in video.segment_frames(f for f, _ in clip)] == [1, 0, 0, 0]


def test_kalman_filter_removes_jitter_from_steady_motion():
    rng = np.random.default_rng(0)
    truth = np.stack([np.arange(40) * 3.0, np.full(40, 50.0)], axis=1)
    noisy = truth + rng.normal(0, 2.0, truth.shape)
    kf = KeypointKalman(np.array([[*noisy[0], 1.0]]), acceleration=0.5)  # steady motion: trust the model
    filtered = []
    for point in noisy[1:]:
        kf.predict()
        filtered.append(kf.update(np.array([[*point, 1.0]]))[0, :2])
    error_raw = np.abs(noisy[10:] - truth[10:]).mean()
    error_filtered = np.abs(np.array(filtered[9:]) - truth[10:]).mean()
    assert error_filtered < 0.8 * error_raw


def test_tracker_keeps_ids_for_two_people():
    def person(x0: int):
        from bodyseg.result import Person

        mask = np.zeros((40, 100), bool)
        mask[10:30, x0 : x0 + 10] = True
        return Person(mask=mask, box=(x0, 10, x0 + 10, 30))

    tracker = PeopleTracker()
    _, _, ids = tracker.update([person(10), person(60)], None)
    _, _, swapped = tracker.update([person(61), person(11)], None)
    assert ids == [0, 1] and swapped == [1, 0]


def test_scheduler_threshold():
    scheduler = KeyframeScheduler(threshold=0.1, max_stale=10)
    dark, light = np.zeros((4, 4), np.float32), np.full((4, 4), 0.5, np.float32)
    assert [scheduler.is_key(x) for x in (dark, dark, light, light, dark)] == [True, False, True, False, True]


def test_scheduler_looks_at_the_people_only_when_the_whole_frame_cannot_decide():
    """The people's region (a full-resolution resize per frame) is computed only when the whole frame
    changed too little; the decisions are those of the region given up front."""
    rng = np.random.default_rng(1)
    frames = [np.clip(0.5 + rng.normal(0, 0.01, (4, 8)), 0, 1).astype(np.float32) for _ in range(12)]
    frames[3] = frames[3] + 0.2  # the whole frame changes
    frames[6][:2, :2] += 0.3  # only where the people are
    frames[9][2:, 6:] += 0.3  # only away from them
    region = np.zeros((4, 8), bool)
    region[:2, :2] = True
    eager, lazy = KeyframeScheduler(0.05, 10), KeyframeScheduler(0.05, 10)
    asked = []

    def lazy_region() -> np.ndarray:
        asked.append(len(asked))
        return region

    decisions = [(eager.is_key(f, region), lazy.is_key(f, lazy_region)) for f in frames]
    assert [e for e, _ in decisions] == [z for _, z in decisions]
    assert decisions[6] == (True, True) and decisions[9][0] is False
    assert len(asked) < len(frames) - 1  # not asked on key frames the whole frame decides


def test_bad_options_are_refused():
    with pytest.raises(MethodError, match="smoothing"):
        VideoSegmenter(SquareSegmenter(), smoothing="blur")
    with pytest.raises(MethodError, match="already built"):
        VideoSegmenter(SquareSegmenter(), model="landscape")
    with pytest.raises(MethodError, match="optical flow"):
        VideoSegmenter(SquareSegmenter(), flow="lucas")


def test_top_level_api_and_frames_from_the_reader(tmp_path):
    from tests.video.clips import write_clip

    clip = write_clip(tmp_path / "c.mp4", [rgb for rgb, _ in square_clip(6)])
    with bodyseg.VideoSegmenter(SquareSegmenter()) as video:
        results = list(video.segment_frames(read_video_frames(clip)))
    assert len(results) == 6 and results[3].meta["time"] == pytest.approx(3 / 24, abs=1e-3)
    assert "VideoSegmenter" in repr(video)


@pytest.mark.slow
def test_real_clip_keeps_iou_and_lowers_flicker(tmp_path):
    path, truths = davis_clip(tmp_path, "lucia", 12)
    segmenter = create("mediapipe-selfie")
    per_frame = scores(VideoSegmenter(segmenter, **OFF).segment_frames(read_video_frames(path)), truths)
    video = scores(VideoSegmenter(segmenter).segment_frames(read_video_frames(path)), truths)
    segmenter.close()
    assert video["mean_frame_iou"] >= per_frame["mean_frame_iou"] - 0.005
    assert video["dtssd"] < per_frame["dtssd"]


def test_background_helper_has_no_red():
    assert background()[..., 0].max() < 100  # the fake segmenter must only see the square


@pytest.mark.parametrize(("options", "share"), [({}, 0.0), ({"selfie_share_body": 0.3}, 0.3)])
def test_a_video_by_method_name_takes_the_methods_video_defaults_unless_told(options, share):
    """The default method's selfie share of large people's edges pays on photos, not on frames (a
    selfie run a frame): a video built by name turns it off; an option given says otherwise."""
    with VideoSegmenter("bodyseg", **options) as video:
        assert video.segmenter.selfie_share_body == share
    with create("bodyseg") as photos:
        assert photos.selfie_share_body == 0.3  # photos keep it
