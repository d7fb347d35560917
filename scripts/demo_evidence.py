"""The evidence part of the demo: a collector anchors case documents through the gateway, then a court
verifies a genuine one (verified), an altered copy (mismatch) and an unknown file (not anchored)."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from rich.console import Console

from scripts.demo_common import step as _step
from scripts.demo_gateway import GatewayHandle, fresh_api_key
from scripts.evidence_cli import check_receipt, describe

__all__ = ["CASE_DOCUMENTS", "evidence_demo_steps"]

CASE = "CASE-2026-0042"
CASE_DOCUMENTS: dict[str, bytes] = {
    "loan-contract.pdf": b"%PDF-1.7 loan contract no. 2019-0815, principal 1,200,000.00 CNY",
    "demand-notice.pdf": b"%PDF-1.7 demand notice sent 2026-10-02 by registered mail",
    "contact-log.csv": b"2026-10-05T10:12,call,answered,promised to pay\n2026-10-12T15:40,sms,delivered,reminder\n",
    "call-recording.txt": b"transcript of call 2026-10-05 10:12, 4 min 31 s, consent recorded",
}


def _wait_anchored(http: httpx.Client, auth: dict[str, str], ids: list[str], timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    done: dict[str, Any] = {}
    while len(done) < len(ids):
        for i in ids:
            if i not in done:
                body = http.get(f"/evidence/{i}", headers=auth).json()
                if body["status"] == "anchored":
                    done[i] = body
                elif body["status"] == "failed" or time.monotonic() > deadline:
                    raise RuntimeError(f"evidence {i} was not anchored: {body['status']}")
        time.sleep(0.2)
    return done


def evidence_demo_steps(gw: GatewayHandle, console: Console) -> None:
    collector = {"Authorization": "Bearer " + fresh_api_key(gw.settings, "collector", ["*"])}
    court = {"Authorization": "Bearer " + fresh_api_key(gw.settings, "court", ["evidence:read"])}
    with httpx.Client(base_url=gw.url, timeout=60) as http:
        files = [("file", (name, data, "application/octet-stream")) for name, data in CASE_DOCUMENTS.items()]
        r = http.post(
            "/evidence",
            files=files,
            params={"case_ref": CASE},
            headers={**collector, "Idempotency-Key": f"demo-evidence-{int(time.time())}"},
        )
        r.raise_for_status()
        ids = [e["id"] for e in r.json()["evidence"]]
        _step(console, f"collector POST /evidence with {len(ids)} documents of {CASE} → {r.status_code} (persisted)")
        anchored = _wait_anchored(http, collector, ids)
        receipt = anchored[ids[0]]["receipt"]
        roots = {a["receipt"]["root"] for a in anchored.values()}
        _step(
            console,
            f"evidence: {len(ids)} case documents anchored in {len(roots)} transaction(s), root "
            f"{receipt['root'][:18]}…, block {receipt['block_number']} ({receipt['block_time_iso']})",
        )
        receipt_dir = gw.settings.data_dir / "evidence-demo"
        receipt_dir.mkdir(parents=True, exist_ok=True)
        doc_path = receipt_dir / "loan-contract.pdf"
        doc_path.write_bytes(CASE_DOCUMENTS["loan-contract.pdf"])
        receipt_path = receipt_dir / "loan-contract.receipt.json"
        receipt_path.write_text(json.dumps(receipt, indent=2))
        check_receipt(doc_path, receipt, rpc_url=gw.settings.chain.rpc_url)
        _step(
            console,
            f"receipt checked against the chain alone: recourse verify-receipt {doc_path} {receipt_path} "
            f"--rpc {gw.settings.chain.rpc_url}",
        )
        genuine = CASE_DOCUMENTS["loan-contract.pdf"]
        altered = genuine.replace(b"1,200,000.00", b"1,900,000.00")
        unknown = b"%PDF-1.7 a document nobody anchored"
        for name, data, params in (
            ("loan-contract.pdf (genuine)", genuine, {}),
            ("loan-contract.pdf (altered copy)", altered, {"evidence_id": ids[0]}),
            ("unknown.pdf", unknown, {}),
        ):
            v = http.post(
                "/evidence/verify",
                content=data,
                params=params,
                headers={**court, "Content-Type": "application/octet-stream"},
            ).json()
            _step(console, "court verifies " + describe(name, v))
