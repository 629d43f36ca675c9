"""Latency percentiles, exact (nearest-rank over raw values) and from the hourly histograms."""

import ast
import math
import random
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diagnostics.latency import (
    LATENCY_BUCKETS_MS,
    SLOTS,
    bucket_index,
    histogram,
    histogram_merge,
    histogram_percentiles,
    percentiles,
)

MODULE = Path(__file__).resolve().parents[2] / "diagnostics" / "latency.py"
LAST = LATENCY_BUCKETS_MS[-1]
QS = (0, 1, 25, 50, 90, 95, 99, 99.9, 100)


# --- Pure Python -----------------------------------------------------------------------------


def test_latency_imports_only_the_standard_library():
    imported = set()
    for node in ast.walk(ast.parse(MODULE.read_text())):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports: they would reach the Django app"
            imported.add(node.module)
    assert imported, "the scan found no imports at all"
    assert {name.split(".")[0] for name in imported} <= sys.stdlib_module_names, imported


def test_latency_loads_without_django():
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('latency', {str(MODULE)!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "assert module.percentiles([1, 2, 3]) == {50: 2.0, 95: 3.0, 99: 3.0}\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'django'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# --- Exact percentiles -----------------------------------------------------------------------


def test_percentiles_of_1_to_100_are_the_ranks():
    assert percentiles(range(1, 101)) == {50: 50.0, 95: 95.0, 99: 99.0}
    assert percentiles(range(1, 101), qs=(0, 1, 100)) == {0: 1.0, 1: 1.0, 100: 100.0}


def test_percentiles_take_the_next_rank_up_never_an_interpolation():
    # 4 values: p50 is rank 2, p26 rank ceil(1.04) = 2, p25 rank 1, p95 rank ceil(3.8) = 4.
    assert percentiles([30, 10, 40, 20], qs=(25, 26, 50, 95)) == {
        25: 10.0,
        26: 20.0,
        50: 20.0,
        95: 40.0,
    }


def test_fractional_percentiles_are_not_pushed_up_by_float_noise():
    # 99.9% of 1000 is exactly 999; as a float product it would be 999.0000000000001.
    assert percentiles(range(1, 1001), qs=(99.9,)) == {99.9: 999.0}


def test_percentiles_of_one_value_are_that_value():
    assert percentiles([42.5]) == {50: 42.5, 95: 42.5, 99: 42.5}


def test_percentiles_do_not_depend_on_input_order():
    values = list(range(1, 201))
    shuffled = values[:]
    random.Random(4).shuffle(shuffled)
    assert shuffled != values
    assert percentiles(shuffled, QS) == percentiles(values, QS)
    assert percentiles(iter(reversed(values)), QS) == percentiles(values, QS)
    assert percentiles(shuffled) == {50: 100.0, 95: 190.0, 99: 198.0}


def test_percentiles_with_duplicates():
    values = [5, 100, 5, 5, 5]
    # Four of the five (80%) are 5: p80 is 5, anything above needs the fifth value.
    assert percentiles(values, qs=(50, 80, 81, 99)) == {50: 5.0, 80: 5.0, 81: 100.0, 99: 100.0}


def test_percentiles_of_nothing_are_none():
    assert percentiles([]) == {50: None, 95: None, 99: None}
    assert percentiles(iter(()), qs=(10,)) == {10: None}


@pytest.mark.parametrize("q", [-1, 100.5, math.nan, True])
def test_percentiles_outside_0_to_100_are_refused(q):
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentiles([1, 2], qs=(q,))
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentiles([], qs=(q,))
    with pytest.raises(ValueError, match="between 0 and 100"):
        histogram_percentiles([1], qs=(q,))


def test_nan_latencies_are_refused():
    with pytest.raises(ValueError, match="NaN"):
        percentiles([1, math.nan, 3])
    with pytest.raises(ValueError, match="NaN"):
        histogram([1, math.nan])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(0, 50) | st.floats(0, 1e6), min_size=1, max_size=60),
    st.integers(0, 100) | st.sampled_from([0.1, 12.5, 99.9, 99.99]),
)
def test_percentile_is_the_smallest_value_with_q_percent_at_or_below_it(values, q):
    answer = percentiles(values, qs=(q,))[q]
    n, share = len(values), Fraction(str(q)) / 100

    def at_or_below(v):
        return sum(1 for value in values if value <= v)

    assert answer in values
    assert at_or_below(answer) >= share * n
    assert all(at_or_below(value) < share * n for value in values if value < answer)


# --- Histograms ------------------------------------------------------------------------------


def test_histogram_has_a_slot_per_bound_and_one_for_overflow():
    assert len(LATENCY_BUCKETS_MS) + 1 == SLOTS
    assert histogram([]) == [0] * SLOTS
    hist = histogram([0, 0.5, 1, 1.001, 2, 7.5, LAST, LAST + 0.1, 10 * LAST])
    assert len(hist) == SLOTS
    expected = [0] * SLOTS
    for slot, count in {0: 3, 1: 2, bucket_index(7.5): 1, SLOTS - 2: 1, SLOTS - 1: 2}.items():
        expected[slot] = count
    assert hist == expected
    assert bucket_index(7.5) == LATENCY_BUCKETS_MS.index(10)  # 7.5 is above the bound 7


def test_histogram_merge_adds_slot_by_slot():
    a = histogram([1, 2, 2, 500])
    b = histogram([2, 10 * LAST])
    merged = histogram_merge(a, b)
    assert merged == histogram([1, 2, 2, 500, 2, 10 * LAST])
    assert merged[bucket_index(2)] == 3
    assert a == histogram([1, 2, 2, 500])  # the inputs are left as they were


def test_histogram_merge_treats_short_and_empty_lists_as_zeros():
    assert histogram_merge() == [0] * SLOTS
    assert histogram_merge([], []) == [0] * SLOTS
    merged = histogram_merge([1, 2], [], [0, 0, 3], (4,))
    assert merged == [5, 2, 3] + [0] * (SLOTS - 3)


def test_histogram_merge_refuses_foreign_histograms():
    with pytest.raises(ValueError, match="at most"):
        histogram_merge([0] * (SLOTS + 1))
    with pytest.raises(ValueError, match="negative"):
        histogram_merge([1, -1])
    with pytest.raises(ValueError, match="at most"):
        histogram_percentiles([1] * (SLOTS + 1))


# --- Percentiles from histograms -------------------------------------------------------------


def test_histogram_percentiles_equal_exact_ones_on_bound_values():
    values = random.Random(11).choices(LATENCY_BUCKETS_MS, k=997)
    assert histogram_percentiles(histogram(values), QS) == percentiles(values, QS)
    # Spread over a few bounds so p50, p95 and p99 land in different slots.
    values = [10] * 50 + [100] * 45 + [1_000] * 4 + [LAST]
    assert histogram_percentiles(histogram(values)) == {50: 10.0, 95: 100.0, 99: 1_000.0}
    assert percentiles(values) == {50: 10.0, 95: 100.0, 99: 1_000.0}


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(LATENCY_BUCKETS_MS), min_size=1, max_size=80),
    st.integers(0, 100) | st.sampled_from([0.5, 99.9]),
)
def test_on_bound_values_every_histogram_percentile_is_exact(values, q):
    assert histogram_percentiles(histogram(values), (q,)) == percentiles(values, (q,))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(0, LAST), min_size=1, max_size=80), st.integers(0, 100))
def test_histogram_percentile_is_the_bound_of_the_exact_ones_bucket(values, q):
    exact = percentiles(values, (q,))[q]
    answer = histogram_percentiles(histogram(values), (q,))[q]
    assert answer == LATENCY_BUCKETS_MS[bucket_index(exact)]
    assert exact <= answer


def test_the_overflow_slot_answers_the_last_bound():
    values = [10, 500_000, 600_000]
    hist = histogram(values)
    assert hist[-1] == 2
    assert histogram_percentiles(hist, (0, 50, 99)) == {0: 10.0, 50: LAST, 99: LAST}
    # The exact values are above it: the last bound there reads "more than".
    assert percentiles(values, (50, 99)) == {50: 500_000.0, 99: 600_000.0}
    assert histogram_percentiles(histogram([LAST + 1]), (50,)) == {50: LAST}


def test_histogram_percentiles_of_an_empty_histogram_are_none():
    assert histogram_percentiles([]) == {50: None, 95: None, 99: None}
    assert histogram_percentiles([0] * SLOTS, qs=(50,)) == {50: None}


def test_histogram_percentiles_read_short_stored_histograms():
    # Two slots stored: one call at <= 1 ms, three at <= 2 ms.
    assert histogram_percentiles([1, 3], qs=(25, 26, 100)) == {25: 1.0, 26: 2.0, 100: 2.0}
