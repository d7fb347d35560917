"""Evidence through a real gateway on a real chain: submit (streamed, multipart, digests), batch and
anchor, receipts, court verification (verified / mismatch / not anchored), access rules, problems."""

from __future__ import annotations

import hashlib
import json

import pytest

from chain.merkle import StandardMerkleTree
from chain.merkle import verify as merkle_verify
from chain.network import Recourse
from node_api.db.evidence_models import EvidenceBatch
from node_api.db.models import Operation
from node_api.settings import EvidenceSettings
from scripts.evidence_cli import check_receipt
from tests.conftest import account
from tests.evidence.conftest import sha
from tests.unit.test_merkle import merkle_js

pytestmark = pytest.mark.chain


def submit_raw(egw, headers, data: bytes, key: str, **params):
    return egw.http.post(
        "/evidence",
        content=data,
        params=params,
        headers={**headers, "Idempotency-Key": key, "Content-Type": "application/pdf"},
    )


def test_documents_are_stored_batched_anchored_and_verified(egw, chain_snapshot, tmp_path):
    bank = egw.key("bank")
    court = egw.key("court")
    docs = [f"contact log {i} of case C-1".encode() for i in range(5)]
    ids = []
    for i, d in enumerate(docs):
        r = submit_raw(egw, bank, d, f"doc-{i}", case_ref="C-1", filename=f"log{i}.pdf")
        assert r.status_code == 202, r.text
        ev = r.json()["evidence"][0]
        assert ev["digest"] == sha(d)
        assert ev["size"] == len(d)
        assert ev["status"] == "pending"
        assert ev["cid"].startswith("bafkrei")
        ids.append(ev["id"])
    # multipart: two files in one call
    files = [("file", ("a.txt", b"notice A", "text/plain")), ("file", ("b.txt", b"notice B", "text/plain"))]
    r = egw.http.post("/evidence", files=files, params={"case_ref": "C-1"}, headers={**bank, "Idempotency-Key": "mp"})
    assert r.status_code == 202, r.text
    assert [e["digest"] for e in r.json()["evidence"]] == [sha(b"notice A"), sha(b"notice B")]
    ids += [e["id"] for e in r.json()["evidence"]]
    anchored = egw.wait_anchored(bank, ids)
    receipt = anchored[ids[0]]["receipt"]
    assert receipt["digest"] == sha(docs[0])
    assert receipt["case_ref"] == "C-1"
    assert receipt["institution"]["address"] == egw.address("bank")
    assert receipt["institution"]["name"] == "bank"
    assert receipt["block_time"] > 0
    assert receipt["tx_hash"].startswith("0x")
    # the receipt checks against the chain alone
    doc = tmp_path / "doc.pdf"
    doc.write_bytes(docs[0])
    client = chain_snapshot()
    facts = check_receipt(doc, receipt, rpc_url=client.settings.rpc_url)
    assert facts["block_number"] == receipt["block_number"]
    # one anchor transaction per batch; batches never exceed the batch size
    with egw.state.engine.connect() as c:
        from sqlmodel import Session, select

        with Session(bind=c) as s:
            batches = s.exec(select(EvidenceBatch)).all()
            ops = s.exec(select(Operation).where(Operation.kind == "evidence.anchor")).all()
    assert len(ops) == len(batches) >= 1
    assert sum(b.leaf_count for b in batches) == 7
    # the court verifies: genuine, tampered (named evidence id), unknown
    ok = egw.http.post("/evidence/verify", content=docs[1], headers={**court, "Content-Type": "application/pdf"})
    assert ok.status_code == 200, ok.text
    v = ok.json()
    assert v["result"] == "verified"
    assert v["case_ref"] == "C-1"
    assert v["evidence_id"] == ids[1]
    assert v["institution"]["address"] == egw.address("bank")
    assert v["tx_hash"]
    assert v["block_time"]
    assert merkle_verify(v["root"], v["digest"], v["proof"])
    tampered = docs[1].replace(b"contact", b"c0ntact")
    bad = egw.http.post(
        "/evidence/verify",
        content=tampered,
        params={"evidence_id": ids[1]},
        headers={**court, "Content-Type": "application/pdf"},
    ).json()
    assert bad["result"] == "mismatch"
    assert bad["expected_digest"] == sha(docs[1])
    by_case = egw.http.post("/evidence/verify", json={"digest": sha(tampered), "case_ref": "C-1"}, headers=court)
    assert by_case.json()["result"] == "mismatch"
    unknown = egw.http.post("/evidence/verify", json={"digest": sha(b"never submitted")}, headers=court).json()
    assert unknown["result"] == "not_anchored"
    assert unknown["pending"] is False
    # genuine document with its right evidence id and case is verified
    named = egw.http.post("/evidence/verify", json={"digest": sha(docs[2]), "evidence_id": ids[2]}, headers=court)
    assert named.json()["result"] == "verified"


def test_batch_verification_of_1000_digests_and_more_is_a_problem(egw):
    court = egw.key("court", ["members:read"])  # any member key may verify
    bank = egw.key("bank")
    r = egw.http.post(
        "/evidence/digests",
        json={"items": [{"digest": sha(b"known"), "case_ref": "C-2"}]},
        headers={**bank, "Idempotency-Key": "known"},
    )
    assert r.status_code == 202, r.text
    egw.wait_anchored(bank, [r.json()["evidence"][0]["id"]])
    digests = [sha(f"x{i}".encode()) for i in range(999)] + [sha(b"known")]
    body = egw.http.post("/evidence/verify", json={"digests": digests}, headers=court)
    assert body.status_code == 200, body.text
    results = body.json()["results"]
    assert len(results) == 1000
    assert [x["result"] for x in results].count("verified") == 1
    assert results[-1]["result"] == "verified"
    too_many = egw.http.post("/evidence/verify", json={"digests": [*digests, sha(b"one more")]}, headers=court)
    assert too_many.status_code == 422
    assert too_many.json()["code"] == "EVD-422"
    submit_many = egw.http.post(
        "/evidence/digests",
        json={"items": [{"digest": d} for d in [*digests, sha(b"one more")]]},
        headers={**bank, "Idempotency-Key": "too-many"},
    )
    assert submit_many.status_code == 422
    assert submit_many.json()["code"] == "EVD-422"


def test_pending_digest_is_not_anchored_yet(egw, evidence_settings):
    evidence_settings.batch_seconds = 3600  # never due during this test (size 8 not reached)
    bank = egw.key("bank")
    r = egw.http.post(
        "/evidence/digests", json={"items": [{"digest": sha(b"slow")}]}, headers={**bank, "Idempotency-Key": "s"}
    )
    ev_id = r.json()["evidence"][0]["id"]
    v = egw.http.post("/evidence/verify", json={"digest": sha(b"slow")}, headers=bank).json()
    assert v["result"] == "not_anchored"
    assert v["pending"] is True
    receipt = egw.http.get(f"/evidence/{ev_id}/receipt", headers=bank)
    assert receipt.status_code == 409
    assert receipt.json()["code"] == "EVD-409"


def test_non_anchoring_roles_get_403_and_anchor_nothing(egw):
    for name in ("investor", "mediator", "auditor"):
        r = egw.http.post(
            "/evidence/digests",
            json={"items": [{"digest": sha(name.encode())}]},
            headers={**egw.key(name), "Idempotency-Key": name},
        )
        assert r.status_code == 403, r.text
        assert r.json()["code"] == "AUTH-003"
    r = submit_raw(egw, egw.key("investor"), b"doc", "inv")
    assert r.status_code == 403
    # a key without the evidence:write scope
    r = submit_raw(egw, egw.key("bank", ["tokens:read"]), b"doc", "scope")
    from sqlmodel import Session, func, select

    with Session(egw.state.engine) as s:  # nothing was accepted, so nothing will be anchored
        assert s.exec(select(func.count()).select_from(EvidenceBatch)).one() == 0
        from node_api.db.evidence_models import EvidenceItem

        assert s.exec(select(func.count()).select_from(EvidenceItem)).one() == 0
    assert r.status_code == 403
    assert r.json()["code"] == "AUTH-002"


def test_too_large_upload_is_413(egw, evidence_settings):
    bank = egw.key("bank")
    big = b"\0" * (evidence_settings.max_upload_bytes + 1)
    r = submit_raw(egw, bank, big, "big")
    assert r.status_code == 413
    assert r.json()["code"] == "EVD-413"

    def chunked():
        for _ in range(6):
            yield b"\1" * 1_000_000

    r = egw.http.post("/evidence", content=chunked(), headers={**bank, "Idempotency-Key": "big2"})
    assert r.status_code == 413
    assert r.json()["code"] == "EVD-413"
    # nothing was recorded and no temp file is left behind
    store_tmp = egw.state.settings.data_dir / "evidence" / "tmp"
    assert list(store_tmp.iterdir()) == []


def test_idempotent_submission_and_conflict(egw):
    bank = egw.key("bank")
    a = submit_raw(egw, bank, b"same", "k1").json()
    b = submit_raw(egw, bank, b"same", "k1").json()
    assert a["evidence"][0]["id"] == b["evidence"][0]["id"]
    c = submit_raw(egw, bank, b"different", "k1")
    assert c.status_code == 409
    assert c.json()["code"] == "OPS-409"


def test_download_only_for_submitter_courts_and_parties(egw):
    bank = egw.key("bank")
    collector = account("collector").address
    r = submit_raw(egw, bank, b"the loan contract", "dl", case_ref="C-9", parties=[collector])
    ev_id = r.json()["evidence"][0]["id"]
    for name in ("bank", "court", "collector"):
        got = egw.http.get(f"/evidence/{ev_id}/content", headers=egw.key(name))
        assert got.status_code == 200, (name, got.text)
        assert got.content == b"the loan contract"
        assert got.headers["x-evidence-digest"] == sha(b"the loan contract")
    for name in ("investor", "mediator"):
        denied = egw.http.get(f"/evidence/{ev_id}/content", headers=egw.key(name))
        assert denied.status_code == 403
        assert denied.json()["code"] == "EVD-403"
        assert egw.http.get(f"/evidence/{ev_id}", headers=egw.key(name)).status_code == 403
    digest_only = egw.http.post(
        "/evidence/digests", json={"items": [{"digest": sha(b"kept")}]}, headers={**bank, "Idempotency-Key": "kept"}
    ).json()["evidence"][0]["id"]
    none = egw.http.get(f"/evidence/{digest_only}/content", headers=bank)
    assert none.status_code == 404
    assert none.json()["code"] == "EVD-404"
    assert egw.http.get("/evidence/ev_" + "0" * 32, headers=bank).status_code == 404


def test_same_single_document_in_two_batches_is_anchored_once(egw, chain_snapshot):
    """The second batch has the same root: the registry refuses to re-anchor it (revert), and the
    batch settles to the first anchor, so the digest is on chain exactly once."""
    bank = egw.key("bank")
    first = submit_raw(egw, bank, b"lonely", "l1").json()["evidence"][0]["id"]
    a = egw.wait_anchored(bank, [first])[first]["receipt"]
    second = submit_raw(egw, bank, b"lonely", "l2").json()["evidence"][0]["id"]
    b = egw.wait_anchored(bank, [second])[second]["receipt"]
    assert a["root"] == b["root"]
    assert a["tx_hash"] == b["tx_hash"]
    assert a["block_number"] == b["block_number"]
    from sqlmodel import Session, select

    with Session(egw.state.engine) as s:
        ops = s.exec(select(Operation).where(Operation.kind == "evidence.anchor")).all()
    assert sorted(o.status for o in ops) == ["failed", "succeeded"]
    assert next(o for o in ops if o.status == "failed").error_name == "EvidenceRegistryAlreadyAnchored"
    client = chain_snapshot()
    rec = Recourse.load(client, egw.state.settings.deployments_file)
    events = [e for e in rec.evidence.anchored_between(from_block=0) if "0x" + e.root.hex() == a["root"]]
    assert len(events) == 1


def test_gateway_proofs_match_openzeppelin_js_both_ways(egw, chain_snapshot, tmp_path):
    bank = egw.key("bank")
    docs = [f"page {i}".encode() for i in range(7)]
    r = egw.http.post(
        "/evidence/digests",
        json={"items": [{"digest": sha(d)} for d in docs]},
        headers={**bank, "Idempotency-Key": "oz"},
    )
    ids = [e["id"] for e in r.json()["evidence"]]
    receipts = [v["receipt"] for v in egw.wait_anchored(bank, ids).values()]
    root = receipts[0]["root"]
    assert all(x["root"] == root for x in receipts)
    # Recourse proofs verify with OpenZeppelin's JS library ...
    js = merkle_js("verify", {"root": root, "items": [{"value": x["digest"], "proof": x["proof"]} for x in receipts]})
    assert js["results"] == [True] * len(receipts)
    # ... and on chain
    client = chain_snapshot()
    rec = Recourse.load(client, egw.state.settings.deployments_file)
    assert all(rec.evidence.verify(root, x["digest"], x["proof"]) for x in receipts)
    # the stored tree loads in the JS library, and the JS library's proofs pass Recourse's checks
    from sqlmodel import Session

    with Session(egw.state.engine) as s:
        batch = s.get(EvidenceBatch, receipts[0]["batch_id"])
        assert batch is not None
        dump = batch.tree
    loaded = merkle_js("load", {"dump": dump})
    assert loaded["root"] == root
    assert StandardMerkleTree.load(dump).root_hex == root
    for i, value in enumerate(loaded["values"]):
        js_proof = loaded["proofs"][str(i)]
        assert merkle_verify(root, value, js_proof)
        receipt = next(x for x in receipts if x["digest"] == value)
        doc = tmp_path / f"d{i}"
        doc.write_bytes(next(d for d in docs if sha(d) == value))
        check_receipt(doc, {**receipt, "proof": js_proof}, rpc_url=client.settings.rpc_url)
    # a tampered proof fails on chain and in JS
    wrong = [receipts[0]["proof"][0][:-1] + ("0" if receipts[0]["proof"][0][-1] != "0" else "1")]
    wrong += receipts[0]["proof"][1:]
    assert not rec.evidence.verify(root, receipts[0]["digest"], wrong)
    assert merkle_js("verify", {"root": root, "items": [{"value": receipts[0]["digest"], "proof": wrong}]})[
        "results"
    ] == [False]
    assert json.dumps(receipts[0])  # receipts are plain JSON
    assert hashlib.sha256(docs[0]).hexdigest() in {x["digest"][2:] for x in receipts}


@pytest.mark.parametrize(
    "evidence_settings", [EvidenceSettings(batch_size=8, batch_seconds=0.2, enabled=False)], indirect=False
)
def test_batcher_settles_and_counts_what_is_left_in_one_step(egw, evidence_settings):
    """``settle`` commits each settled batch, then counts the batches still out (which decides how soon
    it looks again): the count must not reuse the connection the commit closed."""
    import time

    from node_api.services.evidence import EvidenceBatcher

    state = egw.state
    batcher = EvidenceBatcher(
        engine=state.engine,
        recourse=state.recourse,
        institutions=state.institutions,
        settings=evidence_settings,
        wake_writer=lambda name: state.writer_for(name).wake(),
    )
    bank = egw.key("bank")
    submit_raw(egw, bank, b"settle me", "s1")
    (batch_id,) = batcher.close_due(force=True)
    assert batcher._unsettled == 1
    deadline = time.monotonic() + 30
    settled = 0
    while settled == 0:
        assert time.monotonic() < deadline, "the anchor operation never finished"
        time.sleep(0.05)
        settled = batcher.settle()
    assert settled == 1
    assert batcher._unsettled == 0
    from sqlmodel import Session

    with Session(state.engine) as s:
        assert s.get(EvidenceBatch, batch_id).status == "anchored"


def test_readyz_reports_a_failing_batcher_and_recovers(egw, monkeypatch):
    """A batcher whose step raises keeps serving but makes ``/readyz`` a 503 problem naming it; the
    first step that works again makes the gateway ready again."""
    import time

    assert egw.http.get("/readyz").status_code == 200
    batcher = egw.state.services.evidence.batcher
    real_step = batcher.step

    def broken() -> bool:
        raise RuntimeError("database gone")

    monkeypatch.setattr(batcher, "step", broken)
    batcher.wake()
    deadline = time.monotonic() + 10
    while batcher.healthy:
        assert time.monotonic() < deadline, "the failing step never marked the batcher unhealthy"
        time.sleep(0.02)
    r = egw.http.get("/readyz")
    assert r.status_code == 503
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "GEN-503"
    assert "evidence batcher" in r.json()["detail"]
    monkeypatch.setattr(batcher, "step", real_step)
    batcher.wake()
    deadline = time.monotonic() + 10
    while egw.http.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, "the batcher never recovered"
        time.sleep(0.05)
