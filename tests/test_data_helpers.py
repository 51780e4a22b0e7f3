"""The public data helpers for dataset plugins (pad_sequences, stratified_split, standardize, read_ts), tested
directly, with property tests where a property says more than examples, and the built-ins using them."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import lossbench
from lossbench import DataError, Split, pad_sequences, read_ts, standardize, stratified_split

from ts_files import ts_text

FINITE = st.floats(-1e3, 1e3, allow_nan=False, width=32)


@st.composite
def ragged(draw, min_size=1):
    """A list of series [T_i, F] with one F and lengths 1..12."""
    features = draw(st.integers(1, 3))
    count = draw(st.integers(min_size, 8))
    return [draw(hnp.arrays(np.float64, (draw(st.integers(1, 12)), features), elements=FINITE)) for _ in range(count)]


@given(ragged(), st.sampled_from([0.0, -1.0]), st.integers(0, 3))
def test_pad_sequences_puts_each_series_first_and_the_padding_after(series, value, extra):
    steps = max(len(s) for s in series) + extra
    x, lengths = pad_sequences(series, steps=steps if extra else None, value=value)
    assert x.dtype == np.float32 and lengths.dtype == np.int64
    assert x.shape == (len(series), steps, series[0].shape[1])
    for row, length, s in zip(x, lengths, series):
        assert length == len(s)
        np.testing.assert_array_equal(row[:length], s.astype(np.float32))
        assert (row[length:] == value).all()


def test_pad_sequences_takes_one_feature_series_and_keeps_missing_values():
    x, lengths = pad_sequences([[1.0, np.nan], [3.0]])
    assert x.shape == (2, 2, 1) and lengths.tolist() == [2, 1]
    assert np.isnan(x[0, 1, 0]) and x[1, 1, 0] == 0


@pytest.mark.parametrize("series, steps, message", [
    ([], None, "no series"),
    ([np.zeros((3, 2)), np.zeros((3, 1))], None, r"series 1 has shape \(3, 1\)"),
    ([np.zeros((0, 2))], None, "series 0 is empty"),
    ([np.zeros((5, 1))], 4, "series 0 has 5 steps, more than steps=4"),
])
def test_pad_sequences_refuses_what_cannot_be_padded_with_one_message(series, steps, message):
    with pytest.raises(DataError, match=message):
        pad_sequences(series, steps=steps)


@settings(max_examples=300)
@given(st.lists(st.integers(0, 4), min_size=2, max_size=60), st.floats(0.01, 0.5), st.integers(0, 2**31))
def test_stratified_split_is_a_stratified_partition(y, fraction, seed):
    y = np.array(y)
    kept, held = stratified_split(y, fraction, seed)
    assert len(np.intersect1d(kept, held)) == 0 and len(kept) + len(held) == len(y)
    assert len(held) == min(len(y) - 1, max(1, int(fraction * len(y) + 0.5)))
    np.testing.assert_array_equal(kept, np.sort(kept))
    np.testing.assert_array_equal(held, np.sort(held))
    classes, counts = np.unique(y, return_counts=True)
    held_counts = np.array([(y[held] == c).sum() for c in classes])
    possible = len(held) <= len(y) - len(classes)
    assert not possible or all(held_counts < counts), "a class lost every member to the held-out side"
    # within 1 of its share, unless keeping one member of each class squeezed some class below its share
    squeezed = any((held_counts == counts - 1) & (held_counts < fraction * counts))
    assert squeezed or all(abs(held_counts - fraction * counts) < 1 + 1e-9)
    again = stratified_split(y, fraction, seed)
    np.testing.assert_array_equal(again[1], held)  # the same seed, the same split


def test_stratified_split_rounds_by_largest_remainders_and_needs_two_items():
    y = np.repeat(np.arange(3), [50, 30, 20])
    _, held = stratified_split(y, 0.1, 0)
    assert np.bincount(y[held]).tolist() == [5, 3, 2]
    with pytest.raises(DataError, match="cannot split 1 item"):
        stratified_split([0], 0.5, 0)


@given(ragged(min_size=2), st.integers(0, 1000))
def test_standardize_uses_training_statistics_over_valid_steps_only(series, seed):
    x, lengths = pad_sequences(series, value=123.0)  # a padding value that would skew the statistics
    train = Split(x, np.zeros(len(x), np.int64), lengths)
    other = Split(x * 2.0 + 5.0, np.zeros(len(x), np.int64), lengths)
    scaled_train, scaled_other = standardize(train, other)
    valid = np.arange(x.shape[1])[None, :] < lengths[:, None]
    observed = x[valid].astype(np.float64)
    mean, std = observed.mean(0), observed.std(0)
    spread = std > 1e-3 * np.maximum(1.0, np.abs(mean))  # channels with a spread float32 can resolve
    out = scaled_train.x[valid]
    assert np.abs(out.mean(0)[spread]).max(initial=0) < 1e-3
    assert np.abs(out.std(0)[spread] - 1).max(initial=0) < 1e-3
    assert (scaled_train.x[~valid] == 0).all() and (scaled_other.x[~valid] == 0).all()  # padding is 0
    # the other split is scaled with the training statistics, not its own
    expected = (other.x[valid].astype(np.float64) - mean) / np.where(std > 1e-12, std, 1)
    np.testing.assert_allclose(scaled_other.x[valid], expected, rtol=1e-3, atol=1e-3)
    assert scaled_train.x.dtype == np.float32 and scaled_train.lengths is lengths and scaled_train.y is train.y


def test_standardize_sets_missing_values_to_the_training_mean():
    x = np.array([[[1.0], [np.nan], [3.0]], [[5.0], [7.0], [0.0]]], np.float32)
    train = Split(x, np.array([0, 1]), np.array([3, 2]))
    (out,) = standardize(train)
    assert out.x[0, 1, 0] == 0 and out.x[1, 2, 0] == 0  # missing, and padding
    observed = np.array([1.0, 3.0, 5.0, 7.0])
    np.testing.assert_allclose(out.x[0, 0, 0], (1 - observed.mean()) / observed.std(), rtol=1e-6)


@settings(max_examples=50)
@given(ragged(), st.data())
def test_read_ts_reads_back_what_was_written(tmp_path_factory, series, data):
    series = [np.where(data.draw(hnp.arrays(bool, s.shape)), np.nan, s) for s in series]  # missing values
    labels = [data.draw(st.sampled_from(["up", "down", "flat"])) for _ in series]
    path = tmp_path_factory.mktemp("ts") / "Toy_TRAIN.ts"
    path.write_text(ts_text(series, labels, ["up", "down", "flat"]))
    parsed = read_ts(path)
    assert parsed.class_labels == ["up", "down", "flat"] and parsed.labels == labels
    assert parsed.header["problemname"] == "Toy"
    assert len(parsed.series) == len(series)
    for got, expected in zip(parsed.series, series):
        np.testing.assert_array_equal(got, expected)  # NaN where written '?', equal elsewhere


def test_read_ts_pads_a_shorter_dimension_with_missing_values_and_names_file_and_line(tmp_path):
    path = tmp_path / "Short_TRAIN.ts"
    path.write_text("@problemName Short\n@univariate false\n@classLabel true a b\n@data\n1,2,3:4,5:a\n1:2:c\n")
    with pytest.raises(DataError, match=f"{path}:6: class label 'c' is not among"):
        read_ts(path)
    path.write_text("@problemName Short\n@univariate false\n@classLabel true a b\n@data\n1,2,3:4,5:a\n")
    np.testing.assert_array_equal(read_ts(path).series[0], [[1, 4], [2, 5], [3, np.nan]])
    with pytest.raises(DataError, match="does not exist"):
        read_ts(tmp_path / "missing.ts")


def test_the_helpers_are_public_and_load_numpy_only_when_used():
    assert {"pad_sequences", "stratified_split", "standardize", "read_ts", "TsFile"} <= set(lossbench.__all__)
    code = ("import sys, lossbench; assert 'numpy' not in sys.modules; lossbench.pad_sequences; "
            "assert 'numpy' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_builtins_use_the_public_helpers():
    from lossbench_builtins.datasets import _common, digits, mnist1d_local, ucr

    assert (ucr.read_ts, ucr.pad_sequences, ucr.standardize, ucr.stratified_split) == (
        read_ts, pad_sequences, standardize, stratified_split)
    assert digits.stratified_split is stratified_split and mnist1d_local.stratified_split is stratified_split
    assert not hasattr(_common, "holdout") and not hasattr(ucr, "parse_ts")  # no private copies left
