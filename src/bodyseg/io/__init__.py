"""Files and bytes: the only place bodyseg reads or writes them."""

from bodyseg.io.images import (
    DEFAULT_MAX_PIXELS,
    IMAGE_SUFFIXES,
    atomic_path,
    load_image,
    read_image,
    write_image,
    write_text,
)
from bodyseg.io.video import (
    VIDEO_SUFFIXES,
    Frame,
    VideoInfo,
    VideoReader,
    VideoWriter,
    is_video_file,
    probe_video,
    read_video_frames,
)

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "IMAGE_SUFFIXES",
    "atomic_path",
    "load_image",
    "read_image",
    "write_image",
    "write_text",
    # video
    "VIDEO_SUFFIXES",
    "Frame",
    "VideoInfo",
    "VideoReader",
    "VideoWriter",
    "is_video_file",
    "probe_video",
    "read_video_frames",
]
