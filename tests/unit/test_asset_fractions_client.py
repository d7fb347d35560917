"""The ``AssetFractions`` client reads what the token's constructor fixed for good only once."""

from __future__ import annotations

from typing import Any

from chain.contracts.asset_fractions import AssetFractions

TOKEN = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"


def test_name_and_symbol_are_read_once_per_client() -> None:
    calls: list[str] = []

    class Counted(AssetFractions):
        def call(self, fn: str, *args: Any, **kwargs: Any) -> Any:  # noqa: ARG002 - a stand-in for the node
            calls.append(fn)
            return {"name": "Shanghai Flat 12", "symbol": "SHF12"}[fn]

    class Client:
        def register_abi(self, abi: Any) -> None:
            pass

    token = Counted(Client(), TOKEN, [])  # type: ignore[arg-type]

    assert [token.names() for _ in range(3)] == [("Shanghai Flat 12", "SHF12")] * 3
    assert calls == ["name", "symbol"]
