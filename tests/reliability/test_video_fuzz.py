"""``bodyseg video`` (and the image commands) on awkward and damaged files, run as a user runs them:
a new process with a timeout. Only exit 0 or 2; on 2, one line naming the file; never a traceback,
never a hang, never an output file for a failed input, never a temporary file left behind."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.reliability.media import (
    MUTATIONS,
    VIDEO_BROKEN,
    VIDEO_SEEDS,
    image_command,
    mutate,
    run_bodyseg,
    save_animation,
    video_command,
)

pytest.importorskip("av")

#: Seconds one run may take before it counts as a hang (a run here takes about one second).
TIMEOUT = 60.0

#: Mutated files per test run (the fuzz driver, benchmarks/fuzz_inputs.py, runs hundreds).
FUZZ_COUNT = 8


def check(source: Path, output: Path, *, expect: int | None = None) -> int | None:
    outcome = run_bodyseg(video_command(source, output), timeout=TIMEOUT)
    assert outcome.problems(source, output) == [], (source.name, outcome.stderr)
    if expect is not None:
        assert outcome.code == expect, (source.name, outcome.stderr)
    return outcome.code


@pytest.mark.parametrize("name", sorted(VIDEO_SEEDS))
def test_well_formed_awkward_videos_are_segmented(tmp_path, name):
    """Odd sizes, rotation, 10-bit, variable frame rate, VP9, MPEG-4 in AVI, one frame, a GIF: exit 0."""
    source = VIDEO_SEEDS[name](tmp_path)
    check(source, tmp_path / "out.mp4", expect=0)


@pytest.mark.parametrize("name", sorted(VIDEO_BROKEN))
def test_broken_videos_give_one_line_and_exit_2(tmp_path, name):
    """Audio only, a zero-length stream, text named .mp4, an empty file, frames under 16 pixels."""
    source = VIDEO_BROKEN[name](tmp_path)
    check(source, tmp_path / "out.mp4", expect=2)


def test_mutated_videos_exit_0_or_2_and_never_leave_a_partial_output(tmp_path):
    """``FUZZ_COUNT`` damaged copies (truncated, bits flipped, zeroed, reversed, ...) of the seed videos."""
    rng = np.random.default_rng(2026)
    seeds = [VIDEO_SEEDS[name](tmp_path) for name in ("h264-audio.mp4", "vp9.webm", "10bit.mkv")]
    for i in range(FUZZ_COUNT):
        seed = seeds[i % len(seeds)]
        kind = MUTATIONS[i % len(MUTATIONS)]
        bad = tmp_path / f"{kind}-{i}{seed.suffix}"
        bad.write_bytes(mutate(seed.read_bytes(), kind, rng))
        check(bad, tmp_path / f"out-{i}.mp4")


def test_a_video_with_the_wrong_extension_is_read_by_its_bytes(tmp_path):
    source = VIDEO_SEEDS["h264.mp4"](tmp_path)
    renamed = source.rename(tmp_path / "clip.mkv")  # an mp4 named .mkv: FFmpeg sniffs the bytes
    check(renamed, tmp_path / "out.mp4", expect=0)


@pytest.mark.parametrize("suffix", [".gif", ".webp", ".tif"])
def test_animated_and_multi_page_images_use_the_first_frame_and_say_so(tmp_path, suffix):
    source = save_animation(tmp_path / f"anim{suffix}")
    output = tmp_path / "out.png"
    outcome = run_bodyseg(image_command(source, output), timeout=TIMEOUT)
    assert outcome.code == 0 and output.exists(), outcome.stderr
    # -q hides warnings: run once more, without it, to read the warning
    loud = run_bodyseg(image_command(source, tmp_path / "loud.png"), timeout=TIMEOUT, quiet=False)
    assert "only the first is used" in loud.stderr and "Traceback" not in loud.stderr


def test_an_animated_webp_as_video_is_one_clear_error(tmp_path):
    """FFmpeg's WebP decoder reads no animation: exit 2 and one line (or, with a newer FFmpeg, exit 0)."""
    source = save_animation(tmp_path / "anim.webp")
    check(source, tmp_path / "out.mp4")


@pytest.mark.parametrize("kind", ["header-only", "truncate"])
def test_a_cut_multi_page_tiff_is_one_line(tmp_path, kind):
    """Pillow warned 'Truncated File Read' on stderr (two more lines) for a TIFF cut in its tags."""
    pages = save_animation(tmp_path / "pages.tif")
    bad = tmp_path / "cut.tif"
    bad.write_bytes(mutate(pages.read_bytes(), kind, np.random.default_rng(3)))
    output = tmp_path / "out.png"
    outcome = run_bodyseg(image_command(bad, output), timeout=TIMEOUT)
    assert outcome.problems(bad, output) == [], outcome.stderr
