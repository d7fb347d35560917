"""``GatewayDirectory`` reducer: registration, rotation (the key in force comes with the event), removal."""

from __future__ import annotations

from chain.reducers import REDUCERS, Event

DIRECTORY = REDUCERS["GatewayDirectory"]
BANK = "0x" + "ba" * 20
K1, K2, K3 = ("0x" + f"{i:02x}" * 32 for i in (1, 2, 3))
ZERO = "0x" + "00" * 32


def ev(n: int, name: str, **args: object) -> Event:
    return Event(
        key=f"{n:012d}/000000/000000", contract="GatewayDirectory", address=BANK, name=name, args=args, block_number=n
    )


def test_register_rotate_and_remove() -> None:
    s = DIRECTORY.fold([ev(1, "GatewaySet", member=BANK, endpoint="https://gw.bank.example", transportKey=K1)])
    g = s.gateways[BANK]
    assert (g.endpoint, g.transport_key, g.next_key, g.next_from) == ("https://gw.bank.example", K1, ZERO, 0)
    s = DIRECTORY.fold([ev(2, "TransportKeyStaged", member=BANK, transportKey=K1, nextKey=K2, activeFrom=5000)], s)
    assert (s.gateways[BANK].next_key, s.gateways[BANK].next_from) == (K2, 5000)
    # staged again after K2 applied: the event says K2 is in force
    s = DIRECTORY.fold([ev(3, "TransportKeyStaged", member=BANK, transportKey=K2, nextKey=K3, activeFrom=9000)], s)
    assert (s.gateways[BANK].transport_key, s.gateways[BANK].next_key) == (K2, K3)
    s = DIRECTORY.fold([ev(4, "GatewayRemoved", member=BANK)], s)
    assert s.gateways == {}
    assert s.anomalies == []


def test_events_without_a_gateway_are_anomalies() -> None:
    s = DIRECTORY.fold(
        [
            ev(1, "TransportKeyStaged", member=BANK, transportKey=K1, nextKey=K2, activeFrom=1),
            ev(2, "GatewayRemoved", member=BANK),
        ]
    )
    assert len(s.anomalies) == 2
    assert "has no gateway" in s.anomalies[0]
