"""The exceptions bodyseg raises: each message names the problem and what to do about it."""

from __future__ import annotations


class BodysegError(Exception):
    """Base class of every error bodyseg raises on purpose (the CLI turns these into exit code 2)."""


class InputError(BodysegError):
    """An input (image, video, path, option) cannot be used as given."""


class OutputError(BodysegError):
    """An output cannot be written (exists already, folder not writable, ...)."""


class MethodError(BodysegError):
    """A segmenter name or option is unknown, or a method cannot run here."""
