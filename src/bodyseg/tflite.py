"""Run the .tflite models shipped inside the mediapipe wheel with ai-edge-litert, offline."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from bodyseg.errors import MethodError


@functools.lru_cache(maxsize=None)
def mediapipe_model_path(relative: str) -> Path:
    """Path of a model inside the installed mediapipe package, e.g. ``"pose_detection/pose_detection.tflite"``."""
    import importlib.util

    spec = importlib.util.find_spec("mediapipe")
    if spec is None or not spec.submodule_search_locations:
        raise MethodError("mediapipe is not installed; run: pip install mediapipe==0.10.14")
    path = Path(list(spec.submodule_search_locations)[0]) / "modules" / relative
    if not path.is_file():
        raise MethodError(f"{path} is missing; bodyseg needs the models shipped in mediapipe==0.10.14 (pip install mediapipe==0.10.14)")
    return path


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Silence what MediaPipe's C++ code writes to file descriptor 2 (glog/absl/TFLite banners)."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # stderr replaced (pytest capture, notebooks)
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


class TFLiteModel:
    """A .tflite model with one float input: ``model(batch) -> list of outputs`` in model order.

    Example:
        >>> model = TFLiteModel(mediapipe_model_path("pose_detection/pose_detection.tflite"))  # doctest: +SKIP
        >>> [o.shape for o in model(np.zeros((1, 224, 224, 3), np.float32))]  # doctest: +SKIP
        [(1, 2254, 12), (1, 2254, 1)]
    """

    def __init__(self, path: Path, num_threads: int = 1) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.path = Path(path)
        with native_stderr_silenced():  # TFLite announces its XNNPACK delegate on stderr
            self._interpreter = Interpreter(model_path=str(self.path), num_threads=num_threads)
            self._interpreter.allocate_tensors()
        self._input = self._interpreter.get_input_details()[0]
        self._outputs = sorted(self._interpreter.get_output_details(), key=lambda d: d["name"])
        self.input_shape: tuple[int, ...] = tuple(int(s) for s in self._input["shape"])

    def __call__(self, batch: np.ndarray) -> list[np.ndarray]:
        self._interpreter.set_tensor(self._input["index"], np.ascontiguousarray(batch, dtype=np.float32))
        self._interpreter.invoke()
        return [self._interpreter.get_tensor(d["index"]).copy() for d in self._outputs]
