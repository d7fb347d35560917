"""``IndexCheck``'s merge of the chain's events with a gateway's, against a fake gateway (``httpx.MockTransport``):
pages read only as the merge needs them, each kind of mismatch named, the gateway's JSON forms and its redaction
of bidders' addresses understood."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from chain.events import DecodedEvent
from chain.reducers.consortium import ConsortiumState, Member
from chain.replay.index import IndexCheck, IndexReadError, event_json

ALICE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
BOB = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
AUCTION = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"


def _event(block: int, contract: str = "SettlementToken", name: str = "Transfer", **args: Any) -> DecodedEvent:
    address = AUCTION if contract == "JudicialAuction" else TOKEN
    return DecodedEvent(
        key="%012d/%06d/%06d" % (block, 0, 0),  # noqa: UP031 - the EventKey form
        contract=contract,
        address=address,
        name=name,
        args=args or {"from": ALICE, "to": BOB, "value": block},
        block_number=block,
        block_hash="0x" + "00" * 32,
        tx_hash="0x" + "11" * 32,
        tx_index=0,
        log_index=0,
    )


def _indexed(event: DecodedEvent, **override: Any) -> dict[str, Any]:
    return {"key": event.key, "block_number": event.block_number, **event_json(event), **override}


class FakeGateway:
    """``GET /events`` over ``events`` (pages of ``limit`` after ``after``); every list endpoint empty."""

    def __init__(self, events: list[dict[str, Any]], status: int = 200) -> None:
        self.events, self.status = events, status
        self.pages: list[str | None] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.status != 200:
            return httpx.Response(self.status, json={"code": "AUTH-002"})
        assert request.headers["authorization"] == "Bearer rk_test"
        if request.url.path != "/events":
            return httpx.Response(200, json={"data": [], "count": 0})
        after, limit = request.url.params.get("after"), int(request.url.params["limit"])
        self.pages.append(after)
        rest = [e for e in self.events if after is None or e["key"] > after]
        page = rest[:limit]
        more = len(rest) > limit
        return httpx.Response(
            200, json={"data": page, "count": len(page), "next_after": page[-1]["key"] if more else None}
        )


def _check(gateway: FakeGateway, **kwargs: Any) -> IndexCheck:
    client = httpx.Client(transport=httpx.MockTransport(gateway))
    return IndexCheck("http://gw.test", "rk_test", client=client, **kwargs)


def test_a_whole_index_matches_and_pages_are_read_as_needed() -> None:
    chain = [_event(b) for b in range(1, 8)]
    gateway = FakeGateway([_indexed(e) for e in chain])
    check = _check(gateway, page=3)

    check.see(chain[0])
    assert gateway.pages == [None]  # one page, not the whole index
    for e in chain[1:]:
        check.see(e)

    assert check.finish({}) == []
    assert (check.chain_events, check.index_events, check.matched) == (7, 7, 7)
    assert gateway.pages == [None, chain[2].key, chain[5].key]


def test_missing_extra_and_altered_events_are_named() -> None:
    chain = [_event(b) for b in (1, 2, 4)]
    extra = _event(3)
    altered = _indexed(chain[2], args={"from": ALICE, "to": BOB, "value": 5}, name="Approval")
    gateway = FakeGateway([_indexed(chain[0]), _indexed(extra), altered])
    check = _check(gateway)

    for e in chain:
        check.see(e)
    found = [(d.entity, d.key, d.field, d.note) for d in check.finish({})]

    assert found == [
        ("event", chain[1].key, "", "on chain, missing from the index"),
        ("event", extra.key, "", "in the index, not on chain"),
        ("event", chain[2].key, "name", "event differs"),
        ("event", chain[2].key, "args", "event differs"),
    ]


def test_index_events_after_the_target_block_are_not_compared() -> None:
    chain = [_event(1)]
    gateway = FakeGateway([_indexed(chain[0]), _indexed(_event(9))])
    check = _check(gateway, to_block=5)

    check.see(chain[0])

    assert check.finish({}) == []


def test_projection_differences_say_when_the_index_is_past_the_target_block() -> None:
    chain = [_event(1)]
    gateway = FakeGateway([_indexed(chain[0]), _indexed(_event(9))])
    check = _check(gateway, to_block=5)
    members = ConsortiumState(members={ALICE: Member(ALICE, "0x" + "00" * 32, 1, 310000, 0, 2)})

    check.see(chain[0])
    found = check.finish({"Consortium": members})

    assert [(d.entity, d.key, d.field) for d in found] == [("member", ALICE, "")]
    assert found[0].note == "missing from the index; the index is past block 5: it answers at its newest block"
    assert check.ahead


def test_json_forms_and_redacted_bidders_match_the_chain() -> None:
    huge = 2**60
    transfer = _event(1, value=huge, **{"from": ALICE, "to": BOB})
    deposit = _event(2, "JudicialAuction", "DepositLocked", lotId=1, bidder=ALICE, code=7, amount=500)
    redacted = _indexed(deposit, args={"lotId": 1, "code": 7, "amount": 500, "bidder_code": "B0007"})
    indexed_transfer = _indexed(transfer)
    assert indexed_transfer["args"]["value"] == str(huge)  # beyond 2**53-1: a decimal string
    gateway = FakeGateway([json.loads(json.dumps(indexed_transfer)), redacted])
    check = _check(gateway)

    check.see(transfer)
    check.see(deposit)

    assert check.finish({}) == []
    assert check.matched == 2


def test_a_refused_read_fails_loudly() -> None:
    check = _check(FakeGateway([], status=403))

    with pytest.raises(IndexReadError, match="GET /events: 403"):
        check.see(_event(1))
