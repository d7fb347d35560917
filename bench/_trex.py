"""ERC-3643 T-REX 4.1.6 on a benchmark chain, from the compiled artifacts the npm package ships.

``@tokenysolutions/t-rex`` (an exact devDependency in package.json) ships hardhat artifacts (ABI and
bytecode) of T-REX and of the ONCHAINID contracts it uses; nothing here compiles T-REX sources. The suite is
deployed the way T-REX deploys it in production:

* the six implementations (Token, IdentityRegistry, IdentityRegistryStorage, TrustedIssuersRegistry,
  ClaimTopicsRegistry, ModularCompliance) behind a reference ``TREXImplementationAuthority`` (version 4.1.6);
* ``TREXFactory.deployTREXSuite``, which deploys every contract of the suite as a proxy that asks the
  implementation authority for its logic on every call, binds the compliance modules and applies their
  settings. The factory needs an ONCHAINID ``IdFactory`` only to create the token's identity when none is
  given; the package ships no IdFactory, so the token's identity is deployed here and passed in, and the
  factory's IdFactory slot holds that identity's address (never called);
* compliance modules (``CountryAllowModule``, ``MaxBalanceModule``) behind ``ModuleProxy`` (ERC-1967), as
  T-REX 4.1 deploys them;
* one ``ClaimIssuer`` (the KYC provider), trusted for one claim topic (KYC), with a claim-signing key;
  each investor gets an ONCHAINID ``Identity`` holding a KYC claim the issuer signed, and is registered in
  the identity registry with its country. Identities are deployed and managed by the token's agent (as an
  issuer onboarding investors does); T-REX checks the claim, not who manages the identity.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from chain.client import ChainClient, Receipt, Sender, TxRequest
from chain.config import PROJECT_ROOT
from chain.contracts._base import BoundContract

__all__ = [
    "ARTIFACTS",
    "KYC_TOPIC",
    "TREX_VERSION",
    "TrexContract",
    "TrexSuite",
    "deploy_trex",
]

#: where npm installs the package's artifacts
ARTIFACTS = PROJECT_ROOT / "node_modules" / "@tokenysolutions" / "t-rex" / "artifacts"
#: the version the implementation authority records (the package's version)
TREX_VERSION = (4, 1, 6)
#: the claim topic a holder must carry (one topic: KYC passed)
KYC_TOPIC = int.from_bytes(keccak(text="RECOURSE_BENCH_KYC"), "big")
_CLAIM_PURPOSE, _ECDSA_KEY, _ECDSA_SCHEME = 3, 1, 1

_PATHS = {
    "Token": "contracts/token/Token.sol/Token.json",
    "IdentityRegistry": "contracts/registry/implementation/IdentityRegistry.sol/IdentityRegistry.json",
    "IdentityRegistryStorage": (
        "contracts/registry/implementation/IdentityRegistryStorage.sol/IdentityRegistryStorage.json"
    ),
    "TrustedIssuersRegistry": (
        "contracts/registry/implementation/TrustedIssuersRegistry.sol/TrustedIssuersRegistry.json"
    ),
    "ClaimTopicsRegistry": "contracts/registry/implementation/ClaimTopicsRegistry.sol/ClaimTopicsRegistry.json",
    "ModularCompliance": "contracts/compliance/modular/ModularCompliance.sol/ModularCompliance.json",
    "TREXImplementationAuthority": (
        "contracts/proxy/authority/TREXImplementationAuthority.sol/TREXImplementationAuthority.json"
    ),
    "TREXFactory": "contracts/factory/TREXFactory.sol/TREXFactory.json",
    "ModuleProxy": "contracts/compliance/modular/modules/ModuleProxy.sol/ModuleProxy.json",
    "CountryAllowModule": "contracts/compliance/modular/modules/CountryAllowModule.sol/CountryAllowModule.json",
    "MaxBalanceModule": "contracts/compliance/modular/modules/MaxBalanceModule.sol/MaxBalanceModule.json",
    "Identity": "@onchain-id/solidity/contracts/Identity.sol/Identity.json",
    "ClaimIssuer": "@onchain-id/solidity/contracts/ClaimIssuer.sol/ClaimIssuer.json",
}


@dataclass(frozen=True)
class _Artifact:
    abi: list[dict[str, Any]]
    bytecode: bytes


@cache
def _artifact(name: str) -> _Artifact:
    path = ARTIFACTS / _PATHS[name]
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `npm ci` (@tokenysolutions/t-rex is a devDependency)")
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if data.get("linkReferences"):
        raise ValueError(f"{name}: linked libraries are not supported")
    return _Artifact(abi=data["abi"], bytecode=bytes.fromhex(data["bytecode"].removeprefix("0x")))


def _constructor_types(abi: list[dict[str, Any]]) -> list[str]:
    ctor = next((item for item in abi if item.get("type") == "constructor"), None)
    return [p["type"] for p in ctor["inputs"]] if ctor else []


class TrexContract(BoundContract):
    """A deployed T-REX or ONCHAINID contract (the ABI of ``name``) at ``address``."""

    def __init__(self, client: ChainClient, address: str, name: str) -> None:
        self.contract_name = name
        super().__init__(client, address, _artifact(name).abi)


def _deploy(sender: Sender, name: str, *args: Any, abi_of: str | None = None) -> TrexContract:
    """Deploy the artifact ``name`` with constructor ``args``; bind it with the ABI of ``abi_of``."""
    art = _artifact(name)
    data = art.bytecode + (abi_encode(_constructor_types(art.abi), list(args)) if args else b"")
    receipt = sender.transact(TxRequest(None, data, label=f"deploy {name}"), timeout=120)
    assert receipt.contract_address is not None, name
    return TrexContract(sender.client, receipt.contract_address, abi_of or name)


def _module(sender: Sender, name: str) -> TrexContract:
    """A compliance module as T-REX 4.1 deploys it: the implementation behind an initialised ModuleProxy."""
    impl = _deploy(sender, name)
    init = impl.function("initialize").encode([])
    return _deploy(sender, "ModuleProxy", impl.address, init, abi_of=name)


@dataclass
class TrexSuite:
    """A T-REX token with its identity registry, compliance and KYC provider; ``owner`` is owner and agent."""

    client: ChainClient
    owner: Sender
    token: TrexContract
    identity_registry: TrexContract
    compliance: TrexContract
    claim_issuer: TrexContract
    claim_signer: LocalAccount
    modules: dict[str, TrexContract]

    def onboard(self, wallet: str, country: int) -> TrexContract:
        """Deploy ``wallet``'s ONCHAINID, add the KYC claim signed by the trusted issuer, register it."""
        identity = _deploy(self.owner, "Identity", self.owner.address, False)
        data = b"KYC tier 2"
        digest = keccak(abi_encode(["address", "uint256", "bytes"], [identity.address, KYC_TOPIC, data]))
        signature = bytes(self.claim_signer.sign_message(encode_defunct(primitive=digest)).signature)
        identity.transact(
            self.owner, "addClaim", KYC_TOPIC, _ECDSA_SCHEME, self.claim_issuer.address, signature, data, ""
        )
        self.identity_registry.transact(self.owner, "registerIdentity", wallet, identity.address, country)
        assert self.identity_registry.call("isVerified", wallet), f"T-REX does not verify {wallet}"
        return identity

    def mint(self, to: str, amount: int) -> Receipt:
        return self.token.transact(self.owner, "mint", to, amount)

    def transfer_request(self, to: str, amount: int) -> TxRequest:
        return self.token.request("transfer", to, amount)

    def balance_of(self, account: str) -> int:
        return int(self.token.call("balanceOf", account))


def deploy_trex(
    client: ChainClient, owner: Sender, *, countries: Sequence[int], max_balance: int, salt: str = "recourse-bench"
) -> TrexSuite:
    """Deploy T-REX 4.1.6 through its factory with the country-allow and max-balance modules, unpaused."""
    impls = {
        n: _deploy(owner, n)
        for n in (
            "Token",
            "ClaimTopicsRegistry",
            "IdentityRegistry",
            "IdentityRegistryStorage",
            "TrustedIssuersRegistry",
            "ModularCompliance",
        )
    }
    zero = "0x" + "00" * 20
    authority = _deploy(owner, "TREXImplementationAuthority", True, zero, zero)
    authority.transact(
        owner,
        "addAndUseTREXVersion",
        TREX_VERSION,
        tuple(
            impls[n].address
            for n in (
                "Token",
                "ClaimTopicsRegistry",
                "IdentityRegistry",
                "IdentityRegistryStorage",
                "TrustedIssuersRegistry",
                "ModularCompliance",
            )
        ),
    )
    token_identity = _deploy(owner, "Identity", owner.address, False)
    factory = _deploy(owner, "TREXFactory", authority.address, token_identity.address)
    authority.transact(owner, "setTREXFactory", factory.address)

    signer: LocalAccount = Account.from_key(keccak(text=f"{salt} claim signer"))
    issuer = _deploy(owner, "ClaimIssuer", owner.address)
    issuer.transact(owner, "addKey", keccak(abi_encode(["address"], [signer.address])), _CLAIM_PURPOSE, _ECDSA_KEY)

    country = _module(owner, "CountryAllowModule")
    max_bal = _module(owner, "MaxBalanceModule")
    settings = [
        country.function("batchAllowCountries").encode([list(countries)]),
        max_bal.function("setMaxBalance").encode([max_balance]),
    ]
    token_details = (
        owner.address,  # owner
        "Recourse bench T-REX",
        "RBT",
        0,  # decimals: whole shares, like AssetFractions
        zero,  # irs: deploy a new IdentityRegistryStorage
        token_identity.address,  # ONCHAINID
        [owner.address],  # irAgents
        [owner.address],  # tokenAgents
        [country.address, max_bal.address],
        settings,
    )
    claim_details = ([KYC_TOPIC], [issuer.address], [[KYC_TOPIC]])
    factory.transact(owner, "deployTREXSuite", salt, token_details, claim_details)
    token = TrexContract(client, factory.call("getToken", salt), "Token")
    ir = TrexContract(client, token.call("identityRegistry"), "IdentityRegistry")
    mc = TrexContract(client, token.call("compliance"), "ModularCompliance")
    assert [a.lower() for a in mc.call("getModules")] == [country.address.lower(), max_bal.address.lower()]
    token.transact(owner, "unpause")
    return TrexSuite(
        client=client,
        owner=owner,
        token=token,
        identity_registry=ir,
        compliance=mc,
        claim_issuer=issuer,
        claim_signer=signer,
        modules={"CountryAllowModule": country, "MaxBalanceModule": max_bal},
    )
