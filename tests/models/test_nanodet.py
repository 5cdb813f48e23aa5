"""NanoDet, the face-free person detector: its decoding by hand, its input, the shipped file, real photos."""

from __future__ import annotations

import numpy as np
import pytest

from bodyseg import example_image, read_image
from bodyseg.geometry import box_iou
from bodyseg.models.card import card_problems, read_card, shipped_card
from bodyseg.models.nanodet import (
    NAME,
    NanoDetPersons,
    PersonBox,
    decode_nanodet,
    nanodet_input,
    non_max_suppression,
    tile_windows,
)
from bodyseg.models.runtime import shipped_model_path
from tests.conftest import dataset_path

#: The astronaut's box in the example photo, drawn by hand.
ASTRONAUT_BOX = np.array([20, 15, 365, 512], np.float32)
#: Her nose, placed by hand.
ASTRONAUT_NOSE = np.array([224, 125], np.float32)


def test_non_max_suppression_keeps_the_best_of_overlapping_boxes():
    a = PersonBox(0.6, np.array([0, 0, 10, 20], np.float32))
    b = PersonBox(0.9, np.array([1, 1, 11, 21], np.float32))  # IoU with a: 171 / 229 = 0.75
    c = PersonBox(0.5, np.array([8, 0, 18, 20], np.float32))  # IoU with b: 57 / 343 < 0.5
    assert [p.score for p in non_max_suppression([a, b, c], 0.5)] == [0.9, 0.5]
    assert [p.score for p in non_max_suppression([a, b, c], 0.8)] == [0.9, 0.6, 0.5]


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
    assert round(people[0].score, 2) == 0.8


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
    assert card_problems(shipped_card(NAME)) == []
    assert read_card(shipped_card(NAME))["licence"] == "Apache-2.0" and shipped_model_path(NAME).name == "nanodet.onnx"


def test_nanodet_finds_the_astronaut_upright_and_upside_down():
    rgb = read_image(example_image())
    upright = NanoDetPersons().detect(rgb)
    assert len(upright) == 1 and box_iou(upright[0].box, ASTRONAUT_BOX) > 0.85
    # Turned by 180 degrees: MediaPipe's face-driven detector finds nobody there (measured); NanoDet still boxes her.
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


def test_tile_windows_cover_the_image_with_the_asked_overlap():
    # 2 x 2 tiles sharing a quarter: each side is 1 / 1.75 of the image's, starting 0.75 of a tile in
    windows = tile_windows((70, 140), 2, 0.25)
    assert windows == [(0, 0, 80, 40), (60, 0, 140, 40), (0, 30, 80, 70), (60, 30, 140, 70)]
    covered = np.zeros((70, 140), int)
    for x0, y0, x1, y1 in windows:
        covered[y0:y1, x0:x1] += 1
    assert covered.min() == 1 and covered[30:40, 60:80].min() == 4  # the shared centre is seen by all four


def test_detect_in_tiles_moves_boxes_to_the_image_and_drops_those_cut_by_an_inner_border():
    seen = []

    def detect(tile):
        seen.append(tile.shape[:2])
        return [
            PersonBox(0.8, np.array([10, 10, 20, 30], np.float32)),  # inside the tile: kept, moved
            PersonBox(0.6, np.array([50, 5, 80, 25], np.float32)),  # reaches the tile's right side (80 wide)
        ]

    finder = NanoDetPersons.__new__(NanoDetPersons)  # no model: detect is stubbed
    finder.detect = detect
    people = finder.detect_in_tiles(np.zeros((70, 140, 3), np.uint8), grid=2, overlap=0.25)
    assert seen == [(40, 80)] * 4
    boxes = sorted(tuple(p.box.tolist()) for p in people)
    # the right-side box is kept only in the two right tiles (their right side is the image's)
    assert boxes == [
        (10.0, 10.0, 20.0, 30.0),
        (10.0, 40.0, 20.0, 60.0),
        (70.0, 10.0, 80.0, 30.0),
        (70.0, 40.0, 80.0, 60.0),
        (110.0, 5.0, 140.0, 25.0),
        (110.0, 35.0, 140.0, 55.0),
    ]
    assert [p.score for p in people] == sorted((p.score for p in people), reverse=True)
