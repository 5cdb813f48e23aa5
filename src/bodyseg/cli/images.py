"""The per-image commands: segment, blur, replace, cutout, overlay, splash.

They differ only in what they draw; reading, segmenting, naming and writing are shared.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bodyseg import effects
from bodyseg.cli.common import add_input_options, add_method_options, chosen_method, print_summary, run_jobs
from bodyseg.io import read_image, write_image
from bodyseg.io.paths import Job, expand_inputs, plan_jobs
from bodyseg.io.people_files import check_people_targets, people_base, write_people
from bodyseg.segmenters import Segmenter, check_finds_people, create, require_min_side


@dataclass(frozen=True)
class ImageCommand:
    """A command that writes one image per input image: an effect of :data:`bodyseg.effects.EFFECTS`."""

    name: str
    help: str
    description: str
    noun: tuple[str, str]
    suffix: Callable[[Path], str]
    add_options: Callable[[argparse.ArgumentParser], None] = lambda parser: None

    def effect(self, args: argparse.Namespace) -> str:
        """The effect this command draws (``segment`` draws a mask, or the probability with ``--soft``)."""
        if self.name == "segment":
            return "soft" if args.soft else "mask"
        return self.name


def effect_options(effect: str, args: argparse.Namespace) -> dict[str, object]:
    """The effect's keyword options, taken from the command-line options of the same names.

    Example:
        >>> effect_options("blur", argparse.Namespace(strength=3.0, feather=None, threshold=0.5))
        {'strength': 3.0, 'feather': None}
    """
    return {name: getattr(args, name) for name in effects.EFFECTS[effect].options() if hasattr(args, name)}


def keep_suffix(source: Path) -> str:
    """Same format as the input where it is a common one, else PNG."""
    return source.suffix.lower() if source.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp") else ".png"


def png_suffix(source: Path) -> str:
    return ".png"


def _segment_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--soft", action="store_true", help="write the probability as 8-bit grey (0..255) instead of a 0/255 mask"
    )
    parser.add_argument(
        "--people",
        action="store_true",
        help="also write one 0/255 mask per person (NAME.person01.png, ...) and NAME.people.json "
        "(COCO: RLE masks, boxes, scores, 33 keypoints); needs a method that finds each person (bodyseg)",
    )


def _feather_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--feather",
        type=float,
        default=None,
        metavar="PX",
        help="edge softness, Gaussian sigma in pixels (default 0.3%% of the diagonal; 0 for a hard edge)",
    )


def _blur_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-s",
        "--strength",
        type=float,
        default=None,
        metavar="PX",
        help="background blur, Gaussian sigma in pixels (default 1.5%% of the diagonal)",
    )
    _feather_option(parser)


def _replace_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-b",
        "--background",
        required=True,
        metavar="IMAGE|COLOUR",
        help="an image (scaled to cover, centre-cropped) or a colour: white, '#00ff00', 0,255,0",
    )
    _feather_option(parser)


def _overlay_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--colour", "--color", default=None, help="one colour for the mask (default: one colour per person)"
    )
    parser.add_argument("--opacity", type=float, default=0.5, help="mask opacity in [0, 1] (default %(default)s)")
    parser.add_argument(
        "--clusters", action="store_true", help="colour the cluster map of a clustering method (kmeans, meanshift)"
    )


COMMANDS: tuple[ImageCommand, ...] = (
    ImageCommand(
        "segment",
        "write person masks as PNG",
        "Write one PNG mask per image: 255 person, 0 background (or the 8-bit probability with --soft); with "
        "--people, a mask and COCO JSON per person too.",
        ("mask", "masks"),
        png_suffix,
        _segment_options,
    ),
    ImageCommand(
        "blur",
        "portrait mode: blur the background",
        "Blur the background and keep the people sharp, with a soft, feathered edge.",
        ("blurred photo", "blurred photos"),
        keep_suffix,
        _blur_options,
    ),
    ImageCommand(
        "replace",
        "put people on a new background",
        "Replace the background with an image (scaled to cover and centre-cropped) or a colour.",
        ("photo with a new background", "photos with a new background"),
        keep_suffix,
        _replace_options,
    ),
    ImageCommand(
        "cutout",
        "cut people out as RGBA PNG",
        "Write an RGBA PNG: people opaque, background transparent, soft alpha edge.",
        ("cut-out", "cut-outs"),
        png_suffix,
        _feather_option,
    ),
    ImageCommand(
        "overlay",
        "colour the mask over the photo, for review",
        "Draw the mask (one colour per person) and its outline over the photo.",
        ("overlay", "overlays"),
        keep_suffix,
        _overlay_options,
    ),
    ImageCommand(
        "splash",
        "colour splash: people in colour, background grey",
        "Keep the people in colour and turn the background grey.",
        ("colour splash", "colour splashes"),
        keep_suffix,
        _feather_option,
    ),
)

EXAMPLES = {
    "segment": "bodyseg segment photo.jpg                 # -> photo.mask.png\n"
    "  bodyseg segment shots/ -o masks/ --soft   # a folder, probabilities\n"
    "  bodyseg segment photo.jpg --people        # + photo.person01.png, ... and photo.people.json (COCO)",
    "blur": "bodyseg blur photo.jpg --strength 25      # -> photo.blur.jpg",
    "replace": "bodyseg replace photo.jpg -b beach.jpg     # -> photo.replace.jpg\n"
    "  bodyseg replace photo.jpg -b '#00b140' -o green.jpg",
    "cutout": "bodyseg cutout photo.jpg                  # -> photo.cutout.png",
    "overlay": "bodyseg overlay photo.jpg --method kmeans --clusters",
    "splash": "bodyseg splash photo.jpg",
}


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    """Register every image command on the CLI's sub-command table."""
    for command in COMMANDS:
        parser = subparsers.add_parser(
            command.name,
            help=command.help,
            description=command.description,
            epilog=f"examples:\n  {EXAMPLES[command.name]}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        add_input_options(parser)
        add_method_options(parser)
        command.add_options(parser)
        parser.set_defaults(run=lambda args, command=command: run_image_command(command, args))


def run_image_command(command: ImageCommand, args: argparse.Namespace) -> int:
    """Read each input, segment it, draw the effect and write the result atomically."""
    max_pixels = int(args.max_megapixels * 1e6)
    if command.name == "replace":
        args.background = effects.load_background(args.background, max_pixels)
    effect = command.effect(args)
    options = effect_options(effect, args)
    found, missing = expand_inputs(args.inputs, output=args.output)
    tag = command.name if command.name != "segment" else ("prob" if args.soft else "mask")
    jobs = plan_jobs(found, args.output, tag, command.suffix)
    method, method_options = chosen_method(args)
    people = getattr(args, "people", False)
    if people:
        check_finds_people(method, "--people")
    segmenters: list[Segmenter] = []  # created at the first image that needs it

    def work(job: Job) -> bool:
        if people:
            check_people_targets(people_base(job, tag), args.overwrite)
        image = read_image(job.source, max_pixels=max_pixels)
        require_min_side(image, job.source)
        if not segmenters:
            segmenters.append(create(method, **method_options))
        seg = segmenters[0].segment(image)
        if people:
            write_people(people_base(job, tag), seg, job.source.name)
        write_image(job.target, effects.render(effect, image, seg, **options))
        return bool(seg.mask(args.threshold).any())

    try:
        report = run_jobs(jobs, work, overwrite=args.overwrite, desc=f"{command.name} ({method})", failed=missing)
    finally:
        for segmenter in segmenters:
            segmenter.close()
    print_summary(report, command.noun)
    return report.exit_code()
