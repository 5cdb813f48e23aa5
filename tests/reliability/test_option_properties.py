"""Option parsing, by property: any text a user types as ``--option KEY=VALUE`` or a method spec gives
a value or a MethodError, and creating any method with any such value gives a segmenter or a
BodysegError (one line), never a TypeError, ValueError or OverflowError."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bodyseg
from bodyseg.errors import BodysegError, MethodError
from bodyseg.segmenters import create
from bodyseg.segmenters.options import check_choice, check_float, check_int
from bodyseg.segmenters.registry import method_options, parse_method_spec, parse_option_pairs, parse_option_value

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: Per method (ten of them, some load a model per example): fewer examples keep the file under ~15 s.
PER_METHOD = settings(SETTINGS, max_examples=40)

#: Text a user might type as an option value: numbers of every spelling, words, and noise.
value_texts = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["nan", "inf", "-inf", "1e999", "true", "False", "on", "none", "auto", "", " ", "1_000", "0x10"]),
    st.text(max_size=12),
)


@SETTINGS
@given(st.integers())
def test_ints_read_back_as_ints(number):
    assert parse_option_value(str(number)) == number and type(parse_option_value(str(number))) is int


@SETTINGS
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_read_back_as_the_same_number(number):
    value = parse_option_value(repr(number))
    assert value == number


@SETTINGS
@given(st.sampled_from(["true", "yes", "on", "TRUE", " On "]), st.sampled_from(["false", "no", "off", "No"]))
def test_booleans_in_any_case(yes, no):
    assert parse_option_value(yes) is True and parse_option_value(no) is False


@SETTINGS
@given(value_texts)
def test_any_text_is_a_value(text):
    value = parse_option_value(text)
    assert isinstance(value, (bool, int, float, str))


@SETTINGS
@given(st.lists(st.text(max_size=10), max_size=4))
def test_pairs_are_options_or_a_method_error(pairs):
    try:
        options = parse_option_pairs(pairs)
    except MethodError as exc:
        assert "KEY=VALUE" in str(exc) and "\n" not in str(exc)
        return
    assert all(key and "-" not in key for key in options)


@SETTINGS
@given(st.sampled_from(sorted(bodyseg.available())), st.lists(st.text(max_size=10), max_size=3))
def test_method_specs_split_into_name_and_options(name, pairs):
    try:
        parsed, options = parse_method_spec(":".join([name, *pairs]))
    except MethodError:
        return
    assert parsed == name and isinstance(options, dict)


@SETTINGS
@given(st.one_of(st.floats(), st.integers(), st.booleans(), st.text(max_size=5)))
def test_range_checks_give_a_value_in_range_or_a_method_error(value):
    for check in (lambda v: check_int("k", v, 2, 64), lambda v: check_float("x", v, 0.0, 1.0)):
        try:
            checked = check(value)
        except MethodError:
            continue
        assert not math.isnan(checked) and (2 <= checked <= 64 or 0.0 <= checked <= 1.0)
    try:
        check_choice("prior", value, ("pose", "centre"))
    except MethodError:
        pass


# The shipped methods only: other test modules register fakes (fake-*, test-*) whose options are test hooks (a fake's
# `log=2` would open and then close file descriptor 2, this process's stderr).
METHODS = sorted(name for name in bodyseg.available() if not name.startswith(("fake-", "test-")))


@pytest.mark.parametrize("method", METHODS)
def test_any_typed_value_of_any_option_creates_the_method_or_a_clear_error(method):
    options = list(method_options(method))

    @PER_METHOD
    @given(st.sampled_from(options), value_texts)
    def check(option, text):
        value = parse_option_value(text)
        try:
            segmenter = create(method, **{option: value})
        except BodysegError as exc:
            assert "\n" not in str(exc).strip(), str(exc)
            return
        close = getattr(segmenter, "close", None)
        if close:
            close()

    check()


@pytest.mark.parametrize(
    ("method", "option", "text", "message"),
    [
        ("kmeans", "k", "nan", "whole number"),
        ("bodyseg", "max_people", "inf", "whole number"),
        ("gmm", "seed", "nan", "seed must be a whole number"),
        ("kmeans", "seed", "-1", "seed must be a whole number"),
        ("grabcut", "box", "5", "box must be four numbers"),
        ("grabcut", "box", "nan,0,10,10", "box must be four numbers"),
        ("net", "weights", "2024", "no model card 2024.json"),
        ("net", "threads", "1000000", "threads must be a whole number between 1 and 64"),
        ("net", "threads", "nan", "threads must be a whole number"),
        ("bodyseg", "drop_animals", "maybe", "drop_animals must be true or false"),
        ("bodyseg", "parts_flip", "2", "parts_flip must be true or false"),
    ],
)
def test_the_values_that_once_crashed_now_give_one_clear_line(method, option, text, message):
    """Each of these raised ValueError, OverflowError or TypeError, started a million threads, or was quietly
    taken for true before."""
    with pytest.raises(BodysegError, match=message) as error:
        create(method, **{option: parse_option_value(text)})
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("method", ["bodyseg", "bodyseg-fast"])
def test_threads_typed_as_a_whole_float_reach_the_runtimes_as_an_int(method):
    """Found by the property test above: ``threads=1.0`` passed the range check but reached LiteRT as a float."""
    segmenter = create(method, threads=parse_option_value("1.0"))
    assert segmenter.segment(np.zeros((64, 64, 3), np.uint8)).mask().shape == (64, 64)
