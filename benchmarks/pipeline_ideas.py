"""Ideas for the default pipeline, measured: the figures behind the README's paragraph on the close-up
fallback and on what was tried and dropped.

    OMP_NUM_THREADS=1 python benchmarks/pipeline_ideas.py [face-fallback] [rotations] [small-tiles] [filters] [blend]
        [finder-rules] [animals] [selfie-flip]

* ``face-fallback`` (kept): how often a face is seen but no body found even zoomed out, so the
  selfie model's mask is used, on the pfcn and picsart training portraits (every 2nd, not the val
  splits) and the person-free scenes, and the IoU it scores there (0 without it).

* ``rotations``: the breakdancer of davis_person (every 6th frame) looked for on the frame turned
  by 0, 90, 180 and 270 degrees: the best IoU of any detection's landmark mask with the truth.
* ``small-tiles``: tiles of 0.35x the short side (at least 128 px, so small people are blown up
  for the detector) against the default tiles, on camvid (every 3rd frame), coco and the
  person-free scenes (training part).
* ``filters``: per accepted person (detector score >= 0.5, landmark presence >= 0.7) on the
  person-free scenes (training part) and on coco, davis (every 4th), ccp val (every 5th): the
  selfie model's mean probability inside its mask, and the best face score the face detector
  finds around its face box. Could either reject animals and keep people?
* ``blend``: the refined close-ups' probability blended with the selfie model's inside each
  person's crop (option ``selfie_share``), on the refiner's hold-out training portraits (never
  trained on, not the val splits).
* ``finder-rules`` (kept: the 0.7 rule): which of the people only NanoDet sees to keep: none, all,
  only when the pose detector found nobody, or those at least 0.5 / 0.7 of the tallest person's
  height; mean IoU without refiner or edge filter on davis (every 2nd), coco, camvid (every 2nd),
  ccp val and pfcn-val (every 4th).
* ``animals`` (kept: ``drop_animals``): for every person the default pipeline keeps (with
  ``drop_animals=False``), NanoDet's best animal and best person score inside the person's box,
  and the share of the person's mask on the truth, on the person-free scenes (training part),
  coco, davis (every 3rd), ccp val (every 4th), pfcn-val, picsart-val and camvid (every 3rd):
  which rule drops the animals and keeps the people?
* ``selfie-flip`` (kept: ``selfie_flip``): the selfie model averaged with its run on the mirrored
  image (the refiner's input, the blend), on the refiner's hold-out training portraits.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time
from collections.abc import Callable, Iterator

import cv2
import numpy as np

import bodyseg.segmenters.bodyseg.people as people
from bodyseg.datasets import open_dataset
from bodyseg.datasets.sample import Sample
from bodyseg.datasets.splits import is_validation
from bodyseg.metrics import iou
from bodyseg.models.face_detector import FaceDetector
from bodyseg.models.pose_detector import Detection, PoseDetector
from bodyseg.models.pose_landmarks import LandmarkModel, roi_from_detection
from bodyseg.models.selfie import SelfieModel
from bodyseg.segmenters import create
from bodyseg.segmenters.bodyseg.shared import CLOSE_UP_KEY


def samples(name: str, every: int = 1) -> Iterator[Sample]:
    """A data set's samples; for the person-free scenes only the training part (backgrounds-val stays held out)."""
    for sample in open_dataset(name, every=every):
        if name == "backgrounds" and is_validation(sample.id):
            continue
        yield sample


def unrotate(points: np.ndarray, turns: int, shape: tuple[int, int]) -> np.ndarray:
    """Points found on ``np.rot90(image, turns)`` in the pixels of the unturned image of ``shape``."""
    p = points.astype(np.float32).copy()
    sizes = [shape, shape[::-1]]
    for i in range(turns):
        _, width = sizes[(turns - 1 - i) % 2]
        x, y = p[:, 0].copy(), p[:, 1].copy()
        p[:, 0], p[:, 1] = width - 1 - y, x
    return p


def rotations() -> None:
    detector, landmarks = PoseDetector(), LandmarkModel()
    found = {turns: 0 for turns in range(4)}
    frames = list(samples("davis_person/breakdance", every=6))
    for sample in frames:
        rgb = sample.load_image()
        for turns in range(4):
            best = 0.0
            for det in detector.detect(np.ascontiguousarray(np.rot90(rgb, turns))):
                det.keypoints = unrotate(det.keypoints, turns, rgb.shape[:2])
                best = max(best, iou(landmarks.run(rgb, roi_from_detection(det)).prob > 0.5, sample.mask))
            found[turns] += best >= 0.5
    print(
        f"breakdance, {len(frames)} frames: dancer found (IoU >= 0.5) "
        + ", ".join(f"{90 * t} deg: {n}" for t, n in found.items())
    )


def small_tile_side(shape: tuple[int, int]) -> int:
    """0.35x the short side, at least 128 px: small people are blown up for the 224 px detector."""
    return int(max(128, min(shape) * 0.35))


def score_sets(label: str) -> None:
    segmenter = create("bodyseg")
    for name, every in (("camvid_person", 3), ("coco_person", 1), ("backgrounds", 1)):
        values, ms = [], []
        for sample in samples(name, every):
            rgb = sample.load_image()
            start = time.perf_counter()
            mask = segmenter.segment(rgb).mask()
            ms.append((time.perf_counter() - start) * 1000)
            values.append(mask.mean() if name == "backgrounds" else iou(mask, sample.mask))
        figure = (
            f"{100 * statistics.mean(values):.2f}% person px"
            if name == "backgrounds"
            else f"IoU {statistics.mean(values):.3f}"
        )
        print(f"{label}: {name} {figure}, median {statistics.median(ms):.0f} ms")


def small_tiles() -> None:
    score_sets("default tiles")
    default = people.tile_detections
    people.tile_detections = functools.partial(default, side=small_tile_side)
    try:
        score_sets("small tiles")
    finally:
        people.tile_detections = default


def face_score_near(rgb: np.ndarray, det: Detection, faces: FaceDetector) -> float:
    """The best face score in a square of 3x the detection's face box, blown up to 192 px."""
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = det.face_box
    cx, cy, half = (x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0, 8) * 1.5
    a0, b0, a1, b1 = int(max(0, cx - half)), int(max(0, cy - half)), int(min(w, cx + half)), int(min(h, cy + half))
    if a1 - a0 < 4 or b1 - b0 < 4:
        return 0.0
    return max((f.score for f in faces.detect(cv2.resize(rgb[b0:b1, a0:a1], (192, 192)))), default=0.0)


def filters() -> None:
    detector, landmarks, selfie, faces = PoseDetector(), LandmarkModel(), SelfieModel(), FaceDetector(min_score=0.2)
    rows: dict[str, list[tuple[float, float]]] = {
        "animals (person-free scenes)": [],
        "people (coco, davis, ccp val)": [],
    }
    for name, every in (("backgrounds", 1), ("coco_person", 1), ("davis_person", 4), ("ccp-val", 5)):
        for sample in samples(name, every):
            rgb = sample.load_image()
            frame_selfie = cv2.resize(selfie(rgb), rgb.shape[1::-1])
            for det in detector.detect(rgb):
                person = landmarks.run(rgb, roi_from_detection(det))
                mask = person.prob > 0.5
                if person.presence < 0.7 or not mask.any():
                    continue
                features = (float(frame_selfie[mask].mean()), face_score_near(rgb, det, faces))
                if name == "backgrounds":
                    rows["animals (person-free scenes)"].append(features)
                elif (mask & sample.mask).sum() >= 0.5 * mask.sum():
                    rows["people (coco, davis, ccp val)"].append(features)
    for threshold in (0.2, 0.5, 0.8):
        print(
            f"selfie agreement >= {threshold}: "
            + "; ".join(f"{k} {sum(s >= threshold for s, _ in v)} of {len(v)} kept" for k, v in rows.items())
        )
    for threshold in (0.3, 0.5):
        print(
            f"face score >= {threshold}: "
            + "; ".join(f"{k} {sum(f >= threshold for _, f in v)} of {len(v)} kept" for k, v in rows.items())
        )
    animal_faces = [f for _, f in rows["animals (person-free scenes)"]]
    print(f"animals' face scores: {min(animal_faces):.2f}-{max(animal_faces):.2f}")


def face_fallback() -> None:
    segmenter = create("bodyseg")
    for name, every in (("pfcn_portrait", 2), ("picsart_portrait", 2), ("backgrounds", 1)):
        fired: list[float] = []
        count = 0
        for sample in samples(name, every):
            if name != "backgrounds" and is_validation(sample.id):
                continue
            count += 1
            seg = segmenter.segment(sample.load_image())
            if seg.meta.get(CLOSE_UP_KEY):
                mask = seg.mask()
                fired.append(iou(mask, sample.mask) if name != "backgrounds" else float(mask.mean()))
        print(
            f"{name}: fallback used on {len(fired)} of {count} images; "
            + ("IoU " if name != "backgrounds" else "person px ")
            + ", ".join(f"{v:.3f}" for v in sorted(fired))
        )


def holdout_means(segmenters: list) -> Iterator[tuple[str, int, np.ndarray]]:  # noqa: ANN001
    """(set, photos, mean IoU of each segmenter) on the refiner's hold-out training portraits of pfcn and
    picsart: never trained on by the refiner, and not the validation splits."""
    from bodyseg.train.refiner_crops import is_holdout

    for name, source in (("pfcn_portrait", "pfcn"), ("picsart_portrait", "picsart")):
        scores: list[list[float]] = []
        for sample in samples(name):
            if is_validation(sample.id) or not is_holdout(f"{source}/{sample.id}"):
                continue
            rgb = sample.load_image()
            scores.append([iou(segmenter.segment(rgb).mask(), sample.mask) for segmenter in segmenters])
        yield name, len(scores), np.mean(scores, axis=0)


def blend() -> None:
    shares = (0.0, 0.3, 0.5, 0.6, 0.7, 0.85, 1.0)
    segmenters = [create("bodyseg", selfie_share=share, selfie_flip=False) for share in shares]
    for name, count, means in holdout_means(segmenters):
        print(
            f"{name} hold-out ({count}): "
            + ", ".join(f"selfie share {a}: {m:.4f}" for a, m in zip(shares, means, strict=False))
        )


def finder_rules() -> None:
    from bodyseg.segmenters.bodyseg.segmenter import FOUND_BY_KEY

    segmenter = create("bodyseg", finder_min_height=0.0, refiner="none", edges="none")

    def height(mask: np.ndarray) -> int:
        rows = np.flatnonzero(mask.any(axis=1))
        return int(rows[-1] - rows[0] + 1) if len(rows) else 0

    rules: dict[str, Callable[[list[int], int], bool]] = {
        "none": lambda pose_heights, h: False,
        "all": lambda pose_heights, h: True,
        "only when nobody else": lambda pose_heights, h: not pose_heights,
        ">= 0.5 of the tallest": lambda pose_heights, h: not pose_heights or h >= 0.5 * max(pose_heights),
        ">= 0.7 of the tallest": lambda pose_heights, h: not pose_heights or h >= 0.7 * max(pose_heights),
    }
    for name, every in (("davis_person", 2), ("coco_person", 1), ("camvid_person", 2), ("ccp-val", 4), ("pfcn-val", 4)):
        scores: dict[str, list[float]] = {rule: [] for rule in rules}
        for sample in samples(name, every):
            seg = segmenter.segment(sample.load_image())
            found_by = seg.meta.get(FOUND_BY_KEY, [])
            base = [p.mask for p, by in zip(seg.people, found_by, strict=False) if by == "pose"]
            more = [p.mask for p, by in zip(seg.people, found_by, strict=False) if by != "pose"]
            if not found_by:  # nobody, or a close-up kept whole: the same under every rule
                base = [seg.mask()]
            pose_heights = [height(m) for m in base if m.any()]
            for rule, keep in rules.items():
                mask = np.zeros(seg.shape, bool)
                for m in base + [m for m in more if keep(pose_heights, height(m))]:
                    mask |= m
                scores[rule].append(iou(mask, sample.mask))
        print(f"{name}: " + ", ".join(f"{rule} {statistics.mean(v):.3f}" for rule, v in scores.items()))


def animals() -> None:
    from bodyseg.models.nanodet import ANIMAL_CLASSES, PERSON_CLASS
    from bodyseg.segmenters.bodyseg.people import looks_like_animal

    segmenter = create("bodyseg", drop_animals=False)
    finder = segmenter.models.finder
    for name, every in (
        ("backgrounds", 1),
        ("coco_person", 1),
        ("davis_person", 3),
        ("ccp-val", 4),
        ("pfcn-val", 3),
        ("picsart-val", 3),
        ("camvid_person", 3),
    ):
        kept, dropped = [], []
        for sample in samples(name, every):
            rgb = sample.load_image()
            seg = segmenter.segment(rgb)
            view = finder.look(rgb) if seg.people else None
            for person in seg.people:
                if not person.mask.any():
                    continue
                on_truth = float((person.mask & sample.mask).sum() / person.mask.sum())
                row = (
                    f"{sample.id} animal {view.best_score(person.box, ANIMAL_CLASSES):.2f} "
                    f"person {view.best_score(person.box, (PERSON_CLASS,)):.2f} on truth {on_truth:.2f}"
                )
                (dropped if looks_like_animal(view, np.asarray(person.box)) else kept).append((on_truth, row))
        print(
            f"{name}: {len(kept) + len(dropped)} people kept by the pipeline; the rule drops {len(dropped)}"
            f" ({sum(t > 0.5 for t, _ in dropped)} on the truth): " + "; ".join(row for _, row in dropped)
        )
        closest = sorted(kept, key=lambda item: -float(item[1].split()[2]))[:3]
        print("  most animal-like kept: " + "; ".join(row for _, row in closest))


def selfie_flip() -> None:
    segmenters = [create("bodyseg", selfie_flip=flip) for flip in (False, True)]
    for name, count, (plain, flipped) in holdout_means(segmenters):
        print(f"{name} hold-out ({count}): selfie model once {plain:.4f}, averaged with its mirror {flipped:.4f}")


EXPERIMENTS: dict[str, Callable[[], None]] = {
    "face-fallback": face_fallback,
    "rotations": rotations,
    "small-tiles": small_tiles,
    "filters": filters,
    "blend": blend,
    "finder-rules": finder_rules,
    "animals": animals,
    "selfie-flip": selfie_flip,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("experiments", nargs="*", choices=list(EXPERIMENTS), help="which to run (default: all)")
    for name in parser.parse_args().experiments or EXPERIMENTS:
        EXPERIMENTS[name]()


if __name__ == "__main__":
    main()
