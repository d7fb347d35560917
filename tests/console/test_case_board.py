"""The case board in headless Chromium: a batch the bank published through the gateway, its open cases ranked
for the collector with their scores, a claim from the console (won on chain), then the case file with the
debtor's contact data (read through the PII vault and logged); the bank sees its cases without the debtor."""

from __future__ import annotations

from typing import Any

import httpx

from tests.cases.factory import csv_bytes, row_dict
from tests.console.conftest import Console, axe_violations, sign_in

XSS_NAME = "<img src=x onerror=alert(1)>李四"


def _publish(console: Console) -> list[dict[str, Any]]:
    rows = [row_dict(i) for i in range(3)]
    rows[0]["name"] = XSS_NAME  # the debtor's name is free text from the bank's file
    headers = {"Authorization": f"Bearer {console.token('bank')}", "Idempotency-Key": "console-cases-1"}
    r = httpx.post(
        console.gw.url + "/cases/batches",
        params={"confirm": "true"},
        headers=headers,
        files={"file": ("cases.csv", csv_bytes(rows), "text/csv")},
        data={"fee_budget_fen": "50000"},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    assert r.json()["operations"][-1]["status"] == "succeeded", r.json()
    console.gw.wait_indexed(console.world.client)
    cases = httpx.get(
        console.gw.url + "/cases", params={"status": "open"}, headers={"Authorization": headers["Authorization"]}
    ).json()["data"]
    assert len(cases) == 3
    return cases


def test_a_collector_claims_a_case_and_reads_its_file(console: Console, page: Any):
    cases = _publish(console)
    hostile = next(c["case_id"] for c in cases if c["case_ref"] == row_dict(0)["case_ref"])
    sign_in(page, console, console.token("collector", ["cases:read", "cases:write", "cases:contacts"]))
    page.goto(console.url + "/cases")
    rows = page.locator("#matches tbody tr")
    assert rows.count() == 3
    scores = [float(s) for s in page.locator("#matches td.score").all_inner_texts()]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 1 for s in scores)
    assert axe_violations(page) == []
    case_id = hostile  # the case whose debtor has a hostile name
    page.locator(f"#matches tr[data-case='{case_id}'] button.claim").click()
    page.wait_for_selector("#op-result")
    assert "succeeded" in page.locator("#op-result").inner_text()
    assert console.world.recourse.cases.case(bytes.fromhex(case_id[2:])).collector == console.world.address("collector")
    mine = page.locator(f"#own-cases tr[data-case='{case_id}']")
    assert mine.count() == 1
    assert "claimed" in mine.inner_text()
    assert page.locator(f"#matches tr[data-case='{case_id}']").count() == 0  # no longer open
    mine.locator("a").click()
    page.wait_for_selector("#case-terms")
    debtor = page.locator("#debtor").inner_text()
    assert "上海市黄浦区南京东路0号" in debtor
    assert XSS_NAME in debtor  # a hostile name is shown as text
    assert page.locator("img[src=x]").count() == 0
    assert axe_violations(page) == []
    assert page.dialogs == []
    # the conduct rules' answer before sending: a threat is named, and nothing is recorded by the check
    page.locator("#channel").select_option("phone")
    page.locator("#contact_note").fill("再不还钱，让你好看")
    page.locator("#contact-check").click()
    page.wait_for_selector("#conduct-preview")
    assert page.locator("#conduct-preview li[data-code='CND-003']").count() == 1
    assert "LANG-THREAT" in page.locator("#conduct-preview").inner_text()
    assert page.locator("#contacts tbody tr").count() == 0
    assert page.locator("#contact_note").input_value() == "再不还钱，让你好看"  # the draft is kept
    # sent anyway: refused, and recorded with the rule it broke
    page.locator("#contact-send").click()
    page.wait_for_selector("#conduct-refused")
    assert page.locator("#conduct-refused li[data-code='CND-003']").count() == 1
    assert page.locator("#contacts tbody tr").count() == 1
    assert "refused" in page.locator("#contacts tbody tr").first.inner_text()
    # the bank sees its cases on the board, never the debtor on the case file
    page.context.clear_cookies()
    sign_in(page, console, console.token("bank", ["cases:read", "cases:contacts"]))
    page.goto(f"{console.url}/cases/{case_id}")
    assert page.locator("#case-status").inner_text() == "claimed"
    assert page.locator("#debtor").count() == 0
    page.goto(console.url + "/cases")
    assert page.locator("#own-cases tbody tr").count() == 3
    assert page.locator("#matches").count() == 0  # a bank does not claim


def test_the_case_board_is_for_collectors_and_banks(console: Console, page: Any):
    sign_in(page, console, console.token("investor"))
    page.goto(console.url + "/cases")
    assert page.locator("#denied").count() == 1
    page.context.clear_cookies()
    sign_in(page, console, console.token("collector", ["cases:read"]))  # no cases:write: no claim button
    page.goto(console.url + "/cases")
    assert page.locator("button.claim").count() == 0
