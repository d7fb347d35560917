"""Event streams through a real gateway: GET /events paging, SSE resume and filters, webhooks, auth."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.live_gateway import (
    Gateway,
    Receiver,
    World,
    event_json,
    gateway_settings,
    read_sse,
    serve,
    sse_messages,
    wait_until,
)

pytestmark = pytest.mark.chain


@pytest.fixture(scope="module")
def module_gateway(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with serve(gateway_settings(world, tmp_path_factory.mktemp("streams-gw"))) as gw:
        gw.wait_indexed(world.client)
        yield gw


def all_events(gw: Gateway, headers: dict[str, str], **params: str) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    after: str | None = None
    while True:
        query = {**params, "limit": "3", **({"after": after} if after else {})}
        page = gw.get("/events", headers=headers, params=query).json()
        out.extend(page["data"])
        assert page["count"] == len(page["data"])
        after = page["next_after"]
        if after is None:
            return out


def test_events_are_paged_in_key_order(world: World, module_gateway: Gateway) -> None:
    gw = module_gateway
    headers = gw.key("collector", ["events:read"])
    # beyond 2**53: sent as a decimal string
    world.recourse.token.mint(world.sender("bank"), world.address("collector"), 2**60, reference="big")
    gw.wait_indexed(world.client)

    events = all_events(gw, headers)
    keys = [e["key"] for e in events]
    assert keys == sorted(keys)
    assert len(keys) == len(set(keys)) == len(world.raw_logs())
    big = [e for e in events if e["type"] == "SettlementToken.Transfer" and e["args"]["value"] == str(2**60)]
    assert len(big) == 1
    assert big[0]["args"]["to"] == world.address("collector")  # checksummed
    admitted = next(e for e in events if e["name"] == "MemberAdmitted")
    assert isinstance(admitted["args"]["roles"], int)
    assert str(admitted["args"]["nameDigest"]).startswith("0x")
    assert len(str(admitted["args"]["nameDigest"])) == 66

    page = gw.get("/events", headers=headers, params={"after": keys[2], "limit": "2"}).json()
    assert [e["key"] for e in page["data"]] == keys[3:5]

    only = all_events(gw, headers, contract="SettlementToken", event="Transfer,SettlementIssued")
    assert {e["type"] for e in only} == {"SettlementToken.Transfer", "SettlementToken.SettlementIssued"}

    # readiness and metrics report the indexer's lag
    ready = gw.get("/readyz").json()
    assert ready["indexer_lag"] == 0
    assert "recourse_indexer_lag_blocks 0.0" in gw.get("/metrics", headers=gw.key("auditor", ["metrics:read"])).text


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"contract": "NoSuchContract"}, "contract"),
        ({"event": "NoSuchEvent"}, "event"),
        ({"event": "Consortium.Transfer"}, "event"),
        ({"event": "bad name!"}, "event"),
    ],
)
def test_unknown_filters_are_422_problems(module_gateway: Gateway, params: dict[str, str], field: str) -> None:
    headers = module_gateway.key("bank", ["events:read"])
    for path in ("/events", "/events/stream"):
        r = module_gateway.get(path, headers=headers, params=params)
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "GEN-422"
        assert r.json()["field"] == field


def test_malformed_cursors_are_422_problems(module_gateway: Gateway) -> None:
    headers = module_gateway.key("bank", ["events:read"])
    r = module_gateway.get("/events", headers=headers, params={"after": "12/3/4"})
    assert r.status_code == 422
    assert r.json()["code"] == "GEN-422"
    r = module_gateway.get("/events/stream", headers={**headers, "Last-Event-ID": "not-a-key"})
    assert r.status_code == 422
    assert r.json()["code"] == "GEN-422"


def test_sse_resume_by_event_key_misses_nothing_and_repeats_nothing(world: World, module_gateway: Gateway) -> None:
    gw = module_gateway
    headers = gw.key("investor", ["events:read"])
    url = gw.url + "/events/stream"
    stored = [e["key"] for e in all_events(gw, headers)]
    assert len(stored) >= 6

    first = read_sse(url, headers, 4)
    hub = gw.state.services.events
    wait_until(lambda: hub.open_streams == 0, timeout=5, what="the stream to end after the client disconnected")
    assert [m["id"] for m in first] == stored[:4]

    # live events while nobody listens, then resume with Last-Event-ID
    for amount in (31, 32, 33):
        world.transfer("bank", "investor", amount)
    gw.wait_indexed(world.client)
    total = len(all_events(gw, headers))
    rest = read_sse(url, {**headers, "Last-Event-ID": first[-1]["id"]}, total - 4)
    keys = [m["id"] for m in first + rest]
    assert keys == [e["key"] for e in all_events(gw, headers)]
    assert len(keys) == len(set(keys))
    last = rest[-1]
    assert last["event"] == "SettlementToken.Transfer"
    assert json.loads(last["data"])["args"]["value"] == 33

    # ?after= works the same, and a stream tails events indexed after it was opened
    with httpx.stream("GET", url, headers=headers, params={"after": keys[-1]}, timeout=20) as r:
        messages = sse_messages(r.iter_lines())
        world.transfer("bank", "collector", 34)
        live = next(messages)
        assert live["id"] > keys[-1]
        assert json.loads(live["data"])["args"]["value"] == 34
    wait_until(lambda: hub.open_streams == 0, timeout=5, what="the live stream to end")


def test_sse_filters_by_contract_and_event(world: World, module_gateway: Gateway) -> None:
    gw = module_gateway
    headers = gw.key("bank", ["events:read"])
    url = gw.url + "/events/stream"
    consortium = all_events(gw, headers, contract="Consortium")
    msgs = read_sse(url + "?contract=Consortium", headers, len(consortium))
    assert [m["id"] for m in msgs] == [e["key"] for e in consortium]
    assert all(m["event"].startswith("Consortium.") for m in msgs)

    admitted = all_events(gw, headers, event="MemberAdmitted")
    with httpx.stream(
        "GET", url, headers=headers, params=[("event", "MemberAdmitted"), ("limit", str(len(admitted)))], timeout=20
    ) as r:
        msgs = list(sse_messages(r.iter_lines()))  # limit ends the stream by itself
    assert [m["event"] for m in msgs] == ["Consortium.MemberAdmitted"] * len(admitted)
    assert len(admitted) == 3

    both = all_events(gw, headers, event="SettlementToken.SettlementIssued,MemberAdmitted")
    msgs = read_sse(url + "?event=SettlementToken.SettlementIssued,MemberAdmitted", headers, len(both))
    assert {m["event"] for m in msgs} == {"SettlementToken.SettlementIssued", "Consortium.MemberAdmitted"}


def test_sse_stream_ends_with_timeout_and_on_shutdown(world: World, gateway_factory) -> None:
    with gateway_factory(world) as gw:
        headers = gw.key("bank", ["events:read"])
        with httpx.stream("GET", gw.url + "/events/stream", headers=headers, params={"timeout": "1"}) as r:
            body = r.read().decode()  # returns: the server ended the stream after its timeout
        assert "\nid: 000000000" in body
        assert ": keep-alive" in body

        hub = gw.state.services.events
        stream = httpx.stream("GET", gw.url + "/events/stream", headers=headers, timeout=20)
        response = stream.__enter__()
        lines = response.iter_lines()
        next(sse_messages(lines))
        assert hub.open_streams == 1
    # leaving the gateway context shut it down with the client still connected
    assert hub.closed
    ended = False
    try:
        for _ in lines:  # the server ended the stream: iteration stops instead of hanging
            pass
        ended = True
    except httpx.HTTPError:  # or the connection was cut mid-stream by the server's graceful timeout
        ended = True
    finally:
        stream.__exit__(None, None, None)
    assert ended
    assert hub.open_streams == 0


def verify(secret: str, body: bytes, header: str) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


def test_webhook_is_signed_and_retried_until_delivered_in_order(
    world: World, module_gateway: Gateway, receiver: Receiver
) -> None:
    gw = module_gateway
    headers = gw.key("collector", ["webhooks:write", "events:read"])
    receiver.respond = lambda n: 500 if n < 3 else 200  # the first three attempts fail
    body = {"url": receiver.url, "contracts": ["SettlementToken"], "events": ["Transfer"]}
    r = httpx.post(gw.url + "/webhooks", headers={**headers, "Idempotency-Key": "hook-1"}, json=body, timeout=10)
    assert r.status_code == 201, r.text
    hook = r.json()
    # the same key and body return the original subscription (secret included); another body is a 409
    again = httpx.post(gw.url + "/webhooks", headers={**headers, "Idempotency-Key": "hook-1"}, json=body, timeout=10)
    assert again.status_code == 201
    assert again.json()["id"] == hook["id"]
    assert again.json()["secret"] == hook["secret"]
    other = {**body, "events": []}
    clash = httpx.post(gw.url + "/webhooks", headers={**headers, "Idempotency-Key": "hook-1"}, json=other, timeout=10)
    assert clash.status_code == 409
    assert clash.json()["code"] == "OPS-409"
    assert clash.json()["webhook_id"] == hook["id"]
    no_key = httpx.post(gw.url + "/webhooks", headers=headers, json=body, timeout=10)
    assert no_key.status_code == 400
    assert no_key.json()["code"] == "OPS-400"
    secret, hook_id, start = hook["secret"], hook["id"], hook["cursor"]
    assert secret.startswith("whsec_")

    for amount in (41, 42, 43):
        world.transfer("bank", "collector", amount)
    gw.wait_indexed(world.client)
    expected = [e["key"] for e in all_events(gw, headers, event="Transfer") if e["key"] > start]
    assert len(expected) == 3

    wait_until(lambda: len(receiver.delivered) >= 3, what="three deliveries")
    first_key = receiver.requests[0].headers["x-recourse-event-key"]
    assert [q.headers["x-recourse-event-key"] for q in receiver.requests[:4]] == [first_key] * 4
    assert [q.headers["x-recourse-delivery-attempt"] for q in receiver.requests[:4]] == ["1", "2", "3", "4"]
    assert [q.headers["x-recourse-event-key"] for q in receiver.delivered] == expected
    for q in receiver.requests:
        assert verify(secret, q.body, q.headers["x-recourse-signature"])
        assert not verify("wrong-secret", q.body, q.headers["x-recourse-signature"])
        assert q.headers["x-recourse-webhook-id"] == hook_id
        assert q.headers["content-type"] == "application/json"
        body = event_json(q.body)
        assert body["key"] == q.headers["x-recourse-event-key"]
        assert body["type"] == q.headers["x-recourse-event"] == "SettlementToken.Transfer"
    assert [event_json(q.body)["args"]["value"] for q in receiver.delivered] == [41, 42, 43]

    listed = httpx.get(gw.url + "/webhooks", headers=headers, timeout=10).json()["data"]
    mine = next(w for w in listed if w["id"] == hook_id)
    assert "secret" not in mine

    def mine_now() -> dict[str, object]:
        return next(w for w in httpx.get(gw.url + "/webhooks", headers=headers).json()["data"] if w["id"] == hook_id)

    wait_until(lambda: mine_now()["delivered"] == 3, what="the cursor to move past the third delivery")
    mine = mine_now()
    assert mine["cursor"] == expected[-1]
    assert mine["attempts"] == 0
    assert mine["last_error"] is None

    assert httpx.delete(gw.url + f"/webhooks/{hook_id}", headers=headers).status_code == 204
    gone = httpx.delete(gw.url + f"/webhooks/{hook_id}", headers=headers)
    assert gone.status_code == 404
    assert gone.json()["code"] == "GEN-404"


def test_webhook_redirects_are_not_followed(world: World, module_gateway: Gateway, receiver: Receiver) -> None:
    gw = module_gateway
    headers = gw.key("bank", ["webhooks:write"])
    receiver.respond = lambda n: 307 if n < 2 else 200
    hook = httpx.post(
        gw.url + "/webhooks",
        headers={**headers, "Idempotency-Key": "redirects"},
        json={"url": receiver.url, "events": ["SettlementToken.Transfer"]},
    ).json()
    world.transfer("bank", "investor", 51)
    wait_until(lambda: len(receiver.delivered) == 1, what="the delivery after two redirects")
    assert [q.status for q in receiver.requests] == [307, 307, 200]
    keys = {q.headers["x-recourse-event-key"] for q in receiver.requests}
    assert len(keys) == 1  # the same event each time, never a request to the redirect target
    other = gw.key("collector", ["webhooks:write"])
    assert httpx.delete(gw.url + f"/webhooks/{hook['id']}", headers=other).status_code == 404
    assert httpx.delete(gw.url + f"/webhooks/{hook['id']}", headers=headers).status_code == 204


@pytest.mark.parametrize(
    "body",
    [
        {"url": "ftp://example.com/hook"},
        {"url": "not a url at all"},
        {"url": "http:///no-host"},
        {"url": "http://example.com:99999/x"},
        {"url": "https://example.com/hook", "contracts": ["Nope"]},
        {"url": "https://example.com/hook", "after": "12/3/4"},
        {"url": "https://example.com/hook", "start": "yesterday"},
    ],
)
def test_invalid_webhooks_are_422_problems(module_gateway: Gateway, body: dict[str, object]) -> None:
    headers = module_gateway.key("bank", ["webhooks:write"])
    r = httpx.post(module_gateway.url + "/webhooks", headers={**headers, "Idempotency-Key": repr(body)}, json=body)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "GEN-422"


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/events"), ("GET", "/events/stream"), ("GET", "/webhooks"), ("POST", "/webhooks")],
)
def test_auth_missing_key_401_wrong_scope_403_non_member_403(module_gateway: Gateway, method: str, path: str) -> None:
    gw = module_gateway
    body = {"url": "https://example.com/hook"} if method == "POST" else None

    missing = httpx.request(method, gw.url + path, json=body, timeout=10)
    assert missing.status_code == 401
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["code"] == "AUTH-001"

    wrong = httpx.request(method, gw.url + path, json=body, headers=gw.key("bank", ["members:read"]), timeout=10)
    assert wrong.status_code == 403
    assert wrong.json()["code"] == "AUTH-002"

    outsider = httpx.request(method, gw.url + path, json=body, headers=gw.key("court", ["*"]), timeout=10)
    assert outsider.status_code == 403
    assert outsider.json()["code"] == "AUTH-003"


def test_sse_reports_a_reorg_and_rewinds(fresh_world: World, gateway_factory) -> None:
    w = fresh_world
    token = w.recourse.token
    with gateway_factory(w) as gw:
        headers = gw.key("bank", ["events:read"])
        nonce = w.client.nonces(w.address("bank"))[0]
        w.transfer("bank", "investor", 61)
        gw.wait_indexed(w.client)
        head = w.client.block_number()
        with httpx.stream("GET", gw.url + "/events/stream", headers=headers, timeout=20) as r:
            messages = sse_messages(r.iter_lines())
            seen = []
            while not seen or json.loads(seen[-1]["data"]).get("args", {}).get("value") != 61:
                seen.append(next(messages))
            raw = w.signed("bank", token.transfer_request(w.address("collector"), 62), nonce=nonce)
            w.client.rpc.call("anvil_reorg", [1, [[raw, 0]]])
            reorg = next(messages)
            assert reorg["event"] == "reorg"
            assert json.loads(reorg["data"])["ancestor_block"] == head - 1
            assert reorg["id"] == f"{head - 1:012d}/999999/999999"
            replacement = next(messages)
            assert json.loads(replacement["data"])["args"]["value"] == 62
            assert replacement["id"].startswith(f"{head:012d}/")


def test_webhooks_wait_while_the_institution_is_suspended(
    fresh_world: World, gateway_factory, receiver: Receiver
) -> None:
    w = fresh_world
    c = w.recourse.consortium
    investor = w.address("investor")
    with gateway_factory(w) as gw:
        headers = gw.key("investor", ["webhooks:write"])
        created = httpx.post(
            gw.url + "/webhooks",
            headers={**headers, "Idempotency-Key": "suspended"},
            json={"url": receiver.url, "events": ["Transfer"]},
        )
        assert created.status_code == 201
        w.governed(lambda g: c.propose_suspension(g, investor, reason="audit", suspend=True))
        time.sleep(0.6)  # membership answers are re-read at every new block (RoleCache, polled every 50 ms)
        w.recourse.token.mint(w.sender("bank"), w.address("bank"), 5, reference="while suspended")
        gw.wait_indexed(w.client)
        dispatcher = gw.state.services.webhooks
        wait_until(lambda: dispatcher.step() is False, what="an idle dispatcher round")
        assert receiver.requests == []  # nothing is sent to a suspended member

        w.governed(lambda g: c.propose_suspension(g, investor, reason="cleared", suspend=False))
        wait_until(lambda: len(receiver.delivered) == 1, what="the delivery after reinstatement")
        assert event_json(receiver.delivered[0].body)["args"]["value"] == 5
