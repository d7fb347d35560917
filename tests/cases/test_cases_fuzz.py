"""Property-based fuzz of the case-delegation routes (schemathesis): no request ever yields a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case

from tests.gateway.conftest import chain_snapshot, gateway, gw_chain  # noqa: F401

pytestmark = pytest.mark.chain


@pytest.fixture
def db_url(tmp_path):  # one database suffices for the fuzz
    return f"sqlite:///{tmp_path / 'fuzz.sqlite'}"


def test_no_5xx_for_any_generated_cases_request(gateway):  # noqa: F811
    schema = schemathesis.openapi.from_dict(gateway.http.get("/openapi.json").json())
    auth = gateway.key("bank")
    failures: list[str] = []
    fuzzed = 0
    for operation in schema.get_all_operations():
        op = operation.ok()
        if not op.path.startswith("/cases") or op.path.startswith(("/cases/matches", "/cases/{case_id}/debtor")):
            continue
        if "/contacts" in op.path or op.path.endswith("/matches"):
            continue  # the case-contacts routes belong to the off-chain suite
        fuzzed += 1

        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=op.as_strategy())
        def run(case: Case) -> None:
            headers = {**auth, "Idempotency-Key": "fuzz"}
            kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
            for k in ("timeout", "cookies", "verify", "allow_redirects", "follow_redirects"):
                kwargs.pop(k, None)
            if isinstance(kwargs.get("data"), bytes | str):
                kwargs["content"] = kwargs.pop("data")
            response = gateway.http.request(**kwargs)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:200]}")

        run()
    assert fuzzed >= 15
    assert not failures, "\n".join(failures[:10])
