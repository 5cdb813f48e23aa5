"""Video in and out: :mod:`.reader` (files and frame folders as upright RGB frames), :mod:`.writer`
(H.264, VP9 or ProRes 4444 with alpha, PNG frames; atomic, audio copied), :mod:`.formats` (what both share).

Example:
    >>> from bodyseg.io.video import VideoReader, VideoWriter
    >>> with VideoReader("dance.mp4") as reader, VideoWriter("out.mp4", reader.info.fps) as writer:  # doctest: +SKIP
    ...     for frame in reader:
    ...         writer.write(frame.rgb, frame.time)
"""

from bodyseg.io.video.formats import (
    ALPHA_CODECS,
    CONTAINER_FORMATS,
    DEFAULT_FOLDER_FPS,
    OUTPUT_FORMATS,
    VIDEO_SUFFIXES,
    Frame,
    VideoInfo,
    choose_video_codec,
    codec_available,
    display_rotation,
    encoder_options,
    format_of,
    frame_files,
    import_av,
    is_video_file,
    natural_key,
    nominal_rate,
    turn_upright,
)
from bodyseg.io.video.reader import VideoReader, probe_video, read_video_frames
from bodyseg.io.video.writer import VideoWriter, pad_to_even, snap_to_frame_grid

__all__ = [
    "ALPHA_CODECS",
    "CONTAINER_FORMATS",
    "DEFAULT_FOLDER_FPS",
    "OUTPUT_FORMATS",
    "VIDEO_SUFFIXES",
    "Frame",
    "VideoInfo",
    "VideoReader",
    "VideoWriter",
    "choose_video_codec",
    "codec_available",
    "display_rotation",
    "encoder_options",
    "format_of",
    "frame_files",
    "import_av",
    "is_video_file",
    "natural_key",
    "nominal_rate",
    "pad_to_even",
    "probe_video",
    "read_video_frames",
    "snap_to_frame_grid",
    "turn_upright",
]
