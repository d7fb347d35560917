"""``GatewayDirectory`` events → each member's gateway endpoint and transport keys (current, staged, from when).

A staged key that applies already is promoted when the member stages the next one; the event carries the key
in force then, so the state never needs block times to know it."""

from __future__ import annotations

from dataclasses import dataclass, field

from chain.reducers._base import Event, Reducer, dispatch, uint, word

__all__ = ["REDUCER", "Gateway", "GatewayDirectoryState"]

CONTRACT = "GatewayDirectory"
ZERO = "0x" + "00" * 32


@dataclass(slots=True)
class Gateway:
    member: str
    endpoint: str
    transport_key: str
    next_key: str = ZERO
    next_from: int = 0
    #: key of the last event that changed it
    updated_key: str = ""


@dataclass
class GatewayDirectoryState:
    gateways: dict[str, Gateway] = field(default_factory=dict)
    anomalies: list[str] = field(default_factory=list)


def _set(s: GatewayDirectoryState, e: Event) -> None:
    a = e.args
    member = a["member"]
    s.gateways[member] = Gateway(member, str(a["endpoint"]), word(a["transportKey"]), updated_key=e.key)


def _staged(s: GatewayDirectoryState, e: Event) -> None:
    a = e.args
    g = s.gateways.get(a["member"])
    if g is None:
        s.anomalies.append(f"{e.key} TransportKeyStaged: {a['member']} has no gateway")
        return
    g.transport_key, g.next_key, g.next_from = word(a["transportKey"]), word(a["nextKey"]), uint(a["activeFrom"])
    g.updated_key = e.key


def _removed(s: GatewayDirectoryState, e: Event) -> None:
    if s.gateways.pop(e.args["member"], None) is None:
        s.anomalies.append(f"{e.key} GatewayRemoved: {e.args['member']} had no gateway")


REDUCER: Reducer[GatewayDirectoryState] = Reducer(
    contract=CONTRACT,
    new_state=GatewayDirectoryState,
    apply=dispatch({"GatewaySet": _set, "TransportKeyStaged": _staged, "GatewayRemoved": _removed}),
    events=frozenset({"GatewaySet", "TransportKeyStaged", "GatewayRemoved"}),
)
