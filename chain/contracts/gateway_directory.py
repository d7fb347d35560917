"""Typed wrapper of ``GatewayDirectory``: each member's gateway endpoint and X25519 transport key.

Registering or changing a gateway is governed: :meth:`GatewayDirectory.set_gateway_call` is the calldata of
a consortium ``Call`` proposal (``Consortium.propose_call``), executed k-of-n. A member stages its own next
transport key (:meth:`stage_transport_key`) at least ``MIN_ROTATION_NOTICE`` seconds ahead; from then on
:meth:`current_key` is the new key, and the gateway holds both private keys meanwhile, so no payload sealed
during the rotation is lost.
"""

from __future__ import annotations

from dataclasses import dataclass

from chain.client import Receipt, Sender, TxRequest
from chain.contracts._base import BoundContract
from chain.merkle import Bytes32Like, to_bytes32

__all__ = ["GatewayDirectory", "GatewayRecord"]


@dataclass(frozen=True)
class GatewayRecord:
    """A member's gateway as stored (``endpoint`` empty: none)."""

    member: str
    endpoint: str
    transport_key: bytes
    next_key: bytes
    next_from: int
    updated_at: int

    def key_at(self, when: int) -> bytes:
        """The key in force at ``when`` (block time)."""
        return self.next_key if self.next_key != bytes(32) and self.next_from <= when else self.transport_key


class GatewayDirectory(BoundContract):
    contract_name = "GatewayDirectory"

    # --- writes ---

    def set_gateway_call(self, member: str, endpoint: str, transport_key: Bytes32Like) -> bytes:
        """Calldata of ``setGateway``, for a consortium ``Call`` proposal (only the consortium may call it)."""
        return self.request("setGateway", member, endpoint, to_bytes32(transport_key)).data

    def remove_gateway_call(self, member: str) -> bytes:
        return self.request("removeGateway", member).data

    def stage_transport_key_request(self, next_key: Bytes32Like, active_from: int) -> TxRequest:
        return self.request("stageTransportKey", to_bytes32(next_key), active_from)

    def stage_transport_key(self, sender: Sender, next_key: Bytes32Like, active_from: int) -> Receipt:
        """The caller (an active member with a gateway) stages its next key; a refusal raises the decoded error."""
        return sender.transact(self.stage_transport_key_request(next_key, active_from))

    # --- reads ---

    def gateway_of(self, member: str, *, block: int | str = "latest") -> GatewayRecord | None:
        endpoint, key, next_key, next_from, updated_at = self.call("gatewayOf", member, block=block)
        if not endpoint:
            return None
        return GatewayRecord(member, str(endpoint), bytes(key), bytes(next_key), int(next_from), int(updated_at))

    def current_key(self, member: str, *, block: int | str = "latest") -> bytes:
        return bytes(self.call("currentKey", member, block=block))

    def members(self, *, block: int | str = "latest") -> list[str]:
        return [str(a) for a in self.call("members", block=block)]

    def min_rotation_notice(self) -> int:
        return int(self.call("MIN_ROTATION_NOTICE"))
