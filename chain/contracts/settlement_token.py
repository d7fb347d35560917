"""Typed wrapper of ``SettlementToken``: cash in fen (integer minor units of CNY), members only."""

from __future__ import annotations

from eth_utils.crypto import keccak

from chain.client import Receipt, Sender, TxRequest
from chain.contracts._base import BoundContract

__all__ = ["SettlementToken", "format_fen", "parse_amount"]


def parse_amount(text: str) -> int:
    """``"1234.56"`` (yuan) or ``"123456fen"`` → fen. Never goes through float."""
    t = text.strip().removeprefix("¥").replace(",", "").replace("_", "").strip()
    if t.lower().endswith("fen"):
        digits = t[:-3].strip()
        if not digits.isdigit():
            raise ValueError(f"invalid amount {text!r}: fen must be a whole number")
        return int(digits)
    whole, _, frac = t.partition(".")
    if not whole.isdigit() or (frac and not frac.isdigit()) or len(frac) > 2:
        raise ValueError(f"invalid amount {text!r}: use yuan with at most 2 decimals (1234.56) or fen (123456fen)")
    return int(whole) * 100 + int((frac + "00")[:2])


def format_fen(amount: int) -> str:
    sign = "-" if amount < 0 else ""
    a = abs(amount)
    return f"{sign}¥{a // 100:,}.{a % 100:02d}"


class SettlementToken(BoundContract):
    contract_name = "SettlementToken"

    def mint(self, sender: Sender, to: str, amount: int, *, reference: str) -> Receipt:
        return self.transact(sender, "mint", to, amount, keccak(text=reference))

    def burn(self, sender: Sender, amount: int, *, reference: str) -> Receipt:
        return self.transact(sender, "burn", amount, keccak(text=reference))

    def transfer(self, sender: Sender, to: str, amount: int) -> Receipt:
        return self.transact(sender, "transfer", to, amount)

    def transfer_request(self, to: str, amount: int, *, gas: int | None = None) -> TxRequest:
        return self.request("transfer", to, amount, gas=gas)

    def approve(self, sender: Sender, spender: str, amount: int) -> Receipt:
        return self.transact(sender, "approve", spender, amount)

    def transfer_from(self, sender: Sender, owner: str, to: str, amount: int) -> Receipt:
        return self.transact(sender, "transferFrom", owner, to, amount)

    def pause(self, sender: Sender) -> Receipt:
        return self.transact(sender, "pause")

    def unpause(self, sender: Sender) -> Receipt:
        return self.transact(sender, "unpause")

    def balance_of(self, account: str, *, block: int | str = "latest") -> int:
        return int(self.call("balanceOf", account, block=block))

    def total_supply(self, *, block: int | str = "latest") -> int:
        return int(self.call("totalSupply", block=block))

    def paused(self, *, block: int | str = "latest") -> bool:
        return bool(self.call("paused", block=block))

    def decimals(self) -> int:
        return int(self.call("decimals"))
