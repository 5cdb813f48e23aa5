"""Per-person masks: the landmark model on each person found, our refinement net on the chosen ones,
duplicates dropped and overlaps resolved; the fast mode's gating of the selfie model by people.

Example:
    >>> a = np.array([[0.9, 0.6, 0.1]]); b = np.array([[0.2, 0.8, 0.7]])
    >>> [m.astype(int).tolist() for m in resolve_overlaps([a, b])]
    [[[1, 0, 0]], [[0, 1, 1]]]
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import cv2
import numpy as np

from bodyseg.geometry import box_iou, box_window, mask_iou, paste_square
from bodyseg.models.pose_detector import Detection
from bodyseg.models.pose_landmarks import LandmarkModel, LandmarkResult, roi_from_detection
from bodyseg.models.refiner import CROP_SIZE, PoseRefiner, combine, refine_crop, warp_into_crop
from bodyseg.refine.edges import refine_edges
from bodyseg.result import POSE_LANDMARKS, Person, Segmentation, box_of_mask

LEFT_HIP, RIGHT_HIP = POSE_LANDMARKS.index("left_hip"), POSE_LANDMARKS.index("right_hip")

#: ``found_by`` of a person whose mask is the selfie model's inside a face-free box (the finder's
#: fallback, :mod:`~bodyseg.segmenters.bodyseg.finder`): no landmarks, so not refined, not blended,
#: not followed in video, no keypoints in the result.
SELFIE_FOUND = "nanodet+selfie"


def segment_person(
    rgb: np.ndarray, det: Detection, model: LandmarkModel, *, second_pass: bool = False
) -> LandmarkResult:
    """Landmarks and mask of one detected person; optionally again on the region its landmarks suggest."""
    result = model.run(rgb, roi_from_detection(det))
    if second_pass and result.presence > 0.5:
        again = model.run(rgb, result.next_roi())
        if again.presence >= result.presence * 0.9:
            return again
    return result


def confirm_detections(
    rgb: np.ndarray,
    detections: list[Detection],
    model: LandmarkModel,
    *,
    limit: int,
    min_presence: float,
    second_pass: bool = False,
) -> list[tuple[float, LandmarkResult]]:
    """(score, person) of the best ``limit`` detections that the landmark model is sure (``min_presence``)
    hold a person, scored detector x presence."""
    found = []
    for det in sorted(detections, key=lambda d: -d.score)[:limit]:
        person = segment_person(rgb, det, model, second_pass=second_pass)
        if person.presence >= min_presence:
            found.append((det.score * person.presence, person))
    return found


def correct_masks(
    rgb: np.ndarray,
    people: list[LandmarkResult],
    refiner: PoseRefiner | None,
    selfie: Callable[[np.ndarray], np.ndarray] | None,
    selfie_once: Callable[[np.ndarray], np.ndarray],
    *,
    min_side: float,
    who: str,
    min_keep: float,
    selfie_share: float,
    share_body: float,
) -> list[LandmarkResult]:
    """``people``'s masks corrected by the refinement net (when there is one, :func:`refine_in_crops`)
    and large people's blended with the selfie model's (``share_body``, :func:`blend_selfie_into_large`).

    ``selfie`` is the selfie model (mirror-averaged), run at most once per frame; the blend takes that
    run when the close-ups already paid for it, else one plain run (``selfie_once``: the blend gains the
    same either way, and the second run cost 8 ms a photo).
    """
    frame = functools.cache(lambda: selfie(rgb))
    if refiner is not None:
        people = refine_in_crops(rgb, people, refiner, frame, min_side, who, min_keep, selfie_share)
    if share_body > 0 and selfie is not None:
        once = frame if frame.cache_info().currsize else functools.partial(selfie_once, rgb)
        people = blend_selfie_into_large(people, once, share_body)
    return people


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
    inside = (
        (hips[:, 2] >= min_visibility) & (hips[:, 0] >= 0) & (hips[:, 0] < w) & (hips[:, 1] >= 0) & (hips[:, 1] < h)
    )
    return not inside.any()


#: Which people the refinement net corrects (``refiner_people=``).
REFINER_PEOPLE = ("close-up", "all")


def refine_in_crops(
    rgb: np.ndarray,
    people: list[LandmarkResult],
    refiner: PoseRefiner,
    selfie: np.ndarray | Callable[[], np.ndarray],
    min_side: float = 0.0,
    who: str = "all",
    min_keep: float = 0.0,
    selfie_share: float = 0.0,
) -> list[LandmarkResult]:
    """Each person's mask corrected by the refinement net in a crop around it (one batched call), pasted back.

    ``selfie`` is the selfie model's whole-frame probability (at its own resolution), or a function
    that computes it (called only when someone is refined). People whose
    crop is smaller than ``min_side`` image pixels keep their mask: the net was trained on people
    seen large, and on a crop blown up from a few pixels it does harm. With ``who="close-up"``
    only people seen close up (:func:`is_close_up`) are refined. A person whose refined mask keeps
    less than ``min_keep`` of the landmark model's mask area keeps the landmark model's mask: the net
    corrects edges, and when it erases most of someone it is wrong far more often than the finder.
    A refined close-up's probability is then blended, inside its crop, with the selfie model's:
    ``(1 - selfie_share) * refined + selfie_share * selfie`` (the two are wrong in different places).
    """

    def wanted(person: LandmarkResult) -> bool:
        return who == "all" or is_close_up(person, rgb.shape[:2])

    chosen = [wanted(p) for p in people]
    if not any(chosen):
        return people
    frame_selfie = selfie() if callable(selfie) else selfie
    crops = [
        refine_crop(rgb, p.prob, p.keypoints, frame_selfie, net_size=refiner.size) if keep else None
        for p, keep in zip(people, chosen, strict=False)
    ]
    todo = [i for i, c in enumerate(crops) if c is not None and c.roi.side >= min_side]
    if not todo:
        return people
    corrections = refiner.correction(np.stack([crops[i].net_input(refiner.size) for i in todo]))
    refined = list(people)
    for i, correction in zip(todo, corrections, strict=False):
        crop_prob = combine(correction, crops[i].prior)
        if kept_share(crop_prob, crops[i].prior) < min_keep:
            continue
        if selfie_share > 0 and is_close_up(people[i], rgb.shape[:2]):
            crop_selfie = warp_into_crop(frame_selfie, rgb.shape[:2], crops[i].roi, CROP_SIZE)
            crop_prob = (1.0 - selfie_share) * crop_prob + selfie_share * crop_selfie
        refined[i] = dataclasses.replace(people[i], prob=paste_square(crop_prob, crops[i].roi, rgb.shape[:2]))
    return refined


def kept_share(refined: np.ndarray, prior: np.ndarray) -> float:
    """The refined mask's area as a share of the prior's (both probabilities, cut at 0.5); 1 for an empty prior.

    Example:
        >>> prior = np.zeros((4, 4)); prior[:, :2] = 0.9
        >>> refined = np.zeros((4, 4)); refined[:2, :2] = 0.8
        >>> kept_share(refined, prior)
        0.5
    """
    before = int(np.count_nonzero(prior > 0.5))
    return 1.0 if before == 0 else float(np.count_nonzero(refined > 0.5)) / before


def body_regions(
    detections: list[Detection], shape: tuple[int, int], scale: tuple[float, float] = (1.0, 1.0), margin: float = 1.15
) -> np.ndarray:
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


def gate_by_people(
    prob: np.ndarray, detections: list[Detection], image_shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """A whole-frame probability (any resolution) kept only inside detected people's body circles.

    Returns the gated probability and the owner map (``-1`` outside every circle, else the index of
    the detection whose circle the pixel lies deepest in), both at ``prob``'s resolution.
    """
    scale = (prob.shape[1] / image_shape[1], prob.shape[0] / image_shape[0])
    regions = body_regions(detections, prob.shape, scale)
    inside = regions.max(axis=0) > 0
    owner = np.where(inside, regions.argmax(axis=0), -1)
    return np.where(inside, prob, 0.0).astype(np.float32), owner


def drop_duplicates(
    people: list[tuple[float, LandmarkResult]], iou_threshold: float = 0.6
) -> list[tuple[float, LandmarkResult]]:
    """Keep the better of two people whose masks overlap more than ``iou_threshold`` (best first).

    Each mask is thresholded once, and compared only with the kept masks whose boxes it meets (in a
    crowd most pairs do not: full-frame comparisons of every pair cost more than following someone).
    """
    kept: list[tuple[float, LandmarkResult]] = []
    seen: list[tuple[np.ndarray, tuple[int, int, int, int]]] = []
    for score, person in sorted(people, key=lambda p: -p[0]):
        mask = person.prob > 0.5
        box = box_of_mask(mask)
        if all(box_iou(box, other_box) == 0.0 or mask_iou(mask, other) <= iou_threshold for other, other_box in seen):
            kept.append((score, person))
            seen.append((mask, box))
    return kept


def union_and_owner(probs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The pixelwise maximum of the people's probabilities and which person (index) holds it, the
    first on ties (``np.argmax`` of the stack, without stacking: a pass per person).

    Example:
        >>> union, owner = union_and_owner([np.array([[0.75, 0.5, 0.25]]), np.array([[0.25, 0.75, 0.25]])])
        >>> union.tolist(), owner.tolist()
        ([[0.75, 0.75, 0.25]], [[0, 1, 0]])
    """
    union = np.array(probs[0], np.float32, copy=True)
    owner = np.zeros(union.shape, np.int16)
    for i, prob in enumerate(probs[1:], start=1):
        owner[prob > union] = i
        np.maximum(union, prob, out=union)
    return union, owner


def resolve_overlaps(
    probs: list[np.ndarray], threshold: float = 0.5, owner: np.ndarray | None = None
) -> list[np.ndarray]:
    """One bool mask per person: each pixel above ``threshold`` goes to the most probable person
    (``owner``, from :func:`union_and_owner`, when already known).

    Example:
        >>> a = np.array([[0.9, 0.6, 0.1]]); b = np.array([[0.2, 0.8, 0.7]])
        >>> [m.astype(int).tolist() for m in resolve_overlaps([a, b])]
        [[[1, 0, 0]], [[0, 1, 1]]]
    """
    if len(probs) <= 1:
        return [p > threshold for p in probs]
    if owner is None:
        owner = union_and_owner(probs)[1]
    return [(owner == i) & (p > threshold) for i, p in enumerate(probs)]


def paste_people(
    rgb: np.ndarray, found: list[tuple[float, LandmarkResult]], edges: str
) -> tuple[np.ndarray, list[Person]]:
    """The image's person probability (the people's highest, edges refined by ``edges``) and a
    :class:`~bodyseg.result.Person` per (score, person) of ``found``, each pixel owned by the most probable
    person (:func:`resolve_overlaps`); people the selfie model found (:data:`SELFIE_FOUND`) have no keypoints.

    Example:
        >>> kp = np.zeros((33, 3), np.float32)
        >>> a = LandmarkResult(kp, 0.9, np.array([[0.9, 0.6, 0.1]], np.float32), None, kp[:2, :2])
        >>> b = dataclasses.replace(a, prob=np.array([[0.2, 0.8, 0.7]], np.float32), found_by=SELFIE_FOUND)
        >>> union, people = paste_people(np.zeros((1, 3, 3), np.uint8), [(0.8, a), (0.5, b)], "none")
        >>> union.tolist(), [p.mask.astype(int).tolist() for p in people], people[1].keypoints is None
        ([[0.8999999761581421, 0.800000011920929, 0.699999988079071]], [[[1, 0, 0]], [[0, 1, 1]]], True)
    """
    probs = [person.prob for _, person in found]
    highest, owner = union_and_owner(probs)
    union = refine_edges(rgb, highest, edges)
    # with edges "none" each person is cut at the union (= their maximum): the owner is unchanged
    masks = resolve_overlaps([np.minimum(p, union) if edges == "none" else p for p in probs], owner=owner)
    inside = union > 0.5
    people = [
        Person(
            mask=mask & inside,
            box=box_of_mask(mask),
            score=float(score),
            keypoints=None if person.found_by == SELFIE_FOUND else person.keypoints,
        )
        for mask, (score, person) in zip(masks, found, strict=True)
    ]
    return union.astype(np.float32), people


def nobody(shape: tuple[int, int]) -> Segmentation:
    """The result when no person is found: an all-zero probability, with a warning."""
    result = Segmentation(prob=np.zeros(shape, np.float32))
    result.warn("no person detected")
    return result


def blend_selfie_into_large(
    people: list[LandmarkResult],
    selfie: np.ndarray | Callable[[], np.ndarray],
    share: float,
    min_height: float = 0.4,
    min_agreement: float = 0.85,
    margin: float = 0.1,
) -> list[LandmarkResult]:
    """People seen whole or half-body (not close-ups) and at least ``min_height`` of the image tall,
    their probability blended with the selfie model's inside their box (grown by ``margin``):
    ``(1 - share) * landmark + share * selfie``, where the two masks agree there (IoU at least
    ``min_agreement``; where they do not, one of them is wrong and the landmark model, made for
    bodies in motion, is kept). ``selfie``: the whole-frame probability at any resolution, or a
    function giving it (called only when someone qualifies). With ``share`` under 0.5 the selfie
    model cannot add or remove a pixel the landmark model is sure of: it moves the uncertain edge.

    Example:
        >>> prob = np.zeros((10, 10), np.float32); prob[1:9, 1:7] = 0.9; prob[1:9, 7] = 0.4
        >>> hips = np.zeros((33, 3), np.float32); hips[[LEFT_HIP, RIGHT_HIP]] = (4, 6, 0.9)  # in view
        >>> person = LandmarkResult(hips, 1.0, prob, None, np.zeros((2, 2)))
        >>> selfie = np.zeros((10, 10), np.float32); selfie[1:9, 1:8] = 1.0  # a wider edge: IoU 6/7
        >>> (blended,) = blend_selfie_into_large([person], selfie, 0.3)
        >>> round(float(blended.prob[4, 7]), 2), round(float(blended.prob[4, 4]), 2), float(blended.prob[0, 0])
        (0.58, 0.93, 0.0)
    """
    out = list(people)
    frame: np.ndarray | None = None
    for i, person in enumerate(people):
        h, w = person.prob.shape
        mask = person.prob > 0.5
        box = box_of_mask(mask)
        if box[3] - box[1] < min_height * h or is_close_up(person, (h, w)):
            continue
        if frame is None:
            frame = np.asarray(selfie() if callable(selfie) else selfie, np.float32)
            frame = cv2.resize(frame, (w, h), interpolation=cv2.INTER_LINEAR) if frame.shape != (h, w) else frame
        region = box_window(box, (h, w), margin)
        if mask_iou(mask[region], frame[region] > 0.5) < min_agreement:
            continue
        prob = person.prob.copy()
        prob[region] = (1.0 - share) * prob[region] + share * frame[region]
        out[i] = dataclasses.replace(person, prob=prob)
    return out
