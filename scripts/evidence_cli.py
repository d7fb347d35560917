"""``recourse evidence submit|verify`` (through a gateway, over HTTP) and ``recourse verify-receipt``
(a document and its receipt against the chain alone: no gateway, no database).

``verify-receipt FILE RECEIPT --rpc URL`` checks, in order: the file's SHA-256 equals the receipt's
``digest``; the Merkle ``proof`` leads from the leaf (``keccak256(keccak256(digest))``) to ``root``;
the node's chain id equals the receipt's; ``EvidenceRegistry.verify(root, digest, proof)`` is true on
chain at ``contract_address``; ``anchorOf(root)`` names the receipt's submitter, block, block time and
leaf count; and the transaction ``tx_hash`` succeeded in that block and emitted ``EvidenceAnchored`` for
that root from that contract. Any failure is one line and exit code 1.

``evidence verify FILE`` asks a gateway and prints its answer in one line; each answer has its own exit
code (:data:`EXIT_CODES`) so a script can branch on it: 0 *verified*, 3 *mismatch* (the file differs
from the evidence or case it was meant to be; both digests are shown, labelled), 4 *not anchored*
(nothing anchored has this digest, or its batch is not anchored yet), 1 no answer (the gateway
refused the request or could not be reached; the usual one-line ``error: …``). 0 and 1 mean what they
mean for ``verify-receipt``; 2 stays click's usage error.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

if TYPE_CHECKING:  # web3 and httpx load when a command runs, not for --help
    import httpx

__all__ = ["EXIT_CODES", "ReceiptCheckError", "app", "check_receipt", "describe", "file_digest"]

console = Console(highlight=False, width=140)
err_console = Console(stderr=True, highlight=False, width=200)

#: the part of EvidenceRegistry's ABI a receipt check needs (so it needs no compiler and no deployment file)
REGISTRY_ABI: list[dict[str, Any]] = [
    {
        "type": "function",
        "name": "verify",
        "stateMutability": "view",
        "inputs": [
            {"name": "root", "type": "bytes32"},
            {"name": "leaf", "type": "bytes32"},
            {"name": "proof", "type": "bytes32[]"},
        ],
        "outputs": [{"name": "", "type": "bool"}],
    },
    {
        "type": "function",
        "name": "anchorOf",
        "stateMutability": "view",
        "inputs": [{"name": "root", "type": "bytes32"}],
        "outputs": [
            {
                "name": "",
                "type": "tuple",
                "components": [
                    {"name": "submitter", "type": "address"},
                    {"name": "blockNumber", "type": "uint64"},
                    {"name": "leafCount", "type": "uint32"},
                    {"name": "blockTime", "type": "uint64"},
                    {"name": "metaDigest", "type": "bytes32"},
                ],
            }
        ],
    },
]
#: the event a receipt's anchor transaction must have emitted
ANCHORED_EVENT = "EvidenceAnchored(bytes32,address,uint32,bytes32,uint64)"
#: exit code of ``evidence verify`` per answer (1: no answer, the one-line error; 2: click's usage error)
EXIT_CODES = {"verified": 0, "mismatch": 3, "not_anchored": 4}


class ReceiptCheckError(ValueError):
    """The document or its receipt does not check out against the chain."""


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return "0x" + h.hexdigest()


def _b32(value: str) -> bytes:
    raw = bytes.fromhex(value[2:] if value.startswith("0x") else value)
    if len(raw) != 32:
        raise ReceiptCheckError(f"not a 32-byte value: {value!r}")
    return raw


def check_receipt(document: Path, receipt: dict[str, Any], *, rpc_url: str) -> dict[str, Any]:
    """Check ``document`` against ``receipt`` using only the chain at ``rpc_url``; returns the facts."""
    from eth_utils.address import to_checksum_address
    from eth_utils.crypto import keccak
    from web3 import Web3

    from chain.merkle import MerkleTreeError
    from chain.merkle import verify as merkle_verify

    anchored_topic = "0x" + keccak(text=ANCHORED_EVENT).hex()
    try:
        digest, root, proof = receipt["digest"].lower(), receipt["root"].lower(), list(receipt["proof"])
        address = to_checksum_address(receipt["contract_address"])
        chain_id, tx_hash = int(receipt["chain_id"]), str(receipt["tx_hash"])
        block_number, block_time = int(receipt["block_number"]), int(receipt["block_time"])
        submitter = to_checksum_address(receipt["institution"]["address"])
    except KeyError as exc:
        raise ReceiptCheckError(f"malformed receipt: it has no {exc.args[0]!r} field") from exc
    except (TypeError, ValueError, AttributeError) as exc:
        raise ReceiptCheckError(f"malformed receipt: {exc}") from exc
    actual = file_digest(document)
    if actual != digest:
        raise ReceiptCheckError(
            f"mismatch: file SHA-256 {actual}, receipt (anchored) SHA-256 {digest} ({document.name})"
        )
    try:
        if not merkle_verify(root, digest, proof):
            raise ReceiptCheckError("the receipt's proof does not lead from the digest to its root")
    except MerkleTreeError as exc:
        raise ReceiptCheckError(f"malformed proof: {exc}") from exc
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 30}))
    try:
        node_chain = w3.eth.chain_id
        if node_chain != chain_id:
            raise ReceiptCheckError(f"the node at {rpc_url} is chain {node_chain}, the receipt is for chain {chain_id}")
        registry = w3.eth.contract(address=address, abi=REGISTRY_ABI)
        if not registry.functions.verify(_b32(root), _b32(digest), [_b32(p) for p in proof]).call():
            raise ReceiptCheckError(f"not anchored: EvidenceRegistry.verify is false on chain for root {root}")
        a_submitter, a_block, a_count, a_time, _meta = registry.functions.anchorOf(_b32(root)).call()
        if (to_checksum_address(a_submitter), int(a_block), int(a_time)) != (submitter, block_number, block_time):
            raise ReceiptCheckError(
                f"the chain says root {root} was anchored by {a_submitter} in block {a_block} at time {a_time}; "
                f"the receipt says {submitter}, block {block_number}, time {block_time}"
            )
        if "leaf_count" in receipt and int(receipt["leaf_count"]) != int(a_count):
            raise ReceiptCheckError(f"leaf count {receipt['leaf_count']} differs from the chain's {a_count}")
        tx = w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
        if int(tx["status"]) != 1 or int(tx["blockNumber"]) != block_number:
            raise ReceiptCheckError(f"transaction {tx_hash} is not a successful anchor in block {block_number}")
        logs = [
            lg
            for lg in tx["logs"]
            if to_checksum_address(lg["address"]) == address
            and len(lg["topics"]) > 1
            and "0x" + bytes(lg["topics"][0]).hex() == anchored_topic
            and "0x" + bytes(lg["topics"][1]).hex() == root
        ]
        if not logs:
            raise ReceiptCheckError(f"transaction {tx_hash} did not emit EvidenceAnchored for root {root}")
    except ReceiptCheckError:
        raise
    except Exception as exc:  # web3 raises many unrelated types (connection, RPC, decoding)
        raise ReceiptCheckError(f"cannot check against the chain at {rpc_url}: {exc}") from exc
    return {
        "digest": digest,
        "root": root,
        "chain_id": chain_id,
        "contract_address": address,
        "tx_hash": tx_hash,
        "block_number": block_number,
        "block_time": block_time,
        "submitter": submitter,
        "case_ref": receipt.get("case_ref"),
    }


def _fail(message: str) -> None:
    err_console.print(f"error: {message}", markup=False, soft_wrap=True)
    raise typer.Exit(1)


def verify_receipt(
    file: Annotated[Path, typer.Argument(help="The document.", exists=True, dir_okay=False)],
    receipt: Annotated[Path, typer.Argument(help="Its JSON receipt.", exists=True, dir_okay=False)],
    rpc: Annotated[str, typer.Option("--rpc", help="JSON-RPC URL of a node of the Recourse chain.")] = (
        "http://127.0.0.1:8545"
    ),
) -> None:
    """Check a document and its receipt against the chain alone (no gateway, no database)."""
    from node_api.jsonbody import loads_strict

    try:
        data = loads_strict(receipt.read_bytes())  # bounded nesting, no duplicate keys: one reading only
        if not isinstance(data, dict):
            raise ReceiptCheckError(f"{receipt.name} is not a receipt: it must be a JSON object")
        facts = check_receipt(file, data, rpc_url=rpc)
    except (ValueError, OSError) as exc:
        _fail(f"{receipt.name}: {exc}" if not isinstance(exc, ReceiptCheckError) else str(exc))
        return
    console.print(
        f"verified: {file.name} (SHA-256 {facts['digest']}) anchored in block {facts['block_number']} "
        f"(tx {facts['tx_hash']}, time {facts['block_time']}) by {facts['submitter']}"
        + (f", case {facts['case_ref']}" if facts["case_ref"] else ""),
        soft_wrap=True,
    )


# --- through a gateway ------------------------------------------------------------------------------

evidence_app = typer.Typer(help="Evidence: anchor documents, verify them (through a gateway).", no_args_is_help=True)
GatewayOpt = Annotated[str, typer.Option("--gateway", envvar="RECOURSE_GATEWAY_URL", help="Gateway base URL.")]
KeyOpt = Annotated[str, typer.Option("--api-key", envvar="RECOURSE_API_KEY", help="API key rk_…", show_default=False)]


def _client(gateway: str, api_key: str) -> httpx.Client:
    if not api_key:
        _fail("no API key: pass --api-key or set RECOURSE_API_KEY")
    import httpx

    return httpx.Client(base_url=gateway, headers={"Authorization": f"Bearer {api_key}"}, timeout=120)


def _problem(r: httpx.Response) -> str:
    try:
        body = r.json()
        return f"{body.get('code', r.status_code)} {body.get('detail', '')}".strip()
    except ValueError:
        return f"HTTP {r.status_code}"


@evidence_app.command("submit")
def submit(
    files: Annotated[list[Path], typer.Argument(help="Documents to anchor.", exists=True, dir_okay=False)],
    case: Annotated[str | None, typer.Option("--case", help="Case reference.")] = None,
    gateway: GatewayOpt = "http://127.0.0.1:8000",
    api_key: KeyOpt = "",
) -> None:
    """Upload documents (streamed) to be anchored; prints each evidence id and digest."""
    import httpx

    with _client(gateway, api_key) as http:
        for path in files:
            digest = file_digest(path)
            try:
                with path.open("rb") as f:
                    r = http.post(
                        "/evidence",
                        content=f,
                        params={"filename": path.name, **({"case_ref": case} if case else {})},
                        headers={
                            "Idempotency-Key": f"cli:{digest}:{case or ''}",
                            "Content-Type": "application/octet-stream",
                        },
                    )
            except httpx.HTTPError as exc:
                _fail(f"cannot reach the gateway at {gateway}: {exc}")
                return
            if r.status_code != 202:
                _fail(f"{path.name}: {_problem(r)}")
            ev = r.json()["evidence"][0]
            console.print(f"{ev['id']}  {ev['digest']}  {path.name}  {ev['status']}", soft_wrap=True, markup=False)


@evidence_app.command("verify")
def verify(
    file: Annotated[Path, typer.Argument(help="Document to check.", exists=True, dir_okay=False)],
    evidence_id: Annotated[str | None, typer.Option("--evidence-id", help="The evidence it should be.")] = None,
    case: Annotated[str | None, typer.Option("--case", help="The case it should belong to.")] = None,
    gateway: GatewayOpt = "http://127.0.0.1:8000",
    api_key: KeyOpt = "",
) -> None:
    """Ask the gateway (which consults the chain): verified (exit 0), mismatch (3) or not anchored (4)."""
    import httpx

    params = {k: v for k, v in (("evidence_id", evidence_id), ("case_ref", case)) if v}
    with _client(gateway, api_key) as http:
        try:
            with file.open("rb") as f:
                r = http.post(
                    "/evidence/verify",
                    content=f,
                    params=params,
                    headers={"Content-Type": "application/octet-stream"},
                )
        except httpx.HTTPError as exc:
            _fail(f"cannot reach the gateway at {gateway}: {exc}")
            return
    if r.status_code != 200:
        _fail(_problem(r))
    answer = r.json()
    console.print(describe(file.name, answer), soft_wrap=True, markup=False)
    code = EXIT_CODES.get(answer.get("result"), 1)
    if code:
        raise typer.Exit(code)


def describe(name: str, v: dict[str, Any]) -> str:
    """One line for a verification answer."""
    if v["result"] == "verified":
        inst = v["institution"] or {}
        who = inst.get("name") or inst.get("address")
        case = f", case {v['case_ref']}" if v.get("case_ref") else ""
        return (
            f"{name}: verified — evidence {v['evidence_id']}, anchored in block {v['block_number']} at "
            f"{v['block_time_iso']} by {who}{case}"
        )
    if v["result"] == "mismatch":
        # label both digests: a reader looks for the file's own and would take the anchored one for it
        own = f"file SHA-256 {v['digest']}"
        if v.get("expected_digest"):
            anchored = f"evidence {v['evidence_id']} anchored SHA-256 {v['expected_digest']}"
            return f"{name}: mismatch — {own}, {anchored}"
        return f"{name}: mismatch — {own}; {v['detail']}"
    return f"{name}: not anchored — file SHA-256 {v['digest']}: {v['detail']}"


app = typer.Typer(add_completion=False)
app.add_typer(evidence_app, name="evidence")
app.command("verify-receipt")(verify_receipt)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
