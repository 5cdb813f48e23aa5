"""Video: any Segmenter with memory across frames.

:class:`VideoSegmenter` wraps a segmenter with temporal smoothing (:mod:`~bodyseg.video.smoothing`),
key-frame reuse (:mod:`~bodyseg.video.keyframes`) and people tracking
(:mod:`~bodyseg.video.tracking`), all driven by one optical flow per frame
(:mod:`~bodyseg.video.flow`). Reading and writing video files is in :mod:`bodyseg.io.video`.

Example:
    >>> from bodyseg.io import read_video_frames
    >>> from bodyseg.video import VideoSegmenter
    >>> video = VideoSegmenter("mediapipe-selfie", max_stale=3)  # doctest: +SKIP
    >>> masks = (seg.mask() for seg in video.segment_frames(read_video_frames("dance.mp4")))  # doctest: +SKIP
"""

from bodyseg.video.flow import FLOW_METHODS, FlowEstimator, Motion, small_grey
from bodyseg.video.keyframes import KeyframeScheduler, frame_change, tiny_grey
from bodyseg.video.segmenter import VideoSegmenter
from bodyseg.video.smoothing import SMOOTHING_MODES, motion_gate, smooth_probability
from bodyseg.video.tracking import KeypointKalman, PeopleTracker

__all__ = [
    "FLOW_METHODS",
    "SMOOTHING_MODES",
    "FlowEstimator",
    "KeyframeScheduler",
    "KeypointKalman",
    "Motion",
    "PeopleTracker",
    "VideoSegmenter",
    "frame_change",
    "motion_gate",
    "small_grey",
    "smooth_probability",
    "tiny_grey",
]
