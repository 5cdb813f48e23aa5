"""The bench runner: exact figures with a fake segmenter, video, instances, person-free sets,
the per-cell cache (resume after an interruption, --force, changed settings) and the reports."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from bodyseg.bench import (
    Cell,
    CellCache,
    PeakMemory,
    WorstResults,
    cell_path,
    run_cell,
    run_grid,
    score_sample,
    summarize,
    write_plot,
    write_results,
)
from bodyseg.bench.runner import LazySegmenter
from bodyseg.datasets import Sample, open_dataset
from bodyseg.result import Segmentation
from tests.bench.fakes import (
    MEAN_IOU,
    POOLED_IOU,
    BoxSegmenter,
    fake_segmenter,  # noqa: F401 (the fixture)
    make_image_set,
    make_instance_set,
    make_person_free_set,
    make_video_set,
)

pytestmark = pytest.mark.usefixtures("fake_segmenter")


@pytest.fixture
def images(tmp_path) -> Path:
    return make_image_set(tmp_path / "boxes")


def test_score_sample_by_hand():
    truth = np.zeros((4, 4), bool)
    truth[:2, :2] = True
    prob = np.zeros((4, 4), np.float32)
    prob[:2, :] = 0.9  # 8 pixels called person, 4 of them right
    record = score_sample(Segmentation(prob=prob), Sample("x", Path("x.png"), truth), ms=3.25)
    assert (record["tp"], record["fp"], record["fn"], record["tn"]) == (4, 4, 0, 8)
    assert record["iou"] == 0.5 and record["precision"] == 0.5 and record["recall"] == 1.0
    assert record["person_fraction"] == 0.5 and record["ms"] == 3.25
    assert 0 < record["bf"] <= 1 and record["hd95"] >= 0


def test_image_set_figures_are_exact(images):
    cell = run_cell(BoxSegmenter(), open_dataset(images), progress=False)
    summary = summarize(cell)
    assert summary["images"] == 4 and summary["kind"] == "images"
    assert summary["iou"] == pytest.approx(MEAN_IOU) and summary["pooled_iou"] == pytest.approx(POOLED_IOU)
    assert summary["recall"] == pytest.approx((1 + 0.5 + 0 + 0.5) / 4)
    assert summary["ms_median"] > 0 and summary["peak_mb"] is not None and summary["memory"] in ("VmHWM", "ru_maxrss")
    assert summary["dtssd"] is None and summary["ap"] is None and summary["person_fraction"] is None


def test_video_set_streams_sequences(tmp_path):
    cell = run_cell(BoxSegmenter(), open_dataset(make_video_set(tmp_path / "clips")), progress=False)
    summary = summarize(cell)
    assert summary["kind"] == "video" and summary["sequences"] == 2 and summary["images"] == 6
    still, moving = cell.sequences["still"], cell.sequences["moving"]
    assert still["dtssd"] == 0.0 and still["mean_frame_iou"] == 1.0
    assert moving["dtssd"] > 0  # the truth moves, the prediction does not
    assert moving["mean_frame_iou"] == pytest.approx((1 + 9 / 11 + 8 / 12) / 3)
    assert summary["frame_iou"] == pytest.approx((1 + (1 + 9 / 11 + 8 / 12) / 3) / 2)


def test_person_free_set_counts_pixels_called_person(tmp_path):
    summary = summarize(run_cell(BoxSegmenter(), open_dataset(make_person_free_set(tmp_path / "bg")), progress=False))
    assert summary["kind"] == "person-free"
    assert summary["person_fraction"] == pytest.approx(100 / 400) and summary["false_alarm_frames"] == 3
    assert summary["iou"] is None


def test_instance_set_gives_mask_ap_when_people_are_returned(tmp_path):
    dataset = open_dataset(make_instance_set(tmp_path / "crowd"))
    with_people = summarize(run_cell(BoxSegmenter(people=True), dataset, progress=False))
    assert with_people["ap50"] == pytest.approx(67 / 101) and with_people["ap"] == pytest.approx(
        67 / 101
    )  # 2 of 3 found
    without = summarize(run_cell(BoxSegmenter(), dataset, progress=False))
    assert without["ap"] is None and without["iou"] is not None


def test_unreadable_image_is_a_failure_not_a_crash(images):
    (images / "images" / "b.png").write_bytes(b"not a png")
    cell = run_cell(BoxSegmenter(), open_dataset(images), progress=False)
    assert [f["id"] for f in cell.failures] == ["b"] and summarize(cell)["images"] == 3


def test_worst_results_keeps_the_worst_first(images, tmp_path):
    worst = WorstResults(2)
    run_cell(BoxSegmenter(), open_dataset(images), on_result=worst, progress=False)
    assert [item.id for item in worst.worst()] == ["c", "d"]  # IoU 0, then 1/3
    paths = worst.write(tmp_path / "review")
    assert [p.name for p in paths] == ["001_c.jpg", "002_d.jpg"] and all(p.is_file() for p in paths)


def test_grid_resume_recomputes_nothing(images, tmp_path):
    out = tmp_path / "out"
    datasets = [open_dataset(images), open_dataset(make_video_set(tmp_path / "clips"))]
    first = [summarize(c) for c in run_grid(["test-box"], datasets, out, progress=False)]
    assert BoxSegmenter.calls == 10 and BoxSegmenter.created == 1  # one segmenter for both data sets
    second = [summarize(c) for c in run_grid(["test-box"], datasets, out, progress=False)]
    assert BoxSegmenter.calls == 10 and BoxSegmenter.created == 1  # nothing recomputed, no model loaded
    assert second == first
    run_grid(["test-box"], datasets, out, force=True, progress=False)
    assert BoxSegmenter.calls == 20


def test_method_options_make_their_own_row(images, tmp_path):
    out = tmp_path / "out"
    cells = run_grid(["test-box", "test-box:people=true"], [open_dataset(images)], out, progress=False)
    assert [summarize(c)["method"] for c in cells] == ["test-box", "test-box:people=true"]
    assert BoxSegmenter.created == 2  # one segmenter per option set
    assert (out / "cells" / "test-box_people_true").is_dir()
    run_grid(["test-box:people=true"], [open_dataset(images)], out, progress=False)
    assert BoxSegmenter.created == 2  # cached under its options: nothing recomputed


def test_interrupted_cell_resumes_where_it_stopped(images, tmp_path):
    out = tmp_path / "out"
    dataset = open_dataset(images)
    BoxSegmenter.fail_after = 3
    with pytest.raises(KeyboardInterrupt):
        run_grid(["test-box"], [dataset], out, progress=False)
    path = cell_path(out, "test-box", "boxes")
    with path.open("a") as handle:
        handle.write('{"type": "image", "id": "d", "tp"')  # a record cut by the interruption
    BoxSegmenter.fail_after = None
    summary = summarize(run_grid(["test-box"], [dataset], out, progress=False)[0])
    assert BoxSegmenter.calls == 4  # 3 before the interruption, the 4th image after
    assert summary["images"] == 4 and summary["iou"] == pytest.approx(MEAN_IOU)
    assert all(line.endswith("}") for line in path.read_text().splitlines())


def test_interrupted_video_sequence_is_redone_whole(tmp_path):
    out, dataset = tmp_path / "out", open_dataset(make_video_set(tmp_path / "clips"))
    BoxSegmenter.fail_after = 4  # 3 frames of "moving", then 1 of "still"
    with pytest.raises(KeyboardInterrupt):
        run_grid(["test-box"], [dataset], out, progress=False)
    BoxSegmenter.fail_after = None
    summary = summarize(run_grid(["test-box"], [dataset], out, progress=False)[0])
    assert BoxSegmenter.calls == 4 + 3 and summary["sequences"] == 2 and summary["images"] == 6


def test_changed_threshold_recomputes_the_cell(images, tmp_path):
    out = tmp_path / "out"
    run_grid(["test-box"], [open_dataset(images)], out, progress=False)
    run_grid(["test-box"], [open_dataset(images)], out, threshold=0.7, progress=False)
    assert BoxSegmenter.calls == 8


def test_limit_and_every_reuse_the_cached_images(images, tmp_path):
    out = tmp_path / "out"
    run_grid(["test-box"], [open_dataset(images, every=2)], out, progress=False)  # a, c
    summary = summarize(run_grid(["test-box"], [open_dataset(images)], out, progress=False)[0])
    assert BoxSegmenter.calls == 4 and summary["images"] == 4


def test_reports_exist_and_parse(images, tmp_path):
    out = tmp_path / "out"
    datasets = [open_dataset(images), open_dataset(make_person_free_set(tmp_path / "bg"))]
    summaries = [summarize(c) for c in run_grid(["test-box"], datasets, out, progress=False)]
    write_results(out, summaries, {"command": "bodyseg bench ...", "threshold": 0.5})
    write_plot(out / "results.png", summaries)
    markdown = (out / "results.md").read_text()
    assert "| method | boxes IoU | boxes ms | bg person px | bg ms |" in markdown
    assert f"| test-box | {MEAN_IOU:.3f} |" in markdown and "25.00%" in markdown
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert [r["dataset"] for r in rows] == ["boxes", "bg"] and float(rows[0]["pooled_iou"]) == pytest.approx(
        POOLED_IOU, abs=1e-5
    )
    payload = json.loads((out / "results.json").read_text())
    assert payload["meta"]["command"] == "bodyseg bench ..." and payload["results"][1]["person_fraction"] == 0.25
    assert (out / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(out.glob("**/*.part"))  # atomic writes leave no temporary file


def test_cache_of_other_settings_is_started_anew(tmp_path, caplog):
    path = tmp_path / "c.jsonl"
    old = CellCache(path, {"method": "m", "threshold": 0.5})
    old.fill(Cell("m", "d", "images", False, ["x"]))
    with old.appending() as append:
        append({"type": "image", "id": "x"})
    cell = Cell("m", "d", "images", False, ["x"])
    assert CellCache(path, {"method": "m", "threshold": 0.7}).fill(cell) == 0 and not cell.images
    assert "threshold: 0.5 -> 0.7" in caplog.text
    assert [json.loads(line)["type"] for line in path.read_text().splitlines()] == ["config"]


def test_lazy_segmenter_creates_once_and_only_when_called():
    with LazySegmenter("test-box") as get:
        assert BoxSegmenter.created == 0
        assert get() is get() and BoxSegmenter.created == 1


def test_peak_memory_sees_native_allocations():
    with PeakMemory() as memory:
        block = np.ones(60_000_000, np.uint8)  # numpy's buffer is not Python-allocator memory
        del block
    assert memory.peak_mb > 40 or memory.method == "ru_maxrss"
