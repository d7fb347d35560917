from __future__ import annotations

from chain.reducers import Event
from chain.reducers._base import ZERO_ADDRESS
from chain.reducers.settlement_token import REDUCER
from tests.unit.reducers._events import A, B, C, Script


def transfer(ev: Script, src: str, dst: str, value: int | str) -> Event:
    return ev("Transfer", **{"from": src, "to": dst, "value": value})


def test_mint_transfer_burn() -> None:
    ev = Script("SettlementToken")
    events = [
        transfer(ev, ZERO_ADDRESS, A, 1_000),
        transfer(ev, A, B, 300),
        transfer(ev, B, C, 100),
        transfer(ev, A, ZERO_ADDRESS, 200),
        transfer(ev, C, A, 0),  # a zero transfer changes nothing, not even the keys
    ]
    state = REDUCER.fold(events)
    assert {a: b.amount for a, b in state.balances.items()} == {A: 500, B: 200, C: 100}
    assert state.total_supply == 800 == sum(b.amount for b in state.balances.values())
    assert state.balances[A].updated_key == events[3].key
    assert state.balances[C].updated_key == events[2].key
    assert ZERO_ADDRESS not in state.balances
    assert state.anomalies == []


def test_big_values_in_json_form_and_negative_balances() -> None:
    ev = Script("SettlementToken")
    big = 2**70
    state = REDUCER.fold([transfer(ev, ZERO_ADDRESS, A, str(big)), transfer(ev, B, A, 5)])
    assert state.balances[A].amount == big + 5
    assert state.balances[B].amount == -5
    assert len(state.anomalies) == 1
    assert B in state.anomalies[0]


def test_replay_is_deterministic() -> None:
    ev = Script("SettlementToken")
    events = [transfer(ev, ZERO_ADDRESS, A, 10), transfer(ev, A, B, 3)]
    assert REDUCER.fold(events) == REDUCER.fold(list(events))


def test_a_batch_gives_the_state_event_by_event_gives() -> None:
    ev = Script("SettlementToken")
    events = [transfer(ev, ZERO_ADDRESS, A, 50)] + [transfer(ev, A, (B, C)[i % 2], 1 + i) for i in range(6)]
    events.append(transfer(ev, C, ZERO_ADDRESS, 3))
    batch = REDUCER.run(REDUCER.new_state(), events)
    assert batch == REDUCER.fold(events)
    assert batch.total_supply == 47
