"""Finding people: the pose detector on the whole frame, on tiles (people too small for its 224 px)
and on zoomed-out views (close-ups too big for it), each view's detections confirmed by the caller.

Example:
    >>> tile_windows((100, 150), 100)
    [(0, 0, 100, 100), (50, 0, 150, 100)]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import cv2
import numpy as np

from bodyseg.geometry import RotatedSquare, box_iou, box_window, crop_square, paste_square
from bodyseg.models.nanodet import ANIMAL_CLASSES, PERSON_CLASS, NanoDetView
from bodyseg.models.pose_detector import Detection, PoseDetector


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


def tile_detections(
    rgb: np.ndarray,
    detector: PoseDetector,
    min_score: float,
    avoid: list[Detection],
    side: Callable[[tuple[int, int]], int] = tile_side,
) -> list[Detection]:
    """Detections on overlapping tiles of ``side(image shape)`` pixels, in the image's pixels: those
    scoring at least ``min_score`` that overlap no detection in ``avoid`` (nor each other) by more than half."""
    kept: list[Detection] = []
    for x0, y0, x1, y1 in tile_windows(rgb.shape[:2], side(rgb.shape[:2])):
        for det in detector.detect(rgb[y0:y1, x0:x1]):
            offset = np.array([x0, y0], np.float32)
            det.keypoints = det.keypoints + offset
            det.face_box = det.face_box + np.tile(offset, 2)
            if det.score >= min_score and all(
                box_iou(det.body_box(), other.body_box()) < 0.5 for other in avoid + kept
            ):
                kept.append(det)
    return kept


T = TypeVar("T")


def locate_people(
    rgb: np.ndarray,
    detector: PoseDetector,
    *,
    tiles: bool | str = True,
    tile_scale: float = 2.0,
    tile_min_score: float = 0.75,
    zoom_out: str = "off",
    sees_face: Callable[[], bool] | None = None,
    confirm: Callable[[list[Detection]], list[T]] | None = None,
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


def detections_from_boxes(boxes: list[tuple[float, np.ndarray]], *, turned: bool = False) -> list[Detection]:
    """Stand-ins for the pose detector's detections from face-free person boxes ``(score, (x0, y0, x1, y1))``:
    the landmark model's square centred on each box, 1.25 times its longer side, upright (or upside
    down with ``turned``); the pose detector's hip and body-scale points are not known, so the square
    is only a first guess that the landmark model's second pass corrects.

    Example:
        >>> (det,) = detections_from_boxes([(0.8, np.array([10.0, 0.0, 50.0, 100.0]))])
        >>> det.keypoints[:2].tolist(), det.body_radius
        ([[30.0, 50.0], [30.0, 0.0]], 50.0)
    """
    found = []
    for score, box in boxes:
        x0, y0, x1, y1 = (float(v) for v in box)
        centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2], np.float32)
        radius = max(x1 - x0, y1 - y0) / 2
        scale_point = centre + np.array([0.0, radius if turned else -radius], np.float32)
        keypoints = np.stack([centre, scale_point, centre, scale_point]).astype(np.float32)
        found.append(Detection(float(score), np.asarray(box, np.float32), keypoints))
    return found


def unseen_boxes(
    boxes: list[tuple[float, np.ndarray]],
    covered: np.ndarray,
    max_covered: float = 0.5,
    found_boxes: Sequence[Sequence[float]] = (),
    max_iou: float = 0.6,
) -> list[tuple[float, np.ndarray]]:
    """The boxes less than ``max_covered`` of whose area the people already found cover (``covered``: HxW bool)
    and that overlap no box in ``found_boxes`` (the found people's, ``(x0, y0, x1, y1)``) by more than ``max_iou``.

    The second rule catches a found person seen again: a dancer with arms and legs spread covers
    less than half of her own box, which would otherwise be checked again (two landmark runs) only
    for the duplicate to be dropped.

    Example:
        >>> covered = np.zeros((10, 10), bool); covered[:, :5] = True
        >>> [s for s, _ in unseen_boxes([(0.9, np.array([0, 0, 5, 10])), (0.8, np.array([4, 0, 10, 10]))], covered)]
        [0.8]
        >>> unseen_boxes([(0.8, np.array([4, 0, 10, 10]))], covered, found_boxes=[(4, 0, 9, 10)])
        []
    """
    kept = []
    for score, box in boxes:
        x0, y0, x1, y1 = (int(round(float(v))) for v in box)
        area = covered[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)]
        if not area.size or area.mean() >= max_covered:
            continue
        if all(box_iou(box, other) <= max_iou for other in found_boxes):
            kept.append((score, box))
    return kept


def looks_like_animal(view: NanoDetView, box: np.ndarray, min_animal: float = 0.5, max_person: float = 0.25) -> bool:
    """Whether NanoDet, which tells COCO's 80 kinds of things apart, sees an animal in ``box`` (a cell
    inside scoring ``min_animal`` or more for bird .. giraffe) and no person there (every cell under
    ``max_person``): the cows, camels and dogs MediaPipe's person models take for people. A rider keeps
    their person score and is kept.

    Example:
        >>> scores = np.zeros((1, 80), np.float32); scores[0, 19] = 0.7  # a cow
        >>> view = NanoDetView([], np.array([[10.0, 10.0]]), scores)
        >>> looks_like_animal(view, np.array([0, 0, 20, 20])), looks_like_animal(view, np.array([30, 30, 40, 40]))
        (True, False)
        >>> scores[0, 0] = 0.4; looks_like_animal(view, np.array([0, 0, 20, 20]))  # a person on it too
        False
    """
    return view.best_score(box, ANIMAL_CLASSES) >= min_animal and view.best_score(box, (PERSON_CLASS,)) < max_person


def isolate_box(rgb: np.ndarray, box: Sequence[float] | np.ndarray, margin: float = 0.2, fill: int = 128) -> np.ndarray:
    """A copy of ``rgb`` grey (``fill``) everywhere but ``box`` ``(x0, y0, x1, y1)`` grown by ``margin`` of
    its width and height on each side: what the landmark model is shown when it checks a face-free
    box, so that it locks onto the person in the box, not onto a neighbour in the same square crop
    (crowds, a dancer in front of an audience).

    Example:
        >>> rgb = np.full((10, 20, 3), 7, np.uint8)
        >>> seen = isolate_box(rgb, (5, 2, 15, 8), margin=0.1)  # grown by 1 px in x, 0.6 in y
        >>> seen[5, 4:17, 0].tolist()
        [7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 128]
        >>> seen[:, 10, 0].tolist()
        [128, 7, 7, 7, 7, 7, 7, 7, 7, 128]
    """
    window = box_window(box, rgb.shape, margin)
    seen = np.full_like(rgb, fill)
    seen[window] = rgb[window]
    return seen


#: The selfie model's input side (:func:`selfie_in_box` crops to it).
SELFIE_SIDE = 256


def selfie_in_box(
    rgb: np.ndarray, box: Sequence[float] | np.ndarray, selfie: Callable[[np.ndarray], np.ndarray], scale: float = 1.25
) -> np.ndarray:
    """HxW: the selfie model's probability of the person in ``box`` ``(x0, y0, x1, y1)``, run on the
    square ``scale`` times the box's longer side around it (at the model's 256 px), mapped back and
    cut to the box; zero elsewhere. For the people a face-free detector boxes and the landmark model
    cannot read (lying on the floor, tiny, cut by the frame): the selfie model, made for large people
    in any pose, still outlines them when shown them large.

    Example:
        >>> rgb = np.zeros((40, 60, 3), np.uint8)
        >>> prob = selfie_in_box(rgb, (20, 10, 30, 30), lambda crop: np.ones(crop.shape[:2], np.float32))
        >>> prob.shape, float(prob[20, 25]), float(prob[20, 35]), int(prob.sum())
        ((40, 60), 1.0, 0.0, 200)
    """
    x0, y0, x1, y1 = (float(v) for v in box)
    square = RotatedSquare((x0 + x1) / 2, (y0 + y1) / 2, scale * max(x1 - x0, y1 - y0, 1.0), 0.0)
    prob = np.asarray(selfie(crop_square(rgb, square, SELFIE_SIDE)), np.float32)
    if prob.shape != (SELFIE_SIDE, SELFIE_SIDE):  # a model of another input size
        prob = cv2.resize(prob, (SELFIE_SIDE, SELFIE_SIDE), interpolation=cv2.INTER_LINEAR)
    full = paste_square(prob, square, rgb.shape[:2])
    window = box_window(box, full.shape)
    inside = np.zeros_like(full)
    inside[window] = full[window]
    return inside
