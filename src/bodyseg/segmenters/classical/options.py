"""Checks of the classical methods' options: a bad value fails at creation, saying what is allowed."""

from __future__ import annotations

from collections.abc import Sequence

from bodyseg.errors import MethodError


def check_choice(option: str, value: str, choices: Sequence[str]) -> str:
    """``value`` if it is one of ``choices``, else a :class:`MethodError` listing them.

    Example:
        >>> check_choice("prior", "pose", ("pose", "centre"))
        'pose'
    """
    if value not in choices:
        raise MethodError(f"unknown {option} {value!r}; choose one of: {', '.join(choices)}")
    return value


def check_int(option: str, value: int, low: int, high: int) -> int:
    """``value`` as an int if ``low <= value <= high``, else a :class:`MethodError` saying the range.

    Example:
        >>> check_int("k", 8, 2, 64)
        8
    """
    if not low <= int(value) <= high:
        raise MethodError(f"{option} must be between {low} and {high}, got {value}")
    return int(value)


def check_float(option: str, value: float, low: float, high: float = float("inf"), *, open_low: bool = False) -> float:
    """``value`` as a float in ``[low, high]`` (``(low, high]`` with ``open_low``), else a :class:`MethodError`.

    Example:
        >>> check_float("spatial_weight", 0.5, 0.0, 1.0)
        0.5
    """
    value = float(value)
    if value < low or value > high or (open_low and value == low):
        bound = f"> {low}" if open_low else f">= {low}"
        limit = f" and <= {high}" if high != float("inf") else ""
        raise MethodError(f"{option} must be {bound}{limit}, got {value}")
    return value
