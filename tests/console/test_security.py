"""The console's HTTP contract, without a browser: security headers, cookie flags, CSRF, sign-in and sign-out,
pages refused by scope and role, vendored scripts served by the gateway itself."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from starlette.testclient import TestClient

from node_api.console import CSP
from tests.console.conftest import Console

CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')
_open: list[httpx.Client] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _open:
        _open.pop().close()


def _client(console: Console) -> httpx.Client:
    client = httpx.Client(base_url=console.gw.url, timeout=20, follow_redirects=False)
    _open.append(client)
    return client


def _csrf(client: httpx.Client | TestClient, path: str = "/console/login") -> str:
    r = client.get(path)
    assert r.status_code == 200, r.text
    found = CSRF.search(r.text)
    assert found, "the page has no CSRF token"
    return found.group(1)


def _signed_in(console: Console, token: str) -> httpx.Client:
    client = _client(console)
    r = client.post("/console/login", data={"csrf": _csrf(client), "api_key": token})
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/console"
    return client


def test_every_console_response_has_the_strict_headers(console: Console):
    for path in ("/console/login", "/console", "/console/static/console.css", "/console/vendor/htmx.min.js"):
        r = httpx.get(console.gw.url + path, timeout=10)
        assert r.headers["content-security-policy"] == CSP, path
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
    assert "script-src 'self';" in CSP
    assert "'unsafe-inline'" not in CSP
    assert "default-src 'self'" in CSP
    login = httpx.get(console.gw.url + "/console/login", timeout=10)
    assert login.headers["cache-control"] == "no-store"
    # the API itself keeps its own headers
    assert "content-security-policy" not in httpx.get(console.gw.url + "/health/live", timeout=10).headers


def test_vendored_scripts_come_from_node_modules(console: Console):
    htmx = httpx.get(console.gw.url + "/console/vendor/htmx.min.js", timeout=10)
    assert htmx.status_code == 200
    assert "htmx" in htmx.text[:2000]
    assert htmx.headers["content-type"].startswith("text/javascript")
    sse = httpx.get(console.gw.url + "/console/vendor/sse.min.js", timeout=10)
    assert sse.status_code == 200
    assert "sse" in sse.text
    assert httpx.get(console.gw.url + "/console/vendor/other.js", timeout=10).status_code == 404
    page = httpx.get(console.gw.url + "/console/login", timeout=10).text
    assert not re.search(r"""(src|href)=["']https?://""", page), "a page loads something from another origin"
    assert "<script>" not in page
    assert "style=" not in page


def test_cookies_are_httponly_samesite_strict(console: Console):
    client = _client(console)
    r = client.get("/console/login")
    browser_cookie = r.headers["set-cookie"]
    assert browser_cookie.startswith("rc_csrf=")
    assert "HttpOnly" in browser_cookie
    assert "SameSite=strict" in browser_cookie
    assert "Path=/console" in browser_cookie
    assert "Secure" not in browser_cookie  # plain http on 127.0.0.1
    token = CSRF.search(r.text).group(1)  # type: ignore[union-attr]
    r = client.post("/console/login", data={"csrf": token, "api_key": console.token("bank")}, follow_redirects=False)
    session_cookie = [c for c in r.headers.get_list("set-cookie") if c.startswith("rc_session=")]
    assert len(session_cookie) == 1
    assert "HttpOnly" in session_cookie[0]
    assert "SameSite=strict" in session_cookie[0]
    assert console.token("bank")[:10] not in session_cookie[0]  # the cookie is a session id, not the key


def test_the_session_cookie_is_secure_over_https(console: Console):
    app = console.gw.server.config.app  # the running gateway's app, called in process as if behind TLS
    client = TestClient(app, base_url="https://testserver")  # no `with`: the server's lifespan already ran
    token = _csrf(client)
    r = client.post("/console/login", data={"csrf": token, "api_key": console.token("bank")}, follow_redirects=False)
    assert r.status_code == 303, r.text
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("rc_session="))
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie


def test_a_form_without_or_with_a_wrong_csrf_token_is_refused(console: Console):
    client = _client(console)
    token = _csrf(client)
    key = console.token("bank")
    missing = client.post("/console/login", data={"api_key": key})
    assert missing.status_code == 403
    assert "CON-403" in missing.text
    wrong = client.post("/console/login", data={"api_key": key, "csrf": "0" * 64})
    assert wrong.status_code == 403
    assert "CON-403" in wrong.text
    other = _client(console)  # another browser's token (other rc_csrf cookie)
    stolen = other.post("/console/login", data={"api_key": key, "csrf": token})
    assert stolen.status_code == 403
    assert "rc_session" not in client.cookies
    assert "rc_session" not in other.cookies
    signed = _signed_in(console, key)
    # signed in, the pre-sign-in token no longer works (it is bound to the session)
    refused = signed.post("/console/logout", data={"csrf": token})
    assert refused.status_code == 403
    assert "CON-403" in refused.text
    home = signed.get("/console")
    assert home.status_code == 200
    logout = signed.post("/console/logout", data={"csrf": CSRF.search(home.text).group(1)})  # type: ignore[union-attr]
    assert logout.status_code == 303
    assert signed.get("/console").status_code == 303  # signed out: back to the sign-in page


def test_sign_in_refuses_unknown_and_revoked_keys(console: Console):
    client = _client(console)
    r = client.post("/console/login", data={"csrf": _csrf(client), "api_key": "rk_nope.nothing"})
    assert r.status_code == 401
    assert 'id="login-error"' in r.text
    assert "rc_session" not in client.cookies
    # a key revoked while signed in ends the session at the next request
    from sqlmodel import Session

    from node_api.services.apikeys import revoke_api_key

    token = console.token("bank")
    signed = _signed_in(console, token)
    assert signed.get("/console").status_code == 200
    with Session(console.gw.state.engine) as s:
        revoke_api_key(session=s, key_id=token[3:].split(".")[0])
    console.gw.state.keys.invalidate(token[3:].split(".")[0])
    gone = signed.get("/console")
    assert gone.status_code == 303
    assert gone.headers["location"] == "/console/login?reason=bad_key"


def test_pages_follow_the_keys_scopes_and_the_on_chain_roles(console: Console):
    evidence_only = _signed_in(console, console.token("bank", ["evidence:read"]))
    home = evidence_only.get("/console").text
    assert 'href="/console/evidence"' in home
    assert 'href="/console/operations"' not in home
    assert 'href="/console/audit"' not in home
    ops = evidence_only.get("/console/operations")
    assert ops.status_code == 403
    assert 'id="denied"' in ops.text
    assert 'id="operations"' not in ops.text
    # every scope, but the bank holds neither AUDITOR nor REGULATOR on chain
    bank = _signed_in(console, console.token("bank"))
    assert 'href="/console/operations"' in bank.get("/console").text
    audit = bank.get("/console/audit")
    assert audit.status_code == 403
    assert 'id="start-replay"' not in audit.text
    refused = bank.post("/console/audit/replays", data={"csrf": CSRF.search(audit.text).group(1)})  # type: ignore[union-attr]
    assert refused.status_code == 403
    assert 'id="denied"' in refused.text
    auditor = _signed_in(console, console.token("auditor", ["audit:read"]))
    assert auditor.get("/console/audit").status_code == 200
    assert auditor.get("/console/operations").status_code == 403


def test_a_signed_out_visitor_is_sent_to_sign_in(console: Console):
    for path in ("/console", "/console/evidence", "/console/operations", "/console/audit"):
        r = httpx.get(console.gw.url + path, timeout=10, follow_redirects=False)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/console/login"), path


def test_the_live_room_ends_when_the_key_is_revoked(console: Console):
    from sqlmodel import Session

    from node_api.services.apikeys import revoke_api_key

    token = console.token("court", ["auctions:read"])
    client = _signed_in(console, token)
    events: list[str] = []
    with client.stream("GET", f"/console/auctions/{console.lot_id}/live", timeout=httpx.Timeout(10, read=30)) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        assert r.headers["content-security-policy"] == CSP
        lines = r.iter_lines()
        first = next(lines)
        assert first.startswith("retry:")
        key_id = token[3:].split(".")[0]
        with Session(console.gw.state.engine) as s:
            revoke_api_key(session=s, key_id=key_id)
        console.gw.state.keys.invalidate(key_id)
        # ends at the next keep-alive (0.5 s in these tests); a stream left open would fail on the 30 s read timeout
        events.extend(lines)
    assert client.get("/console").status_code == 303


def test_the_live_room_resumes_after_the_last_event_id(console: Console):
    """A reconnecting browser sends the last ``id`` back: the stream goes on after it, nothing shown twice."""
    auctions = console.world.recourse.auctions
    for bidder in ("investor-2", "investor-3"):  # two bids, the second outbidding the first
        amount = auctions.minimum_bid(console.lot_id)
        auctions.send(console.world.sender(bidder), auctions.bid_request(console.lot_id, amount))
    console.gw.wait_indexed(console.world.client)
    client = _signed_in(console, console.token("court", ["auctions:read"]))
    url = f"/console/auctions/{console.lot_id}/live"

    def first_bid(headers: dict[str, str]) -> tuple[str, str]:
        with client.stream("GET", url, headers=headers, timeout=httpx.Timeout(10, read=10)) as r:
            key = ""
            lines = r.iter_lines()
            for line in lines:
                if line.startswith("id: "):
                    key = line[4:]
                if line == "event: bid":
                    return key, next(line for line in lines if line.startswith("data: "))
        raise AssertionError("no bid in the stream")

    first, row = first_bid({})
    assert re.fullmatch(r"\d{12}/\d{6}/\d{6}", first)
    assert f'data-bid="{first}"' in row
    second, row = first_bid({"Last-Event-ID": first})  # as EventSource reconnects
    assert f'data-bid="{second}"' in row
    assert second > first  # resumed after the first bid: the second comes next, the first is not repeated


def test_an_operation_is_shown_only_to_its_institution(console: Console):
    r = console.api_post(
        "bank",
        "/tokens/transfers",
        {"to": console.world.address("collector"), "amount_fen": 1},
        params={"confirm": "true"},
    )
    assert r.status_code == 200, r.text
    op, tx = r.json()["id"], r.json()["tx_hash"]
    page = f"/console/auctions/{console.lot_id}?op={op}"
    bank = _signed_in(console, console.token("bank", ["auctions:read"])).get(page)
    assert bank.status_code == 200
    assert 'id="op-result"' in bank.text
    assert "token.transfer" in bank.text
    court = _signed_in(console, console.token("court", ["auctions:read"])).get(page)
    assert court.status_code == 200
    assert 'id="op-result"' not in court.text
    assert tx not in court.text  # the URL names the id; nothing of the operation is shown
