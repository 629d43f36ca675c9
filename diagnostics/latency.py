"""Latency buckets: the upper bounds (milliseconds) of the histogram each hourly rollup keeps,
so percentiles stay available after the raw calls are pruned. Pure Python."""

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from fractions import Fraction
from itertools import accumulate
from math import ceil, isnan

# Roughly x1.5 apart from 1 ms to 2 min; the last bucket takes everything slower.
LATENCY_BUCKETS_MS: tuple[float, ...] = (
    1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750,
    1_000, 1_500, 2_000, 3_000, 5_000, 7_500, 10_000, 15_000, 30_000, 60_000, 120_000,
)  # fmt: skip


def bucket_index(latency_ms: float) -> int:
    """The histogram slot of one latency: the first bucket whose bound is not below it;
    len(LATENCY_BUCKETS_MS) for anything slower than the last bound."""
    return bisect_left(LATENCY_BUCKETS_MS, latency_ms)


# --- Percentiles ---------------------------------------------------------------------------
# Nearest-rank: the q-th percentile of n values is the smallest value v among them such that at
# least q% of the values are <= v, i.e. the value of rank ceil(q/100 * n) in ascending order
# (rank 1 for q = 0). It always answers one of the values themselves, never an interpolation,
# so the same rule applies unchanged to a histogram (where it answers a bucket's bound).

DEFAULT_QS: tuple[int, ...] = (50, 95, 99)
SLOTS = len(LATENCY_BUCKETS_MS) + 1  # one per bound, and the overflow slot


def _rank(q: float, n: int) -> int:
    """The 1-based nearest rank of the q-th percentile among n > 0 values. q goes through its
    decimal text, so 99.9 of 1000 values is rank 999 exactly, not 1000 from float noise."""
    if isinstance(q, bool) or not 0 <= q <= 100:
        raise ValueError(f"percentile must be between 0 and 100, not {q!r}")
    return max(1, ceil(Fraction(str(q)) * n / 100))


def percentiles(
    values: Iterable[float], qs: Iterable[float] = DEFAULT_QS
) -> dict[int, float | None]:
    """Exact percentiles of raw latencies by the nearest-rank method: for each q in qs, the
    smallest of the values such that at least q% of the values are <= it. Keys are the qs as
    given; every answer is None when there are no values. Any order of values is fine."""
    ordered = sorted(values)
    if any(isnan(value) for value in ordered):
        raise ValueError("latencies must be numbers, not NaN")
    answers: dict[int, float | None] = {}
    for q in qs:
        rank = _rank(q, len(ordered))  # checks q even when there are no values
        answers[q] = float(ordered[rank - 1]) if ordered else None
    return answers


# --- Histograms ----------------------------------------------------------------------------
# A histogram is a list of SLOTS counts: slot i counts the latencies of bucket_index i, the
# last slot those slower than LATENCY_BUCKETS_MS[-1]. Lists stored before a bound was added
# may be shorter: the missing slots count as zeros.


def histogram(values: Iterable[float]) -> list[int]:
    """The histogram (SLOTS counts, by bucket_index) of raw latencies."""
    counts = [0] * SLOTS
    for value in values:
        if isnan(value):
            raise ValueError("latencies must be numbers, not NaN")
        counts[bucket_index(value)] += 1
    return counts


def _checked(hist: Sequence[int]) -> Sequence[int]:
    if len(hist) > SLOTS:
        raise ValueError(f"a latency histogram has at most {SLOTS} slots, not {len(hist)}")
    if any(count < 0 for count in hist):
        raise ValueError("a latency histogram cannot hold negative counts")
    return hist


def histogram_merge(*histograms: Sequence[int]) -> list[int]:
    """The slot-by-slot sum of histograms: always SLOTS counts, shorter (or empty) histograms
    counting as zeros in their missing slots. No histograms at all: SLOTS zeros."""
    merged = [0] * SLOTS
    for hist in histograms:
        for slot, count in enumerate(_checked(hist)):
            merged[slot] += count
    return merged


def histogram_percentiles(
    hist: Sequence[int], qs: Iterable[float] = DEFAULT_QS
) -> dict[int, float | None]:
    """Percentiles of the latencies a histogram counts, by the same nearest-rank rule as
    `percentiles`: the slot holding the value of rank ceil(q/100 * n) answers its bucket's
    upper bound, so the true percentile is at most that bound (and above the previous one).
    On latencies that sit exactly on bucket bounds this equals the exact percentile.

    The overflow slot answers the last bound, LATENCY_BUCKETS_MS[-1]; there it means "more
    than" that bound, not "at most". None for every q when the histogram counts nothing."""
    hist = _checked(hist)
    total = sum(hist)
    answers: dict[int, float | None] = {}
    for q in qs:
        rank = _rank(q, total)  # checks q even when the histogram is empty
        answers[q] = _slot_bound(hist, rank) if total else None
    return answers


def _slot_bound(hist: Sequence[int], rank: int) -> float:
    """The bound of the slot holding the value of the given rank (1 <= rank <= total)."""
    slot = bisect_left(list(accumulate(hist)), rank)
    return float(LATENCY_BUCKETS_MS[min(slot, len(LATENCY_BUCKETS_MS) - 1)])
