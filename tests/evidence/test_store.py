"""Content stores: the local content-addressed store (atomic, sharded, de-duplicated, streaming) and the
IPFS backend against a real js-ipfs node that the fixture starts and stops."""

from __future__ import annotations

import hashlib
import os

import httpx
import pytest

from node_api.problems import EvidenceContentUnavailableError, EvidenceTooLargeError
from node_api.services.evidence.store import (
    IPFS_ADD_PARAMS,
    RAW_CID_MAX,
    IpfsContentStore,
    LocalContentStore,
    raw_cid,
)
from node_api.settings import EvidenceSettings
from tests.evidence.conftest import sha


def put(store, data: bytes, max_bytes: int = 10_000_000, chunk: int = 65_536):
    up = store.begin(max_bytes)
    for i in range(0, len(data), chunk):
        up.write(data[i : i + chunk])
    return store.commit(up)


def test_local_store_names_files_by_sha256_in_shards_and_deduplicates(tmp_path):
    store = LocalContentStore(tmp_path)
    data = os.urandom(300_000)
    a = put(store, data)
    assert a.digest == hashlib.sha256(data).digest()
    assert a.size == len(data)
    h = a.digest.hex()
    path = tmp_path / "sha256" / h[:2] / h[2:4] / h
    assert path.read_bytes() == data
    b = put(store, data)
    assert b.digest == a.digest
    assert [p for p in (tmp_path / "sha256").rglob("*") if p.is_file()] == [path]
    assert list((tmp_path / "tmp").iterdir()) == []  # temp files renamed or dropped
    assert b"".join(store.open(digest=a.digest, cid=None)) == data


def test_local_store_cid_is_raw_cidv1_up_to_256_kib_and_none_above(tmp_path):
    store = LocalContentStore(tmp_path)
    small = put(store, b"x" * RAW_CID_MAX)
    assert small.cid == raw_cid(small.digest)
    assert small.cid.startswith("bafkrei")
    assert put(store, b"x" * (RAW_CID_MAX + 1)).cid is None


def test_local_store_refuses_uploads_over_the_limit_and_leaves_nothing(tmp_path):
    store = LocalContentStore(tmp_path)
    with pytest.raises(EvidenceTooLargeError):
        put(store, b"y" * 1001, max_bytes=1000)
    assert list((tmp_path / "tmp").iterdir()) == []
    assert not (tmp_path / "sha256").exists()
    with pytest.raises(EvidenceContentUnavailableError):
        store.open(digest=b"\1" * 32, cid=None)


def test_settings_choose_the_store(tmp_path):
    from node_api.services.evidence import make_store
    from node_api.settings import GatewaySettings

    local = make_store(GatewaySettings(data_dir=tmp_path))
    assert isinstance(local, LocalContentStore)
    assert local.root == tmp_path / "evidence"
    ipfs = make_store(GatewaySettings(data_dir=tmp_path, evidence=EvidenceSettings(store="ipfs")))
    assert isinstance(ipfs, IpfsContentStore)
    ipfs.close()


def test_ipfs_store_adds_and_fetches_through_a_real_node_and_cids_are_the_nodes(ipfs_node, tmp_path):
    store = IpfsContentStore(ipfs_node.api_url, spool_dir=tmp_path / "spool")
    try:
        assert store.version()
        for size in (0, 1000, RAW_CID_MAX, RAW_CID_MAX + 1, 3 * RAW_CID_MAX + 17):
            data = os.urandom(size)
            stored = put(store, data)
            assert stored.digest == hashlib.sha256(data).digest()
            assert stored.size == size
            # the node, asked independently (only-hash, same parameters), names the bytes with the same CID
            r = httpx.post(
                ipfs_node.api_url + "/api/v0/add",
                params={**IPFS_ADD_PARAMS, "only-hash": "true"},
                files={"file": ("again", data)},
                timeout=30,
            )
            assert r.status_code == 200, r.text
            node_cid = r.json()["Hash"] if "\n" not in r.text.strip() else None
            assert stored.cid == node_cid
            if size <= RAW_CID_MAX:
                assert stored.cid == raw_cid(stored.digest)  # the local store's CID rule holds
            assert b"".join(store.open(digest=stored.digest, cid=stored.cid)) == data
        assert list((tmp_path / "spool").iterdir()) == []
    finally:
        store.close()


def test_gateway_on_ipfs_records_the_nodes_cid_and_serves_the_bytes(ipfs_node, gw_chain, chain_snapshot, tmp_path):
    from fastapi.testclient import TestClient

    from node_api.app import create_app
    from tests.evidence.conftest import EvidenceGateway, gateway_settings

    node, deployments = gw_chain
    settings = gateway_settings(
        node,
        deployments,
        tmp_path / "gw",
        f"sqlite:///{tmp_path / 'g.sqlite'}",
        evidence=EvidenceSettings(store="ipfs", ipfs_url=ipfs_node.api_url, batch_size=4, batch_seconds=0.2),
    )
    with TestClient(create_app(settings)) as client:
        egw = EvidenceGateway(client)
        bank = egw.key("bank")
        data = os.urandom(600_000)
        r = client.post("/evidence", content=data, headers={**bank, "Idempotency-Key": "ipfs-1"})
        assert r.status_code == 202, r.text
        ev = r.json()["evidence"][0]
        assert ev["store"] == "ipfs"
        assert ev["digest"] == sha(data)
        cat = httpx.post(ipfs_node.api_url + "/api/v0/cat", params={"arg": ev["cid"]}, timeout=30)
        assert cat.content == data  # the node holds the bytes under the recorded CID
        got = client.get(f"/evidence/{ev['id']}/content", headers=egw.key("court"))
        assert got.status_code == 200
        assert got.content == data
        receipt = egw.wait_anchored(bank, [ev["id"]])[ev["id"]]["receipt"]
        assert receipt["cid"] == ev["cid"]
        assert receipt["digest"] == sha(data)


def test_unreachable_ipfs_node_is_a_502_problem_and_nothing_is_recorded(gw_chain, chain_snapshot, tmp_path):
    from fastapi.testclient import TestClient
    from sqlmodel import Session, func, select

    from node_api.app import create_app
    from node_api.db.evidence_models import EvidenceItem
    from tests.conftest import free_port
    from tests.evidence.conftest import EvidenceGateway, gateway_settings

    node, deployments = gw_chain
    settings = gateway_settings(
        node,
        deployments,
        tmp_path / "gw",
        f"sqlite:///{tmp_path / 'g.sqlite'}",
        evidence=EvidenceSettings(store="ipfs", ipfs_url=f"http://127.0.0.1:{free_port()}", ipfs_timeout=2),
    )
    with TestClient(create_app(settings)) as client:
        egw = EvidenceGateway(client)
        r = client.post("/evidence", content=b"doc", headers={**egw.key("bank"), "Idempotency-Key": "down"})
        assert r.status_code == 502
        assert r.json()["code"] == "EVD-502"
        with Session(egw.state.engine) as s:
            assert s.exec(select(func.count()).select_from(EvidenceItem)).one() == 0
        assert list((tmp_path / "gw" / "evidence" / "spool").iterdir()) == []
