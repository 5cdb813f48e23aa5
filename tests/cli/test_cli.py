"""The bodyseg command: each sub-command, the output naming rules, and every bad input.

Commands run in-process through ``bodyseg.cli.main`` (same code path as the console script).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import bodyseg
from bodyseg.cli import main

FAST = ["-m", "mediapipe-selfie"]


def run(*args: object) -> int:
    return main([str(a) for a in args])


def pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path))


def test_segment_writes_a_binary_mask_next_to_the_input(photo):
    assert run("segment", photo, *FAST) == 0
    mask = pixels(photo.with_name("astronaut.mask.png"))
    assert mask.shape == (512, 512) and set(np.unique(mask)) == {0, 255}
    assert mask[110, 230] == 255 and mask[10, 10] == 0


def test_segment_soft_writes_probabilities(photo, tmp_path):
    out = tmp_path / "p.png"
    assert run("segment", photo, "-o", out, "--soft", *FAST) == 0
    prob = pixels(out)
    assert len(np.unique(prob)) > 10  # grey levels, not just 0/255


def test_threshold_changes_the_mask(photo, tmp_path):
    run("segment", photo, "-o", tmp_path / "low.png", "-t", "0.05", *FAST)
    run("segment", photo, "-o", tmp_path / "high.png", "-t", "0.95", *FAST)
    assert (pixels(tmp_path / "low.png") > 0).sum() > (pixels(tmp_path / "high.png") > 0).sum()


def test_blur(photo):
    assert run("blur", photo, "--strength", "12", *FAST) == 0
    out = pixels(photo.with_name("astronaut.blur.jpg")).astype(int)
    original = pixels(photo).astype(int)
    assert np.abs(out[110, 230] - original[110, 230]).max() < 12  # face kept
    assert np.abs(out[:40, :40] - original[:40, :40]).mean() > 5  # flag blurred


def test_replace_with_colour_and_image(photo, tmp_path):
    assert run("replace", photo, "--background", "0,0,255", *FAST) == 0
    out = pixels(photo.with_name("astronaut.replace.jpg")).astype(int)
    assert np.abs(out[5, 5] - (0, 0, 255)).max() < 10
    background = tmp_path / "bg.png"
    Image.new("RGB", (30, 20), (250, 250, 0)).save(background)
    assert run("replace", photo, "-b", background, "-o", tmp_path / "r.png", *FAST) == 0
    assert np.abs(pixels(tmp_path / "r.png")[5, 5].astype(int) - (250, 250, 0)).max() < 3


def test_cutout_is_rgba(photo):
    assert run("cutout", photo, *FAST) == 0
    rgba = pixels(photo.with_name("astronaut.cutout.png"))
    assert rgba.shape == (512, 512, 4)
    assert rgba[110, 230, 3] == 255 and rgba[5, 5, 3] == 0


def test_overlay_and_splash(photo):
    assert run("overlay", photo, "--colour", "red", "--opacity", "1", *FAST) == 0
    overlay = pixels(photo.with_name("astronaut.overlay.jpg")).astype(int)
    assert overlay[300, 250, 0] > 200 and overlay[300, 250, 1:].max() < 60
    assert run("splash", photo, *FAST) == 0
    splash = pixels(photo.with_name("astronaut.splash.jpg")).astype(int)
    assert np.ptp(splash[5, 60]) < 8  # background pixel is grey


def test_existing_output_is_kept_without_overwrite(photo, capsys):
    target = photo.with_name("astronaut.mask.png")
    target.write_bytes(b"precious")
    assert run("segment", photo, *FAST) == 0  # skipped is not failed
    assert target.read_bytes() == b"precious"
    assert "skipped 1 whose output exists (--overwrite redoes them)" in capsys.readouterr().err
    assert run("segment", photo, "--overwrite", *FAST) == 0
    assert pixels(target).shape == (512, 512)


def test_output_may_not_be_the_input(photo, capsys):
    before = photo.read_bytes()
    assert run("blur", photo, "-o", photo, "--overwrite", *FAST) == 2
    assert photo.read_bytes() == before  # the photo is untouched, byte for byte
    assert "is the input itself" in capsys.readouterr().err
    assert sorted(p.name for p in photo.parent.iterdir()) == [photo.name]  # and nothing else was written


def test_folder_run_mirrors_subfolders_and_reports_failures(photo, tmp_path, capsys):
    folder = tmp_path / "shots"
    (folder / "day2").mkdir(parents=True)
    shutil.copyfile(photo, folder / "a.jpg")
    shutil.copyfile(photo, folder / "day2" / "b.jpg")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    out = tmp_path / "masks"
    assert run("segment", folder, "-o", out, *FAST) == 2
    assert (out / "a.png").is_file() and (out / "day2" / "b.png").is_file()
    assert not (out / "broken.png").exists()
    err = capsys.readouterr().err
    assert "1 of 3 inputs failed" in err and "broken.jpg" in err


def test_second_run_next_to_inputs_skips_its_own_outputs(photo, tmp_path):
    folder = photo.parent
    assert run("segment", folder, *FAST) == 0
    assert run("segment", folder, *FAST) == 0  # the only input's output exists: kept, reported as skipped
    assert sorted(p.name for p in folder.iterdir()) == ["astronaut.jpg", "astronaut.mask.png"]


def test_an_output_folder_inside_the_input_folder_is_not_read_back(photo, capsys):
    folder = photo.parent
    assert run("segment", folder, "-o", folder / "masks", *FAST) == 0
    assert run("segment", folder, "-o", folder / "masks", *FAST) == 0
    assert "wrote 0 masks" in capsys.readouterr().err.splitlines()[-1]  # masks/astronaut.png is not an input
    assert sorted(p.name for p in (folder / "masks").iterdir()) == ["astronaut.png"]


def test_the_summary_names_the_photos_where_nobody_was_found(photo, capsys):
    Image.new("RGB", (120, 90), (40, 90, 160)).save(photo.with_name("sky.jpg"))  # nobody in it
    assert run("segment", photo.parent, *FAST) == 0
    err = capsys.readouterr().err
    assert "sky.jpg: nobody found" in err
    assert err.strip().splitlines()[-1].startswith("bodyseg: wrote 2 masks in ")
    assert err.strip().endswith("; nobody found in 1: sky.jpg")


def test_every_image_command_says_what_it_did_unless_quiet(photo, capsys):
    assert run("blur", photo, *FAST) == 0
    assert capsys.readouterr().err.startswith("bodyseg: wrote 1 blurred photo in ")
    assert run("splash", photo, *FAST, "-q") == 0  # -q after the command works too
    assert capsys.readouterr().err == ""


def test_a_missing_background_file_is_named_as_missing(photo, capsys):
    assert run("replace", photo, "-b", "beach.jpg", *FAST) == 2
    assert "--background beach.jpg: no such file" in capsys.readouterr().err
    assert not photo.with_name("astronaut.replace.jpg").exists()


@pytest.mark.parametrize("value", ["2", "-0.1", "half"])
def test_a_threshold_outside_0_1_is_refused(photo, value, capsys):
    with pytest.raises(SystemExit) as stop:
        run("segment", photo, "-t", value, *FAST)
    assert stop.value.code == 2 and "--threshold" in capsys.readouterr().err
    assert not photo.with_name("astronaut.mask.png").exists()


def test_methods_lists_each_option_with_its_default_and_help(capsys):
    assert run("methods") == 0
    out = capsys.readouterr().out
    assert "* bodyseg: " in out and "  bodyseg-fast: " in out
    assert "refiner=auto: our trained refinement net" in out and "model=general: " in out
    assert run("methods", "kmeans") == 0
    assert capsys.readouterr().out.startswith("  kmeans: ")


def test_globs(photo, tmp_path):
    shutil.copyfile(photo, tmp_path / "second.jpg")
    out = tmp_path / "out"
    assert run("segment", str(tmp_path / "*.jpg"), "-o", out, *FAST) == 0
    assert sorted(p.name for p in out.iterdir()) == ["astronaut.png", "second.png"]
    assert run("segment", str(tmp_path / "*.tiff"), "-o", out, *FAST) == 2


def bad_inputs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, a phrase the error must contain)."""
    text = tmp_path / "notes.jpg"
    text.write_text("hello")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    good = bodyseg.example_image().read_bytes()
    cut_jpeg = tmp_path / "cut.jpg"
    cut_jpeg.write_bytes(good[: len(good) // 2])
    import io

    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(buffer, "PNG")
    cut_png = tmp_path / "cut.png"
    cut_png.write_bytes(buffer.getvalue()[:2000])
    dot = tmp_path / "dot.png"
    Image.new("RGB", (1, 1)).save(dot)
    big = tmp_path / "big.png"
    Image.new("RGB", (4000, 3000)).save(big)
    folder = tmp_path / "a_folder.jpg"
    folder.mkdir()
    return {
        "not an image": (text, "not an image"),
        "empty": (empty, "empty"),
        "truncated jpeg": (cut_jpeg, "truncated"),
        "truncated png": (cut_png, "truncated"),
        "missing": (tmp_path / "nowhere.jpg", "no such file"),
        "1x1": (dot, "at least 16x16"),
        "over the pixel limit": (big, "over the limit"),
        "folder with no images": (folder, "holds no images"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "not an image",
        "empty",
        "truncated jpeg",
        "truncated png",
        "missing",
        "1x1",
        "over the pixel limit",
        "folder with no images",
    ],
)
def test_bad_input_gives_one_line_exit_2_and_no_output(tmp_path, capsys, case):
    path, phrase = bad_inputs(tmp_path)[case]
    out = tmp_path / "out"
    args = ["segment", path, "-o", out, *FAST]
    if case == "over the pixel limit":
        args += ["--max-megapixels", "10"]
    assert run(*args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and phrase in err[0] and path.name in err[0]
    assert not out.exists() or not any(out.rglob("*"))


def test_pixel_limit_can_be_raised(tmp_path):
    big = tmp_path / "big.png"
    Image.new("RGB", (4000, 3000), (40, 40, 40)).save(big)
    assert run("segment", big, "-o", tmp_path / "m.png", "--max-megapixels", "13", *FAST) == 0


@pytest.mark.parametrize("mode", ["L", "RGBA", "P", "CMYK", "I;16"])
def test_unusual_modes_work(tmp_path, mode):
    rgb = Image.open(bodyseg.example_image())
    image = rgb.convert("L").convert("I;16") if mode == "I;16" else rgb.convert(mode)
    path = tmp_path / ("x.tif" if mode == "CMYK" else "x.png")
    image.save(path)
    assert run("segment", path, "-o", tmp_path / "m.png", *FAST) == 0
    assert pixels(tmp_path / "m.png").shape == (512, 512)


def test_exif_rotated_photo_mask_is_upright_and_aligned(tmp_path):
    upright = Image.open(bodyseg.example_image()).crop((0, 0, 512, 400))
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # what a camera would store, sideways
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    path = tmp_path / "sideways.jpg"
    stored.save(path, exif=exif.tobytes(), quality=95)
    assert run("segment", path, "-o", tmp_path / "m.png", *FAST) == 0
    mask = pixels(tmp_path / "m.png")
    assert mask.shape == (400, 512)  # upright: width 512, height 400
    assert mask[110, 230] == 255 and mask[10, 10] == 0  # the face where it is in the upright photo


def test_unwritable_output(photo, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert run("segment", photo, "-o", blocker / "m.png", *FAST) == 2
    assert "cannot write" in capsys.readouterr().err


def test_bad_options(photo, capsys):
    assert run("segment", photo, "-m", "nope") == 2
    assert "unknown method 'nope'" in capsys.readouterr().err
    assert run("segment", photo, "--option", "k") == 2
    assert "KEY=VALUE" in capsys.readouterr().err
    assert run("replace", photo, "-b", "not-a-colour") == 2
    assert "not a colour" in capsys.readouterr().err


def test_methods_lists_every_method(capsys):
    assert run("methods") == 0
    out = capsys.readouterr().out
    for name in bodyseg.available():
        assert name in out


def test_example_copies_the_photo_once(tmp_path, capsys):
    target = tmp_path / "a.jpg"
    assert run("example", target) == 0 and target.read_bytes() == bodyseg.example_image().read_bytes()
    assert run("example", target) == 2


def test_console_script_help_and_exit_codes():
    exe = Path(sys.executable).with_name("bodyseg")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "bodyseg.cli"]
    done = subprocess.run([*command, "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "blur" in done.stdout and "bodyseg example" in done.stdout
    done = subprocess.run(
        [*command, "segment", "/no/such/file.jpg", "-m", "mediapipe-selfie"], capture_output=True, text=True
    )
    assert done.returncode == 2 and "no such file" in done.stderr


@pytest.mark.parametrize("method", ["mediapipe-selfie", "bodyseg"])
def test_no_third_party_log_lines_reach_the_terminal(photo, method):
    """Native runtimes print banners on file descriptor 2 (TFLite's delegate, ONNX Runtime): none may show."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from bodyseg.cli import main; sys.exit(main(sys.argv[1:]))",
            "blur",
            str(photo),
            "-m",
            method,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    assert [line for line in done.stderr.splitlines() if not line.startswith("bodyseg: ")] == []
    assert done.stderr.startswith("bodyseg: wrote 1 blurred photo")


def test_a_method_whose_extra_is_missing_names_the_extra(monkeypatch):
    """Without scikit-learn (the classical extra), kmeans fails at creation with the pip command to run."""
    from bodyseg.errors import MethodError
    from bodyseg.segmenters import create

    for name in [m for m in sys.modules if m == "sklearn" or m.startswith("sklearn.")] + ["sklearn"]:
        monkeypatch.setitem(sys.modules, name, None)  # as if it were not installed
    monkeypatch.delitem(sys.modules, "bodyseg.segmenters.classical.kmeans", raising=False)
    with pytest.raises(
        MethodError, match=r"method 'kmeans' needs sklearn, which is not installed; pip install 'bodyseg\[classical\]'"
    ):
        create("kmeans")


def test_the_cli_works_without_the_optional_extras():
    """A plain install has no FastAPI, Dask, PyAV or torch: every command's --help still works, and the
    commands that need an extra say which one (run in a fresh interpreter with those imports blocked)."""
    code = """
import sys
for name in ("fastapi", "uvicorn", "dask", "distributed", "av", "torch", "sklearn", "skimage", "matplotlib"):
    sys.modules[name] = None
from bodyseg.cli import main
for command in ("segment", "blur", "video", "batch", "serve", "train", "bench", "methods"):
    try:
        main([command, "--help"])
    except SystemExit as stop:
        assert stop.code == 0, command
sys.exit(main(["serve", "--port", "0"]))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 2, done.stderr
    assert "pip install 'bodyseg[serve]'" in done.stderr and "Traceback" not in done.stderr
