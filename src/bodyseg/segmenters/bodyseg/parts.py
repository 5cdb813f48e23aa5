"""The default method's part stage: our part net on each person's crop, sides by pose, one part map.

```
per person: crop its box (with a margin) -> part net -> the most probable part (never background)
  per pixel of the net's view -> left/right by the person's landmarks -> (scheme "body": body parts
  from LIP + landmarks) -> up to the crop (nearest) -> kept inside the person's mask only
-> Person.parts for each, Segmentation.parts for the image (the people's maps pasted together)
```

Inside the person's mask every pixel gets a part (the most probable non-background class where the
net says background), outside it none: so ``parts > 0`` is exactly the default method's person
mask, and asking for parts never changes the person mask. Labels, sides and body parts are decided
at the net's resolution (at most 192 pixels a side for the shipped net) and brought up to the crop
with nearest-neighbour: part boundaries of large people are blocky by that factor, but the cost
does not grow with the person's size (docs/parts.md has the figures).
"""

from __future__ import annotations

import cv2
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


def crop_logits(net, crop: np.ndarray, flip: bool = False) -> tuple[np.ndarray, float]:  # noqa: ANN001
    """The part net's LIP logits of ``crop`` and their scale (``net.crop_logits``); with ``flip``, averaged
    with the logits of the mirrored crop, mirrored back with left and right parts swapped.

    Example:
        >>> class Net:  # a net that sees a left arm (LIP id 14) wherever the crop is bright
        ...     def crop_logits(self, rgb):
        ...         logits = np.zeros((20, *rgb.shape[:2]), np.float32)
        ...         logits[14] = rgb[..., 0] / 255.0
        ...         return logits, 1.0
        >>> crop = np.zeros((1, 2, 3), np.uint8); crop[0, 0] = 255  # bright on the left
        >>> logits, _ = crop_logits(Net(), crop, flip=True)
        >>> logits[14].tolist(), logits[15].tolist()  # a left arm in the mirror is a right arm here
        ([[0.5, 0.0]], [[0.5, 0.0]])
    """
    logits, scale = net.crop_logits(crop)
    if flip:
        mirrored, _ = net.crop_logits(np.ascontiguousarray(crop[:, ::-1]))
        logits = (logits + mirrored[LIP.flip_lookup()][:, :, ::-1]) / 2
    return logits, scale


def person_part_crop(
    rgb: np.ndarray,
    person: Person,
    net,  # noqa: ANN001
    scheme: str,
    flip: bool = False,
) -> tuple[np.ndarray, tuple[int, ...]]:
    """One person's part labels over its whole crop (not yet cut to its mask), and the crop box: LIP
    labels at the net's view (averaged with the mirrored crop's with ``flip``), sides by pose, the
    ``body`` scheme drawn from them when asked."""
    x0, y0, x1, y1 = crop_box(person.box, rgb.shape[:2])
    logits, scale = crop_logits(net, rgb[y0:y1, x0:x1], flip)
    small = labels_in_mask(logits, np.ones(logits.shape[1:], bool))
    small = sides_by_pose(small, person.keypoints, offset=(x0, y0), scale=scale)
    if scheme == "body":
        small = body_from_lip(small, np.ones(small.shape, bool), person.keypoints, offset=(x0, y0), scale=scale)
    return cv2.resize(small, (x1 - x0, y1 - y0), interpolation=cv2.INTER_NEAREST), (x0, y0, x1, y1)


def add_parts(rgb: np.ndarray, seg: Segmentation, net, scheme: str, flip: bool = False) -> Segmentation:  # noqa: ANN001
    """Fill ``seg.parts`` and every ``Person.parts`` with ``scheme``'s labels (``"lip"`` or ``"body"``);
    with ``flip`` the net also sees each crop mirrored (:func:`crop_logits`).

    ``net`` is a :class:`bodyseg.models.part_net.PartNet` (or a stand-in with the same
    ``crop_logits(rgb) -> (LIP classes x h x w, scale)``). People without a mask pixel get an
    all-zero map; mask pixels no person holds get the labels of a crop over them
    (:func:`fill_uncovered`). Returns ``seg``.
    """
    names = get_scheme(scheme).names
    image = np.zeros(seg.shape, np.uint8)
    crops = []
    for person in seg.people:
        labels = np.zeros(seg.shape, np.uint8)
        if person.mask.any():
            crop, (x0, y0, x1, y1) = person_part_crop(rgb, person, net, scheme, flip)
            crops.append((crop, (x0, y0, x1, y1)))
            inside = person.mask[y0:y1, x0:x1]
            labels[y0:y1, x0:x1] = np.where(inside, crop, 0)
            image[y0:y1, x0:x1] = np.where(inside, crop, image[y0:y1, x0:x1])
        person.parts = Parts(labels, names)
    fill_uncovered(image, seg.mask(), crops)
    seg.parts = Parts(image, names)
    seg.meta["part_scheme"] = scheme
    return seg


def fill_uncovered(image: np.ndarray, mask: np.ndarray, crops: list[tuple[np.ndarray, tuple[int, ...]]]) -> None:
    """Give the pixels of ``mask`` no person's mask holds (the edge refinement's union reaches a little
    past the people's masks) the labels of the first person crop that covers them, in place; so the
    part map's person (``parts > 0``) is the image's mask.

    Example:
        >>> image = np.zeros((1, 3), np.uint8); mask = np.array([[True, True, False]])
        >>> fill_uncovered(image, mask, [(np.array([[5, 6]], np.uint8), (0, 0, 2, 1))]); image.tolist()
        [[5, 6, 0]]
    """
    for crop, (x0, y0, x1, y1) in crops:
        window = image[y0:y1, x0:x1]
        gap = mask[y0:y1, x0:x1] & (window == 0)
        window[gap] = crop[gap]


def check_net_classes(net) -> None:  # noqa: ANN001
    """Raise :class:`MethodError` unless the part net gives LIP's classes (the stage reads them as LIP ids)."""
    if tuple(net.names) != LIP.names:
        raise MethodError(f"the part stage needs a part net with the {LIP.num_classes} LIP classes, got {net.names}")
