"""The default method's part stage: our part net on each person's crop, sides by pose, one part map.

```
per person: crop its box (with a margin) -> part net -> LIP labels inside the person's mask only
  -> left/right by the person's landmarks -> (scheme "body": body parts from LIP + landmarks + mask)
-> Person.parts for each, Segmentation.parts for the image (the people's maps pasted together)
```

Inside the person's mask every pixel gets a part (the most probable non-background class where the
net says background), outside it none: so ``parts > 0`` is exactly the default method's person
mask, and asking for parts never changes the person mask.
"""

from __future__ import annotations

import numpy as np

from bodyseg.errors import MethodError
from bodyseg.parts.pose_parts import body_from_lip, sides_by_pose
from bodyseg.parts.schemes import LIP, get_scheme
from bodyseg.result import Parts, Person, Segmentation

#: Values of the default method's ``parts`` option.
PART_OPTIONS = ("none", "lip", "body")

#: Margin around a person's box for the part net's crop, as a fraction of the box's longer side.
CROP_MARGIN = 0.08


def crop_box(box: tuple[int, int, int, int], shape: tuple[int, int], margin: float = CROP_MARGIN) -> tuple[int, ...]:
    """``(x0, y0, x1, y1)`` of ``box`` grown by ``margin`` of its longer side, clipped to ``shape`` (H, W).

    Example:
        >>> crop_box((10, 10, 30, 60), (100, 100), margin=0.1)
        (5, 5, 35, 65)
    """
    x0, y0, x1, y1 = box
    pad = int(round(margin * max(x1 - x0, y1 - y0)))
    height, width = shape
    return max(0, x0 - pad), max(0, y0 - pad), min(width, x1 + pad), min(height, y1 + pad)


def labels_in_mask(prob: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """HxW uint8 labels: the most probable part (never background) inside ``mask``, 0 outside.

    Example:
        >>> prob = np.array([[[0.9, 0.2]], [[0.06, 0.5]], [[0.04, 0.3]]])  # 3 classes x 1 x 2
        >>> labels_in_mask(prob, np.array([[True, False]])).tolist()
        [[1, 0]]
    """
    labels = (prob[1:].argmax(axis=0) + 1).astype(np.uint8)
    labels[~mask] = 0
    return labels


def person_part_crop(rgb: np.ndarray, person: Person, net, scheme: str) -> tuple[np.ndarray, tuple[int, ...]]:  # noqa: ANN001
    """One person's part labels on its crop, and the crop box: LIP labels in the mask, sides by pose,
    the ``body`` scheme drawn from them when asked."""
    x0, y0, x1, y1 = crop_box(person.box, rgb.shape[:2])
    mask = person.mask[y0:y1, x0:x1]
    lip = labels_in_mask(net.probabilities(rgb[y0:y1, x0:x1]), mask)
    lip = sides_by_pose(lip, person.keypoints, offset=(x0, y0))
    if scheme == "body":
        return body_from_lip(lip, mask, person.keypoints, offset=(x0, y0)), (x0, y0, x1, y1)
    return lip, (x0, y0, x1, y1)


def add_parts(rgb: np.ndarray, seg: Segmentation, net, scheme: str) -> Segmentation:  # noqa: ANN001
    """Fill ``seg.parts`` and every ``Person.parts`` with ``scheme``'s labels (``"lip"`` or ``"body"``).

    ``net`` is a :class:`bodyseg.models.part_net.PartNet` (or a stand-in with ``probabilities(rgb)``
    giving LIP classes x H x W). People without a mask pixel get an all-zero map. Returns ``seg``.
    """
    names = get_scheme(scheme).names
    image = np.zeros(seg.shape, np.uint8)
    for person in seg.people:
        labels = np.zeros(seg.shape, np.uint8)
        if person.mask.any():
            crop, (x0, y0, x1, y1) = person_part_crop(rgb, person, net, scheme)
            labels[y0:y1, x0:x1] = crop
            image = np.where(labels > 0, labels, image)
        person.parts = Parts(labels, names)
    seg.parts = Parts(image, names)
    seg.meta["part_scheme"] = scheme
    return seg


def check_net_classes(net) -> None:  # noqa: ANN001
    """Raise :class:`MethodError` unless the part net gives LIP's classes (the stage reads them as LIP ids)."""
    if tuple(net.names) != LIP.names:
        raise MethodError(f"the part stage needs a part net with the {LIP.num_classes} LIP classes, got {net.names}")
