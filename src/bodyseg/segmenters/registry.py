"""One registry of segmenters: name -> where the class lives and a one-line summary.

Classes are imported only when created, so listing methods never loads a model.
"""

from __future__ import annotations

import importlib
import inspect
import re
from dataclasses import dataclass
from typing import Any

from bodyseg.errors import MethodError, missing_package
from bodyseg.segmenters.base import Segmenter


@dataclass(frozen=True)
class MethodInfo:
    """A registered method: ``target`` is ``"module:Class"``; ``people`` if it finds each person
    (fills ``Segmentation.people`` with one entry per person, not one mask for everyone)."""

    name: str
    target: str
    summary: str
    people: bool = False


_METHODS: dict[str, MethodInfo] = {}


def register(name: str, target: str, summary: str, *, people: bool = False) -> None:
    """Register a segmenter class under ``name`` (``target`` is ``"package.module:Class"``);
    ``people=True`` if it finds each person apart."""
    if name in _METHODS and _METHODS[name].target != target:
        raise ValueError(f"segmenter name {name!r} is already taken by {_METHODS[name].target}")
    _METHODS[name] = MethodInfo(name, target, summary, people)


def people_methods() -> list[str]:
    """Names of the methods that find each person apart (one ``Person`` each).

    Example:
        >>> "bodyseg" in people_methods() and "mediapipe-selfie" not in people_methods()
        True
    """
    return sorted(name for name, info in _METHODS.items() if info.people)


def check_finds_people(name: str, why: str) -> None:
    """Raise :class:`MethodError` unless ``name`` finds each person; ``why`` names what needs it.

    Example:
        >>> check_finds_people("mediapipe-selfie", "--people")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        bodyseg.errors.MethodError: --people needs a method that finds each person (bodyseg, ...); mediapipe-selfie ...
    """
    if name not in _METHODS:
        segmenter_class(name)  # raises, with the list of methods
    if not _METHODS[name].people:
        raise MethodError(
            f"{why} needs a method that finds each person ({', '.join(people_methods())}); {name} gives one mask for "
            "everyone"
        )


def available() -> dict[str, str]:
    """Registered method names with their one-line summaries.

    Example:
        >>> "mediapipe-selfie" in available()
        True
    """
    return {name: info.summary for name, info in sorted(_METHODS.items())}


def segmenter_class(name: str) -> type[Segmenter]:
    """The class registered under ``name``."""
    try:
        info = _METHODS[name]
    except KeyError:
        known = ", ".join(sorted(_METHODS))
        raise MethodError(f"unknown method {name!r}; choose one of: {known} (see `bodyseg methods`)") from None
    module_name, _, attr = info.target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] == "bodyseg":
            raise
        raise missing_package(exc, f"method {name!r}") from None
    return getattr(module, attr)


def parse_option_value(text: str) -> Any:
    """An option value from text: booleans, ints, floats, else the string (``auto``, ``none`` and
    names stay strings: each method says what they mean).

    Example:
        >>> [parse_option_value(t) for t in ("3", "0.5", "true", "auto", "none", "landscape")]
        [3, 0.5, True, 'auto', 'none', 'landscape']
    """
    lowered = text.strip().lower()
    if lowered in ("true", "yes", "on"):
        return True
    if lowered in ("false", "no", "off"):
        return False
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text.strip()


def parse_option_pairs(pairs: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """``["k=3", "model=landscape"]`` -> ``{"k": 3, "model": "landscape"}``.

    Example:
        >>> parse_option_pairs(["k=3", "fast=true", "model=landscape"])
        {'k': 3, 'fast': True, 'model': 'landscape'}
    """
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise MethodError(f"option {pair!r}: write it as KEY=VALUE, e.g. model=landscape")
        options[key.strip().replace("-", "_")] = parse_option_value(value)
    return options


def parse_method_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """A method with options in one string: ``"NAME:KEY=VALUE:KEY=VALUE"``.

    Example:
        >>> parse_method_spec("mediapipe-selfie:model=landscape")
        ('mediapipe-selfie', {'model': 'landscape'})
    """
    name, *pairs = spec.strip().split(":")
    return name, parse_option_pairs(pairs)


#: An option every method takes: edge refinement of its probability (``guided``, ``crf``, ``none``);
#: methods without an ``edges`` option of their own get it from :class:`~bodyseg.segmenters.base.EdgeRefined`.
COMMON_OPTIONS = ("edges",)


#: Keyword arguments of methods that take Python objects (stand-in models), not options a user types.
PYTHON_ONLY = ("models", "pose")


def method_options(name: str) -> dict[str, inspect.Parameter]:
    """The options of the method ``name``: its class's keyword parameters (Python-only ones left out).

    Example:
        >>> list(method_options("mediapipe-selfie"))
        ['model', 'threads']
        >>> list(method_options("grabcut"))[-3:]
        ['prior', 'max_side', 'fallback']
    """
    parameters = inspect.signature(segmenter_class(name).__init__).parameters
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return {key: p for key, p in parameters.items() if key != "self" and key not in PYTHON_ONLY and p.kind in kinds}


def option_docs(cls: type) -> dict[str, str]:
    """Each option's help from the class docstring's ``Args:`` section: its first sentence.

    Example:
        >>> class Demo:
        ...     '''A method.
        ...
        ...     Args:
        ...         k: clusters, 2 to 64. More split finer.
        ...         seed: the random seed.
        ...     '''
        >>> option_docs(Demo)
        {'k': 'clusters, 2 to 64.', 'seed': 'the random seed.'}
    """
    docs: dict[str, str] = {}
    lines = inspect.getdoc(cls).splitlines() if inspect.getdoc(cls) else []
    inside, name = False, None
    for line in lines:
        if line.strip() == "Args:":
            inside = True
            continue
        if inside and line and not line.startswith(" "):
            break
        match = re.match(r"^    (\w+): (.*)$", line) if inside else None
        if match:
            name, docs[match.group(1)] = match.group(1), match.group(2)
        elif inside and name and line.startswith("        "):
            docs[name] += " " + line.strip()
    return {key: re.split(r"(?<=\.)\s", text, maxsplit=1)[0] for key, text in docs.items()}


def describe_options(name: str) -> list[tuple[str, Any, str]]:
    """``(option, default, help)`` of each option of the method ``name``, for ``bodyseg methods``.

    Example:
        >>> describe_options("mediapipe-selfie")[0]
        ('model', 'general', '``"general"`` (256x256 input, the default) or ``"landscape"`` (144x256, faster).')
    """
    docs: dict[str, str] = {}
    for cls in reversed(segmenter_class(name).__mro__):  # a subclass's words win over its base's
        docs.update(option_docs(cls))
    return [(key, p.default, docs.get(key, "")) for key, p in method_options(name).items()]


def check_options(name: str, options: dict[str, Any]) -> type[Segmenter]:
    """The class registered under ``name``, after checking it takes every option in ``options``."""
    cls = segmenter_class(name)
    accepted = inspect.signature(cls.__init__).parameters
    unknown = [key for key in options if key not in accepted and key not in COMMON_OPTIONS]
    if unknown and not any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
        names = ", ".join(list(method_options(name)) + [o for o in COMMON_OPTIONS if o not in accepted]) or "none"
        raise MethodError(f"method {name!r} has no option {', '.join(unknown)}; its options are: {names}")
    return cls


def create(name: str, **options: Any) -> Segmenter:
    """Create the segmenter registered under ``name`` with keyword ``options``.

    Example:
        >>> seg = create("mediapipe-selfie", model="landscape")  # doctest: +SKIP
        >>> seg = create("grabcut", edges="crf")  # any method's edges refined by a dense CRF  # doctest: +SKIP
    """
    cls = check_options(name, options)
    if "edges" in options and "edges" not in inspect.signature(cls.__init__).parameters:
        from bodyseg.segmenters.base import EdgeRefined

        edges = options.pop("edges")
        segmenter = cls(**options)
        return segmenter if edges == "none" else EdgeRefined(segmenter, edges)
    return cls(**options)
