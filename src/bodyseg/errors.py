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


def shown(value: object) -> str:
    r"""A value the user gave, as a one-line message may show it: as typed, or quoted with escapes when
    it holds a line break or another control character (a message stays one line).

    Example:
        >>> shown("runs/net.onnx"), shown("0\n0")
        ('runs/net.onnx', "'0\\n0'")
    """
    text = str(value)
    return text if text.isprintable() else repr(text)


#: Optional packages (their import names) and the extra of bodyseg that installs them.
EXTRAS = {
    "sklearn": "classical",
    "skimage": "classical",
    "maxflow": "classical",
    "av": "video",
    "pydensecrf": "crf",
    "torch": "train",
    "onnx": "train",
    "scipy": "train",
    "matplotlib": "bench",
    "pycocotools": "bench",
    "fastapi": "serve",
    "uvicorn": "serve",
    "multipart": "serve",
    "dask": "distributed",
    "distributed": "distributed",
}


def missing_package(exc: ImportError, what: str) -> MethodError:
    """The error for ``what`` failing because an optional package is missing, naming the extra to install.

    Example:
        >>> missing_package(ModuleNotFoundError("No module named 'sklearn'", name="sklearn"), "method 'kmeans'")
        MethodError("method 'kmeans' needs sklearn, which is not installed; pip install 'bodyseg[classical]'")
    """
    package = (exc.name or "").split(".")[0] or "a package"
    extra = EXTRAS.get(package)
    hint = f"pip install 'bodyseg[{extra}]'" if extra else f"pip install {package}"
    return MethodError(f"{what} needs {package}, which is not installed; {hint}")
