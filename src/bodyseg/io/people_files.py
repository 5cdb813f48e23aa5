"""People files beside a mask (``segment --people``, batch ``--effect people``): one 0/255 PNG per
person and a COCO-style JSON per image.

For a mask written as ``photo.mask.png`` (or ``out/photo.png``) the people go to
``photo.person01.png``, ``photo.person02.png``, ... and ``photo.people.json`` in the same folder.
Every file is written atomically; none is replaced without ``--overwrite``; with it, person files
left from an earlier run that found more people are removed so the folder matches the JSON.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from bodyseg.errors import OutputError
from bodyseg.io.images import write_image, write_text
from bodyseg.io.paths import Job
from bodyseg.io.people_json import people_document
from bodyseg.result import Segmentation

log = logging.getLogger("bodyseg")


def people_base(job: Job, tag: str) -> Path:
    """The folder and stem the people files of ``job`` are named from.

    Example:
        >>> people_base(Job(Path("a/photo.jpg"), Path("a/photo.mask.png")), "mask").as_posix()
        'a/photo'
        >>> people_base(Job(Path("a/photo.jpg"), Path("out/p.png")), "mask").as_posix()
        'out/p'
    """
    stem = job.target.stem
    if stem == f"{job.source.stem}.{tag}":
        stem = job.source.stem
    return job.target.with_name(stem)


def person_path(base: Path, index: int) -> Path:
    """``base.person01.png`` for ``index`` 1 (two digits at least).

    Example:
        >>> person_path(Path("photo"), 3).name
        'photo.person03.png'
    """
    return base.with_name(f"{base.name}.person{index:02d}.png")


def people_json_path(base: Path) -> Path:
    """``base.people.json``."""
    return base.with_name(f"{base.name}.people.json")


def existing_person_files(base: Path, start: int = 1) -> list[Path]:
    """Person files ``start``, ``start + 1``, ... that exist, up to the first gap."""
    found = []
    while person_path(base, start + len(found)).exists():
        found.append(person_path(base, start + len(found)))
    return found


def check_people_targets(base: Path, overwrite: bool) -> None:
    """Refuse, before any work, to replace the people files of an earlier run without ``--overwrite``."""
    if overwrite:
        return
    for path in [people_json_path(base), *existing_person_files(base)[:1]]:
        if path.exists():
            raise OutputError(f"{path}: exists already; pass --overwrite to replace it")


def write_people(base: Path, seg: Segmentation, file_name: str) -> list[Path]:
    """Write each person's 0/255 mask and the COCO JSON of ``seg``; remove stale person files.

    Call :func:`check_people_targets` first: this function replaces what is there.

    Example:
        >>> write_people(Path("out/photo"), seg, "photo.jpg")  # doctest: +SKIP
        [PosixPath('out/photo.person01.png'), PosixPath('out/photo.people.json')]
    """
    written = [
        write_image(person_path(base, i + 1), person.mask.astype(np.uint8) * 255) for i, person in enumerate(seg.people)
    ]
    for stale in existing_person_files(base, start=len(seg.people) + 1):
        log.info("removing %s: left from an earlier run that found more people", stale)
        stale.unlink()
    document = people_document(seg, file_name)
    written.append(write_text(people_json_path(base), json.dumps(document, separators=(",", ":")) + "\n"))
    for path in written:
        log.info("wrote %s", path)
    return written
