"""Reads served from memory stay right: the member list follows the index, balances follow new blocks."""

from __future__ import annotations

import time

import pytest

from tests.gateway.conftest import set_suspended

pytestmark = pytest.mark.chain


def _collector(gateway, headers):
    r = gateway.http.get("/members", params={"role": "COLLECTOR"}, headers=headers)
    assert r.status_code == 200
    return next(m for m in r.json()["data"] if m["address"] == gateway.address("collector"))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_member_list_follows_the_index(gateway, chain_snapshot):
    headers = gateway.key("auditor", ["members:read"])
    deadline = time.monotonic() + 20
    while not gateway.http.get("/members", headers=headers).json()["count"] and time.monotonic() < deadline:
        time.sleep(0.05)  # the indexer catches up with the deployment first
    assert _collector(gateway, headers)["suspended"] is False
    generation = gateway.state.index_reads.generation()
    assert generation is not None  # the indexer runs in this process: answers are remembered
    set_suspended(gateway.state.recourse, chain_snapshot(), "collector", True)
    deadline = time.monotonic() + 20
    while not _collector(gateway, headers)["suspended"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _collector(gateway, headers)["suspended"] is True
    assert gateway.state.index_reads.generation() != generation


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_readyz_reports_the_block_the_role_cache_holds_for(gateway, chain_snapshot):
    head = chain_snapshot().block_number()
    assert gateway.state.roles.wait_for_block(head)
    ready = gateway.http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["roles_block"] >= head
