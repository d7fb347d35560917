"""Evidence against a real gateway process (``recourse serve``): SIGKILL during batching loses and
doubles nothing; a 512 MB upload streams with bounded memory; ``recourse evidence`` talks to the
gateway and ``recourse verify-receipt`` checks a receipt with the gateway stopped."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from chain.merkle import StandardMerkleTree
from chain.network import Recourse
from tests.conftest import account, free_port
from tests.evidence.conftest import api_key, gateway_env, sha
from tests.support.serve_process import RECOURSE
from tests.support.serve_process import ServeProcess as GatewayProcess

pytestmark = pytest.mark.chain
HTTP = httpx.Client(timeout=30, limits=httpx.Limits(max_connections=32))
PER_CALL = 5
CALLS = 120


@pytest.fixture(scope="module", autouse=True)
def _close_http():
    yield
    HTTP.close()


def _digests(n: int) -> list[str]:
    return [sha(f"crash-doc-{n}-{j}".encode()) for j in range(PER_CALL)]


def _post(url: str, headers: dict[str, str], n: int) -> list[str] | None:
    """One acknowledged submission of 5 digests -> their evidence ids; None if the connection died."""
    try:
        r = HTTP.post(
            f"{url}/evidence/digests",
            json={"items": [{"digest": d, "case_ref": f"CR-{n}"} for d in _digests(n)]},
            headers={**headers, "Idempotency-Key": f"crash-{n}"},
        )
    except httpx.HTTPError:
        return None
    assert r.status_code == 202, r.text
    return [e["id"] for e in r.json()["evidence"]]


def _status_counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db, timeout=30) as c:
        return dict(c.execute("select status, count(*) from evidence_items group by status").fetchall())


def test_sigkill_during_batching_anchors_every_acknowledged_digest_exactly_once(gw_chain, chain_snapshot, tmp_path):
    node, deployments_file = gw_chain
    db = tmp_path / "gw.sqlite"
    db_url = f"sqlite:///{db}"
    headers = api_key(db_url, "bank")
    env = gateway_env(node, deployments_file, tmp_path / "gw", db_url, batch_size=40, batch_seconds=0.3)
    gw = GatewayProcess(env, free_port(), tmp_path / "gateway.log")
    client = chain_snapshot()
    start_block = client.block_number()
    acked: dict[int, list[str]] = {}
    try:
        gw.start()
        # round 1: concurrent submissions; SIGKILL while they are acknowledged and batched
        with ThreadPoolExecutor(max_workers=12) as pool:
            futures = {pool.submit(_post, gw.url, headers, n): n for n in range(1, CALLS // 2 + 1)}
            while sum(f.done() for f in futures) < 30:
                time.sleep(0.005)
            gw.kill()
            for f, n in futures.items():
                if (ids := f.result()) is not None:
                    acked[n] = ids
        assert 30 <= len(acked) <= CALLS // 2
        # round 2: restart; the rest, and the unacknowledged ones again with their keys; SIGKILL right
        # after the last acknowledgement while batches close and anchors are in flight
        gw.start()
        missing = [n for n in range(1, CALLS + 1) if n not in acked]
        with ThreadPoolExecutor(max_workers=12) as pool:
            for n, ids in zip(missing, pool.map(lambda n: _post(gw.url, headers, n), missing), strict=True):
                assert ids is not None
                acked[n] = ids
        time.sleep(0.4)  # a batch or two closes
        gw.kill()
        mid = _status_counts(db)
        # round 3: restart and let it finish
        gw.start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            counts = _status_counts(db)
            if counts.get("pending", 0) + counts.get("batched", 0) == 0:
                break
            time.sleep(0.2)
        counts = _status_counts(db)
        assert counts == {"anchored": CALLS * PER_CALL}, (counts, mid)
    finally:
        gw.stop()
    # the chain is the judge: every acknowledged digest is in exactly one anchored tree
    with sqlite3.connect(db) as c:
        trees = {root: json.loads(tree) for root, tree in c.execute("select root, tree from evidence_batches")}
        batch_status = Counter(s for (s,) in c.execute("select status from evidence_batches"))
    recourse = Recourse.load(client, deployments_file)
    events = [
        e
        for e in recourse.evidence.anchored_between(from_block=start_block + 1)
        if e.submitter == account("bank").address
    ]
    roots = ["0x" + e.root.hex() for e in events]
    assert len(roots) == len(set(roots)) == batch_status["anchored"] == len(trees)
    leaves: Counter[str] = Counter()
    for root in roots:
        tree = StandardMerkleTree.load(trees[root])
        assert tree.root_hex == root
        leaves.update("0x" + v.hex() for v in tree.values)
    expected = {d for n in range(1, CALLS + 1) for d in _digests(n)}
    assert set(leaves) == expected
    assert max(leaves.values()) == 1  # nothing doubled
    assert sum(len(ids) for ids in acked.values()) == CALLS * PER_CALL


def _vm(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(field)


def test_512_mb_upload_streams_with_bounded_memory(gw_chain, chain_snapshot, tmp_path):
    node, deployments_file = gw_chain
    db_url = f"sqlite:///{tmp_path / 'gw.sqlite'}"
    headers = api_key(db_url, "bank")
    env = gateway_env(node, deployments_file, tmp_path / "gw", db_url, max_upload_bytes=600 * 2**20)
    gw = GatewayProcess(env, free_port(), tmp_path / "gateway.log")
    total, chunk = 512 * 2**20, 2**20
    block = os.urandom(chunk)
    try:
        gw.start()
        warm = HTTP.post(f"{gw.url}/evidence", content=block, headers={**headers, "Idempotency-Key": "warm"})
        assert warm.status_code == 202, warm.text
        before = _vm(gw.pid, "VmHWM")
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], _vm(gw.pid, "VmRSS"))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample)
        sampler.start()

        def body():
            for i in range(total // chunk):
                yield i.to_bytes(8, "big") + block[8:]

        import hashlib

        h = hashlib.sha256()
        for i in range(total // chunk):
            h.update(i.to_bytes(8, "big") + block[8:])
        r = HTTP.post(
            f"{gw.url}/evidence",
            content=body(),
            headers={**headers, "Idempotency-Key": "big", "Content-Type": "application/octet-stream"},
            timeout=600,
        )
        done.set()
        sampler.join()
        assert r.status_code == 202, r.text
        ev = r.json()["evidence"][0]
        assert ev["size"] == total
        assert ev["digest"] == "0x" + h.hexdigest()
        assert ev["cid"] is None
        after = _vm(gw.pid, "VmHWM")
        growth = after - before
        # the whole document is 512 MiB; the gateway's peak grew by far less than that
        assert growth < 64 * 2**20, f"peak RSS grew by {growth / 2**20:.0f} MiB"
        assert peak[0] < before + 64 * 2**20
        stored = tmp_path / "gw" / "evidence" / "sha256" / ev["digest"][2:4] / ev["digest"][4:6] / ev["digest"][2:]
        assert stored.stat().st_size == total
    finally:
        gw.stop()
        # 512 MiB stored: free the disk now rather than at the end of the session
        shutil.rmtree(tmp_path / "gw" / "evidence", ignore_errors=True)


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The installed ``recourse`` console script, as a user runs it (a new process: slow to import)."""
    return subprocess.run([str(RECOURSE), *args], env=env, capture_output=True, text=True, timeout=300, check=False)


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The same commands in-process (typer's runner): same code path, without the import cost."""
    from typer.testing import CliRunner

    from scripts.evidence_cli import app

    r = CliRunner().invoke(app, list(args), env=env)
    return subprocess.CompletedProcess(list(args), r.exit_code, r.stdout, r.stderr)


def test_cli_submit_verify_and_verify_receipt_with_the_gateway_stopped(gw_chain, chain_snapshot, tmp_path):
    node, deployments_file = gw_chain
    db_url = f"sqlite:///{tmp_path / 'gw.sqlite'}"
    headers = api_key(db_url, "collector")
    env = gateway_env(node, deployments_file, tmp_path / "gw", db_url, batch_size=10, batch_seconds=0.2)
    gw = GatewayProcess(env, free_port(), tmp_path / "gateway.log")
    cli_env = {**env, "RECOURSE_GATEWAY_URL": gw.url, "RECOURSE_API_KEY": headers["Authorization"][7:]}
    notice = tmp_path / "notice.pdf"
    notice.write_bytes(b"%PDF-1.7 demand notice for case R-7")
    call = tmp_path / "call.wav"
    call.write_bytes(b"RIFF call recording R-7")
    altered = tmp_path / "notice-altered.pdf"
    altered.write_bytes(b"%PDF-1.7 demand notice for case R-8")
    receipt_file = tmp_path / "notice.receipt.json"
    try:
        gw.start()
        out = _cli("evidence", "submit", str(notice), str(call), "--case", "R-7", env=cli_env)
        assert out.returncode == 0, out.stderr
        ids = [line.split()[0] for line in out.stdout.splitlines()]
        assert len(ids) == 2
        assert all(i.startswith("ev_") for i in ids)
        deadline = time.monotonic() + 30
        while True:
            r = HTTP.get(f"{gw.url}/evidence/{ids[0]}", headers=headers).json()
            if r["status"] == "anchored":
                break
            assert time.monotonic() < deadline, r
            time.sleep(0.1)
        receipt_file.write_text(HTTP.get(f"{gw.url}/evidence/{ids[0]}/receipt", headers=headers).text)
        ok = _run("evidence", "verify", str(notice), env=cli_env)
        assert ok.returncode == 0, ok.stderr
        assert "verified" in ok.stdout
        assert "R-7" in ok.stdout
        bad = _run("evidence", "verify", str(altered), "--evidence-id", ids[0], env=cli_env)
        assert bad.returncode == 3  # each answer has its own exit code: a script can branch on it
        assert "mismatch" in bad.stdout
        unknown = _run("evidence", "verify", str(tmp_path / "notice.receipt.json"), env=cli_env)
        assert unknown.returncode == 4
        assert "not anchored" in unknown.stdout
        no_key = _run("evidence", "verify", str(notice), env={**cli_env, "RECOURSE_API_KEY": "rk_x.y"})
        assert no_key.returncode == 1
        assert no_key.stderr.count("\n") == 1
        assert "AUTH-001" in no_key.stderr
    finally:
        gw.stop()
    assert gw.proc is not None
    assert gw.proc.poll() is not None
    with pytest.raises(httpx.HTTPError):
        httpx.get(gw.url + "/healthz", timeout=1)
    good = _cli("verify-receipt", str(notice), str(receipt_file), "--rpc", node.url, env=env)
    assert good.returncode == 0, good.stderr
    assert good.stdout.startswith("verified: notice.pdf")
    wrong_file = _run("verify-receipt", str(altered), str(receipt_file), "--rpc", node.url, env=env)
    assert wrong_file.returncode == 1
    assert wrong_file.stderr.startswith("error: mismatch")
    assert wrong_file.stderr.count("\n") == 1
    receipt = json.loads(receipt_file.read_text())
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({**receipt, "block_time": receipt["block_time"] + 3600}))
    lie = _run("verify-receipt", str(notice), str(forged), "--rpc", node.url, env=env)
    assert lie.returncode == 1
    assert "the chain says" in lie.stderr
