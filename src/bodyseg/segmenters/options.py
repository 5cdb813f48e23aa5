"""Checks of methods' options: a bad value fails at creation, saying what is allowed."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeVar

from bodyseg.errors import MethodError

T = TypeVar("T")


def check_choice(option: str, value: T, choices: Sequence[T]) -> T:
    """``value`` if it is one of ``choices``, else a :class:`MethodError` listing them.

    Example:
        >>> check_choice("prior", "pose", ("pose", "centre"))
        'pose'
    """
    if value not in choices:
        raise MethodError(f"unknown {option} {value!r}; choose one of: {', '.join(map(str, choices))}")
    return value


def check_bool(option: str, value: object) -> bool:
    """``value`` as a bool if it is one (or 0 or 1), else a :class:`MethodError`: ``drop_animals=maybe``
    must not quietly mean true.

    Example:
        >>> check_bool("second_pass", True), check_bool("second_pass", 0)
        (True, False)
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value in (0, 1):
        return bool(value)
    raise MethodError(f"{option} must be true or false, got {value!r}")


def check_int(option: str, value: int, low: int, high: int) -> int:
    """``value`` as an int if ``low <= value <= high``, else a :class:`MethodError` saying the range.

    Example:
        >>> check_int("k", 8, 2, 64)
        8
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)  # int() of nan or inf raises ValueError/OverflowError, not our error
        or value != int(value)
        or not low <= int(value) <= high
    ):
        raise MethodError(f"{option} must be a whole number between {low} and {high}, got {value!r}")
    return int(value)


def check_float(option: str, value: float, low: float, high: float = float("inf"), *, open_low: bool = False) -> float:
    """``value`` as a float in ``[low, high]`` (``(low, high]`` with ``open_low``), else a :class:`MethodError`.

    Example:
        >>> check_float("spatial_weight", 0.5, 0.0, 1.0)
        0.5
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MethodError(f"{option} must be a number, got {value!r}")
    value = float(value)
    if not low <= value <= high or (open_low and value == low):  # also refuses nan
        bound = f"> {low}" if open_low else f">= {low}"
        limit = f" and <= {high}" if high != float("inf") else ""
        raise MethodError(f"{option} must be {bound}{limit}, got {value}")
    return value
