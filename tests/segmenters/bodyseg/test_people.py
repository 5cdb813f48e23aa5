"""Finding people: tiles, zoomed-out views, and what counts as nobody."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bodyseg.models.pose_detector import Detection
from bodyseg.segmenters.bodyseg.people import ZOOM_OUTS, locate_people, looks_like_animal, tile_windows


def test_tile_windows_cover_the_image():
    windows = tile_windows((300, 500), 200)
    covered = np.zeros((300, 500), bool)
    for x0, y0, x1, y1 in windows:
        assert x1 - x0 == 200 and y1 - y0 == 200 and x1 <= 500 and y1 <= 300
        covered[y0:y1, x0:x1] = True
    assert covered.all()


class ScriptedDetector:
    """A detector that answers its calls in turn from a script (copies: callers shift keypoints), then finds nobody."""

    def __init__(self, *answers: list[Detection]) -> None:
        self.answers, self.calls = answers, 0

    def detect(self, rgb):
        self.calls += 1
        answer = self.answers[self.calls - 1] if self.calls <= len(self.answers) else []
        return [dataclasses.replace(d, keypoints=d.keypoints.copy(), face_box=d.face_box.copy()) for d in answer]


def body(x: float, y: float, score: float) -> Detection:
    """A detection with its mid-hip at (x, y) and a 20 px body radius."""
    return Detection(
        score, np.zeros(4, np.float32), np.array([[x, y], [x, y - 20], [x, y - 10], [x, y - 15]], np.float32)
    )


@pytest.mark.parametrize(("confirmed", "tiles_run"), [({0.9}, False), (set(), True)])
def test_tiles_look_again_when_nobody_on_the_whole_frame_is_confirmed(confirmed, tiles_run):
    """A whole-frame detection the landmark model rejects (an animal) must not stop the tiles from
    looking for the small people beside it; one it accepts does (``tiles="empty"``)."""
    detector = ScriptedDetector([body(100, 100, 0.9)], [body(200, 200, 0.8)])  # the whole frame, then the first tile
    found = locate_people(
        np.zeros((480, 640, 3), np.uint8),
        detector,
        tiles="empty",
        confirm=lambda dets: [d for d in dets if d.score in confirmed or d.score == 0.8],
    )
    scores = [d.score for d in found]
    assert (detector.calls > 1) == tiles_run
    assert scores == ([0.8] if tiles_run else [0.9])


@pytest.mark.parametrize(("faces", "zoomed"), [([], False), (["a face"], True)])
def test_a_frame_without_bodies_is_looked_at_again_only_when_a_face_is_seen(faces, zoomed):
    class Detector:
        def __init__(self, found):
            self.shapes, self.found = [], found

        def detect(self, rgb):
            self.shapes.append(rgb.shape[:2])
            return list(self.found)

    bodies, face_detector = Detector([]), Detector(faces)
    rgb = np.zeros((100, 80, 3), np.uint8)
    assert (
        locate_people(rgb, bodies, tiles=False, zoom_out="face", sees_face=lambda: bool(face_detector.detect(rgb)))
        == []
    )
    assert face_detector.shapes == [(100, 80)]
    assert bodies.shapes[1:] == ([(int(round(100 * f)),) * 2 for f, _ in ZOOM_OUTS] if zoomed else [])


def test_an_animal_is_what_nanodet_calls_animal_and_nobody_calls_person():
    from bodyseg.models.nanodet import NanoDetView

    centres = np.array([[10, 10], [30, 10], [70, 70]], np.float32)  # three cells
    scores = np.zeros((3, 80), np.float32)
    scores[0, 19] = 0.7  # a cow at (10, 10)
    scores[1, 0] = 0.2  # a faint person beside it
    scores[2, 17], scores[2, 0] = 0.8, 0.6  # a horse and its rider at (70, 70)
    view = NanoDetView([], centres, scores)
    assert looks_like_animal(view, np.array([0, 0, 20, 20]))  # the cow alone
    assert looks_like_animal(view, np.array([0, 0, 40, 20]))  # with the faint person (0.2 < 0.25)
    assert not looks_like_animal(view, np.array([60, 60, 80, 80]))  # the rider scores as a person
    assert not looks_like_animal(view, np.array([40, 40, 50, 50]))  # no cell inside: nothing seen
    assert not looks_like_animal(view, np.array([0, 0, 20, 20]), min_animal=0.8)
