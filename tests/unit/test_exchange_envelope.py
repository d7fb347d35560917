"""Signed requests and sealed payloads of the gateways' private data exchange: each refusal can happen."""

from __future__ import annotations

from dataclasses import replace

import pytest

from node_api.exchange.envelope import (
    MAX_SKEW_S,
    ExchangeError,
    NonceWindow,
    SignedRequest,
    TransportKey,
    open_sealed,
    seal,
    sign_request,
    verify_request,
)
from node_api.exchange.keys import TransportKeyStore
from tests.conftest import account

COLLECTOR, BANK = account("collector"), account("bank")
BODY = b'{"case_id":"0x01"}'
NOW = 1_800_000_000


def _signed(**kw: object) -> SignedRequest:
    args = {"method": "POST", "path": "/exchange/contacts", "body": BODY, "recipient": BANK.address, "now": NOW}
    args.update(kw)
    return sign_request(COLLECTOR, **args)  # type: ignore[arg-type]


def _verify(req: SignedRequest, *, body: bytes = BODY, seen: NonceWindow | None = None, now: float = NOW) -> str:
    return verify_request(
        req, method="POST", path="/exchange/contacts", body=body, me=BANK.address, seen=seen or NonceWindow(), now=now
    )


def test_a_signed_request_names_its_signer() -> None:
    assert _verify(_signed()) == COLLECTOR.address


def test_the_request_survives_its_headers() -> None:
    req = _signed()
    assert SignedRequest.from_headers(req.headers()) == req


@pytest.mark.parametrize(
    ("tamper", "code"),
    [
        (lambda r: replace(r, path="/exchange/documents"), "XCH-MISMATCH"),
        (lambda r: replace(r, recipient=COLLECTOR.address), "XCH-MISMATCH"),
        (lambda r: replace(r, requester=BANK.address), "XCH-SIGNATURE"),  # claims to be someone else
        (lambda r: replace(r, nonce="00" * 16), "XCH-SIGNATURE"),  # the signed fields changed
        (lambda r: replace(r, signature="0x" + "11" * 65), "XCH-SIGNATURE"),
    ],
)
def test_a_tampered_request_is_refused(tamper, code) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ExchangeError) as err:
        _verify(tamper(_signed()))
    assert err.value.code == code


def test_another_body_than_the_signed_one_is_refused() -> None:
    with pytest.raises(ExchangeError, match="body") as err:
        _verify(_signed(), body=b'{"case_id":"0x02"}')
    assert err.value.code == "XCH-MISMATCH"


@pytest.mark.parametrize("drift", [MAX_SKEW_S + 1, -(MAX_SKEW_S + 1)])
def test_a_stale_or_future_request_is_refused(drift: int) -> None:
    with pytest.raises(ExchangeError) as err:
        _verify(_signed(now=NOW - drift))
    assert err.value.code == "XCH-STALE"
    assert _verify(_signed(now=NOW - drift + (1 if drift > 0 else -1))) == COLLECTOR.address


def test_a_replayed_request_is_refused_once_answered() -> None:
    seen, req = NonceWindow(), _signed()
    assert _verify(req, seen=seen) == COLLECTOR.address
    with pytest.raises(ExchangeError) as err:
        _verify(req, seen=seen, now=NOW + 1)
    assert err.value.code == "XCH-REPLAY"


def test_a_request_without_a_signature_header_is_refused() -> None:
    with pytest.raises(ExchangeError) as err:
        SignedRequest.from_headers({})
    assert err.value.code == "XCH-UNSIGNED"


def test_a_sealed_payload_opens_only_for_its_recipient_and_transfer() -> None:
    bank, other = TransportKey.generate(), TransportKey.generate()
    sealed = seal(b"debtor contacts", bank.public, context=b"transfer-1")
    assert open_sealed(sealed, bank, context=b"transfer-1") == b"debtor contacts"
    for key, context in ((other, b"transfer-1"), (bank, b"transfer-2")):
        with pytest.raises(ExchangeError) as err:
            open_sealed(sealed, key, context=context)
        assert err.value.code == "XCH-SEALED"
    flipped = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(ExchangeError):
        open_sealed(flipped, bank, context=b"transfer-1")


def test_during_a_rotation_both_keys_open() -> None:
    old, new = TransportKey.generate(), TransportKey.generate()
    a = seal(b"sealed to the old key", old.public, context=b"t")
    b = seal(b"sealed to the new key", new.public, context=b"t")
    assert open_sealed(a, [new, old], context=b"t") == b"sealed to the old key"
    assert open_sealed(b, [new, old], context=b"t") == b"sealed to the new key"


def test_each_seal_is_fresh_and_a_key_round_trips() -> None:
    key = TransportKey.generate()
    assert seal(b"x", key.public, context=b"t") != seal(b"x", key.public, context=b"t")
    assert TransportKey.from_bytes(key.private_bytes()).public == key.public
    with pytest.raises(ExchangeError):
        TransportKey.from_bytes(b"short")


def test_the_key_store_keeps_every_key_newest_first(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = TransportKeyStore(tmp_path)
    first = store.current()
    assert store.current().public == first.public  # created once
    second = store.add()
    assert [k.public for k in store.keys()] == [second.public, first.public]
    sealed = seal(b"sealed before the switch", first.public, context=b"t")
    assert open_sealed(sealed, store.keys(), context=b"t") == b"sealed before the switch"
