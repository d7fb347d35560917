"""``recourse serve``, ``recourse apikeys …`` and ``recourse keys …``.

The gateway (FastAPI, SQLModel) and the keystore (eth-account) are imported by the commands that use
them, so that ``recourse --help`` does not load them.
"""

from __future__ import annotations

import getpass
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from node_api.scopes import SCOPES

if TYPE_CHECKING:
    from sqlmodel import Session

    from chain.keys import Keystore
    from node_api.settings import GatewaySettings

__all__ = ["SCOPES", "apikeys_app", "keys_app", "serve"]


console = Console(highlight=False)
apikeys_app = typer.Typer(help="API keys of the institutions this gateway hosts.", no_args_is_help=True)
keys_app = typer.Typer(help="Encrypted signing keys (standard Ethereum v3 keystore).", no_args_is_help=True)


def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
) -> None:
    """Run the gateway (FastAPI + uvicorn); OpenAPI docs at /docs. A crashed API process is restarted."""
    from node_api.settings import GatewaySettings
    from scripts.serve_supervisor import ApiSupervisor, ServeError

    settings = GatewaySettings()  # invalid settings: the one-line error now, before anything starts
    logging.getLogger("scripts.serve_supervisor").setLevel(logging.INFO)
    supervisor = ApiSupervisor(host=host or settings.api.host, port=port or settings.api.port)
    try:
        code = supervisor.run()
    except ServeError as exc:
        raise ValueError(str(exc)) from exc  # the CLI's one-line error, exit 1
    if code:
        raise typer.Exit(code)


@contextmanager
def _one_line() -> Iterator[None]:
    """A domain error (unknown scope, unknown key id) becomes the CLI's one-line error, not a traceback."""
    from node_api.problems import CoreError

    try:
        yield
    except CoreError as exc:
        raise ValueError(str(exc)) from exc


def _session() -> tuple[Session, GatewaySettings]:
    from sqlmodel import Session

    from node_api.db.engine import make_engine, migrate
    from node_api.settings import GatewaySettings

    settings = GatewaySettings()
    engine = make_engine(settings.db_url)
    migrate(engine)
    return Session(engine), settings


@apikeys_app.command("create")
def apikeys_create(
    institution: Annotated[str, typer.Argument(help="Hosted institution (identity name).")],
    scope: Annotated[list[str] | None, typer.Option(help=f"Repeatable; one of {', '.join(SCOPES)} or '*'.")] = None,
    label: Annotated[str, typer.Option(help="What this key is for.")] = "",
) -> None:
    """Create an API key; the token is printed once and only its hash is stored."""
    from node_api.services.apikeys import create_api_key

    session, settings = _session()
    with session:
        if institution not in settings.institutions:
            raise ValueError(f"this gateway does not host {institution!r}; hosted: {', '.join(settings.institutions)}")
        with _one_line():
            row, token = create_api_key(
                session=session,
                institution=institution,
                scopes=scope or ["*"],
                label=label,
                pepper=settings.api_key_pepper.get_secret_value(),
            )
    console.print(f"API key {row.id} for {institution} (scopes: {', '.join(row.scopes)})")
    console.print(token)


@apikeys_app.command("list")
def apikeys_list(institution: Annotated[str | None, typer.Argument()] = None) -> None:
    """List API keys (never their secrets)."""
    from rich.table import Table

    from node_api.services.apikeys import list_api_keys

    session, _ = _session()
    with session:
        rows = list_api_keys(session=session, institution=institution)
    table = Table(title="API keys")
    for c in ("id", "institution", "scopes", "label", "created", "revoked"):
        table.add_column(c)
    for r in rows:
        table.add_row(
            r.id,
            r.institution,
            ", ".join(r.scopes),
            r.label,
            f"{r.created_at:%Y-%m-%d %H:%M}",
            f"{r.revoked_at:%Y-%m-%d %H:%M}" if r.revoked_at else "",
        )
    console.print(table)


@apikeys_app.command("revoke")
def apikeys_revoke(key_id: str) -> None:
    """Revoke an API key (running gateways refuse it within `api.key_refresh` seconds, 0.5 s by default)."""
    from node_api.services.apikeys import revoke_api_key

    session, _ = _session()
    with session, _one_line():
        row = revoke_api_key(session=session, key_id=key_id)
    console.print(f"revoked {row.id} ({row.institution})")


def _keystore() -> Keystore:
    from chain.keys import Keystore
    from node_api.settings import GatewaySettings

    settings = GatewaySettings()
    directory = settings.chain.keystore_dir or settings.data_dir / "keystore"
    return Keystore(directory)


def _password(confirm: bool) -> str:
    env = os.environ.get("RECOURSE_CHAIN__KEYSTORE_PASSWORD")
    if env:
        return env
    pw = getpass.getpass("keystore password: ")
    if confirm and getpass.getpass("repeat password: ") != pw:
        raise ValueError("the passwords do not match")
    return pw


@keys_app.command("create")
def keys_create(name: str) -> None:
    """Create a new random signing key, encrypted in the keystore."""
    ks = _keystore()
    account = ks.create(name, _password(confirm=True))
    console.print(f"created {name}: {account.address} in {ks.directory}")


@keys_app.command("import")
def keys_import(name: str) -> None:
    """Import a private key (read from the prompt, never from the command line)."""
    ks = _keystore()
    key = getpass.getpass("private key (hex): ")
    account = ks.import_key(name, key, _password(confirm=True))
    console.print(f"imported {name}: {account.address} in {ks.directory}")


@keys_app.command("show-address")
def keys_show_address(name: str) -> None:
    """Print a key's address (without decrypting it)."""
    console.print(_keystore().address(name))
