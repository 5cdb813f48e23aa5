"""Parts from pose geometry: sides by the landmarks, the body scheme from LIP + landmarks + mask."""

from __future__ import annotations

import cv2
import numpy as np

from bodyseg.parts import BODY, LIP
from bodyseg.parts.pose_parts import body_from_lip, segment_distances, sides_by_pose, standing_keypoints
from bodyseg.result import POSE_LANDMARKS

K = {name: i for i, name in enumerate(POSE_LANDMARKS)}


def figure(size: int = 100) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A frontal stick figure: its 33 landmarks, its mask (thick limbs, torso, head) and a LIP parsing."""
    kp = standing_keypoints(size, size)
    xy = lambda name: tuple(int(round(v)) for v in kp[K[name], :2])  # noqa: E731
    lip = np.zeros((size, size), np.uint8)
    torso = np.array([xy("left_shoulder"), xy("right_shoulder"), xy("right_hip"), xy("left_hip")], np.int32)
    cv2.fillPoly(lip, [torso], int(LIP.id_of("upper-clothes")))
    for side in ("left", "right"):
        arm = LIP.id_of(f"{side}-arm")
        cv2.line(lip, xy(f"{side}_shoulder"), xy(f"{side}_elbow"), int(arm), 5)
        cv2.line(lip, xy(f"{side}_elbow"), xy(f"{side}_wrist"), int(arm), 5)
        cv2.line(lip, xy(f"{side}_hip"), xy(f"{side}_ankle"), int(LIP.id_of("pants")), 6)
        cv2.line(lip, xy(f"{side}_heel"), xy(f"{side}_foot_index"), int(LIP.id_of(f"{side}-shoe")), 3)
    cv2.circle(lip, xy("nose"), 7, int(LIP.id_of("face")), -1)
    return kp, lip > 0, lip


def test_segment_distances_by_hand():
    d = segment_distances(
        np.array([[1.0, 2.0], [-3.0, 0.0], [7.0, 4.0]]), np.array([[0.0, 0.0]]), np.array([[4.0, 0.0]])
    )
    # (7, 4) is past the end (4, 0): sqrt(3**2 + 4**2)
    assert d[:, 0].tolist() == [2.0, 3.0, 5.0]


def test_sides_follow_the_pose_not_the_image_side():
    kp, _, lip = figure()
    # the net called every arm pixel "left-arm": the landmarks put the image's left arm on the person's right
    wrong = np.where(np.isin(lip, [14, 15]), 14, lip).astype(np.uint8)
    fixed = sides_by_pose(wrong, kp)
    x_left_wrist = int(kp[K["left_wrist"], 0])
    assert fixed[int(kp[K["left_wrist"], 1]), x_left_wrist] == LIP.id_of("left-arm")
    x_right_wrist, y_right_wrist = int(kp[K["right_wrist"], 0]), int(kp[K["right_wrist"], 1])
    assert fixed[y_right_wrist, x_right_wrist] == LIP.id_of("right-arm")
    assert np.array_equal(fixed, lip)
    # seen from the back (landmarks mirrored), the same pixels swap sides
    back = kp.copy()
    back[:, 0] = 100 - back[:, 0]
    assert sides_by_pose(lip, back)[y_right_wrist, x_right_wrist] == LIP.id_of("left-arm")


def test_bare_leg_the_net_calls_arm_becomes_a_leg():
    kp, _, lip = figure()
    knee = kp[K["left_knee"], :2].round().astype(int)
    lip[knee[1], knee[0]] = LIP.id_of("right-arm")
    assert sides_by_pose(lip, kp)[knee[1], knee[0]] == LIP.id_of("left-leg")


def test_sides_without_pose_keep_the_net_labels_and_offsets_map_crops():
    _, _, lip = figure()
    assert sides_by_pose(lip, None) is lip
    kp, _, _ = figure()
    crop = lip[20:, 10:]
    assert np.array_equal(sides_by_pose(crop, kp, offset=(10, 20)), lip[20:, 10:])


def test_body_from_lip_puts_each_part_where_the_skeleton_is():
    kp, mask, lip = figure()
    body = body_from_lip(lip, mask, kp)
    assert np.array_equal(body > 0, mask)

    def at(name: str, t: float, a: str, b: str) -> int:
        x, y = (1 - t) * kp[K[a], :2] + t * kp[K[b], :2]
        return int(body[int(round(y)), int(round(x))])

    assert at("", 0.5, "left_shoulder", "left_elbow") == BODY.id_of("left-upper-arm")
    assert at("", 0.6, "right_elbow", "right_wrist") == BODY.id_of("right-lower-arm")
    assert at("", 0.3, "left_hip", "left_knee") == BODY.id_of("left-upper-leg")
    assert at("", 0.7, "right_knee", "right_ankle") == BODY.id_of("right-lower-leg")
    assert at("", 0.5, "left_heel", "left_foot_index") == BODY.id_of("left-foot")
    assert at("", 0.0, "nose", "nose") == BODY.id_of("head")
    centre = kp[[K["left_shoulder"], K["right_hip"]], :2].mean(axis=0).round().astype(int)
    assert body[centre[1], centre[0]] == BODY.id_of("torso")
    # no pose: head from the parsing, the rest torso
    plain = body_from_lip(lip, mask, None)
    assert set(np.unique(plain[mask])) == {BODY.id_of("head"), BODY.id_of("torso")}
