"""Oracle reports for tests: a valuation with a ±1,000,000 interval, a fixed model version and digest."""

from __future__ import annotations

from chain.eip712 import Report, feed_id, subject_id

__all__ = ["valuation_report"]


def valuation_report(feed: str, subject: str, *, observed_at: int, value: int = 20_000_000) -> Report:
    """The report of ``value`` for ``subject`` on ``feed``, observed at ``observed_at`` (block time)."""
    return Report(
        feed_id(feed),
        subject_id(subject),
        value,
        value - 1_000_000,
        value + 1_000_000,
        b"val-test".ljust(32, b"\0"),
        bytes(range(32)),
        observed_at,
    )
