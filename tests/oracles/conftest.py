"""Oracle fixtures: a private anvil with three oracles admitted (k = 2), small trained models, a real
gateway served by uvicorn (oracle operators talk to it over HTTP), and operator processes."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlmodel import Session

from analytics import RiskSettings, fit_default_model
from chain.client import ChainClient
from chain.compiler import CompileResult
from chain.config import DEV_CHAIN_ID, ChainSettings
from chain.contracts.consortium import Role
from chain.contracts.oracle_hub import AcceptedReport
from chain.deploy import GovernanceConfig, deploy
from chain.eip712 import feed_id, subject_id
from chain.network import Recourse
from chain.node import AnvilNode
from node_api.app import create_app
from node_api.services.apikeys import create_api_key
from node_api.settings import AnalyticsSettings, ApiSettings, DbSettings, GatewaySettings, IndexerSettings
from scripts.models_cli import ModelKind, load_dataset
from scripts.oracles_cli import ensure_demo_subjects, ensure_valuation_model
from tests.conftest import account, free_port

ROLES: dict[str, tuple[Role, ...]] = {
    "bank": (Role.BANK, Role.SETTLEMENT_BANK),
    "investor": (Role.INVESTOR,),
    "oracle": (Role.ORACLE,),
    "oracle-2": (Role.ORACLE,),
    "oracle-3": (Role.ORACLE,),
}
PEPPER = "test-pepper"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Small valuation (Ames) and risk (Lending Club) artefacts, trained once per session."""
    out = tmp_path_factory.mktemp("models")
    ensure_valuation_model(out)
    frame, schema, _, _ = load_dataset("lending_club", kind=ModelKind.risk)
    risk = fit_default_model(frame, schema.target, schema, settings=RiskSettings(budget_s=0.0, folds=3))
    (out / f"risk-{risk.version}").mkdir()
    with (out / f"risk-{risk.version}" / "model.pkl").open("wb") as fh:
        pickle.dump({"kind": "risk", "version": risk.version, "model": risk}, fh)
    return out


@pytest.fixture(scope="session")
def demo_features(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    from node_api.services.analytics import latest_artefact, load_artefact

    path = latest_artefact(model_dir, "valuation")
    assert path is not None
    model = load_artefact(path, "valuation")
    subjects = ensure_demo_subjects(tmp_path_factory.mktemp("subjects") / "subjects.json", model)
    return next(iter(subjects.values()))


def _admit(recourse: Recourse, client: ChainClient, name: str, roles: tuple[Role, ...]) -> None:
    g1, g2 = client.sender(account("governor-1")), client.sender(account("governor-2"))
    pid = recourse.consortium.propose_admission(
        g1, account(name).address, name=f"{name} (test)", roles=roles, region=310000
    )
    recourse.consortium.approve(g2, pid)
    recourse.consortium.execute(g2, pid)


@pytest.fixture(scope="session")
def oracle_chain(tmp_path_factory: pytest.TempPathFactory, compiled: CompileResult) -> Iterator[tuple[AnvilNode, Path]]:
    data_dir = tmp_path_factory.mktemp("oracle-anvil")
    node = AnvilNode(data_dir=data_dir, port=free_port(), chain_id=DEV_CHAIN_ID)
    node.up()
    client = ChainClient(ChainSettings(rpc_url=node.url, port=node.port), data_dir=data_dir)
    gov = GovernanceConfig(tuple(account(f"governor-{i}").address for i in (1, 2, 3)), 2, 3600, oracle_threshold=2)
    path = data_dir / "deployments.json"
    try:
        deployments, _ = deploy(
            client, client.sender(account("deployer")), compiled, network="oracles", path=path, governance=gov
        )
        recourse = Recourse(client, deployments)
        for name, roles in ROLES.items():
            _admit(recourse, client, name, roles)
    except BaseException:
        node.down()
        raise
    finally:
        client.close()
    yield node, path
    node.down()


@dataclass
class LiveGateway:
    url: str
    settings: GatewaySettings
    chain_url: str
    deployments: Path

    def key(self, institution: str, scopes: list[str] | None = None) -> str:
        from node_api.db.engine import make_engine

        engine = make_engine(self.settings.db_url)
        try:
            with Session(engine) as s:
                _, token = create_api_key(
                    session=s, institution=institution, scopes=scopes or ["*"], label="test", pepper=PEPPER
                )
        finally:
            engine.dispose()
        return token

    def http(self, institution: str, scopes: list[str] | None = None) -> httpx.Client:
        token = self.key(institution, scopes)
        return httpx.Client(base_url=self.url, timeout=60, headers={"Authorization": f"Bearer {token}"})

    def chain(self) -> tuple[ChainClient, Recourse]:
        client = ChainClient(
            ChainSettings(rpc_url=self.chain_url, port=int(self.chain_url.rsplit(":", 1)[1])),
            data_dir=self.settings.data_dir / "probe",
        )
        return client, Recourse.load(client, self.deployments)


@contextmanager
def serve_gateway(
    node: AnvilNode, deployments: Path, model_dir: Path, data_dir: Path, institutions: list[str]
) -> Iterator[LiveGateway]:
    """A real gateway (uvicorn in a thread) hosting ``institutions``, with its own SQLite database."""
    port = free_port()
    settings = GatewaySettings(
        data_dir=data_dir,
        chain=ChainSettings(rpc_url=node.url, port=node.port, deployments_file=deployments),
        db=DbSettings(url=f"sqlite:///{data_dir / 'gateway.sqlite'}"),
        api=ApiSettings(host="127.0.0.1", port=port, confirm_timeout=30, background="thread"),
        indexer=IndexerSettings(poll_interval=0.1),
        analytics=AnalyticsSettings(model_dir=model_dir),
        institutions=institutions,
        api_key_pepper=PEPPER,  # type: ignore[arg-type]
    )
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive(), "gateway did not start"
        assert time.monotonic() < deadline, "gateway did not start in time"
        time.sleep(0.05)
    try:
        yield LiveGateway(
            url=f"http://127.0.0.1:{port}", settings=settings, chain_url=node.url, deployments=deployments
        )
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture(scope="module")
def live_gateway(
    oracle_chain: tuple[AnvilNode, Path], model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    node, deployments = oracle_chain
    with serve_gateway(node, deployments, model_dir, tmp_path_factory.mktemp("oracle-gw"), list(ROLES)) as gw:
        yield gw


@dataclass
class Operator:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    state_db: Path

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        return int(self.proc.returncode)


def start_operator(
    gw: LiveGateway,
    name: str,
    data_dir: Path,
    subjects: Path,
    *,
    period: int = 3,
    fallback: int = 1,
    heartbeat: int = 0,
    deviation_bps: int = 50,
    crash_after: str | None = None,
    sign_only: bool = False,
    api_key: str | None = None,
    peers: list[str] | None = None,
) -> Operator:
    """``recourse oracles run`` as its own process (its own key, its own state under ``data_dir``)."""
    env = dict(os.environ)
    env.update(
        {
            "RECOURSE_DATA_DIR": str(data_dir),
            "RECOURSE_CHAIN__RPC_URL": gw.chain_url,
            "RECOURSE_CHAIN__PORT": gw.chain_url.rsplit(":", 1)[1],
            "RECOURSE_CHAIN__DEPLOYMENTS_FILE": str(gw.deployments),
            "RECOURSE_ORACLE__MODEL_DIR": str(gw.settings.analytics.model_dir),
            "RECOURSE_ORACLE__TICK_S": "0.5",
        }
    )
    args = [
        sys.executable,
        "-m",
        "scripts.cli",
        "oracles",
        "run",
        "--as",
        name,
        "--gateway",
        gw.url,
        "--api-key",
        api_key or gw.key(name, ["oracles:read", "oracles:write"]),
        "--period",
        str(period),
        "--fallback",
        str(fallback),
        "--heartbeat",
        str(heartbeat),
        "--deviation-bps",
        str(deviation_bps),
        "--subjects",
        str(subjects),
    ]
    if crash_after:
        args += ["--crash-after", crash_after]
    if sign_only:
        args.append("--sign-only")
    for peer in peers or []:
        args += ["--peer", peer]
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / f"{name}.log"
    with log.open("ab") as fh:
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)
    return Operator(name, proc, log, data_dir / "oracles" / name / "state.sqlite")


@pytest.fixture
def operators() -> Iterator[list[Operator]]:
    """Operators a test starts (append them): each is stopped afterwards."""
    started: list[Operator] = []
    yield started
    for op in started:
        op.stop()


def wait_for(what: str, check: Callable[[], bool], timeout: float, ops: list[Operator]) -> None:
    """Poll ``check`` until it holds; on timeout fail with the tail of every operator's log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    logs = "\n".join(f"--- {o.name}\n{o.log.read_text(errors='replace')[-3000:]}" for o in ops)
    raise AssertionError(f"timed out waiting for {what}\n{logs}")


def accepted_reports(gw: LiveGateway, feed: str, ref: str) -> list[AcceptedReport]:
    """Every report the hub accepted for ``feed`` and subject ``ref``, in chain order."""
    client, recourse = gw.chain()
    try:
        return [
            a
            for a in recourse.oracle_hub.accepted_between(from_block=0)
            if a.report.feed_id == feed_id(feed) and a.report.subject_id == subject_id(ref)
        ]
    finally:
        client.close()
