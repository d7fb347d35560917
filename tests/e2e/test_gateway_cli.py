"""End-to-end: ``recourse apikeys create|list|revoke`` and ``recourse keys create|import|show-address``,
run as the real console script against a real SQLite database and keystore directory."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from eth_account import Account
from sqlmodel import Session

from node_api.db.engine import make_engine
from node_api.problems import NotAuthenticatedError
from node_api.services.apikeys import verify_api_key
from tests.support.serve_process import RECOURSE

pytestmark = pytest.mark.e2e


PEPPER = "cli-test-pepper"
#: anvil's well-known development account #9 (never used by the project's identities)
DEV_KEY = "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "RECOURSE_DATA_DIR": str(tmp_path / "data"),
        "RECOURSE_DB__URL": f"sqlite:///{tmp_path / 'gateway.sqlite'}",
        "RECOURSE_API_KEY_PEPPER": PEPPER,
        "RECOURSE_INSTITUTIONS": json.dumps(["bank", "collector"]),
        "RECOURSE_CHAIN__KEYSTORE_DIR": str(tmp_path / "keystore"),
        "RECOURSE_CHAIN__KEYSTORE_PASSWORD": "correct horse battery staple",
        "COLUMNS": "1000",  # rich wraps long lines at the terminal width
    }


def run(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(RECOURSE), *args], env=env, input=stdin, capture_output=True, text=True, timeout=120, check=False
    )


def test_apikeys_create_list_revoke(env: dict[str, str]) -> None:
    made = run(env, "apikeys", "create", "bank", "--scope", "tokens:read", "--scope", "members:read", "--label", "ops")
    assert made.returncode == 0, made.stderr
    header, token = made.stdout.strip().splitlines()[-2:]
    assert "for bank" in header
    assert "tokens:read, members:read" in header
    assert token.startswith("rk_")
    key_id = token[3:].partition(".")[0]
    assert key_id in header

    engine = make_engine(env["RECOURSE_DB__URL"])
    try:
        with Session(engine) as s:
            row = verify_api_key(session=s, token=token, pepper=PEPPER)
            assert row.institution == "bank"
            assert token.partition(".")[2] not in row.secret_hash  # only a hash is stored

        listed = run(env, "apikeys", "list")
        assert listed.returncode == 0, listed.stderr
        line = next(ln for ln in listed.stdout.splitlines() if key_id in ln)
        assert "bank" in line
        assert "ops" in line
        assert token.partition(".")[2] not in listed.stdout  # never the secret

        revoked = run(env, "apikeys", "revoke", key_id)
        assert revoked.returncode == 0, revoked.stderr
        assert f"revoked {key_id} (bank)" in revoked.stdout
        with Session(engine) as s, pytest.raises(NotAuthenticatedError, match="revoked"):
            verify_api_key(session=s, token=token, pepper=PEPPER)
        relisted = next(ln for ln in run(env, "apikeys", "list", "bank").stdout.splitlines() if key_id in ln)
        assert relisted.rstrip() != line.rstrip()  # the revocation time is shown now
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("apikeys", "create", "court"), "does not host 'court'"),
        (("apikeys", "create", "bank", "--scope", "tokens:steal"), "unknown scope"),
        (("apikeys", "revoke", "000000000000"), "no API key"),
    ],
)
def test_apikeys_errors_are_one_line(env: dict[str, str], args: tuple[str, ...], message: str) -> None:
    r = run(env, *args)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: ")
    assert message in lines[0]


def test_keys_create_import_show_address(env: dict[str, str], tmp_path: Path) -> None:
    created = run(env, "keys", "create", "bank")
    assert created.returncode == 0, created.stderr
    address = created.stdout.split("created bank: ", 1)[1].split()[0]
    assert address.startswith("0x")
    stored = json.loads((tmp_path / "keystore" / "bank.json").read_text())
    assert "crypto" in stored  # an encrypted v3 keystore, not a plain key
    assert run(env, "keys", "show-address", "bank").stdout.strip() == address

    imported = run(env, "keys", "import", "collector", stdin=DEV_KEY + "\n")
    assert imported.returncode == 0, imported.stderr
    expected = Account.from_key(DEV_KEY).address
    assert f"imported collector: {expected}" in imported.stdout
    assert run(env, "keys", "show-address", "collector").stdout.strip() == expected
    assert DEV_KEY[2:] not in (tmp_path / "keystore" / "collector.json").read_text()


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("keys", "show-address", "nobody"), "", "nobody"),
        (("keys", "import", "bad"), "0x1234\n", "not a valid 32-byte hex string"),
    ],
)
def test_keys_errors_are_one_line(env: dict[str, str], args: tuple[str, ...], stdin: str, message: str) -> None:
    r = run(env, *args, stdin=stdin)
    assert r.returncode == 1
    # without a terminal, getpass warns on stderr that input may be echoed; the error itself is one line
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("error: ")]
    assert len(errors) == 1, r.stderr
    assert r.stderr.strip().splitlines()[-1] == errors[0]
    assert message in errors[0]
    assert "Traceback" not in r.stderr


def test_keys_create_refuses_to_overwrite(env: dict[str, str]) -> None:
    assert run(env, "keys", "create", "bank").returncode == 0
    again = run(env, "keys", "create", "bank")
    assert again.returncode == 1
    assert again.stderr.strip().startswith("error: ")
    assert len(again.stderr.strip().splitlines()) == 1
