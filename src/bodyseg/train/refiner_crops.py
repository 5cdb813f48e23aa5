"""The refinement net's training crops: what the default pipeline sees at run time, with the truth.

The net corrects the landmark model's mask in the landmark model's own crop, so its training
data must be what the pipeline sees at run time. We make it by running the pipeline's first
stages (detector, landmark model) on composites of the training photos and keeping, per person
found, the crop, the landmark model's probability, the keypoints and the true mask of the person
that detection belongs to:

* ``photo``: the training photo as it is;
* ``scene``: 1-3 people pasted at random sizes and places onto a person-free background
  (``backgrounds/images``, its training part only: :func:`split_backgrounds`); detections that
  match nobody there are hard negatives (target: empty);
* ``overlay``: the photo with 1-2 other people pasted over it (occlusion, several people).

Which person a detection belongs to: the pasted instance whose mask overlaps the landmark
model's mask most (IoU at least :data:`MIN_MATCH_IOU`). On real photos an unmatched detection
may be an unlabelled bystander (CCP labels only the main person), so it is dropped, not used
as a negative.

Crops are written as ``.npz`` shards (:func:`make_crops`, resumable: existing shards are kept)
and read back by :class:`bodyseg.train.refiner.RefineCrops`. Made with::

    python -m bodyseg.train.refiner crops --out runs/refine-crops
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from bodyseg.geometry import RotatedSquare, mask_iou
from bodyseg.models.pose_landmarks import LandmarkResult
from bodyseg.models.refiner import PRIOR_CHANNEL, REFINE_SIZE, SELFIE_CHANNEL, refine_crop
from bodyseg.train.composite import cut_out, paste_random
from bodyseg.train.sources import is_validation

#: A detection belongs to the instance whose mask overlaps its landmark mask at least this much.
MIN_MATCH_IOU = 0.2


#: Composite kinds made from each training photo.
VARIANTS = ("photo", "scene", "overlay")


#: Fraction of training photos whose crops are kept aside to pick the best epoch (never ccp val).
HOLDOUT_FRACTION = 0.08


#: Salt of that hold-out hash (different from the sources' validation hash).
HOLDOUT_SALT = "refiner-holdout:"


def split_backgrounds(paths: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    """Person-free backgrounds for compositing and those kept aside for the false-positive test.

    The split is by hash of the file stem (15%, :func:`bodyseg.train.sources.is_validation`).
    """
    train = [p for p in paths if not is_validation(p.stem)]
    return train, [p for p in paths if is_validation(p.stem)]


def is_holdout(sample_id: str) -> bool:
    """Whether a training photo's crops go to the refiner's model-selection hold-out."""
    return is_validation(HOLDOUT_SALT + sample_id, HOLDOUT_FRACTION)


def instances_in_crop(instances: np.ndarray, roi: RotatedSquare, size: int = 256) -> np.ndarray:
    """The instance id map warped into a person's crop (nearest, 0 outside the image)."""
    matrix = roi.crop_matrix(size)
    return cv2.warpAffine(
        instances.astype(np.uint8),
        matrix,
        (size, size),
        flags=cv2.INTER_NEAREST,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0,
    )


def inside_image(roi: RotatedSquare, shape: tuple[int, int], size: int = REFINE_SIZE) -> np.ndarray:
    """SxS float32: the share of each crop pixel that lies inside the image (the rest is replicated border)."""
    matrix = roi.crop_matrix(size)
    ones = np.ones(shape, np.float32)
    return cv2.warpAffine(
        ones, matrix, (size, size), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_CONSTANT, borderValue=0.0
    )


def match_instance(crop_ids: np.ndarray, crop_prob: np.ndarray, min_iou: float = MIN_MATCH_IOU) -> int:
    """The instance id (> 0) whose crop mask best overlaps ``crop_prob > 0.5``; 0 if none reaches ``min_iou``.

    Example:
        >>> ids = np.zeros((4, 4), np.uint8); ids[:2] = 1; ids[2:, :2] = 2
        >>> prob = np.zeros((4, 4)); prob[2:, :] = 0.9
        >>> match_instance(ids, prob)
        2
    """
    predicted = crop_prob > 0.5
    best, best_iou = 0, min_iou
    for instance in np.unique(crop_ids):
        if instance == 0:
            continue
        iou = mask_iou(crop_ids == instance, predicted)
        if iou >= best_iou:
            best, best_iou = int(instance), iou
    return best


def paste_people(
    canvas: np.ndarray,
    instances: np.ndarray,
    people: Sequence[tuple[np.ndarray, np.ndarray]],
    rng: np.random.Generator,
    height_range: tuple[float, float] = (0.2, 1.05),
) -> tuple[np.ndarray, np.ndarray]:
    """Paste each ``(rgb, mask)`` person at a random size and place; each gets the next instance id."""
    for rgb, mask in people:
        piece = cut_out(rgb, mask)
        if piece is None:
            continue
        if rng.random() < 0.5:
            piece = (piece[0][:, ::-1], piece[1][:, ::-1])
        next_id = int(instances.max()) + 1
        canvas, instances = paste_random(
            canvas, instances, piece[0], (piece[1] > 0).astype(np.uint8) * next_id, rng, height_range
        )
    return canvas, instances


@dataclass
class CropMaker:
    """Makes refinement samples from photos: composites, then the pipeline's detector and landmark model.

    Attributes:
        photos: loads the ``i``-th training photo as ``(rgb, mask)``.
        count: number of photos.
        backgrounds: person-free scenes for the ``scene`` composites.
        max_side: composites are shrunk to this longer side (as photos are, roughly, at run time).
        size: side of the net's input the samples are made at.
    """

    photos: object
    count: int
    backgrounds: Sequence[Path]
    max_side: int = 640
    size: int = REFINE_SIZE

    def __post_init__(self) -> None:
        from bodyseg.models.pose_detector import PoseDetector
        from bodyseg.models.pose_landmarks import LandmarkModel
        from bodyseg.models.selfie import SelfieModel

        self._detector = PoseDetector(min_score=0.5)
        self._landmarks = LandmarkModel()
        self._selfie = SelfieModel()

    def composite(self, index: int, variant: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``(rgb, instance ids)`` of one composite of photo ``index``."""
        rgb, mask = self.photos(index)
        if variant == "photo":
            return rgb, (mask > 0).astype(np.uint8)
        others = [self.photos(int(rng.integers(self.count))) for _ in range(int(rng.integers(1, 3)))]
        if variant == "overlay":
            return paste_people(rgb, (mask > 0).astype(np.uint8), others, rng, (0.3, 1.0))
        from bodyseg.train.composite import _background

        canvas = _background(Path(self.backgrounds[int(rng.integers(len(self.backgrounds)))]), self.max_side)
        chosen = ([(rgb, mask)] + others)[: int(rng.integers(1, 4))]
        return paste_people(canvas, np.zeros(canvas.shape[:2], np.uint8), chosen, rng)

    def people(self, rgb: np.ndarray) -> list[LandmarkResult]:
        """The pipeline's people (detections with presence >= 0.5), before refinement."""
        from bodyseg.segmenters.bodyseg.masks import segment_person
        from bodyseg.segmenters.bodyseg.people import locate_people

        found = []
        for det in locate_people(rgb, self._detector, tiles="empty")[:8]:
            person = segment_person(rgb, det, self._landmarks)
            if person.presence >= 0.5:
                found.append(person)
        return found

    def samples(self, index: int, variant: str, seed: int = 0) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``(refiner input 7xSxS, target SxS in [0, 1])`` for each usable person of one composite."""
        rng = np.random.default_rng((seed, index, VARIANTS.index(variant)))
        rgb, instances = self.composite(index, variant, rng)
        selfie = self._selfie(rgb)
        for person in self.people(rgb):
            crop = refine_crop(rgb, person.prob, person.keypoints, selfie, net_size=self.size)
            if crop is None:
                continue
            crop_ids = instances_in_crop(instances, crop.roi)
            owner = match_instance(crop_ids, crop.prior)
            if owner == 0 and variant != "scene":
                continue  # maybe an unlabelled bystander: no truth to learn from
            truth = cv2.resize(
                (crop_ids == owner).astype(np.float32) * (owner > 0),
                (self.size, self.size),
                interpolation=cv2.INTER_AREA,
            )
            x = crop.net_input(self.size)
            yield x, neutral_outside(truth, x[PRIOR_CHANNEL], inside_image(crop.roi, rgb.shape[:2], self.size))


def neutral_outside(truth: np.ndarray, prior: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """The target: the truth inside the image, the prior itself outside it.

    Outside the image the crop holds replicated border pixels and nothing there is ever pasted
    back, so it must not teach the net anything: with the prior as target, the loss's gradient
    there is zero when the net leaves the prior unchanged (dM = 0).

    Example:
        >>> neutral_outside(np.array([1.0, 1.0]), np.array([0.2, 0.2]), np.array([1.0, 0.0])).tolist()
        [1.0, 0.20000000298023224]
    """
    inside = np.clip(inside, 0.0, 1.0).astype(np.float32)
    return (inside * truth + (1 - inside) * prior).astype(np.float32)


def pack(inputs: Sequence[np.ndarray], targets: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
    """Compact arrays of a shard: RGB and pose maps as uint8, the two model probabilities as float16, targets
    as uint8."""
    from bodyseg.models.runtime import MEAN, STD

    x = np.stack(inputs)
    rgb = np.clip((x[:, :3].transpose(0, 2, 3, 1) * np.asarray(STD) + np.asarray(MEAN)) * 255 + 0.5, 0, 255).astype(
        np.uint8
    )
    return {
        "rgb": rgb,
        "prior": x[:, PRIOR_CHANNEL].astype(np.float16),
        "selfie": x[:, SELFIE_CHANNEL].astype(np.float16),
        "pose": np.clip(x[:, SELFIE_CHANNEL + 1 :] * 255 + 0.5, 0, 255).astype(np.uint8),
        "target": np.clip(np.stack(targets) * 255 + 0.5, 0, 255).astype(np.uint8),
    }


def unpack(shard: dict[str, np.ndarray], index: int) -> tuple[np.ndarray, np.ndarray]:
    """Sample ``index`` of a packed shard as ``(7xSxS float32 input, SxS float32 target)``."""
    from bodyseg.models.runtime import normalise

    rgb = normalise(shard["rgb"][index])
    probs = np.stack([shard["prior"][index], shard["selfie"][index]]).astype(np.float32)
    x = np.concatenate([rgb, probs, shard["pose"][index].astype(np.float32) / 255.0])
    return x, shard["target"][index].astype(np.float32) / 255.0


@dataclass(frozen=True)
class Photo:
    """One training photo: its source name, sample id and how to load it."""

    source: str
    id: str
    sample: object

    def load(self) -> tuple[np.ndarray, np.ndarray]:
        return self.sample.load_image(), self.sample.mask.astype(np.uint8)


def training_photos(sources: Sequence[str], root: Path | None = None) -> list[Photo]:
    """The training split of each ``--data`` source (never its validation split)."""
    from bodyseg.train.sources import open_source

    photos = []
    for name in sources:
        split, _ = open_source(name, "train", root=root)
        photos.extend(Photo(name, entry.id, split[i]) for i, entry in enumerate(split.entries))
    return photos


def background_paths(root: Path | None = None) -> list[Path]:
    """The training part of ``backgrounds/images`` (:func:`split_backgrounds`)."""
    from bodyseg.datasets import data_root
    from bodyseg.io.images import IMAGE_SUFFIXES

    folder = Path(root or data_root("backgrounds")) / "backgrounds" / "images"
    paths = sorted(p for p in folder.glob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    return split_backgrounds(paths)[0]


def make_crops(
    out: Path,
    sources: Sequence[str] = ("ccp", "pfcn", "picsart"),
    *,
    part: tuple[int, int] = (0, 1),
    shard_size: int = 100,
    seed: int = 0,
    root: Path | None = None,
    limit: int | None = None,
    size: int = REFINE_SIZE,
) -> list[Path]:
    """Write refinement samples as ``.npz`` shards of ``shard_size`` photos each (existing shards are kept).

    Args:
        out: the crops folder (outside the repository).
        sources: training sources (their ``train`` splits).
        part: ``(k, n)``: make only every n-th shard starting at k (run n processes side by side).
        shard_size: photos per shard.
        seed: composites are drawn from ``(seed, photo index, variant)``.
        root: the data sets folder.
        limit: use only the first ``limit`` photos (quick trials).
        size: side of the net's input (128 for the shipped refiner).
    """
    from tqdm import tqdm

    from bodyseg.io.images import atomic_path

    out.mkdir(parents=True, exist_ok=True)
    photos = training_photos(sources, root)[:limit]
    maker = CropMaker(lambda i: photos[i].load(), len(photos), background_paths(root), size=size)
    written = []
    starts = list(range(0, len(photos), shard_size))[part[0] :: part[1]]
    for start in tqdm(starts, desc=f"shards {part[0] + 1}/{part[1]}", unit="shard"):
        path = out / f"shard-{start:05d}.npz"
        if path.is_file():
            continue
        inputs, targets, holdout, names = [], [], [], []
        for index in range(start, min(start + shard_size, len(photos))):
            for variant in VARIANTS:
                for x, target in maker.samples(index, variant, seed):
                    inputs.append(x)
                    targets.append(target)
                    holdout.append(is_holdout(f"{photos[index].source}/{photos[index].id}"))
                    names.append(f"{photos[index].source}/{photos[index].id}/{variant}")
        if not inputs:
            continue
        with atomic_path(path) as temp, open(temp, "wb") as handle:
            np.savez(handle, **pack(inputs, targets), holdout=np.array(holdout), names=np.array(names))
        written.append(path)
    return written


def load_shards(folder: Path) -> dict[str, np.ndarray]:
    """Every shard of a crops folder, concatenated (a few GB at most: they stay in memory)."""
    paths = sorted(Path(folder).glob("shard-*.npz"))
    if not paths:
        from bodyseg.errors import InputError

        raise InputError(
            f"{folder}: no shard-*.npz crops; make them first with `python -m bodyseg.train.refiner crops --out "
            f"{folder}`"
        )
    parts = [dict(np.load(p)) for p in paths]
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
