"""What the CLI commands share: input expansion, output naming, per-file runs with a report."""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from bodyseg.errors import BodysegError, InputError, MethodError
from bodyseg.io.images import DEFAULT_MAX_PIXELS
from bodyseg.io.paths import Job, Skipped, check_target
from bodyseg.segmenters.registry import parse_option_pairs

log = logging.getLogger("bodyseg")

#: Log level of the one-line summary each command ends with: shown by default, hidden by -q.
SUMMARY = 25
logging.addLevelName(SUMMARY, "SUMMARY")


@dataclass
class Report:
    """Outcome of a multi-file run: outputs written, inputs skipped (their output exists), inputs in
    which nobody was found (written all the same), failures with their messages, and the time taken."""

    done: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    nobody: list[Path] = field(default_factory=list)
    seconds: float = 0.0

    def exit_code(self) -> int:
        """2 when an input failed, else 0 (skipped inputs are not failures)."""
        return 2 if self.failed else 0

    def summary(self, noun: tuple[str, str]) -> str:
        """The run in one line; ``noun`` is what an output is called, singular and plural.

        Example:
            >>> Report(done=[Path("a.png")] * 5, nobody=[Path("x/a.jpg"), Path("b.jpg")], seconds=1.43).summary(
            ...     ("mask", "masks"))
            'wrote 5 masks in 1.4 s; nobody found in 2: a.jpg, b.jpg'
        """
        parts = [f"wrote {len(self.done)} {noun[len(self.done) != 1]} in {self.seconds:.1f} s"]
        if self.skipped:
            parts.append(f"skipped {len(self.skipped)} whose output exists (--overwrite redoes them)")
        if self.nobody:
            names = ", ".join(p.name for p in self.nobody[:5]) + (", ..." if len(self.nobody) > 5 else "")
            parts.append(f"nobody found in {len(self.nobody)}: {names}")
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        return "; ".join(parts)


def add_input_options(parser: argparse.ArgumentParser) -> None:
    """Inputs, output and the safety options every per-image command takes."""
    parser.add_argument(
        "inputs",
        nargs="+",
        metavar="IN",
        help="image files, folders (searched recursively) or globs such as 'shots/*.jpg'",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        type=Path,
        help="output file (one input) or folder; by default each result is written next to its input as "
        "NAME.<command>.<ext>",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace outputs that already exist (they are kept by default)"
    )
    parser.add_argument(
        "--max-megapixels",
        type=float,
        default=DEFAULT_MAX_PIXELS / 1e6,
        metavar="MP",
        help="refuse larger images before decoding them (default %(default)g)",
    )


def add_method_options(parser: argparse.ArgumentParser, *, threshold: bool = True) -> None:
    """``--method``, ``--option KEY=VALUE`` and (where it applies) ``--threshold``."""
    parser.add_argument(
        "-m", "--method", default=None, help="segmenter to use (see `bodyseg methods`); default: the best measured"
    )
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a method option, repeatable, e.g. --option model=landscape",
    )
    parser.add_argument(
        "--fast",
        action="store_true",
        help="the default method's fast mode, method bodyseg-fast: the selfie model kept only where the person "
        "detector finds people (about half the default's time; no keypoints)",
    )
    parser.add_argument(
        "--crf",
        action="store_true",
        help="sharpen the edges with a dense CRF, any method (--option edges=crf; needs pydensecrf2; "
        "on the default method +0.004-0.008 IoU for ~0.3-0.5 s more per image)",
    )
    if threshold:
        parser.add_argument(
            "-t",
            "--threshold",
            type=probability,
            default=0.5,
            help="probability above which a pixel is person (default %(default)s)",
        )


def add_effect_options(
    parser: argparse.ArgumentParser,
    *,
    threshold: bool = False,
    soft: bool = False,
    background_help: str = "replace: an image (scaled to cover) or a colour",
) -> argparse._ArgumentGroup:
    """The options of the effects, in one "effect" group: ``--strength``, ``--feather``, ``--background``,
    ``--colour``, ``--opacity`` (all None when not given: each effect then takes its own default), and
    where asked ``--threshold`` (mask, overlay) and ``--soft`` (mask as grey levels). Returns the group.

    Example:
        >>> parser = argparse.ArgumentParser()
        >>> _ = add_effect_options(parser, threshold=True)
        >>> vars(parser.parse_args(["-s", "9", "-b", "white"]))  # doctest: +NORMALIZE_WHITESPACE
        {'threshold': None, 'strength': 9.0, 'feather': None, 'background': 'white', 'colour': None, 'opacity': None}
    """
    group = parser.add_argument_group("effect")
    if threshold:
        group.add_argument(
            "-t",
            "--threshold",
            type=probability,
            default=None,
            help="mask, overlay: probability above which a pixel is person (default 0.5)",
        )
    group.add_argument(
        "-s",
        "--strength",
        type=float,
        default=None,
        metavar="PX",
        help="blur: Gaussian sigma in pixels (default 1.5%% of the diagonal)",
    )
    group.add_argument(
        "--feather",
        type=float,
        default=None,
        metavar="PX",
        help="edge softness in pixels (default 0.3%% of the diagonal)",
    )
    group.add_argument("-b", "--background", metavar="IMAGE|COLOUR", help=background_help)
    if soft:
        group.add_argument("--soft", action="store_true", help="mask: the probability as grey levels instead of 0/255")
    group.add_argument(
        "--colour", "--color", default=None, help="overlay: one colour for the mask (default one per person)"
    )
    group.add_argument(
        "--opacity", type=opacity, default=None, help="overlay, parts: opacity of the colours in [0, 1] (default 0.5)"
    )
    return group


def parse_method_options(pairs: Iterable[str]) -> dict[str, object]:
    """``["k=3", "model=landscape"]`` -> ``{"k": 3, "model": "landscape"}`` (numbers and booleans parsed).

    Example:
        >>> parse_method_options(["k=3", "scale=0.5", "tiles=true", "model=landscape"])
        {'k': 3, 'scale': 0.5, 'tiles': True, 'model': 'landscape'}
    """
    try:
        return parse_option_pairs(list(pairs))
    except MethodError as exc:
        raise InputError(f"--{exc}") from None


def chosen_method(args: argparse.Namespace) -> tuple[str, dict[str, object]]:
    """The method named by ``--method`` (or the default) and its ``--option`` values, checked now,
    before any work, so a typo fails at once with the list of what exists."""
    from bodyseg.segmenters import DEFAULT_METHOD, FAST_METHOD, check_options

    method = args.method or DEFAULT_METHOD
    options = parse_method_options(args.option)
    if getattr(args, "fast", False):
        if method not in (DEFAULT_METHOD, FAST_METHOD):
            raise InputError(
                f"--fast picks {FAST_METHOD}, the default method's fast mode; drop --method {method} or drop --fast"
            )
        method = FAST_METHOD
    if getattr(args, "crf", False):
        options["edges"] = "crf"
    check_options(method, options)
    return method, options


def run_jobs(
    jobs: list[Job],
    work: Callable[[Job], bool | None],
    *,
    overwrite: bool,
    desc: str,
    failed: list[tuple[Path, str]] | None = None,
) -> Report:
    """Run ``work`` on each job; a failure is recorded and the run goes on with the next file.

    ``work`` returns False when it found nobody in the input (the output is written all the same,
    and a warning names the file).
    """
    report = Report(failed=list(failed or []))
    start = time.perf_counter()
    progress = tqdm(jobs, desc=desc, unit="img", disable=len(jobs) < 2, leave=False)
    for job in progress:
        try:
            check_target(job, overwrite)
            found = work(job)
        except Skipped as exc:
            log.info("%s", exc)
            report.skipped.append(job.source)
        except BodysegError as exc:
            message = str(exc)
            if str(job.source) not in message and str(job.target) not in message:
                message = f"{job.source}: {message}"
            report.failed.append((job.source, message))
        else:
            report.done.append(job.target)
            if found is False:
                log.warning("%s: nobody found; the output shows no person", job.source)
                report.nobody.append(job.source)
    report.seconds = time.perf_counter() - start
    return report


def print_summary(report: Report, noun: tuple[str, str]) -> None:
    """One line per output in verbose mode, the failures, then the run's one-line summary."""
    for target in report.done:
        log.info("wrote %s", target)
    total = len(report.done) + len(report.failed) + len(report.skipped)
    if report.failed and total > 1:
        log.error("%d of %d inputs failed:", len(report.failed), total)
    for _, message in report.failed:
        log.error("%s%s", "  " if total > 1 else "", message)
    if report.done or report.skipped or total > 1:
        log.log(SUMMARY, "%s", report.summary(noun))


def probability(text: str) -> float:
    """An argparse type: a number in [0, 1].

    Example:
        >>> probability("0.3")
        0.3
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number; give a probability between 0 and 1") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(
            f"{value:g} is not between 0 and 1 (a probability above which a pixel is person)"
        )
    return value


def opacity(text: str) -> float:
    """An argparse type: an opacity in [0, 1].

    Example:
        >>> opacity("0.7")
        0.7
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number; give an opacity between 0 and 1") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{value:g} is not between 0 (transparent) and 1 (opaque)")
    return value
