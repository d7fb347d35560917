"""What every demo step shares: how a step announces itself, and letting a contract hold rCNY escrow."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.console import Console

if TYPE_CHECKING:  # the demo's modules load lazily: no chain import here
    from chain.contracts._base import BoundContract
    from chain.network import Recourse

__all__ = ["register_system_contract", "step"]


def step(console: Console, text: str) -> None:
    console.print(f"[bold cyan]▶[/] {text}")


def register_system_contract(pick: Callable[[Recourse], BoundContract]) -> str:
    """Governors (2 of 3) let the contract ``pick`` names hold rCNY escrow; returns its address (no-op if done)."""
    from scripts.context import Context
    from scripts.settings import RecourseSettings

    ctx = Context(RecourseSettings())
    try:
        r = ctx.recourse
        address = pick(r).address
        if not r.consortium.is_system_contract(address):
            pid = r.consortium.propose_system_contract(ctx.sender("governor-1"), address, enabled=True)
            r.consortium.approve(ctx.sender("governor-2"), pid)
            r.consortium.execute(ctx.sender("governor-3"), pid)
        return address
    finally:
        ctx.close()
