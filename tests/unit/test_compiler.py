"""chain.compiler: reproducible builds, the artifact cache, standard-JSON input and diagnostics."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from chain import CompileError
from chain.compiler import build_input, compile_project, format_diagnostic, solc_binary
from chain.config import load_project_config
from tests.unit.conftest import ProjectFactory

HEADER = "// SPDX-License-Identifier: Apache-2.0\npragma solidity 0.8.28;\n\n"

OK_SOURCE = HEADER + "contract Ok {\n    function f() external pure returns (uint256) {\n        return 1;\n    }\n}\n"

# line 7 col 5 is the '}' where solc expected the ';' missing on line 6
SYNTAX_ERROR = HEADER + (
    "contract Broken {\n    function f() external pure returns (uint256) {\n        return 1\n    }\n}\n"
)

# multi-byte characters (é = 2 bytes, € = 3 bytes) precede the type error on the same line
TYPE_ERROR_LINE = '        string memory s = unicode"é€"; uint256 x = s;'
TYPE_ERROR = HEADER + (
    "contract Broken {\n    function f() external pure returns (uint256) {\n"
    + TYPE_ERROR_LINE
    + "\n        return x;\n    }\n}\n"
)


def test_compile_project_without_cache_is_byte_identical(tmp_path: Path) -> None:
    solc_binary(load_project_config().compiler.version)  # set up the solc-js link once, before the threads
    with ThreadPoolExecutor(max_workers=2) as pool:  # two independent solc processes, in parallel
        first, second = pool.map(lambda d: compile_project(cache_dir=tmp_path / d, use_cache=False), ["a", "b"])

    assert not first.cached
    assert not second.cached
    assert first.cache_key == second.cache_key
    assert sorted(first.artifacts) == sorted(second.artifacts)
    deployable = {name for name, a in first.artifacts.items() if a.deployable}
    assert {"Consortium", "SettlementToken"} <= deployable
    for name, artifact in first.artifacts.items():
        other = second.artifacts[name]
        assert artifact.bytecode == other.bytecode, name
        assert artifact.deployed_bytecode == other.deployed_bytecode, name
        assert artifact.abi == other.abi, name

    # the no-cache run still wrote the cache; the next cached compile returns the same bytes
    assert (tmp_path / "a" / f"{first.cache_key}.json").is_file()
    hit = compile_project(cache_dir=tmp_path / "a")
    assert hit.cached
    assert hit.cache_key == first.cache_key
    for name, artifact in first.artifacts.items():
        assert hit.artifacts[name].bytecode == artifact.bytecode, name
        assert hit.artifacts[name].deployed_bytecode == artifact.deployed_bytecode, name


def test_cache_key_follows_the_sources(make_project: ProjectFactory, tmp_path: Path) -> None:
    root = make_project({"contracts/Ok.sol": OK_SOURCE})
    cache = tmp_path / "cache"

    original = compile_project(root, cache_dir=cache)
    assert not original.cached
    assert original.get("Ok").deployable

    (root / "contracts" / "Ok.sol").write_text(OK_SOURCE.replace("return 1;", "return 2;"), encoding="utf-8")
    changed = compile_project(root, cache_dir=cache)
    assert not changed.cached
    assert changed.cache_key != original.cache_key
    assert changed.get("Ok").bytecode != original.get("Ok").bytecode

    (root / "contracts" / "Ok.sol").write_text(OK_SOURCE, encoding="utf-8")
    restored = compile_project(root, cache_dir=cache)
    assert restored.cached
    assert restored.cache_key == original.cache_key
    assert restored.get("Ok").bytecode == original.get("Ok").bytecode


def test_build_input_resolves_imports_and_skips_tests() -> None:
    config = load_project_config().compiler
    std_input = build_input(config)
    sources = std_input["sources"]

    assert "contracts/access/Consortium.sol" in sources
    assert "contracts/settlement/SettlementToken.sol" in sources
    # remapped OpenZeppelin imports and their transitive imports are inlined with their content
    assert "node_modules/@openzeppelin/contracts/token/ERC20/ERC20.sol" in sources
    assert "node_modules/@openzeppelin/contracts/utils/Context.sol" in sources
    assert not [s for s in sources if s.startswith("contracts/test/")]
    assert all(src["content"] for src in sources.values())
    assert list(sources) == sorted(sources)
    assert std_input["settings"]["evmVersion"] == config.evm_version
    assert std_input["settings"]["optimizer"] == {"enabled": config.optimizer_enabled, "runs": config.optimizer_runs}
    assert build_input(config) == std_input


def test_build_input_changes_with_source_content(make_project: ProjectFactory) -> None:
    root = make_project({"contracts/Ok.sol": OK_SOURCE, "contracts/test/Ok.t.sol": OK_SOURCE})
    config = load_project_config(root).compiler

    before = build_input(config, root)
    (root / "contracts" / "Ok.sol").write_text(OK_SOURCE + "// edited\n", encoding="utf-8")
    after = build_input(config, root)

    assert list(before["sources"]) == ["contracts/Ok.sol"]
    assert after["sources"]["contracts/Ok.sol"]["content"].endswith("// edited\n")
    assert before != after
    retuned = build_input(dataclasses.replace(config, optimizer_runs=1000), root)
    assert retuned["settings"]["optimizer"] == {"enabled": True, "runs": 1000}
    assert retuned["sources"] == after["sources"]


def test_build_input_reports_missing_import(make_project: ProjectFactory) -> None:
    root = make_project({"contracts/A.sol": HEADER + 'import {B} from "./Missing.sol";\ncontract A {}\n'})

    with pytest.raises(CompileError) as excinfo:
        build_input(load_project_config(root).compiler, root)

    assert excinfo.value.diagnostics[0].startswith("contracts/Missing.sol: file not found")


def test_syntax_error_is_reported_with_file_line_and_column(make_project: ProjectFactory, tmp_path: Path) -> None:
    root = make_project({"contracts/Broken.sol": SYNTAX_ERROR})

    with pytest.raises(CompileError) as excinfo:
        compile_project(root, cache_dir=tmp_path / "cache")

    (diagnostic,) = excinfo.value.diagnostics
    assert diagnostic.startswith("contracts/Broken.sol:7:5: error: ")
    assert "Expected ';'" in diagnostic
    assert str(excinfo.value) == diagnostic
    assert not (tmp_path / "cache").exists()


def test_type_error_column_counts_characters_not_bytes(make_project: ProjectFactory, tmp_path: Path) -> None:
    root = make_project({"contracts/Broken.sol": TYPE_ERROR})
    col = TYPE_ERROR_LINE.index("uint256 x") + 1
    byte_col = len(TYPE_ERROR_LINE.encode()[: TYPE_ERROR_LINE.encode().index(b"uint256 x")]) + 1
    assert col != byte_col  # the fixture really exercises multi-byte characters

    with pytest.raises(CompileError) as excinfo:
        compile_project(root, cache_dir=tmp_path / "cache")

    (diagnostic,) = excinfo.value.diagnostics
    assert diagnostic.startswith(f"contracts/Broken.sol:6:{col}: error: TypeError: ")
    assert "not implicitly convertible" in diagnostic


def test_format_diagnostic_counts_multibyte_characters() -> None:
    content = "// naïve €uro\ncontract X { uint a = ñ; }\n"
    start = content.encode("utf-8").index("ñ".encode())
    error = {
        "severity": "error",
        "type": "DeclarationError",
        "message": "Undeclared identifier.\n",
        "sourceLocation": {"file": "contracts/X.sol", "start": start, "end": start + 2},
    }

    rendered = format_diagnostic(error, {"contracts/X.sol": {"content": content}})

    col = "contract X { uint a = ñ; }".index("ñ") + 1
    assert rendered == f"contracts/X.sol:2:{col}: error: DeclarationError: Undeclared identifier."


def test_format_diagnostic_on_first_line_after_multibyte_prefix() -> None:
    content = "/* 中文 */ bad"
    start = content.encode("utf-8").index(b"bad")
    error = {
        "severity": "error",
        "type": "ParserError",
        "message": "x",
        "sourceLocation": {"file": "a.sol", "start": start},
    }

    assert format_diagnostic(error, {"a.sol": {"content": content}}) == "a.sol:1:10: error: ParserError: x"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ({"severity": "error", "type": "JSONError", "message": "bad input"}, "error: JSONError: bad input"),
        (
            {"severity": "warning", "type": "Warning", "message": "unused", "sourceLocation": {"file": "b.sol"}},
            "b.sol: warning: unused",
        ),
        (
            {
                "severity": "error",
                "type": "TypeError",
                "message": "m",
                "sourceLocation": {"file": "gone.sol", "start": 3},
            },
            "gone.sol: error: TypeError: m",
        ),
    ],
    ids=["no-location", "severity-equals-type", "unknown-source"],
)
def test_format_diagnostic_without_position(error: dict[str, object], expected: str) -> None:
    assert format_diagnostic(error, {}) == expected


def test_wrapper_compiles_inputs_larger_than_the_wasm_stack() -> None:
    """solc-js copies its input onto a ~5 MB wasm stack (4 bytes per character): 2 MB of source once crashed it."""
    padding = "// " + "x" * 96 + "\n"
    request = {
        "language": "Solidity",
        "sources": {
            "Ok.sol": {"content": OK_SOURCE},
            "Padding.sol": {"content": HEADER + padding * 20_000},  # 2 MB of comments
        },
        "settings": {"outputSelection": {"Ok.sol": {"Ok": ["evm.bytecode.object"]}}},
    }
    wrapper = Path(__file__).resolve().parents[2] / "chain" / "_solcjs" / "solc"
    done = subprocess.run(
        ["node", str(wrapper), "--standard-json"],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    output = json.loads(done.stdout)
    assert not [e for e in output.get("errors", []) if e["severity"] == "error"]
    assert output["contracts"]["Ok.sol"]["Ok"]["evm"]["bytecode"]["object"]
