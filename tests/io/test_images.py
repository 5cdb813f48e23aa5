"""Reading any image safely, writing atomically: every bad input gets a clear InputError."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bodyseg.errors import InputError, OutputError
from bodyseg.io import load_image, read_image, write_image
from bodyseg.io.images import atomic_path


def gradient(h: int = 24, w: int = 32) -> np.ndarray:
    yy, xx = np.mgrid[:h, :w]
    return np.dstack([xx * 255 // (w - 1), yy * 255 // (h - 1), np.full((h, w), 77)]).astype(np.uint8)


def save(path: Path, image: Image.Image, **options) -> Path:
    image.save(path, **options)
    return path


def test_reads_rgb_jpeg_and_png(tmp_path):
    rgb = gradient()
    png = read_image(save(tmp_path / "a.png", Image.fromarray(rgb)))
    assert png.dtype == np.uint8 and png.shape == (24, 32, 3)
    assert np.array_equal(png, rgb)
    jpg = read_image(save(tmp_path / "a.jpg", Image.fromarray(rgb), quality=95))
    assert np.abs(jpg.astype(int) - rgb).mean() < 3


def test_format_is_sniffed_not_taken_from_the_name(tmp_path):
    path = save(tmp_path / "really_a_png.jpg", Image.fromarray(gradient()), format="PNG")
    assert np.array_equal(read_image(path), gradient())


@pytest.mark.parametrize(
    "mode, expected_pixel",
    [
        ("L", (100, 100, 100)),
        ("RGBA", (10, 20, 30)),
        ("P", (10, 20, 30)),
        ("CMYK", None),
    ],
)
def test_other_modes_become_rgb(tmp_path, mode, expected_pixel):
    base = Image.new("RGB", (8, 6), (10, 20, 30)) if mode != "L" else Image.new("L", (8, 6), 100)
    image = base.convert(mode, palette=Image.Palette.ADAPTIVE) if mode == "P" else base.convert(mode)
    suffix = ".jpg" if mode == "CMYK" else ".png"
    rgb = read_image(save(tmp_path / f"x{suffix}", image))
    assert rgb.shape == (6, 8, 3) and rgb.dtype == np.uint8
    if expected_pixel is not None:
        assert tuple(rgb[0, 0]) == expected_pixel
    else:  # CMYK round trip through JPEG: close to the original colour
        assert np.abs(rgb[0, 0].astype(int) - (10, 20, 30)).max() < 12


def test_transparent_pixels_become_white(tmp_path):
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[:2] = (200, 0, 0, 255)  # top half opaque red, bottom half fully transparent black
    rgb = read_image(save(tmp_path / "t.png", Image.fromarray(rgba, "RGBA")))
    assert tuple(rgb[0, 0]) == (200, 0, 0)
    assert tuple(rgb[3, 3]) == (255, 255, 255)


def test_16_bit_png_is_scaled_to_8_bit(tmp_path):
    grey16 = np.array([[0, 65535], [32768, 257 * 10]], np.uint16)
    rgb = read_image(save(tmp_path / "deep.png", Image.fromarray(grey16)))
    assert rgb.shape == (2, 2, 3)
    assert rgb[:, :, 0].tolist() == [[0, 255], [128, 10]]


def test_exif_orientation_is_applied(tmp_path):
    """A landscape pixel buffer tagged 'rotate 90 CW' (orientation 6) comes out portrait and upright."""
    pixels = np.zeros((20, 40, 3), np.uint8)
    pixels[:, :5] = 255  # a white stripe on the stored image's left edge
    exif = Image.Exif()
    exif[0x0112] = 6
    path = save(tmp_path / "rotated.jpg", Image.fromarray(pixels), exif=exif.tobytes(), quality=95)
    rgb = read_image(path)
    assert rgb.shape == (40, 20, 3)
    # Rotating 90 degrees clockwise puts the stored left edge at the top.
    assert rgb[:5].mean() > 200 and rgb[10:].mean() < 40


def test_not_an_image(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("these are not pixels")
    with pytest.raises(InputError, match="not an image"):
        read_image(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_image(path)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_file(tmp_path, fmt):
    buffer = io.BytesIO()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(buffer, format=fmt)
    data = buffer.getvalue()
    path = tmp_path / f"cut.{fmt.lower()}"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="damaged or truncated"):
        read_image(path)


def test_folder_where_a_file_is_expected(tmp_path):
    with pytest.raises(InputError, match="is a folder"):
        read_image(tmp_path)


def test_missing_path(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_image(tmp_path / "nowhere.jpg")


def test_one_pixel_image_is_read(tmp_path):
    rgb = read_image(save(tmp_path / "dot.png", Image.new("RGB", (1, 1), (1, 2, 3))))
    assert rgb.shape == (1, 1, 3) and tuple(rgb[0, 0]) == (1, 2, 3)


def test_pixel_limit(tmp_path):
    path = save(tmp_path / "big.png", Image.new("RGB", (100, 100)))
    with pytest.raises(InputError, match="over the limit"):
        read_image(path, max_pixels=5000)
    assert read_image(path, max_pixels=10_000).shape == (100, 100, 3)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width x height but holds a few bytes of pixel data: a decompression bomb's header."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b"")
    )


def test_pixel_limit_is_checked_before_decoding(tmp_path):
    """A 100000x100000 header is refused for its size, not after trying to decode 10 gigapixels."""
    path = tmp_path / "bomb.png"
    path.write_bytes(png_header_only(100_000, 100_000))
    with pytest.raises(InputError, match="10000.0 megapixels, over the limit of 50.0"):
        read_image(path)


def test_load_image_accepts_path_pil_and_arrays(tmp_path):
    rgb = gradient()
    path = save(tmp_path / "g.png", Image.fromarray(rgb))
    assert np.array_equal(load_image(path), rgb)
    assert np.array_equal(load_image(str(path)), rgb)
    assert np.array_equal(load_image(Image.fromarray(rgb)), rgb)
    assert np.array_equal(load_image(rgb), rgb)
    assert load_image(rgb[..., 0]).shape == (24, 32, 3)
    assert np.array_equal(load_image(np.dstack([rgb, np.full(rgb.shape[:2], 9, np.uint8)])), rgb)
    floats = load_image(np.full((2, 2, 3), 0.5, np.float32))
    assert floats.dtype == np.uint8 and floats[0, 0, 0] == 128


def test_load_image_refuses_what_is_not_an_image():
    with pytest.raises(InputError, match="pass a file path"):
        load_image(42)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="HxW, HxWx3 or HxWx4"):
        load_image(np.zeros((4, 4, 2), np.uint8))
    with pytest.raises(InputError, match="empty"):
        load_image(np.zeros((0, 4, 3), np.uint8))


def test_write_image_round_trip_and_no_temp_left(tmp_path):
    mask = (np.arange(12).reshape(3, 4) % 2 * 255).astype(np.uint8)
    target = write_image(tmp_path / "sub" / "m.png", mask)
    assert np.array_equal(np.asarray(Image.open(target)), mask)
    assert [p.name for p in target.parent.iterdir()] == ["m.png"]


def test_failed_write_leaves_nothing(tmp_path):
    target = tmp_path / "out.png"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half a file")
            raise RuntimeError("the encoder died")
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output_folder(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="cannot write"):
        write_image(blocker / "out.png", np.zeros((2, 2), np.uint8))


def test_rgba_to_jpeg_is_refused(tmp_path):
    with pytest.raises(OutputError, match="no transparency"):
        write_image(tmp_path / "cut.jpg", np.zeros((2, 2, 4), np.uint8))
    assert not (tmp_path / "cut.jpg").exists()
