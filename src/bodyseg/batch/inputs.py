"""The inputs of a batch: folders (searched recursively), globs, files and manifests of paths.

A manifest is a text file (``.txt``, ``.lst``: one path a line, ``#`` comments) or a CSV file
(``.csv``, ``.tsv``: the column named ``path``, ``input``, ``file``, ``filename`` or ``image``, else
the first one). Relative paths in a manifest are relative to the manifest's folder, and so are the
outputs: ``list.txt`` naming ``a/x.jpg`` gives ``OUT/a/x.mask.png``.

Folders and globs are expanded by the CLI's own rules (:func:`bodyseg.io.paths.expand_inputs`);
on top of them a batch never takes as inputs its own outputs: files under the output folder, and
folder members named like an output (``x.mask.png``, ``x.soft.png``, ``x.person01.png``, ...).
"""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Iterable
from pathlib import Path

from bodyseg.errors import InputError
from bodyseg.io.images import IMAGE_SUFFIXES
from bodyseg.io.paths import expand_inputs, looks_like_output
from bodyseg.io.video import VIDEO_SUFFIXES

log = logging.getLogger("bodyseg")

#: Files read as lists of inputs rather than as inputs.
MANIFEST_SUFFIXES = (".txt", ".lst", ".csv", ".tsv")
#: Column names that hold the paths in a CSV manifest (case-insensitive), in order of preference.
PATH_COLUMNS = ("path", "input", "file", "filename", "image")
#: What a folder or glob contributes: images and videos.
MEDIA_SUFFIXES = IMAGE_SUFFIXES + VIDEO_SUFFIXES

Found = list[tuple[Path, Path]]
Missing = list[tuple[Path, str]]


def is_manifest(path: Path) -> bool:
    """True for a file read as a list of inputs.

    Example:
        >>> is_manifest(Path("photos.csv")), is_manifest(Path("photo.jpg"))
        (True, False)
    """
    return path.suffix.lower() in MANIFEST_SUFFIXES


def read_manifest(path: Path) -> list[str]:
    """The paths a manifest lists, as written (relative ones are relative to its folder).

    Example:
        >>> read_manifest(Path("shots.txt"))  # doctest: +SKIP
        ['a/x.jpg', 'b/y.png']
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the manifest ({exc}); give a UTF-8 text or CSV file of paths") from None
    if path.suffix.lower() in (".csv", ".tsv"):
        return _csv_paths(text, "\t" if path.suffix.lower() == ".tsv" else ",")
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _csv_paths(text: str, delimiter: str) -> list[str]:
    rows = [
        row for row in csv.reader(text.splitlines(), delimiter=delimiter) if row and any(cell.strip() for cell in row)
    ]
    if not rows:
        return []
    header = [cell.strip().lower() for cell in rows[0]]
    column = next((header.index(name) for name in PATH_COLUMNS if name in header), None)
    if column is not None:
        rows = rows[1:]
    else:
        column = 0
    return [row[column].strip() for row in rows if len(row) > column and row[column].strip()]


def manifest_inputs(manifest: Path) -> tuple[Found, Missing]:
    """The files a manifest names, each with the root its output mirrors from.

    Entries may be files, folders or globs. Files inside the manifest's folder mirror from it; the
    others from their common parent folder, so no two outputs collide where the inputs do not.
    """
    entries = read_manifest(manifest)
    if not entries:
        return [], [(manifest, f"{manifest}: the manifest lists no path")]
    base = manifest.parent
    texts = [entry if os.path.isabs(entry) else str(base / entry) for entry in entries]
    found, missing = expand_inputs(texts, MEDIA_SUFFIXES)
    outside = [path for path, root in found if root == path.parent and not _is_within(path, base)]
    common = Path(os.path.commonpath([p.parent.resolve() for p in outside])) if outside else base
    rooted = []
    for path, root in found:
        if root == path.parent:  # a file named by the manifest (not a folder member)
            root = base if _is_within(path, base) else common
        rooted.append((path, root))
    return rooted, missing


def _is_within(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def expand_batch_inputs(inputs: Iterable[str], output: Path) -> tuple[Found, Missing]:
    """Every input file, with the root its output mirrors from, and what matched nothing.

    Returns ``(found, missing)`` as :func:`bodyseg.io.paths.expand_inputs` does; each file once,
    in the order given (folders sorted); nothing under ``output`` and no folder member named like
    a batch output.

    Example:
        >>> found, missing = expand_batch_inputs(["shots/", "more.csv"], Path("out"))  # doctest: +SKIP
    """
    found: Found = []
    missing: Missing = []
    seen: set[Path] = set()
    output_resolved = output.resolve()
    skipped_outputs = 0
    for text in inputs:
        path = Path(text)
        if path.is_file() and is_manifest(path):
            more, gone = manifest_inputs(path)
        else:
            more, gone = expand_inputs([text], MEDIA_SUFFIXES)
            if path.is_dir():
                kept = [(p, root) for p, root in more if not looks_like_output(p.name)]
                skipped_outputs += len(more) - len(kept)
                more = kept
                if not more and not gone:
                    gone = [(path, f"{path}: the folder holds only bodyseg outputs, no input")]
        missing.extend(gone)
        for file, root in more:
            key = file.resolve()
            if key in seen:
                continue
            seen.add(key)
            if key.is_relative_to(output_resolved):
                skipped_outputs += 1
                continue
            found.append((file, root))
    if skipped_outputs:
        log.info(
            "left out %d file(s) that are bodyseg outputs (named x.<effect>.ext or under %s)", skipped_outputs, output
        )
    return found, missing
