"""The default method's part stage with a stand-in part net: labels inside masks, sides by pose."""

from __future__ import annotations

import numpy as np
import pytest

from bodyseg.errors import MethodError
from bodyseg.parts import BODY, LIP
from bodyseg.parts.pose_parts import standing_keypoints
from bodyseg.result import Person, Segmentation
from bodyseg.segmenters.bodyseg.parts import add_parts, check_net_classes, crop_box, labels_in_mask


class LeftArmEverywhere:
    """A stand-in part net: says "left-arm" on the left half of any crop, background on the right."""

    names = LIP.names

    def __init__(self) -> None:
        self.shapes: list[tuple[int, ...]] = []

    def crop_logits(self, rgb: np.ndarray) -> tuple[np.ndarray, float]:
        """At the crop's own size (scale 1), so the test reads pixels one to one."""
        self.shapes.append(rgb.shape)
        h, w = rgb.shape[:2]
        prob = np.full((LIP.num_classes, h, w), 0.01, np.float32)
        prob[LIP.id_of("left-arm"), :, : w // 2] = 0.8
        prob[0, :, w // 2 :] = 0.7
        prob[LIP.id_of("face"), :, w // 2 :] = 0.2
        return prob, 1.0


def one_person(size: int = 80) -> Segmentation:
    mask = np.zeros((size, size), bool)
    mask[10:70, 20:60] = True
    person = Person(mask=mask, box=(20, 10, 60, 70), keypoints=standing_keypoints(size, size))
    return Segmentation(prob=mask.astype(np.float32), people=[person])


def test_crop_box_grows_and_clips():
    assert crop_box((0, 0, 10, 20), (30, 30), margin=0.25) == (0, 0, 15, 25)


def test_labels_fill_the_mask_exactly_and_never_say_background_inside():
    net = LeftArmEverywhere()
    seg = add_parts(np.zeros((80, 80, 3), np.uint8), one_person(), net, "lip")
    labels = seg.parts.labels
    assert np.array_equal(labels > 0, seg.people[0].mask)
    # the right half of the crop: background wins, but inside the mask the best part (face) is taken
    assert labels[40, 55] == LIP.id_of("face")
    assert net.shapes == [(70, 50, 3)]  # the box grown by 8% of its longer side (60 px): 5 px each way
    assert seg.people[0].parts.names == LIP.names and seg.meta["part_scheme"] == "lip"


def test_the_pose_decides_left_and_right():
    seg = add_parts(np.zeros((80, 80, 3), np.uint8), one_person(), LeftArmEverywhere(), "lip")
    labels = seg.parts.labels
    # the net said "left-arm" on the image's left; the frontal landmarks say that is the right arm
    assert labels[28, 21] == LIP.id_of("right-arm")  # by the right upper arm of the landmarks
    body = add_parts(np.zeros((80, 80, 3), np.uint8), one_person(), LeftArmEverywhere(), "body").parts.labels
    assert np.array_equal(body > 0, labels > 0) and body.max() < BODY.num_classes


def test_people_without_pixels_get_empty_maps_and_lip_is_required():
    seg = one_person()
    seg.people.append(Person(mask=np.zeros((80, 80), bool), box=(0, 0, 0, 0)))
    add_parts(np.zeros((80, 80, 3), np.uint8), seg, LeftArmEverywhere(), "lip")
    assert not seg.people[1].parts.labels.any()
    assert labels_in_mask(np.ones((3, 1, 1)), np.zeros((1, 1), bool)).tolist() == [[0]]

    class Other:
        names = ("background", "head")

    with pytest.raises(MethodError, match="LIP"):
        check_net_classes(Other())


def test_flip_averages_the_crop_with_its_mirror_and_swaps_sides():
    from bodyseg.segmenters.bodyseg.parts import crop_logits

    net = LeftArmEverywhere()
    crop = np.zeros((70, 50, 3), np.uint8)
    plain, _ = crop_logits(net, crop)
    both, scale = crop_logits(net, crop, flip=True)
    assert len(net.shapes) == 3 and scale == 1.0  # once alone, twice with flip: the crop and its mirror
    left, right = LIP.id_of("left-arm"), LIP.id_of("right-arm")
    # the mirror's "left arm on its left half" is a right arm on this crop's right half
    assert both[left, 0, 0] == pytest.approx((0.8 + 0.01) / 2) and both[right, 0, 0] == pytest.approx(0.01)
    assert both[right, 0, 49] == pytest.approx((0.01 + 0.8) / 2) and plain[right, 0, 49] == pytest.approx(0.01)
    assert both[0, 0, 0] == pytest.approx((0.01 + 0.7) / 2)  # unpaired classes are mirrored, not swapped
