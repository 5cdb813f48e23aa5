"""``bodyseg eval`` and ``bodyseg bench`` end to end, with a fake segmenter whose scores are known."""

from __future__ import annotations

import csv
import json

import pytest

from bodyseg.cli import main
from tests.bench.fakes import (
    MEAN_IOU,
    POOLED_IOU,
    BoxSegmenter,
    fake_segmenter,  # noqa: F401 (the fixture)
    make_image_set,
    make_person_free_set,
    make_video_set,
)

pytestmark = pytest.mark.usefixtures("fake_segmenter")


def run(*args: object) -> int:
    return main([str(a) for a in args])


def test_eval_prints_exact_figures_and_writes_csv_and_overlays(tmp_path, capsys):
    data = make_image_set(tmp_path / "boxes")
    bg = make_person_free_set(tmp_path / "bg", count=2)
    table = tmp_path / "per_image.csv"
    code = run(
        "eval",
        "-m",
        "test-box",
        "--data",
        f"{data},{bg}",
        "--csv",
        table,
        "--save-overlays",
        2,
        "--overlay-dir",
        tmp_path / "review",
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "boxes: test-box on 4 images (threshold 0.5)" in out
    assert f"IoU, mean per image       {MEAN_IOU:.4f}" in out and f"IoU, pooled pixels        {POOLED_IOU:.4f}" in out
    assert "precision / recall        0.6250 / 0.5000" in out
    assert "person pixels             25.00%" in out and "images above 1% person    2" in out
    assert "ms per image, median" in out and "peak memory, MB" in out
    rows = list(csv.DictReader(table.open()))
    assert [(r["dataset"], r["id"]) for r in rows] == [
        ("boxes", "a"),
        ("boxes", "b"),
        ("boxes", "c"),
        ("boxes", "d"),
        ("bg", "bg0"),
        ("bg", "bg1"),
    ]
    assert [float(r["iou"]) for r in rows[:4]] == pytest.approx([1, 0.5, 0, 1 / 3], abs=1e-5)
    assert float(rows[1]["gt_fraction"]) == 0.5 and float(rows[0]["ms"]) >= 0
    assert sorted(p.name for p in (tmp_path / "review" / "boxes").iterdir()) == ["001_c.jpg", "002_d.jpg"]
    assert BoxSegmenter.created == 1


def test_eval_video_limit_every_and_option(tmp_path, capsys):
    clips = make_video_set(tmp_path / "clips", frames=4)
    assert run("eval", "-m", "test-box", "--option", "people=true", "-d", clips, "--every", 2, "--limit", 3) == 0
    out = capsys.readouterr().out
    assert "clips: test-box on 3 frames" in out and "dtSSD / mean frame IoU" in out and "over 2 sequence(s)" in out
    assert BoxSegmenter.calls == 3


def test_bench_writes_every_output_and_a_rerun_recomputes_nothing(tmp_path, capsys):
    data, clips, out = make_image_set(tmp_path / "boxes"), make_video_set(tmp_path / "clips"), tmp_path / "bench"
    args = ("bench", "--methods", "test-box", "--data", f"{data},{clips}", "--out", out)
    assert run(*args) == 0
    assert BoxSegmenter.calls == 10
    printed = capsys.readouterr().out
    assert "| method | boxes IoU | boxes ms | clips IoU | clips ms |" in printed
    for name in ("results.md", "results.csv", "results.json", "results.png"):
        assert (out / name).stat().st_size > 0
    payload = json.loads((out / "results.json").read_text())
    assert payload["meta"]["command"].startswith("bodyseg bench --methods test-box --data boxes,clips")
    assert [r["dataset"] for r in payload["results"]] == ["boxes", "clips"]
    assert payload["results"][0]["iou"] == pytest.approx(MEAN_IOU)
    assert run(*args) == 0
    assert BoxSegmenter.calls == 10 and BoxSegmenter.created == 1
    assert run(*args, "--force") == 0
    assert BoxSegmenter.calls == 20


@pytest.mark.parametrize(
    "args, message",
    [
        (("eval", "-m", "test-box", "--data", "{tmp}/missing"), "missing: no such data set folder"),
        (("eval", "-m", "test-box", "--data", "nosuchset", "--data-root", "{tmp}"), "unknown data set 'nosuchset'"),
        (("eval", "-m", "no-such-method", "--data", "{tmp}/boxes"), "unknown method 'no-such-method'"),
        (("eval", "-m", "test-box", "--option", "colour=red", "--data", "{tmp}/boxes"), "has no option colour"),
        (("bench", "--methods", "test-box,nope", "--data", "{tmp}/boxes", "--out", "{tmp}/o"), "unknown method 'nope'"),
        (("bench", "--methods", "test-box", "--data", "{tmp}/missing", "--out", "{tmp}/o"), "no such data set folder"),
        (("eval", "-m", "test-box", "--data", "{tmp}/boxes", "--every", "0"), "every must be 1 or more"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(tmp_path, capsys, args, message):
    make_image_set(tmp_path / "boxes")
    assert run(*(a.format(tmp=tmp_path) for a in args)) == 2
    assert message in capsys.readouterr().err
    assert BoxSegmenter.calls == 0 and not (tmp_path / "o").exists()
