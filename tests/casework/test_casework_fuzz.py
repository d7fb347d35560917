"""Schemathesis fuzz of the case-contact, compliance and matching routes as a collector that holds a case
and as a regulator: no generated request yields a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case

from tests.casework.conftest import CaseworkWorld

pytestmark = pytest.mark.chain

MINE = (
    "/cases/matches",
    "/cases/{case_id}/matches",
    "/cases/{case_id}/debtor",
    "/cases/{case_id}/debtor/reads",
    "/cases/{case_id}/contacts",
    "/cases/contacts",
)


@pytest.mark.parametrize("casework", ["sqlite"], indirect=True)
def test_no_5xx_on_casework_routes(casework: CaseworkWorld):
    cw = casework
    schema = schemathesis.openapi.from_dict(cw.gw.http.get("/openapi.json").json())
    failures: list[str] = []
    checked = 0
    for operation in schema.get_all_operations():
        op = operation.ok()
        if op.path not in MINE and not op.path.startswith("/compliance/"):
            continue
        checked += 1
        for who in ("collector", "regulator"):
            headers = {**cw.headers(who), "Idempotency-Key": "z"}

            @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            @given(case=op.as_strategy())
            def run(case: Case) -> None:
                if "case_id" in (case.path_parameters or {}) and case.path_parameters["case_id"].startswith("0x"):
                    case.path_parameters["case_id"] = cw.case(0)  # the held case: reach the deep paths too
                kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=headers)  # noqa: B023
                for k in ("timeout", "cookies", "verify", "allow_redirects", "follow_redirects"):
                    kwargs.pop(k, None)
                response = cw.gw.http.request(**kwargs)
                if response.status_code >= 500:
                    failures.append(
                        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:200]}"
                    )

            run()
    assert checked == 10  # GET+POST contacts, a bank's contacts, debtor, debtor reads, two matches, three compliance
    assert failures == []
