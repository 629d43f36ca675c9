"""Latency buckets: the upper bounds (milliseconds) of the histogram each hourly rollup keeps,
so percentiles stay available after the raw calls are pruned. Pure Python."""

from bisect import bisect_left

# Roughly x1.5 apart from 1 ms to 2 min; the last bucket takes everything slower.
LATENCY_BUCKETS_MS: tuple[float, ...] = (
    1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750,
    1_000, 1_500, 2_000, 3_000, 5_000, 7_500, 10_000, 15_000, 30_000, 60_000, 120_000,
)  # fmt: skip


def bucket_index(latency_ms: float) -> int:
    """The histogram slot of one latency: the first bucket whose bound is not below it;
    len(LATENCY_BUCKETS_MS) for anything slower than the last bound."""
    return bisect_left(LATENCY_BUCKETS_MS, latency_ms)
