"""One video, one task: every frame segmented with memory across frames, the effect drawn, the
video written atomically (audio, frame rate and timestamps kept, as ``bodyseg video`` does).

This is the one place batch uses :mod:`bodyseg.io.video` and :class:`bodyseg.video.VideoSegmenter`.
A video is not cut into chunks of frames: temporal smoothing and tracking carry state from frame
to frame, and a whole video per task keeps that state exact; a collection of many videos still
spreads over every worker.
"""

from __future__ import annotations

import logging
from typing import Any

from bodyseg import effects
from bodyseg.batch.outputs import DATA_EFFECTS, BatchItem
from bodyseg.errors import InputError
from bodyseg.io.video import VideoReader, VideoWriter
from bodyseg.segmenters import MIN_SIDE, Segmenter
from bodyseg.video import VideoSegmenter

log = logging.getLogger("bodyseg")


def write_video_effect(item: BatchItem, spec: Any, segmenter: Segmenter, options: dict[str, Any]) -> int:
    """Draw ``spec.effect`` on every frame of ``item.source`` into ``item.target``; returns the frame count.

    ``segmenter`` is the worker's (it is reused, not closed); ``spec`` is the run's
    :class:`~bodyseg.batch.tasks.BatchSpec`. Nothing appears at ``item.target`` unless every frame
    was written.
    """
    if spec.effect in DATA_EFFECTS:
        raise InputError(
            f"{item.source}: --effect {spec.effect} writes files per photo; "
            "for videos use mask, soft, blur, replace or cutout"
        )
    with VideoReader(item.source, max_pixels=spec.max_pixels) as reader:
        info = reader.info
        if min(info.width, info.height) < MIN_SIDE:
            raise InputError(
                f"{item.source}: frames are {info.width}x{info.height}; "
                f"bodyseg needs at least {MIN_SIDE}x{MIN_SIDE} pixels to find a person"
            )
        audio = item.source if info.audio else None
        with (
            VideoWriter(item.target, info.fps, alpha=spec.effect == "cutout", audio_from=audio) as writer,
            VideoSegmenter(segmenter) as video,
        ):
            for frame, seg in video.segment_stream(reader):
                writer.write(effects.render(spec.effect, frame.rgb, seg, **options), frame.time)
            count = writer.frames_written
    log.info("wrote %s: %d frames", item.target, count)
    return count
