"""What a batch writes and how it knows an output is finished.

Every input gets one output named after it in the output folder, sub-folders mirrored:
``shots/a/photo.jpg -> OUT/a/photo.<tag><ext>`` (``photo.mask.png``, ``photo.blur.jpg``,
``dance.cutout.webm``, ``photo.people.json`` with ``photo.person01.png``, ...). Files are written
under a temporary name (``.photo.mask.png.x8k2j1qa.part``: a dot file with a ``.part`` suffix, never
a name an output can have) and renamed into place when complete, so a final name only ever holds a
whole file. An output is *finished* when its final name is a non-empty file; for ``people`` the
JSON is written last and marks the set as finished. A run that was killed leaves at most some
temporary files: :func:`remove_stale_temporaries` clears them at the start (and end) of the next run.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bodyseg.effects import EFFECTS
from bodyseg.errors import OutputError
from bodyseg.io.images import IMAGE_SUFFIXES
from bodyseg.io.paths import Job, looks_like_output, plan_jobs
from bodyseg.io.video import VIDEO_SUFFIXES

log = logging.getLogger("bodyseg")

#: Effects that are not drawn on the image: files of their own (per-person masks, part labels).
DATA_EFFECTS = ("people", "parts")
#: Every ``--effect`` batch knows, in the order the help lists them.
BATCH_EFFECTS = (*EFFECTS, *DATA_EFFECTS)
#: The report's default name in the output folder (``.csv`` and ``.json``).
REPORT_NAME = "batch-report"

#: ``atomic_path``'s temporary names: ``.`` + final name + ``.`` + 8 random characters + ``.part``.
_TEMPORARY = re.compile(r"^\.(?P<final>.+)\.[a-z0-9_]{8}\.part$")


@dataclass(frozen=True)
class BatchItem:
    """One input and the output that marks it finished.

    Attributes:
        source: the input file.
        target: the output file (for ``people``: the JSON, written after the person masks).
        kind: ``"image"`` or ``"video"``.
    """

    source: Path
    target: Path
    kind: str = "image"


def is_video(path: Path) -> bool:
    """True for a file with a video suffix (``.mp4``, ``.mov``, ...).

    Example:
        >>> is_video(Path("dance.MP4")), is_video(Path("photo.jpg"))
        (True, False)
    """
    return path.suffix.lower() in VIDEO_SUFFIXES


def output_suffix(source: Path, effect: str) -> str:
    """The name ending an input's output gets: ``.<effect>`` and the format's suffix.

    Lossless effects (masks, cut-outs) and data are PNG (``people``: the JSON); photos keep a common
    format (JPEG stays JPEG); videos keep their container, cut-outs become VP9 WebM with alpha.

    Example:
        >>> [output_suffix(Path("a.jpg"), e) for e in ("mask", "blur", "cutout", "people")]
        ['.mask.png', '.blur.jpg', '.cutout.png', '.people.json']
        >>> [output_suffix(Path(name), e) for name, e in (("a.tif", "blur"), ("d.mov", "blur"), ("d.mov", "cutout"))]
        ['.blur.png', '.blur.mov', '.cutout.webm']
    """
    suffix = source.suffix.lower()
    if is_video(source):
        ext = ".webm" if effect == "cutout" else suffix
    elif effect == "people":
        ext = ".json"
    elif effect == "parts" or EFFECTS[effect].lossless:
        ext = ".png"
    else:
        ext = suffix if suffix in (".jpg", ".jpeg", ".png", ".webp") else ".png"
    return f".{effect}{ext}"


def plan_items(
    found: list[tuple[Path, Path]], output: Path, effect: str
) -> tuple[list[BatchItem], list[tuple[Path, str]]]:
    """Each input's output under ``output``, sub-folders mirrored; inputs whose output another
    input already takes (``photo.jpg`` and ``photo.png`` in one folder) are returned as failures.

    Example:
        >>> found = [(Path("in/a/x.jpg"), Path("in")), (Path("in/a/x.png"), Path("in"))]
        >>> items, clashes = plan_items(found, Path("out"), "mask")
        >>> [i.target.as_posix() for i in items]
        ['out/a/x.mask.png']
        >>> clashes[0][1]
        'in/a/x.png: its output out/a/x.mask.png is also the output of in/a/x.jpg; rename one of them'
    """
    if output.suffix.lower() in IMAGE_SUFFIXES + VIDEO_SUFFIXES and not output.is_dir():
        raise OutputError(f"{output}: batch writes into a folder; give a folder name (it is made if missing)")
    jobs: list[Job] = plan_jobs(found, output, effect, lambda source: output_suffix(source, effect))
    items: list[BatchItem] = []
    clashes: list[tuple[Path, str]] = []
    taken: dict[Path, Path] = {}
    for job in jobs:
        if job.target in taken:
            clashes.append(
                (
                    job.source,
                    f"{job.source}: its output {job.target} is also the output of {taken[job.target]}; "
                    "rename one of them",
                )
            )
            continue
        taken[job.target] = job.source
        items.append(BatchItem(job.source, job.target, "video" if is_video(job.source) else "image"))
    return items, clashes


def is_finished(target: Path) -> bool:
    """True when ``target`` is a non-empty file: written whole (outputs only ever appear by rename).

    Example:
        >>> is_finished(Path("no/such/output.png"))
        False
    """
    try:
        return target.is_file() and target.stat().st_size > 0
    except OSError:
        return False


def is_temporary(name: str) -> bool:
    """True for the temporary name of a batch output being written (never a finished output's name).

    Example:
        >>> [is_temporary(n) for n in (".photo.mask.png.k2j8x_1a.part", "photo.mask.png", ".notes.txt.k2j8x_1a.part")]
        [True, False, False]
    """
    match = _TEMPORARY.match(name)
    return match is not None and (looks_like_output(match["final"]) or match["final"].startswith(REPORT_NAME + "."))


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete the temporary files a killed run left under ``folder``; returns what was removed.

    Call it when no run writes into ``folder``: at the start of a run (after a kill) and at its end
    (a worker killed mid-write leaves one too).
    """
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for root, _dirs, files in os.walk(folder):
        for name in files:
            if is_temporary(name):
                path = Path(root, name)
                try:
                    path.unlink()
                except FileNotFoundError:
                    continue
                removed.append(path)
    if removed:
        log.info("removed %d temporary file(s) left by an interrupted run under %s", len(removed), folder)
    return removed


def unfinished(items: Iterable[BatchItem]) -> list[BatchItem]:
    """The items whose output is not finished yet."""
    return [item for item in items if not is_finished(item.target)]
