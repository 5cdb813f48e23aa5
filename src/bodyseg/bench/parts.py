"""Part figures of a benchmark cell: one pooled confusion matrix of part maps against the truth.

Use a :class:`PartScorer` as ``run_cell(on_result=...)`` on a data set with part maps; the method
must give parts (the default method with its ``parts`` option). Images the method gives no parts
for count as all background.

Example:
    >>> scorer = PartScorer(("background", "hair"))
    >>> cell = run_cell(create("bodyseg", parts="lip"), open_dataset("viton-val"), on_result=scorer)  # doctest: +SKIP
    >>> print(format_part_summary(scorer.compute()))  # doctest: +SKIP
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from bodyseg.datasets import Sample
from bodyseg.metrics.parts import PartMeter, normalized_confusion, per_class_rows
from bodyseg.result import Segmentation

Record = dict[str, Any]


class PartScorer:
    """Pools the part maps a method gives against a data set's part maps (ids compared as they are).

    Args:
        names: the data set's label names (its ``part_names``).

    Attributes:
        missing: how many images the method gave no parts for.
        renamed: True when the method's label names differ from the data set's (ids still compared).
    """

    def __init__(self, names: tuple[str, ...]) -> None:
        self.meter = PartMeter(names)
        self.missing = 0
        self.renamed = False

    def __call__(self, sample: Sample, rgb: np.ndarray, seg: Segmentation, record: Record) -> None:
        if sample.parts is None:
            return
        if seg.parts is None:
            self.missing += 1
            pred = np.zeros(sample.shape, np.uint8)
        else:
            pred = seg.parts.labels
            if tuple(seg.parts.names) != self.meter.names:
                self.renamed = True
        self.meter.update(np.clip(pred, 0, len(self.meter.names) - 1), sample.parts.labels)

    def compute(self) -> dict[str, Any]:
        """The part scores (:meth:`PartMeter.compute`) plus ``missing`` and ``renamed``."""
        return {**self.meter.compute(), "missing": self.missing, "renamed": self.renamed}


def _pct(value: float) -> str:
    return "  n/a" if value is None or math.isnan(value) else f"{100 * value:5.1f}"


def format_part_summary(scores: dict[str, Any]) -> str:
    """The headline part figures and a per-class table (IoU and accuracy in %, ground-truth pixels).

    Example:
        >>> meter = PartMeter(("background", "hair"))
        >>> meter.update(np.array([0, 1, 1]), np.array([0, 1, 0]))
        >>> scores = {**meter.compute(), "missing": 0, "renamed": False}
        >>> print(format_part_summary(scores))  # doctest: +NORMALIZE_WHITESPACE
        parts: mIoU 50.0%, pixel accuracy 66.7%, mean class accuracy 75.0%, fwIoU 50.0% (1 images)
          id  class                  IoU%   acc%   pixels
           0  background             50.0   50.0        2
           1  hair                   50.0  100.0        1
    """
    lines = [
        f"parts: mIoU {100 * scores['mean_iou']:.1f}%, pixel accuracy {100 * scores['pixel_accuracy']:.1f}%, "
        f"mean class accuracy {100 * scores['mean_class_accuracy']:.1f}%, fwIoU {100 * scores['fw_iou']:.1f}% "
        f"({scores['images']} images)",
        f"  {'id':>2}  {'class':<20} {'IoU%':>6} {'acc%':>6} {'pixels':>8}",
    ]
    for row in per_class_rows(scores):
        lines.append(
            f"  {row['id']:>2}  {row['name']:<20} {_pct(row['iou']):>6} {_pct(row['accuracy']):>6} {row['pixels']:>8}"
        )
    if scores.get("missing"):
        lines.append(f"  {scores['missing']} images without parts from the method (scored as background)")
    if scores.get("renamed"):
        lines.append("  the method's label names differ from the data set's; ids were compared as they are")
    return "\n".join(lines)


def write_confusion_plot(path: Path, matrix: np.ndarray, names: tuple[str, ...], title: str = "") -> Path:
    """Draw the row-normalised confusion matrix (true class down, predicted across; classes with no
    true pixel left out of the rows) as a PNG, written atomically.

    Example:
        >>> write_confusion_plot(Path("confusion.png"), scores["confusion"], scores["names"])  # doctest: +SKIP
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from bodyseg.io.images import atomic_path

    rows = [i for i in range(len(names)) if matrix[i].sum() > 0]
    shares = normalized_confusion(matrix)[rows]
    figure, ax = plt.subplots(figsize=(0.42 * len(names) + 2.5, 0.42 * len(rows) + 2.0))
    ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)), [names[i] for i in rows], fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for r, row in enumerate(shares):
        for c, share in enumerate(row):
            if share >= 0.05:
                ax.text(
                    c,
                    r,
                    f"{100 * share:.0f}",
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="white" if share > 0.5 else "black",
                )
    if title:
        ax.set_title(title, fontsize=9)
    figure.tight_layout()
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=110)
    plt.close(figure)
    return Path(path)
