"""What the CLI commands share: input expansion, output naming, per-file runs with a report."""

from __future__ import annotations

import argparse
import glob
import logging
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from bodyseg.errors import BodysegError, InputError, MethodError, OutputError
from bodyseg.io.images import DEFAULT_MAX_PIXELS, IMAGE_SUFFIXES
from bodyseg.segmenters.registry import parse_option_pairs

log = logging.getLogger("bodyseg")

#: Log level of the one-line summary each command ends with: shown by default, hidden by -q.
SUMMARY = 25
logging.addLevelName(SUMMARY, "SUMMARY")

#: Name tags bodyseg adds to outputs written next to their input (photo.jpg -> photo.blur.jpg).
OUTPUT_TAGS = ("mask", "prob", "blur", "replace", "cutout", "overlay", "splash", "people")


@dataclass(frozen=True)
class Job:
    """One input file and the output it will produce."""

    source: Path
    target: Path


class Skipped(BodysegError):
    """An input whose output exists already (kept: a run with --overwrite redoes it)."""


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


def expand_inputs(
    inputs: Iterable[str], suffixes: tuple[str, ...] = IMAGE_SUFFIXES, *, output: Path | None = None
) -> tuple[list[tuple[Path, Path]], list[tuple[Path, str]]]:
    """Files from paths, folders and globs, each with the root it is relative to.

    Returns ``(found, missing)``: ``found`` holds ``(file, root)`` pairs where ``root`` is the
    folder given (so outputs can mirror sub-folders) or the file's own folder; ``missing`` holds
    inputs that matched nothing, with the reason. Folder members that look like bodyseg's own
    outputs (``x.blur.jpg``), and those inside the ``output`` folder when it lies within an input
    folder, are skipped so a second run does not process its first run's results.
    """
    found: list[tuple[Path, Path]] = []
    missing: list[tuple[Path, str]] = []
    seen: set[Path] = set()

    output_folder = output.resolve() if output is not None and not output.suffix else None

    def add(path: Path, root: Path) -> None:
        key = path.resolve()
        if output_folder is not None and path.is_file() and root.is_dir() and key.is_relative_to(output_folder):
            return
        if key not in seen:
            seen.add(key)
            found.append((path, root))

    for text in inputs:
        path = Path(text)
        if path.is_dir():
            members = sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in suffixes and not _is_own_output(p)
            )
            if not members:
                missing.append((path, f"{path}: folder holds no images ({', '.join(suffixes[:4])}, ...)"))
            for member in members:
                add(member, path)
        elif path.exists() or not glob.has_magic(text):
            add(path, path.parent)  # missing files are reported by the reader, with its message
        else:
            matches = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
            if not matches:
                missing.append((path, f"{text}: the pattern matches no file"))
            for match in matches:
                add(match, match.parent)
    return found, missing


def _is_own_output(path: Path) -> bool:
    parts = path.name.split(".")
    return len(parts) >= 3 and (parts[-2] in OUTPUT_TAGS or re.fullmatch(r"person\d{2,}", parts[-2]) is not None)


def plan_jobs(
    found: list[tuple[Path, Path]], output: Path | None, tag: str, suffix_for: Callable[[Path], str]
) -> list[Job]:
    """Decide each input's output path.

    * no ``output``: next to the input, ``photo.jpg -> photo.<tag><suffix>``;
    * one input and ``output`` has an image suffix: exactly ``output``;
    * otherwise ``output`` is a folder; inputs from a folder keep their sub-folders.
    """
    if output is not None and len(found) == 1 and output.suffix.lower() in IMAGE_SUFFIXES and not output.is_dir():
        return [Job(found[0][0], output)]
    if output is not None and output.exists() and not output.is_dir():
        raise OutputError(f"{output}: exists and is not a folder; give a folder for several inputs")
    jobs = []
    for source, root in found:
        suffix = suffix_for(source)
        if output is None:
            target = source.with_name(f"{source.stem}.{tag}{suffix}")
        else:
            relative = source.relative_to(root) if source.is_relative_to(root) else Path(source.name)
            target = output / relative.with_suffix(suffix)
        jobs.append(Job(source, target))
    return jobs


def check_target(job: Job, overwrite: bool) -> None:
    """Refuse to write over the input; skip an existing output without ``--overwrite``.

    Raises:
        OutputError: the output is the input itself, or a folder.
        Skipped: the output exists and ``overwrite`` is false.
    """
    if job.target.exists() and job.source.exists() and os.path.samefile(job.target, job.source):
        raise OutputError(f"{job.target}: is the input itself; choose another output")
    if job.target.exists() and not overwrite:
        raise Skipped(f"{job.target}: exists already, kept; pass --overwrite to replace it")
    if job.target.is_dir():
        raise OutputError(f"{job.target}: is a folder; give a file name")


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
