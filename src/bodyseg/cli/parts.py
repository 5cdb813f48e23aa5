"""``bodyseg parts``: a part map per image (8-bit PNG of class ids) and a coloured overlay with a legend."""

from __future__ import annotations

import argparse
from pathlib import Path

from bodyseg.cli.common import add_input_options, parse_method_options, print_summary, run_jobs
from bodyseg.errors import InputError
from bodyseg.io import read_image, write_image
from bodyseg.io.images import write_label_png
from bodyseg.io.paths import Job, Skipped, expand_inputs, plan_jobs
from bodyseg.parts.overlay import parts_overlay
from bodyseg.parts.schemes import SCHEMES, get_scheme
from bodyseg.segmenters import DEFAULT_METHOD, Segmenter, check_options, create, require_min_side

DESCRIPTION = """\
Write the body parts of every person: NAME.parts.png (8-bit, one class id per pixel, the input's
size, with the scheme's colours as its palette) and NAME.parts-overlay.jpg (the parts coloured over
the photo, with a legend). The person mask is the default method's; our part net labels it, and
left/right are the person's own, decided by their pose landmarks.

schemes (--scheme):
  lip    the 20 LIP classes: 0 background, 1 hat, 2 hair, 3 glove, 4 sunglasses, 5 upper-clothes,
         6 dress, 7 coat, 8 socks, 9 pants, 10 jumpsuit, 11 scarf, 12 skirt, 13 face,
         14/15 left/right arm, 16/17 left/right leg, 18/19 left/right shoe
  body   0 background, 1 head, 2 neck, 3 torso, 4/5 left/right upper arm, 6/7 lower arm,
         8/9 hand, 10/11 upper leg, 12/13 lower leg, 14/15 foot
Figures and what it gets wrong: docs/parts.md.
"""

EPILOG = """\
examples:
  bodyseg parts photo.jpg                    # -> photo.parts.png, photo.parts-overlay.jpg
  bodyseg parts shots/ -o parts/ --scheme body
  bodyseg parts photo.jpg --option landmarks=lite   # options of the default method
"""

#: Name parts of the two outputs: ``photo.jpg -> photo.parts.png, photo.parts-overlay.jpg``.
TAG, OVERLAY_TAG = "parts", "parts-overlay"


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    """Register ``parts``."""
    parser = subparsers.add_parser(
        "parts",
        help="body parts: a PNG of part ids and a coloured overlay per image",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_input_options(parser)
    parser.add_argument(
        "--scheme", default="lip", choices=list(SCHEMES), help="part labels: lip or body (default %(default)s)"
    )
    parser.add_argument(
        "--option", action="append", default=[], metavar="KEY=VALUE", help="an option of the default method, repeatable"
    )
    parser.add_argument(
        "--opacity", type=float, default=0.6, help="colour opacity of the overlay (default %(default)s)"
    )
    parser.set_defaults(run=run_parts)


def part_targets(jobs: list[Job]) -> list[tuple[Job, Path]]:
    """Each job with its PNG named ``NAME.parts.png`` (also inside an output folder) and its overlay path.

    Example:
        >>> [(str(j.target), str(o)) for j, o in part_targets([Job(Path("a/p.jpg"), Path("out/p.png"))])]
        [('out/p.parts.png', 'out/p.parts-overlay.jpg')]
    """
    planned = []
    for job in jobs:
        target = job.target
        stem = job.source.stem
        if target.name in (f"{stem}.png", f"{stem}.{TAG}.png"):
            target = target.with_name(f"{stem}.{TAG}.png")
            overlay = target.with_name(f"{stem}.{OVERLAY_TAG}.jpg")
        else:  # one input and an exact -o name
            overlay = target.with_name(f"{target.stem}-overlay.jpg")
        planned.append((Job(job.source, target), overlay))
    return planned


def run_parts(args: argparse.Namespace) -> int:
    """Segment each input with parts and write the label PNG and the overlay, atomically."""
    scheme = get_scheme(args.scheme)
    if not 0.0 <= args.opacity <= 1.0:
        raise InputError(f"--opacity must be in [0, 1], got {args.opacity}")
    options = {**parse_method_options(args.option), "parts": scheme.name}
    check_options(DEFAULT_METHOD, options)
    max_pixels = int(args.max_megapixels * 1e6)
    found, missing = expand_inputs(args.inputs, output=args.output)
    if args.output is not None and args.output.suffix and args.output.suffix.lower() != ".png" and len(found) == 1:
        raise InputError(f"{args.output}: a part map is a PNG; give a .png name or a folder")
    planned = part_targets(plan_jobs(found, args.output, TAG, lambda source: ".png"))
    overlays = {job.target: overlay for job, overlay in planned}
    segmenters: list[Segmenter] = []

    def work(job: Job) -> bool:
        overlay = overlays[job.target]
        if overlay.exists() and not args.overwrite:
            raise Skipped(f"{overlay}: exists already, kept; pass --overwrite to replace it")
        image = read_image(job.source, max_pixels=max_pixels)
        require_min_side(image, job.source)
        if not segmenters:
            segmenters.append(create(DEFAULT_METHOD, **options))
        seg = segmenters[0].segment(image)
        labels = seg.parts.labels
        picture = parts_overlay(image, labels, scheme, args.opacity)
        write_label_png(job.target, labels, scheme.palette())
        write_image(overlay, picture)
        return bool(labels.any())

    try:
        report = run_jobs([job for job, _ in planned], work, overwrite=args.overwrite, desc="parts", failed=missing)
    finally:
        for segmenter in segmenters:
            segmenter.close()
    print_summary(report, ("part map", "part maps"))
    return report.exit_code()
