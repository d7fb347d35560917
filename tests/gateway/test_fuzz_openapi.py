"""Schemathesis over every operation of the OpenAPI document, authenticated, with every check on.

Each operation is called with the key of an institution that holds the on-chain role it asks for (so
the fuzz reaches the handlers, not only the auth layer) and every response must conform to the
document: no 5xx, a documented status, the documented content type, headers and body schema, invalid
data refused with a 4xx, valid data not refused for being invalid. Per operation: the document's own
examples, schemathesis's coverage cases (boundaries; each parameter missing or mistyped), then
MAX_EXAMPLES valid and MAX_EXAMPLES invalid generated requests. One gateway (SQLite, served over HTTP on
127.0.0.1) serves the whole module; the chain is reverted afterwards. Hypothesis runs derandomized, so a
run is reproducible. About two minutes on 2 cores.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import Case, GenerationMode
from schemathesis import checks as st_checks
from schemathesis.config import SchemathesisConfig
from sqlmodel import Session

from chain.client import ChainClient
from chain.config import ChainSettings
from chain.node import AnvilNode
from node_api.app import create_app
from node_api.services.apikeys import create_api_key
from node_api.settings import GatewaySettings
from node_api.state import GatewayState
from tests.conftest import free_port
from tests.gateway.conftest import PEPPER, gateway_settings

pytestmark = pytest.mark.chain

PROBLEM = "application/problem+json"
#: schemathesis's default statuses for schema-valid data (positive_data_acceptance)
POSITIVE_EXPECTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
#: generated requests per operation and generation mode (valid, then invalid data)
MAX_EXAMPLES = 25

#: every check schemathesis has for a single response (the stateful ones, use_after_free,
#: ensure_resource_availability and object_level_authorization, need its stateful phase and links)
ALL_CHECKS = [
    st_checks.not_a_server_error,
    st_checks.status_code_conformance,
    st_checks.content_type_conformance,
    st_checks.response_schema_conformance,
    st_checks.response_headers_conformance,
    st_checks.negative_data_rejection,
    st_checks.positive_data_acceptance,
    st_checks.missing_required_header,
    st_checks.ignored_auth,
    st_checks.unsupported_method,
    st_checks.allow_header_conformance,
]

#: the institution whose key calls an operation: one holding the on-chain role it asks for (default:
#: the bank, which is also the settlement bank)
ACTING = {
    "POST /cases/{case_id}/claim": "collector",
    "POST /cases/{case_id}/accept": "collector",
    "POST /cases/{case_id}/decline": "collector",
    "POST /cases/{case_id}/actions": "collector",
    "POST /cases/{case_id}/recoveries": "collector",
    "POST /cases/fees/withdrawals": "collector",
    "GET /cases/{case_id}/debtor": "collector",
    "POST /cases/{case_id}/contacts": "collector",
    "POST /oracle/signatures": "oracle",
    "GET /oracle/signatures/{feed}/{subject}/{round_}": "oracle",
    "POST /oracle/reports": "oracle",
    "GET /compliance/collectors/{address}": "regulator",
    "GET /compliance/violations": "regulator",
    "GET /compliance/log-anchors": "regulator",
    "POST /audit/replays": "regulator",
    "GET /audit/replays/{replay_id}": "regulator",
    "GET /audit/report": "regulator",
}

#: problem codes seen per operation, to show that the fuzz got past the auth layer everywhere
SEEN: dict[str, set[str]] = defaultdict(set)


@dataclass
class Server:
    url: str
    state: GatewayState
    session: requests.Session

    def key(self, institution: str) -> dict[str, str]:
        with Session(self.state.engine) as s:
            _, token = create_api_key(session=s, institution=institution, scopes=["*"], label="fuzz", pepper=PEPPER)
        # the key for both security schemes: schemathesis would otherwise make up a value for the one left
        # out, and two different keys in one request are refused (400 AUTH-004)
        return {"Authorization": f"Bearer {token}", "X-API-Key": token}


@pytest.fixture(scope="module")
def server(gw_chain: tuple[AnvilNode, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One gateway for the module, served over HTTP on 127.0.0.1 (schemathesis sends some requests of its
    own, e.g. without credentials for ``ignored_auth``); the chain is reverted afterwards."""
    node, deployments = gw_chain
    tmp = tmp_path_factory.mktemp("fuzz")
    probe = ChainClient(ChainSettings(rpc_url=node.url, port=node.port), data_dir=tmp / "probe")
    snap = probe.rpc.call("evm_snapshot")
    app = create_app(gateway_settings(node, deployments, tmp / "gw", f"sqlite:///{tmp / 'fuzz.sqlite'}"))
    port = free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on"))
    thread = threading.Thread(target=uv.run, name="fuzz-gateway", daemon=True)
    thread.start()
    session = requests.Session()
    try:
        deadline = time.monotonic() + 60
        while not uv.started:
            assert thread.is_alive(), "the gateway stopped while starting"
            assert time.monotonic() < deadline, "the gateway did not start in 60 s"
            time.sleep(0.05)
        yield Server(url=f"http://127.0.0.1:{port}", state=app.state.gateway, session=session)
    finally:
        session.close()
        uv.should_exit = True
        thread.join(timeout=30)
        probe.rpc.call("evm_revert", [snap])
        probe.close()


@pytest.fixture(scope="module")
def keys(server: Server) -> dict[str, dict[str, str]]:
    return {name: server.key(name) for name in ("bank", "collector", "oracle", "regulator")}


#: operations whose schema-valid requests may still be refused with 422, and why: what makes them valid
#: is beyond what a JSON Schema can say (positive_data_acceptance then also accepts 422 for them; every
#: other check, and this one for every other status, stays as it is)
SEMANTIC_422 = {
    "GET /events": "contract and event names come from the deployment's ABIs",
    "POST /webhooks": "contract and event names come from the deployment's ABIs",
    "POST /cases/batches": "the uploaded case file must be a well-formed CSV/JSON case list",
    "POST /guarantees/analyses": "the edge list must parse and hold a valid guarantee network",
    "POST /valuations": "feature names and types come from the installed model's schema",
    "POST /risk/assessments": "ratings must be on the rating scale; features follow the model's schema",
    "POST /restructuring/offers": "the claim (principal + interest + penalties) must be positive; features follow "
    "the model's schema",
    "POST /oracle/signatures": "the signature must recover to the caller's address (cryptography)",
    "POST /oracle/reports": "the signatures must recover to distinct active oracles (cryptography)",
    "POST /cases/{case_id}/contacts": "the conduct rules (quiet hours, prohibited language) refuse with CND-00x",
    "POST /evidence": "an uploaded document is refused only by its size (EVD-413) or count (EVD-422)",
    "POST /auctions/lots": "documents must be anchored and the start/deposit fit the appraisal on chain (AUC-422)",
    "POST /auctions/lots/{lot_id}/relisting": "the new start must be within 20 % of the lot's previous one (AUC-422)",
    "POST /auctions/lots/{lot_id}/approval": "the forfeiture account must be a member that can hold rCNY (AUC-422)",
    "POST /auctions/lots/{lot_id}/confirmation": "the payees must add up to the lot's price on chain (AUC-422)",
    "POST /auctions/lots/{lot_id}/fixed-price-offer": "the price must be at least the failed lot's start (AUC-422)",
    "POST /fractions/assets": "the documents root must be anchored and the caps, deadline and regions fit (FRC-422)",
    "POST /disputes": "the claim must be at most what is overdue and the evidence anchored on chain (DSP-422)",
    "POST /disputes/{dispute_id}/evidence": "the evidence root must be anchored on chain (DSP-422)",
    "POST /disputes/{dispute_id}/agreement": "the schedule plus the relief must add up to the claim on chain (DSP-422)",
    "POST /disputes/{dispute_id}/payments": "the payment must be at most what is outstanding on chain (DSP-422)",
    "POST /disputes/{dispute_id}/payee": "the payee must not be the zero address (DSP-422)",
}


def _document() -> dict[str, Any]:
    """The document as the gateway generates it (building the app connects to nothing)."""
    with tempfile.TemporaryDirectory() as tmp:
        return create_app(GatewaySettings(data_dir=Path(tmp), api_key_pepper=PEPPER)).openapi()  # type: ignore[arg-type]


DOCUMENT = _document()
CONFIG = SchemathesisConfig.from_dict(
    {
        # every string the gateway takes refuses NUL (U+0000): see the Problem document's GEN-422
        "generation": {"allow-x00": False},
        "operations": [
            {
                "include-name": label,
                "checks": {"positive_data_acceptance": {"expected-statuses": [*POSITIVE_EXPECTED, "422"]}},
            }
            for label in SEMANTIC_422
        ],
    }
)
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)
OPERATIONS = {f"{op.method.upper()} {op.path}": op for op in (r.ok() for r in SCHEMA.get_all_operations())}
#: an endless Server-Sent Events stream: generated requests would wait on it for ever, so it is called
#: with `limit` and `timeout` set by test_event_stream_conforms_to_the_document below instead
STREAM = "GET /events/stream"


@pytest.mark.parametrize("label", sorted(set(OPERATIONS) - {STREAM}))
def test_operation_conforms_to_the_document(label: str, server: Server, keys: dict[str, dict[str, str]]) -> None:
    operation = OPERATIONS[label]
    headers = keys[ACTING.get(label, "bank")]

    def call(case: Case) -> None:
        response = case.call_and_validate(
            base_url=server.url, session=server.session, headers=headers, checks=ALL_CHECKS, timeout=60
        )
        content_type = response.headers.get("content-type", [""])[0]
        SEEN[label].add(str(response.json().get("code")) if content_type == PROBLEM else str(response.status_code))

    hypothesis = settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found
        suppress_health_check=list(HealthCheck),
    )
    # 1. the document's own examples
    for strategy in SCHEMA.get_strategies_from_examples(operation):
        hypothesis(given(case=strategy)(call))()
    # 2. coverage: boundary values, each parameter and property missing or of the wrong type
    generation = SCHEMA.config.generation_for(operation=operation)
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    for case in SCHEMA.iter_coverage_cases(operation, generation_modes=modes, generation_config=generation):
        call(case)
    # 3. fuzzing: valid, then invalid data (which needs a parameter or a body to make invalid)
    has_input = bool(list(operation.iter_parameters())) or bool(list(operation.body))
    for mode in modes if has_input else modes[:1]:
        hypothesis(given(case=operation.as_strategy(generation_mode=mode))(call))()


def test_event_stream_conforms_to_the_document(server: Server, keys: dict[str, dict[str, str]]) -> None:
    operation = OPERATIONS[STREAM]
    case = operation.Case(query={"limit": 3, "timeout": 1.0})
    response = case.call_and_validate(
        base_url=server.url, session=server.session, headers=keys["bank"], checks=ALL_CHECKS, timeout=30
    )
    assert response.status_code == 200
    assert "\nid: 000000000001/" in response.text  # the deployment's own events, replayed from the start


def test_the_fuzz_reached_every_operation_past_authentication() -> None:
    """Each operation answered at least once with something other than an auth refusal: the fuzz tested
    the handlers, not only the key check (a wrong institution in ACTING would show up here)."""
    auth = {"AUTH-001", "AUTH-002", "AUTH-003", "AUTH-004"}
    fuzzed = sorted(set(OPERATIONS) - {STREAM})
    assert set(SEEN) == set(fuzzed), "run the whole module"
    stuck = [label for label in fuzzed if SEEN[label] <= auth]
    assert not stuck, stuck
