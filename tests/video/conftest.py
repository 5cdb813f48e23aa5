"""Fixtures of the video tests: the square segmenter registered for a test (see clips.py)."""

from tests.video.clips import square_segmenter  # noqa: F401  (a fixture: pytest finds it here)
