"""OpenZeppelin ``StandardMerkleTree`` for one ``bytes32`` value per leaf (the document digest).

Byte-for-byte the tree of OpenZeppelin's JS library ``@openzeppelin/merkle-tree`` with leaf encoding
``["bytes32"]``, so roots, proofs and dumps interoperate with it and with ``MerkleProof.verify`` on chain
(``EvidenceRegistry.verify``):

* leaf = ``keccak256(keccak256(abi.encode(value)))``; for one ``bytes32`` the ABI encoding is the value
  itself, so the leaf is ``keccak256(keccak256(value))`` (hashed twice: no 64-byte inner node can pass for
  a leaf);
* a node is ``keccak256(min(a, b) ‖ max(a, b))``, so proofs carry no left/right flags;
* leaves are sorted by hash (stable, as the JS library) and stored at the end of one flat array in
  reverse order; node ``i`` has children ``2i+1`` and ``2i+2``; an odd node is never duplicated;
* ``dump()``/``load()`` use the library's JSON format ``standard-v1``
  (``{"format", "leafEncoding", "tree", "values": [{"value": [hex], "treeIndex"}]}``).

Values, roots and proof nodes are 32-byte ``bytes``; every input also accepts ``0x`` hex. Malformed
input (a node that is not 32 bytes, a dump that does not validate) raises ``MerkleTreeError``; a
well-formed proof that does not lead to the root is simply ``False``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_hash.auto import keccak

from chain._exceptions import ChainError

__all__ = [
    "FORMAT",
    "LEAF_ENCODING",
    "Bytes32Like",
    "MerkleTreeError",
    "MultiProof",
    "StandardMerkleTree",
    "hex32",
    "leaf_hash",
    "node_hash",
    "process_multiproof",
    "process_proof",
    "to_bytes32",
    "verify",
    "verify_multiproof",
]

FORMAT = "standard-v1"
LEAF_ENCODING: tuple[str, ...] = ("bytes32",)

#: a 32-byte value given as ``bytes`` or as ``0x`` hex
Bytes32Like = bytes | str


class MerkleTreeError(ChainError):
    """A value, proof node, tree or dump is malformed, or a value is not in the tree."""


# --- primitives -----------------------------------------------------------------------------------


def to_bytes32(value: Bytes32Like) -> bytes:
    """``value`` as 32 bytes (``0x`` hex in any case, or bytes); anything else raises ``MerkleTreeError``."""
    if isinstance(value, str):
        text = value[2:] if value[:2] in ("0x", "0X") else value
        try:
            raw = bytes.fromhex(text)
        except ValueError as exc:
            raise MerkleTreeError(f"not hex: {value!r}") from exc
    elif isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
    else:
        raise MerkleTreeError(f"expected 32 bytes or 0x hex, got {type(value).__name__}")
    if len(raw) != 32:
        raise MerkleTreeError(f"Merkle tree nodes and values must be 32 bytes, got {len(raw)}")
    return raw


def hex32(value: bytes) -> str:
    """``0x``-prefixed lowercase hex, as the JS library writes hashes."""
    return "0x" + value.hex()


def leaf_hash(value: Bytes32Like) -> bytes:
    """The tree leaf of a document digest: ``keccak256(keccak256(abi.encode(bytes32 value)))``."""
    return keccak(keccak(to_bytes32(value)))


def node_hash(a: bytes, b: bytes) -> bytes:
    """Parent of two nodes, hashed in ascending order."""
    return keccak(a + b if a <= b else b + a)


def process_proof(leaf: Bytes32Like, proof: Sequence[Bytes32Like]) -> bytes:
    """The root reached from leaf hash ``leaf`` through ``proof`` (``MerkleProof.processProof``)."""
    node = to_bytes32(leaf)
    for sibling in proof:
        node = node_hash(node, to_bytes32(sibling))
    return node


def verify(root: Bytes32Like, leaf: Bytes32Like, proof: Sequence[Bytes32Like]) -> bool:
    """Whether document digest ``leaf`` (the value, not its leaf hash) is in the tree with ``root``.

    Same inputs and answer as ``EvidenceRegistry.verify`` for an anchored root, and as
    ``StandardMerkleTree.verify(root, ["bytes32"], [leaf], proof)`` in the JS library.
    """
    return process_proof(leaf_hash(leaf), proof) == to_bytes32(root)


@dataclass(frozen=True)
class MultiProof:
    """Several values proven at once (``MerkleProof.multiProofVerify`` layout): ``leaves`` are the values."""

    leaves: tuple[bytes, ...]
    proof: tuple[bytes, ...]
    proof_flags: tuple[bool, ...]

    def to_json(self) -> dict[str, Any]:
        """The JS library's field names, values as hex."""
        return {
            "leaves": [hex32(v) for v in self.leaves],
            "proof": [hex32(p) for p in self.proof],
            "proofFlags": list(self.proof_flags),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MultiProof:
        try:
            leaves, proof, flags = data["leaves"], data["proof"], data["proofFlags"]
        except KeyError as exc:
            raise MerkleTreeError(f"multiproof lacks {exc.args[0]!r}") from exc
        if not all(isinstance(f, bool) for f in flags):
            raise MerkleTreeError("proofFlags must be booleans")
        return cls(
            leaves=tuple(to_bytes32(_single_value(v)) for v in leaves),
            proof=tuple(to_bytes32(p) for p in proof),
            proof_flags=tuple(flags),
        )


def process_multiproof(leaves: Sequence[bytes], proof: Sequence[bytes], proof_flags: Sequence[bool]) -> bytes:
    """The root reached from leaf hashes ``leaves`` (``MerkleProof.processMultiProof``)."""
    leaf_nodes = [to_bytes32(x) for x in leaves]
    proof_nodes = [to_bytes32(x) for x in proof]
    if len(proof_nodes) < sum(1 for f in proof_flags if not f):
        raise MerkleTreeError("invalid multiproof format")
    if len(leaf_nodes) + len(proof_nodes) != len(proof_flags) + 1:
        raise MerkleTreeError("provided leaves and multiproof are not compatible")
    queue = deque(leaf_nodes)
    rest = deque(proof_nodes)
    for flag in proof_flags:
        a = queue.popleft() if queue else None
        b = (queue.popleft() if queue else None) if flag else (rest.popleft() if rest else None)
        if a is None or b is None:
            raise MerkleTreeError("invalid multiproof")
        queue.append(node_hash(a, b))
    if len(queue) + len(rest) != 1:
        raise MerkleTreeError("invalid multiproof")
    return queue.pop() if queue else rest.popleft()


def verify_multiproof(root: Bytes32Like, multiproof: MultiProof) -> bool:
    """Whether every value in ``multiproof.leaves`` is in the tree with ``root``."""
    hashes = [leaf_hash(v) for v in multiproof.leaves]
    return process_multiproof(hashes, multiproof.proof, multiproof.proof_flags) == to_bytes32(root)


def _single_value(item: Any) -> Bytes32Like:
    """A value as the JS library writes it (``["0x…"]``) or bare."""
    if isinstance(item, list | tuple):
        if len(item) != 1:
            raise MerkleTreeError(f"expected one bytes32 per leaf, got {len(item)} values")
        item = item[0]
    if not isinstance(item, str | bytes):
        raise MerkleTreeError(f"expected a bytes32 value, got {type(item).__name__}")
    return item


def _sibling(i: int) -> int:
    return i + 1 if i % 2 == 1 else i - 1


def _parent(i: int) -> int:
    return (i - 1) // 2


def _validate(tree: Sequence[bytes], values: Sequence[bytes], tree_index: Sequence[int]) -> None:
    size = len(tree)
    if size == 0:
        raise MerkleTreeError("a tree has at least one node")
    for i, node in enumerate(tree):
        left, right = 2 * i + 1, 2 * i + 2
        if right >= size:
            if left < size:
                raise MerkleTreeError(f"merkle tree is invalid: node {i} has one child")
        elif node != node_hash(tree[left], tree[right]):
            raise MerkleTreeError(f"merkle tree is invalid: node {i} does not hash its children")
    leaves = (size + 1) // 2
    if len(values) != leaves:
        raise MerkleTreeError(f"{len(values)} values for a tree of {leaves} leaves")
    if len(set(tree_index)) != len(tree_index):
        raise MerkleTreeError("two values share a leaf")
    for i, (value, t) in enumerate(zip(values, tree_index, strict=True)):
        if not size - leaves <= t < size:
            raise MerkleTreeError(f"value {i}: treeIndex {t} is not a leaf")
        if tree[t] != leaf_hash(value):
            raise MerkleTreeError(f"value {i}: merkle tree does not contain the expected value")


# --- the tree -------------------------------------------------------------------------------------


class StandardMerkleTree:
    """A built tree: ``StandardMerkleTree.of(digests)`` or ``StandardMerkleTree.load(dump)``.

    ``values`` keep their input order; ``tree`` is the flat node array (root first). Proofs are lists of
    32-byte nodes from the leaf upwards, exactly what ``EvidenceRegistry.verify`` and ``tree.getProof`` use.
    """

    __slots__ = ("_lookup", "_tree", "_tree_index", "_values")

    def __init__(self, tree: Sequence[bytes], values: Sequence[bytes], tree_index: Sequence[int]) -> None:
        """Internal: use :meth:`of` or :meth:`load`."""
        self._tree = tuple(tree)
        self._values = tuple(values)
        self._tree_index = tuple(tree_index)
        # as the JS library: a duplicated value resolves to its last occurrence
        self._lookup = {self._tree[t]: i for i, t in enumerate(self._tree_index)}

    @classmethod
    def of(cls, values: Iterable[Bytes32Like]) -> StandardMerkleTree:
        """Build the tree of ``values`` (document digests), leaves sorted by hash."""
        vals = [to_bytes32(v) for v in values]
        if not vals:
            raise MerkleTreeError("expected a non-zero number of leaves")
        hashes = [keccak(keccak(v)) for v in vals]
        order = sorted(range(len(vals)), key=hashes.__getitem__)  # stable, as Array.prototype.sort
        n = len(vals)
        size = 2 * n - 1
        tree: list[bytes] = [b""] * size
        tree_index = [0] * n
        for position, value_index in enumerate(order):
            at = size - 1 - position
            tree[at] = hashes[value_index]
            tree_index[value_index] = at
        for i in range(size - 1 - n, -1, -1):
            left, right = tree[2 * i + 1], tree[2 * i + 2]
            tree[i] = keccak(left + right if left <= right else right + left)
        return cls(tree, vals, tree_index)

    @classmethod
    def load(cls, data: Mapping[str, Any]) -> StandardMerkleTree:
        """Load a ``dump()`` (ours or the JS library's) and validate every node and value."""
        if not isinstance(data, Mapping):
            raise MerkleTreeError("a tree dump must be a JSON object")
        if data.get("format") != FORMAT:
            raise MerkleTreeError(f"unknown format {data.get('format')!r}; expected {FORMAT!r}")
        encoding = data.get("leafEncoding")
        if encoding is None:
            raise MerkleTreeError("expected leaf encoding")
        if list(encoding) != list(LEAF_ENCODING):
            raise MerkleTreeError(f"unsupported leaf encoding {encoding!r}; Recourse trees are {list(LEAF_ENCODING)}")
        raw_tree, raw_values = data.get("tree"), data.get("values")
        if not isinstance(raw_tree, list) or not isinstance(raw_values, list):
            raise MerkleTreeError("a tree dump needs 'tree' and 'values' lists")
        tree = [to_bytes32(node) for node in raw_tree]
        values: list[bytes] = []
        tree_index: list[int] = []
        for entry in raw_values:
            if not isinstance(entry, Mapping) or "value" not in entry or "treeIndex" not in entry:
                raise MerkleTreeError("each value needs 'value' and 'treeIndex'")
            index = entry["treeIndex"]
            if not isinstance(index, int) or isinstance(index, bool):
                raise MerkleTreeError(f"treeIndex must be an integer, got {index!r}")
            values.append(to_bytes32(_single_value(entry["value"])))
            tree_index.append(index)
        _validate(tree, values, tree_index)
        return cls(tree, values, tree_index)

    def dump(self) -> dict[str, Any]:
        """The JS library's ``tree.dump()`` format (hex lowercase), loadable by ``StandardMerkleTree.load``."""
        return {
            "format": FORMAT,
            "leafEncoding": list(LEAF_ENCODING),
            "tree": [hex32(node) for node in self._tree],
            "values": [
                {"value": [hex32(v)], "treeIndex": t} for v, t in zip(self._values, self._tree_index, strict=True)
            ],
        }

    def validate(self) -> None:
        """Raise ``MerkleTreeError`` unless every inner node hashes its children and every value is a leaf.

        Stricter than the JS library (which accepts any dump it can prove): the number of values must
        equal the number of leaves and each value must sit at a distinct leaf.
        """
        _validate(self._tree, self._values, self._tree_index)

    # --- accessors ---

    @property
    def root(self) -> bytes:
        return self._tree[0]

    @property
    def root_hex(self) -> str:
        return hex32(self._tree[0])

    @property
    def tree(self) -> tuple[bytes, ...]:
        return self._tree

    @property
    def values(self) -> tuple[bytes, ...]:
        """The values (document digests) in input order."""
        return self._values

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._values)

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, bytes | str):
            return False
        try:
            return leaf_hash(value) in self._lookup
        except MerkleTreeError:
            return False

    def tree_index(self, value_index: int) -> int:
        """Where value ``value_index`` sits in the flat array."""
        return self._tree_index[self._check_index(value_index)]

    def index_of(self, value: Bytes32Like) -> int:
        """The value index of ``value`` (the last one if duplicated); ``MerkleTreeError`` if absent."""
        found = self._lookup.get(leaf_hash(value))
        if found is None:
            raise MerkleTreeError(f"leaf is not in tree: {hex32(to_bytes32(value))}")
        return found

    # --- proofs ---

    def proof(self, value: Bytes32Like) -> list[bytes]:
        """Proof of ``value`` (a document digest in the tree)."""
        return self.proof_at(self.index_of(value))

    def proof_at(self, value_index: int) -> list[bytes]:
        """Proof of the value at ``value_index`` (input order)."""
        t = self._tree_index[self._check_index(value_index)]
        proof: list[bytes] = []
        while t > 0:
            proof.append(self._tree[_sibling(t)])
            t = _parent(t)
        return proof

    def multiproof(self, values: Iterable[Bytes32Like]) -> MultiProof:
        """One multiproof for several values (the JS library's ``getMultiProof``)."""
        return self.multiproof_at([self.index_of(v) for v in values])

    def multiproof_at(self, value_indices: Iterable[int]) -> MultiProof:
        indices = sorted((self._tree_index[self._check_index(i)] for i in value_indices), reverse=True)
        if any(a == b for a, b in zip(indices, indices[1:], strict=False)):
            raise MerkleTreeError("cannot prove duplicated index")
        queue = deque(indices)
        proof: list[bytes] = []
        flags: list[bool] = []
        while queue and queue[0] > 0:
            j = queue.popleft()
            s = _sibling(j)
            if queue and queue[0] == s:
                flags.append(True)
                queue.popleft()
            else:
                flags.append(False)
                proof.append(self._tree[s])
            queue.append(_parent(j))
        if not indices:
            proof.append(self._tree[0])
        leaves = tuple(self._values[self._lookup[self._tree[t]]] for t in indices)
        return MultiProof(leaves=leaves, proof=tuple(proof), proof_flags=tuple(flags))

    def verify(self, value: Bytes32Like, proof: Sequence[Bytes32Like]) -> bool:
        """Whether ``proof`` proves ``value`` against this tree's root."""
        return verify(self._tree[0], value, proof)

    def verify_multiproof(self, multiproof: MultiProof) -> bool:
        return verify_multiproof(self._tree[0], multiproof)

    def _check_index(self, value_index: int) -> int:
        if not 0 <= value_index < len(self._values):
            raise MerkleTreeError(f"index {value_index} out of bounds (tree of {len(self._values)} values)")
        return value_index
