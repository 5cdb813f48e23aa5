"""Part maps drawn for people to look at: colours over the photo, and a legend of the parts present.

Example:
    >>> from bodyseg.parts.schemes import LIP
    >>> rgb = np.zeros((60, 40, 3), np.uint8); labels = np.zeros((60, 40), np.uint8); labels[10:30, 5:20] = 13
    >>> picture = parts_overlay(rgb, labels, LIP)
    >>> picture.shape[0] == 60 and picture.shape[1] > 40  # the legend panel sits to the right
    True
"""

from __future__ import annotations

import cv2
import numpy as np

from bodyseg.parts.schemes import PartScheme, check_labels


def colour_parts(rgb: np.ndarray, labels: np.ndarray, scheme: PartScheme, opacity: float = 0.6) -> np.ndarray:
    """The photo with each part pixel blended with its part's colour (``opacity`` of the colour).

    Example:
        >>> from bodyseg.parts.schemes import LIP
        >>> colour_parts(np.zeros((1, 2, 3), np.uint8), np.array([[0, 2]]), LIP, opacity=1.0).tolist()
        [[[0, 0, 0], [255, 0, 0]]]
    """
    check_labels(np.asarray(labels), scheme)
    coloured = scheme.colourize(labels).astype(np.float32)
    out = rgb.astype(np.float32)
    inside = labels > 0
    out[inside] = (1 - opacity) * out[inside] + opacity * coloured[inside]
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def legend_panel(scheme: PartScheme, ids: list[int], height: int) -> np.ndarray:
    """A white ``height``-tall RGB panel listing ``ids`` as colour swatches with their names.

    Rows shrink to fit the height (no smaller than 9 pixels); ids that do not fit are left out.
    """
    row = int(np.clip(height / max(len(ids), 1), 9, 22))
    scale = row / 30
    width = (
        int(row * 0.9)
        + max((cv2.getTextSize(scheme.names[i], cv2.FONT_HERSHEY_SIMPLEX, scale, 1)[0][0] for i in ids), default=0)
        + 12
    )
    panel = np.full((height, width, 3), 255, np.uint8)
    for position, label in enumerate(ids[: height // row]):
        top = position * row
        swatch = int(row * 0.7)
        cv2.rectangle(panel, (4, top + 2), (4 + swatch, top + 2 + swatch), scheme.colours[label], thickness=-1)
        cv2.rectangle(panel, (4, top + 2), (4 + swatch, top + 2 + swatch), (0, 0, 0), thickness=1)
        baseline = top + 2 + swatch
        cv2.putText(
            panel,
            scheme.names[label],
            (8 + swatch, baseline),
            cv2.FONT_HERSHEY_SIMPLEX,
            scale,
            (0, 0, 0),
            1,
            cv2.LINE_AA,
        )
    return panel


def parts_overlay(rgb: np.ndarray, labels: np.ndarray, scheme: PartScheme, opacity: float = 0.6) -> np.ndarray:
    """The coloured photo (:func:`colour_parts`) with a legend of the parts present to its right."""
    present = [int(i) for i in np.unique(labels) if i > 0]
    picture = colour_parts(rgb, labels, scheme, opacity)
    if not present:
        return picture
    return np.concatenate([picture, legend_panel(scheme, present, rgb.shape[0])], axis=1)
