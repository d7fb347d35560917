"""Compile every Recourse contract in one standard-JSON input through py-solc-x.

The compiler is the native ``solc`` of the pinned version when py-solc-x has one installed
(``~/.solcx``), otherwise the project's solc-js wrapper (``chain/_solcjs/solc``) registered as
py-solc-x's installed compiler under ``<root>/.solcx/solc-v<version>``. Both receive the same input
(every source with its content, resolved here), so they produce byte-identical bytecode.

Artifacts are cached under ``build/artifacts/<key>.json`` where the key hashes the full input
(sources and settings) and the compiler version.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import posixpath
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import solcx
from solcx.exceptions import SolcError, SolcNotInstalled
from solcx.install import get_executable

from chain._exceptions import CompileError, ToolchainError
from chain.config import PROJECT_ROOT, CompilerConfig, load_project_config

__all__ = ["Artifact", "CompileResult", "build_input", "compile_project", "format_diagnostic", "solc_binary"]

logger = logging.getLogger(__name__)

_IMPORT_RE = re.compile(r"""^\s*import\s+(?:[^"';]*?\s+from\s+)?["']([^"']+)["']""", re.MULTILINE)
_OUTPUT_SELECTION = [
    "abi",
    "evm.bytecode.object",
    "evm.deployedBytecode.object",
    "evm.methodIdentifiers",
    "storageLayout",
]


@dataclass(frozen=True)
class Artifact:
    """One compiled contract."""

    name: str
    source: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
    storage_layout: dict[str, Any]

    @property
    def deployable(self) -> bool:
        """Abstract contracts, interfaces and libraries without code have empty bytecode."""
        return len(self.bytecode) > 2


@dataclass(frozen=True)
class CompileResult:
    """Every artifact by contract name, plus what produced them."""

    artifacts: dict[str, Artifact]
    compiler_version: str
    settings: dict[str, Any]
    cache_key: str
    cached: bool
    warnings: list[str]

    def get(self, name: str) -> Artifact:
        try:
            return self.artifacts[name]
        except KeyError as exc:
            raise CompileError([f"no contract named {name!r} was compiled"]) from exc


def solc_binary(version: str, root: Path = PROJECT_ROOT) -> Path:
    """Return a solc executable of ``version``: native if py-solc-x installed one, else the solc-js wrapper."""
    try:
        return Path(get_executable(version))
    except SolcNotInstalled:
        pass
    if shutil.which("node") is None:
        raise ToolchainError("node is not on PATH: install Node.js 20 (the compiler runs as solc-js)")
    installed = root / "node_modules" / "solc" / "package.json"
    if not installed.exists():
        raise ToolchainError("node_modules/solc is missing: run `make setup` (npm ci) first")
    pkg_version = json.loads(installed.read_text(encoding="utf-8"))["version"]
    if pkg_version != version:
        raise ToolchainError(
            f"npm solc is {pkg_version} but brownie-config.yaml pins {version}: align package.json and run npm ci"
        )
    link_dir = root / ".solcx"
    link_dir.mkdir(exist_ok=True)
    link = link_dir / f"solc-v{version}"
    wrapper = root / "chain" / "_solcjs" / "solc"
    if not (link.is_symlink() and link.resolve() == wrapper.resolve()):
        if link.exists() or link.is_symlink():
            link.unlink()
        link.symlink_to(wrapper)
    return Path(get_executable(version, solcx_binary_path=link_dir))


def _resolve(importer: str, path: str, remappings: list[tuple[str, str]]) -> str:
    if path.startswith("./") or path.startswith("../"):
        return posixpath.normpath(posixpath.join(posixpath.dirname(importer), path))
    best = ""
    target = ""
    for prefix, dest in remappings:
        if path.startswith(prefix) and len(prefix) > len(best):
            best, target = prefix, dest
    return target + path[len(best) :] if best else path


def build_input(config: CompilerConfig, root: Path = PROJECT_ROOT, contracts_dir: str = "contracts") -> dict[str, Any]:
    """The standard-JSON input: every non-test source under ``contracts_dir`` and all it imports."""
    remaps = [tuple(r.split("=", 1)) for r in config.remappings]
    remappings = cast(list[tuple[str, str]], remaps)
    base = root / contracts_dir
    pending = sorted(
        p.relative_to(root).as_posix() for p in base.rglob("*.sol") if "test" not in p.relative_to(base).parts
    )
    sources: dict[str, dict[str, str]] = {}
    while pending:
        unit = pending.pop()
        if unit in sources:
            continue
        file = root / unit
        try:
            content = file.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise CompileError([f"{unit}: file not found (is node_modules installed? run `make setup`)"]) from exc
        sources[unit] = {"content": content}
        for match in _IMPORT_RE.finditer(content):
            dep = _resolve(unit, match.group(1), remappings)
            if dep not in sources:
                pending.append(dep)
    return {
        "language": "Solidity",
        "sources": dict(sorted(sources.items())),
        "settings": {
            "evmVersion": config.evm_version,
            "optimizer": {"enabled": config.optimizer_enabled, "runs": config.optimizer_runs},
            "remappings": list(config.remappings),
            "outputSelection": {"*": {"*": _OUTPUT_SELECTION}},
        },
    }


def format_diagnostic(error: dict[str, Any], sources: dict[str, dict[str, str]]) -> str:
    """Render one solc error as ``file:line:col: severity: message``."""
    loc = error.get("sourceLocation") or {}
    file = loc.get("file")
    message = error.get("message", "").strip()
    severity = error.get("severity", "error")
    kind = error.get("type", "")
    label = f"{severity}: {kind}: {message}" if kind and kind.lower() != severity else f"{severity}: {message}"
    if not file:
        return label
    start = int(loc.get("start", -1))
    content = sources.get(file, {}).get("content")
    if content is None or start < 0:
        return f"{file}: {label}"
    prefix = content.encode("utf-8")[:start].decode("utf-8", errors="replace")
    line = prefix.count("\n") + 1
    col = len(prefix) - (prefix.rfind("\n") + 1) + 1
    return f"{file}:{line}:{col}: {label}"


def compile_project(
    root: Path = PROJECT_ROOT,
    *,
    config: CompilerConfig | None = None,
    contracts_dir: str | None = None,
    cache_dir: Path | None = None,
    use_cache: bool = True,
) -> CompileResult:
    """Compile all contracts (cached by a hash of the full input and the compiler version)."""
    project = load_project_config(root)
    config = config or project.compiler
    std_input = build_input(config, root, contracts_dir or project.contracts_dir)
    blob = json.dumps(std_input, sort_keys=True, separators=(",", ":")).encode()
    key = hashlib.sha256(blob + config.version.encode()).hexdigest()
    cache_dir = cache_dir or root / "build" / "artifacts"
    cache_file = cache_dir / f"{key}.json"
    if use_cache and cache_file.exists():
        data = json.loads(cache_file.read_text(encoding="utf-8"))
        logger.debug("compile.cache.hit key=%s", key)
        return _result(data, config, std_input, key, cached=True)
    binary = solc_binary(config.version, root)
    logger.info("compile.start sources=%d solc=%s", len(std_input["sources"]), binary)
    try:
        output = solcx.compile_standard(std_input, solc_binary=binary, allow_empty=True)
    except SolcError as exc:
        payload = _parse_solc_failure(exc)
        if payload is None:
            raise ToolchainError(f"solc failed: {str(exc).strip().splitlines()[0]}") from exc
        output = payload
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise CompileError([format_diagnostic(e, std_input["sources"]) for e in errors])
    warnings = [
        format_diagnostic(e, std_input["sources"]) for e in output.get("errors", []) if e.get("severity") != "error"
    ]
    data = {
        "compiler_version": config.version,
        "contracts": output.get("contracts", {}),
        "warnings": warnings,
    }
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cache_file.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
    tmp.replace(cache_file)
    return _result(data, config, std_input, key, cached=False)


def _parse_solc_failure(exc: SolcError) -> dict[str, Any] | None:
    """py-solc-x raises on compile errors; the JSON output is in ``stdout_data``."""
    stdout = getattr(exc, "stdout_data", "") or ""
    try:
        parsed = json.loads(stdout)
    except (TypeError, ValueError):
        return None
    return parsed if isinstance(parsed, dict) else None


def _result(
    data: dict[str, Any], config: CompilerConfig, std_input: dict[str, Any], key: str, *, cached: bool
) -> CompileResult:
    artifacts: dict[str, Artifact] = {}
    for source, contracts in sorted(data["contracts"].items()):
        for name, out in contracts.items():
            if name in artifacts:
                raise CompileError([f"{source}: contract name {name!r} is defined twice ({artifacts[name].source})"])
            evm = out.get("evm", {})
            artifacts[name] = Artifact(
                name=name,
                source=source,
                abi=out.get("abi", []),
                bytecode="0x" + evm.get("bytecode", {}).get("object", ""),
                deployed_bytecode="0x" + evm.get("deployedBytecode", {}).get("object", ""),
                storage_layout=out.get("storageLayout", {}),
            )
    return CompileResult(
        artifacts=artifacts,
        compiler_version=config.version,
        settings=std_input["settings"],
        cache_key=key,
        cached=cached,
        warnings=list(data.get("warnings", [])),
    )
