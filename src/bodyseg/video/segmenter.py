"""VideoSegmenter: any Segmenter, with memory across frames.

Per frame, in order:

1. optical flow from the previous frame (DIS on a small grey copy, :mod:`bodyseg.video.flow`);
2. key-frame decision (:class:`~bodyseg.video.keyframes.KeyframeScheduler`): run the segmenter,
   or reuse the last result moved along the flow; a segmenter that can follow people from the
   previous frame (:meth:`~bodyseg.segmenters.Segmenter.segment_next`: for ``bodyseg``, the
   landmark model on the regions the last landmarks suggest, no detector) does so between full
   runs, which come at least every ``redetect_every`` frames, and whenever it loses someone;
3. motion-gated smoothing of the probability (:mod:`bodyseg.video.smoothing`);
4. people tracking (:class:`~bodyseg.video.tracking.PeopleTracker`): keypoints filtered, people
   the detector missed carried forward and their probability kept.

Only the previous frame's small grey copy, probability and people are kept: memory does not grow
with the length of the video.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from bodyseg.errors import MethodError
from bodyseg.io.background import prefetched
from bodyseg.io.images import array_to_rgb
from bodyseg.io.video import Frame
from bodyseg.result import Parts, Person, Segmentation
from bodyseg.segmenters import DEFAULT_METHOD, Segmenter, create
from bodyseg.segmenters.registry import segmenter_class
from bodyseg.video.flow import FlowEstimator, Motion, small_grey
from bodyseg.video.keyframes import KeyframeScheduler, person_region, tiny_grey
from bodyseg.video.smoothing import (
    FUSIONS,
    SMOOTHING_MODES,
    fuse_by_confidence,
    is_cut,
    motion_gate,
    smooth_probability,
)
from bodyseg.video.tracking import PeopleTracker

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class _Step:
    """One frame after the segmenter side: its result when the segmenter ran (else reused later)."""

    frame: Any
    rgb: np.ndarray
    grey: np.ndarray
    raw: Segmentation | None
    followed: bool


@dataclass
class _State:
    """What one frame leaves for the next."""

    grey: np.ndarray
    prob: np.ndarray
    parts: Parts | None


class VideoSegmenter:
    """Segment the frames of a video with temporal smoothing, key-frame reuse and people tracking.

    Args:
        segmenter: a :class:`~bodyseg.segmenters.Segmenter`, or a method name (the default method
            when None); a segmenter created here is closed by :meth:`close`.
        smoothing: ``"flow"`` (previous probability warped by optical flow, then blended where
            the frame agrees: the default), ``"gated"`` (blended without warping, where the frame
            did not change) or ``"off"``; ``True``/``False`` mean ``"flow"``/``"off"``.
        smoothing_weight: the previous frame's share where nothing moved (0-1).
        gate_tolerance: grey-level difference (0-255) at which the blend weight drops to 37%.
        fusion: ``"blend"`` (the previous probability's share is ``smoothing_weight`` where the gate is
            open) or ``"confidence"`` (each side also weighed by how sure it is, ``|2p - 1|``).
        cut_reset: on a scene cut (most of the frame unexplained by the flow) carry nothing over.
        carry_missed: keep the (moved) probability of a tracked person the segmenter missed while it
            found others, for up to ``max_missed`` frames (else only a dropout of everyone is bridged).
        confirm_new: a person who appears in the middle of a video shows in the probability only from
            the second frame they are found in (a one-frame false alarm never flickers in).
        reuse: skip the segmenter on frames that barely changed and reuse the last result, moved
            along the flow.
        change_threshold: mean grey change (0-1, on a 64-pixel copy) that forces a new key frame.
        max_stale: the most consecutive frames that may reuse one key frame's result.
        tracking: follow people; carry the ones the detector misses for up to ``max_missed`` frames.
        max_missed: see ``tracking``.
        flow: ``"dis"`` (fast) or ``"farneback"``.
        flow_size: long side in pixels of the grey copy the flow is computed on.
        follow: between full runs, let the segmenter follow the people of its last result
            (cheaper: ``bodyseg`` skips its person detector, as MediaPipe's pose tracking does).
        redetect_every: with ``follow``, run the full segmenter at least every this many frames
            (new people are found within that many frames).
        **options: options of the segmenter created from a method name.

    Each result's ``meta`` adds ``frame`` (index), ``time`` (seconds, when frames carry it),
    ``keyframe`` (the segmenter ran), ``followed`` (it ran following the last result), ``tracked`` (someone was
    carried by the tracker, not
    found by the detector), ``tracked_people`` (that flag per person) and ``track_ids``.

    Example:
        >>> import bodyseg
        >>> from bodyseg.io import read_video_frames
        >>> with bodyseg.VideoSegmenter("mediapipe-selfie") as video:  # doctest: +SKIP
        ...     for seg in video.segment_frames(read_video_frames("dance.mp4")):
        ...         print(seg.meta["frame"], seg.meta["keyframe"], seg.mask().mean())
    """

    def __init__(
        self,
        segmenter: Segmenter | str | None = None,
        *,
        smoothing: str | bool = "flow",
        smoothing_weight: float = 0.6,
        gate_tolerance: float = 15.0,
        fusion: str = "blend",
        cut_reset: bool = True,
        carry_missed: bool = True,
        confirm_new: bool = True,
        reuse: bool = True,
        change_threshold: float = 0.02,
        max_stale: int = 2,
        tracking: bool = True,
        max_missed: int = 5,
        flow: str = "dis",
        flow_size: int = 320,
        follow: bool = True,
        redetect_every: int = 8,
        **options: Any,
    ) -> None:
        self.smoothing = {True: "flow", False: "off"}.get(smoothing, smoothing)  # type: ignore[call-overload]
        if self.smoothing not in SMOOTHING_MODES:
            raise MethodError(f"unknown smoothing {smoothing!r}; choose one of: {', '.join(SMOOTHING_MODES)}")
        if not 0.0 <= smoothing_weight < 1.0:
            raise MethodError(f"smoothing_weight must be in [0, 1), got {smoothing_weight}")
        self._owns_segmenter = not isinstance(segmenter, Segmenter)
        if isinstance(segmenter, Segmenter):
            if options:
                raise MethodError(
                    f"options {sorted(options)} apply to a method name; the segmenter given is already built"
                )
            self.segmenter = segmenter
        else:
            name = segmenter or DEFAULT_METHOD
            self.segmenter = create(name, **{**segmenter_class(name).video_defaults, **options})
        self.smoothing_weight = float(smoothing_weight)
        self.gate_tolerance = float(gate_tolerance)
        if fusion not in FUSIONS:
            raise MethodError(f"unknown fusion {fusion!r}; choose one of: {', '.join(FUSIONS)}")
        self.fusion = fusion
        self.cut_reset = bool(cut_reset)
        self.carry_missed = bool(carry_missed)
        self.confirm_new = bool(confirm_new)
        self.cuts = 0
        self.scheduler = KeyframeScheduler(change_threshold, max_stale if reuse else 0)
        self.tracker = PeopleTracker(max_missed=max_missed) if tracking else None
        self.flow_size = int(flow_size)
        if redetect_every < 1:
            raise MethodError(f"redetect_every must be >= 1, got {redetect_every}")
        self.follow = bool(follow)
        self.redetect_every = int(redetect_every)
        self._flow = FlowEstimator(flow)
        self.reset()

    @property
    def name(self) -> str:
        """The wrapped segmenter's name."""
        return self.segmenter.name

    def reset(self) -> None:
        """Forget the previous frames (call between videos; :meth:`segment_frames` does)."""
        self._state: _State | None = None
        self.scheduler.reset()
        if self.tracker is not None:
            self.tracker.reset()
        self._segmented: Segmentation | None = None  # the segmenter's last own result
        self._since_full = 0
        self.frames = 0
        self.calls = 0
        self.follows = 0

    def segment_frames(self, frames: Iterable[np.ndarray | Frame], ahead: int = 0) -> Iterator[Segmentation]:
        """Segment a stream of frames (RGB arrays or :class:`~bodyseg.io.Frame`), one result each.

        A generator: each frame is segmented when its result is asked for (with ``ahead``, up to
        that many frames earlier), so a long video never sits in memory. Starts from a clean state.
        See :meth:`segment_stream`.
        """
        for _, result in self.segment_stream(frames, ahead):
            yield result

    def segment_stream(self, frames: Iterable[T], ahead: int = 0) -> Iterator[tuple[T, Segmentation]]:
        """Like :meth:`segment_frames`, yielding ``(frame, result)`` pairs.

        With ``ahead > 0`` the segmenter runs on a background thread up to ``ahead`` frames in
        advance, while this thread smooths and tracks the frames already segmented: on a machine
        with two cores or more, the two overlap (the results are the same as with ``ahead=0``).

        Example:
            >>> with bodyseg.VideoSegmenter() as video:  # doctest: +SKIP
            ...     for frame, seg in video.segment_stream(read_video_frames("dance.mp4"), ahead=2):
            ...         writer.write(bodyseg.effects.blur(frame.rgb, seg), frame.time)
        """
        self.reset()
        steps = (self._segmenter_step(frame) for frame in frames)
        for step in prefetched(steps, ahead) if ahead > 0 else steps:
            yield step.frame, self._temporal_step(step)

    def segment(self, frame: np.ndarray | Frame) -> Segmentation:
        """Segment the next frame of the current video (state from earlier frames is used)."""
        return self._temporal_step(self._segmenter_step(frame))

    def _segmenter_step(self, frame: Any) -> _Step:
        """Decide whether the segmenter runs on this frame, and run it (following its last result when it can).

        Reads and writes only the segmenter side's state, so it may run ahead on another thread.
        """
        rgb = array_to_rgb(frame.rgb if isinstance(frame, Frame) else frame)
        grey = small_grey(rgb, self.flow_size)
        same_size = self._segmented is not None and self._segmented.prob.shape == rgb.shape[:2]
        key = self._is_key(grey, self._segmented.prob if same_size else None)
        if not key:
            return _Step(frame, rgb, grey, None, False)
        raw = None
        if self.follow and same_size and self._since_full < self.redetect_every - 1:
            raw = self.segmenter.segment_next(rgb, self._segmented)
        followed = raw is not None
        if raw is None:
            raw = self.segmenter.segment(rgb)
        self._since_full = self._since_full + 1 if followed else 0
        self.calls += 1
        self.follows += int(followed)
        self._segmented = raw
        return _Step(frame, rgb, grey, raw, followed)

    def _temporal_step(self, step: _Step) -> Segmentation:
        """Smooth or reuse, track, and remember: the state across frames of the results returned."""
        rgb, grey = step.rgb, step.grey
        previous = self._state if self._state is not None and self._state.prob.shape == rgb.shape[:2] else None
        motion = (
            Motion(self._flow.backward(grey, previous.grey), rgb.shape[:2])
            if previous is not None and self._needs_flow()
            else None
        )
        key = step.raw is not None
        if key:
            result = dataclasses.replace(step.raw, meta=dict(step.raw.meta))  # the segmenter side keeps its own
            if previous is not None and self.smoothing != "off":
                result.prob = self._smooth(result.prob, grey, previous, motion)
        else:  # only possible with a previous frame of this size, hence with motion
            assert previous is not None and motion is not None
            result = self._reuse(previous, motion)
        if self.tracker is not None:
            self._track(result, previous, motion, detected=key)
        result.meta.update(frame=self.frames, keyframe=key, followed=step.followed)
        if isinstance(step.frame, Frame):
            result.meta["time"] = step.frame.time
        self._state = _State(grey, result.prob, result.parts)
        self.frames += 1
        return result

    def _needs_flow(self) -> bool:
        return self.smoothing == "flow" or self.scheduler.max_stale > 0 or self.tracker is not None

    def _is_key(self, grey: np.ndarray, previous_prob: np.ndarray | None) -> bool:
        if self.scheduler.max_stale == 0:
            return True
        tiny = tiny_grey(grey)
        if previous_prob is None:  # a first frame (or a new size): always segmented, remembered as the key
            self.scheduler.reset()
            return self.scheduler.is_key(tiny)
        return self.scheduler.is_key(tiny, lambda: person_region(previous_prob, tiny.shape))

    def _smooth(self, prob: np.ndarray, grey: np.ndarray, previous: _State, motion: Motion | None) -> np.ndarray:
        if self.smoothing == "flow" and motion is not None:
            aligned_grey, aligned_prob = motion.warp_small(previous.grey), motion.warp(previous.prob)
        else:
            aligned_grey, aligned_prob = previous.grey, previous.prob
        gate = motion_gate(grey, aligned_grey, self.gate_tolerance)
        if self.cut_reset and is_cut(gate):
            self.cuts += 1
            return prob
        if self.fusion == "confidence":
            return fuse_by_confidence(prob, aligned_prob, gate, self.smoothing_weight)
        return smooth_probability(prob, aligned_prob, gate, self.smoothing_weight)

    def _reuse(self, previous: _State, motion: Motion) -> Segmentation:
        """The last result moved onto this frame (probability and parts along the flow)."""
        parts = (
            None if previous.parts is None else Parts(motion.warp_labels(previous.parts.labels), previous.parts.names)
        )
        return Segmentation(prob=np.clip(motion.warp(previous.prob), 0.0, 1.0), parts=parts, meta={"method": self.name})

    def _track(self, result: Segmentation, previous: _State | None, motion: Motion | None, *, detected: bool) -> None:
        assert self.tracker is not None
        found = result.people if detected else []
        people, tracked, ids = self.tracker.update(found, motion, detected=detected)
        if detected and not found and people and previous is not None:
            # A dropout (the segmenter found nobody while people were being followed): keep their
            # probability too. A person missing while others are found may have left: only their
            # Person entry is carried (flagged), the mask stays as found, unless ``carry_missed``.
            result.prob = keep_carried_probability(result.prob, previous.prob, people, motion)
        elif detected and self.carry_missed and any(tracked) and previous is not None:
            carried = [person for person, flag in zip(people, tracked, strict=True) if flag]
            result.prob = keep_carried_probability(result.prob, previous.prob, carried, motion)
        if detected and self.confirm_new and previous is not None:
            new = [p for p, t in zip(people, self.tracker.tracks, strict=True) if t.hits == 1 and t.missed == 0]
            if new:
                result.prob = hold_back_new_people(result.prob, previous.prob, new, motion)
        result.people = people
        result.meta.update(tracked=any(tracked), tracked_people=tracked, track_ids=ids)

    def close(self) -> None:
        """Close the segmenter if this object created it."""
        if self._owns_segmenter:
            self.segmenter.close()

    def __enter__(self) -> VideoSegmenter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<VideoSegmenter {self.name!r} smoothing={self.smoothing} max_stale={self.scheduler.max_stale}>"


def person_regions(people: list[Person], shape: tuple[int, int]) -> np.ndarray:
    """HxW uint8: 1 inside the people's boxes, padded by a twentieth of their size (at least 4 px)."""
    region = np.zeros(shape, np.uint8)
    for person in people:
        x0, y0, x1, y1 = person.box
        pad = max(4, (x1 - x0 + y1 - y0) // 20)
        region[max(0, y0 - pad) : y1 + pad, max(0, x0 - pad) : x1 + pad] = 1
    return region


def hold_back_new_people(
    prob: np.ndarray, previous_prob: np.ndarray, new: list[Person], motion: Motion | None
) -> np.ndarray:
    """Where a person found for the first time stands, no more than the previous probability (moved)."""
    aligned = motion.warp(previous_prob) if motion is not None else previous_prob
    return np.where(person_regions(new, prob.shape) > 0, np.minimum(prob, aligned), prob).astype(np.float32)


def keep_carried_probability(
    prob: np.ndarray, previous_prob: np.ndarray, carried: list[Person], motion: Motion | None
) -> np.ndarray:
    """Where a person the detector missed now stands, keep the previous probability (moved)."""
    aligned = motion.warp(previous_prob) if motion is not None else previous_prob
    region = person_regions(carried, prob.shape)
    return np.where(region > 0, np.maximum(prob, aligned), prob).astype(np.float32)
