"""EvidenceRegistry against a real anvil: anchoring rules, and proofs made by ``chain.merkle`` and by
OpenZeppelin's JS library (``tests/js/merkle_interop.mjs``) checked by the contract itself."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Sequence
from typing import Any

import pytest
from eth_abi.abi import encode as abi_encode

from chain import ContractReverted
from chain.client import ChainClient, TxRequest
from chain.compiler import CompileResult
from chain.config import PROJECT_ROOT
from chain.contracts.consortium import EVIDENCE_ANCHORER_ROLE, Role
from chain.contracts.evidence_registry import Anchor, EvidenceAnchored, EvidenceRegistry
from chain.merkle import Bytes32Like, StandardMerkleTree, hex32, leaf_hash
from chain.network import Recourse
from tests.chain.conftest import Admit, SignerFactory
from tests.conftest import account

pytestmark = pytest.mark.chain

INTEROP = PROJECT_ROOT / "tests" / "js" / "merkle_interop.mjs"
META = hashlib.sha256(b"case CR-2024-0042; uri scheme v1").digest()


def digests(n: int, batch: str) -> list[bytes]:
    """SHA-256 digests of ``n`` distinct documents (what the gateway puts in a tree)."""
    return [hashlib.sha256(f"{batch}/document-{i}".encode()).digest() for i in range(n)]


def merkle_js(command: str, request: dict[str, Any]) -> dict[str, Any]:
    """Run the interop script with OpenZeppelin's JS library; its reply as JSON."""
    done = subprocess.run(
        ["node", str(INTEROP), command],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=120,
        check=False,
    )
    reply: dict[str, Any] = json.loads(done.stdout)
    assert done.returncode == 0, reply.get("error", done.stderr)
    return reply


def reverted(excinfo: pytest.ExceptionInfo[ContractReverted]) -> tuple[str, dict[str, object]]:
    return excinfo.value.name, excinfo.value.arguments


@pytest.fixture
def registry(
    client: ChainClient, recourse: Recourse, compiled: CompileResult, signer: SignerFactory
) -> EvidenceRegistry:
    """A fresh EvidenceRegistry bound to the session Consortium (rolled back with the test's snapshot)."""
    artifact = compiled.get("EvidenceRegistry")
    args = abi_encode(["address"], [recourse.deployments.address("Consortium")])
    receipt = signer("deployer").transact(TxRequest(None, bytes.fromhex(artifact.bytecode[2:]) + args))
    assert receipt.contract_address is not None
    return EvidenceRegistry(client, receipt.contract_address, artifact.abi)


@pytest.fixture
def anchorers(admit: Admit) -> None:
    """bank (BANK), collector (COLLECTOR), court (COURT) may anchor; investor and oracle may not."""
    admit("bank", [Role.BANK])
    admit("collector", [Role.COLLECTOR])
    admit("court", [Role.COURT])
    admit("investor", [Role.INVESTOR])
    admit("oracle", [Role.ORACLE])


def verify_all(
    registry: EvidenceRegistry, root: Bytes32Like, items: Sequence[tuple[Bytes32Like, Sequence[Bytes32Like]]]
) -> list[bool]:
    return [registry.verify(root, value, proof) for value, proof in items]


# ---------------------------------------------------------------------------------------------------


def test_registry_is_bound_to_the_consortium(registry: EvidenceRegistry, recourse: Recourse) -> None:
    assert registry.consortium() == recourse.deployments.address("Consortium")
    assert registry.anchor_of(b"\x01" * 32) is None
    assert not registry.is_anchored(b"\x01" * 32)


@pytest.mark.usefixtures("anchorers")
def test_python_tree_anchored_and_every_proof_verifies_on_chain(
    registry: EvidenceRegistry, client: ChainClient, signer: SignerFactory
) -> None:
    values = digests(37, "bank-batch")
    tree = StandardMerkleTree.of(values)
    bank = signer("bank")
    before = client.block_number()

    anchored = registry.anchor_tree(bank, tree, META)

    block_time = client.block_timestamp(anchored.block_number)
    assert anchored == EvidenceAnchored(
        root=tree.root,
        submitter=bank.address,
        leaf_count=37,
        meta_digest=META,
        block_time=block_time,
        block_number=anchored.block_number,
        tx_hash=anchored.tx_hash,
        key=anchored.key,
    )
    assert anchored.block_number == before + 1
    assert registry.anchor_of(tree.root) == Anchor(
        root=tree.root,
        submitter=bank.address,
        block_number=anchored.block_number,
        leaf_count=37,
        block_time=block_time,
        meta_digest=META,
    )
    assert registry.is_anchored(tree.root_hex)
    assert verify_all(registry, tree.root, [(v, tree.proof_at(i)) for i, v in enumerate(values)]) == [True] * 37
    # tampered document, unknown document, proof of another leaf
    assert not registry.verify(tree.root, hashlib.sha256(b"bank-batch/document-0 (altered)").digest(), tree.proof_at(0))
    assert not registry.verify(tree.root, values[1], tree.proof_at(0))
    # the verifier hashes the value: a leaf hash is not a document digest
    assert not registry.verify(tree.root, leaf_hash(values[0]), tree.proof_at(0))
    # before the anchor block the same proof answers "not anchored"
    assert not registry.verify(tree.root, values[0], tree.proof_at(0), block=before)
    assert registry.anchor_of(tree.root, block=before) is None


@pytest.mark.usefixtures("anchorers")
def test_js_library_tree_anchored_and_its_proofs_verify_on_chain(
    registry: EvidenceRegistry, signer: SignerFactory
) -> None:
    values = [hex32(v) for v in digests(25, "court-batch")]
    js = merkle_js("build", {"values": values})
    assert StandardMerkleTree.of(values).root_hex == js["root"]

    anchored = registry.anchor(signer("court"), js["root"], 25, META)

    assert hex32(anchored.root) == js["root"]
    assert anchored.submitter == account("court").address
    proofs = [(v, js["proofs"][str(i)]) for i, v in enumerate(values)]
    assert verify_all(registry, js["root"], proofs) == [True] * 25
    # a JS dump loaded in Python gives the same proofs
    loaded = StandardMerkleTree.load(js["dump"])
    assert [[hex32(p) for p in loaded.proof_at(i)] for i in range(25)] == [js["proofs"][str(i)] for i in range(25)]


@pytest.mark.usefixtures("anchorers")
def test_python_proofs_verify_in_js_and_on_chain_for_an_odd_tree(
    registry: EvidenceRegistry, signer: SignerFactory
) -> None:
    values = digests(11, "collector-batch")
    tree = StandardMerkleTree.of(values)
    pairs = [(hex32(v), [hex32(p) for p in tree.proof_at(i)]) for i, v in enumerate(values)]

    registry.anchor_tree(signer("collector"), tree, META)

    items = [{"value": value, "proof": proof} for value, proof in pairs]
    assert merkle_js("verify", {"root": tree.root_hex, "items": items})["results"] == [True] * 11
    assert verify_all(registry, tree.root_hex, pairs) == [True] * 11


@pytest.mark.usefixtures("anchorers")
def test_a_proof_verifies_only_against_its_own_root(registry: EvidenceRegistry, signer: SignerFactory) -> None:
    shared = hashlib.sha256(b"the same notice, sent in two batches").digest()
    first = StandardMerkleTree.of([shared, *digests(4, "first")])
    second = StandardMerkleTree.of([shared, *digests(6, "second")])
    unanchored = StandardMerkleTree.of([shared, *digests(2, "never")])
    registry.anchor_tree(signer("bank"), first)
    registry.anchor_tree(signer("collector"), second)

    assert registry.verify(first.root, shared, first.proof(shared))
    assert registry.verify(second.root, shared, second.proof(shared))
    assert not registry.verify(first.root, shared, second.proof(shared))
    assert not registry.verify(second.root, shared, first.proof(shared))
    assert not registry.verify(unanchored.root, shared, unanchored.proof(shared))


@pytest.mark.usefixtures("anchorers")
@pytest.mark.parametrize("name", ["investor", "oracle", "outsider", "governor-1"])
def test_non_authorised_roles_cannot_anchor(registry: EvidenceRegistry, signer: SignerFactory, name: str) -> None:
    tree = StandardMerkleTree.of(digests(3, f"by-{name}"))
    with pytest.raises(ContractReverted) as excinfo:
        registry.anchor_tree(signer(name), tree)
    assert reverted(excinfo) == (
        "ConsortiumGatedUnauthorized",
        {"account": account(name).address, "role": EVIDENCE_ANCHORER_ROLE},
    )
    assert not registry.is_anchored(tree.root)


@pytest.mark.usefixtures("anchorers")
def test_suspended_bank_cannot_anchor_until_reinstated(
    registry: EvidenceRegistry, recourse: Recourse, signer: SignerFactory
) -> None:
    consortium, g1, g2 = recourse.consortium, signer("governor-1"), signer("governor-2")
    bank = signer("bank")
    pid = consortium.propose_suspension(g1, bank.address, reason="licence review", suspend=True)
    consortium.approve(g2, pid)
    consortium.execute(g1, pid)
    tree = StandardMerkleTree.of(digests(3, "suspended"))

    with pytest.raises(ContractReverted) as excinfo:
        registry.anchor_tree(bank, tree)
    assert reverted(excinfo) == (
        "ConsortiumGatedUnauthorized",
        {"account": bank.address, "role": EVIDENCE_ANCHORER_ROLE},
    )

    pid = consortium.propose_suspension(g2, bank.address, reason="review closed", suspend=False)
    consortium.approve(g1, pid)
    consortium.execute(g2, pid)
    assert registry.anchor_tree(bank, tree).submitter == bank.address


@pytest.mark.usefixtures("anchorers")
def test_reanchoring_a_root_reverts_and_keeps_the_original(registry: EvidenceRegistry, signer: SignerFactory) -> None:
    tree = StandardMerkleTree.of(digests(8, "once"))
    first = registry.anchor_tree(signer("bank"), tree, META)
    original = registry.anchor_of(tree.root)

    for name in ("bank", "court"):
        with pytest.raises(ContractReverted) as excinfo:
            registry.anchor(signer(name), tree.root, 99, b"\x07" * 32)
        assert reverted(excinfo) == (
            "EvidenceRegistryAlreadyAnchored",
            {"root": tree.root, "submitter": account("bank").address, "blockNumber": first.block_number},
        )
    assert registry.anchor_of(tree.root) == original
    assert registry.anchored_between(from_block=first.block_number) == [first]


@pytest.mark.usefixtures("anchorers")
def test_zero_root_and_zero_leaf_count_are_refused(registry: EvidenceRegistry, signer: SignerFactory) -> None:
    root = StandardMerkleTree.of(digests(2, "zero")).root
    with pytest.raises(ContractReverted) as zero_root:
        registry.anchor(signer("court"), bytes(32), 2)
    with pytest.raises(ContractReverted) as zero_count:
        registry.anchor(signer("court"), root, 0)
    assert reverted(zero_root) == ("EvidenceRegistryZeroRoot", {})
    assert reverted(zero_count) == ("EvidenceRegistryZeroLeafCount", {"root": root})
    with pytest.raises(ValueError, match="uint32"):
        registry.anchor_request(root, 2**32)


@pytest.mark.usefixtures("anchorers")
def test_anchors_sent_as_one_burst_are_all_in_the_event_history(
    registry: EvidenceRegistry, client: ChainClient, signer: SignerFactory
) -> None:
    trees = [StandardMerkleTree.of(digests(5 + i, f"burst-{i}")) for i in range(4)]
    start = client.block_number() + 1

    receipts = signer("collector").transact_many([registry.anchor_request(t.root, len(t), META) for t in trees])

    assert all(r.status for r in receipts)
    history = registry.anchored_between(from_block=start)
    assert [e.root for e in history] == [t.root for t in trees]
    assert [e.leaf_count for e in history] == [5, 6, 7, 8]
    assert [e.key for e in history] == sorted(e.key for e in history)
    assert [registry.anchored_in(r) for r in receipts] == history


@pytest.mark.usefixtures("anchorers")
def test_gas_of_anchor_and_of_verify_at_1000_and_100000_leaves(
    registry: EvidenceRegistry, client: ChainClient, signer: SignerFactory
) -> None:
    """Receipt gas of ``anchor`` and ``eth_estimateGas`` of ``verify`` (a whole call, 21,000 included)."""
    gas: dict[str, int] = {}
    for n in (1_000, 100_000):
        values = digests(n, f"gas-{n}")
        tree = StandardMerkleTree.of(values)
        role = "court" if n == 1_000 else "bank"
        receipt = signer(role).transact(registry.anchor_request(tree.root, n, META))
        gas[f"anchor_{role}_{n}"] = receipt.gas_used
        # the deepest leaf: the longest proof in the tree
        deepest = max(range(n), key=lambda i: len(tree.proof_at(i)) * n + i)
        proof = tree.proof_at(deepest)
        assert len(proof) == (2 * n - 1).bit_length() - 1
        assert registry.verify(tree.root, values[deepest], proof)
        call = registry.request("verify", tree.root, values[deepest], proof)
        tx = {"from": signer("auditor").address, "to": registry.address, "data": "0x" + call.data.hex()}
        gas[f"verify_{n}_proof{len(proof)}"] = int(client.rpc.call("eth_estimateGas", [tx]), 16)

    # one root + count + submitter + times + metadata digest, role checks and an event
    assert 60_000 < gas["anchor_bank_100000"] < 120_000
    assert gas["anchor_court_1000"] < gas["anchor_bank_100000"] + 10_000  # COURT is the third role checked
    verify_1k, verify_100k = gas["verify_1000_proof10"], gas["verify_100000_proof17"]
    assert 21_000 < verify_1k < verify_100k < 40_000
