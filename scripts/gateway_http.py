"""What the CLIs that work through a gateway (``recourse auctions``, ``fractions``, ``disputes`` and ``cases``)
share: their options, the HTTP client with an API key, the one-line failure (stderr, exit code 1) also for usage
errors (:func:`one_line_errors`), writes as operations
(an idempotency key built from the command's arguments, polled until mined, refused steps in words) and the
parsing of amounts, durations, digests and addresses; and a Server-Sent Events reader (the live room).

Each CLI builds one :class:`GatewayCalls` with its own problem lines (a problem's code and detail, then what
to do about it) and its own idempotency-key prefix. httpx and the chain package are imported by the calls
that use them, so that ``recourse --help`` loads neither.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from typer._click.core import Context  # typer vendors click; its usage errors are click's
from typer._click.exceptions import UsageError
from typer.core import TyperGroup

if TYPE_CHECKING:  # loaded by the commands that run, not for --help
    import httpx

__all__ = [
    "one_line_errors",
    "ADDRESS",
    "DEFAULT_GATEWAY",
    "DURATION_UNITS",
    "HEX32",
    "GatewayCalls",
    "GatewayOpt",
    "KeyOpt",
    "WaitOpt",
    "connect",
    "console",
    "duration_seconds",
    "err_console",
    "fail",
    "key_digest",
    "op_line",
    "parse_address",
    "parse_digest",
    "parse_fen",
    "parse_seconds",
    "plain_problem_line",
    "sse_messages",
    "yuan",
]

console = Console(highlight=False, width=160)
err_console = Console(stderr=True, highlight=False, width=200)

GatewayOpt = Annotated[str, typer.Option("--gateway", envvar="RECOURSE_GATEWAY_URL", help="Gateway base URL.")]
KeyOpt = Annotated[str, typer.Option("--api-key", envvar="RECOURSE_API_KEY", help="API key rk_…", show_default=False)]
WaitOpt = Annotated[bool, typer.Option("--wait/--no-wait", help="Wait until the chain transaction is mined.")]
DEFAULT_GATEWAY = "http://127.0.0.1:8000"

HEX32 = re.compile(r"^0x[0-9a-fA-F]{64}$")
ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
#: seconds in a duration's unit (none: seconds)
DURATION_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86_400}
_DURATION = re.compile(r"^\+?(\d+)\s*([smhd]?)$", re.ASCII)

#: a problem as one line: ``(body, HTTP status) -> line``
ProblemLine = Callable[[dict[str, Any], int | str], str]


def one_line_errors(group: str) -> type[TyperGroup]:
    """A Typer group class for ``recourse <group>`` whose usage errors (a missing option, a value that is not a
    number, an unknown command) are the CLI's one line, naming the ``--help`` to read."""

    class OneLineErrors(TyperGroup):
        def invoke(self, ctx: Context) -> Any:
            try:
                return super().invoke(ctx)
            except UsageError as exc:
                sub = ctx.invoked_subcommand
                where = f"recourse {group} {sub} --help" if sub and sub in self.commands else f"recourse {group} --help"
                message = " ".join(exc.format_message().split()).rstrip(".")
                fail(f"{message} (see `{where}`)")

    return OneLineErrors


def fail(message: str) -> NoReturn:
    """The CLI's one-line error: ``error: message`` on stderr, exit code 1."""
    err_console.print(f"error: {message}", markup=False, soft_wrap=True)
    raise typer.Exit(1)


def connect(gateway: str, api_key: str) -> httpx.Client:
    """An HTTP client for ``gateway`` that sends ``api_key`` (one line, exit 1, when there is none)."""
    if not api_key:
        fail("no API key: pass --api-key or set RECOURSE_API_KEY")
    import httpx

    return httpx.Client(base_url=gateway, headers={"Authorization": f"Bearer {api_key}"}, timeout=120)


def yuan(fen: int) -> str:
    """``fen`` as yuan to the fen (``¥1,000.00``)."""
    from chain.contracts.settlement_token import format_fen

    return format_fen(fen)


def plain_problem_line(body: dict[str, Any], status: int | str = "") -> str:
    """A problem as one line: its code and detail."""
    return f"{body.get('code', status)} {body.get('detail', '')}".strip()


def key_digest(*parts: object) -> str:
    """The part of an idempotency key that stands for ``parts`` (the same parts, the same digest)."""
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:24]


def op_line(op: dict[str, Any]) -> str:
    line = f"operation {op['id']} {op['kind']}: {op['status']}"
    if op.get("block_number"):
        line += f" in block {op['block_number']}"
    return line


def sse_messages(lines: Iterator[str]) -> Iterator[dict[str, str]]:
    """Server-Sent Events: ``id``/``event``/``data`` messages from a stream's lines (comments skipped)."""
    msg: dict[str, str] = {}
    for line in lines:
        if line == "":
            if "data" in msg:
                yield msg
            msg = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            msg[name] = msg[name] + "\n" + value if name == "data" and name in msg else value


# --- input ---


def parse_fen(text: str, what: str) -> int:
    """An amount (yuan ``1000.00`` or fen ``100000fen``) of more than zero, in fen."""
    from chain.contracts.settlement_token import parse_amount

    try:
        fen = parse_amount(text)
    except ValueError as exc:
        fail(f"{what}: {exc}")
    if fen <= 0:
        fail(f"{what}: must be more than zero")
    return fen


def duration_seconds(text: str, *, bare: bool = True) -> int | None:
    """The seconds in a duration (``3600``, ``30m``, ``24h``, ``+7d``); ``None`` when ``text`` is not one (with
    ``bare=False``, a number without a unit is not one either: ``20270131`` is a date)."""
    m = _DURATION.match(text.strip().lower())
    if m is None or (not bare and not m.group(2)):
        return None
    return int(m.group(1)) * DURATION_UNITS[m.group(2)]


def parse_seconds(text: str, what: str) -> int:
    """A duration: seconds (``3600``) or ``30m``, ``24h``, ``7d``."""
    seconds = duration_seconds(text)
    if seconds is None:
        fail(f"{what}: invalid duration {text!r}; use seconds (3600) or 30m, 24h, 7d")
    return seconds


def parse_digest(text: str, what: str) -> str:
    """``0x`` + 64 hex as given, or the SHA-256 of a file."""
    if HEX32.match(text):
        return text.lower()
    path = Path(text)
    if not path.is_file():
        fail(f"{what}: {text!r} is neither a 0x-prefixed 32-byte digest nor a file")
    return "0x" + hashlib.sha256(path.read_bytes()).hexdigest()


def parse_address(text: str, what: str) -> str:
    if not ADDRESS.match(text.strip()):
        fail(f"{what}: {text!r} is not an address (0x + 40 hex digits)")
    return text.strip()


# --- calls ---


@dataclass(frozen=True)
class GatewayCalls:
    """One CLI's calls to the gateway: ``problem_line`` says a problem in one line, ``key_prefix`` starts its
    idempotency keys; ``route`` (e.g. ``/fractions``), when given, names what a gateway answering 404 without
    a problem code lacks; ``unreachable_hint`` follows the line for a gateway that cannot be reached."""

    key_prefix: str
    problem_line: ProblemLine = plain_problem_line
    route: str | None = None
    unreachable_hint: str = " (is it running? check --gateway)"

    def call(self, http: httpx.Client, method: str, url: str, **kw: Any) -> Any:
        """The answer's JSON; a failure (no gateway, a problem, not JSON) is the CLI's one-line error."""
        import httpx

        try:
            r = http.request(method, url, **kw)
        except httpx.HTTPError as exc:
            fail(f"cannot reach the gateway at {http.base_url}: {exc}{self.unreachable_hint}")
        if r.status_code >= 400:
            try:
                body = r.json()
            except ValueError:
                fail(f"HTTP {r.status_code} from the gateway")
            if not isinstance(body, dict):
                fail(f"HTTP {r.status_code} from the gateway")
            if self.route is not None and r.status_code == 404 and "code" not in body:  # a route it does not have
                fail(f"the gateway at {http.base_url} has no {url} (is it a gateway with {self.route}?)")
            fail(self.problem_line(body, r.status_code))
        try:
            return r.json()
        except ValueError:
            fail(
                f"HTTP {r.status_code} from the gateway at {http.base_url} for {method} {url} is not JSON; "
                "check --gateway points at a Recourse gateway"
            )

    def key(self, prefix: str, api_key: str, *parts: object) -> str:
        """The same command with the same arguments and key is the same request (a retry never acts twice)."""
        return f"{self.key_prefix}-{prefix}-" + key_digest(api_key[:16], *parts)

    def finish(self, http: httpx.Client, op: dict[str, Any], *, wait: bool, timeout: float = 120.0) -> dict[str, Any]:
        """``op`` once it succeeded or failed (polled when the gateway answered before it finished)."""
        deadline = time.monotonic() + timeout
        while wait and op["status"] not in ("succeeded", "failed") and time.monotonic() < deadline:
            time.sleep(0.25)
            op = self.call(http, "GET", f"/operations/{op['id']}")
        return op

    def write(
        self,
        http: httpx.Client,
        url: str,
        key: str,
        *,
        wait: bool,
        what: str,
        body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """POST one step as an operation; print its line; a step the chain refused when it ran is one line."""
        op: dict[str, Any] = self.call(
            http, "POST", url, params={"confirm": str(wait).lower()}, headers={"Idempotency-Key": key}, json=body or {}
        )
        op = self.finish(http, op, wait=wait)
        console.print(op_line(op), soft_wrap=True)
        if op["status"] == "failed":
            fail(f"{what} failed on chain: {self.failure_reason(op)}")
        return op

    def failure_reason(self, op: dict[str, Any]) -> str:
        """Why an operation failed on chain, in words: its decoded revert (``error_name``, ``error_args``)
        through the gateway's one table of chain refusals, else the operation's own message."""
        name, args = op.get("error_name") or "", op.get("error_args") or {}
        from node_api.services.chain_errors import REVERT_PROBLEMS

        build = REVERT_PROBLEMS.get(name)
        if build is not None:
            try:
                problem = build(args)
            except (KeyError, ValueError, TypeError):
                pass
            else:
                return self.problem_line({"code": problem.code, "detail": problem.detail, **problem.extra}, "")
        message = " ".join(str(op.get("error_message") or "").split())
        return f"{name}: {message}" if message and name not in message else (message or name or "no reason given")

    def document_root(self, http: httpx.Client, ref: str) -> str:
        """An evidence root: ``0x`` + 64 hex, or an evidence id whose receipt names its anchored root."""
        if HEX32.match(ref):
            return ref.lower()
        if ref.startswith("0x"):
            fail(f"--document {ref!r}: a root is 0x + 64 hex digits")
        ev = self.call(http, "GET", f"/evidence/{ref}")
        receipt = ev.get("receipt") or {}
        if ev.get("status") != "anchored" or not receipt.get("root"):
            fail(f"--document {ref}: evidence {ref} is {ev.get('status')}, not anchored yet; try again once it is")
        return str(receipt["root"]).lower()
