"""Per-person masks: overlaps, the fast mode's gating, close-ups and the refiner's choice of people."""

from __future__ import annotations

import numpy as np
import pytest

from bodyseg.geometry import RotatedSquare
from bodyseg.models.pose_detector import Detection
from bodyseg.models.pose_landmarks import LandmarkResult
from bodyseg.segmenters.bodyseg.masks import (
    LEFT_HIP,
    RIGHT_HIP,
    drop_duplicates,
    gate_by_people,
    is_close_up,
    kept_share,
    refine_in_crops,
    resolve_overlaps,
    union_and_owner,
)


def test_overlaps_go_to_the_most_probable_person():
    a = np.array([[0.9, 0.7, 0.2, 0.0]])
    b = np.array([[0.1, 0.8, 0.6, 0.3]])
    masks = resolve_overlaps([a, b])
    assert masks[0].tolist() == [[True, False, False, False]]
    assert masks[1].tolist() == [[False, True, True, False]]
    assert not (masks[0] & masks[1]).any()
    assert resolve_overlaps([]) == []


def test_union_and_owner_are_the_stack_maximum_and_argmax_ties_to_the_first():
    """The one-pass-per-person union and owner equal the stacked max / argmax they replace."""
    rng = np.random.default_rng(0)
    probs = [np.round(rng.random((30, 40)), 1).astype(np.float32) for _ in range(5)]  # many ties
    union, owner = union_and_owner(probs)
    np.testing.assert_array_equal(union, np.max(np.stack(probs), axis=0))
    np.testing.assert_array_equal(owner, np.stack(probs).argmax(axis=0))
    assert [m.tolist() for m in resolve_overlaps(probs, owner=owner)] == [m.tolist() for m in resolve_overlaps(probs)]


def test_duplicates_are_dropped_and_people_apart_kept():
    def person(x0: int, x1: int) -> LandmarkResult:
        prob = np.zeros((20, 60), np.float32)
        prob[2:18, x0:x1] = 0.9
        return LandmarkResult(np.zeros((33, 3), np.float32), 1.0, prob, None, np.zeros((2, 2), np.float32))

    a, again, apart, empty = person(0, 10), person(1, 10), person(30, 40), person(0, 0)
    kept = drop_duplicates([(0.5, again), (0.9, a), (0.7, apart), (0.1, empty)])
    assert [p for _, p in kept] == [a, apart, empty]


def detection_at(cx: float, cy: float, radius: float) -> Detection:
    keypoints = np.array([[cx, cy], [cx, cy + radius], [cx, cy - radius / 2], [cx, cy]], np.float32)
    return Detection(0.9, np.zeros(4, np.float32), keypoints)


def test_fast_mode_keeps_probability_only_inside_detected_bodies():
    prob = np.full((50, 100), 0.9, np.float32)  # a whole-frame model that calls everything person
    left, right = detection_at(20, 25, 10), detection_at(80, 25, 10)
    gated, owner = gate_by_people(prob, [left, right], (100, 200))  # probability at half the image's size
    assert gated[12, 10] == pytest.approx(0.9) and owner[12, 10] == 0  # (20, 25) in the image -> (10, 12.5) here
    assert gated[12, 40] == pytest.approx(0.9) and owner[12, 40] == 1
    assert gated[12, 25] == 0 and owner[12, 25] == -1  # between the two people
    assert gated[45, 10] == 0  # below the first person's circle (radius 10 * 1.15 image px = 5.75 here)


def test_close_up_means_no_hip_visible_inside_the_image():
    kp = np.zeros((33, 3), np.float32)
    kp[LEFT_HIP] = (50, 90, 0.9)
    kp[RIGHT_HIP] = (60, 95, 0.2)  # not visible
    person = LandmarkResult(kp, 1.0, np.zeros((100, 100)), None, np.zeros((2, 2)))
    assert not is_close_up(person, (100, 100))  # one visible hip in the frame: a full or half body
    kp[LEFT_HIP] = (50, 130, 0.9)  # below the frame
    assert is_close_up(person, (100, 100))
    kp[LEFT_HIP] = (50, 90, 0.3)  # in the frame but not visible
    assert is_close_up(person, (100, 100))


def test_only_close_ups_are_refined_by_default():
    calls = []

    class Recorder:
        size = 128

        def correction(self, inputs):
            calls.append(len(inputs))
            return np.zeros((len(inputs), 128, 128), np.float32)

    def person(hip_y: float) -> LandmarkResult:
        kp = np.zeros((33, 3), np.float32)
        kp[:, 2] = 0.9
        kp[:, :2] = (50, 40)
        kp[[LEFT_HIP, RIGHT_HIP], 1] = hip_y
        prob = np.zeros((100, 100), np.float32)
        prob[20:90, 30:70] = 0.9
        return LandmarkResult(kp, 1.0, prob, RotatedSquare(50.0, 50.0, 100.0, 0.0), np.zeros((2, 2)))

    rgb = np.zeros((100, 100, 3), np.uint8)
    selfie_calls = []

    def selfie():
        selfie_calls.append(1)
        return np.zeros((64, 64), np.float32)

    people = [person(70.0), person(150.0)]  # hips in view; hips below the frame
    out = refine_in_crops(rgb, people, Recorder(), selfie, who="close-up")
    assert calls == [1] and out[0] is people[0] and out[1] is not people[1]
    assert refine_in_crops(rgb, people[:1], Recorder(), selfie, who="close-up")[0] is people[0]
    assert len(selfie_calls) == 1  # the selfie model runs only when someone is refined


def test_kept_share_counts_pixels_above_one_half():
    prior = np.zeros((10, 10), np.float32)
    prior[:, :4] = 0.8  # 40 pixels
    refined = np.zeros((10, 10), np.float32)
    refined[:3, :4] = 0.9  # 12 kept
    refined[9, 9] = 0.6  # one grown elsewhere
    assert kept_share(refined, prior) == pytest.approx(13 / 40)
    assert kept_share(refined, np.zeros((10, 10))) == 1.0  # nothing to lose


def test_a_person_the_refiner_erases_keeps_the_landmark_mask():
    class Eraser:
        size = 128

        def __init__(self, shift: float):
            self.shift = shift

        def correction(self, inputs):
            return np.full((len(inputs), 128, 128), self.shift, np.float32)

    kp = np.zeros((33, 3), np.float32)
    kp[:, :2], kp[:, 2] = (50, 50), 0.9
    prob = np.zeros((100, 100), np.float32)
    prob[20:90, 30:70] = 0.9
    person = LandmarkResult(kp, 1.0, prob, RotatedSquare(50.0, 50.0, 100.0, 0.0), np.zeros((2, 2)))
    rgb = np.zeros((100, 100, 3), np.uint8)

    def selfie():
        return np.zeros((64, 64), np.float32)

    erased = refine_in_crops(rgb, [person], Eraser(-10.0), selfie, min_keep=0.6)  # logit 2.2 - 10: all gone
    assert erased[0] is person
    assert refine_in_crops(rgb, [person], Eraser(-10.0), selfie, min_keep=0.0)[0].prob.max() < 0.5
    trimmed = refine_in_crops(rgb, [person], Eraser(-1.0), selfie, min_keep=0.6)  # 0.9 -> 0.77: all kept
    assert trimmed[0] is not person and trimmed[0].prob.max() == pytest.approx(0.77, abs=0.01)


def test_selfie_share_blends_the_selfie_model_into_close_ups_only_inside_their_crop():
    class Identity:
        size = 128

        def correction(self, inputs):
            return np.zeros((len(inputs), 128, 128), np.float32)

    def person(hip_y: float) -> LandmarkResult:
        kp = np.zeros((33, 3), np.float32)
        kp[:, :2], kp[:, 2] = (100, 100), 0.9
        kp[[LEFT_HIP, RIGHT_HIP], 1] = hip_y
        prob = np.zeros((200, 200), np.float32)
        prob[60:140, 80:120] = 0.9  # the crop: this box's longer side (80) + 15% margins, centred
        return LandmarkResult(kp, 1.0, prob, RotatedSquare(100.0, 100.0, 100.0, 0.0), np.zeros((2, 2)))

    rgb = np.zeros((200, 200, 3), np.uint8)

    def selfie():  # the selfie model calls the whole frame person
        return np.ones((64, 64), np.float32)

    close_up, whole_body = person(250.0), person(130.0)
    blended = refine_in_crops(rgb, [close_up], Identity(), selfie, selfie_share=0.5)[0].prob
    assert blended[100, 100] == pytest.approx(0.5 * 0.9 + 0.5 * 1.0, abs=0.01)  # inside the person
    assert blended[100, 70] == pytest.approx(0.5, abs=0.01)  # in the crop, outside the person: selfie's half
    assert blended[100, 5] == 0 and blended[5, 100] == 0  # outside the crop: never the selfie model's
    alone = refine_in_crops(rgb, [close_up], Identity(), selfie, selfie_share=0.0)[0].prob
    assert alone[100, 100] == pytest.approx(0.9, abs=0.01) and alone[100, 70] < 0.01
    body = refine_in_crops(rgb, [whole_body], Identity(), selfie, selfie_share=0.5)[0].prob  # hips in view
    assert body[100, 100] == pytest.approx(0.9, abs=0.01) and body[100, 70] < 0.01
