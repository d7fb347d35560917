"""End-to-end: ``recourse evidence verify`` (the real console script) exits with the documented code of
each answer (0 verified, 3 mismatch, 4 not anchored, 1 no answer) and labels the file's digest and the
anchored one. The gateway is a stand-in answering with the gateway's own ``Verification`` schema (the
real gateway's answers are tested in tests/evidence/)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from node_api.services.evidence.schemas import InstitutionRef, Verification
from scripts.evidence_cli import EXIT_CODES
from tests.support.serve_process import RECOURSE

pytestmark = pytest.mark.e2e

ANCHORED = "0x" + "a1" * 32


def _answer(digest: str, evidence_id: str | None) -> Verification:
    if evidence_id == "ev_genuine":
        return Verification(
            result="verified",
            digest=digest,
            detail="anchored",
            evidence_id="ev_genuine",
            case_ref="R-1",
            block_number=12,
            block_time_iso="2026-01-01T00:00:00Z",
            institution=InstitutionRef(address="0x" + "00" * 20, name="court", name_digest=None),
        )
    if evidence_id == "ev_altered":
        return Verification(
            result="mismatch",
            digest=digest,
            detail=f"these bytes are not evidence ev_altered: its SHA-256 is {ANCHORED}",
            evidence_id="ev_altered",
            expected_digest=ANCHORED,
        )
    return Verification(result="not_anchored", digest=digest, detail="no anchored evidence has this SHA-256")


class _Gateway(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        query = dict(p.split("=", 1) for p in self.path.partition("?")[2].split("&") if p)
        if self.headers.get("Authorization") != "Bearer rk_test.secret":
            status, payload = 401, {"code": "AUTH-001", "detail": "unknown API key"}
        else:
            digest = "0x" + hashlib.sha256(body).hexdigest()
            status, payload = 200, _answer(digest, query.get("evidence_id")).model_dump(mode="json")
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture(scope="module")
def gateway() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _verify(gateway: str, tmp_path: Path, *args: str, key: str = "rk_test.secret") -> subprocess.CompletedProcess[str]:
    doc = tmp_path / "contract.pdf"
    doc.write_bytes(b"%PDF-1.7 loan contract")
    env = {**os.environ, "RECOURSE_GATEWAY_URL": gateway, "RECOURSE_API_KEY": key}
    return subprocess.run(
        [str(RECOURSE), "evidence", "verify", str(doc), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_each_answer_has_its_own_exit_code(gateway: str, tmp_path: Path) -> None:
    own = "0x" + hashlib.sha256(b"%PDF-1.7 loan contract").hexdigest()
    verified = _verify(gateway, tmp_path, "--evidence-id", "ev_genuine")
    assert verified.returncode == EXIT_CODES["verified"] == 0, verified.stderr
    assert "contract.pdf: verified — evidence ev_genuine" in verified.stdout

    mismatch = _verify(gateway, tmp_path, "--evidence-id", "ev_altered")
    assert mismatch.returncode == EXIT_CODES["mismatch"] == 3, mismatch.stderr
    # both digests, each labelled: the file's own first, then the one anchored for that evidence
    assert f"contract.pdf: mismatch — file SHA-256 {own}, evidence ev_altered anchored SHA-256 {ANCHORED}" in (
        mismatch.stdout
    )

    unknown = _verify(gateway, tmp_path)
    assert unknown.returncode == EXIT_CODES["not_anchored"] == 4, unknown.stderr
    assert f"contract.pdf: not anchored — file SHA-256 {own}: no anchored evidence has this SHA-256" in unknown.stdout


def test_no_answer_is_the_one_line_error_and_exit_1(gateway: str, tmp_path: Path) -> None:
    refused = _verify(gateway, tmp_path, key="rk_wrong.key")
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == ["error: AUTH-001 unknown API key"]
    unreachable = _verify("http://127.0.0.1:9", tmp_path)
    assert unreachable.returncode == 1
    assert unreachable.stderr.startswith("error: cannot reach the gateway at http://127.0.0.1:9")
    assert len(unreachable.stderr.strip().splitlines()) == 1
