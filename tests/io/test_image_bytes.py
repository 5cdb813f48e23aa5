"""read_image_bytes: an upload decoded with read_image's checks."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import bodyseg
from bodyseg.errors import InputError
from bodyseg.io.images import TooManyPixelsError, read_image, read_image_bytes


def encoded(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def test_bytes_decode_like_the_file():
    path = bodyseg.example_image()
    assert np.array_equal(read_image_bytes(path.read_bytes(), name="astronaut.jpg"), read_image(path))


def test_pixel_limit_is_checked_from_the_header_with_the_callers_advice():
    data = encoded(Image.new("RGB", (3000, 2000)), "PNG")
    expected = r"big.png: 3000x2000 is 6.0 megapixels, over the limit of 5.0; resize it"
    with pytest.raises(TooManyPixelsError, match=expected):
        read_image_bytes(data, max_pixels=5_000_000, name="big.png", advice="resize it")
    assert read_image_bytes(data, max_pixels=6_000_000).shape == (2000, 3000, 3)


@pytest.mark.parametrize(
    "data, phrase",
    [
        (b"", "empty"),
        (b"plain text", "not an image"),
        (bodyseg.example_image().read_bytes()[:20_000], "truncated"),
    ],
)
def test_bad_bytes_name_the_problem(data, phrase):
    with pytest.raises(InputError, match=phrase) as info:
        read_image_bytes(data, name="upload.jpg")
    assert str(info.value).startswith("upload.jpg: ")


def test_formats_limit_what_is_decoded():
    ico = encoded(Image.new("RGB", (32, 32), (1, 2, 3)), "ICO")
    assert read_image_bytes(ico).shape == (32, 32, 3)  # Pillow reads ICO...
    with pytest.raises(InputError, match="not an image"):
        read_image_bytes(ico, formats=("JPEG", "PNG"))  # ...a caller that takes photos only refuses it
