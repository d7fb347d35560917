"""Compile benchmark: ``chain.compiler.compile_project`` cold and warm vs a plain ``solcx.compile_standard``.

Baseline (run side by side, interleaved): one ``solcx.compile_standard`` call with the same standard-JSON
input (``chain.compiler.build_input``) and the same binary (``chain.compiler.solc_binary``), which is
what a user without the project's artifact cache pays per compile.

* cold: ``compile_project(use_cache=False)`` into a fresh temporary cache dir (builds the input, hashes
  it, compiles, writes the cache file). Expected speed-up ≈ 1.0 (the cache bookkeeping is the overhead).
* warm: ``compile_project()`` hitting the cache written by a first compile.

Also checks that both routes produce byte-identical creation and runtime bytecode for every contract.

Run: ``.venv/bin/python -m bench.compile_bench`` from the project root. Needs no chain, so it starts no anvil.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import solcx

from bench._common import Row, median, print_header, print_table
from chain.compiler import CompileResult, build_input, compile_project, solc_binary
from chain.config import PROJECT_ROOT, load_project_config

MODULE = "bench.compile_bench"


def _plain_compile(std_input: dict[str, Any], binary: Path) -> dict[str, Any]:
    out: dict[str, Any] = solcx.compile_standard(std_input, solc_binary=binary, allow_empty=True)
    return out


def _bytecode_mismatches(plain: dict[str, Any], ours: CompileResult) -> tuple[int, list[str]]:
    """Compare every contract's creation and runtime bytecode; return (compared, mismatching names)."""
    compared = 0
    bad: list[str] = []
    names_plain: set[str] = set()
    for source, contracts in plain.get("contracts", {}).items():
        for name, out in contracts.items():
            names_plain.add(name)
            art = ours.artifacts.get(name)
            evm = out.get("evm", {})
            compared += 1
            if (
                art is None
                or art.source != source
                or art.bytecode != "0x" + evm.get("bytecode", {}).get("object", "")
                or art.deployed_bytecode != "0x" + evm.get("deployedBytecode", {}).get("object", "")
            ):
                bad.append(name)
    bad.extend(sorted(set(ours.artifacts) - names_plain))
    return compared, bad


def main() -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}", description=__doc__.splitlines()[0])
    parser.add_argument("--cold-reps", type=int, default=5, help="cold and plain compiles each (default 5)")
    parser.add_argument("--warm-reps", type=int, default=30, help="warm (cache hit) compiles (default 30)")
    args = parser.parse_args()

    print_header("compile benchmark: compile_project vs plain solcx.compile_standard", MODULE)
    project = load_project_config(PROJECT_ROOT)
    config = project.compiler
    std_input = build_input(config, PROJECT_ROOT, project.contracts_dir)
    binary = solc_binary(config.version, PROJECT_ROOT)
    print(
        f"input   : {len(std_input['sources'])} sources, solc {config.version} via {binary} "
        f"(-> {binary.resolve()}), evm {config.evm_version}, optimizer runs {config.optimizer_runs}"
    )

    plain_s: list[float] = []
    cold_s: list[float] = []
    warm_s: list[float] = []
    with tempfile.TemporaryDirectory(prefix="recourse-compile-bench-") as tmp:
        root = Path(tmp)
        # untimed warm-up of the OS page cache and node's module cache; its output is the identity reference
        reference = _plain_compile(std_input, binary)
        last_cold: CompileResult | None = None
        for i in range(args.cold_reps):
            order = ("plain", "cold") if i % 2 == 0 else ("cold", "plain")
            for which in order:
                if which == "plain":
                    t0 = time.perf_counter()
                    _plain_compile(std_input, binary)
                    plain_s.append(time.perf_counter() - t0)
                else:
                    cache_dir = root / f"cold-{i}"
                    t0 = time.perf_counter()
                    last_cold = compile_project(PROJECT_ROOT, cache_dir=cache_dir, use_cache=False)
                    cold_s.append(time.perf_counter() - t0)
                    assert not last_cold.cached
        warm_dir = root / "warm"
        compile_project(PROJECT_ROOT, cache_dir=warm_dir)  # populate
        warm: CompileResult | None = None
        for _ in range(args.warm_reps):
            t0 = time.perf_counter()
            warm = compile_project(PROJECT_ROOT, cache_dir=warm_dir)
            warm_s.append(time.perf_counter() - t0)
            assert warm.cached, "the warm compile missed the cache"
    assert last_cold is not None
    assert warm is not None

    compared, bad_cold = _bytecode_mismatches(reference, last_cold)
    _, bad_warm = _bytecode_mismatches(reference, warm)
    deployable = sum(a.deployable for a in last_cold.artifacts.values())
    identical = not bad_cold and not bad_warm
    print(
        f"bytecode: {'byte-identical' if identical else 'MISMATCH'} across plain / cold / warm "
        f"({compared} contracts, {deployable} deployable; creation + runtime bytecode compared)"
        + ("" if identical else f"; differing: {sorted(set(bad_cold + bad_warm))}")
    )
    print(f"samples : plain {', '.join(f'{s:.2f}' for s in plain_s)} s; cold {', '.join(f'{s:.2f}' for s in cold_s)} s")
    print(f"          warm median {median(warm_s) * 1e3:.2f} ms over {len(warm_s)} runs")
    print()

    p_med, p_min = median(plain_s), min(plain_s)
    c_med, c_min = median(cold_s), min(cold_s)
    w_med, w_min = median(warm_s), min(warm_s)
    rows = [
        Row("cold, median", f"{p_med:.3f} s", f"{c_med:.3f} s", p_med / c_med, f"n={len(cold_s)} each, interleaved"),
        Row("cold, min", f"{p_min:.3f} s", f"{c_min:.3f} s", p_min / c_min, "overhead = 1/ratio"),
        Row("warm (cache hit), median", f"{p_med:.3f} s", f"{w_med * 1e3:.2f} ms", p_med / w_med, f"n={len(warm_s)}"),
        Row("warm (cache hit), min", f"{p_min:.3f} s", f"{w_min * 1e3:.2f} ms", p_min / w_min, ""),
    ]
    print_table(
        rows,
        baseline_label="plain compile_standard",
        ours_label="compile_project",
        ratio_label="speed-up (plain/ours)",
    )
    print(f"\ncold overhead vs plain: {c_med / p_med:.3f}x (median), warm speed-up: {p_med / w_med:,.0f}x (median)")
    return 0 if identical else 1


if __name__ == "__main__":
    raise SystemExit(main())
