"""Evidence fixtures: the gateway test chain (every demo institution admitted), an in-process gateway
with small, fast batches (SQLite), a real gateway process (``recourse serve``) for crash and memory
tests, and a real js-ipfs node started and stopped by PID."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from chain.client import ChainClient
from chain.config import PROJECT_ROOT
from chain.node import AnvilNode
from node_api.app import create_app
from node_api.db.engine import make_engine, migrate
from node_api.services.apikeys import create_api_key
from node_api.settings import EvidenceSettings
from tests.conftest import free_port
from tests.gateway.conftest import (  # noqa: F401 - fixtures re-used by this directory
    INSTITUTION_ROLES,
    PEPPER,
    Gateway,
    chain_snapshot,
    gateway_settings,
    gw_chain,
    serve_env,
)

IPFS_CLI = PROJECT_ROOT / "node_modules" / "ipfs" / "src" / "cli.js"


def sha(data: bytes) -> str:
    return "0x" + hashlib.sha256(data).hexdigest()


class EvidenceGateway(Gateway):
    def wait_anchored(self, headers: dict[str, str], ids: list[str], timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        out: dict[str, Any] = {}
        while time.monotonic() < deadline:
            for i in ids:
                if i not in out:
                    body = self.http.get(f"/evidence/{i}", headers=headers).json()
                    assert body["status"] != "failed", body
                    if body["status"] == "anchored":
                        out[i] = body
            if len(out) == len(ids):
                return out
            time.sleep(0.1)
        raise AssertionError(f"{len(ids) - len(out)} evidence items never anchored")


@pytest.fixture
def evidence_settings() -> EvidenceSettings:
    return EvidenceSettings(batch_size=8, batch_seconds=0.2, max_upload_bytes=5_000_000)


@pytest.fixture
def egw(
    gw_chain: tuple[AnvilNode, Path],  # noqa: F811 - the imported fixture
    chain_snapshot: Callable[[], ChainClient],  # noqa: F811
    tmp_path: Path,
    evidence_settings: EvidenceSettings,
) -> Iterator[EvidenceGateway]:
    node, deployments = gw_chain
    settings = gateway_settings(
        node, deployments, tmp_path / "gw", f"sqlite:///{tmp_path / 'gateway.sqlite'}", evidence=evidence_settings
    )
    app = create_app(settings)
    with TestClient(app) as client:
        yield EvidenceGateway(client)


# --- a real gateway process -------------------------------------------------------------------------


def gateway_env(node: AnvilNode, deployments: Path, data_dir: Path, db_url: str, **evidence: object) -> dict[str, str]:
    env = serve_env(node, deployments, data_dir, db_url)
    for k, v in evidence.items():
        env[f"RECOURSE_EVIDENCE__{k.upper()}"] = str(v)
    return env


def api_key(db_url: str, institution: str, scopes: list[str] | None = None) -> dict[str, str]:
    engine = make_engine(db_url)
    migrate(engine)
    with Session(engine) as s:
        _, token = create_api_key(session=s, institution=institution, scopes=scopes or ["*"], label="t", pepper=PEPPER)
    engine.dispose()
    return {"Authorization": f"Bearer {token}"}


# --- a real js-ipfs node ------------------------------------------------------------------------------


class IpfsNode:
    """js-ipfs (npm ``ipfs``) with ``init --profile test``, API and gateway on 127.0.0.1 free ports."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="recourse-ipfs-"))
        self.api_port, self.gateway_port = free_port(), free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.env = {**os.environ, "IPFS_PATH": str(self.path / "repo")}

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def start(self) -> None:
        node = shutil.which("node") or "node"
        subprocess.run(
            [node, str(IPFS_CLI), "init", "--profile", "test"], env=self.env, check=True, capture_output=True
        )
        config_file = self.path / "repo" / "config"
        config = json.loads(config_file.read_text())
        config["Addresses"]["API"] = f"/ip4/127.0.0.1/tcp/{self.api_port}"
        config["Addresses"]["Gateway"] = f"/ip4/127.0.0.1/tcp/{self.gateway_port}"
        config["Addresses"]["RPC"] = f"/ip4/127.0.0.1/tcp/{free_port()}"
        config["Addresses"]["Swarm"] = []
        config["Bootstrap"] = []
        config_file.write_text(json.dumps(config))
        with (self.path / "daemon.log").open("ab") as log:
            self.proc = subprocess.Popen(
                [node, str(IPFS_CLI), "daemon", "--enable-preload=false"], env=self.env, stdout=log, stderr=log
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, (self.path / "daemon.log").read_text()[-2000:]
            try:
                if httpx.post(self.api_url + "/api/v0/version", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError("js-ipfs did not start:\n" + (self.path / "daemon.log").read_text()[-2000:])

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        shutil.rmtree(self.path, ignore_errors=True)


@pytest.fixture(scope="module")
def ipfs_node() -> Iterator[IpfsNode]:
    node = IpfsNode()
    try:
        node.start()
        yield node
    finally:
        node.stop()
