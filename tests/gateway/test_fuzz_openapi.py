"""Property-based fuzz of the OpenAPI schema (schemathesis): no request ever yields a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case

pytestmark = pytest.mark.chain

#: the platform's routes; domain routers (evidence uploads, cases, oracles, ...) are fuzzed by their own suites
PLATFORM_PREFIXES = (
    "/healthz",
    "/readyz",
    "/metrics",
    "/tokens",
    "/webhooks",
    "/members",
    "/me",
    "/operations",
    "/events",
)


@pytest.fixture(params=["sqlite"])
def db_url(request: pytest.FixtureRequest, tmp_path):  # one database suffices for the fuzz
    return f"sqlite:///{tmp_path / 'fuzz.sqlite'}"


def test_no_5xx_for_any_generated_request(gateway):
    schema = schemathesis.openapi.from_dict(gateway.http.get("/openapi.json").json())
    auth = gateway.key("bank")
    failures: list[str] = []

    for operation in schema.get_all_operations():
        op = operation.ok()
        if not op.path.startswith(PLATFORM_PREFIXES):
            continue

        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=op.as_strategy())
        def run(case: Case) -> None:
            headers = {**auth, "Idempotency-Key": "fuzz"}
            kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
            kwargs.pop("timeout", None)
            kwargs.pop("cookies", None)
            kwargs.pop("verify", None)
            kwargs.pop("allow_redirects", None)
            kwargs.pop("follow_redirects", None)
            if isinstance(kwargs.get("data"), bytes | str):  # a raw body (e.g. an upload): httpx wants content=
                kwargs["content"] = kwargs.pop("data")
            response = gateway.http.request(**kwargs)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:200]}")

        run()
    assert not failures, "\n".join(failures[:10])
