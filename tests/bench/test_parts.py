"""Part figures of a benchmark: the scorer eval uses, its table and the confusion plot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bodyseg.bench.parts import PartScorer, format_part_summary, write_confusion_plot
from bodyseg.datasets import Sample
from bodyseg.result import Parts, Segmentation

NAMES = ("background", "hair", "face")


def sample(labels: np.ndarray) -> Sample:
    return Sample("s", Path("s.jpg"), labels > 0, parts=Parts(labels, NAMES))


def test_scorer_pools_parts_and_counts_images_without_parts():
    truth = np.array([[0, 1, 2, 2]], np.uint8)
    scorer = PartScorer(NAMES)
    scorer(sample(truth), None, Segmentation(prob=np.zeros((1, 4)), parts=Parts(truth.copy(), NAMES)), {})
    scorer(sample(truth), None, Segmentation(prob=np.zeros((1, 4))), {})  # no parts: all background
    scores = scorer.compute()
    # pooled: background tp 2 + fp 3 (the second image's missed parts); hair 1 of 2; face 2 of 4
    assert scores["iou"].tolist() == pytest.approx([2 / 5, 1 / 2, 2 / 4])
    assert scores["missing"] == 1 and not scores["renamed"]
    text = format_part_summary(scores)
    assert "1 images without parts" in text and "face" in text


def test_other_names_are_flagged_and_the_plot_is_written(tmp_path):
    truth = np.array([[0, 1, 2]], np.uint8)
    scorer = PartScorer(NAMES)
    scorer(sample(truth), None, Segmentation(prob=np.zeros((1, 3)), parts=Parts(truth, ("bg", "hair", "face"))), {})
    assert scorer.compute()["renamed"]
    path = write_confusion_plot(tmp_path / "c.png", scorer.meter.matrix, NAMES, "test")
    assert path.stat().st_size > 1000 and path.read_bytes()[:4] == b"\x89PNG"
