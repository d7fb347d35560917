"""The indexer against a real chain: every event exactly once, projections equal to the chain, restart
from the checkpoint, reorg repair, chain outages, and PostgreSQL."""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from typing import Any, cast

import pytest
from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak
from sqlalchemy import func, select

from chain.client import ChainClient
from chain.contracts.consortium import Role
from chain.events import EventDecoder, event_key
from chain.reducers import Reducer, replay
from node_api.db.engine import make_engine, migrate
from node_api.db.models import IndexedContract
from node_api.indexer import Indexer
from tests.conftest import fresh_pg_database
from tests.indexer.conftest import BALANCES, EVENTS, MEMBER_ROWS
from tests.support.live_gateway import MEMBERS, Gateway, World, wait_until

pytestmark = pytest.mark.chain


def chain_keys(world: World) -> list[str]:
    return [
        event_key(int(lg["blockNumber"], 16), int(lg["transactionIndex"], 16), int(lg["logIndex"], 16))
        for lg in world.raw_logs()
    ]


def assert_matches_chain(gw: Gateway, world: World) -> None:
    """The index holds exactly the chain's Recourse events, and both projections equal the chain."""
    stored = [r["key"] for r in gw.rows(EVENTS)]
    assert Counter(stored) == Counter(chain_keys(world))
    assert len(stored) == len(set(stored))

    members = {m.address: m for m in world.recourse.consortium.members()}
    rows = {r["address"]: r for r in gw.rows(MEMBER_ROWS)}
    assert set(rows) == set(members)
    for address, m in members.items():
        row = rows[address]
        assert Role.from_mask(row["roles"]) == m.roles
        assert row["suspended"] == m.suspended
        assert (row["region"], row["licence_expiry"], row["kyc_tier"]) == (m.region, m.licence_expiry, m.kyc_tier)
        assert row["name_digest"] == "0x" + m.name_digest.hex()

    token = world.recourse.token
    balances = {r["address"]: int(r["amount"]) for r in gw.rows(BALANCES)}
    holders = {*balances, *(world.address(n) for n in MEMBERS)}
    for address in holders:
        assert balances.get(address, 0) == token.balance_of(address), address
    assert sum(balances.values()) == token.total_supply()


def member_lifecycle(world: World) -> None:
    """Every kind of member event: role granted and revoked, suspended and reinstated, profile updated."""
    c = world.recourse.consortium
    investor = world.address("investor")
    world.governed(lambda g: c.propose_role(g, investor, Role.AUDITOR, grant=True))
    world.governed(lambda g: c.propose_suspension(g, investor, reason="late filing", suspend=True))
    world.governed(lambda g: c.propose_profile(g, investor, region=320000, licence_expiry=4_102_444_800, kyc_tier=3))
    world.governed(lambda g: c.propose_suspension(g, investor, reason="filed", suspend=False))
    world.governed(lambda g: c.propose_role(g, world.address("collector"), Role.INVESTOR, grant=True))
    world.governed(lambda g: c.propose_role(g, investor, Role.AUDITOR, grant=False))


def test_indexes_every_event_once_and_projections_match_the_chain(fresh_world: World, gateway_factory) -> None:
    w = fresh_world
    member_lifecycle(w)
    for i in range(5):
        w.transfer("bank", "collector", 1_000 + i)
    w.transfer("collector", "investor", 777)
    w.recourse.token.burn(w.sender("bank"), 500, reference="payout #1")

    with gateway_factory(w) as gw:
        gw.wait_indexed(w.client)
        assert_matches_chain(gw, w)
        names = Counter(r["name"] for r in gw.rows(EVENTS))
        for name in ("MemberAdmitted", "MemberRoleGranted", "MemberRoleRevoked", "MemberSuspended"):
            assert names[name] >= 1, name
        assert names["MemberReinstated"] == names["MemberProfileUpdated"] == 1
        assert gw.indexer.lag() == 0

        # events after the first sync are picked up live, still exactly once
        w.transfer("investor", "bank", 77)
        gw.wait_indexed(w.client)
        assert_matches_chain(gw, w)

        # storing the same events again is a no-op: same keys, no second projection
        gw.indexer.stop()
        pos = gw.indexer.position
        with gw.state.engine.connect() as conn:
            before = conn.execute(select(func.count()).select_from(EVENTS)).scalar_one()
        again = w.recourse.event_decoder().decode_rows(w.raw_logs())
        assert gw.indexer._store(pos, pos, again) == 0
        with gw.state.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(EVENTS)).scalar_one() == before
        assert_matches_chain(gw, w)


def test_restart_resumes_from_the_checkpoint_without_duplicates(
    world: World, gateway_factory, tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = tmp_path / "restarting-gateway"
    world.transfer("bank", "investor", 10)
    with gateway_factory(world, data_dir=data_dir) as gw:
        gw.wait_indexed(world.client)
        first = gw.indexer.position
        count = len(gw.rows(EVENTS))

    for i in range(3):  # while the gateway is down
        world.transfer("bank", "collector", 20 + i)

    caplog.set_level(logging.INFO, logger="node_api.indexer")
    with gateway_factory(world, data_dir=data_dir) as gw:
        gw.wait_indexed(world.client)
        assert_matches_chain(gw, world)
        assert len(gw.rows(EVENTS)) == count + 3
    starts = [int(m.group(1)) for m in re.finditer(r"indexer\.batch from=(\d+)", caplog.text)]
    assert starts, "the restarted indexer logged no batch"
    assert min(starts) == first.block + 1, "the restarted indexer did not resume right after its checkpoint"
    assert "indexer.checkpoint.created" not in caplog.text


def test_reorg_with_anvil_reorg_drops_orphaned_events_and_indexes_the_new_branch(
    fresh_world: World, gateway_factory
) -> None:
    w = fresh_world
    token = w.recourse.token
    with gateway_factory(w) as gw:
        nonce = w.client.nonces(w.address("bank"))[0]
        orphaned = [w.transfer("bank", "investor", amount) for amount in (11, 12, 13)]
        gw.wait_indexed(w.client)
        orphaned_hashes = {r.tx_hash for r in orphaned}
        assert orphaned_hashes <= {r["tx_hash"] for r in gw.rows(EVENTS)}
        head = w.client.block_number()
        hash_before = w.client.rpc.call("eth_getBlockByNumber", [hex(head), False])["hash"]

        # replace the last 3 blocks: two different transfers (same nonces) and an empty block
        new_txs = [
            w.signed("bank", token.transfer_request(w.address("collector"), 7), nonce=nonce),
            w.signed("bank", token.transfer_request(w.address("collector"), 8), nonce=nonce + 1),
        ]
        w.client.rpc.call("anvil_reorg", [3, [[new_txs[0], 0], [new_txs[1], 1]]])
        assert w.client.block_number() == head
        assert w.client.rpc.call("eth_getBlockByNumber", [hex(head), False])["hash"] != hash_before

        gw.wait_indexed(w.client)
        stored_hashes = {r["tx_hash"] for r in gw.rows(EVENTS)}
        assert not orphaned_hashes & stored_hashes, "events of orphaned blocks are still indexed"
        values = [
            r["args"]["value"] for r in gw.rows(EVENTS) if r["name"] == "Transfer" and r["block_number"] > head - 3
        ]
        assert sorted(values) == [7, 8]
        assert_matches_chain(gw, w)
        assert token.balance_of(w.address("investor")) == 0


def test_reorg_to_a_shorter_chain_after_evm_revert(fresh_world: World, gateway_factory) -> None:
    w = fresh_world
    with gateway_factory(w) as gw:
        snap = w.client.rpc.call("evm_snapshot")
        for amount in (21, 22, 23, 24):
            w.transfer("bank", "investor", amount)
        gw.wait_indexed(w.client)
        long_head = w.client.block_number()

        w.client.rpc.call("evm_revert", [snap])  # the chain is now 4 blocks shorter than the checkpoint
        w.client.close()  # the Sender's nonce journal still holds the reverted transactions
        w.client = ChainClient(w.client.settings, data_dir=w.node.data_dir / "after-revert")
        w.recourse = type(w.recourse)(w.client, w.recourse.deployments)
        w.transfer("bank", "collector", 31)
        assert w.client.block_number() < long_head

        gw.wait_indexed(w.client)
        assert_matches_chain(gw, w)
        values = sorted(r["args"]["value"] for r in gw.rows(EVENTS) if r["name"] == "Transfer")
        assert 31 in values
        assert not {21, 22, 23, 24} & set(values)


def test_indexer_survives_a_chain_outage(fresh_world: World, gateway_factory, caplog) -> None:
    w = fresh_world
    caplog.set_level(logging.WARNING, logger="node_api.indexer")
    with gateway_factory(w) as gw:
        gw.wait_indexed(w.client)
        w.node.down()
        wait_until(lambda: "indexer.chain_unavailable" in caplog.text, what="the outage to be logged")
        assert gw.indexer._thread is not None
        assert gw.indexer._thread.is_alive()
        assert not gw.indexer.healthy
        w.node.up()  # same state file: the same chain
        w.transfer("bank", "investor", 5)
        gw.wait_indexed(w.client)
        assert gw.indexer.healthy
        assert_matches_chain(gw, w)


def test_indexer_on_postgresql(world: World, pg_server: str) -> None:
    world.transfer("bank", "collector", 3)
    engine = make_engine(fresh_pg_database(pg_server))
    migrate(engine)
    indexer = Indexer(
        engine=engine,
        client=world.client,
        decoder=world.recourse.event_decoder(),
        start_block=world.recourse.deployments.start_block,
    )
    try:
        indexer.sync()
        again = Indexer(
            engine=engine,
            client=world.client,
            decoder=world.recourse.event_decoder(),
            start_block=world.recourse.deployments.start_block,
        )
        assert again.position == indexer.position  # resumes from the stored checkpoint
        assert again.step() is False
        with engine.connect() as conn:
            keys = list(conn.execute(select(EVENTS.c.key)).scalars())
            balances = {a: int(v) for a, v in conn.execute(select(BALANCES.c.address, BALANCES.c.amount))}
        assert Counter(keys) == Counter(chain_keys(world))
        for name in MEMBERS:
            assert balances.get(world.address(name), 0) == world.recourse.token.balance_of(world.address(name))
    finally:
        indexer.close()
        engine.dispose()


def test_a_new_deployment_discards_the_old_index(world: World, tmp_path, compiled) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'ix.sqlite'}")
    migrate(engine)

    def indexer_for(decoder: Any, start: int) -> Indexer:
        return Indexer(engine=engine, client=world.client, decoder=decoder, start_block=start)

    first = indexer_for(world.recourse.event_decoder(), world.recourse.deployments.start_block)
    first.sync()
    first.close()
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(EVENTS)).scalar_one() > 0

    # the same ABIs at no address: a different deployment fingerprint
    other = indexer_for(EventDecoder({n: compiled.get(n).abi for n in ("Consortium",)}, {}), 0)
    assert other.name != first.name
    assert other.position.block == -1
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(EVENTS)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(MEMBER_ROWS)).scalar_one() == 0
    engine.dispose()


def test_replaying_the_chain_through_the_reducers_matches_the_views_and_the_index(
    fresh_world: World, gateway_factory
) -> None:
    """What the auditor does: fold every event since the deployment with ``chain.reducers`` and compare
    the state with the contracts' view functions and with the gateway's projections."""
    w = fresh_world
    member_lifecycle(w)
    w.transfer("bank", "collector", 1_234)
    w.recourse.token.burn(w.sender("bank"), 34, reference="replay")
    states = replay(w.recourse.event_decoder().decode_all(w.raw_logs()))

    consortium, token = states["Consortium"], states["SettlementToken"]
    assert consortium.anomalies == token.anomalies == []
    on_chain = {m.address: m for m in w.recourse.consortium.members()}
    assert set(consortium.members) == set(on_chain)
    for address, m in on_chain.items():
        r = consortium.members[address]
        assert Role.from_mask(r.roles) == m.roles
        assert (r.suspended, r.region, r.licence_expiry, r.kyc_tier) == (
            m.suspended,
            m.region,
            m.licence_expiry,
            m.kyc_tier,
        )
        assert r.name_digest == "0x" + m.name_digest.hex()
    assert consortium.governors == set(w.recourse.consortium.governors())
    assert consortium.threshold == w.recourse.consortium.threshold()
    assert consortium.proposals
    assert all(p.executed for p in consortium.proposals.values())
    assert token.total_supply == w.recourse.token.total_supply()
    for address, balance in token.balances.items():
        assert balance.amount == w.recourse.token.balance_of(address), address

    with gateway_factory(w) as gw:
        gw.wait_indexed(w.client)
        rows = {r["address"]: r for r in gw.rows(MEMBER_ROWS)}
        assert {a: (m.roles, m.updated_key) for a, m in consortium.members.items()} == {
            a: (r["roles"], r["updated_key"]) for a, r in rows.items()
        }
        assert {a: int(r["amount"]) for a, r in ((r["address"], r) for r in gw.rows(BALANCES))} == {
            a: b.amount for a, b in token.balances.items()
        }


# --- contracts created by a factory, on a fake chain ------------------------------------------------------

FACTORY = "0x" + "fa" * 20
CHILDREN = ("0x" + "c1" * 20, "0x" + "c2" * 20, "0x" + "c3" * 20)
_ABIS = {
    "Factory": [
        {
            "type": "event",
            "name": "ChildCreated",
            "anonymous": False,
            "inputs": [{"name": "child", "type": "address", "indexed": False}],
        }
    ],
    "Child": [
        {
            "type": "event",
            "name": "Pinged",
            "anonymous": False,
            "inputs": [{"name": "n", "type": "uint256", "indexed": False}],
        }
    ],
}
#: a factory's reducer: its only job here is to name the contracts its events create
FACTORY_REDUCER: Reducer[None] = Reducer(
    contract="Factory",
    new_state=lambda: None,
    apply=lambda state, _: state,
    events=frozenset({"ChildCreated"}),
    creates=lambda e: [(str(e.args["child"]), "Child")],
    factory_events=frozenset({"ChildCreated"}),
)


class FakeChain:
    """A chain port for the indexer: blocks with hashes and raw logs, answering the JSON-RPC it uses."""

    chain_id = 31337

    def __init__(self) -> None:
        self.logs: list[dict[str, Any]] = []
        self.blocks = 1
        self.branch: dict[int, int] = {}
        self.get_logs: list[dict[str, Any]] = []

    @property
    def rpc(self) -> FakeChain:
        return self

    def block_hash(self, number: int) -> str:
        return "0x" + hashlib.sha256(f"fake:{number}:{self.branch.get(number, 0)}".encode()).hexdigest()

    def reorg(self, first: int) -> None:
        """Drop blocks ``first``.. and their logs; blocks mined there next get other hashes."""
        self.logs = [lg for lg in self.logs if int(lg["blockNumber"], 16) < first]
        for n in range(first, self.blocks + 1):
            self.branch[n] = self.branch.get(n, 0) + 1
        self.blocks = first

    def mine(self, *logs: tuple[str, str, bytes]) -> int:
        """A block holding ``(address, event signature, data)`` logs."""
        number = self.blocks
        self.blocks += 1
        for i, (address, signature, data) in enumerate(logs):
            self.logs.append(
                {
                    "address": address,
                    "topics": ["0x" + keccak(text=signature).hex()],
                    "data": "0x" + data.hex(),
                    "blockNumber": hex(number),
                    "blockHash": self.block_hash(number),
                    "transactionIndex": hex(i),
                    "transactionHash": "0x" + hashlib.sha256(f"tx:{number}:{i}".encode()).hexdigest(),
                    "logIndex": hex(i),
                }
            )
        return number

    def batch(self, calls: Any) -> list[Any]:
        return [self.call(method, params) for method, params in calls]

    def call(self, method: str, params: Any = ()) -> Any:
        if method == "eth_blockNumber":
            return hex(self.blocks - 1)
        if method == "eth_getBlockByNumber":
            number = int(params[0], 16)
            return {"hash": self.block_hash(number)} if number < self.blocks else None
        assert method == "eth_getLogs", method
        flt = params[0]
        self.get_logs.append(flt)
        lo, hi = int(flt["fromBlock"], 16), int(flt["toBlock"], 16)
        wanted = {a.lower() for a in flt["address"]}
        return [lg for lg in self.logs if lg["address"].lower() in wanted and lo <= int(lg["blockNumber"], 16) <= hi]


def created(child: str) -> tuple[str, str, bytes]:
    return (FACTORY, "ChildCreated(address)", abi_encode(["address"], [child]))


def pinged(child: str, n: int) -> tuple[str, str, bytes]:
    return (child, "Pinged(uint256)", abi_encode(["uint256"], [n]))


def test_contracts_created_by_a_factory_are_followed_without_reindexing(
    tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    chain = FakeChain()
    engine = make_engine(f"sqlite:///{tmp_path / 'factory.sqlite'}")
    migrate(engine)

    def indexer(**configured: str) -> Indexer:
        return Indexer(
            engine=engine,
            client=cast(ChainClient, chain),
            decoder=EventDecoder(_ABIS, {FACTORY: "Factory", **configured}),
            start_block=1,
            projections=(),
            reducers={"Factory": FACTORY_REDUCER},
        )

    def stored() -> list[tuple[str, int, str]]:
        with engine.connect() as conn:
            rows = conn.execute(select(EVENTS.c.address, EVENTS.c.block_number, EVENTS.c.name).order_by(EVENTS.c.key))
            return [(str(a).lower(), int(b), str(n)) for a, b, n in rows]

    c1, c2, c3 = CHILDREN
    chain.mine()
    deployed_later = chain.mine(pinged(c3, 7))  # a contract the deployment will name later
    first = chain.mine(created(c1), pinged(c1, 1))  # created and used in the same block
    chain.mine(pinged(c1, 2), pinged(c2, 99))  # c2 does not exist yet: not followed, not stored
    second = chain.mine(created(c2))
    chain.mine(pinged(c2, 3))
    caplog.set_level(logging.INFO, logger="node_api.indexer")
    ix = indexer()
    name = ix.name
    ix.sync()
    assert stored() == [
        (FACTORY, first, "ChildCreated"),
        (c1, first, "Pinged"),
        (c1, first + 1, "Pinged"),
        (FACTORY, second, "ChildCreated"),
        (c2, second + 1, "Pinged"),
    ]
    # the new addresses were fetched from their creation block on, and only they
    fetched = [([a.lower() for a in f["address"]], int(f["fromBlock"], 16)) for f in chain.get_logs]
    assert [f for f in fetched if FACTORY not in f[0]] == [([c1, c2], first)]
    assert ix.name == name  # following contracts does not change the checkpoint

    # later chunks fetch every followed contract
    chain.mine(pinged(c1, 4), pinged(c2, 5))
    ix.sync()
    assert stored()[-2:] == [(c1, chain.blocks - 1, "Pinged"), (c2, chain.blocks - 1, "Pinged")]
    ix.close()

    # a restarted indexer (its decoder knows only the factory) resumes and follows the children again;
    # a contract its deployment names now is indexed from the deployment's first block, alone
    chain.mine(pinged(c2, 6))
    checkpoint = ix.position
    chain.get_logs.clear()
    again = indexer(**{c3: "Child"})
    assert again.name == name
    assert again.position == checkpoint
    assert chain.get_logs == [{"fromBlock": hex(1), "toBlock": hex(checkpoint.block), "address": [c3]}]
    again.sync()
    again.close()
    assert stored()[-1] == (c2, chain.blocks - 1, "Pinged")
    assert (c3, deployed_later, "Pinged") in stored()
    assert len(stored()) == 9
    chain.get_logs.clear()
    assert indexer(**{c3: "Child"}).position == again.position
    assert chain.get_logs == []  # listed now: nothing fetched again
    assert caplog.text.count("indexer.checkpoint.created") == 1
    assert "indexer.deployment_changed" not in caplog.text
    engine.dispose()


def test_a_reorg_that_drops_a_factory_event_unfollows_its_contract(tmp_path) -> None:
    chain = FakeChain()
    engine = make_engine(f"sqlite:///{tmp_path / 'factory-reorg.sqlite'}")
    migrate(engine)
    ix = Indexer(
        engine=engine,
        client=cast(ChainClient, chain),
        decoder=EventDecoder(_ABIS, {FACTORY: "Factory"}),
        start_block=1,
        projections=(),
        reducers={"Factory": FACTORY_REDUCER},
    )
    c1, c2, _ = CHILDREN
    chain.mine()
    dropped = chain.mine(created(c1), pinged(c1, 1))
    ix.sync()

    def listed() -> dict[str, int]:
        with engine.connect() as conn:
            table = IndexedContract.__table__  # type: ignore[attr-defined]
            return {str(a): int(b) for a, b in conn.execute(select(table.c.address, table.c.from_block))}

    assert listed() == {FACTORY: 1, c1: dropped}
    chain.reorg(dropped)  # the block that created c1 is replaced: c2 is created instead
    chain.mine(created(c2))
    chain.mine(pinged(c2, 2))
    ix.sync()
    ix.close()
    assert listed() == {FACTORY: 1, c2: dropped}
    with engine.connect() as conn:
        names = [
            (str(a).lower(), str(n))
            for a, n in conn.execute(select(EVENTS.c.address, EVENTS.c.name).order_by(EVENTS.c.key))
        ]
    assert names == [(FACTORY, "ChildCreated"), (c2, "Pinged")]
    engine.dispose()
