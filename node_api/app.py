"""``create_app(settings)``: the member institution's gateway (FastAPI).

Nothing connects at import time. The lifespan builds the state: database (migrated), chain client
(chain id checked), deployed contracts, one transaction writer per hosted institution, and the
background services (indexer, webhook dispatcher, evidence batcher). With ``api.background =
"process"`` the writers and the evidence batcher run in a child process of their own
(``node_api.background``); with ``"thread"`` everything runs in this process.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI

from chain import SAFE_RECURSION_LIMIT, pin_recursion_limit
from chain.client import ChainClient
from chain.network import Recourse
from node_api.background import BackgroundProcess
from node_api.console import install_console
from node_api.db.engine import make_engine, migrate
from node_api.institutions import load_institutions
from node_api.limits import BodyLimitMiddleware
from node_api.metrics import Metrics, MetricsMiddleware
from node_api.openapi import install_openapi
from node_api.outbox import OperationBoard, TransactionWriter
from node_api.problems import register_problem_handlers
from node_api.query import refuse_repeated_query
from node_api.routes import analytics, cases, casework, evidence, health, members, operations, oracles, tokens
from node_api.routes import auctions as auction_routes
from node_api.routes import audit as audit_routes
from node_api.routes import disputes as dispute_routes
from node_api.routes import fractions as fraction_routes
from node_api.services.apikeys import ApiKeyCache
from node_api.settings import GatewaySettings
from node_api.state import GatewayState, RoleCache

__all__ = ["build_state", "create_app"]

logger = logging.getLogger(__name__)

#: hooks that add background services to a started gateway: ``hook(state) -> stop callable``
ServiceHook = Callable[[GatewayState], Callable[[], None]]


def build_state(settings: GatewaySettings) -> GatewayState:
    engine = make_engine(settings.db_url, echo=settings.db.echo)
    migrate(engine)
    client = ChainClient.connect(settings.chain, data_dir=settings.data_dir)
    recourse = Recourse.load(client, settings.deployments_file)
    return GatewayState(
        settings=settings,
        engine=engine,
        client=client,
        recourse=recourse,
        institutions=load_institutions(settings),
        board=OperationBoard(),
        roles=RoleCache(recourse, poll=settings.api.role_poll),
        keys=ApiKeyCache(engine, settings.api_key_pepper.get_secret_value(), refresh=settings.api.key_refresh),
    )


def _build_services(state: GatewayState) -> None:
    """The services that need no thread of their own (the lifespan builds them before the hooks run)."""
    from node_api.services.analytics import ModelRegistry
    from node_api.services.case_matching import SqlCaseMarket

    settings = state.settings
    state.services.models = ModelRegistry(
        settings.analytics.model_dir or settings.data_dir / "models", settings.analytics.restructuring.model()
    )
    state.services.case_market = SqlCaseMarket(state.engine, state.recourse)


def _start_writers(state: GatewayState) -> Callable[[], None]:
    if state.settings.api.background == "process":
        background = BackgroundProcess(state.settings, state.board, state.institutions)
        background.start()
        state.services.background = background
        state.writers.update(background.writers)
        return background.stop
    local: list[TransactionWriter] = []
    for name, inst in state.institutions.items():
        writer = TransactionWriter(
            engine=state.engine,
            client=state.client,
            institution=inst,
            board=state.board,
            batch=state.settings.api.writer_batch,
            idle=state.settings.api.writer_idle,
        )
        state.writers[name] = writer
        local.append(writer)
        writer.start()

    def stop() -> None:
        for w in local:
            w.stop()

    return stop


def default_hooks() -> list[ServiceHook]:
    hooks: list[ServiceHook] = [_start_writers]
    try:
        from node_api.streams import start_stream_services
    except ImportError:  # pragma: no cover - streams land with the indexer
        return hooks
    hooks.append(start_stream_services)
    from node_api.services.evidence import start_evidence_services

    hooks.append(start_evidence_services)
    from node_api.services.casework.contacts import start_casework_services

    hooks.append(start_casework_services)
    return hooks


def create_app(settings: GatewaySettings, *, hooks: list[ServiceHook] | None = None) -> FastAPI:
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        raised = pin_recursion_limit()  # a library imported since may have raised it again
        if raised > SAFE_RECURSION_LIMIT:
            logger.warning("gateway.recursion_limit.reset from=%d to=%d", raised, SAFE_RECURSION_LIMIT)
        state = build_state(settings)
        state.services.metrics = metrics
        metrics.attach(state)
        _build_services(state)
        app.state.gateway = state
        state.roles.start()
        if state.keys is not None:
            state.keys.start()
        stops = [hook(state) for hook in (hooks if hooks is not None else default_hooks())]
        # everything built so far (modules, ABIs, decoders, settings) lives as long as the process: out
        # of the cyclic collector's sight, so its full collections stay short (latency tails)
        gc.collect()
        gc.freeze()
        logger.info("gateway.started institutions=%s db=%s", ",".join(state.institutions), state.engine.url.drivername)
        try:
            yield
        finally:
            for stop in reversed(stops):
                stop()
            if state.keys is not None:
                state.keys.stop()
            state.roles.stop()
            state.committer.stop()
            state.client.close()
            state.engine.dispose()

    app = FastAPI(
        title="Recourse gateway",
        version="0.1.0",
        description=(
            "A member institution's gateway to the Recourse network. Writes are durable operations "
            "(Idempotency-Key header, 202 + operation id, `?confirm=true` waits); errors are RFC 9457 "
            "problem+json with a stable `code`. Authenticate with an API key (`Authorization: Bearer rk_…` "
            "or `X-API-Key`)."
        ),
        lifespan=lifespan,
        dependencies=[Depends(refuse_repeated_query)],
        docs_url=None,  # served from local assets by install_openapi
        redoc_url=None,
    )
    register_problem_handlers(app)
    app.add_middleware(
        BodyLimitMiddleware,
        default=settings.api.max_body_bytes,
        per_path={"/guarantees/analyses": settings.analytics.max_edge_list_bytes},
    )
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    for module in (health, members, operations, tokens, casework, cases, oracles, analytics, evidence):
        app.include_router(module.router)
    app.include_router(auction_routes.router)
    app.include_router(fraction_routes.router)
    app.include_router(dispute_routes.router)
    app.include_router(audit_routes.router)
    _include_optional(app)
    install_console(app, settings)
    install_openapi(app)
    return app


def _include_optional(app: FastAPI) -> None:
    routers: list[Any] = []
    try:
        from node_api.routes import events, webhooks

        routers = [events.router, webhooks.router]
    except ImportError:  # pragma: no cover - land with the indexer
        return
    for r in routers:
        app.include_router(r)
