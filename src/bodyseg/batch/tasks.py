"""The work a batch worker does: a chunk of inputs in, their outputs written, one result each.

Nothing here needs Dask: :func:`process_items` is a plain function of the items, the run's
:class:`BatchSpec` and a segmenter, so it is tested (and can be run) without a cluster. The Dask
side (:mod:`bodyseg.batch.plugin`) keeps one :class:`SegmenterPool` per worker process, made when
the worker starts, and calls :func:`process_items` for each chunk: the model is loaded once per
worker (one segmenter per worker thread at most), never per image.

Images are read on the worker, from the paths in the items (the client sends names, not pixels),
one ahead of the segmenter on a background thread. A bad input (missing, unreadable, too small,
a method without what the effect needs, even an unexpected error) fails that input alone.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bodyseg import effects
from bodyseg.batch.outputs import BatchItem, is_finished
from bodyseg.batch.report import ItemResult
from bodyseg.errors import BodysegError, InputError
from bodyseg.io.background import prefetched
from bodyseg.io.images import DEFAULT_MAX_PIXELS, read_image, write_image
from bodyseg.io.paths import Job
from bodyseg.io.people_files import people_base, write_people
from bodyseg.result import Segmentation
from bodyseg.segmenters import Segmenter, available, create, register, require_min_side, segmenter_class

log = logging.getLogger("bodyseg")


@dataclass(frozen=True)
class BatchSpec:
    """What every input of a run gets: the effect, the method and their options.

    Attributes:
        effect: a name of :data:`bodyseg.batch.outputs.BATCH_EFFECTS`.
        method: a registered segmenter name.
        method_options: keyword options of the segmenter.
        effect_options: keyword options of the effect (``background`` as given: a path or a colour).
        max_pixels: larger images (and video frames) are refused before decoding.
        overwrite: redo inputs whose output is finished.
        method_target: ``"module:Class"`` of the method, so a worker can register a method that
            only the client registered (a plugin of the user's own); "" when workers know it.
    """

    effect: str
    method: str
    method_options: dict[str, Any] = field(default_factory=dict)
    effect_options: dict[str, Any] = field(default_factory=dict)
    max_pixels: int = DEFAULT_MAX_PIXELS
    overwrite: bool = False
    method_target: str = ""

    @classmethod
    def for_method(cls, effect: str, method: str, **kwargs: Any) -> BatchSpec:
        """A spec whose ``method_target`` is filled from this process's registry.

        Example:
            >>> BatchSpec.for_method("mask", "mediapipe-selfie").method_target
            'bodyseg.segmenters.mediapipe:SelfieSegmenter'
        """
        target = segmenter_class(method)
        return cls(effect, method, method_target=f"{target.__module__}:{target.__qualname__}", **kwargs)


def ensure_registered(spec: BatchSpec) -> None:
    """Register ``spec.method`` in this process if only the client had it registered."""
    if spec.method not in available() and spec.method_target:
        register(spec.method, spec.method_target, "registered by the batch client")


def effect_options(spec: BatchSpec) -> dict[str, Any]:
    """The effect's options ready to draw with: a background image path is read (once per worker).

    Example:
        >>> effect_options(BatchSpec("replace", "x", effect_options={"background": "white"}))
        {'background': 'white'}
    """
    options = dict(spec.effect_options)
    background = options.get("background")
    if isinstance(background, str):
        from bodyseg.effects import load_background  # an image path is read, a colour checked

        options["background"] = load_background(background, spec.max_pixels)
    return options


class SegmenterPool:
    """Segmenters made on demand and lent to one thread at a time: as many as threads use them at
    once (one on a worker with one thread), each kept for the life of the pool.

    Example:
        >>> pool = SegmenterPool(lambda: create("mediapipe-selfie"))  # doctest: +SKIP
        >>> with pool.lend() as segmenter:  # doctest: +SKIP
        ...     seg = segmenter.segment(image)
    """

    def __init__(self, factory: Callable[[], Segmenter]) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._free: list[Segmenter] = []
        self.made: list[Segmenter] = []

    def preload(self) -> None:
        """Make the first segmenter now (a worker loads its model as it starts, not on its first task)."""
        with self._lock:
            if not self.made:
                segmenter = self._factory()
                self.made.append(segmenter)
                self._free.append(segmenter)

    @contextlib.contextmanager
    def lend(self) -> Iterator[Segmenter]:
        """A segmenter no other thread uses until the block ends."""
        with self._lock:
            segmenter = self._free.pop() if self._free else None
        if segmenter is None:
            segmenter = self._factory()
            with self._lock:
                self.made.append(segmenter)
        try:
            yield segmenter
        finally:
            with self._lock:
                self._free.append(segmenter)

    def close(self) -> None:
        """Close every segmenter made."""
        with self._lock:
            made, self.made, self._free = self.made, [], []
        for segmenter in made:
            segmenter.close()


def make_segmenter(spec: BatchSpec) -> Segmenter:
    """The segmenter of ``spec`` (its method registered here first if need be)."""
    ensure_registered(spec)
    return create(spec.method, **spec.method_options)


def process_items(
    items: list[BatchItem], spec: BatchSpec, segmenter: Segmenter, options: dict[str, Any], worker: str = ""
) -> list[ItemResult]:
    """Write the output of each item; one :class:`ItemResult` per item, in order, never an exception.

    ``options`` are the effect's options from :func:`effect_options`. Items whose output is
    finished are skipped unless ``spec.overwrite``.

    Example:
        >>> from pathlib import Path
        >>> items = [BatchItem(Path("in/a.jpg"), Path("out/a.mask.png"))]
        >>> spec = BatchSpec("mask", "mediapipe-selfie")
        >>> process_items(items, spec, create("mediapipe-selfie"), {})  # doctest: +SKIP
        [ItemResult(input='in/a.jpg', output='out/a.mask.png', status='done', error='', seconds=0.05, worker='')]
    """
    results = []
    with contextlib.closing(prefetched(_read_images(items, spec), depth=2)) as reads:
        for item, image, read_seconds in reads:
            start = time.perf_counter()
            try:
                if image is _SKIP:
                    status = "skipped"
                else:
                    if isinstance(image, BaseException):
                        raise image
                    write_outputs(item, image, spec, segmenter, options)
                    status = "done"
                error = ""
            except Exception as exc:  # a bad input fails alone; the run goes on
                status, error = "failed", describe_error(item, exc)
            seconds = read_seconds + time.perf_counter() - start
            results.append(ItemResult(str(item.source), str(item.target), status, error, round(seconds, 4), worker))
    return results


_SKIP = object()


def _read_images(items: list[BatchItem], spec: BatchSpec) -> Iterator[tuple[BatchItem, Any, float]]:
    """``(item, image or the error reading it, seconds)``; videos are read later, frame by frame."""
    for item in items:
        if not spec.overwrite and is_finished(item.target):
            yield item, _SKIP, 0.0
            continue
        start = time.perf_counter()
        try:
            image: Any = None if item.kind == "video" else read_image(item.source, max_pixels=spec.max_pixels)
        except Exception as exc:  # raised for this item alone, by the consumer
            image = exc
        yield item, image, time.perf_counter() - start


def describe_error(item: BatchItem, exc: Exception) -> str:
    """The report's error text: bodyseg's own message (naming the input), or the unexpected error's type and text.

    Example:
        >>> from pathlib import Path
        >>> describe_error(BatchItem(Path("a.jpg"), Path("a.mask.png")), InputError("not an image"))
        'a.jpg: not an image'
        >>> describe_error(BatchItem(Path("a.jpg"), Path("a.mask.png")), ValueError("boom"))
        'a.jpg: unexpected ValueError: boom'
    """
    if isinstance(exc, BodysegError):
        message = str(exc)
    else:
        log.debug("%s failed", item.source, exc_info=exc)
        message = f"unexpected {type(exc).__name__}: {exc}"
    if str(item.source) not in message and str(item.target) not in message:
        message = f"{item.source}: {message}"
    return message


def write_outputs(
    item: BatchItem, image: np.ndarray | None, spec: BatchSpec, segmenter: Segmenter, options: dict[str, Any]
) -> None:
    """Segment one input and write its output(s) atomically (videos frame by frame)."""
    if item.kind == "video":
        from bodyseg.batch.video import write_video_effect

        write_video_effect(item, spec, segmenter, options)
        return
    assert image is not None
    require_min_side(image, item.source)
    seg = segmenter.segment(image)
    if spec.effect == "people":
        write_people(people_base(Job(item.source, item.target), "people"), seg, item.source.name)
    elif spec.effect == "parts":
        write_image(item.target, part_labels(seg, spec.method))
    else:
        write_image(item.target, effects.render(spec.effect, image, seg, **options))


def part_labels(seg: Segmentation, method: str) -> np.ndarray:
    """The part label map as an 8-bit (or 16-bit, past 256 labels) image of label ids.

    Example:
        >>> part_labels(Segmentation(prob=np.zeros((2, 2), np.float32)), "mediapipe-selfie")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        bodyseg.errors.InputError: method mediapipe-selfie gives no body parts (its results carry no part labels); ...
    """
    if seg.parts is None:
        raise InputError(
            f"method {method} gives no body parts (its results carry no part labels); "
            "--effect parts needs a method that labels body parts"
        )
    labels = np.asarray(seg.parts.labels)
    return labels.astype(np.uint8 if len(seg.parts.names) <= 256 else np.uint16)
