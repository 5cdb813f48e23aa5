"""COCO RLE in numpy: hand-computed cases, round trips, and agreement with pycocotools."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from bodyseg.errors import InputError
from bodyseg.io.coco_rle import counts_to_string, decode_mask, encode_mask, run_lengths, string_to_counts


def random_masks(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    shapes = [(1, 1), (1, 7), (7, 1), (3, 4), (17, 23), (64, 48), (120, 90)]
    masks = [rng.random(shape) < density for shape in shapes for density in (0.0, 0.05, 0.5, 0.95, 1.0)]
    blob = np.zeros((200, 300), bool)  # long runs: counts that need several characters
    blob[20:180, 40:260] = True
    return masks + [blob, ~blob]


def test_hand_computed_case():
    m = np.zeros((3, 4), bool)
    m[1, 1:3] = True  # column-major: 0 0 0 | 0 1 0 | 0 1 0 | 0 0 0
    assert run_lengths(m).tolist() == [4, 1, 2, 1, 4]
    # 4, 1, 2 as they are; then 1 - 1 = 0 and 4 - 2 = 2
    assert encode_mask(m) == {"size": [3, 4], "counts": "41202"}


def test_hand_computed_multi_character_and_negative_counts():
    # 40 = 0b01000 + 1 << 5: '0' + 8 + 32 = 'X', then '1'; 1 - 40 = -39 -> 25 | more, then 30 -> 'iN'
    assert counts_to_string([0, 40, 2, 1]) == "0X12iN"
    assert string_to_counts("0X12iN").tolist() == [0, 40, 2, 1]
    m = np.zeros((43, 1), bool)
    m[:40] = True
    m[42] = True
    assert encode_mask(m)["counts"] == "0X12iN"


def test_mask_starting_with_person_has_an_empty_first_run():
    assert run_lengths(np.ones((2, 3), bool)).tolist() == [0, 6]
    assert run_lengths(np.zeros((2, 3), bool)).tolist() == [6]


@pytest.mark.parametrize("mask", random_masks(), ids=lambda m: f"{m.shape[0]}x{m.shape[1]}-{m.mean():.2f}")
def test_round_trip(mask):
    rle = encode_mask(mask)
    assert rle["size"] == list(mask.shape) and isinstance(rle["counts"], str)
    decoded = decode_mask(rle)
    assert decoded.dtype == bool and decoded.shape == mask.shape
    np.testing.assert_array_equal(decoded, mask)


def test_decode_takes_bytes_and_uncompressed_lists():
    m = np.array([[0, 1], [1, 1]], bool)
    np.testing.assert_array_equal(decode_mask({"size": [2, 2], "counts": b"13"}), m)
    np.testing.assert_array_equal(decode_mask({"size": [2, 2], "counts": [1, 3]}), m)


@pytest.mark.parametrize(
    "rle, message",
    [
        ({"size": [2, 2], "counts": "12"}, "add up to 3"),
        ({"size": [2, 2], "counts": "1 3"}, "not an RLE character"),
        ({"size": [2, 2], "counts": "1X"}, "truncated"),
        ({"counts": "13"}, "needs 'size' and 'counts'"),
    ],
)
def test_damaged_rle_is_an_input_error(rle, message):
    with pytest.raises(InputError, match=message):
        decode_mask(rle)


def test_agrees_with_pycocotools():
    mask_utils = pytest.importorskip("pycocotools.mask")
    for mask in random_masks(seed=1):
        theirs = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
        ours = encode_mask(mask)
        assert ours["counts"] == theirs["counts"].decode("ascii")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            back = mask_utils.decode({"size": ours["size"], "counts": ours["counts"].encode("ascii")})
        np.testing.assert_array_equal(back.astype(bool), mask)
        np.testing.assert_array_equal(decode_mask({"size": theirs["size"], "counts": theirs["counts"]}), mask)
