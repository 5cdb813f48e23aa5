"""COCO-style mask AP / AR against hand-computed cases and against pycocotools."""

from __future__ import annotations

import numpy as np
import pytest

from bodyseg.errors import InputError
from bodyseg.metrics import InstanceMeter, interpolated_ap, mask_ap, mask_iou_matrix, match_by_score

W = 40


def strip(start: int, stop: int) -> np.ndarray:
    """A 1 x 40 mask with columns start..stop-1 set."""
    m = np.zeros((1, W), bool)
    m[0, start:stop] = True
    return m


# 2 GT people, 3 predictions:
#   P1 score 0.9 = GT1 exactly            -> IoU 1
#   P2 score 0.8 overlaps nobody          -> always a false positive
#   P3 score 0.7 = cols 18-27 vs GT2 20-29 -> intersection 8, union 12, IoU 2/3
GT = [strip(0, 10), strip(20, 30)]
PRED = [strip(0, 10), strip(30, 40), strip(18, 28)]
SCORES = [0.9, 0.8, 0.7]
# Thresholds 0.50, 0.55, 0.60, 0.65 (<= 2/3): TP FP TP -> recall .5 .5 1, precision 1 .5 .667,
#   monotone precision 1 .667 .667; recall points 0..0.50 (51) read 1, 0.51..1 (50) read 2/3:
AP_MATCHED = (51 * 1 + 50 * 2 / 3) / 101  # 0.83498
# Thresholds 0.70 .. 0.95 (6 of them): TP FP FP -> recall stays 0.5: 51 points read 1, 50 read 0:
AP_UNMATCHED = 51 / 101  # 0.50495


def test_iou_matrix_hand_computed() -> None:
    np.testing.assert_allclose(mask_iou_matrix(PRED, GT), [[1, 0], [0, 0], [0, 2 / 3]])


def test_mask_ap_two_gt_three_predictions() -> None:
    r = mask_ap(PRED, SCORES, GT)
    assert r["ap50"] == pytest.approx(AP_MATCHED)
    assert r["ap75"] == pytest.approx(AP_UNMATCHED)
    assert r["ap"] == pytest.approx((4 * AP_MATCHED + 6 * AP_UNMATCHED) / 10)  # 0.63696
    assert r["ar"] == pytest.approx((4 * 1.0 + 6 * 0.5) / 10)  # 0.7
    assert (r["images"], r["detections"], r["ground_truths"]) == (1, 3, 2)


def test_order_is_by_score_not_by_list_position() -> None:
    # the same predictions listed in another order give the same AP
    r = mask_ap(PRED[::-1], SCORES[::-1], GT)
    assert r["ap50"] == pytest.approx(AP_MATCHED)


def test_false_positive_ranked_first_costs_precision() -> None:
    # FP 0.95, then TP, TP: precision 0, .5, .667 -> monotone .667 everywhere -> AP50 = 2/3
    r = mask_ap([strip(30, 40), GT[0], GT[1]], [0.95, 0.9, 0.8], GT)
    assert r["ap50"] == pytest.approx(2 / 3)
    assert r["ap"] == pytest.approx(2 / 3)
    assert r["ar"] == 1.0


def test_one_gt_is_matched_once() -> None:
    # two predictions on the same person: the second is a false positive
    tp = match_by_score(np.array([[0.9], [0.8]]), np.array([0.5]))
    assert tp.tolist() == [[True, False]]
    # the greedy match gives GT1 to the higher-scored prediction even if the next overlaps more
    tp = match_by_score(np.array([[0.6, 0.0], [0.9, 0.0]]), np.array([0.5]))
    assert tp.tolist() == [[True, False]]


def test_interpolated_ap_reads_101_points() -> None:
    # one GT found by the second of two detections: precision .5 at recall 1 -> AP .5
    assert interpolated_ap(np.array([False, True]), num_gt=1) == pytest.approx(0.5)
    assert interpolated_ap(np.array([], bool), num_gt=1) == 0.0


def test_empty_cases() -> None:
    nothing: list[np.ndarray] = []
    both = mask_ap(nothing, [], nothing)
    assert (both["ap"], both["ap50"], both["ar"]) == (1.0, 1.0, 1.0)  # nothing to find, nothing found
    no_gt = mask_ap([strip(0, 5)], [0.5], nothing)
    assert (no_gt["ap"], no_gt["ar"]) == (0.0, 0.0)
    no_pred = mask_ap(nothing, [], GT)
    assert (no_pred["ap"], no_pred["ar"]) == (0.0, 0.0)
    # an empty predicted mask matches nothing
    assert mask_ap([np.zeros((1, W), bool)], [0.9], [GT[0]])["ap50"] == 0.0


def test_meter_pools_images_by_score() -> None:
    # image A: its one GT found with score 0.6; image B: a FP with score 0.9 and no GT.
    # Pooled by score: FP, TP -> precision 0, .5 -> AP50 = 0.5 (per-image mean would be 0.5 too,
    # but image B alone has no GT: its FP must still count)
    meter = InstanceMeter()
    meter.update([GT[0]], [0.6], [GT[0]])
    meter.update([strip(30, 40)], [0.9], [])
    r = meter.compute()
    assert r["ap50"] == pytest.approx(0.5)
    assert r["ar"] == 1.0
    assert (r["images"], r["detections"], r["ground_truths"]) == (2, 2, 1)


def test_max_detections_keeps_the_best_scores() -> None:
    meter = InstanceMeter(max_detections=1)
    meter.update([strip(30, 40), GT[0]], [0.1, 0.9], [GT[0]])  # the low-scored FP is dropped
    assert meter.compute()["ap"] == 1.0


def test_bad_input_is_refused() -> None:
    with pytest.raises(InputError, match="one score per mask"):
        mask_ap([strip(0, 3)], [0.5, 0.4], GT)
    with pytest.raises(InputError, match="same shape"):
        mask_ap([np.zeros((2, 2), bool)], [0.5], GT)
    with pytest.raises(InputError, match="update"):
        InstanceMeter().compute()


def test_matches_pycocotools_on_random_people() -> None:
    mask_utils = pytest.importorskip("pycocotools.mask")
    coco_mod = pytest.importorskip("pycocotools.coco")
    cocoeval_mod = pytest.importorskip("pycocotools.cocoeval")
    rng = np.random.default_rng(3)
    h, w = 48, 64
    images, annotations, results = [], [], []
    meter = InstanceMeter()

    def random_box() -> np.ndarray:
        m = np.zeros((h, w), bool)
        y, x = rng.integers(0, h - 12), rng.integers(0, w - 12)
        m[y : y + rng.integers(6, 12), x : x + rng.integers(6, 12)] = True
        return m

    def rle(m: np.ndarray) -> dict:
        r = mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))
        r["counts"] = r["counts"].decode("ascii")
        return r

    for image_id in range(1, 9):
        gts = [random_box() for _ in range(rng.integers(0, 4))]
        preds = [np.roll(g, rng.integers(-3, 4), axis=1) for g in gts] + [
            random_box() for _ in range(rng.integers(0, 3))
        ]
        scores = rng.random(len(preds)).round(3).tolist()
        meter.update(preds, scores, gts)
        images.append({"id": image_id, "height": h, "width": w})
        for g in gts:
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image_id,
                    "category_id": 1,
                    "segmentation": rle(g),
                    "area": float(g.sum()),
                    "iscrowd": 0,
                    "bbox": list(mask_utils.toBbox(rle(g))),
                }
            )
        for p, s in zip(preds, scores, strict=False):
            results.append({"image_id": image_id, "category_id": 1, "segmentation": rle(p), "score": s})

    coco = coco_mod.COCO()
    coco.dataset = {"images": images, "annotations": annotations, "categories": [{"id": 1, "name": "person"}]}
    coco.createIndex()
    evaluation = cocoeval_mod.COCOeval(coco, coco.loadRes(results), iouType="segm")
    evaluation.evaluate()
    evaluation.accumulate()
    evaluation.summarize()
    ours = meter.compute()
    assert ours["ap"] == pytest.approx(evaluation.stats[0], abs=1e-6)
    assert ours["ap50"] == pytest.approx(evaluation.stats[1], abs=1e-6)
    assert ours["ap75"] == pytest.approx(evaluation.stats[2], abs=1e-6)
    assert ours["ar"] == pytest.approx(evaluation.stats[8], abs=1e-6)
