"""Outputs that appear whole or not at all: a temporary file or folder beside the destination,
renamed onto it only when the block that writes it succeeds (no partial file survives a failure,
Ctrl-C or a kill: the temporary names start with a dot and end in ``.part``).

Example:
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_path(out) as tmp:
    ...     _ = tmp.write_text("done")
    >>> out.read_text(), sorted(p.name for p in out.parent.iterdir())
    ('done', ['a.txt'])
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

from bodyseg.errors import OutputError

#: Suffix of the temporary names outputs are written under before the rename.
PART_SUFFIX = ".part"


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds.

    Example:
        >>> with atomic_path("out.png") as tmp:  # doctest: +SKIP
        ...     Image.new("L", (2, 2)).save(tmp, format="PNG")
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
        os.close(fd)
    except OSError as exc:
        raise OutputError(
            f"{path}: cannot write to {folder} ({exc.strerror or exc}); choose another output folder"
        ) from None
    tmp = Path(tmp_name)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes owner-only files; outputs get the usual mode
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(
            f"{path}: could not be written ({exc.strerror or exc}); check free space and permissions"
        ) from None
    finally:
        if tmp.exists():
            tmp.unlink()


@contextlib.contextmanager
def atomic_folder(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; it replaces ``path`` only if the block succeeds.

    An existing ``path`` is replaced as a whole (the caller decides whether that is allowed).

    Example:
        >>> with atomic_folder("frames") as tmp:  # doctest: +SKIP
        ...     write_image(tmp / "00000.png", rgb)
    """
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".part", dir=parent))
    except OSError as exc:
        raise OutputError(
            f"{path}: cannot write to {parent} ({exc.strerror or exc}); choose another output folder"
        ) from None
    try:
        yield tmp
        _replace_folder(tmp, path)
    except OSError as exc:
        raise OutputError(
            f"{path}: could not be written ({exc.strerror or exc}); check free space and permissions"
        ) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


_W = TypeVar("_W", bound="ClosedOrAborted")


class ClosedOrAborted:
    """What a ``with`` block does with a writer that has ``close()`` (finish, move into place) and
    ``abort()`` (drop what was written): close it when the block ends cleanly, abort it on an error.

    Example:
        >>> class Writer(ClosedOrAborted):
        ...     def close(self): print("closed")
        ...     def abort(self): print("aborted")
        >>> with Writer():
        ...     pass
        closed
    """

    def close(self) -> Any:
        raise NotImplementedError

    def abort(self) -> None:
        raise NotImplementedError

    def __enter__(self: _W) -> _W:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def give_default_permissions(path: Path) -> None:
    """Undo ``mkstemp``/``mkdtemp``'s owner-only mode: what a plain ``open``/``mkdir`` would give."""
    mask = os.umask(0)
    os.umask(mask)
    path.chmod((0o777 if path.is_dir() else 0o666) & ~mask)


def _replace_folder(new: Path, path: Path) -> None:
    if not path.exists():
        os.replace(new, path)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
    os.replace(path, old / path.name)
    os.replace(new, path)
    shutil.rmtree(old, ignore_errors=True)
