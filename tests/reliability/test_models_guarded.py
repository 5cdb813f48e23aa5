"""Models and memory guarded: every shipped model file is checked against its card's sha256 once per
process when first loaded; a missing or damaged file stops the command with one line naming the file
and the fix; an image too large is refused from its header with the option that lets it through."""

from __future__ import annotations

import shutil
import struct
import zlib
from pathlib import Path

import pytest

import bodyseg
from bodyseg.cli import main
from bodyseg.errors import MethodError
from bodyseg.models import card as cards
from bodyseg.models.runtime import shipped_model_path


@pytest.fixture
def weights_copy(tmp_path, monkeypatch) -> Path:
    """A copy of the shipped weights folder that bodyseg loads from in this test."""
    folder = tmp_path / "weights"
    shutil.copytree(cards.weights_dir(), folder)
    monkeypatch.setattr(cards, "weights_dir", lambda: folder)
    return folder


def selfie_file(folder: Path) -> Path:
    return folder / cards.read_card(folder / "selfie_segmentation.json")["file"]


def run_cli(capsys, *args: object) -> tuple[int, list[str]]:
    """``bodyseg ARGS -q`` in this process: the exit code and the lines it wrote on stderr."""
    capsys.readouterr()
    code = main([*map(str, args), "-q"])
    return code, [line for line in capsys.readouterr().err.splitlines() if line.strip()]


def run_blur(tmp_path: Path, capsys) -> tuple[int, list[str]]:
    photo = shutil.copy(bodyseg.example_image(), tmp_path / "photo.jpg")
    return run_cli(capsys, "blur", photo, "-m", "mediapipe-selfie", "-o", tmp_path / "out.jpg")


def test_a_damaged_model_file_stops_the_command_naming_the_file_and_the_fix(weights_copy, tmp_path, capsys):
    model = selfie_file(weights_copy)
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit, same size
    model.write_bytes(bytes(data))
    code, errors = run_blur(tmp_path, capsys)
    assert code == 2 and len(errors) == 1 and "\n" not in errors[0]
    assert str(model) in errors[0] and "sha256" in errors[0] and "reinstall" in errors[0]
    assert not (tmp_path / "out.jpg").exists()


def test_a_missing_model_file_names_the_file_and_the_fix(weights_copy, tmp_path, capsys):
    model = selfie_file(weights_copy)
    model.unlink()
    code, errors = run_blur(tmp_path, capsys)
    assert code == 2 and len(errors) == 1
    assert str(model) in errors[0] and "missing" in errors[0] and "reinstall" in errors[0]


def test_every_shipped_model_is_checked_once_per_process(weights_copy, monkeypatch):
    hashed = []
    real = cards.sha256_of
    monkeypatch.setattr(cards, "sha256_of", lambda path: hashed.append(Path(path).name) or real(path))
    names = list(cards.shipped_cards())
    for _ in range(2):
        for name in names:
            if cards.read_card(weights_copy / f"{name}.json")["file"].endswith((".tflite", ".onnx")):
                shipped_model_path(name)
    files = [cards.read_card(weights_copy / f"{n}.json")["file"] for n in names]
    assert sorted(hashed) == sorted(f for f in files if f.endswith((".tflite", ".onnx")))  # each once, not twice


def test_a_file_replaced_after_its_first_check_is_caught_on_the_next_load(weights_copy):
    model = selfie_file(weights_copy)
    shipped_model_path("selfie_segmentation")
    model.write_bytes(model.read_bytes()[:-1])  # new size and time: checked again
    with pytest.raises(MethodError, match="sha256"):
        shipped_model_path("selfie_segmentation")


def png_header_only(path: Path, width: int, height: int) -> Path:
    """A tiny PNG whose header declares ``width`` x ``height`` (a decompression bomb's shape)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + body)
    return path


def test_a_huge_image_is_refused_from_its_header_with_the_way_on(tmp_path, capsys):
    bomb = png_header_only(tmp_path / "bomb.png", 65535, 65535)
    code, errors = run_cli(capsys, "blur", bomb, "-m", "mediapipe-selfie", "-o", tmp_path / "out.png")
    assert code == 2 and len(errors) == 1
    assert "bomb.png" in errors[0] and "4294.8 megapixels" in errors[0] and "--max-megapixels" in errors[0]
    assert not (tmp_path / "out.png").exists()


def test_a_video_over_the_limit_is_refused_with_the_way_on(tmp_path, capsys):
    pytest.importorskip("av")
    from tests.reliability.media import encode_video

    clip = encode_video(tmp_path / "c.mp4", count=2)
    code, errors = run_cli(capsys, "video", clip, "-o", tmp_path / "o.mp4", "--max-megapixels", "0.001")
    assert code == 2 and len(errors) == 1 and "--max-megapixels" in errors[0] and "c.mp4" in errors[0]
