"""The bodyseg pipeline: each stage alone, then the whole on real photos."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bodyseg.io import read_image
from bodyseg.metrics import iou
from bodyseg.segmenters import create
from bodyseg.pose.detector import Detection
from bodyseg.segmenters.pipeline import gate_by_people, resolve_overlaps, tile_windows
from tests.conftest import dataset_path


def test_tile_windows_cover_the_image():
    windows = tile_windows((300, 500), 200)
    covered = np.zeros((300, 500), bool)
    for x0, y0, x1, y1 in windows:
        assert x1 - x0 == 200 and y1 - y0 == 200 and x1 <= 500 and y1 <= 300
        covered[y0:y1, x0:x1] = True
    assert covered.all()


def test_overlaps_go_to_the_most_probable_person():
    a = np.array([[0.9, 0.7, 0.2, 0.0]])
    b = np.array([[0.1, 0.8, 0.6, 0.3]])
    masks = resolve_overlaps([a, b])
    assert masks[0].tolist() == [[True, False, False, False]]
    assert masks[1].tolist() == [[False, True, True, False]]
    assert not (masks[0] & masks[1]).any()
    assert resolve_overlaps([]) == []


def ccp_val(step: int):
    root = dataset_path("ccp")
    ids = [line.split()[0] for line in (root / "split.txt").read_text().splitlines() if line.endswith("val")][::step]
    return [(root / "images" / f"{i}.jpg", root / "masks" / f"{i}.png") for i in ids]


@pytest.mark.slow
def test_pipeline_on_ccp_val_subset():
    """Every 10th val image; measured 0.93 on every 4th."""
    with create("bodyseg") as segmenter:
        scores = [iou(segmenter.segment(i).mask(), read_image(m)[..., 0] > 127) for i, m in ccp_val(10)]
    assert np.mean(scores) >= 0.90


@pytest.mark.slow
def test_pipeline_finds_several_people_in_coco():
    root = dataset_path("coco_person")
    with create("bodyseg") as segmenter:
        counts = []
        for path in sorted((root / "images").iterdir())[:15]:
            instances = read_image(root / "instances" / f"{path.stem}.png")[..., 0]
            seg = segmenter.segment(path)
            counts.append((len(seg.people), len(np.unique(instances)) - 1))
            for person in seg.people:
                assert person.keypoints.shape == (33, 3)
                assert not any((person.mask & other.mask).any() for other in seg.people if other is not person)
    assert sum(found > 1 for found, truth in counts) >= 2  # the single-person MediaPipe API never finds 2


@pytest.mark.slow
def test_pipeline_calls_few_background_pixels_person():
    root = dataset_path("backgrounds")
    with create("bodyseg") as segmenter:
        fractions = [segmenter.segment(p).mask().mean() for p in sorted((root / "images").iterdir())[::4]]
    assert np.mean(fractions) < 0.02


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


@pytest.mark.slow
def test_fast_mode_on_ccp_val_and_backgrounds():
    with create("bodyseg", fast=True) as segmenter:
        scores = [iou(segmenter.segment(i).mask(), read_image(m)[..., 0] > 127) for i, m in ccp_val(20)]
        root = dataset_path("backgrounds")
        fractions = [segmenter.segment(p).mask().mean() for p in sorted((root / "images").iterdir())[::6]]
    assert np.mean(scores) >= 0.90
    assert np.mean(fractions) < 0.03  # the selfie model alone calls 16.7% of these pixels person


def test_a_refiner_that_corrects_nothing_leaves_the_pipeline_unchanged(tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnx")
    from bodyseg.nets.pose_refiner import PoseRefinerNet
    from bodyseg.refine.posenet import REFINE_CHANNELS
    from bodyseg.train.export import export_with_card

    torch.manual_seed(0)
    _, card = export_with_card(PoseRefinerNet(base=4, depth=2), tmp_path / "identity.onnx", arch="pose-refiner", data=["test"], size=128,
                               num_classes=1, metrics={}, in_channels=REFINE_CHANNELS)  # zero head: dM = 0
    from bodyseg import example_image

    photo = read_image(example_image())
    plain = create("bodyseg", refiner="none").segment(photo)
    refined = create("bodyseg", refiner=str(card), refine_people="all").segment(photo)
    assert len(refined.people) == len(plain.people) == 1
    # dM = 0: the prior comes back, resampled through the 256 px crop around the person
    assert iou(refined.mask(), plain.mask()) > 0.995
    assert np.abs(refined.prob - plain.prob).mean() < 2e-3


def test_close_up_means_no_hip_visible_inside_the_image():
    from bodyseg.pose.landmarks import LandmarkResult
    from bodyseg.segmenters.pipeline import LEFT_HIP, RIGHT_HIP, is_close_up

    kp = np.zeros((33, 3), np.float32)
    kp[LEFT_HIP] = (50, 90, 0.9)
    kp[RIGHT_HIP] = (60, 95, 0.2)  # not visible
    person = LandmarkResult(kp, 1.0, np.zeros((100, 100)), None, np.zeros((2, 2)))
    assert not is_close_up(person, (100, 100))  # one visible hip in the frame: a full or half body
    kp[LEFT_HIP] = (50, 130, 0.9)  # below the frame
    assert is_close_up(person, (100, 100))
    kp[LEFT_HIP] = (50, 90, 0.3)  # in the frame but not visible
    assert is_close_up(person, (100, 100))


def test_only_close_ups_are_refined_by_default(monkeypatch):
    from bodyseg.pose.landmarks import LandmarkResult, RotatedSquare
    from bodyseg.segmenters import pipeline

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
        kp[[pipeline.LEFT_HIP, pipeline.RIGHT_HIP], 1] = hip_y
        prob = np.zeros((100, 100), np.float32)
        prob[20:90, 30:70] = 0.9
        return LandmarkResult(kp, 1.0, prob, RotatedSquare(50.0, 50.0, 100.0, 0.0), np.zeros((2, 2)))

    rgb = np.zeros((100, 100, 3), np.uint8)
    selfie_calls = []

    def selfie():
        selfie_calls.append(1)
        return np.zeros((64, 64), np.float32)

    people = [person(70.0), person(150.0)]  # hips in view; hips below the frame
    out = pipeline.refine_in_crops(rgb, people, Recorder(), selfie, who="close-up")
    assert calls == [1] and out[0] is people[0] and out[1] is not people[1]
    assert pipeline.refine_in_crops(rgb, people[:1], Recorder(), selfie, who="close-up")[0] is people[0]
    assert len(selfie_calls) == 1  # the selfie model runs only when someone is refined


@pytest.mark.slow
def test_following_a_dancer_skips_the_detector_and_keeps_the_mask(monkeypatch):
    """Video: from one frame's result the next is segmented by the landmark model alone, on the
    region the last landmarks suggest; as good as detecting again; and None when nobody is there."""
    root = dataset_path("davis_person", "dance-twirl")
    frames = [read_image(p) for p in sorted((root / "images").iterdir())[:4]]
    truths = [read_image(p)[..., 0] > 127 for p in sorted((root / "masks").iterdir())[:4]]
    with create("bodyseg") as segmenter:
        first = segmenter.segment(frames[0])
        assert len(first.meta["landmark_rois"]) == len(first.people) >= 1
        calls = []
        monkeypatch.setattr(segmenter._detector, "detect", lambda rgb: calls.append(1) or [])
        previous = first
        for frame, truth in zip(frames[1:], truths[1:]):
            followed = segmenter.segment_next(frame, previous)
            assert followed is not None and iou(followed.mask(), truth) > 0.8
            previous = followed
        assert calls == []  # the detector never ran
        empty = np.full_like(frames[0], 128)
        assert segmenter.segment_next(empty, first) is None  # nobody there any more: a full run is needed


@pytest.mark.parametrize(("option", "match"), [({"zoom_out": "sometimes"}, "zoom_out must be one of off, face, always"), ({"threads": 0}, "threads must be >= 1")])
def test_bad_options_are_named(option, match):
    from bodyseg.errors import MethodError

    with pytest.raises(MethodError, match=match):
        create("bodyseg", **option)


def test_zoom_out_accepts_the_old_booleans():
    with create("bodyseg", zoom_out=True) as always, create("bodyseg", zoom_out=False) as never:
        assert (always.zoom_out, never.zoom_out) == ("always", "off")
        assert never._faces is None


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("face_seen", [False, True])
def test_a_close_up_is_kept_whole_when_only_a_face_is_seen(monkeypatch, face_seen, fast):
    with create("bodyseg", fast=fast, refine="none") as segmenter:
        square = np.zeros((32, 32), np.float32)
        square[8:24, 8:24] = 0.9
        monkeypatch.setattr(segmenter._detector, "detect", lambda rgb: [])
        monkeypatch.setattr(segmenter._faces, "detect", lambda rgb: ["a face"] if face_seen else [])
        monkeypatch.setattr(segmenter, "_selfie", lambda rgb: square)
        seg = segmenter.segment(np.zeros((64, 64, 3), np.uint8))
    if face_seen:
        assert seg.mask()[20:44, 20:44].all() and not seg.mask()[:10].any() and len(seg.people) == 1
    else:
        assert not seg.mask().any() and seg.people == []


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
    return Detection(score, np.zeros(4, np.float32), np.array([[x, y], [x, y - 20], [x, y - 10], [x, y - 15]], np.float32))


@pytest.mark.parametrize(("confirmed", "tiles_run"), [({0.9}, False), (set(), True)])
def test_tiles_look_again_when_nobody_on_the_whole_frame_is_confirmed(confirmed, tiles_run):
    """A whole-frame detection the landmark model rejects (an animal) must not stop the tiles from
    looking for the small people beside it; one it accepts does (``tiles="empty"``)."""
    from bodyseg.segmenters.pipeline import locate_people

    detector = ScriptedDetector([body(100, 100, 0.9)], [body(200, 200, 0.8)])  # the whole frame, then the first tile
    found = locate_people(np.zeros((480, 640, 3), np.uint8), detector, tiles="empty",
                          confirm=lambda dets: [d for d in dets if d.score in confirmed or d.score == 0.8])
    scores = [d.score for d in found]
    assert (detector.calls > 1) == tiles_run
    assert scores == ([0.8] if tiles_run else [0.9])


def test_the_face_detector_is_asked_once_per_image_when_nobody_is_found(monkeypatch):
    """Zooming out and the close-up fallback both depend on a face being seen: one face run serves both."""
    with create("bodyseg", refine="none") as segmenter:
        calls = []
        monkeypatch.setattr(segmenter._detector, "detect", lambda rgb: [])
        monkeypatch.setattr(segmenter._faces, "detect", lambda rgb: calls.append(1) or [])
        seg = segmenter.segment(np.zeros((64, 64, 3), np.uint8))
    assert calls == [1] and seg.people == []
