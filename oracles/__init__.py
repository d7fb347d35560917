"""Oracle operators: fetch features, run analytics models, sign and exchange reports, push them on chain.

* :mod:`oracles.feeds` — feeds (``valuation``: asset features → stacked valuation model → value, interval).
* :mod:`oracles.policy` — :class:`PushPolicy`: push on deviation (bps) or heartbeat only.
* :mod:`oracles.rounds` — :class:`RoundStore`: persistent round state (restart-safe).
* :mod:`oracles.gateway` — :class:`HttpGateway`: signature exchange and submission over gateways' HTTP API.
* :mod:`oracles.node` — :class:`OracleNode`: the round state machine (sign → post → collect k → leader submits).
* :mod:`oracles.scheduler` — APScheduler wiring (persistent job store, ``max_instances=1``, coalescing).
"""

from oracles._exceptions import FeedError, GatewayError, OracleError
from oracles.feeds import Observation, ValuationFeed, model_version_bytes
from oracles.gateway import GatewayPort, HttpGateway
from oracles.node import HubView, NodeConfig, OracleNode, RecourseHubView, idempotency_key, rotation
from oracles.policy import Decision, PushPolicy
from oracles.rounds import RoundState, RoundStore

__all__ = [
    "Decision",
    "FeedError",
    "GatewayError",
    "GatewayPort",
    "HttpGateway",
    "HubView",
    "NodeConfig",
    "Observation",
    "OracleError",
    "OracleNode",
    "PushPolicy",
    "RecourseHubView",
    "RoundState",
    "RoundStore",
    "ValuationFeed",
    "idempotency_key",
    "model_version_bytes",
    "rotation",
]
