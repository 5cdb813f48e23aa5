"""The default method and its fast mode on real photos, their options, and the models seam."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bodyseg.errors import MethodError
from bodyseg.io import read_image
from bodyseg.metrics import iou
from bodyseg.models.nanodet import NanoDetView, PersonBox
from bodyseg.models.pose_landmarks import LandmarkResult
from bodyseg.result import Segmentation
from bodyseg.segmenters import create
from bodyseg.segmenters.bodyseg import FastPeopleSegmenter, PeopleSegmenter, PipelineModels
from bodyseg.segmenters.bodyseg.finder import look_in_tiles
from bodyseg.segmenters.bodyseg.segmenter import FOLLOW_KEY, FOUND_BY_KEY, SELFIE_FOUND
from bodyseg.segmenters.registry import parse_option_pairs
from tests.conftest import dataset_path


class Recorder:
    """A stand-in detector: records each call and finds what it is told to (nobody by default)."""

    def __init__(self, found=()):
        self.calls, self.found = 0, list(found)

    def detect(self, rgb):
        self.calls += 1
        return list(self.found)


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
            for person, by in zip(seg.people, seg.meta.get(FOUND_BY_KEY, []), strict=True):
                assert person.keypoints is None if by == SELFIE_FOUND else person.keypoints.shape == (33, 3)
                assert not any((person.mask & other.mask).any() for other in seg.people if other is not person)
    assert sum(found > 1 for found, truth in counts) >= 2  # the single-person MediaPipe API never finds 2


@pytest.mark.slow
def test_pipeline_calls_few_background_pixels_person():
    root = dataset_path("backgrounds")
    with create("bodyseg") as segmenter:
        fractions = [segmenter.segment(p).mask().mean() for p in sorted((root / "images").iterdir())[::4]]
    assert np.mean(fractions) < 0.02


@pytest.mark.slow
def test_fast_mode_on_ccp_val_and_backgrounds():
    with create("bodyseg-fast") as segmenter:
        scores = [iou(segmenter.segment(i).mask(), read_image(m)[..., 0] > 127) for i, m in ccp_val(20)]
        root = dataset_path("backgrounds")
        fractions = [segmenter.segment(p).mask().mean() for p in sorted((root / "images").iterdir())[::6]]
    assert np.mean(scores) >= 0.90
    assert np.mean(fractions) < 0.03  # the selfie model alone calls 16.7% of these pixels person


def test_a_refiner_that_corrects_nothing_leaves_the_pipeline_unchanged(tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnx")
    from bodyseg.models.refiner import REFINE_CHANNELS
    from bodyseg.nets.pose_refiner import PoseRefinerNet
    from bodyseg.train.export import export_with_card

    torch.manual_seed(0)
    _, card = export_with_card(
        PoseRefinerNet(base=4, depth=2),
        tmp_path / "identity.onnx",
        arch="pose-refiner",
        data=["test"],
        size=128,
        num_classes=1,
        metrics={},
        in_channels=REFINE_CHANNELS,
    )  # zero head: dM = 0
    from bodyseg import example_image

    photo = read_image(example_image())
    plain = create("bodyseg", refiner="none").segment(photo)
    # the astronaut is a close-up: without the selfie model blended in, only the net changes anything
    refined = create("bodyseg", refiner=str(card), refiner_people="all", selfie_share=0.0).segment(photo)
    assert len(refined.people) == len(plain.people) == 1
    # dM = 0: the prior comes back, resampled through the 256 px crop around the person
    assert iou(refined.mask(), plain.mask()) > 0.995
    assert np.abs(refined.prob - plain.prob).mean() < 2e-3


@pytest.mark.slow
def test_following_a_dancer_skips_the_detector_and_keeps_the_mask():
    """Video: from one frame's result the next is segmented by the landmark model alone, on the
    region the last landmarks suggest; as good as detecting again; and None when nobody is there."""
    root = dataset_path("davis_person", "dance-twirl")
    frames = [read_image(p) for p in sorted((root / "images").iterdir())[:4]]
    truths = [read_image(p)[..., 0] > 127 for p in sorted((root / "masks").iterdir())[:4]]
    first = create("bodyseg").segment(frames[0])
    assert len(first.meta["landmark_rois"]) == len(first.people) >= 1
    models = PipelineModels.load(min_score=0.5, face_min_score=0.75, refiner="auto")
    detector = Recorder()
    with PeopleSegmenter(models=dataclasses.replace(models, detector=detector)) as segmenter:
        previous = first
        for frame, truth in zip(frames[1:], truths[1:], strict=False):
            followed = segmenter.segment_next(frame, previous)
            assert followed is not None and iou(followed.mask(), truth) > 0.8
            previous = followed
        assert detector.calls == 0  # the detector never ran
        empty = np.full_like(frames[0], 128)
        assert segmenter.segment_next(empty, first) is None  # nobody there any more: a full run is needed


@pytest.mark.parametrize(
    ("method", "option", "match"),
    [
        ("bodyseg", {"zoom_out": "sometimes"}, "unknown zoom_out 'sometimes'; choose one of: off, face, always"),
        ("bodyseg", {"threads": 0}, "threads must be a whole number between 1 and 64"),
        ("bodyseg", {"min_score": 1.5}, "min_score must be >= 0.0 and <= 1.0"),
        ("bodyseg", {"min_presence": "high"}, "min_presence must be a number"),
        ("bodyseg", {"refiner": "mine.onnx"}, "refiner must be auto, none or a refiner's model card"),
        ("bodyseg", {"edges": "sharp"}, "unknown edges 'sharp'; choose one of: guided, crf, none"),
        ("bodyseg-fast", {"max_people": 0}, "max_people must be a whole number between 1 and 1000"),
    ],
)
def test_bad_options_are_named(method, option, match):
    with pytest.raises(MethodError, match=match):
        create(method, **option)


def test_options_from_the_command_line_mean_what_they_say():
    """``--option refiner=auto`` is the documented default: it must not turn the refiner off."""
    with create("bodyseg", **parse_option_pairs(["refiner=auto", "zoom_out=off", "tiles=false"])) as segmenter:
        assert segmenter.models.refiner is not None and segmenter.models.faces is None and segmenter.tiles is False


def close_up_models(face_seen: bool, fast: bool) -> PipelineModels:
    """Stand-ins: no body anywhere, a face when ``face_seen``, a selfie model that sees a centred square."""
    square = np.zeros((32, 32), np.float32)
    square[8:24, 8:24] = 0.9
    return PipelineModels(
        detector=Recorder(),
        landmarks=None if fast else object(),
        faces=Recorder(["a face"] if face_seen else []),
        selfie=lambda rgb: square,
    )


@pytest.mark.parametrize("method", [PeopleSegmenter, FastPeopleSegmenter])
@pytest.mark.parametrize("face_seen", [False, True])
def test_a_close_up_is_kept_whole_when_only_a_face_is_seen(face_seen, method):
    models = close_up_models(face_seen, fast=method is FastPeopleSegmenter)
    seg = method(edges="none", models=models).segment(np.zeros((64, 64, 3), np.uint8))
    if face_seen:
        assert seg.mask()[20:44, 20:44].all() and not seg.mask()[:10].any() and len(seg.people) == 1
    else:
        assert not seg.mask().any() and seg.people == []


def test_the_face_detector_is_asked_once_per_image_when_nobody_is_found():
    """Zooming out and the close-up fallback both depend on a face being seen: one face run serves both."""
    models = close_up_models(face_seen=False, fast=False)
    seg = PeopleSegmenter(edges="none", models=models).segment(np.zeros((64, 64, 3), np.uint8))
    assert models.faces.calls == 1 and seg.people == []
    assert models.detector.calls == 1  # no face: no zoomed-out look, and the frame is too small for tiles


@pytest.mark.slow
def test_cows_the_pose_models_take_for_people_are_dropped():
    cows = dataset_path("backgrounds", "images", "cows_00024.jpg")  # a training scene, not backgrounds-val
    with create("bodyseg", drop_animals=False) as fooled, create("bodyseg") as segmenter:
        assert fooled.segment(cows).mask().mean() > 0.02  # the pose detector and landmark model say person
        assert not segmenter.segment(cows).people


class SquareLandmarks:
    """A stand-in landmark model: a person filling the region's inner square, present unless the
    region's centre is in ``gone`` (x positions); records the centres it ran on."""

    def __init__(self, gone=()):
        self.gone, self.centres = set(gone), []

    def run(self, rgb, roi):
        self.centres.append(roi.cx)
        prob = np.zeros(rgb.shape[:2], np.float32)
        half = int(roi.side / 4)
        prob[int(roi.cy) - half : int(roi.cy) + half, int(roi.cx) - half : int(roi.cx) + half] = 0.9
        alignment = np.array([[roi.cx, roi.cy], [roi.cx, roi.cy - roi.side / 2.5]], np.float32)
        presence = 0.0 if roi.cx in self.gone else 0.95
        return LandmarkResult(np.zeros((33, 3), np.float32), presence, prob, roi, alignment)


def two_people(landmarks) -> tuple[PeopleSegmenter, Segmentation]:
    """A segmenter on stand-ins and a previous result following two people, at x = 30 and x = 90."""
    segmenter = PeopleSegmenter(edges="none", models=PipelineModels(detector=Recorder(), landmarks=landmarks))
    follow = [
        {"roi": (x, 40.0, 40.0, 0.0), "detector_score": 0.9, "found_by": by}
        for x, by in ((30.0, "pose"), (90.0, "nanodet"))
    ]
    previous = Segmentation(prob=np.zeros((80, 120), np.float32), meta={FOLLOW_KEY: follow})
    return segmenter, previous


@pytest.mark.parametrize("redetect_on", ["everyone-lost", "anyone-lost"])
def test_following_drops_a_lost_person_unless_told_to_run_in_full(redetect_on):
    """In a crowd, someone lost while following no longer forces a full run at once (breakdance's
    audience made every other frame one): the others go on being followed."""
    segmenter, previous = two_people(SquareLandmarks(gone={90.0}))
    segmenter.redetect_on = redetect_on
    followed = segmenter.segment_next(np.zeros((80, 120, 3), np.uint8), previous)
    if redetect_on == "anyone-lost":
        assert followed is None
    else:
        assert followed is not None and len(followed.people) == 1 and followed.meta[FOUND_BY_KEY] == ["pose"]
        assert followed.mask()[40, 30] and not followed.mask()[40, 90]


def test_following_with_everyone_lost_asks_for_a_full_run():
    segmenter, previous = two_people(SquareLandmarks(gone={30.0, 90.0}))
    assert segmenter.segment_next(np.zeros((80, 120, 3), np.uint8), previous) is None


def test_following_remembers_what_found_each_person():
    """Who found a person (pose detector or face-free finder) survives following, frame after frame."""
    segmenter, previous = two_people(SquareLandmarks())
    frame = np.zeros((80, 120, 3), np.uint8)
    once = segmenter.segment_next(frame, previous)
    twice = segmenter.segment_next(frame, once)
    assert sorted(twice.meta[FOUND_BY_KEY]) == ["nanodet", "pose"]
    assert [entry["found_by"] for entry in twice.meta[FOLLOW_KEY]] == twice.meta[FOUND_BY_KEY]


def test_the_finder_does_not_check_again_a_person_already_found():
    """A face-free box on a person the pose detector found (a dancer with limbs spread covers less than
    half of it) costs no landmark run; a box elsewhere does."""

    boxes = [PersonBox(0.8, np.array([18.0, 18.0, 42.0, 62.0])), PersonBox(0.7, np.array([80.0, 20.0, 100.0, 60.0]))]
    view = NanoDetView(boxes, np.zeros((0, 2), np.float32), np.zeros((0, 80), np.float32))
    landmarks = SquareLandmarks(gone={90.0})
    segmenter = PeopleSegmenter(edges="none", models=PipelineModels(detector=Recorder(), landmarks=landmarks))
    found = np.zeros((80, 120), np.float32)
    found[20:60, 20:40:3] = 0.9  # stripes: a third of the box covered
    person = LandmarkResult(np.zeros((33, 3), np.float32), 0.95, found, None, np.zeros((2, 2), np.float32))
    segmenter._find_more(np.zeros((80, 120, 3), np.uint8), [(0.9, person)], view)
    assert landmarks.centres == [90.0, 90.0]  # only the second box, upright then upside down


class SeeingLandmarks(SquareLandmarks):
    """SquareLandmarks that also keep each image they were shown."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def run(self, rgb, roi):
        self.seen.append(rgb)
        return super().run(rgb, roi)


@pytest.mark.parametrize("isolate", [True, False])
def test_the_finder_shows_the_landmark_model_only_the_box_it_checks(isolate):
    """In a crowd the landmark model, shown a box's whole square, locks onto a neighbour; greyed outside
    the box (grown by the margin), it sees the person the box is about."""
    view = NanoDetView([PersonBox(0.8, np.array([40.0, 20.0, 60.0, 60.0]))], np.zeros((0, 2)), np.zeros((0, 80)))
    landmarks = SeeingLandmarks()
    models = PipelineModels(detector=Recorder(), landmarks=landmarks)
    segmenter = PeopleSegmenter(edges="none", finder_isolate=isolate, models=models)
    rgb = np.full((80, 120, 3), 9, np.uint8)
    more = segmenter._find_more(rgb, [], view)
    assert len(more) == 1 and landmarks.seen  # found upright, on the first look
    seen = landmarks.seen[0]
    assert segmenter.finder_isolate_margin == 0.2  # 4 px in x and 8 in y around the 20 x 40 box
    assert (seen[12:68, 36:64] == 9).all()
    assert (seen[:, 35] == 128).all() == isolate and (seen[11, 36:64] == 128).all() == isolate
    assert (seen[:, 64] == 128).all() == isolate and (seen[68, 36:64] == 128).all() == isolate


@pytest.mark.parametrize(
    ("selfie_value", "nanodet_score", "tiled", "kept"),
    [(1.0, 0.8, False, True), (0.0, 0.8, False, False), (1.0, 0.38, False, False), (1.0, 0.8, True, False)],
)
def test_a_box_the_landmark_model_cannot_read_gets_the_selfie_models_mask(selfie_value, nanodet_score, tiled, kept):
    """A confident NanoDet box that the landmark model rejects both ways (someone lying on the floor)
    becomes a person with the selfie model's mask in the box and no keypoints, not followed in video;
    not when the selfie model sees nobody there, nor for a box NanoDet is unsure of, nor for a box
    only a tile of the image saw."""
    box = np.array([40.0, 20.0, 60.0, 60.0])
    view = NanoDetView([PersonBox(nanodet_score, box, tiled=tiled)], np.zeros((0, 2)), np.zeros((0, 80)))
    landmarks = SquareLandmarks(gone={50.0})  # the box's centre: rejected upright and upside down
    selfie = lambda rgb: np.full(rgb.shape[:2], selfie_value, np.float32)  # noqa: E731
    models = PipelineModels(detector=Recorder(), landmarks=landmarks, selfie=selfie)
    segmenter = PeopleSegmenter(edges="none", finder_min_score=0.35, models=models)
    rgb = np.zeros((80, 120, 3), np.uint8)
    more = segmenter._find_more(rgb, [], view)
    assert len(more) == int(kept)
    if kept:
        seg = segmenter._assemble(rgb, more)
        (person,) = seg.people
        assert person.box == (40, 20, 60, 60) and person.mask.sum() == 20 * 40 and person.keypoints is None
        assert seg.meta[FOUND_BY_KEY] == [SELFIE_FOUND] and seg.meta[FOLLOW_KEY] == []


@pytest.mark.slow
def test_the_isolated_finder_separates_a_crowd():
    """coco 000000000542: a row of people by an aeroplane; NanoDet sees ten, and the landmark model,
    shown each whole square, confirms four (the others' squares show a neighbour again); measured 9 of
    them, IoU 0.48 -> 0.73."""
    path = dataset_path("coco_person", "images", "000000000542.jpg")
    with (
        create("bodyseg", finder_isolate=False, finder_selfie=False) as whole,
        create("bodyseg", finder_selfie=False) as isolated,
    ):
        assert len(isolated.segment(path).people) >= len(whole.segment(path).people) + 3


@pytest.mark.parametrize(
    ("share", "selfie_cols", "edge"),
    [
        (0.3, slice(30, 74), 0.58),  # the models agree (IoU 40/44): 0.7 x 0.4 + 0.3 x 1 at the edge
        (0.0, slice(30, 74), 0.4),  # off
        (0.3, slice(0, 100), 0.4),  # the selfie model takes the whole width: they disagree, ours kept
    ],
)
def test_large_people_take_a_share_of_the_selfie_models_edge(share, selfie_cols, edge):
    prob = np.zeros((100, 100), np.float32)
    prob[10:90, 30:70], prob[10:90, 70:73] = 0.9, 0.4
    hips = np.zeros((33, 3), np.float32)
    hips[23:25] = (50, 50, 0.9)  # in view: not a close-up
    person = LandmarkResult(hips, 0.95, prob, None, np.zeros((2, 2), np.float32))
    selfie = np.zeros((100, 100), np.float32)
    selfie[10:90, selfie_cols] = 1.0
    models = PipelineModels(detector=Recorder(), landmarks=SquareLandmarks(), selfie=lambda rgb: selfie)
    segmenter = PeopleSegmenter(edges="none", selfie_share_body=share, models=models)
    ((_, blended),) = segmenter._refined(np.zeros((100, 100, 3), np.uint8), [(0.9, person)])
    assert blended.prob[50, 71] == pytest.approx(edge)
    assert blended.prob[50, 50] == pytest.approx(0.9 if edge == 0.4 else 0.93)


@pytest.mark.parametrize("follow_bystanders", [False, True])
def test_bystanders_are_kept_but_not_followed_unless_asked(follow_bystanders):
    """A short person only the face-free finder saw (the audience around a dancer) is in the result
    but costs no landmark run per frame in video: the next frame follows the others only."""

    def person(x0: int, height: int, found_by: str) -> LandmarkResult:
        prob = np.zeros((120, 120), np.float32)
        prob[110 - height : 110, x0 : x0 + 20] = 0.9
        alignment = np.array([[x0 + 10, 80.0], [x0 + 10, 40.0]], np.float32)
        return LandmarkResult(np.zeros((33, 3), np.float32), 0.9, prob, None, alignment, found_by)

    segmenter = PeopleSegmenter(
        edges="none",
        follow_bystanders=follow_bystanders,
        models=PipelineModels(detector=Recorder(), landmarks=SquareLandmarks()),
    )
    found = [(0.8, person(10, 100, "pose")), (0.7, person(50, 40, "nanodet")), (0.6, person(80, 90, "nanodet"))]
    seg = segmenter._assemble(np.zeros((120, 120, 3), np.uint8), found)
    assert len(seg.people) == 3
    followed = [entry["roi"][0] for entry in seg.meta[FOLLOW_KEY]]
    assert followed == ([20.0, 60.0, 90.0] if follow_bystanders else [20.0, 90.0])


def standing(height: int, x0: int, found_by: str, shape=(200, 300)) -> LandmarkResult:
    """A stand-in person ``height`` px tall, 20 px wide from ``x0``, feet at y = 190."""
    prob = np.zeros(shape, np.float32)
    prob[190 - height : 190, x0 : x0 + 20] = 0.9
    alignment = np.array([[x0 + 10, 190 - height / 2], [x0 + 10, 190 - height]], np.float32)
    return LandmarkResult(np.zeros((33, 3), np.float32), 0.9, prob, None, alignment, found_by)


@pytest.mark.parametrize(
    ("subject_height", "tallest", "checked"),
    [(0.0, 60, False), (0.4, 60, True), (0.4, 100, False), (0.25, 60, False)],
)
def test_bystanders_are_dropped_only_around_a_main_subject(subject_height, tallest, checked):
    """A face-free box 30 px tall beside the tallest person found (60 or 100 px in a 200 x 300 image) is
    a bystander (shorter than 0.7 of them) only when that person is at least ``subject_height`` of the
    image's height tall: in a street scene where everyone is small (60 px = 0.3 of it) it is checked."""
    view = NanoDetView([PersonBox(0.8, np.array([200.0, 160.0, 220.0, 190.0]))], np.zeros((0, 2)), np.zeros((0, 80)))
    landmarks = SquareLandmarks()
    models = PipelineModels(detector=Recorder(), landmarks=landmarks)
    segmenter = PeopleSegmenter(
        edges="none", finder_min_height=0.7, finder_subject_height=subject_height, models=models
    )
    more = segmenter._find_more(np.zeros((200, 300, 3), np.uint8), [(0.9, standing(tallest, 20, "pose"))], view)
    assert len(more) == int(checked) and set(landmarks.centres) == ({210.0} if checked else set())


@pytest.mark.parametrize(("subject_height", "followed"), [(0.0, [30.0]), (0.4, [30.0, 210.0])])
def test_in_a_street_scene_the_small_people_are_followed_too(subject_height, followed):
    """Video follows the same people the finder keeps: around a small person (0.3 of the image tall)
    nobody is a bystander, so the short person only the face-free finder saw is followed too."""
    segmenter = PeopleSegmenter(
        edges="none",
        finder_subject_height=subject_height,
        models=PipelineModels(detector=Recorder(), landmarks=SquareLandmarks()),
    )
    found = [(0.8, standing(60, 20, "pose")), (0.7, standing(30, 200, "nanodet"))]
    seg = segmenter._assemble(np.zeros((200, 300, 3), np.uint8), found)
    assert len(seg.people) == 2
    assert [entry["roi"][0] for entry in seg.meta[FOLLOW_KEY]] == followed


@pytest.mark.parametrize(
    ("options", "loaded"),
    [({}, True), ({"selfie_share_body": 0}, True), ({"selfie_share_body": 0, "finder_selfie": False}, False)],
)
def test_the_selfie_model_is_loaded_when_the_body_blend_or_the_finder_needs_it(options, loaded):
    """Without faces (no zoom-out) and without the refiner, nothing else asks for the selfie model."""
    with create("bodyseg", zoom_out="off", refiner="none", **options) as segmenter:
        assert (segmenter.models.selfie is not None) == loaded


class TileFinder:
    """A stand-in NanoDet for :func:`look_in_tiles`: what its tiles find, and whether they were looked at."""

    iou_threshold = 0.5

    def __init__(self, found):
        self.found, self.calls = found, 0

    def detect_in_tiles(self, rgb):
        self.calls += 1
        return list(self.found)


@pytest.mark.parametrize(("tallest", "below", "tiled"), [(20.0, 0.3, True), (40.0, 0.3, False), (20.0, 0.0, False)])
def test_nanodet_looks_at_tiles_only_in_scenes_of_small_people(tallest, below, tiled):
    """100 px tall image: someone 40 px tall (0.4 of it) means no tiles at 0.3; 20 px tall means tiles,
    whose boxes join the whole view's, a box seen both ways kept once (the better score)."""
    seen = PersonBox(0.5, np.array([10, 10, 20, 10 + tallest], np.float32))
    finder = TileFinder(
        [
            PersonBox(0.7, np.array([10, 10, 20, 10 + tallest], np.float32)),
            PersonBox(0.4, np.array([60, 60, 66, 75], np.float32)),
        ]
    )
    view = NanoDetView([seen], np.zeros((0, 2)), np.zeros((0, 80)))
    looked = look_in_tiles(np.zeros((100, 100, 3), np.uint8), [], view, finder, below)
    assert finder.calls == int(tiled)
    assert [p.score for p in looked.people] == ([0.7, 0.4] if tiled else [0.5])


@pytest.mark.slow
def test_tiles_find_small_people_the_whole_view_misses():
    """coco 000000000061: two people 41 and 68 px tall in a 640 px photo; NanoDet's whole-image view
    at 416 px sees nobody, its tiles see them (measured IoU 0 -> 0.51)."""
    path = dataset_path("coco_person", "images", "000000000061.jpg")
    truth = read_image(dataset_path("coco_person", "masks", "000000000061.png"))[..., 0] > 127
    with create("bodyseg", finder_tiles=0) as whole, create("bodyseg") as tiled:
        assert whole.segment(path).people == []
        assert iou(tiled.segment(path).mask(), truth) > 0.4


@pytest.mark.parametrize("carry_still", [False, True])
def test_following_carries_a_still_person_over_without_a_landmark_run(carry_still):
    """Two people followed; only the one at x = 90 moves between frames. With carry_still the other is
    carried over as it was (no landmark run) for two frames in a row, then read again; a carried
    person keeps its mask and what found it."""
    segmenter, previous = two_people(SquareLandmarks())
    segmenter.carry_still = carry_still
    frame = np.full((80, 120, 3), 60, np.uint8)
    first = segmenter.segment_next(frame, previous)  # entries of the two-people stand-in carry no thumbnails
    runs = []
    for step in range(1, 4):
        moved = frame.copy()
        moved[:, 70:] = 60 + 20 * step  # the right half changes on every frame
        segmenter.models.landmarks.centres.clear()
        first = segmenter.segment_next(moved, first)
        runs.append(sorted(segmenter.models.landmarks.centres))
        assert sorted(first.meta[FOUND_BY_KEY]) == ["nanodet", "pose"] and first.mask()[40, 30]
    assert runs == ([[30.0, 90.0]] * 3 if not carry_still else [[90.0], [90.0], [30.0, 90.0]])
