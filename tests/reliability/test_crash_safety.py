"""Crash safety: ``bodyseg video`` and training killed (SIGKILL, no chance to clean up) at random
moments leave outputs that are absent or complete, and a killed training run resumed gives the
weights of an unbroken run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.reliability.media import BODYSEG, encode_video, video_command

av = pytest.importorskip("av")

FRAMES = 40


def decoded_frame_count(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def start(args: list) -> subprocess.Popen:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.Popen(
        [*BODYSEG, *map(str, args), "-q"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


def check_absent_or_complete(output: Path) -> str:
    """'absent' or 'complete'; fails the test on anything in between."""
    if not output.exists():
        return "absent"
    if output.is_dir():
        assert sorted(p.name for p in output.iterdir()) == [f"{i:05d}.png" for i in range(FRAMES)]
    else:
        assert decoded_frame_count(output) == FRAMES, f"{output} exists but is not complete"
    return "complete"


@pytest.mark.parametrize("target", ["out.mp4", "frames"])
def test_a_killed_video_run_leaves_its_output_absent_or_complete(tmp_path, target):
    source = encode_video(tmp_path / "clip.mp4", count=FRAMES, width=128, height=96, audio=True)
    output = tmp_path / target
    began = time.perf_counter()
    assert start(video_command(source, output)).wait(timeout=120) == 0
    full = time.perf_counter() - began
    assert check_absent_or_complete(output) == "complete"
    rng = np.random.default_rng(int(time.time()))
    seen = set()
    for delay in [*rng.uniform(0.2, full, size=2), full * 0.97]:
        if output.exists():
            shutil_rm(output)
        run = start(video_command(source, output))
        time.sleep(delay)
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=30)
        seen.add(check_absent_or_complete(output))
    # what a kill leaves behind (hidden .part names) never blocks the next run
    if output.exists():
        shutil_rm(output)
    assert start(video_command(source, output)).wait(timeout=120) == 0
    assert check_absent_or_complete(output) == "complete"
    assert seen <= {"absent", "complete"}


def shutil_rm(path: Path) -> None:
    import shutil

    shutil.rmtree(path) if path.is_dir() else path.unlink()


TRAIN_SCRIPT = """
import sys
from pathlib import Path
import torch
torch.set_num_threads(1)
from tests.train.conftest import write_figures
from tests.train.test_loop import config, figure_data
from bodyseg.train.loop import train
folder, out, epochs = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
train(config(out, epochs=epochs), data=figure_data(folder), resume=(out / "last.pt").is_file())
"""


@pytest.mark.slow  # ~20-45 s: each restart imports torch in a new process
def test_training_killed_and_resumed_gives_the_weights_of_an_unbroken_run(tmp_path):
    torch = pytest.importorskip("torch")
    from bodyseg.train.loop import train
    from tests.train.conftest import write_figures
    from tests.train.test_loop import config, figure_data

    torch.set_num_threads(1)
    folder = write_figures(tmp_path / "figures")
    epochs = 3
    straight = train(config(tmp_path / "straight", epochs=epochs), data=figure_data(folder))
    out = tmp_path / "killed"
    command = [sys.executable, "-c", TRAIN_SCRIPT, str(folder), str(out), str(epochs)]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    kills = 0
    for _ in range(3):  # kill it part-way once, then resume it in a new process until it finishes
        run = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        before = (out / "last.pt").stat().st_mtime_ns if (out / "last.pt").exists() else None
        while kills < 1 and run.poll() is None and time.monotonic() < deadline:
            now = (out / "last.pt").stat().st_mtime_ns if (out / "last.pt").exists() else None
            if now != before:  # an epoch was saved: kill it somewhere in the next one (once: restarts cost ~5 s)
                time.sleep(float(np.random.default_rng(kills).uniform(0.0, 0.5)))
                run.send_signal(signal.SIGKILL)
                kills += 1
                break
            time.sleep(0.02)
        code = run.wait(timeout=120)
        if code == 0:
            break
        assert code == -signal.SIGKILL, run.stderr.read() if run.stderr else ""
    assert kills >= 1, "the run finished before it could be killed"
    resumed = train(config(out, epochs=epochs), data=figure_data(folder), resume=True)
    assert [h["epoch"] for h in resumed.history] == list(range(1, epochs + 1))
    for (name, a), b in zip(straight.model.state_dict().items(), resumed.model.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, msg=f"{name} differs after kill and resume")
    best = torch.load(out / "best.pt", weights_only=False)
    assert best["epoch"] == resumed.best_epoch - 1  # best.pt is the epoch last.pt calls best
