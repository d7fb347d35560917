"""The console driven in headless Chromium against a live gateway on a real anvil: sign-in, the language
switch, evidence checks (genuine, tampered, unknown, a folder), the printable certificate, the operations and
audit pages, axe-core on every page, and free text rendered inert."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.console.conftest import Console, axe_violations, sign_in

XSS = "\"><img src=x onerror=alert(1)><script>alert('xss')</script>"


def _results(page: Any) -> list[str]:
    return page.locator("#results tbody tr").evaluate_all("rows => rows.map(r => r.dataset.result)")


def _hash_and_check(page: Any, selector: str, files: Any, count: int) -> None:
    page.locator(selector).set_input_files(files)
    page.wait_for_selector(f"body[data-hashed='{count}']", state="attached")
    page.locator("#check").click()
    page.wait_for_selector("#results")


def test_sign_in_and_the_language_switch_is_remembered(console: Console, page: Any):
    page.goto(console.url)
    assert page.url.endswith("/console/login")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Sign in"
    page.locator("#lang-switch").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("h1").inner_text() == "登录"
    sign_in(page, console, console.token("bank"))
    assert page.locator("html").get_attribute("lang") == "zh-CN"  # remembered across pages and sign-in
    assert "当前机构" in page.locator("header").inner_text()
    page.locator("nav.pages a[href='/console/operations']").click()
    assert page.locator("h1").inner_text() == "操作记录"
    other = page.context.new_page()  # a new tab of the same browser remembers it too
    other.goto(console.url + "/evidence")
    assert other.locator("h1").inner_text() == "证据核验"
    other.close()
    page.locator("#lang-switch").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Operations"
    page.locator("#sign-out").click()
    page.wait_for_url(re.compile(r"/console/login\?reason=signed_out$"))
    page.goto(console.url + "/operations")
    assert "/console/login" in page.url
    assert not page.script_errors, page.script_errors


def test_evidence_genuine_tampered_and_unknown(console: Console, page: Any, tmp_path: Path):
    genuine = b"court judgment 2026-0042\n" * 100
    status = console.anchor(genuine, case_ref="CASE-2026-0042")
    (tmp_path / "judgment.pdf").write_bytes(genuine)
    (tmp_path / "tampered.pdf").write_bytes(genuine.replace(b"0042", b"0043", 1))
    (tmp_path / "unknown.pdf").write_bytes(b"never anchored anywhere")
    sign_in(page, console, console.token("court", ["evidence:read"]))
    page.goto(console.url + "/evidence")

    _hash_and_check(page, "#files", str(tmp_path / "judgment.pdf"), 1)
    assert _results(page) == ["verified"]
    row = page.locator("#results tbody tr").first.inner_text()
    assert status["receipt"]["root"] in row
    assert status["receipt"]["tx_hash"] in row
    assert "judgment.pdf" in row

    # the tampered copy, checked against the document it claims to be
    page.locator("#evidence_id").fill(status["id"])
    _hash_and_check(page, "#files", str(tmp_path / "tampered.pdf"), 1)
    assert _results(page) == ["mismatch"]
    assert page.locator("#results a.cert-link").count() == 0

    page.locator("#evidence_id").fill("")
    _hash_and_check(page, "#files", str(tmp_path / "unknown.pdf"), 1)
    assert _results(page) == ["not_anchored"]
    assert not page.script_errors, page.script_errors


def test_a_folder_is_checked_as_a_batch(console: Console, page: Any, tmp_path: Path):
    folder = tmp_path / "bundle"
    folder.mkdir()
    anchored = [f"exhibit {i}".encode() * 50 for i in range(3)]
    for i, content in enumerate(anchored):
        console.anchor(content)
        (folder / f"exhibit-{i}.txt").write_bytes(content)
    (folder / "notes.txt").write_bytes(b"a note nobody anchored")
    sign_in(page, console, console.token("investor", ["members:read"]))
    page.goto(console.url + "/evidence")
    _hash_and_check(page, "#folder", str(folder), 4)
    by_name = dict(
        zip(
            page.locator("#results tbody tr td:first-child").all_inner_texts(),
            _results(page),
            strict=True,
        )
    )
    assert by_name == {
        "bundle/exhibit-0.txt": "verified",
        "bundle/exhibit-1.txt": "verified",
        "bundle/exhibit-2.txt": "verified",
        "bundle/notes.txt": "not_anchored",
    }


def test_the_certificate_has_the_receipt_and_its_qr_code_and_prints(console: Console, page: Any, tmp_path: Path):
    content = b"appraisal report, lot 7\n" * 40
    status = console.anchor(content)
    (tmp_path / "appraisal.pdf").write_bytes(content)
    sign_in(page, console, console.token("court", ["evidence:read"]))
    page.goto(console.url + "/evidence")
    _hash_and_check(page, "#files", str(tmp_path / "appraisal.pdf"), 1)
    page.locator("#results a.cert-link").click()
    page.wait_for_selector("#certificate")
    receipt = json.loads(page.locator("#receipt").inner_text())
    assert receipt["digest"] == status["digest"]
    assert receipt["root"] == status["receipt"]["root"]
    assert receipt["tx_hash"] == status["receipt"]["tx_hash"]
    assert receipt["block_number"] == status["receipt"]["block_number"]
    assert page.locator("#cert-qr svg path").count() == 1
    assert page.locator("#cert-qr svg path").get_attribute("d").count("z") > 100  # dark modules of a real code
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible()
    assert not page.locator("#print").is_visible()
    assert page.locator("#cert-qr").is_visible()
    assert page.locator("#receipt").is_visible()
    page.emulate_media(media="screen")
    assert page.locator("header.top").is_visible()


def test_the_operations_page_lists_an_operation_made_through_the_api(console: Console, page: Any):
    r = console.api_post(
        "bank",
        "/tokens/transfers",
        {"to": console.world.address("collector"), "amount_fen": 1234},
        params={"confirm": "true"},
    )
    assert r.status_code == 200, r.text
    op = r.json()
    # a transfer the chain refuses: decoded error shown on the page
    failed = console.api_post(
        "bank",
        "/tokens/transfers",
        {"to": console.world.address("collector"), "amount_fen": 10**15},
        params={"confirm": "true"},
    )
    sign_in(page, console, console.token("bank", ["operations:read"]))
    page.goto(console.url + "/operations")
    row = page.locator(f"tr[data-operation='{op['id']}']")
    assert row.count() == 1
    text = row.inner_text()
    assert "token.transfer" in text
    assert "succeeded" in text
    assert op["tx_hash"] in text
    assert failed.status_code == 200, failed.text
    assert failed.json()["status"] == "failed"
    failed_row = page.locator(f"tr[data-operation='{failed.json()['id']}']").inner_text()
    assert "failed" in failed_row
    assert "ERC20InsufficientBalance" in failed_row  # the revert, decoded
    assert "CHN-REVERT" in failed_row
    page.locator("#status").select_option("succeeded")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"status=succeeded"))
    statuses = set(page.locator("#operations tbody .badge").all_inner_texts())
    assert statuses == {"succeeded"}
    # another institution's console does not see the bank's operations
    page.context.clear_cookies()
    sign_in(page, console, console.token("collector", ["operations:read"]))
    page.goto(console.url + "/operations")
    assert page.locator(f"tr[data-operation='{op['id']}']").count() == 0


def test_the_audit_page_after_a_replay(console: Console, page: Any):
    sign_in(page, console, console.token("auditor", ["audit:read"]))
    page.goto(console.url + "/audit")
    page.locator("#start-replay").click()
    page.wait_for_selector("#verdict", timeout=90_000)
    assert page.locator("#verdict").inner_text().startswith("OK")
    assert int(page.locator("#report-events").inner_text()) > 0
    assert int(page.locator("#report-privileged").inner_text()) > 0
    assert page.locator("#privileged tbody tr").count() > 0
    assert "admission" in " ".join(page.locator("#privileged tbody tr td:nth-child(2)").all_inner_texts()).lower()
    assert page.locator(".charts svg").count() >= 2
    assert not page.script_errors, page.script_errors


def test_free_text_is_rendered_inert(console: Console, page: Any, tmp_path: Path):
    content = b"a document filed under a hostile case reference"
    console.anchor(content, case_ref=XSS)
    (tmp_path / XSS.replace("/", "_")[:60]).write_bytes(content)
    sign_in(page, console, console.token("court", ["evidence:read"]))
    page.goto(console.url + "/evidence")
    page.locator("#case_ref").fill(XSS)
    _hash_and_check(page, "#files", str(next(tmp_path.iterdir())), 1)
    assert _results(page) == ["verified"]
    assert page.locator("#case_ref").input_value() == XSS  # echoed as text, in its field
    page.locator("#results a.cert-link").click()
    page.wait_for_selector("#certificate")
    assert XSS in page.locator("#certificate").inner_text()  # the stored case reference, shown as text
    assert page.locator("img[src=x]").count() == 0
    # hostile text in the digests and the evidence id, echoed back with the error
    page.goto(console.url + "/evidence")
    page.locator("#digests").fill(XSS)
    page.locator("#evidence_id").fill(XSS[:40])
    page.locator("#check").click()
    page.wait_for_selector("#evidence-error")
    assert "<script>" in page.locator("#evidence-error").inner_text()  # shown, not run
    assert page.locator("#evidence_id").input_value() == XSS[:40]
    page.locator("#digests").fill("0x" + "ab" * 32)
    page.locator("#check").click()
    page.wait_for_selector("#evidence-error")
    assert page.locator("#evidence_id").input_value() == XSS[:40]
    assert page.locator("img[src=x]").count() == 0
    assert page.locator("script:not([src])").count() == 0
    assert page.dialogs == []
    assert not [e for e in page.script_errors if "xss" in e]


def test_every_page_passes_axe(console: Console, page: Any, tmp_path: Path):
    content = b"axe check document"
    console.anchor(content)
    (tmp_path / "doc.txt").write_bytes(content)
    found: dict[str, list[dict[str, Any]]] = {}

    def check(name: str) -> None:
        found[name] = axe_violations(page)

    page.goto(console.url + "/login")
    check("login")
    sign_in(page, console, console.token("auditor"))
    check("home")
    page.goto(console.url + "/evidence")
    check("evidence")
    _hash_and_check(page, "#files", str(tmp_path / "doc.txt"), 1)
    check("evidence results")
    page.locator("#results a.cert-link").click()
    page.wait_for_selector("#certificate")
    check("certificate")
    page.goto(console.url + "/operations")
    check("operations")
    page.goto(console.url + "/audit")
    check("audit")
    page.locator("#lang-switch").click()
    page.wait_for_load_state()
    check("audit (zh)")
    page.context.clear_cookies()
    sign_in(page, console, console.token("bank", ["evidence:read"]))
    page.goto(console.url + "/operations")
    check("denied")
    page.set_viewport_size({"width": 375, "height": 740})  # a phone
    page.goto(console.url + "/evidence")
    check("evidence (phone)")
    assert {k: v for k, v in found.items() if v} == {}
    # on a phone nothing makes the page itself scroll sideways (wide tables scroll in their own region)
    page.context.clear_cookies()
    sign_in(page, console, console.token("auditor"))
    for path in ("", "/evidence", "/operations", "/audit", f"/auctions/{console.lot_id}", "/auctions"):
        page.goto(console.url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path


def test_the_console_works_by_keyboard(console: Console, page: Any):
    page.goto(console.url + "/login")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.is_visible()  # shown while focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # from the content: the key field, typed and sent with Enter alone
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "api_key"
    page.keyboard.type(console.token("court", ["evidence:read"]))
    page.keyboard.press("Enter")
    page.wait_for_url(console.url)
    # every page of the navigation is reachable with Tab, in order, and marked when current
    page.locator("nav.pages a").first.focus()
    names = []
    for _ in range(page.locator("nav.pages a").count()):
        names.append(page.evaluate("document.activeElement.textContent.trim()"))
        page.keyboard.press("Tab")
    assert names == page.locator("nav.pages a").all_inner_texts()
    page.locator("nav.pages a[href='/console/evidence']").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(console.url + "/evidence")
    assert page.locator("nav.pages a[aria-current='page']").inner_text() == "Evidence check"
