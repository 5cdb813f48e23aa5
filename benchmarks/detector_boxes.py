"""Person detectors compared by their boxes: BlazePose (MediaPipe's face-driven detector, the default
pipeline's) against NanoDet (face-free, shipped as ONNX).

    OMP_NUM_THREADS=1 python benchmarks/detector_boxes.py [--out runs/boxes] [--skip pipeline nanodet ...]

Per data set, at IoU 0.5 (COCO greedy matching, best score first):

* ``coco_person`` (61 images, 254 people; a ground-truth box per id of the instance maps),
  ``davis_person`` (every ``--davis-every``-th frame; one box from the mask): precision and recall at
  the detector's operating threshold, and AP50 (COCO 101-point) over every detection scored >= 0.05.
  Unlabelled people count as false detections: COCO crowd regions, the audience of DAVIS
  ``breakdance`` and ``dance-twirl``; so "davis P alone" is the precision on ``lucia`` and ``tennis``,
  where nobody else is seen, and "breakdance R" the recall of the (often upside-down) breakdancer.
* ``camvid_person`` (147 street frames): recall only (other road users are not labelled as people), of
  the connected components of the Pedestrian mask at least ``--camvid-min-height`` px tall, at IoU 0.5
  and at IoU 0.3 (a few pixels decide the IoU of a 25 px pedestrian).
* ``backgrounds`` (84 person-free frames: animals, a toy train): false detections per frame.
* milliseconds per image (median over coco_person, one thread).

Rows:

* ``blazepose``: :class:`bodyseg.models.pose_detector.PoseDetector` (min_score 0.5), box ``det.body_box()``
  (the square around its whole-body circle).
* ``blazepose+landmarks``: the same detections, each run through the landmark model as the pipeline
  does; kept when its presence is >= 0.7, scored detector x presence, box = the extent of the landmark
  model's mask (> 0.5), the tightest box BlazePose gives.
* ``pipeline-locate``: the default pipeline's whole person search (tiles when nobody is found, zoom-out
  when a face is seen, landmark check), boxes from the landmark masks; scored only at its operating point.
* ``bodyseg`` and ``bodyseg, finder_isolate=false``: the people of the whole default method (pose
  detector, NanoDet's boxes checked by the landmark model on the image greyed outside each box or
  not, refiner, duplicates dropped), boxes from their masks; scored only at its operating point.
* ``nanodet``: :class:`bodyseg.models.nanodet.NanoDetPersons` (NanoDet-m 416, COCO class 0;
  min_score ``--nanodet-min-score``).
* ``nanodet+tiles``: NanoDet on the whole image and on 2 x 2 overlapping tiles at 416 px each
  (``detect_in_tiles``), suppressed together, on every image (the default method tiles only where
  nobody seen is 0.3 of the image tall or more).

Then NanoDet's threshold is swept: precision, recall, false detections per person-free frame.
(MoveNet MultiPose, converted by the same tool and measured with this script at commit a9508d3, found
far fewer people: coco AP50 0.39 at 256 px against NanoDet's 0.64, and never the upside-down dancer;
it is not shipped.)
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from bodyseg.datasets import open_dataset
from bodyseg.geometry import box_iou
from bodyseg.metrics.instances import interpolated_ap, match_by_score
from bodyseg.models.nanodet import NanoDetPersons
from bodyseg.models.pose_detector import PoseDetector
from bodyseg.models.pose_landmarks import LandmarkModel, roi_from_detection
from bodyseg.segmenters.bodyseg.finder import look_in_tiles

LOG = logging.getLogger("detector_boxes")
#: Detections scored below this are not kept at all (AP is computed over the rest).
CANDIDATE_SCORE = 0.05


@dataclass
class Found:
    """One detection: its score, box (x0, y0, x1, y1) and whether the detector keeps it at its operating point."""

    score: float
    box: np.ndarray
    kept: bool


Detect = Callable[[np.ndarray], list[Found]]


# ------------------------------------------------------------------------------------------- ground truth


def box_of(mask: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(mask)
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float32)


def component_boxes(mask: np.ndarray, min_height: int) -> list[np.ndarray]:
    """Boxes of the 8-connected components of a binary mask at least ``min_height`` px tall."""
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    return [np.array([x, y, x + w, y + h], np.float32) for x, y, w, h, _ in stats[1:count] if h >= min_height]


def load_set(name: str, every: int, camvid_min_height: int) -> list[tuple[str, np.ndarray, list[np.ndarray]]]:
    """``(id, rgb, ground-truth boxes)`` of every sample of a data set."""
    samples = []
    for sample in open_dataset(name, every=every):
        if name == "coco_person":
            boxes = [box_of(m) for m in sample.instance_masks()]
        elif name == "camvid_person":
            boxes = component_boxes(sample.mask, camvid_min_height)
        elif name == "backgrounds":
            boxes = []
        else:
            boxes = [box_of(sample.mask)] if sample.mask.any() else []
        samples.append((sample.id, sample.load_image(), boxes))
    return samples


# ---------------------------------------------------------------------------------------------- detectors


def blazepose_rows(threads: int) -> dict[str, Detect]:
    detector = PoseDetector(min_score=CANDIDATE_SCORE, threads=threads)
    landmarks = LandmarkModel(threads=threads)

    def body_boxes(rgb: np.ndarray) -> list[Found]:
        return [Found(d.score, d.body_box(), d.score >= 0.5) for d in detector.detect(rgb)]

    def landmark_boxes(rgb: np.ndarray) -> list[Found]:
        found = []
        for det in detector.detect(rgb)[:10]:
            person = landmarks.run(rgb, roi_from_detection(det))
            if person.presence >= 0.7 and (person.prob > 0.5).any():
                found.append(Found(det.score * person.presence, box_of(person.prob > 0.5), det.score >= 0.5))
        return found

    return {"blazepose": body_boxes, "blazepose+landmarks": landmark_boxes}


def pipeline_row(threads: int) -> dict[str, Detect]:
    from bodyseg.segmenters.bodyseg import PeopleSegmenter
    from bodyseg.segmenters.bodyseg.people import locate_people

    segmenter = PeopleSegmenter(refiner="none", threads=threads)

    def locate(rgb: np.ndarray) -> list[Found]:
        sees_face = lambda: segmenter._sees_face(rgb)  # noqa: E731
        found = locate_people(
            rgb,
            segmenter.models.detector,
            tiles=segmenter.tiles,
            tile_min_score=segmenter.tile_min_score,
            zoom_out=segmenter.zoom_out,
            sees_face=sees_face,
            confirm=lambda dets: segmenter.confirm(rgb, dets),
        )
        return [Found(score, box_of(p.prob > 0.5), True) for score, p in found if (p.prob > 0.5).any()]

    return {"pipeline-locate": locate}


def method_rows(threads: int) -> dict[str, Detect]:
    from bodyseg.segmenters.bodyseg import PeopleSegmenter

    def people_boxes(segmenter: PeopleSegmenter) -> Detect:
        def detect(rgb: np.ndarray) -> list[Found]:
            return [Found(p.score, np.asarray(p.box, np.float64), True) for p in segmenter.segment(rgb).people]

        return detect

    return {
        "bodyseg": people_boxes(PeopleSegmenter(threads=threads)),
        "bodyseg, finder_isolate=false": people_boxes(PeopleSegmenter(threads=threads, finder_isolate=False)),
    }


def nanodet_row(min_score: float, threads: int, model_path: Path | None = None) -> dict[str, Detect]:
    model = NanoDetPersons(min_score=CANDIDATE_SCORE, threads=threads, model_path=model_path)
    name = "nanodet" if model_path is None else f"nanodet ({model_path.name})"
    return {name: lambda rgb: [Found(p.score, p.box, p.score >= min_score) for p in model.detect(rgb)]}


def nanodet_tiles_row(min_score: float, threads: int) -> dict[str, Detect]:
    """NanoDet on the whole image and on its 2 x 2 tiles, always (the default method tiles only scenes
    where nobody is tall), suppressed together: what the tiles can add."""
    model = NanoDetPersons(min_score=CANDIDATE_SCORE, threads=threads)

    def detect(rgb: np.ndarray) -> list[Found]:
        view = look_in_tiles(rgb, [], model.look(rgb), model, below=2.0)  # nobody is twice the image tall: tiles
        return [Found(p.score, p.box, p.score >= min_score) for p in view.people]

    return {"nanodet+tiles": detect}


# ------------------------------------------------------------------------------------------------ metrics


def matches(found: list[Found], truth: list[np.ndarray], iou: float) -> np.ndarray:
    """Bool per detection (best score first): it matched a ground-truth box at ``iou``."""
    ious = np.array([[box_iou(f.box, t) for t in truth] for f in found], np.float64).reshape(len(found), len(truth))
    return match_by_score(ious, np.array([iou]))[0]


def scores(per_image: list[tuple[list[Found], list[np.ndarray]]], iou: float = 0.5, threshold: float | None = None):
    """precision, recall, AP50, false detections per image and the ground-truth count.

    At the operating point (each detection's ``kept``), or at ``threshold`` on the score when given.
    """
    tp_kept = fp_kept = gt = 0
    all_scores, all_tp = [], []
    for found, truth in per_image:
        found = sorted(found, key=lambda f: -f.score)
        gt += len(truth)
        all_scores += [f.score for f in found]
        all_tp += list(matches(found, truth, iou))
        kept = [f for f in found if (f.kept if threshold is None else f.score >= threshold)]
        hits = matches(kept, truth, iou)
        tp_kept += int(hits.sum())
        fp_kept += int((~hits).sum())
    order = np.argsort(-np.array(all_scores), kind="stable")
    ap = interpolated_ap(np.array(all_tp, bool)[order], gt) if gt else float("nan")
    precision = tp_kept / (tp_kept + fp_kept) if tp_kept + fp_kept else float("nan")
    recall = tp_kept / gt if gt else float("nan")
    return precision, recall, ap, fp_kept / max(1, len(per_image)), gt


# ---------------------------------------------------------------------------------------------------- run


def run_rows(rows: dict[str, Detect], sets: dict[str, list], cache: Path | None) -> dict:
    """Every row's detections on every set (kept in ``cache``/<row>.json so a rerun resumes)."""
    results: dict = {}
    for name, detect in rows.items():
        saved = cache / f"{name}.json" if cache else None
        if saved and saved.is_file():
            results[name] = load_row(saved)
            LOG.info("%s: read from %s", name, saved)
            continue
        row: dict = {"found": {}, "ms": []}
        for set_name, samples in sets.items():
            row["found"][set_name] = []
            for _, rgb, _ in samples:
                start = time.perf_counter()
                found = detect(rgb)
                if set_name == "coco_person":
                    row["ms"].append(1000 * (time.perf_counter() - start))
                row["found"][set_name].append(found)
        LOG.info("%s: done (%.0f ms per coco image)", name, statistics.median(row["ms"] or [0]))
        results[name] = row
        if saved:
            save_row(row, saved)
    return results


def save_row(row: dict, path: Path) -> None:
    plain = {
        "ms": row["ms"],
        "found": {
            s: [[[float(f.score), f.box.tolist(), bool(f.kept)] for f in image] for image in images]
            for s, images in row["found"].items()
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(plain))


def load_row(path: Path) -> dict:
    plain = json.loads(path.read_text())
    found = {
        s: [[Found(score, np.array(box, np.float32), kept) for score, box, kept in image] for image in images]
        for s, images in plain["found"].items()
    }
    return {"ms": plain["ms"], "found": found}


def paired(row: dict, sets: dict[str, list], set_name: str) -> list[tuple[list[Found], list[np.ndarray]]]:
    """(detections, ground-truth boxes) of every image of one set."""
    return list(zip(row["found"][set_name], [truth for *_, truth in sets[set_name]], strict=True))


#: DAVIS sequences where nobody but the labelled person is seen: precision there is not lowered by real people.
DAVIS_ALONE = ("lucia/", "tennis/")


def davis_part(row: dict, sets: dict[str, list], prefixes: tuple[str, ...]) -> list:
    return [
        (found, truth)
        for found, (sample_id, _, truth) in zip(row["found"]["davis_person"], sets["davis_person"], strict=True)
        if sample_id.startswith(prefixes)
    ]


def table(results: dict, sets: dict[str, list]) -> str:
    head = (
        "| detector | coco P | coco R | coco AP50 | davis P | davis P alone | davis R | davis AP50 | breakdance R "
        "| camvid R@0.5 | camvid R@0.3 | bg false/frame | ms/image |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for name, row in results.items():
        coco = scores(paired(row, sets, "coco_person"))
        davis = scores(paired(row, sets, "davis_person"))
        alone = scores(davis_part(row, sets, DAVIS_ALONE))
        breakdance = scores(davis_part(row, sets, ("breakdance/",)))
        camvid = paired(row, sets, "camvid_person")
        background = scores([(found, []) for found in row["found"]["backgrounds"]])
        cells = [name, *(f"{v:.3f}" for v in coco[:3]), f"{davis[0]:.3f}", f"{alone[0]:.3f}"]
        cells += [f"{davis[1]:.3f}", f"{davis[2]:.3f}", f"{breakdance[1]:.3f}"]
        cells += [f"{scores(camvid, 0.5)[1]:.3f}", f"{scores(camvid, 0.3)[1]:.3f}", f"{background[3]:.3f}"]
        cells.append(f"{statistics.median(row['ms']):.0f}" if row["ms"] else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def sweep(row: dict, sets: dict[str, list], thresholds: list[float]) -> str:
    lines = [
        "| min_score | coco P | coco R | davis P alone | davis R | camvid R@0.5 | bg false/frame |",
        "|---|---|---|---|---|---|---|",
    ]
    for threshold in thresholds:
        coco = scores(paired(row, sets, "coco_person"), 0.5, threshold)
        alone = scores(davis_part(row, sets, DAVIS_ALONE), 0.5, threshold)
        davis = scores(paired(row, sets, "davis_person"), 0.5, threshold)
        cells = [f"{threshold:.2f}", f"{coco[0]:.3f}", f"{coco[1]:.3f}", f"{alone[0]:.3f}", f"{davis[1]:.3f}"]
        pairs = paired(row, sets, "camvid_person")
        cells.append(f"{scores(pairs, 0.5, threshold)[1]:.3f}")
        cells.append(f"{scores([(f, []) for f in row['found']['backgrounds']], 0.5, threshold)[3]:.3f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog="Rows and measures: see the module docstring."
    )
    parser.add_argument("--nanodet-min-score", type=float, default=0.35, help="NanoDet's operating threshold")
    parser.add_argument(
        "--nanodet-model", type=Path, action="append", default=[], help="another NanoDet file to compare (repeatable)"
    )
    parser.add_argument("--davis-every", type=int, default=2, help="every n-th DAVIS frame (default 2)")
    parser.add_argument("--camvid-min-height", type=int, default=20, help="smallest pedestrian counted (px tall)")
    parser.add_argument(
        "--skip", nargs="*", default=[], help="rows to leave out (blazepose, pipeline, method, nanodet, tiles)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="folder for each row's detections: a rerun reads them back (empty it after changing options)",
    )
    parser.add_argument("--threads", type=int, default=1, help="threads of every model (default 1)")
    return parser.parse_args()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    args = parse_args()
    sets = {
        "coco_person": load_set("coco_person", 1, args.camvid_min_height),
        "davis_person": load_set("davis_person", args.davis_every, args.camvid_min_height),
        "camvid_person": load_set("camvid_person", 1, args.camvid_min_height),
        "backgrounds": load_set("backgrounds", 1, args.camvid_min_height),
    }
    for name, samples in sets.items():
        LOG.info("%s: %d images, %d ground-truth boxes", name, len(samples), sum(len(t) for *_, t in samples))
    rows: dict[str, Detect] = {}
    if "blazepose" not in args.skip:
        rows.update(blazepose_rows(args.threads))
    if "pipeline" not in args.skip:
        rows.update(pipeline_row(args.threads))
    if "method" not in args.skip:
        rows.update(method_rows(args.threads))
    if "nanodet" not in args.skip:
        rows.update(nanodet_row(args.nanodet_min_score, args.threads))
    if "tiles" not in args.skip:
        rows.update(nanodet_tiles_row(args.nanodet_min_score, args.threads))
    for path in args.nanodet_model:
        rows.update(nanodet_row(args.nanodet_min_score, args.threads, path))
    results = run_rows(rows, sets, args.out)
    print(table(results, sets))
    for name in ("nanodet", *(f"nanodet ({p.name})" for p in args.nanodet_model)):
        if name in results:
            print(f"\n{name}: operating threshold swept\n")
            print(sweep(results[name], sets, [0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5]))


if __name__ == "__main__":
    main()
