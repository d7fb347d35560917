"""``chain.merkle``: OpenZeppelin ``StandardMerkleTree`` for ``bytes32`` leaves, checked against itself, against
hand-computed hashes and against OpenZeppelin's own JS library (``tests/js/merkle_interop.mjs``)."""

from __future__ import annotations

import hashlib
import json
import subprocess
from typing import Any

import pytest
from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.config import PROJECT_ROOT
from chain.merkle import (
    MerkleTreeError,
    MultiProof,
    StandardMerkleTree,
    hex32,
    leaf_hash,
    node_hash,
    process_proof,
    to_bytes32,
    verify,
    verify_multiproof,
)

INTEROP = PROJECT_ROOT / "tests" / "js" / "merkle_interop.mjs"

#: root of sha256("document-0".."document-4") made by @openzeppelin/merkle-tree 1.0.8 (also in the forge test)
JS_ROOT_5 = "0x17d49255fc04cfb75c6f07642a342e5789289cf06ce983a499af89d49daae36d"

digests = st.binary(min_size=32, max_size=32)


def doc_digest(i: int) -> bytes:
    return hashlib.sha256(f"document-{i}".encode()).digest()


def random_digests(n: int, seed: int) -> list[bytes]:
    """``n`` distinct SHA-256 digests, deterministic per ``seed``."""
    return [hashlib.sha256(f"batch-{seed}/document-{i}".encode()).digest() for i in range(n)]


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


def flip(value: bytes, bit: int = 0) -> bytes:
    raw = bytearray(value)
    raw[bit // 8] ^= 1 << (bit % 8)
    return bytes(raw)


# ---------------------------------------------------------------------------------------------------
# hashing
# ---------------------------------------------------------------------------------------------------


def test_leaf_is_double_keccak_of_abi_encoded_value() -> None:
    value = doc_digest(0)
    expected = keccak(keccak(abi_encode(["bytes32"], [value])))
    assert leaf_hash(value) == expected
    assert leaf_hash(hex32(value)) == expected
    assert leaf_hash(hex32(value).upper().replace("0X", "0x")) == expected


def test_node_hash_sorts_the_pair() -> None:
    a, b = sorted([doc_digest(1), doc_digest(2)])
    assert node_hash(a, b) == node_hash(b, a) == keccak(a + b)


@pytest.mark.parametrize(
    "bad",
    ["0x1234", "0x" + "zz" * 32, b"\x00" * 31, b"\x00" * 33, "", 42],
    ids=["short-hex", "not-hex", "31-bytes", "33-bytes", "empty", "int"],
)
def test_to_bytes32_refuses_malformed_values(bad: Any) -> None:
    with pytest.raises(MerkleTreeError):
        to_bytes32(bad)


# ---------------------------------------------------------------------------------------------------
# building, proofs, verification
# ---------------------------------------------------------------------------------------------------


def test_single_leaf_tree_root_is_the_leaf_and_proof_is_empty() -> None:
    value = doc_digest(0)
    tree = StandardMerkleTree.of([value])

    assert tree.root == leaf_hash(value)
    assert tree.tree == (leaf_hash(value),)
    assert tree.proof(value) == []
    assert verify(tree.root, value, [])
    assert not verify(tree.root, doc_digest(1), [])


def test_two_leaf_tree_root_hashes_both_leaves() -> None:
    a, b = doc_digest(0), doc_digest(1)
    tree = StandardMerkleTree.of([a, b])

    assert tree.root == node_hash(leaf_hash(a), leaf_hash(b))
    assert tree.proof(a) == [leaf_hash(b)]
    assert tree.proof(b) == [leaf_hash(a)]


def test_three_leaf_tree_layout_by_hand() -> None:
    values = [doc_digest(i) for i in range(3)]
    leaves = sorted(leaf_hash(v) for v in values)
    tree = StandardMerkleTree.of(values)

    # flat array: leaves sorted ascending, stored from the end backwards; odd node 1 is not duplicated
    assert tree.tree[2:] == (leaves[2], leaves[1], leaves[0])
    assert tree.tree[1] == node_hash(leaves[1], leaves[0])
    assert tree.root == node_hash(tree.tree[1], leaves[2])
    smallest = next(v for v in values if leaf_hash(v) == leaves[0])
    assert tree.proof(smallest) == [leaves[1], leaves[2]]
    largest = next(v for v in values if leaf_hash(v) == leaves[2])
    assert tree.proof(largest) == [tree.tree[1]]


def test_known_root_from_the_openzeppelin_library() -> None:
    tree = StandardMerkleTree.of([doc_digest(i) for i in range(5)])
    assert tree.root_hex == JS_ROOT_5
    assert tree.tree_index(0) == 8


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 8, 9, 31, 33, 100, 1_000, 4_097])
def test_every_value_proves_against_the_root(n: int) -> None:
    values = random_digests(n, seed=n)
    tree = StandardMerkleTree.of(values)

    assert len(tree) == n
    assert len(tree.tree) == 2 * n - 1
    assert tree.values == tuple(values)
    max_depth = (2 * n - 1).bit_length() - 1
    for i, value in enumerate(values):
        proof = tree.proof_at(i)
        assert proof == tree.proof(value)
        assert len(proof) <= max_depth
        assert verify(tree.root, value, proof)
        assert tree.verify(value, proof)
        assert process_proof(leaf_hash(value), proof) == tree.root
    leaves = tree.tree[n - 1 :]
    assert list(leaves) == sorted(leaves, reverse=True)


def test_tampered_leaf_or_proof_fails() -> None:
    values = random_digests(9, seed=7)
    tree = StandardMerkleTree.of(values)
    value = values[4]
    proof = tree.proof(value)

    assert verify(tree.root, value, proof)
    assert not verify(tree.root, flip(value), proof)
    assert not verify(tree.root, flip(value, 255), proof)
    for i in range(len(proof)):
        tampered = list(proof)
        tampered[i] = flip(tampered[i], 77)
        assert not verify(tree.root, value, tampered)
    assert not verify(tree.root, value, proof[:-1])
    assert not verify(tree.root, value, [*proof, proof[0]])
    assert not verify(flip(tree.root), value, proof)
    assert not verify(tree.root, values[5], proof)
    # the verifier hashes the value: a leaf hash or an inner node passed as the "document" fails
    assert not verify(tree.root, leaf_hash(value), proof)
    assert not verify(tree.root, tree.tree[1], [tree.tree[2]])


def test_proof_is_bound_to_its_own_root() -> None:
    shared = doc_digest(99)
    first = StandardMerkleTree.of([shared, *random_digests(4, seed=1)])
    second = StandardMerkleTree.of([shared, *random_digests(6, seed=2)])

    assert verify(first.root, shared, first.proof(shared))
    assert verify(second.root, shared, second.proof(shared))
    assert not verify(first.root, shared, second.proof(shared))
    assert not verify(second.root, shared, first.proof(shared))


def test_hex_and_bytes_inputs_are_the_same_tree() -> None:
    values = random_digests(6, seed=3)
    tree = StandardMerkleTree.of(values)
    as_hex = StandardMerkleTree.of([hex32(v) for v in values])

    assert as_hex.dump() == tree.dump()
    assert verify(tree.root_hex, hex32(values[2]), [hex32(p) for p in tree.proof(values[2])])
    assert hex32(values[2]) in tree
    assert values[2] in tree
    assert doc_digest(1234) not in tree
    assert "not hex" not in tree


def test_duplicate_values_resolve_to_the_last_one_as_in_the_js_library() -> None:
    a, b = doc_digest(1), doc_digest(2)
    tree = StandardMerkleTree.of([a, b, a])

    assert len(tree) == 3
    assert tree.index_of(a) == 2
    assert verify(tree.root, a, tree.proof_at(0))
    assert verify(tree.root, a, tree.proof_at(2))
    assert tree.proof_at(0) != tree.proof_at(2)


def test_errors_are_merkle_tree_errors() -> None:
    tree = StandardMerkleTree.of(random_digests(3, seed=4))

    with pytest.raises(MerkleTreeError, match="non-zero number of leaves"):
        StandardMerkleTree.of([])
    with pytest.raises(MerkleTreeError, match="not in tree"):
        tree.proof(doc_digest(5))
    with pytest.raises(MerkleTreeError, match="out of bounds"):
        tree.proof_at(3)
    with pytest.raises(MerkleTreeError, match="out of bounds"):
        tree.proof_at(-1)
    with pytest.raises(MerkleTreeError, match="32 bytes"):
        verify(tree.root, tree.values[0], [b"\x01" * 31])


# ---------------------------------------------------------------------------------------------------
# multiproofs
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "picks"), [(1, [0]), (2, [1]), (5, [0, 2, 3]), (8, list(range(8))), (13, [12, 0, 7])])
def test_multiproof_verifies_and_tampering_fails(n: int, picks: list[int]) -> None:
    values = random_digests(n, seed=n + 100)
    tree = StandardMerkleTree.of(values)
    mp = tree.multiproof([values[i] for i in picks])

    assert sorted(mp.leaves) == sorted(values[i] for i in picks)
    assert tree.verify_multiproof(mp)
    assert verify_multiproof(tree.root, mp)
    assert MultiProof.from_json(mp.to_json()) == mp
    wrong = MultiProof(leaves=(flip(mp.leaves[0]), *mp.leaves[1:]), proof=mp.proof, proof_flags=mp.proof_flags)
    assert not verify_multiproof(tree.root, wrong)


def test_multiproof_of_nothing_carries_the_root() -> None:
    tree = StandardMerkleTree.of(random_digests(4, seed=5))
    mp = tree.multiproof_at([])
    assert mp == MultiProof(leaves=(), proof=(tree.root,), proof_flags=())
    assert tree.verify_multiproof(mp)


def test_multiproof_refuses_duplicates_and_malformed_proofs() -> None:
    values = random_digests(4, seed=6)
    tree = StandardMerkleTree.of(values)
    with pytest.raises(MerkleTreeError, match="duplicated"):
        tree.multiproof_at([1, 1])
    mp = tree.multiproof_at([0, 1])
    with pytest.raises(MerkleTreeError, match="not compatible"):
        verify_multiproof(tree.root, MultiProof(mp.leaves, mp.proof, (*mp.proof_flags, True)))
    with pytest.raises(MerkleTreeError, match="invalid multiproof format"):
        verify_multiproof(tree.root, MultiProof(mp.leaves, (), tuple(False for _ in mp.proof_flags)))


# ---------------------------------------------------------------------------------------------------
# dump and load
# ---------------------------------------------------------------------------------------------------


def test_dump_format_and_round_trip() -> None:
    values = random_digests(5, seed=8)
    tree = StandardMerkleTree.of(values)
    dump = tree.dump()

    assert dump["format"] == "standard-v1"
    assert dump["leafEncoding"] == ["bytes32"]
    assert dump["tree"][0] == tree.root_hex
    assert dump["values"][0] == {"value": [hex32(values[0])], "treeIndex": tree.tree_index(0)}
    loaded = StandardMerkleTree.load(json.loads(json.dumps(dump)))
    assert loaded.root == tree.root
    assert loaded.values == tree.values
    assert [loaded.proof_at(i) for i in range(5)] == [tree.proof_at(i) for i in range(5)]


def _corrupt(dump: dict[str, Any], how: str) -> dict[str, Any]:
    d: dict[str, Any] = json.loads(json.dumps(dump))
    if how == "format":
        d["format"] = "simple-v1"
    elif how == "encoding":
        d["leafEncoding"] = ["address", "uint256"]
    elif how == "no-encoding":
        del d["leafEncoding"]
    elif how == "inner-node":
        d["tree"][1] = hex32(flip(to_bytes32(d["tree"][1])))
    elif how == "leaf-node":
        d["tree"][-1] = hex32(flip(to_bytes32(d["tree"][-1])))
    elif how == "value":
        d["values"][0]["value"] = [hex32(flip(to_bytes32(d["values"][0]["value"][0])))]
    elif how == "index-inner":
        d["values"][0]["treeIndex"] = 0
    elif how == "index-shared":
        d["values"][0]["treeIndex"] = d["values"][1]["treeIndex"]
    elif how == "missing-value":
        d["values"].pop()
    elif how == "two-values":
        d["values"][0]["value"] = [d["values"][0]["value"][0]] * 2
    elif how == "short-node":
        d["tree"][0] = "0x1234"
    elif how == "one-child":
        d["tree"].pop()
    return d


@pytest.mark.parametrize(
    "how",
    [
        "format",
        "encoding",
        "no-encoding",
        "inner-node",
        "leaf-node",
        "value",
        "index-inner",
        "index-shared",
        "missing-value",
        "two-values",
        "short-node",
        "one-child",
    ],
)
def test_load_refuses_an_invalid_dump(how: str) -> None:
    dump = StandardMerkleTree.of(random_digests(6, seed=9)).dump()
    with pytest.raises(MerkleTreeError):
        StandardMerkleTree.load(_corrupt(dump, how))


# ---------------------------------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(values=st.lists(digests, min_size=1, max_size=64, unique=True), other=digests)
def test_property_every_proof_verifies_and_an_outsider_does_not(values: list[bytes], other: bytes) -> None:
    tree = StandardMerkleTree.of(values)
    for i, value in enumerate(values):
        proof = tree.proof_at(i)
        assert verify(tree.root, value, proof)
        if other not in values:
            assert not verify(tree.root, other, proof)
    assert StandardMerkleTree.load(tree.dump()).root == tree.root


@settings(max_examples=100, deadline=None)
@given(data=st.data(), values=st.lists(digests, min_size=1, max_size=40, unique=True))
def test_property_multiproof_of_any_subset_verifies(data: st.DataObject, values: list[bytes]) -> None:
    picks = data.draw(st.lists(st.sampled_from(range(len(values))), unique=True))
    tree = StandardMerkleTree.of(values)
    assert tree.verify_multiproof(tree.multiproof_at(picks))


# ---------------------------------------------------------------------------------------------------
# interop with OpenZeppelin's JS library (@openzeppelin/merkle-tree, via node)
# ---------------------------------------------------------------------------------------------------

SIZES = [1, 2, 3, 4, 5, 7, 8, 13, 16, 17, 100, 1_001]


@pytest.mark.parametrize("n", SIZES)
def test_interop_same_tree_as_the_js_library(n: int) -> None:
    values = [hex32(v) for v in random_digests(n, seed=1_000 + n)]
    js = merkle_js("build", {"values": values})
    tree = StandardMerkleTree.of(values)

    assert tree.root_hex == js["root"]
    assert tree.dump() == js["dump"]
    assert {str(i): [hex32(p) for p in tree.proof_at(i)] for i in range(n)} == js["proofs"]


@pytest.mark.parametrize("n", [1, 2, 3, 6, 9, 64, 257])
def test_interop_python_proofs_verify_in_js_and_tampered_ones_do_not(n: int) -> None:
    values = random_digests(n, seed=2_000 + n)
    tree = StandardMerkleTree.of(values)
    items = [{"value": hex32(v), "proof": [hex32(p) for p in tree.proof_at(i)]} for i, v in enumerate(values)]
    tampered = [{"value": hex32(flip(v)), "proof": [hex32(p) for p in tree.proof_at(i)]} for i, v in enumerate(values)]

    assert merkle_js("verify", {"root": tree.root_hex, "items": items})["results"] == [True] * n
    assert merkle_js("verify", {"root": tree.root_hex, "items": tampered})["results"] == [False] * n


@pytest.mark.parametrize("n", [1, 2, 3, 6, 9, 64, 257])
def test_interop_js_proofs_verify_in_python(n: int) -> None:
    values = random_digests(n, seed=3_000 + n)
    js = merkle_js("build", {"values": [hex32(v) for v in values]})

    for i, value in enumerate(values):
        proof = js["proofs"][str(i)]
        assert verify(js["root"], value, proof)
        assert not verify(js["root"], flip(value, 3), proof)


def test_interop_js_dump_loads_in_python() -> None:
    values = random_digests(21, seed=4_000)
    js = merkle_js("build", {"values": [hex32(v) for v in values]})

    tree = StandardMerkleTree.load(js["dump"])

    assert tree.root_hex == js["root"]
    assert tree.values == tuple(values)
    assert tree.dump() == js["dump"]
    assert {str(i): [hex32(p) for p in tree.proof_at(i)] for i in range(21)} == js["proofs"]


def test_interop_python_dump_loads_in_js() -> None:
    values = random_digests(21, seed=5_000)
    tree = StandardMerkleTree.of(values)

    js = merkle_js("load", {"dump": tree.dump()})

    assert js["root"] == tree.root_hex
    assert js["length"] == 21
    assert js["values"] == [hex32(v) for v in values]
    assert js["proofs"] == {str(i): [hex32(p) for p in tree.proof_at(i)] for i in range(21)}


def test_interop_js_refuses_a_tampered_python_dump() -> None:
    dump = StandardMerkleTree.of(random_digests(6, seed=6_000)).dump()
    done = subprocess.run(
        ["node", str(INTEROP), "load"],
        input=json.dumps({"dump": _corrupt(dump, "inner-node")}),
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "invalid" in json.loads(done.stdout)["error"].lower()


def test_interop_duplicate_values_match_the_js_library() -> None:
    a, b, c = (hex32(doc_digest(i)) for i in range(3))
    values = [a, b, a, c, b]
    js = merkle_js("build", {"values": values})
    assert StandardMerkleTree.of(values).dump() == js["dump"]


@pytest.mark.parametrize(("n", "picks"), [(5, [0, 2, 3]), (16, [15, 3, 8, 9]), (33, list(range(0, 33, 4)))])
def test_interop_multiproofs_both_ways(n: int, picks: list[int]) -> None:
    values = random_digests(n, seed=7_000 + n)
    tree = StandardMerkleTree.of(values)
    js = merkle_js("build", {"values": [hex32(v) for v in values], "proofs": [], "multiproof": picks})

    ours = tree.multiproof_at(picks)
    assert ours.to_json() == js["multiproof"]
    assert verify_multiproof(js["root"], MultiProof.from_json(js["multiproof"]))
    assert merkle_js("verify-multi", {"root": tree.root_hex, "multiproof": ours.to_json()})["result"] is True
