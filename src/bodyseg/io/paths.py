"""Inputs and outputs on disk: files from paths, folders, globs; each input's output path; what may be
written. Shared by the CLI's commands, batch jobs and anything else that turns a collection of files
into results named after them (``photo.jpg -> photo.blur.jpg``, sub-folders mirrored under ``-o``).

Example:
    >>> plan_jobs([(Path("shots/a.jpg"), Path("shots"))], None, "blur", lambda p: ".jpg")[0].target
    PosixPath('shots/a.blur.jpg')
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from bodyseg.errors import BodysegError, OutputError
from bodyseg.io.images import IMAGE_SUFFIXES

#: Name tags bodyseg adds to outputs written next to their input (photo.jpg -> photo.blur.jpg).
OUTPUT_TAGS = ("mask", "prob", "soft", "blur", "replace", "cutout", "overlay", "splash", "people", "parts", "matte")


@dataclass(frozen=True)
class Job:
    """One input file and the output it will produce."""

    source: Path
    target: Path


class Skipped(BodysegError):
    """An input whose output exists already (kept: a run with --overwrite redoes it)."""


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
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in suffixes and not looks_like_output(p.name)
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


def looks_like_output(name: str) -> bool:
    """True for a name bodyseg gives its outputs (``x.mask.png``, ``x.person03.png``, ``x.people.json``).

    Example:
        >>> looks_like_output("photo.blur.jpg"), looks_like_output("photo.person12.png"), looks_like_output("photo.jpg")
        (True, True, False)
    """
    parts = name.split(".")
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
