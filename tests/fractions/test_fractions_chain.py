"""FractionsFactory and AssetFractions through the typed clients on a real chain (a private anvil for the
module): an asset issued, subscribed by two investors, settled, its shares claimed, traded through an offer,
recoveries paid in and claimed, proceeds withdrawn; then every event since the deployment, with the tokens the
factory's ``creates`` hook names, is replayed through ``chain.reducers`` and compared with the contracts' own
views and the token's SettlementToken balance. Also: refusals name their rule, and a deployments file written
before templates were recorded is completed without a transaction.

Signing identities are ones no gateway of another test hosts: ``bank-2`` issues (and, as a settlement bank,
funds the investors), ``bench`` and ``bench-2`` invest."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest

from chain import ContractReverted, DeploymentError
from chain.compiler import CompileResult
from chain.contracts.asset_fractions import (
    AssetFractions,
    Offer,
    OfferingStatus,
    Refusal,
    Terms,
    TransferCheck,
    asset_ref,
)
from chain.contracts.consortium import Role
from chain.deploy import GovernanceConfig, deploy
from chain.network import Recourse
from chain.reducers import REDUCERS, as_event, replay
from chain.reducers.asset_fractions import ASSET_EVENTS, MAGNITUDE, AssetState
from tests.conftest import account, admit
from tests.support.live_gateway import World, close_world, make_world

pytestmark = pytest.mark.chain

ISSUER, INVESTORS = "bank-2", ("bench", "bench-2")
PRICE = 100_00  # ¥100 a share
CASH = 5_000_000_00  # fen minted to each investor and the issuer
DAY = 86_400


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, compiled: CompileResult) -> Iterator[World]:
    w = make_world(tmp_path_factory.mktemp("fractions-world"), compiled)
    admit(w.recourse, w.client, ISSUER, (Role.BANK, Role.SETTLEMENT_BANK), kyc_tier=2)
    admit(w.recourse, w.client, "bench", (Role.INVESTOR,), region=310115, kyc_tier=2)
    admit(w.recourse, w.client, "bench-2", (Role.INVESTOR,), region=310000, kyc_tier=3)
    w.governed(lambda g: w.recourse.consortium.propose_system_contract(g, w.recourse.fractions.address, enabled=True))
    for name in (ISSUER, *INVESTORS):
        w.recourse.token.mint(w.sender(ISSUER), w.address(name), CASH, reference=f"{name} funding")
    yield w
    close_world(w)


def _terms(w: World, reference: str, **overrides: Any) -> Terms:
    root = os.urandom(32)
    w.recourse.evidence.anchor(w.sender(ISSUER), root, 3)
    fields: dict[str, Any] = {
        "asset_ref": asset_ref(reference),
        "documents_root": root,
        "price": PRICE,
        "min_subscription": 10,
        "soft_cap": 100,
        "hard_cap": 300,
        "deadline": w.client.block_timestamp() + DAY,
        "valuation_feed": b"\x0f" * 32,
        "kyc_tier": 2,
        "regions": (310000,),
    } | overrides
    return Terms(**fields)


def _issue(w: World, reference: str, **overrides: Any) -> AssetFractions:
    address = w.recourse.fractions.issue(w.sender(ISSUER), _terms(w, reference, **overrides), reference, "F")
    return w.recourse.asset_fractions(address)


def _pay(w: World, name: str, asset: AssetFractions, amount: int) -> None:
    """Approve ``amount`` fen of SettlementToken to the asset (before a subscription, a purchase, a pay-in)."""
    w.recourse.token.approve(w.sender(name), asset.address, amount)


def _send(w: World, name: str, asset: AssetFractions, request: Any) -> None:
    asset.send(w.sender(name), request)


def _events(w: World) -> list[Any]:
    """Every event since the deployment, following the contracts that factory events created (as the indexer
    does), in key order."""
    d = w.recourse.deployments
    decoder = w.recourse.event_decoder()
    head = w.client.block_number()
    logs = w.client.get_logs(address=[c.address for c in d.contracts.values()], from_block=d.start_block, to_block=head)
    created: list[tuple[str, str]] = []
    for e in decoder.decode_all(logs):
        reducer = REDUCERS.get(e.contract)
        if reducer is not None and e.name in reducer.factory_events:
            created += reducer.creates(as_event(e))
    for address, contract in created:
        decoder.add_address(address, contract)
    if created:
        logs += w.client.get_logs(address=[a for a, _ in created], from_block=d.start_block, to_block=head)
    return sorted(decoder.decode_all(logs), key=lambda e: e.key)


def _replayed(w: World) -> dict[str, Any]:
    states = replay(_events(w))
    for name in ("Consortium", "SettlementToken", "FractionsFactory"):
        assert states[name].anomalies == [], name
    for address, asset in states["AssetFractions"].items():
        assert asset.anomalies == [], address
    return states


def test_an_asset_from_issue_to_claimed_recoveries_replays_to_the_contract_views(world: World) -> None:
    w = world
    r = w.recourse
    bench, bench2, issuer = (w.address(n) for n in ("bench", "bench-2", ISSUER))
    asset = _issue(w, "SH-0042-F")
    terms = asset.terms()
    assert terms.asset_ref == asset_ref("SH-0042-F") == asset_ref("asset:SH-0042-F")
    assert (terms.regions, terms.price, terms.hard_cap, terms.valuation_feed) == ((310000,), PRICE, 300, b"\x0f" * 32)
    assert r.fractions.asset_of(terms.asset_ref) == asset.address == r.fractions.assets()[-1]
    assert r.fractions.is_asset(asset.address)
    assert r.consortium.is_system_contract(asset.address)
    assert (asset.issuer(), asset.factory(), asset.token()) == (issuer, r.fractions.address, r.token.address)
    assert (asset.name(), asset.symbol(), asset.decimals(), asset.magnitude()) == ("SH-0042-F", "F", 0, MAGNITUDE)
    assert r.asset_fractions(asset.address.lower()) is r.asset_fractions(asset.address)

    for name, shares in (("bench", 120), ("bench-2", 80)):
        _pay(w, name, asset, shares * PRICE)
        _send(w, name, asset, asset.subscribe_request(shares))
    assert (asset.subscription_of(bench), asset.subscription_escrow(), asset.holder_count()) == (120, 200 * PRICE, 2)
    w.client.rpc.call("evm_mine", [terms.deadline])
    _send(w, "bench", asset, asset.settle_offering_request())
    offering = asset.offering()
    assert (offering.status, offering.sold, offering.deadline) == (OfferingStatus.SUCCEEDED, 200, terms.deadline)
    assert asset.proceeds_owed() == 200 * PRICE

    # bench's shares are minted before the first recovery, bench-2's after it: both earn it
    _send(w, "bench-2", asset, asset.claim_shares_request(bench))
    first = 1_000_01
    _pay(w, ISSUER, asset, first)
    _send(w, ISSUER, asset, asset.pay_in_request(first, b"\x01" * 32))
    # bench-2's shares are still only subscribed: they earn it all the same
    assert (asset.claimable(bench), asset.claimable(bench2)) == (first * 120 // 200, first * 80 // 200)
    _send(w, "bench-2", asset, asset.claim_shares_request(bench2))
    assert asset.claimable(bench2) == first * 80 // 200
    _send(w, ISSUER, asset, asset.withdraw_proceeds_request())

    # bench sells 15 of 20 offered shares to bench-2, delivery versus payment; the second recovery follows
    assert asset.can_transfer(bench, bench2, 20) == TransferCheck(True, Refusal.NONE)
    offer_id = asset.make_offer(w.sender("bench"), 20, 150_00)
    _pay(w, "bench-2", asset, 15 * 150_00)
    cash = r.token.balance_of(bench)
    _send(w, "bench-2", asset, asset.buy_request(offer_id, 15))
    assert r.token.balance_of(bench) == cash + 15 * 150_00
    assert asset.offer_of(offer_id) == Offer(offer_id, bench, 5, 150_00)
    second = 333_33
    _pay(w, ISSUER, asset, second)
    _send(w, ISSUER, asset, asset.pay_in_request(second, b"\x02" * 32))
    for name in INVESTORS:
        _send(w, name, asset, asset.claim_request())
    assert asset.claimable(bench) == asset.claimable(bench2) == 0
    # floor division leaves each holder at most one fen short of its exact part
    assert first + second - len(INVESTORS) <= asset.claimed(bench) + asset.claimed(bench2) <= first + second

    states = _replayed(w)
    state: AssetState = states["AssetFractions"][asset.address]
    block = w.client.block_number()
    snap = asset.snapshot(block=block)
    assert state.terms == snap.terms
    assert (state.status, state.sold, state.deadline) == (
        snap.offering.status,
        snap.offering.sold,
        snap.offering.deadline,
    )
    assert (state.issuer, state.total_supply, state.holder_count, state.paused, state.offer_count) == (
        snap.issuer,
        snap.total_supply,
        snap.holder_count,
        snap.paused,
        snap.offer_count,
    )
    assert (state.total_paid_in, state.total_claimed, state.subscription_escrow, state.proceeds_owed) == (
        snap.total_paid_in,
        snap.total_claimed,
        snap.subscription_escrow,
        snap.proceeds_owed,
    )
    assert state.total_paid_in == first + second
    for who in (bench, bench2, issuer):
        assert state.balance_of(who) == asset.balance_of(who, block=block), who
        assert state.claimable(who) == asset.claimable(who, block=block), who
    for who in (bench, bench2):  # subscribed and claimed: the reducer must have kept their accounts
        assert who in state.accounts, who
        assert state.accounts[who].claimed == asset.claimed(who), who
        assert state.accounts[who].subscription == asset.subscription_of(who), who
    assert state.holders == {bench: 120 - 15, bench2: 80 + 15}
    assert state.offers[offer_id].shares == asset.offer_of(offer_id).shares == 5
    # every fen paid in is claimed or carried (less than one fen per holder plus one)
    assert 0 <= state.dust < len(state.holders) + 1
    assert state.escrow_owed == r.token.balance_of(asset.address)
    factory = states["FractionsFactory"]
    assert factory.by_ref["0x" + terms.asset_ref.hex()] == asset.address
    assert sorted(factory.assets) == sorted(r.fractions.assets())
    consortium = states["Consortium"]
    assert asset.address in consortium.system_contracts
    assert consortium.enrolled_by[asset.address] == r.fractions.address


def test_the_reducer_reads_every_event_the_token_and_factory_declare(world: World) -> None:
    abi = world.recourse.deployments.template_abi("AssetFractions")
    assert {i["name"] for i in abi if i["type"] == "event"} == ASSET_EVENTS
    factory_events = {i["name"] for i in world.recourse.deployments.abi("FractionsFactory") if i["type"] == "event"}
    assert factory_events == REDUCERS["FractionsFactory"].events


def test_offering_subscribers_count_every_subscriber_not_refunded(world: World) -> None:
    w = world
    asset = _issue(w, "SH-0043-F", hard_cap=50, soft_cap=50)
    for name, shares in (("bench", 30), ("bench-2", 20)):
        _pay(w, name, asset, shares * PRICE)
        _send(w, name, asset, asset.subscribe_request(shares))
    _send(w, "bench", asset, asset.settle_offering_request())  # at the hard cap, before the deadline
    _send(w, "bench", asset, asset.claim_shares_request(w.address("bench")))
    state: AssetState = _replayed(w)["AssetFractions"][asset.address]
    assert (state.subscribers, state.pending_subscribers) == (2, 1)
    assert asset.offering() == state.offering


def test_refusals_name_their_rule(world: World) -> None:
    w = world
    r = w.recourse
    with pytest.raises(ContractReverted) as unanchored:
        r.fractions.issue(w.sender(ISSUER), _terms(w, "SH-0044-F", documents_root=b"\x07" * 32), "SH-0044-F", "F")
    assert unanchored.value.name == "FractionsDocumentsNotAnchored"
    with pytest.raises(ContractReverted) as not_a_bank:
        r.fractions.issue(w.sender("bench"), _terms(w, "SH-0044-F"), "SH-0044-F", "F")
    assert not_a_bank.value.name == "ConsortiumGatedUnauthorized"
    asset = _issue(w, "SH-0044-F", kyc_tier=3, min_subscription=10)
    with pytest.raises(ContractReverted) as issued_twice:
        r.fractions.issue(w.sender(ISSUER), _terms(w, "SH-0044-F"), "SH-0044-F", "F")
    assert issued_twice.value.name == "FractionsAlreadyIssued"
    bench, bench2 = w.address("bench"), w.address("bench-2")
    assert asset.can_transfer("0x" + "00" * 20, bench, 10) == TransferCheck(False, Refusal.TO_KYC_TIER)
    with pytest.raises(ContractReverted) as tier:
        _send(w, "bench", asset, asset.subscribe_request(10))
    assert tier.value.name == "FractionsTransferRefused"
    assert Refusal(tier.value.arguments["reason"]) is Refusal.TO_KYC_TIER
    with pytest.raises(ContractReverted) as small:
        _send(w, "bench-2", asset, asset.subscribe_request(9))
    assert small.value.name == "FractionsBelowMinimum"
    with pytest.raises(ContractReverted) as early:
        _send(w, "bench-2", asset, asset.settle_offering_request())
    assert early.value.name == "FractionsOfferingNotEnded"
    with pytest.raises(ContractReverted) as nothing:
        _send(w, "bench-2", asset, asset.pay_in_request(1, b"\x03" * 32))
    assert nothing.value.name == "FractionsNoShares"
    assert asset.can_transfer(bench2, bench, 1) == TransferCheck(False, Refusal.INSUFFICIENT_BALANCE)


def test_a_deployments_file_without_templates_binds_after_deploy_records_them(
    world: World, compiled: CompileResult
) -> None:
    w = world
    path = w.deployments_file
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert set(raw["templates"]) == {"AssetFractions"}
    raw.pop("templates")  # as written before templates were recorded
    path.write_text(json.dumps(raw), encoding="utf-8")
    old = Recourse.load(w.client, path)
    with pytest.raises(DeploymentError, match=r"no ABI for AssetFractions .*run `recourse deploy` again"):
        old.asset_fractions(old.fractions.address)
    block = w.client.block_number()

    gov = GovernanceConfig(tuple(account(f"governor-{i}").address for i in (1, 2, 3)), 2, 3600)
    result, changed = deploy(
        w.client, w.client.sender(account("deployer")), compiled, network="api", path=path, governance=gov
    )

    assert changed is False
    assert w.client.block_number() == block  # nothing was sent
    assert result.templates["AssetFractions"] == compiled.get("AssetFractions").abi
    assert result.contracts == w.recourse.deployments.contracts
    assert Recourse.load(w.client, path).asset_fractions(old.fractions.address).address == old.fractions.address
