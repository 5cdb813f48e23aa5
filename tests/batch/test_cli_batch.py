"""``bodyseg batch`` refuses wrong options before any work, naming the problem and the fix."""

from __future__ import annotations

import sys

import pytest

from bodyseg.cli import main
from tests.batch.fakes import make_photos, register_fakes

register_fakes()


@pytest.fixture
def photos(tmp_path):
    make_photos(tmp_path / "in", 2)
    return tmp_path / "in"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--effect", "replace"], "--effect replace needs --background IMAGE or COLOUR"),
        (["--effect", "replace", "-b", "no/such.jpg"], "no/such.jpg: no such background image"),
        (["--effect", "replace", "-b", "not-a-colour"], "'not-a-colour' is not a colour"),
        (
            ["--effect", "blur", "--threshold", "0.3"],
            "--effect blur takes no --threshold; its options are: --strength, --feather",
        ),
        (["--effect", "people", "-m", "fake-brightness"], "--effect people needs a method that finds each person"),
        (["-m", "no-such-method"], "unknown method 'no-such-method'; choose one of:"),
        (["-m", "fake-brightness", "--option", "speed=9"], "method 'fake-brightness' has no option speed"),
        (["-m", "fake-brightness", "--fast"], "--fast picks bodyseg-fast, the default method's fast mode"),
        (["-m", "fake-brightness", "--chunk-size", "0"], "--chunk-size must be at least 1"),
        (
            ["-m", "fake-brightness", "--scheduler", "tcp://127.0.0.1:1", "--workers", "2"],
            "--workers and --threads-per-worker start a local cluster",
        ),
    ],
)
def test_wrong_options_fail_before_any_work(photos, tmp_path, capsys, args, message):
    out = tmp_path / "out"
    assert main(["batch", str(photos), "-o", str(out), "--no-progress", *args]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists() or not any(out.glob("*.png"))


def test_an_output_file_instead_of_a_folder_is_refused(photos, tmp_path, capsys):
    assert main(["batch", str(photos), "-o", str(tmp_path / "mask.png"), "-m", "fake-brightness"]) == 2
    assert "batch writes into a folder" in capsys.readouterr().err


def test_without_dask_the_command_says_what_to_install(photos, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    assert main(["batch", str(photos), "-o", str(tmp_path / "out"), "-m", "fake-brightness"]) == 2
    assert "pip install 'bodyseg[distributed]'" in capsys.readouterr().err


def test_a_run_with_nothing_left_to_do_starts_no_cluster_and_reports_the_skips(photos, tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    for photo in photos.iterdir():
        out.mkdir(exist_ok=True)
        (out / f"{photo.stem}.mask.png").write_bytes(b"done before")
    monkeypatch.setitem(sys.modules, "distributed", None)  # a cluster start would fail
    assert main(["batch", str(photos), "-o", str(out), "-m", "fake-brightness"]) == 0
    assert "2 of 2 outputs are finished already" in capsys.readouterr().err
    assert (out / "batch-report.csv").read_text().count(",skipped,") == 2
