"""The default segmenter: find every person, segment each in its own crop, paste back, refine edges.

```
locate people (BlazePose detector, full frame + tiles for small people)
  -> per person: rotated crop around the body -> landmarks + mask (BlazePose landmark model),
     a second pass on the crop the landmarks suggest
  -> per person: our pose-conditioned refinement net corrects that mask in the crop
     (inputs: crop, mask, skeleton and keypoint maps; output dM; mask = sigmoid(dM + logit(prior)))
  -> drop duplicates, paste back, each pixel owned by the most probable person
  -> guided filter on the union at full resolution
```

Each stage is a plain function so it can be tested alone.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable
from typing import TypeVar

import cv2
import numpy as np

from bodyseg.errors import MethodError
from bodyseg.pose.detector import Detection, PoseDetector, box_iou
from bodyseg.pose.face import FaceDetector
from bodyseg.pose.landmarks import LandmarkModel, LandmarkResult, RotatedSquare, paste, roi_from_detection
from bodyseg.refine.guided import guided_filter
from bodyseg.refine.posenet import PoseRefiner, combine, refine_crop, shipped_refiner_card
from bodyseg.result import POSE_LANDMARKS, Person, Segmentation, box_of_mask
from bodyseg.segmenters.base import Segmenter
from bodyseg.tflite import TFLiteModel, mediapipe_model_path

log = logging.getLogger(__name__)


def tile_windows(shape: tuple[int, int], tile: int, overlap: float = 0.25) -> list[tuple[int, int, int, int]]:
    """Square windows ``(x0, y0, x1, y1)`` of side ``tile`` covering an image, overlapping by ``overlap``.

    Example:
        >>> tile_windows((100, 150), 100)
        [(0, 0, 100, 100), (50, 0, 150, 100)]
    """
    h, w = shape
    side = min(tile, h, w)
    step = max(1, int(side * (1 - overlap)))

    def starts(length: int) -> list[int]:
        points = list(range(0, max(1, length - side + 1), step))
        if points[-1] + side < length:
            points.append(length - side)
        return points

    return [(x, y, x + side, y + side) for y in starts(h) for x in starts(w)]


LEFT_HIP, RIGHT_HIP = POSE_LANDMARKS.index("left_hip"), POSE_LANDMARKS.index("right_hip")

#: Zoomed-out views tried when the frame shows nobody: (canvas side / image's longer side, where
#: the image's top sits in the spare height: 0 top, 0.5 centred).
ZOOM_OUTS: tuple[tuple[float, float], ...] = ((1.5, 0.5), (2.0, 0.25))


def detect_zoomed_out(rgb: np.ndarray, detector: PoseDetector, factor: float, vertical: float = 0.5) -> list[Detection]:
    """Detections on the image shrunk into a larger black canvas, in the image's own pixels.

    Close-ups (a face and shoulders filling the frame) are too big for the detector, which was
    made for whole bodies; shown smaller, with room below for the body it expects, they are found.
    """
    h, w = rgb.shape[:2]
    side = int(round(max(h, w) * factor))
    top, left = int((side - h) * vertical), (side - w) // 2
    canvas = np.zeros((side, side, 3), np.uint8)
    canvas[top : top + h, left : left + w] = rgb
    offset = np.array([left, top], np.float32)
    found = detector.detect(canvas)
    for det in found:
        det.keypoints = det.keypoints - offset
        det.face_box = det.face_box - np.tile(offset, 2)
    return found


#: When to look again on zoomed-out views (``zoom_out=``): never, when a face is seen, always.
ZOOM_OUT_WHEN = ("off", "face", "always")


def tile_side(shape: tuple[int, int]) -> int:
    """Side of the tiles :func:`tile_detections` uses on an image of ``shape``: at least the detector's 224 px.

    Example:
        >>> tile_side((360, 480)), tile_side((1080, 1920))
        (224, 768)
    """
    return int(max(224, min(shape) * 0.6, max(shape) / 2.5))


def tile_detections(rgb: np.ndarray, detector: PoseDetector, min_score: float, avoid: list[Detection],
                    side: Callable[[tuple[int, int]], int] = tile_side) -> list[Detection]:
    """Detections on overlapping tiles of ``side(image shape)`` pixels, in the image's pixels: those
    scoring at least ``min_score`` that overlap no detection in ``avoid`` (nor each other) by more than half."""
    kept: list[Detection] = []
    for x0, y0, x1, y1 in tile_windows(rgb.shape[:2], side(rgb.shape[:2])):
        for det in detector.detect(rgb[y0:y1, x0:x1]):
            offset = np.array([x0, y0], np.float32)
            det.keypoints = det.keypoints + offset
            det.face_box = det.face_box + np.tile(offset, 2)
            if det.score >= min_score and all(box_iou(det.body_box(), other.body_box()) < 0.5 for other in avoid + kept):
                kept.append(det)
    return kept


T = TypeVar("T")


def locate_people(
    rgb: np.ndarray, detector: PoseDetector, *, tiles: bool | str = True, tile_scale: float = 2.0, tile_min_score: float = 0.75,
    zoom_out: str = "off", sees_face: Callable[[], bool] | None = None, confirm: Callable[[list[Detection]], list[T]] | None = None,
) -> list[T]:
    """People found on the whole frame, plus on tiles (for people too small at the detector's 224 px)
    and on zoomed-out views (for people too big for it).

    ``confirm`` turns each view's detections into the people it accepts (the pipeline runs the
    landmark model and keeps those it is sure of); without it every detection is kept, best
    first. "Nobody" below means nobody accepted: a frame whose only detection is a dog the landmark
    model rejects is looked at again like an empty one.

    Tiles are used only when the image's long side exceeds ``tile_scale`` x 224, and with
    ``tiles="empty"`` only when the whole frame shows nobody (cheaper). A tile detection
    must score at least ``tile_min_score`` (tiles see more clutter at a larger scale, so they
    invent more people) and overlap no detection already made by more than half. A frame where
    nobody is found is tried again shrunk into a larger canvas (:data:`ZOOM_OUTS`, in turn, until
    someone is found) with ``zoom_out="always"``, and with ``zoom_out="face"`` when ``sees_face()``
    says a face detector finds a face in it (a close-up; person-free scenes rarely show one).
    """
    accept: Callable[[list[Detection]], list] = confirm or (lambda dets: sorted(dets, key=lambda d: -d.score))
    seen = detector.detect(rgb)
    found = accept(seen)
    look_again = not found and (zoom_out == "always" or (zoom_out == "face" and sees_face is not None and sees_face()))
    for factor, vertical in ZOOM_OUTS if look_again else ():
        zoomed = detect_zoomed_out(rgb, detector, factor, vertical)
        seen, found = seen + zoomed, accept(zoomed)
        if found:
            break
    if not tiles or max(rgb.shape[:2]) < tile_scale * 224 or (tiles == "empty" and found):
        return found
    return found + accept(tile_detections(rgb, detector, tile_min_score, avoid=seen))


def segment_person(rgb: np.ndarray, det: Detection, model: LandmarkModel, *, second_pass: bool = False) -> LandmarkResult:
    """Landmarks and mask of one detected person; optionally again on the region its landmarks suggest."""
    result = model.run(rgb, roi_from_detection(det))
    if second_pass and result.presence > 0.5:
        again = model.run(rgb, result.next_roi())
        if again.presence >= result.presence * 0.9:
            return again
    return result


def is_close_up(person: LandmarkResult, shape: tuple[int, int], min_visibility: float = 0.5) -> bool:
    """Whether a person is seen close up: neither hip is visible inside the image (head and shoulders,
    upper body), where the landmark model, made for whole bodies, is weakest.

    Example:
        >>> kp = np.zeros((33, 3), np.float32); kp[23] = (50, 90, 0.9); kp[24] = (60, 120, 0.9)
        >>> p = LandmarkResult(kp, 1.0, np.zeros((100, 100)), None, np.zeros((2, 2)))
        >>> is_close_up(p, (100, 100)), is_close_up(p, (200, 100))
        (False, False)
        >>> kp[23] = (50, 130, 0.9); is_close_up(p, (100, 100))
        True
    """
    h, w = shape
    hips = person.keypoints[[LEFT_HIP, RIGHT_HIP]]
    inside = (hips[:, 2] >= min_visibility) & (hips[:, 0] >= 0) & (hips[:, 0] < w) & (hips[:, 1] >= 0) & (hips[:, 1] < h)
    return not inside.any()


#: ``Segmentation.meta`` key of what a video's next frame follows: per person, the landmark
#: model's next region ``roi`` (cx, cy, side, angle) and the ``detector_score`` it started from.
FOLLOW_KEY = "landmark_rois"

#: Which people the refinement net corrects (``refine_people=``).
REFINE_WHO = ("close-up", "all")


def refine_in_crops(rgb: np.ndarray, people: list[LandmarkResult], refiner: PoseRefiner, selfie: np.ndarray | Callable[[], np.ndarray],
                    min_side: float = 0.0, who: str = "all") -> list[LandmarkResult]:
    """Each person's mask corrected by the refinement net in a crop around it (one batched call), pasted back.

    ``selfie`` is the selfie model's whole-frame probability (at its own resolution), or a function
    that computes it (called only when someone is refined). People whose
    crop is smaller than ``min_side`` image pixels keep their mask: the net was trained on people
    seen large, and on a crop blown up from a few pixels it does harm. With ``who="close-up"``
    only people seen close up (:func:`is_close_up`) are refined.
    """

    def wanted(person: LandmarkResult) -> bool:
        return who == "all" or is_close_up(person, rgb.shape[:2])

    chosen = [wanted(p) for p in people]
    if not any(chosen):
        return people
    frame_selfie = selfie() if callable(selfie) else selfie
    crops = [refine_crop(rgb, p.prob, p.keypoints, frame_selfie, net_size=refiner.size) if keep else None for p, keep in zip(people, chosen)]
    todo = [i for i, c in enumerate(crops) if c is not None and c.roi.side >= min_side]
    if not todo:
        return people
    corrections = refiner.correction(np.stack([crops[i].net_input(refiner.size) for i in todo]))
    refined = list(people)
    for i, correction in zip(todo, corrections):
        prob = paste(combine(correction, crops[i].prior), crops[i].roi, rgb.shape[:2])
        refined[i] = dataclasses.replace(people[i], prob=prob)
    return refined


class SelfieModel:
    """MediaPipe's selfie segmentation model run directly (256x256, stretched as MediaPipe's graph does)."""

    def __init__(self, threads: int = 1) -> None:
        self._model = TFLiteModel(mediapipe_model_path("selfie_segmentation/selfie_segmentation.tflite"), num_threads=threads)

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        """The person probability of ``rgb`` at the model's resolution (the image stretched to it)."""
        _, side_h, side_w, _ = self._model.input_shape
        small = cv2.resize(rgb, (side_w, side_h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
        return np.clip(self._model(small[None])[0][0, :, :, 0], 0.0, 1.0)


def body_regions(detections: list[Detection], shape: tuple[int, int], scale: tuple[float, float] = (1.0, 1.0), margin: float = 1.15) -> np.ndarray:
    """N x H x W float32: how deep each pixel lies in each detection's body circle: 1 at the centre,
    0 at ``margin`` radii and beyond. ``scale`` maps image pixels to this grid: ``(sx, sy)``.

    Example:
        >>> det = Detection(0.9, np.zeros(4, np.float32), np.array([[5, 5], [5, 9], [5, 2], [5, 4]], np.float32))
        >>> regions = body_regions([det], (11, 11), margin=1.0)
        >>> float(regions[0, 5, 5]), float(regions[0, 5, 9]), float(regions[0, 0, 0])
        (1.0, 0.0, 0.0)
    """
    h, w = shape
    sx, sy = scale
    xs, ys = np.arange(w, dtype=np.float32)[None, :] / sx, np.arange(h, dtype=np.float32)[:, None] / sy
    out = np.zeros((len(detections), h, w), np.float32)
    for i, det in enumerate(detections):
        cx, cy = det.keypoints[0]
        out[i] = np.clip(1.0 - np.sqrt((xs - cx) ** 2 + (ys - cy) ** 2) / max(det.body_radius * margin, 1.0), 0.0, 1.0)
    return out


def gate_by_people(prob: np.ndarray, detections: list[Detection], image_shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """A whole-frame probability (any resolution) kept only inside detected people's body circles.

    Returns the gated probability and the owner map (``-1`` outside every circle, else the index of
    the detection whose circle the pixel lies deepest in), both at ``prob``'s resolution.
    """
    scale = (prob.shape[1] / image_shape[1], prob.shape[0] / image_shape[0])
    regions = body_regions(detections, prob.shape, scale)
    inside = regions.max(axis=0) > 0
    owner = np.where(inside, regions.argmax(axis=0), -1)
    return np.where(inside, prob, 0.0).astype(np.float32), owner


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 0.0


def drop_duplicates(people: list[tuple[float, LandmarkResult]], iou_threshold: float = 0.6) -> list[tuple[float, LandmarkResult]]:
    """Keep the better of two people whose masks overlap more than ``iou_threshold`` (best first)."""
    kept: list[tuple[float, LandmarkResult]] = []
    for score, person in sorted(people, key=lambda p: -p[0]):
        mask = person.prob > 0.5
        if all(mask_iou(mask, other.prob > 0.5) <= iou_threshold for _, other in kept):
            kept.append((score, person))
    return kept


def resolve_overlaps(probs: list[np.ndarray], threshold: float = 0.5) -> list[np.ndarray]:
    """One bool mask per person: each pixel above ``threshold`` goes to the most probable person.

    Example:
        >>> a = np.array([[0.9, 0.6, 0.1]]); b = np.array([[0.2, 0.8, 0.7]])
        >>> [m.astype(int).tolist() for m in resolve_overlaps([a, b])]
        [[[1, 0, 0]], [[0, 1, 1]]]
    """
    if len(probs) <= 1:
        return [p > threshold for p in probs]
    stack = np.stack(probs)
    owner = stack.argmax(axis=0)
    return [(owner == i) & (p > threshold) for i, p in enumerate(probs)]


def check_choice(option: str, value: object, choices: tuple[str, ...]) -> None:
    """Raise a :class:`~bodyseg.errors.MethodError` naming the choices when ``value`` is not one of them.

    Example:
        >>> check_choice("refine", "guided", EDGE_REFINERS)
    """
    if value not in choices:
        raise MethodError(f"{option} must be one of {', '.join(choices)}, got {value!r}")


def nobody(shape: tuple[int, int]) -> Segmentation:
    """The result when no person is found: an all-zero probability, with a warning."""
    result = Segmentation(prob=np.zeros(shape, np.float32))
    result.warn("no person detected")
    return result


#: Edge refinements of the union probability (``refine=``).
EDGE_REFINERS = ("guided", "crf", "none")


def refine_edges(rgb: np.ndarray, prob: np.ndarray, method: str = "guided") -> np.ndarray:
    """The union probability's edges refined: guided filter at full resolution (radius scaled with the
    image), dense CRF, or unchanged (``method`` of :data:`EDGE_REFINERS`)."""
    if method == "none":
        return prob
    if method == "crf":
        from bodyseg.refine.crf import dense_crf

        return dense_crf(rgb, prob)
    radius = max(2, int(round(np.hypot(*prob.shape) / 250)))
    subsample = max(1, min(4, radius // 2))
    return np.clip(guided_filter(rgb, prob, radius=radius, eps=2e-3, subsample=subsample), 0.0, 1.0)


class PeopleSegmenter(Segmenter):
    """bodyseg's own pipeline: every person, with keypoints, a mask each and refined edges.

    Args:
        min_score: person detector threshold.
        min_presence: the landmark model's threshold that a crop holds a person (0.7: against
            0.5, person-free scenes 1.12% -> 0.75% of pixels called person, backgrounds-val
            2.07% -> 1.25%, for coco -0.003 and davis -0.002 IoU; ccp and portraits unchanged).
        max_people: at most this many people (best first).
        tiles: look for small people on overlapping tiles too: ``"empty"`` (default) only when
            the whole frame shows nobody the landmark model accepts (a frame whose only detection
            is a rejected animal or statue is searched again: coco 0.459 -> 0.469, person-free
            scenes unchanged), ``True`` always (finds more people in crowds, 2-3x slower on large
            images), ``False`` never.
        tile_min_score: detector threshold on tiles (stricter: tiles invent more people).
        zoom_out: when the frame shows nobody, look again on zoomed-out views, which finds the
            close-up portraits the body detector misses: ``"face"`` (default) only when the face
            detector sees a face scoring ``face_min_score`` or more (pfcn-val 0.926 -> 0.952,
            picsart-val 0.936 -> 0.951, person-free scenes unchanged), ``"always"`` (``True``:
            as much recall, but 4.3% of person-free pixels called person instead of 1.1%) or
            ``"off"`` (``False``). With ``"face"``, a frame where a face is seen but no body is
            found even zoomed out gets the selfie model's whole-frame mask (5 of 554 training
            portraits of pfcn, IoU 0.83-0.97 each instead of 0; none of the person-free scenes).
        face_min_score: face detector threshold for ``zoom_out="face"`` (on 400 training
            portraits of each set the close-ups the body detector missed scored 0.71-0.95; on the
            84 person-free scenes no face scored above 0.67).
        second_pass: re-run each person on the region its landmarks suggest.
        refiner: correct each person's mask with our trained refinement net
            (:mod:`bodyseg.refine.posenet`): ``"auto"`` (default: the shipped weights, if any),
            ``"none"``, or the path of a refiner's model card (``.json``).
        refine_min_side: only people whose refinement crop spans at least this many image pixels
            are refined (the net was trained on people seen large).
        refine_people: ``"close-up"`` (default: only people whose hips are out of view, where it
            gains most and the landmark model is weakest) or ``"all"``.
        refine: edges: ``"guided"`` (default: fast guided filter), ``"crf"`` (dense CRF,
            pydensecrf2: +0.004-0.008 IoU and sharper boundaries for ~300-450 ms more per image;
            docs/bench/crf.md) or ``"none"``.
        fast: the fast mode: the whole-frame selfie model, kept only inside the people the detector
            finds, or whole when it finds no body but the face detector sees a face (a close-up);
            no landmarks, no keypoints, no tiles: cheaper, and without most of the selfie model's
            false alarms on scenes without people.
        threads: threads each model may use (default 1: batch jobs run one image per core; on an
            idle 2-core machine 2 threads take the landmark model from 25 to 14 ms, but in video,
            where other stages run beside it, they gained nothing measurable).

    Fails on: people whose hips and shoulders are both hidden; heavy crowds (one mask per
    detection, at most ``max_people``). Cost: one detector run (plus, when nobody is found, a
    face check and tiles) and one landmark run per person (two with ``second_pass``); in video,
    between full runs, only the landmark runs (:meth:`segment_next`).

    Example:
        >>> seg = PeopleSegmenter().segment("team.jpg")  # doctest: +SKIP
        >>> len(seg.people)  # doctest: +SKIP
        5
    """

    name = "bodyseg"

    def __init__(
        self,
        min_score: float = 0.5,
        min_presence: float = 0.7,
        max_people: int = 20,
        tiles: bool | str = "empty",
        tile_min_score: float = 0.75,
        zoom_out: bool | str = "face",
        face_min_score: float = 0.75,
        second_pass: bool = False,
        refiner: str | None = "auto",
        refine_min_side: float = 160.0,
        refine_people: str = "close-up",
        refine: str = "guided",
        fast: bool = False,
        threads: int = 1,
    ) -> None:
        check_choice("refine", refine, EDGE_REFINERS)
        if refine == "crf":
            from bodyseg.refine.crf import import_densecrf

            import_densecrf()  # a missing package fails now, naming what to install
        self.min_presence = min_presence
        self.max_people = max_people
        self.tiles = tiles
        self.tile_min_score = tile_min_score
        self.zoom_out = {True: "always", False: "off"}.get(zoom_out, zoom_out)  # type: ignore[call-overload]
        check_choice("zoom_out", self.zoom_out, ZOOM_OUT_WHEN)
        self.refine_min_side = refine_min_side
        check_choice("refine_people", refine_people, REFINE_WHO)
        self.refine_people = refine_people
        self.second_pass = second_pass
        self.refine = refine
        if threads < 1:
            raise MethodError(f"threads must be >= 1, got {threads}")
        self._detector = PoseDetector(min_score=min_score, threads=threads)
        self.fast = fast
        self._landmarks = LandmarkModel(threads=threads)
        self._faces = FaceDetector(min_score=face_min_score, threads=threads) if self.zoom_out == "face" else None
        if fast:
            refiner = "none"
        if refiner == "auto":
            self._refiner = PoseRefiner.load() if shipped_refiner_card() is not None else None
        else:
            self._refiner = None if refiner in (None, "none") else PoseRefiner.load(refiner)
        self._selfie = SelfieModel(threads) if fast or self._faces is not None or self._refiner is not None else None

    def _segment(self, rgb: np.ndarray) -> Segmentation:
        if self.fast:
            return self._segment_fast(rgb)
        sees_face = functools.cache(functools.partial(self._sees_face, rgb))  # asked at most once per image
        found = locate_people(rgb, self._detector, tiles=self.tiles, tile_min_score=self.tile_min_score,
                              zoom_out=self.zoom_out, sees_face=sees_face, confirm=functools.partial(self._confirm, rgb))
        if not found and sees_face():
            return self._close_up_selfie(rgb)
        return self._assemble(rgb, found)

    def _sees_face(self, rgb: np.ndarray) -> bool:
        """Whether the face detector (``zoom_out="face"``) finds a face: a close-up when no body is seen."""
        return self._faces is not None and bool(self._faces.detect(rgb))

    def _confirm(self, rgb: np.ndarray, detections: list[Detection]) -> list[tuple[float, LandmarkResult]]:
        """(score, person) of the detections the landmark model is sure hold a person."""
        found = []
        for det in sorted(detections, key=lambda d: -d.score)[: self.max_people * 2]:
            person = segment_person(rgb, det, self._landmarks, second_pass=self.second_pass)
            if person.presence >= self.min_presence:
                found.append((det.score * person.presence, person))
        return found

    def _segment_next(self, rgb: np.ndarray, previous: Segmentation) -> Segmentation | None:
        """Video: the landmark model on the regions the previous frame's landmarks suggest, without the
        detector (MediaPipe's tracking). None when nobody was followed or someone is lost."""
        followed = previous.meta.get(FOLLOW_KEY)
        if self.fast or not followed:
            return None
        found = []
        for entry in followed:
            person = self._landmarks.run(rgb, RotatedSquare(*entry["roi"]))
            if person.presence < self.min_presence:
                return None
            found.append((entry["detector_score"] * person.presence, person))
        return self._assemble(rgb, found)

    def _assemble(self, rgb: np.ndarray, found: list[tuple[float, LandmarkResult]]) -> Segmentation:
        """Refine, drop duplicates, paste together and refine edges; ``found`` holds (score, person)."""
        if self._refiner is not None:
            scores = [score for score, _ in found]
            found = list(zip(scores, refine_in_crops(rgb, [person for _, person in found], self._refiner, lambda: self._selfie(rgb),
                                                          self.refine_min_side, self.refine_people)))
        found = drop_duplicates(found)[: self.max_people]
        if not found:
            return nobody(rgb.shape[:2])
        probs = [person.prob for _, person in found]
        union = np.max(np.stack(probs), axis=0)
        union = refine_edges(rgb, union, self.refine)
        masks = resolve_overlaps([np.minimum(p, union) if self.refine == "none" else p for p in probs])
        people = [
            Person(mask=mask & (union > 0.5), box=box_of_mask(mask), score=float(score), keypoints=person.keypoints)
            for mask, (score, person) in zip(masks, found)
        ]
        follow = [{"roi": dataclasses.astuple(person.next_roi()), "detector_score": score / max(person.presence, 1e-6)} for score, person in found]
        return Segmentation(prob=union.astype(np.float32), people=people, meta={FOLLOW_KEY: follow})

    def _segment_fast(self, rgb: np.ndarray) -> Segmentation:
        detections = self._detector.detect(rgb)[: self.max_people]
        h, w = rgb.shape[:2]
        if not detections:
            return self._close_up_selfie(rgb) if self._sees_face(rgb) else nobody((h, w))
        small, owner = gate_by_people(self._selfie(rgb), detections, (h, w))
        union = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
        union = refine_edges(rgb, union, self.refine)
        owner = cv2.resize(owner.astype(np.int16), (w, h), interpolation=cv2.INTER_NEAREST)
        mask = union > 0.5
        people = [Person(mask=mask & (owner == i), box=box_of_mask(mask & (owner == i)), score=float(det.score)) for i, det in enumerate(detections)]
        return Segmentation(prob=union.astype(np.float32), people=[p for p in people if p.mask.any()])

    def _close_up_selfie(self, rgb: np.ndarray) -> Segmentation:
        """When no body but a face is seen (a close-up the body detector and landmark model cannot
        take, even zoomed out): the selfie model's whole-frame mask, one person, no keypoints."""
        h, w = rgb.shape[:2]
        union = refine_edges(rgb, cv2.resize(self._selfie(rgb), (w, h), interpolation=cv2.INTER_LINEAR), self.refine)
        mask = union > 0.5
        people = [Person(mask=mask, box=box_of_mask(mask), score=1.0)] if mask.any() else []
        return Segmentation(prob=union.astype(np.float32), people=people)
