"""COCO RLE, by property: any mask survives encode -> JSON -> decode, and damaged RLE gives InputError only."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from bodyseg.errors import InputError
from bodyseg.io.coco_rle import counts_to_string, decode_mask, encode_mask, run_lengths, string_to_counts

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

sides = st.integers(min_value=1, max_value=37)  # odd and even, 1-pixel included
masks = st.tuples(sides, sides).flatmap(lambda hw: arrays(bool, hw))


@st.composite
def structured_masks(draw: st.DrawFn) -> np.ndarray:
    """Empty, full, one pixel, or random: the shapes where run-length coders go wrong."""
    h, w = draw(sides), draw(sides)
    kind = draw(st.sampled_from(["empty", "full", "one", "random", "stripes"]))
    mask = np.zeros((h, w), bool)
    if kind == "full":
        mask[:] = True
    elif kind == "one":
        mask[draw(st.integers(0, h - 1)), draw(st.integers(0, w - 1))] = True
    elif kind == "random":
        mask = draw(arrays(bool, (h, w)))
    elif kind == "stripes":
        mask[:, :: draw(st.integers(1, 3))] = True
    return mask


@SETTINGS
@given(st.one_of(masks, structured_masks()))
def test_encode_then_decode_gives_the_mask_back_through_json(mask):
    rle = json.loads(json.dumps(encode_mask(mask)))
    assert rle["size"] == list(mask.shape)
    back = decode_mask(rle)
    assert back.shape == mask.shape and (back == mask).all()


@SETTINGS
@given(st.one_of(masks, structured_masks()))
def test_runs_add_up_to_the_pixels_and_alternate_from_zero(mask):
    runs = run_lengths(mask)
    assert int(runs.sum()) == mask.size
    assert (runs[1:] > 0).all()  # only the first run (zeros) may be empty
    assert decode_mask({"size": list(mask.shape), "counts": runs.tolist()}).tolist() == mask.tolist()


@SETTINGS
@given(st.lists(st.integers(min_value=0, max_value=2**40), max_size=40))
def test_compressed_counts_round_trip_any_run_lengths(counts):
    assert string_to_counts(counts_to_string(counts)).tolist() == counts


def test_matches_pycocotools_where_it_is_installed():
    mask_utils = pytest.importorskip("pycocotools.mask")
    rng = np.random.default_rng(0)
    for h, w in [(1, 1), (7, 13), (48, 64), (33, 1)]:
        mask = rng.random((h, w)) < 0.3
        theirs = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
        assert encode_mask(mask)["counts"] == theirs["counts"].decode()


#: JSON values an RLE might be replaced by in a damaged file.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=12,
)


@st.composite
def damaged_rles(draw: st.DrawFn) -> object:
    """A valid RLE with one part replaced or dropped, or any JSON value at all."""
    mask = draw(structured_masks())
    rle: dict = encode_mask(mask)
    kind = draw(st.sampled_from(["any", "size", "counts", "drop", "text", "list"]))
    if kind == "any":
        return draw(json_values)
    if kind == "size":
        rle["size"] = draw(json_values)
    elif kind == "counts":
        rle["counts"] = draw(json_values)
    elif kind == "drop":
        del rle[draw(st.sampled_from(["size", "counts"]))]
    elif kind == "text":
        text = rle["counts"]
        at = draw(st.integers(0, len(text)))
        rle["counts"] = text[:at] + draw(st.text(max_size=3)) + text[at + 1 :]
    else:
        rle["counts"] = draw(st.lists(st.integers(-5, 2000), max_size=8))
    return rle


@SETTINGS
@given(damaged_rles())
def test_damaged_rle_gives_a_mask_of_its_size_or_input_error_only(rle):
    """The documented error (InputError: one line, says the RLE is damaged) or a mask of the stated size."""
    try:
        mask = decode_mask(rle)
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    assert mask.dtype == bool and list(mask.shape) == [int(s) for s in rle["size"]]


@pytest.mark.parametrize(
    "rle",
    [
        {"size": [2, 2], "counts": "13"},
    ],
)
def test_a_known_rle_decodes(rle):
    assert decode_mask(rle).astype(int).tolist() == [[0, 1], [1, 1]]


@SETTINGS
@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=140), max_size=60))
def test_any_counts_text_gives_runs_or_input_error(text):
    try:
        runs = string_to_counts(text)
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    assert runs.dtype == np.int64


def test_a_size_over_the_limit_is_refused_before_allocating():
    with pytest.raises(InputError, match="megapixels"):
        decode_mask({"size": [10**6, 10**6], "counts": [10**12]})


@SETTINGS
@given(st.text(alphabet="ko_`0123456789", min_size=1, max_size=40).map(lambda t: "o" * (len(t) % 20) + t))
@example("o" * 20 + "0")
def test_long_continuation_runs_never_overflow(text):
    """'k'..'o' set the continuation bit: long runs of them once overflowed int64 (OverflowError)."""
    try:
        string_to_counts(text)
    except InputError:
        pass
