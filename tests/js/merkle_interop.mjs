// Interop oracle for tests/unit/test_merkle.py and tests/chain/test_evidence_registry.py: builds, loads and
// verifies trees with OpenZeppelin's own `@openzeppelin/merkle-tree` (StandardMerkleTree, leaf encoding
// ["bytes32"]), so Recourse's Python implementation is checked against the reference, not against itself.
//
// Usage: node tests/js/merkle_interop.mjs <command> < request.json > reply.json
//
//   build         {values: [hex32...], proofs?: [valueIndex...], multiproof?: [valueIndex...]}
//                 -> {root, dump, proofs: {valueIndex: [hex32...]}, multiproof?}
//                 (proofs default to every value; pass a subset for large trees)
//   load          {dump, proofs?: [valueIndex...]}  (StandardMerkleTree.load validates the whole tree)
//                 -> {root, length, values: [hex32...], proofs: {valueIndex: [hex32...]}}
//   verify        {root, items: [{value, proof}]} -> {results: [bool...]}   (StandardMerkleTree.verify)
//   verify-multi  {root, multiproof: {leaves: [hex32...], proof, proofFlags}} -> {result: bool}
//
// Errors print {"error": message} and set exit code 1. Output is written with process.exitCode, never
// process.exit(), so a large reply on a pipe is not truncated.
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';

const ENCODING = ['bytes32'];

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

function proofsOf(tree, indices) {
  const wanted = indices ?? [...Array(tree.length).keys()];
  return Object.fromEntries(wanted.map(i => [i, tree.getProof(i)]));
}

function flatMultiproof(mp) {
  return { leaves: mp.leaves.map(([v]) => v), proof: mp.proof, proofFlags: mp.proofFlags };
}

const commands = {
  build(req) {
    const tree = StandardMerkleTree.of(req.values.map(v => [v]), ENCODING);
    const reply = { root: tree.root, dump: tree.dump(), proofs: proofsOf(tree, req.proofs) };
    if (req.multiproof) reply.multiproof = flatMultiproof(tree.getMultiProof(req.multiproof));
    return reply;
  },
  load(req) {
    const tree = StandardMerkleTree.load(req.dump);
    return {
      root: tree.root,
      length: tree.length,
      values: [...tree.entries()].map(([, [v]]) => v),
      proofs: proofsOf(tree, req.proofs),
    };
  },
  verify(req) {
    const results = req.items.map(({ value, proof }) => StandardMerkleTree.verify(req.root, ENCODING, [value], proof));
    return { results };
  },
  'verify-multi'(req) {
    const { leaves, proof, proofFlags } = req.multiproof;
    const multiproof = { leaves: leaves.map(v => [v]), proof, proofFlags };
    return { result: StandardMerkleTree.verifyMultiProof(req.root, ENCODING, multiproof) };
  },
};

const command = Object.hasOwn(commands, process.argv[2] ?? "") ? commands[process.argv[2]] : undefined;
try {
  if (!command) throw new Error(`unknown command ${process.argv[2]}; use ${Object.keys(commands).join(', ')}`);
  process.stdout.write(JSON.stringify(command(await readStdin())));
} catch (err) {
  process.stdout.write(JSON.stringify({ error: String(err?.message ?? err) }));
  process.exitCode = 1;
}
