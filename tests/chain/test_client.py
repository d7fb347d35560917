"""chain.client: chain-id check, the crash-safe nonce journal, one writer per key, JSON-RPC bursts."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from eth_utils.address import to_checksum_address

from chain import ChainIdMismatchError, ContractReverted, KeyStoreError, TransactionError
from chain.client import ChainClient, Rpc, Sender, TxRequest
from chain.config import PROJECT_ROOT, ChainSettings
from chain.network import Recourse
from chain.node import AnvilNode
from tests.chain.conftest import INITIAL_BANK_CASH, ClientFactory, SignerFactory
from tests.conftest import account

pytestmark = pytest.mark.chain

GAS = 21_000
SINK = "0x000000000000000000000000000000000000dEaD"

HOLD_SENDER = """
import sys
from pathlib import Path
from chain.client import ChainClient
from chain.config import ChainSettings
from chain.keys import dev_identity_account

client = ChainClient(ChainSettings(rpc_url=sys.argv[1]), data_dir=Path(sys.argv[2]))
client.sender(dev_identity_account(sys.argv[3], chain_id=31337))
print("ready", flush=True)
sys.stdin.readline()
client.close()
"""


def _mined_nonce(rpc: Rpc, address: str) -> int:
    return int(rpc.call("eth_getTransactionCount", [address, "latest"]), 16)


def _tx_nonces(rpc: Rpc, hashes: list[str]) -> list[int]:
    return [int(tx["nonce"], 16) for tx in rpc.batch([("eth_getTransactionByHash", [h]) for h in hashes])]


def _fresh_address(i: int) -> str:
    return to_checksum_address(f"0x{0xC0FFEE00 + i:040x}")


def _pay(to: str, value: int) -> TxRequest:
    return TxRequest(to, b"", value=value, gas=GAS)


def test_chain_id_mismatch_is_refused(chain_settings: ChainSettings, tmp_path: Path) -> None:
    settings = chain_settings.model_copy(update={"chain_id": 1337})

    with pytest.raises(ChainIdMismatchError, match="chain id 31337 but settings say 1337"):
        ChainClient(settings, data_dir=tmp_path)


def test_nonces_continue_after_a_restart(open_client: ClientFactory, tmp_path: Path) -> None:
    data_dir = tmp_path / "process"
    first = open_client(data_dir)
    sender = first.sender(account("bench"))
    start = sender.next_nonce
    to = _fresh_address(1)

    hashes = sender.send([_pay(to, v) for v in range(1, 6)])  # no wait
    first.close()

    second = open_client(data_dir)
    resumed = second.sender(account("bench"))
    assert resumed.next_nonce == start + 5
    receipts = resumed.wait(hashes)
    assert all(r.status for r in receipts)
    assert _tx_nonces(second.rpc, hashes) == list(range(start, start + 5))
    receipt = resumed.transact(_pay(to, 100))
    assert _tx_nonces(second.rpc, [receipt.tx_hash]) == [start + 5]
    assert second.balance(to) == 1 + 2 + 3 + 4 + 5 + 100


def test_nonces_continue_from_the_journal_while_transactions_are_pending(
    open_client: ClientFactory, node_rpc: Rpc, tmp_path: Path
) -> None:
    data_dir = tmp_path / "process"
    first = open_client(data_dir)
    sender = first.sender(account("bench"))
    start = sender.next_nonce
    node_rpc.call("evm_setAutomine", [False])

    hashes = sender.send([_pay(_fresh_address(2), 1) for _ in range(3)])
    first.close()
    resumed = open_client(data_dir).sender(account("bench"))

    assert _mined_nonce(node_rpc, resumed.address) == start  # none mined yet
    assert resumed.next_nonce == start + 3
    node_rpc.call("evm_mine")
    assert all(r.status for r in resumed.wait(hashes, timeout=10))


def test_lost_transaction_is_rebroadcast_from_the_journal_and_mined_once(
    open_client: ClientFactory, node_rpc: Rpc, tmp_path: Path
) -> None:
    data_dir = tmp_path / "process"
    to = _fresh_address(3)
    first = open_client(data_dir)
    sender = first.sender(account("bench"))
    start = sender.next_nonce
    node_rpc.call("evm_setAutomine", [False])

    (lost,) = sender.send([_pay(to, 7)])  # signed and journalled ...
    node_rpc.call("anvil_dropTransaction", [lost])  # ... but the node lost it
    assert node_rpc.call("eth_getTransactionByHash", [lost]) is None
    first.close()
    node_rpc.call("evm_setAutomine", [True])

    second = open_client(data_dir)
    resumed = second.sender(account("bench"))  # reconciles: rebroadcasts the journalled raw tx

    assert resumed.next_nonce == start + 1
    (receipt,) = resumed.wait([lost], timeout=10)
    assert receipt.status
    assert _mined_nonce(node_rpc, resumed.address) == start + 1
    assert second.balance(to) == 7
    second.close()

    # a later restart finds nothing left to rebroadcast: the transfer happened exactly once
    third = open_client(data_dir)
    again = third.sender(account("bench"))
    assert again.next_nonce == start + 1
    again.transact(_pay(to, 1))
    assert third.balance(to) == 8
    assert _mined_nonce(node_rpc, again.address) == start + 2


def test_rebroadcast_rejected_by_the_node_leaves_no_nonce_gap(own_node: AnvilNode, tmp_path: Path) -> None:
    # its own node: anvil keeps a changed base fee across evm_revert, so this must not touch the shared one
    own_node.up()
    settings = ChainSettings(rpc_url=own_node.url, port=own_node.port)
    data_dir = tmp_path / "process"
    first = ChainClient(settings, data_dir=data_dir)
    sender = first.sender(account("bench"))
    first.rpc.call("evm_setAutomine", [False])
    (lost,) = sender.send([_pay(SINK, 7)])
    first.rpc.call("anvil_dropTransaction", [lost])
    first.close()
    # the base fee jumps above the lost transaction's max fee, so the node refuses the rebroadcast
    first.rpc.call("anvil_setNextBlockBaseFeePerGas", [hex(100 * 10**9)])
    first.rpc.call("evm_mine")
    first.rpc.call("evm_setAutomine", [True])

    second = ChainClient(settings, data_dir=data_dir)
    try:
        resumed = second.sender(account("bench"))
        receipt = resumed.transact(_pay(SINK, 1), timeout=1)

        assert receipt.status
        assert second.balance(SINK) >= 1
    finally:
        second.close()


def test_second_sender_for_a_key_is_refused_in_the_same_process(open_client: ClientFactory, tmp_path: Path) -> None:
    data_dir = tmp_path / "process"
    first = open_client(data_dir)
    first.sender(account("bench"))
    other = open_client(data_dir)

    with pytest.raises(KeyStoreError, match="in use by another process"):
        other.sender(account("bench"))
    assert other.sender(account("bench-2")).address == account("bench-2").address  # other keys are free

    first.close()
    assert other.sender(account("bench")).address == account("bench").address


def test_second_sender_for_a_key_is_refused_across_processes(
    open_client: ClientFactory, chain_settings: ChainSettings, tmp_path: Path
) -> None:
    data_dir = tmp_path / "process"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_SENDER, chain_settings.rpc_url, str(data_dir), "bench"],
        cwd=PROJECT_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ready"

        with pytest.raises(KeyStoreError, match="in use by another process"):
            open_client(data_dir).sender(account("bench"))
    finally:
        holder.communicate(input="\n", timeout=30)
    assert holder.returncode == 0

    assert open_client(data_dir).sender(account("bench")).address == account("bench").address


def test_transact_many_sends_200_transfers_with_consecutive_nonces(
    members: Recourse, signer: SignerFactory, client: ChainClient
) -> None:
    bank = signer("bank")
    investor = account("investor").address
    start = bank.next_nonce
    requests = [members.token.transfer_request(investor, 1) for _ in range(200)]

    receipts = bank.transact_many(requests)

    assert len(receipts) == 200
    assert all(r.status for r in receipts)
    assert _tx_nonces(client.rpc, [r.tx_hash for r in receipts]) == list(range(start, start + 200))
    assert bank.next_nonce == start + 200
    assert members.token.balance_of(investor) == 200
    assert members.token.balance_of(bank.address) == INITIAL_BANK_CASH - 200
    transfers = [e for r in receipts for e in members.token.events(r, "Transfer")]
    assert len(transfers) == 200
    assert {(e.args["from"], e.args["to"], e.args["value"]) for e in transfers} == {(bank.address, investor, 1)}
    assert [e.key for e in transfers] == sorted(e.key for e in transfers)


def _wait_for_nonce(rpc: Rpc, address: str, target: int, timeout: float = 5.0) -> int:
    deadline = time.monotonic() + timeout
    while (mined := _mined_nonce(rpc, address)) < target and time.monotonic() < deadline:
        time.sleep(0.02)
    return mined


def test_rejected_request_in_a_burst_does_not_stall_later_nonces(signer: SignerFactory, client: ChainClient) -> None:
    sender: Sender = signer("bench")
    to = _fresh_address(4)
    start = sender.next_nonce
    too_much = client.balance(sender.address) * 2
    burst = [_pay(to, 1), _pay(to, 2), _pay(to, too_much), _pay(to, 4), _pay(to, 5)]

    with pytest.raises(TransactionError, match=f"1 of 5 transaction.*nonce {start + 2}"):
        sender.send(burst)

    assert _wait_for_nonce(client.rpc, sender.address, start + 5) == start + 5
    assert client.balance(to) == 1 + 2 + 4 + 5  # everything but the rejected request went through
    filler = _transaction_with_nonce(client, sender.address, start + 2)
    assert filler["to"].lower() == sender.address.lower()
    assert int(filler["value"], 16) == 0
    receipt = sender.transact(_pay(to, 10))
    assert receipt.status
    assert _tx_nonces(client.rpc, [receipt.tx_hash]) == [start + 5]
    assert client.balance(to) == 22


def _transaction_with_nonce(client: ChainClient, address: str, nonce: int) -> dict[str, str]:
    for number in range(client.block_number(), -1, -1):
        block = client.rpc.call("eth_getBlockByNumber", [hex(number), True])
        for tx in block["transactions"]:
            if tx["from"].lower() == address.lower() and int(tx["nonce"], 16) == nonce:
                return dict(tx)
    raise AssertionError(f"no transaction with nonce {nonce} from {address}")


def test_reverting_request_in_a_burst_is_refused_before_anything_is_signed(
    members: Recourse, signer: SignerFactory, client: ChainClient
) -> None:
    bank = signer("bank")
    start = bank.next_nonce
    requests = [
        members.token.transfer_request(account("investor").address, 1),
        members.token.transfer_request(account("outsider").address, 1),  # not a member: estimation reverts
    ]

    with pytest.raises(ContractReverted) as excinfo:
        bank.transact_many(requests)

    assert excinfo.value.name == "SettlementTokenNotMember"
    assert excinfo.value.arguments == {"account": account("outsider").address}
    assert bank.next_nonce == start
    assert _mined_nonce(client.rpc, bank.address) == start
    assert members.token.balance_of(account("investor").address) == 0


def test_first_block_at_or_after_a_time_is_the_lowest_such_block(client: ChainClient) -> None:
    latest = client.block_number()
    assert latest > 2
    times = [client.block_timestamp(b) for b in range(latest + 1)]
    for t in sorted({*times, times[0] - 1, min(times[latest // 2] + 1, times[-1])}):
        found = client.first_block_at_or_after(t)
        assert found is not None
        assert times[found] >= t
        assert found == 0 or times[found - 1] < t
    assert client.first_block_at_or_after(times[-1] + 3600) is None
