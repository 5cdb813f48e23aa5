"""Batch on real local Dask clusters: the same masks as ``bodyseg segment``, one model per worker,
bad inputs in the report, and runs killed mid-way (the client, or a worker) that end, once
resumed, with every output exactly once, byte-identical to an unbroken run, and no partial file.

The kill tests run the command in a subprocess (``bodyseg.cli.main`` through ``python -c``: its
workers are spawned processes) and kill it with SIGKILL; the resumed runs use a shared cluster.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import bodyseg
from bodyseg.batch.outputs import BatchItem
from bodyseg.batch.run import run_batch
from bodyseg.batch.tasks import BatchSpec, process_items
from bodyseg.cli import main
from bodyseg.errors import MethodError
from bodyseg.io import read_image, write_image
from tests.batch.fakes import POISON, Brightness, make_photos, register_fakes

distributed = pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")  # comes with distributed

REPO = Path(__file__).resolve().parents[2]
#: Runs the CLI in a fresh process with the test fakes registered.
CLI = (
    "import sys; from tests.batch.fakes import register_fakes; register_fakes(); "
    "from bodyseg.cli import main; sys.exit(main(sys.argv[1:]))"
)

register_fakes()


@pytest.fixture(scope="module")
def client():
    """Two worker processes, one thread each, shared by the tests of this file."""
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
        ) as cluster,
        distributed.Client(cluster) as dask_client,
    ):
        yield dask_client


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def report_rows(folder: Path) -> list[dict[str, str]]:
    with open(folder / "batch-report.csv", newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def test_cli_batch_writes_the_masks_segment_writes_and_reports_bad_files(tmp_path, capsys):
    photos = tmp_path / "in"
    astronaut = read_image(bodyseg.example_image())
    write_image(photos / "astronaut.jpg", astronaut)
    write_image(photos / "sub" / "flipped.png", astronaut[:, ::-1])
    write_image(photos / "sub" / "small.jpg", astronaut[::2, ::2])
    (photos / "broken.jpg").write_bytes(b"\xff\xd8 not really")
    out, reference = tmp_path / "out", tmp_path / "segment"
    code = main(["batch", str(photos), "-o", str(out), "-m", "mediapipe-selfie", "--workers", "2", "--no-progress"])
    assert code == 2  # the broken file
    assert main(["segment", str(photos), "-o", str(reference), "-m", "mediapipe-selfie"]) == 2
    assert files_under(out) == [
        "astronaut.mask.png",
        "batch-report.csv",
        "batch-report.json",
        "sub/flipped.mask.png",
        "sub/small.mask.png",
    ]
    for name in ("astronaut", "sub/flipped", "sub/small"):
        ours = np.asarray(Image.open(out / f"{name}.mask.png"))
        theirs = np.asarray(Image.open(reference / f"{name}.png"))
        assert ours.shape == theirs.shape and ours.any()
        np.testing.assert_array_equal(ours, theirs)
    rows = {Path(row["input"]).name: row for row in report_rows(out)}
    assert {name: row["status"] for name, row in rows.items()} == {
        "astronaut.jpg": "done",
        "broken.jpg": "failed",
        "flipped.png": "done",
        "small.jpg": "done",
    }
    assert "broken.jpg: not an image bodyseg can read" in rows["broken.jpg"]["error"]
    assert float(rows["astronaut.jpg"]["seconds"]) > 0 and rows["astronaut.jpg"]["worker"].startswith("tcp://")
    summary = json.loads((out / "batch-report.json").read_text())["summary"]
    assert (summary["done"], summary["failed"], summary["workers"]) == (3, 1, 2)
    err = capsys.readouterr().err
    assert "broken.jpg" in err and "MALLOC_TRIM_THRESHOLD_" not in err  # our local workers run without it


def test_the_model_is_loaded_once_per_worker_and_a_rerun_skips_what_is_finished(tmp_path, client):
    make_photos(tmp_path / "in", 20, sub=5)
    loads = tmp_path / "loads.txt"
    spec = BatchSpec.for_method("mask", "fake-brightness", method_options={"log": str(loads)})
    first = run_batch([str(tmp_path / "in")], tmp_path / "out", spec, client=client, chunk_size=2, progress=False)
    assert first.exit_code == 0 and [r.status for r in first.results] == ["done"] * 20
    pids = loads.read_text().split()
    assert len(pids) == len(set(pids)) <= 2 and str(os.getpid()) not in pids  # 10 tasks, at most one load per worker
    assert len({r.worker for r in first.results}) == 2  # both workers worked
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "out").rglob("*.mask.png")}
    assert len(stamps) == 20 and len([p for p in stamps if p.parent.name == "sub"]) == 5
    second = run_batch([str(tmp_path / "in")], tmp_path / "out", spec, client=client, progress=False)
    assert second.exit_code == 0 and [r.status for r in second.results] == ["skipped"] * 20
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps


def test_the_cli_joins_a_running_scheduler(tmp_path, client, capsys):
    make_photos(tmp_path / "in", 6)
    address = client.scheduler.address
    out = tmp_path / "out"
    assert main(["batch", str(tmp_path / "in"), "-o", str(out), "-m", "fake-brightness", "--scheduler", address]) == 0
    summary = json.loads((out / "batch-report.json").read_text())["summary"]
    assert (summary["scheduler"], summary["workers"], summary["done"]) == (address, 2, 6)
    assert len(list(out.glob("*.mask.png"))) == 6
    assert client.run(lambda dask_worker: sorted(dask_worker.plugins)) == {  # the run took its plugin away
        worker: ["shuffle"] for worker in client.nthreads()
    }
    err = capsys.readouterr().err
    assert "2 of 2 workers run with MALLOC_TRIM_THRESHOLD_ set" in err  # this cluster has Dask's default
    if importlib.util.find_spec("bokeh") is None:
        assert "no Dask dashboard: it needs bokeh where the scheduler runs (pip install 'bokeh>=3.1')" in err
    else:
        assert "Dask dashboard: http://" in err


def test_an_unreachable_scheduler_is_named_with_what_to_do(tmp_path, capsys, monkeypatch):
    import bodyseg.batch.cluster

    monkeypatch.setattr(bodyseg.batch.cluster, "CONNECT_TIMEOUT", "1s")
    make_photos(tmp_path / "in", 1)
    args = ["batch", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "-m", "fake-brightness"]
    assert main([*args, "--scheduler", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err and "drop --scheduler" in err


def test_an_interrupted_run_still_writes_its_report(tmp_path, client, monkeypatch):
    import bodyseg.batch.run

    make_photos(tmp_path / "in", 12)
    added = bodyseg.batch.run.Progress.add

    def add_then_interrupt(self, results):  # Ctrl-C as the first chunk comes back
        added(self, results)
        raise KeyboardInterrupt

    monkeypatch.setattr(bodyseg.batch.run.Progress, "add", add_then_interrupt)
    spec = BatchSpec.for_method("mask", "fake-brightness", method_options={"delay": 0.05})
    with pytest.raises(KeyboardInterrupt):
        run_batch([str(tmp_path / "in")], tmp_path / "out", spec, client=client, chunk_size=2, progress=False)
    rows = report_rows(tmp_path / "out")
    assert len(rows) == 12 and {row["status"] for row in rows} == {"done", "cancelled"}
    assert all(Path(row["output"]).is_file() for row in rows if row["status"] == "done")


def test_a_method_the_workers_cannot_create_stops_the_run_before_any_task(tmp_path, client):
    make_photos(tmp_path / "in", 2)
    spec = BatchSpec.for_method(
        "mask", "fake-brightness", method_options={"delay": "slow"}
    )  # float("slow") fails there
    with pytest.raises(MethodError, match=r"the workers could not create method fake-brightness \(ValueError: "):
        run_batch([str(tmp_path / "in")], tmp_path / "out", spec, client=client, progress=False)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["batch-report.csv", "batch-report.json"]
    assert client.run(lambda dask_worker: sorted(dask_worker.plugins)) == {w: ["shuffle"] for w in client.nthreads()}


def test_parts_from_a_method_without_parts_fail_each_input_in_the_report(tmp_path, client):
    make_photos(tmp_path / "in", 3)
    outcome = run_batch(
        [str(tmp_path / "in")],
        tmp_path / "out",
        BatchSpec.for_method("parts", "fake-brightness"),
        client=client,
        progress=False,
    )
    assert outcome.exit_code == 2 and [r.status for r in outcome.results] == ["failed"] * 3
    assert all("method fake-brightness gives no body parts" in r.error for r in outcome.results)
    assert files_under(tmp_path / "out") == ["batch-report.csv", "batch-report.json"]
    parts = run_batch(
        [str(tmp_path / "in")],
        tmp_path / "out",
        BatchSpec.for_method("parts", "fake-parts"),
        client=client,
        progress=False,
    )
    assert parts.exit_code == 0 and len(list((tmp_path / "out").glob("*.parts.png"))) == 3


def test_an_input_that_kills_its_worker_fails_alone(tmp_path, client):
    photos = make_photos(tmp_path / "in", 4)
    poison = read_image(photos[1]).copy()
    poison[0, 0] = POISON
    write_image(photos[1].with_suffix(".png"), poison)  # p001 is a PNG already: lossless
    scheduler = client.cluster.scheduler
    allowed, scheduler.allowed_failures = scheduler.allowed_failures, 0  # give up on a task at the first death
    try:
        outcome = run_batch(
            [str(tmp_path / "in")],
            tmp_path / "out",
            BatchSpec.for_method("mask", "fake-brightness"),
            client=client,
            chunk_size=4,
            progress=False,
        )
    finally:
        scheduler.allowed_failures = allowed
    statuses = {Path(r.input).name: r.status for r in outcome.results}
    assert statuses.pop("p001.png") == "failed"
    assert set(statuses.values()) <= {
        "done",
        "skipped",
    }  # p000 may have been written before p001 killed the chunk's worker
    assert len(list((tmp_path / "out").glob("*.mask.png"))) == 3
    assert "the worker died processing it, 1 time(s)" in next(r.error for r in outcome.results if r.status == "failed")
    client.wait_for_workers(2, timeout=30)  # the nannies replaced the dead workers


def reference_outputs(photos: Path, out: Path) -> dict[str, bytes]:
    """What an unbroken run writes, made here in-process: relative name -> bytes."""
    items = [
        BatchItem(p, out / p.relative_to(photos).with_suffix(".mask" + ".png")) for p in sorted(photos.rglob("p*"))
    ]
    assert all(r.status == "done" for r in process_items(items, BatchSpec("mask", "fake-brightness"), Brightness(), {}))
    return {i.target.relative_to(out).as_posix(): i.target.read_bytes() for i in items}


def start_cli(tmp_path: Path, *args: str) -> tuple[subprocess.Popen, Path]:
    log = tmp_path / "cli.log"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}
    process = subprocess.Popen(
        [sys.executable, "-c", CLI, "batch", *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(log, "wb"),
    )  # noqa: SIM115 - closed with the process
    return process, log


def wait_for_outputs(out: Path, count: int, process: subprocess.Popen, log: Path, timeout: float = 40.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = len(list(out.rglob("*.mask.png")))
        if done >= count:
            return done
        assert process.poll() is None, f"the run ended before it could be killed: {log.read_text()}"
        time.sleep(0.05)
    raise AssertionError(f"no {count} outputs after {timeout} s: {log.read_text()}")


def worker_processes(pid: int) -> list[psutil.Process]:
    return [p for p in psutil.Process(pid).children(recursive=True) if "spawn_main" in " ".join(p.cmdline())]


def assert_complete_and_identical(out: Path, expected: dict[str, bytes]) -> None:
    names = files_under(out)
    assert names == sorted([*expected, "batch-report.csv", "batch-report.json"])  # each once, no temporary left
    for name, data in expected.items():
        assert (out / name).read_bytes() == data, name


def test_a_client_killed_mid_run_and_resumed_leaves_every_output_once_and_whole(tmp_path, client):
    photos = tmp_path / "in"
    make_photos(photos, 40, sub=10)
    expected = reference_outputs(photos, tmp_path / "reference")
    out = tmp_path / "out"
    process, log = start_cli(
        tmp_path,
        "in",
        "-o",
        "out",
        "-m",
        "fake-brightness",
        "--option",
        "delay=0.1",
        "--workers",
        "2",
        "--chunk-size",
        "4",
        "--no-progress",
    )
    wait_for_outputs(out, 8, process, log)
    workers = worker_processes(process.pid)
    assert len(workers) == 2
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    gone, alive = psutil.wait_procs(workers, timeout=15)  # the workers follow their client
    assert alive == []
    written = len(list(out.rglob("*.mask.png")))
    assert 8 <= written < 40 and not (out / "batch-report.csv").exists()
    outcome = run_batch(
        [str(photos)], out, BatchSpec.for_method("mask", "fake-brightness"), client=client, progress=False
    )
    assert outcome.exit_code == 0
    statuses = [r.status for r in outcome.results]
    assert statuses.count("skipped") == written and statuses.count("done") == 40 - written
    assert_complete_and_identical(out, expected)


def test_a_worker_killed_mid_run_is_replaced_and_the_run_completes(tmp_path, client):
    photos = tmp_path / "in"
    make_photos(photos, 30, sub=6)
    expected = reference_outputs(photos, tmp_path / "reference")
    out = tmp_path / "out"
    process, log = start_cli(
        tmp_path,
        "in",
        "-o",
        "out",
        "-m",
        "fake-brightness",
        "--option",
        "delay=0.1",
        "--workers",
        "2",
        "--chunk-size",
        "3",
        "--no-progress",
    )
    wait_for_outputs(out, 6, process, log)
    victim = worker_processes(process.pid)[0]
    victim.send_signal(signal.SIGKILL)
    assert process.wait(timeout=60) == 0, log.read_text()  # its chunk ran again on a new worker
    rows = report_rows(out)
    assert len(rows) == 30 and {row["status"] for row in rows} <= {"done", "skipped"}
    assert_complete_and_identical(out, expected)
    again = run_batch(
        [str(photos)], out, BatchSpec.for_method("mask", "fake-brightness"), client=client, progress=False
    )
    assert [r.status for r in again.results] == ["skipped"] * 30
    assert_complete_and_identical(out, expected)
    shutil.rmtree(out)
