"""When to push: only when the value moved by more than a deviation threshold, or a heartbeat passed.

Both rules compare with the report on chain (the source of truth every operator reads alike), so all
operators take the same decision for a round.
"""

from __future__ import annotations

from dataclasses import dataclass

from chain.eip712 import Report

__all__ = ["Decision", "PushPolicy"]


@dataclass(frozen=True)
class Decision:
    push: bool
    reason: str


@dataclass(frozen=True)
class PushPolicy:
    """Push when ``|new - old| / |old|`` is strictly more than ``deviation_bps`` basis points, or when at
    least ``heartbeat_s`` seconds separate the new observation from the one on chain, or when nothing is
    on chain yet. Integer arithmetic only (values are minor units)."""

    deviation_bps: int = 50
    heartbeat_s: int = 3600

    def __post_init__(self) -> None:
        if isinstance(self.deviation_bps, bool) or not isinstance(self.deviation_bps, int) or self.deviation_bps < 0:
            raise ValueError(f"deviation_bps must be a non-negative integer, got {self.deviation_bps!r}")
        if isinstance(self.heartbeat_s, bool) or not isinstance(self.heartbeat_s, int) or self.heartbeat_s < 0:
            raise ValueError(f"heartbeat_s must be a non-negative integer, got {self.heartbeat_s!r}")

    def decide(self, previous: Report | None, *, value: int, observed_at: int) -> Decision:
        if previous is None:
            return Decision(True, "first value")
        if observed_at <= previous.observed_at:
            return Decision(False, f"observation {observed_at} is not newer than {previous.observed_at} on chain")
        moved = abs(value - previous.value)
        base = abs(previous.value)
        if moved * 10_000 > base * self.deviation_bps:
            shown = f"{moved * 10_000 / base:.1f}" if base else "inf"
            return Decision(True, f"moved {shown} bps > {self.deviation_bps} bps")
        age = observed_at - previous.observed_at
        if age >= self.heartbeat_s:
            return Decision(True, f"heartbeat: {age} s since the value on chain >= {self.heartbeat_s} s")
        return Decision(False, f"moved {moved} minor units (within {self.deviation_bps} bps), {age} s < heartbeat")
