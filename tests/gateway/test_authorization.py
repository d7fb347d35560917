"""Authorization matrix: every write route × every institution role × scope → allowed, or 403 problem.

A request is allowed only if the API key's scopes allow the route AND the institution holds the
needed role on chain right now (a suspended member is refused within one block).
"""

from __future__ import annotations

import itertools
import re
import time

import pytest

from chain.contracts.consortium import Role
from tests.gateway.conftest import INSTITUTION_ROLES, set_suspended

pytestmark = pytest.mark.chain

#: write route -> (scope it needs, on-chain role it needs (None: any active member), example body builder)
WRITE_ROUTES = {
    ("POST", "/tokens/transfers"): ("tokens:write", None, lambda gw: {"to": gw.address("court"), "amount_fen": 1}),
    ("POST", "/tokens/mints"): (
        "tokens:mint",
        Role.SETTLEMENT_BANK,
        lambda gw: {"to": gw.address("court"), "amount_fen": 1, "reference": "matrix"},
    ),
    ("POST", "/webhooks"): (
        "webhooks:write",
        None,
        lambda _gw: {"url": "http://127.0.0.1:9/hook", "contracts": [], "events": []},
    ),
}


#: the platform's own routers; domain routers (evidence, cases, oracles, ...) keep their own matrices
PLATFORM_PREFIXES = ("/tokens", "/webhooks", "/members", "/me", "/operations", "/events")


def test_matrix_covers_every_write_route(gateway):
    """A new write route of the platform must be added to the matrix (the test fails otherwise)."""
    spec = gateway.http.get("/openapi.json").json()
    writes = {
        (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method in ops
        if method in ("post", "put", "patch", "delete") and "{" not in path and path.startswith(PLATFORM_PREFIXES)
    }
    assert writes == set(WRITE_ROUTES)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_write_matrix_roles_and_scopes(gateway):
    for (method, path), (scope, role, body) in WRITE_ROUTES.items():
        for institution, roles in INSTITUTION_ROLES.items():
            for with_scope in (True, False):
                scopes = [scope] if with_scope else [s for s in ("tokens:read", "members:read") if s != scope]
                headers = {**gateway.key(institution, scopes), "Idempotency-Key": f"{path}-{institution}-{with_scope}"}
                r = gateway.http.request(method, path, json=body(gateway), headers=headers)
                role_ok = role is None or role in roles
                where = f"{method} {path} as {institution} with_scope={with_scope}"
                if with_scope and role_ok:
                    assert r.status_code in (200, 201, 202), f"{where}: {r.status_code} {r.text}"
                else:
                    assert r.status_code == 403, f"{where}: {r.status_code} {r.text}"
                    assert r.headers["content-type"].startswith("application/problem+json")
                    assert r.json()["code"] == ("AUTH-002" if not with_scope else "AUTH-003")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_star_scope_allows_everything_the_role_allows(gateway):
    headers = gateway.key("collector", ["*"])
    ok = gateway.http.post(
        "/tokens/transfers", json={"to": gateway.address("court"), "amount_fen": 1},
        headers={**headers, "Idempotency-Key": "s1"},
    )  # fmt: skip
    assert ok.status_code == 202
    denied = gateway.http.post(
        "/tokens/mints", json={"to": gateway.address("court"), "amount_fen": 1, "reference": "r"},
        headers={**headers, "Idempotency-Key": "s2"},
    )  # fmt: skip
    assert denied.status_code == 403
    assert denied.json()["code"] == "AUTH-003"
    assert denied.json()["required_role"] == "SETTLEMENT_BANK"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_suspended_member_is_refused_within_one_block(gateway, chain_snapshot):
    headers = gateway.key("collector")
    body = {"to": gateway.address("court"), "amount_fen": 1}
    assert (
        gateway.http.post("/tokens/transfers", json=body, headers={**headers, "Idempotency-Key": "a"}).status_code
        == 202
    )
    roles = gateway.state.roles
    assert roles.cached(gateway.state.institutions["collector"].address, None) is True  # answered from memory
    set_suspended(gateway.state.recourse, chain_snapshot(), "collector", True)
    suspended_in = chain_snapshot().block_number()
    # the role cache re-reads the roles at every new block; the first request after it saw this block is refused
    assert roles.wait_for_block(suspended_in), "the role cache never saw the suspending block"
    r = gateway.http.post("/tokens/transfers", json=body, headers={**headers, "Idempotency-Key": "b"})
    assert r.status_code == 403
    assert r.json()["code"] == "AUTH-003"
    assert "collector" in r.json()["detail"]
    set_suspended(gateway.state.recourse, chain_snapshot(), "collector", False)
    assert roles.wait_for_block(chain_snapshot().block_number())
    again = gateway.http.post("/tokens/transfers", json=body, headers={**headers, "Idempotency-Key": "c"})
    assert again.status_code == 202


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_role_cache_follows_reverts_of_the_chain(gateway, chain_snapshot):
    """A snapshot revert (like a reorg) changes the head hash: the cache re-reads at the new head."""
    probe = chain_snapshot()
    roles = gateway.state.roles
    collector = gateway.state.institutions["collector"].address
    assert roles.check(collector, None) is True
    snap = probe.rpc.call("evm_snapshot")
    set_suspended(gateway.state.recourse, probe, "collector", True)
    assert roles.wait_for_block(probe.block_number())
    assert roles.cached(collector, None) is False
    probe.rpc.call("evm_revert", [snap])
    deadline = time.monotonic() + 10
    while roles.cached(collector, None) is not True and time.monotonic() < deadline:
        time.sleep(0.01)
    assert roles.cached(collector, None) is True


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "AUTH-001"),
        ({"Authorization": "Bearer nonsense"}, "AUTH-001"),
        ({"Authorization": "Bearer rk_000000000000.wrong"}, "AUTH-001"),
        ({"X-API-Key": "rk_abc"}, "AUTH-001"),
    ],
)
def test_missing_or_bad_keys_are_401_problems(gateway, headers, code):
    for path in ("/members", "/me", "/operations", f"/tokens/balances/{gateway.address('bank')}"):
        r = gateway.http.get(path, headers=headers)
        assert r.status_code == 401
        assert r.json()["code"] == code
        assert r.headers["www-authenticate"] == "ApiKey"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_revoked_key_is_refused(gateway):
    from sqlmodel import Session

    from node_api.services.apikeys import list_api_keys, revoke_api_key

    headers = gateway.key("bank")
    assert gateway.http.get("/me", headers=headers).status_code == 200
    with Session(gateway.state.engine) as s:
        key_id = list_api_keys(session=s, institution="bank")[-1].id
        revoke_api_key(session=s, key_id=key_id)  # as `recourse apikeys revoke` does, in another process
    # the in-memory keys are reloaded every api.key_refresh seconds (0.5 s by default)
    deadline = time.monotonic() + 5 * gateway.state.settings.api.key_refresh + 2
    r = gateway.http.get("/me", headers=headers)
    while r.status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.05)
        r = gateway.http.get("/me", headers=headers)
    assert r.status_code == 401
    assert "revoked" in r.json()["detail"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_read_scopes(gateway):
    reads = {"/members": "members:read", "/me": "members:read", "/operations": "operations:read"}
    for (path, scope), other in itertools.product(reads.items(), ["tokens:read"]):
        assert gateway.http.get(path, headers=gateway.key("auditor", [scope])).status_code == 200
        denied = gateway.http.get(path, headers=gateway.key("auditor", [other]))
        assert denied.status_code == 403
        assert denied.json()["code"] == "AUTH-002"


#: POSTs that any active member's key may call whatever its scopes (any member may verify evidence)
ANY_MEMBER_KEY = {("POST", "/evidence/verify")}


def _example_path(path: str) -> str:
    """Fill path parameters with well-formed placeholders (authorization is decided before they are used)."""
    return re.sub(r"\{[^}]+\}", "0x" + "11" * 32, path)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_write_route_of_every_domain_needs_its_scope(gateway):
    """Platform and domain routers alike: a key without the route's scope gets 403 AUTH-002, no key 401."""
    spec = gateway.http.get("/openapi.json").json()
    writes = sorted(
        (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method in ops
        if method in ("post", "put", "patch", "delete")
    )
    assert len(writes) > len(WRITE_ROUTES)  # the domain routers are mounted
    # a key holding only a scope no write route needs; bank and collector hold most domain roles
    for institution in ("bank", "collector"):
        headers = {**gateway.key(institution, ["members:read"]), "Idempotency-Key": f"scope-{institution}"}
        for method, path in writes:
            if (method, path) in ANY_MEMBER_KEY:
                continue
            r = gateway.http.request(method, _example_path(path), json={}, headers=headers)
            where = f"{method} {path} as {institution} with members:read only"
            assert r.status_code == 403, f"{where}: {r.status_code} {r.text}"
            assert r.headers["content-type"].startswith("application/problem+json"), where
            assert r.json()["code"] == "AUTH-002", f"{where}: {r.text}"
    for method, path in writes:
        r = gateway.http.request(method, _example_path(path), json={}, headers={"Idempotency-Key": "anonymous"})
        assert r.status_code == 401, f"{method} {path} without a key: {r.status_code} {r.text}"
        assert r.headers["content-type"].startswith("application/problem+json")
