"""Model cards: the JSON beside every model file bodyseg runs, read, checked and written in one place.

A card says what the file is and how to use it: ``file`` (beside the card), ``sha256``, ``licence``,
``source`` (the registry package it came from, or the data and recipe it was trained on), ``input``
and ``output`` (the contract: size, layout, normalisation, meaning), ``made_by`` (the command that
made it) and the figures it measured. Every model file is checked against its card's sha256 the
first time a process opens it, so a damaged or replaced file is named before it gives wrong masks.

Example:
    >>> card = load_card(shipped_card("pose_refiner"))  # doctest: +SKIP
    >>> card["input"]["height"]  # doctest: +SKIP
    128
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from bodyseg.errors import MethodError, shown
from bodyseg.io.images import atomic_path

#: Key under which :func:`load_card` records the checked model file's path.
PATH_KEY = "_path"


def weights_dir() -> Path:
    """The folder of the model files shipped inside the package (``bodyseg/weights``)."""
    return Path(str(resources.files("bodyseg") / "weights"))


def shipped_card(name: str) -> Path | None:
    """The card of the shipped model ``name`` (``weights/<name>.json``), or None if it is not shipped.

    Example:
        >>> shipped_card("no-such-model") is None
        True
    """
    card = weights_dir() / f"{name}.json"
    return card if card.is_file() else None


def shipped_cards() -> dict[str, Path]:
    """Every shipped model card by name (its file stem), sorted.

    Example:
        >>> "pose_refiner" in shipped_cards()
        True
    """
    return {card.stem: card for card in sorted(weights_dir().glob("*.json"))}


def sha256_of(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's bytes, read in chunks.

    Example:
        >>> import tempfile
        >>> with tempfile.NamedTemporaryFile(delete=False) as f:
        ...     _ = f.write(b"abc")
        >>> sha256_of(f.name)[:12]
        'ba7816bf8f01'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_card(path: str | os.PathLike) -> dict[str, Any]:
    """A card's JSON, without checking its model file; :class:`MethodError` naming the fix when it
    is missing or not a card."""
    path = Path(path)
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
        if (
            not isinstance(card, dict)
            or not isinstance(card.get("file"), str)
            or not isinstance(card.get("sha256"), str)
        ):
            raise ValueError("it has no 'file' and 'sha256'")
    except FileNotFoundError:
        raise MethodError(
            f"{shown(path)}: model card not found; reinstall bodyseg or give the card of your own export"
        ) from None
    except (OSError, ValueError) as exc:
        raise MethodError(
            f"{shown(path)}: not a bodyseg model card ({exc}); re-export the model or reinstall bodyseg"
        ) from None
    return card


def load_card(path: str | os.PathLike) -> dict[str, Any]:
    """A card whose model file is there and is the one the card describes (sha256), with the file's
    path under :data:`PATH_KEY`. The sha256 is computed once per file and process.

    Raises:
        MethodError: the card is unreadable, or its file is missing or damaged (naming the fix).
    """
    path = Path(path)
    card = read_card(path)
    model = path.with_name(card["file"])
    check_model_file(model, card["sha256"], path.name)
    return {**card, PATH_KEY: str(model)}


def check_model_file(model: Path, sha256: str, card_name: str = "") -> None:
    """Raise :class:`MethodError` when ``model`` is missing or its sha256 is not ``sha256``."""
    if not model.is_file():
        raise MethodError(
            f"{model}: model file missing ({card_name} describes it); reinstall bodyseg (pip install "
            "--force-reinstall bodyseg)"
        )
    stat = model.stat()
    digest = _cached_sha256(str(model), stat.st_size, stat.st_mtime_ns)
    if digest != sha256:
        raise MethodError(
            f"{model}: sha256 {digest[:12]}... does not match its card {card_name} ({sha256[:12]}...): the file is "
            "damaged or was "
            "replaced; reinstall bodyseg (pip install --force-reinstall bodyseg) or re-export your model"
        )


@functools.lru_cache(maxsize=64)
def _cached_sha256(path: str, size: int, mtime_ns: int) -> str:
    return sha256_of(path)


#: key -> the type its value has in every card
REQUIRED_KEYS: dict[str, type | tuple[type, ...]] = {
    "format": str,
    "name": str,
    "file": str,
    "sha256": str,
    "bytes": int,
    "runtime": str,
    "licence": str,
    "copyright": str,
    "source": dict,
    "input": dict,
    "output": (dict, list),
    "made_by": (str, list),
    "figures": dict,
}
REQUIRED_SOURCE = ("registry", "package", "version", "path")
REQUIRED_INPUT = ("name", "layout", "height", "width", "channels", "normalisation")


def card_problems(card_path: Path) -> list[str]:
    """What is wrong with a card and the file it describes (schema, name, size, sha256); empty when all is well.

    Example:
        >>> card_problems(shipped_card("pose_detection"))
        []
    """
    card: dict[str, Any] = json.loads(Path(card_path).read_text(encoding="utf-8"))
    card_path = Path(card_path)
    problems = [f"no {key!r}" for key in REQUIRED_KEYS if key not in card]
    problems += [
        f"{key!r} is not {kind}"
        for key, kind in REQUIRED_KEYS.items()
        if key in card and not isinstance(card[key], kind)
    ]
    if problems:
        return problems
    problems += [f"source has no {key!r}" for key in REQUIRED_SOURCE if not card["source"].get(key)]
    problems += [f"input has no {key!r}" for key in REQUIRED_INPUT if key not in card["input"]]
    if card["name"] != card_path.stem or Path(card["file"]).stem != card_path.stem:
        problems.append(f"name {card['name']!r} / file {card['file']!r} do not match the card's {card_path.stem!r}")
    if not card["made_by"]:
        problems.append("made_by is empty")
    model = card_path.with_name(card["file"])
    if not model.is_file():
        return [*problems, f"{model.name} is missing"]
    if model.stat().st_size != card["bytes"]:
        problems.append(f"{model.name}: {model.stat().st_size} bytes, the card says {card['bytes']}")
    digest = sha256_of(model)
    if digest != card["sha256"]:
        problems.append(f"{model.name}: sha256 {digest[:12]}... is not the card's {card['sha256'][:12]}...")
    return problems


def write_card(card: Mapping[str, Any], path: str | os.PathLike) -> Path:
    """Write a model card as indented JSON, atomically (a temporary file, then a rename).

    Example:
        >>> import tempfile
        >>> out = write_card({"file": "m.onnx", "sha256": "0"}, Path(tempfile.mkdtemp()) / "m.json")
        >>> read_card(out)["file"]
        'm.onnx'
    """
    path = Path(path)
    with atomic_path(path) as temp:
        Path(temp).write_text(json.dumps(card, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return path
