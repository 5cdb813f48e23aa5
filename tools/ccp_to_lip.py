"""Clothing Co-Parsing (59 labels) mapped to the 20 LIP classes, written as a part set for training.

    python tools/ccp_to_lip.py --out runs/ccp-lip [--limit N] [--overlays 8] [--overwrite]
    python tools/ccp_to_lip.py --out runs/ccp-lip-crop --crop-from runs/ccp-lip   # person crops, for training
    python tools/ccp_to_lip.py --out runs/ccp-lip --shares train   # each class's share of the person pixels
    python tools/ccp_to_lip.py --out runs/ccp-lip --picture docs/ccp_lip.jpg 0001 0005 0009   # after a run

Writes ``OUT/images/`` (links to the ccp photos), ``OUT/masks/`` (links to its person masks),
``OUT/parts/NAME.png`` (LIP ids), ``OUT/labels.txt`` (the LIP names, as viton_parts'),
``OUT/split.txt`` (ccp's own train/val split) and a few ``OUT/overlays/*.jpg`` to look at. The
training source ``ccp-lip`` (:mod:`bodyseg.train.sources`) reads this folder.

The mapping (:data:`CCP_TO_LIP`):

* garments by name: shirt, blouse, t-shirt, top, sweater, sweatshirt, hoodie, jumper, vest, bra,
  intimate, swimwear, tie -> upper-clothes; coat, jacket, blazer, cardigan, cape, suit -> coat;
  pants, jeans, shorts, leggings, panties -> pants; romper, bodysuit -> jumpsuit; dress, skirt,
  scarf, hat, hair, socks, gloves as themselves; glasses and sunglasses -> sunglasses; stockings
  -> socks; tights -> the legs (split like bare legs).
* shoes (shoes, boots, heels, sneakers, flats, pumps, sandals, loafers, clogs, wedges) -> left or
  right shoe by the nearer foot of the pose landmarks (the person's own left, as LIP).
* skin -> face, left/right arm or left/right leg: the nearest of five landmark chains (the head:
  ears, eyes, nose, mouth and the shoulders' midpoint, so the neck goes with the face; the two arms
  shoulder-elbow-wrist-index; the two legs hip-knee-ankle).
* accessories (accessories, bag, purse, wallet, belt, bracelet, watch, ring, necklace, earrings):
  what they hide is unknown, so each pixel takes the label of the nearest non-accessory pixel of
  the person (a belt becomes the trousers or top around it, a watch the arm, a bag what it lies
  on); an accessory with nothing else around is upper-clothes.

``--crop-from`` writes the person view the part net sees at run time instead: each photo, part map
and mask of an earlier output cut to the person's box (of its mask) grown by 8% of its longer side
(:data:`bodyseg.segmenters.bodyseg.parts.CROP_MARGIN`), as the default method crops a person
before its part net, so training and validation see the person centred with the margin the part
net gets at run time (the person's scale hardly changes: ccp photos are portrait and the person
spans their height).

The landmarks are the default method's (``bodyseg.segment``) for the person that overlaps ccp's
mask most; a photo where it finds no person with landmarks is left out (logged and counted).
A development-time tool: it needs the data sets (``$BODYSEG_DATASETS``).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

import cv2
import numpy as np

log = logging.getLogger("ccp_to_lip")

UPPER, COAT, PANTS, JUMPSUIT = "upper-clothes", "coat", "pants", "jumpsuit"
SHOE, SKIN, LEGS, ACCESSORY = "shoe", "skin", "legs", "accessory"

#: CCP label name -> a LIP name, or a rule: ``shoe`` (left/right by feet), ``skin`` (face/arms/legs),
#: ``legs`` (left/right leg), ``accessory`` (the nearest other label).
CCP_TO_LIP: dict[str, str] = {
    "null": "background",
    **dict.fromkeys(("accessories", "bag", "belt", "bracelet", "earrings", "necklace", "purse", "ring"), ACCESSORY),
    **dict.fromkeys(("wallet", "watch"), ACCESSORY),
    **dict.fromkeys(("blouse", "bra", "hoodie", "intimate", "jumper", "shirt", "sweater", "sweatshirt"), UPPER),
    **dict.fromkeys(("swimwear", "t-shirt", "tie", "top", "vest"), UPPER),
    **dict.fromkeys(("blazer", "cape", "cardigan", "coat", "jacket", "suit"), COAT),
    **dict.fromkeys(("jeans", "leggings", "panties", "pants", "shorts"), PANTS),
    **dict.fromkeys(("bodysuit", "romper"), JUMPSUIT),
    **dict.fromkeys(("boots", "clogs", "flats", "heels", "loafers", "pumps", "sandals", "shoes", "sneakers"), SHOE),
    **dict.fromkeys(("wedges",), SHOE),
    **dict.fromkeys(("glasses", "sunglasses"), "sunglasses"),
    "gloves": "glove",
    "dress": "dress",
    "hair": "hair",
    "hat": "hat",
    "scarf": "scarf",
    "skirt": "skirt",
    "socks": "socks",
    "stockings": "socks",
    "tights": LEGS,
    "skin": SKIN,
}

#: landmark chains skin pixels are split by (LIP name -> chain of landmark names).
SKIN_CHAINS: dict[str, tuple[str, ...]] = {
    "face": ("left_ear", "left_eye", "nose", "right_eye", "right_ear", "mouth_right", "mouth_left", "neck"),
    "left-arm": ("left_shoulder", "left_elbow", "left_wrist", "left_index"),
    "right-arm": ("right_shoulder", "right_elbow", "right_wrist", "right_index"),
    "left-leg": ("left_hip", "left_knee", "left_ankle"),
    "right-leg": ("right_hip", "right_knee", "right_ankle"),
}


def lip_lookup(ccp_names: tuple[str, ...], lip_names: tuple[str, ...]) -> tuple[np.ndarray, dict[str, int]]:
    """A CCP id -> LIP id table (rules get placeholder ids above 100) and the rule -> placeholder ids."""
    rules = {rule: 100 + i for i, rule in enumerate((SHOE, SKIN, LEGS, ACCESSORY))}
    table = np.zeros(256, np.uint8)
    for ccp_id, name in enumerate(ccp_names):
        target = CCP_TO_LIP.get(name)
        if target is None:
            raise ValueError(f"CCP label {name!r} has no LIP mapping; add it to CCP_TO_LIP")
        table[ccp_id] = rules[target] if target in rules else lip_names.index(target)
    return table, rules


def chain_points(keypoints: np.ndarray, chain: tuple[str, ...]) -> np.ndarray:
    """The chain's landmark ``(x, y)``; ``neck`` is the shoulders' midpoint."""
    from bodyseg.result import POSE_LANDMARKS

    index = {name: i for i, name in enumerate(POSE_LANDMARKS)}
    neck = keypoints[[index["left_shoulder"], index["right_shoulder"]], :2].mean(axis=0)
    return np.stack([neck if name == "neck" else keypoints[index[name], :2] for name in chain])


def nearest_chain(ys: np.ndarray, xs: np.ndarray, keypoints: np.ndarray, chains: list[tuple[str, ...]]) -> np.ndarray:
    """Index of the nearest chain (polyline of landmarks) for each pixel ``(xs, ys)``."""
    from bodyseg.parts.pose_parts import segment_distances

    points = np.stack([xs, ys], axis=1).astype(np.float32)
    distances = []
    for chain in chains:
        xy = chain_points(keypoints, chain)
        distances.append(segment_distances(points, xy[:-1], xy[1:]).min(axis=1))
    return np.stack(distances, axis=1).argmin(axis=1)


def fill_accessories(lip: np.ndarray, holes: np.ndarray, upper: int) -> np.ndarray:
    """Each ``holes`` pixel takes the label of the nearest labelled person pixel (``upper`` if none)."""
    others = (lip > 0) & ~holes
    if not holes.any():
        return lip
    if not others.any():
        lip[holes] = upper
        return lip
    _, nearest = cv2.distanceTransformWithLabels(
        (~others).astype(np.uint8), cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL
    )
    ys, xs = np.nonzero(others)
    by_label = np.zeros(nearest.max() + 1, np.uint8)
    by_label[nearest[ys, xs]] = lip[ys, xs]
    lip[holes] = by_label[nearest[holes]]
    return lip


def ccp_to_lip(ccp: np.ndarray, keypoints: np.ndarray, table: np.ndarray, rules: dict[str, int]) -> np.ndarray:
    """One CCP label map in LIP ids, with the person's 33 pose landmarks (image pixels)."""
    from bodyseg.parts.pose_parts import sides_by_pose
    from bodyseg.parts.schemes import LIP

    names = LIP.names
    lip = table[ccp]
    skin = np.isin(lip, [rules[SKIN], rules[LEGS]])
    ys, xs = np.nonzero(skin)
    if len(ys):
        legs_only = lip[ys, xs] == rules[LEGS]
        chains = list(SKIN_CHAINS.values())
        choice = nearest_chain(ys, xs, keypoints, chains)
        leg_choice = nearest_chain(ys, xs, keypoints, chains[3:]) + 3
        choice = np.where(legs_only, leg_choice, choice)
        ids = np.array([names.index(name) for name in SKIN_CHAINS], np.uint8)
        lip[ys, xs] = ids[choice]
    lip[lip == rules[SHOE]] = names.index("left-shoe")
    lip = sides_by_pose(lip, keypoints)  # shoes to the nearer foot (arms and legs are already by nearest limb)
    lip = fill_accessories(lip, lip == rules[ACCESSORY], names.index("upper-clothes"))
    return lip


def main_person_keypoints(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray | None:
    """The 33 landmarks of the person the default method finds that overlaps ``mask`` most, or None."""
    import bodyseg
    from bodyseg.parts.pose_parts import has_pose

    best, best_overlap = None, 0
    for person in bodyseg.segment(rgb).people:
        overlap = int((person.mask & mask).sum())
        if has_pose(person.keypoints) and overlap > best_overlap:
            best, best_overlap = person.keypoints, overlap
    return best


def write_overlay(path: Path, rgb: np.ndarray, lip: np.ndarray) -> None:
    """The photo beside its LIP labels in colour (with a legend), for looking at the mapping."""
    from bodyseg.io.images import write_image
    from bodyseg.parts.overlay import parts_overlay
    from bodyseg.parts.schemes import LIP

    write_image(path, np.concatenate([rgb, parts_overlay(rgb, lip, LIP)], axis=1))


def link(source: Path, target: Path) -> None:
    """``target`` as a symbolic link to ``source`` (the photos are not copied)."""
    if target.is_symlink() or target.exists():
        target.unlink()
    target.symlink_to(source.resolve())


def convert(root: Path, out: Path, limit: int | None, overlays: int) -> tuple[int, list[str]]:
    """Write the LIP part set of ``root`` (ccp) to ``out``; the ids written and the ids left out."""
    from bodyseg.datasets.files import read_label_map
    from bodyseg.io.images import read_image, write_label_png
    from bodyseg.parts.schemes import LIP

    ccp_names = tuple(line.split(maxsplit=1)[1].strip() for line in (root / "part_labels.txt").read_text().splitlines())
    table, rules = lip_lookup(ccp_names, LIP.names)
    for sub in ("images", "masks", "parts", "overlays"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    (out / "labels.txt").write_text("".join(f"{i} {name}\n" for i, name in enumerate(LIP.names)))
    split = dict(line.split() for line in (root / "split.txt").read_text().splitlines() if line.strip())
    stems = sorted(split)[:limit] if limit else sorted(split)
    kept, missed = [], []
    for n, stem in enumerate(stems):
        image = next(iter(sorted((root / "images").glob(f"{stem}.*"))))
        rgb = read_image(image)
        mask = read_label_map(root / "masks" / f"{stem}.png") > 0
        keypoints = main_person_keypoints(rgb, mask)
        if keypoints is None:
            log.warning("%s: no person with landmarks found; left out", stem)
            missed.append(stem)
            continue
        lip = ccp_to_lip(read_label_map(root / "parts" / f"{stem}.png"), keypoints, table, rules)
        write_label_png(out / "parts" / f"{stem}.png", lip, LIP.palette())
        link(image, out / "images" / image.name)
        link(root / "masks" / f"{stem}.png", out / "masks" / f"{stem}.png")
        if n < overlays:
            write_overlay(out / "overlays" / f"{stem}.jpg", rgb, lip)
        kept.append(stem)
        if n % 50 == 0:
            log.info("%d/%d", n, len(stems))
    (out / "split.txt").write_text("".join(f"{stem} {split[stem]}\n" for stem in kept))
    return len(kept), missed


def write_picture(out: Path, stems: list[str], path: Path, height: int = 320) -> None:
    """The overlays of ``stems`` (already written to ``out/overlays``) side by side, ``height`` px tall."""
    from bodyseg.io.images import read_image, write_image

    panels = []
    for stem in stems:
        image = read_image(out / "overlays" / f"{stem}.jpg")
        width = round(image.shape[1] * height / image.shape[0])
        panels += [
            cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA),
            np.full((height, 6, 3), 255, np.uint8),
        ]
    write_image(path, np.concatenate(panels[:-1], axis=1), quality=85)


def crop_folder(source: Path, out: Path) -> int:
    """Cut every photo, part map and mask of ``source`` (this tool's output) to its person's crop, into ``out``."""
    from bodyseg.datasets.files import read_label_map
    from bodyseg.io.images import read_image, write_image, write_label_png
    from bodyseg.parts.schemes import LIP
    from bodyseg.result import box_of_mask
    from bodyseg.segmenters.bodyseg.parts import crop_box

    for sub in ("images", "masks", "parts"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    for name in ("labels.txt", "split.txt"):
        (out / name).write_text((source / name).read_text())
    stems = [line.split()[0] for line in (source / "split.txt").read_text().splitlines() if line.strip()]
    for stem in stems:
        image = next(iter(sorted((source / "images").glob(f"{stem}.*"))))
        mask = read_label_map(source / "masks" / f"{stem}.png") > 0
        parts = read_label_map(source / "parts" / f"{stem}.png")
        x0, y0, x1, y1 = crop_box(box_of_mask(mask | (parts > 0)), mask.shape)
        write_image(out / "images" / f"{stem}.jpg", read_image(image)[y0:y1, x0:x1], quality=95)
        write_image(out / "masks" / f"{stem}.png", mask[y0:y1, x0:x1].astype(np.uint8) * 255)
        write_label_png(out / "parts" / f"{stem}.png", parts[y0:y1, x0:x1], LIP.palette())
    return len(stems)


def class_shares(out: Path, split: str) -> dict[str, float]:
    """Each LIP class's share of the person pixels (labels > 0) over one split of an output folder."""
    from bodyseg.datasets.files import read_label_map
    from bodyseg.parts.schemes import LIP

    counts = np.zeros(LIP.num_classes, np.int64)
    for line in (out / "split.txt").read_text().splitlines():
        stem, which = line.split()
        if which == split:
            counts += np.bincount(read_label_map(out / "parts" / f"{stem}.png").ravel(), minlength=LIP.num_classes)
    person = max(1, int(counts[1:].sum()))
    return {name: float(counts[i]) / person for i, name in enumerate(LIP.names) if i > 0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="output folder, outside the repository")
    parser.add_argument("--data-root", type=Path, default=None, help="the data sets folder (default $BODYSEG_DATASETS)")
    parser.add_argument("--limit", type=int, default=None, help="convert the first N photos only")
    parser.add_argument("--overlays", type=int, default=8, help="overlay pictures of the first N photos")
    parser.add_argument("--overwrite", action="store_true", help="write into an --out that already has parts/")
    parser.add_argument("--picture", type=Path, default=None, help="only join the overlays of STEMS into this .jpg")
    parser.add_argument("--crop-from", type=Path, default=None, help="cut an earlier output to person crops")
    parser.add_argument("--shares", choices=("train", "val"), default=None, help="print class shares of a split")
    parser.add_argument("stems", nargs="*", help="photo ids for --picture")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    if args.picture is not None:
        missing = [s for s in args.stems if not (args.out / "overlays" / f"{s}.jpg").is_file()]
        if not args.stems or missing:
            print(
                f"error: give photo ids with overlays in {args.out / 'overlays'} (missing: {missing})", file=sys.stderr
            )
            return 2
        write_picture(args.out, args.stems, args.picture)
        return 0
    if args.shares is not None:
        if not (args.out / "split.txt").is_file():
            print(
                f"error: {args.out / 'split.txt'} is missing; run this tool with --out {args.out} first",
                file=sys.stderr,
            )
            return 2
        for name, share in sorted(class_shares(args.out, args.shares).items(), key=lambda item: -item[1]):
            print(f"{name:14s} {100 * share:5.1f}%")
        return 0
    if args.crop_from is not None:
        if not (args.crop_from / "parts").is_dir():
            print(
                f"error: {args.crop_from / 'parts'} is missing; run this tool with --out {args.crop_from} first",
                file=sys.stderr,
            )
            return 2
        if (args.out / "parts").is_dir() and not args.overwrite:
            print(f"error: {args.out / 'parts'} exists; give --overwrite to replace it", file=sys.stderr)
            return 2
        log.info("cut %d photos to person crops in %s", crop_folder(args.crop_from, args.out), args.out)
        return 0
    from bodyseg.datasets import data_root

    root = (args.data_root or data_root()) / "ccp"
    if not (root / "parts").is_dir():
        print(f"error: {root / 'parts'} is missing; set BODYSEG_DATASETS or --data-root", file=sys.stderr)
        return 2
    if (args.out / "parts").is_dir() and not args.overwrite:
        print(f"error: {args.out / 'parts'} exists; give --overwrite to replace it", file=sys.stderr)
        return 2
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    kept, missed = convert(root, args.out, args.limit, args.overlays)
    log.info("wrote %d LIP part maps to %s; %d photos left out (no landmarks): %s", kept, args.out, len(missed), missed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
