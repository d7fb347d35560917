"""The transaction writer: one thread per institution key, the only user of that key's nonces.

Exactly-once protocol (the gateway may be SIGKILLed at any instant):

1. the API commits an operation as ``pending`` before answering 202;
2. the writer takes pending operations in submission order, estimates gas in one JSON-RPC batch
   (a revert fails the operation with the decoded error, unless earlier operations of the same key are
   still in flight: then it waits for them and estimates again; an operation whose planner already
   asked the chain carries that answer as its gas limit and is not estimated again), signs them with
   consecutive nonces and commits ``sent`` + nonce + tx hash + raw transaction in ONE database
   transaction;
3. only then it broadcasts them (JSON-RPC batch). A transaction the node rejects outright is replaced
   by a zero-value self-transfer with the same nonce (persisted first), so later nonces never stall;
   its operation ends ``failed``;
4. the writer polls the key's mined nonce (one cheap call) and fetches receipts, in batches, only for
   the sent operations whose nonce is below it; each ends ``succeeded`` or ``failed`` (revert decoded),
   except a transaction that ran out of gas on its first attempt (state changed between the planner's
   estimate and the block): it is mined and void, so the operation goes back to ``pending`` without a
   gas limit, to be estimated and sent once more; so does an operation whose nonce is mined while the
   node does not know its transaction (the key signed another transaction elsewhere with that nonce): its
   own transaction can never be mined, and it goes out again with the next free nonce;
5. on start, and whenever a sent transaction is unknown to the node, the persisted raw transaction is
   rebroadcast. A signed transaction has a fixed nonce, so it can be mined at most once; an operation
   is signed at most once (step 2 commits before anything leaves the process).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import coincurve
import rlp
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from chain import ChainError, ContractReverted
from chain.client import ChainClient, KeyLock, Receipt, RpcError, TxRequest
from node_api.db.models import Operation, utcnow
from node_api.institutions import Institution
from node_api.schemas import OperationPublic

__all__ = ["FastSigner", "OperationBoard", "TransactionWriter"]

logger = logging.getLogger(__name__)
REJECTED = "CHN-REJECTED"
TERMINAL = ("succeeded", "failed")
#: blocks the chain must mine past a stale transaction the node still holds before the writer clears its pool
#: entries and sends them again (a slow node is not a stuck one)
STUCK_BLOCKS = 3
#: seconds after which a stale transaction the node still holds counts as stuck even if the chain mined
#: nothing meanwhile: an automining node with no other sender never moves on by itself
STUCK_SECONDS = 10.0


class OperationBoard:
    """In-memory, thread-safe record of recently finished operations, and the ``?confirm=true`` waiters
    to call (with the finished operation) the moment the writer has committed the outcome. The writer
    may run in this process or in the background process (``node_api.background``), which forwards
    every finished operation here."""

    def __init__(self, capacity: int = 100_000) -> None:
        self._done: OrderedDict[str, str] = OrderedDict()
        self._waiters: dict[str, list[Callable[[OperationPublic], None]]] = {}
        self._lock = threading.Lock()
        self._capacity = capacity
        #: the highest block in which this gateway has seen one of its operations mined
        self.last_block = -1
        #: called with every finished operation, in the thread that reports it
        self.listeners: list[Callable[[OperationPublic], None]] = []

    def finished(self, op: OperationPublic) -> None:
        if op.block_number is not None and op.block_number > self.last_block:
            self.last_block = op.block_number
        with self._lock:
            self._done[op.id] = op.status
            while len(self._done) > self._capacity:
                self._done.popitem(last=False)
            waiters = self._waiters.pop(op.id, [])
        for notify in waiters:
            notify(op)
        for listen in self.listeners:
            listen(op)

    def add_waiter(self, op_id: str, notify: Callable[[OperationPublic], None]) -> bool:
        """Call ``notify(op)`` when ``op_id`` finishes; ``False`` (not registered) if it already has."""
        with self._lock:
            if op_id in self._done:
                return False
            self._waiters.setdefault(op_id, []).append(notify)
            return True

    def remove_waiter(self, op_id: str, notify: Callable[[OperationPublic], None]) -> None:
        with self._lock:
            waiters = self._waiters.get(op_id)
            if waiters is not None and notify in waiters:
                waiters.remove(notify)
                if not waiters:
                    del self._waiters[op_id]


class FastSigner:
    """Signs transactions with a cached coincurve key: byte for byte what ``LocalAccount.sign_transaction``
    produces (EIP-1559 type 2 with ``maxFeePerGas``, else legacy EIP-155), about 5x faster (no key
    re-derivation, no typed-transaction model per call)."""

    def __init__(self, account: LocalAccount, chain_id: int) -> None:
        self._key = coincurve.PrivateKey(bytes(account.key))
        self.chain_id = chain_id

    def sign(self, req: TxRequest, *, nonce: int, gas: int, fees: dict[str, int]) -> tuple[str, str]:
        """Returns ``(tx_hash, raw_tx)`` as 0x-hex."""
        to = bytes.fromhex(req.to[2:]) if req.to else b""
        if "maxFeePerGas" in fees:
            fields: list[Any] = [
                self.chain_id,
                nonce,
                fees["maxPriorityFeePerGas"],
                fees["maxFeePerGas"],
                gas,
                to,
                req.value,
                req.data,
                [],
            ]
            r, s, recid = self._sign(keccak(b"\x02" + rlp.encode(fields)))
            raw = b"\x02" + rlp.encode([*fields, recid, r, s])
        else:
            fields = [nonce, fees["gasPrice"], gas, to, req.value, req.data]
            r, s, recid = self._sign(keccak(rlp.encode([*fields, self.chain_id, 0, 0])))
            raw = rlp.encode([*fields, recid + 35 + 2 * self.chain_id, r, s])
        return "0x" + keccak(raw).hex(), "0x" + raw.hex()

    def _sign(self, digest: bytes) -> tuple[int, int, int]:
        sig = self._key.sign_recoverable(digest, hasher=None)
        return int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:64], "big"), sig[64]


def _request(op: Operation) -> TxRequest:
    return TxRequest(op.to_address, bytes.fromhex(op.data[2:]), value=op.value, gas=op.gas)


class TransactionWriter:
    """Signs, persists, sends and confirms the operations of one institution."""

    def __init__(
        self,
        *,
        engine: Engine,
        client: ChainClient,
        institution: Institution,
        board: OperationBoard,
        batch: int = 200,
        idle: float = 0.02,
    ) -> None:
        self.engine = engine
        self.client = client
        self.institution = institution
        self.address = institution.address
        self.board = board
        self.batch = batch
        self.idle = idle
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._key_lock: KeyLock | None = None
        self._next_nonce = 0
        self._last_rebroadcast = 0.0
        #: seconds a sent transaction may stay unmined before the writer checks whether it was lost or is
        #: stuck; anvil mines at once (0.5 s), a real chain needs block times (3 s); set by ``reconcile``
        self._stale_after = 3.0
        #: the chain head, and the monotonic time, when our sent transactions were first seen stale while
        #: the node still knew them
        self._stuck_head: int | None = None
        self._stuck_since = 0.0
        #: why the writer is unhealthy while a transaction stays stuck on a node whose pool it cannot clear
        self._stuck_error: str | None = None
        self._in_flight = 0
        self._signer: FastSigner | None = None
        self.healthy = True
        self.last_error: str | None = None

    # --- lifecycle ---

    def start(self) -> None:
        self._key_lock = KeyLock(self.client.data_dir, self.client.chain_id, self.address)
        self._signer = FastSigner(self.institution.account, self.client.chain_id)
        self._thread = threading.Thread(target=self._run, name=f"writer-{self.institution.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._key_lock is not None:
            self._key_lock.release()

    def wake(self) -> None:
        self._wake.set()

    def _session(self) -> Session:
        # objects stay loaded after commit: no lazy reload (one SELECT per row) when they are used again
        return Session(self.engine, expire_on_commit=False)

    def _sign(self, req: TxRequest, *, nonce: int, gas: int, fees: dict[str, int]) -> tuple[str, str]:
        if self._signer is None:
            self._signer = FastSigner(self.institution.account, self.client.chain_id)
        return self._signer.sign(req, nonce=nonce, gas=gas, fees=fees)

    def _run(self) -> None:
        reconciled = False
        while not self._stop.is_set():
            try:
                if not reconciled:
                    self.reconcile()
                    reconciled = True
                progressed = self.step()
                # a round without error is healthy unless a transaction is stuck where the pool cannot be cleared
                self.healthy, self.last_error = self._stuck_error is None, self._stuck_error
            except ChainError as exc:  # chain down: keep everything, retry later
                self.healthy, self.last_error = False, str(exc)
                logger.warning("writer.error institution=%s error=%s", self.institution.name, exc)
                progressed = False
                reconciled = False
                self._stop.wait(1.0)
            except Exception as exc:  # noqa: BLE001 - the writer must never die silently
                self.healthy, self.last_error = False, repr(exc)
                logger.exception("writer.crash institution=%s", self.institution.name)
                progressed = False
                reconciled = False
                self._stop.wait(1.0)
            if not progressed:
                # poll receipts quickly while transactions are in flight; otherwise sleep until woken
                self._wake.wait(self.idle if self._in_flight else 1.0)
                self._wake.clear()

    # --- protocol ---

    def reconcile(self) -> None:
        """Align with the chain after a (re)start: next nonce, rebroadcast what the node lost."""
        mined, pending = self.client.nonces(self.address)
        try:
            version = str(self.client.rpc.call("web3_clientVersion"))
        except ChainError:
            version = ""
        self._stale_after = 0.5 if version.lower().startswith("anvil") else 3.0
        with self._session() as s:
            sent = self._sent(s, limit=100_000)
            highest = max((op.nonce for op in sent if op.nonce is not None), default=-1)
            self._next_nonce = max(pending, highest + 1)
            self._in_flight = len(sent)
            if sent:
                known = self.client.known_transactions([op.tx_hash or "" for op in sent])
                lost = [op for op, k in zip(sent, known, strict=True) if not k]
                if lost:
                    logger.warning("writer.rebroadcast institution=%s count=%d", self.institution.name, len(lost))
                    self._broadcast(s, lost)
        logger.info(
            "writer.reconciled institution=%s address=%s mined=%d next_nonce=%d in_flight=%d",
            self.institution.name,
            self.address,
            mined,
            self._next_nonce,
            len(sent),
        )

    def step(self) -> bool:
        """One round: send what is pending, confirm what is sent. Returns whether anything changed."""
        sent_any = self._send_pending()
        confirmed_any = self._confirm_sent()
        return sent_any or confirmed_any

    def _sent(self, s: Session, limit: int, below_nonce: int | None = None) -> list[Operation]:
        stmt = select(Operation).where(Operation.sender == self.address, Operation.status == "sent")
        if below_nonce is not None:
            stmt = stmt.where(col(Operation.nonce) < below_nonce)
        return list(s.exec(stmt.order_by(col(Operation.nonce)).limit(limit)).all())

    def _send_pending(self) -> bool:
        with self._session() as s:
            stmt = (
                select(Operation)
                .where(Operation.sender == self.address, Operation.status == "pending")
                .order_by(col(Operation.created_at), col(Operation.id))
                .limit(self.batch)
            )
            ops = list(s.exec(stmt).all())
            if not ops:
                return False
            in_flight = self._in_flight > 0
            # an operation its planner asked the chain about carries the answer as its gas limit (the node
            # has run it once already): only the others are estimated, in one batch
            todo = [_request(op) for op in ops if op.gas is None]
            estimates = iter(self.client.estimate_many(self.address, todo) if todo else [])
            to_sign: list[tuple[Operation, int]] = []
            failed: list[Operation] = []
            for op in ops:
                est = op.gas if op.gas is not None else next(estimates)
                if isinstance(est, int):
                    to_sign.append((op, est))
                    continue
                if in_flight or to_sign:
                    break  # may depend on an earlier operation of this key: estimate again once it lands
                self._fail(op, est)
                failed.append(op)
                break  # keep submission order: later operations are estimated in the next round
            fees = self.client.fee_fields()
            now = utcnow()
            for i, (op, gas) in enumerate(to_sign):
                nonce = self._next_nonce + i
                h, raw = self._sign(_request(op), nonce=nonce, gas=gas, fees=fees)
                op.status, op.nonce, op.gas, op.tx_hash, op.raw_tx = "sent", nonce, gas, h, raw
                op.attempts += 1
                op.updated_at = now
                s.add(op)
            for op in failed:
                s.add(op)
            s.commit()  # durable before anything leaves the process
            self._next_nonce += len(to_sign)
            self._in_flight += len(to_sign)
            for op in failed:
                self._finished(op)
            if to_sign:
                self._broadcast(s, [op for op, _ in to_sign])
                logger.debug("writer.sent institution=%s count=%d", self.institution.name, len(to_sign))
            return bool(to_sign or failed)

    def _broadcast(self, s: Session, ops: Sequence[Operation]) -> None:
        outcome = self.client.broadcast([op.raw_tx or "" for op in ops])
        rejected = [(op, err) for op, err in zip(ops, outcome, strict=True) if err is not None]
        if not rejected:
            return
        fees = self.client.fee_fields()
        fillers = []
        for op, err in rejected:
            if "nonce too low" in err.message.lower():
                # the nonce is already used: by this very transaction (then it is known) or by another
                continue
            logger.warning(
                "writer.rejected operation_id=%s nonce=%s error=%s action=fill-nonce", op.id, op.nonce, err.message
            )
            filler = TxRequest(self.address, b"", gas=21_000)
            h, raw = self._sign(filler, nonce=op.nonce or 0, gas=21_000, fees=fees)
            op.tx_hash, op.raw_tx = h, raw
            op.error_code, op.error_name = REJECTED, "TransactionRejected"
            op.error_message = f"the node rejected the transaction: {err.message}"
            op.updated_at = utcnow()
            s.add(op)
            fillers.append(op)
        s.commit()
        if fillers:
            self.client.broadcast([op.raw_tx or "" for op in fillers])

    def _confirm_sent(self) -> bool:
        """Receipts only for operations whose nonce the chain has mined; every 3 s, look for lost ones."""
        check_lost = self._in_flight > 0 and time.monotonic() - self._last_rebroadcast > self._stale_after
        if self._in_flight <= 0 and not check_lost:
            return False
        mined = int(self.client.rpc.call("eth_getTransactionCount", [self.address, "latest"]), 16)
        with self._session() as s:
            ready = self._sent(s, limit=2_000, below_nonce=mined)
            done: list[Operation] = []
            again = 0
            if ready:
                receipts = self.client.receipts([op.tx_hash or "" for op in ready])
                taken: list[Operation] = []
                for op, receipt in zip(ready, receipts, strict=True):
                    if receipt is None:
                        taken.append(op)  # its nonce is mined, yet not its transaction
                        continue
                    s.add(op)
                    if self._complete(op, receipt):
                        done.append(op)
                    else:
                        again += 1
                again += self._resend_taken(s, taken, mined)
            if done or again:
                self._stuck_error = None  # the chain mined this key's transactions again
                s.commit()
                self._in_flight -= len(done) + again
                for op in done:
                    self._finished(op)
            if check_lost:
                self._last_rebroadcast = time.monotonic()
                self._check_lost(s, bool(done))
            return bool(done or again)

    def _resend_taken(self, s: Session, ops: list[Operation], mined: int) -> int:
        """Operations whose nonce another transaction of this key used (the key signed elsewhere too: a
        CLI, a script, a second gateway): their own transactions can never be mined, so they are safely
        pending again and go out with the next free nonce. Without this they would be rebroadcast forever,
        refused as "nonce too low". Returns how many went back."""
        if not ops:
            return 0
        known = self.client.known_transactions([op.tx_hash or "" for op in ops])
        back = [op for op, k in zip(ops, known, strict=True) if not k]
        for op in back:
            logger.warning(
                "writer.nonce-taken operation_id=%s nonce=%s tx_hash=%s action=resend", op.id, op.nonce, op.tx_hash
            )
            op.status, op.nonce, op.tx_hash, op.raw_tx, op.updated_at = "pending", None, None, None, utcnow()
            s.add(op)
        if back:
            self._next_nonce = max(self._next_nonce, mined)
        return len(back)

    def _check_lost(self, s: Session, progressed: bool) -> None:
        sent = self._sent(s, limit=2_000)
        self._in_flight = len(sent)
        stale = [op for op in sent if (utcnow() - op.updated_at).total_seconds() > self._stale_after]
        if not stale:
            return
        known = self.client.known_transactions([op.tx_hash or "" for op in stale])
        lost = [op for op, k in zip(stale, known, strict=True) if not k]
        if lost:
            logger.warning("writer.lost institution=%s count=%d action=rebroadcast", self.institution.name, len(lost))
            self._broadcast(s, lost)
        elif progressed:
            self._stuck_head = None
        else:
            # A node that mines slowly (a loaded machine, a burst of many senders) is not a stuck one: clear
            # the pool only when the chain has moved on by a few blocks while our lowest nonce stayed unmined,
            # or when it stayed unmined for STUCK_SECONDS (an automining node with no other sender mines
            # nothing more, so waiting for blocks alone would wait forever).
            head = self.client.block_number()
            if self._stuck_head is None or head < self._stuck_head:
                self._stuck_head, self._stuck_since = head, time.monotonic()
            elif head - self._stuck_head >= STUCK_BLOCKS or time.monotonic() - self._stuck_since >= STUCK_SECONDS:
                self._stuck_head = None
                self._unstick(s, stale, sent)

    def _unstick(self, s: Session, stale: list[Operation], sent: list[Operation]) -> None:
        """The node knows our lowest pending transaction but does not mine it (seen with anvil's pool
        under bursts): on anvil, clear this sender's pool and rebroadcast EVERY sent transaction in nonce
        order (clearing removed them all, not only the stale ones); elsewhere (Besu) report the writer
        unhealthy so /readyz shows it, without calling any ``anvil_*`` method."""
        mined, _ = self.client.nonces(self.address)
        lowest = min((op.nonce for op in stale if op.nonce is not None), default=None)
        if lowest is None or lowest != mined:
            return
        if not self._clear_pool():
            self._stuck_error = f"transaction nonce {lowest} is stuck in the node's pool"
            self.healthy, self.last_error = False, self._stuck_error
            logger.warning("writer.stuck institution=%s nonce=%d", self.institution.name, lowest)
            return
        logger.warning(
            "writer.stuck institution=%s nonce=%d count=%d action=clear-pool-rebroadcast",
            self.institution.name,
            lowest,
            len(sent),
        )
        self._broadcast(s, sorted(sent, key=lambda op: op.nonce or 0))

    def _clear_pool(self) -> bool:
        """Drop this sender's transactions from the node's pool: only the development chain (anvil) can."""
        try:
            if not self.client.is_anvil():
                return False
            self.client.rpc.call("anvil_removePoolTransactions", [self.address])
        except ChainError:
            return False
        return True

    def _complete(self, op: Operation, receipt: Receipt) -> bool:
        """Record the outcome of ``op``'s mined transaction; ``False`` if it goes back to ``pending``
        (ran out of gas on its first attempt: :meth:`_estimate_again`)."""
        op.block_number, op.gas_used, op.updated_at = receipt.block_number, receipt.gas_used, utcnow()
        if op.error_code == REJECTED:
            op.status = "failed"
        elif receipt.status:
            op.status = "succeeded"
        else:
            err = self.client.explain_failure(receipt, _request(op))
            if op.attempts < 2 and (receipt.gas_used >= (op.gas or 0) or not isinstance(err, ContractReverted)):
                self._estimate_again(op, receipt)
                return False
            self._fail(op, err)
        return True

    def _estimate_again(self, op: Operation, receipt: Receipt) -> None:
        """``op``'s transaction failed for want of gas (it used its whole limit, or run again with more gas
        it does not revert): the state changed since the limit was estimated (by its planner, usually). The
        mined transaction is void and can never be mined again, so the operation is safely pending once
        more, without a gas limit: the next round estimates it and sends it with a new nonce."""
        logger.warning(
            "writer.out-of-gas operation_id=%s tx_hash=%s gas=%s gas_used=%d action=estimate-resend",
            op.id,
            op.tx_hash,
            op.gas,
            receipt.gas_used,
        )
        op.status, op.gas, op.nonce, op.tx_hash, op.raw_tx = "pending", None, None, None, None
        op.block_number, op.gas_used = None, None

    def _fail(self, op: Operation, err: ChainError) -> None:
        op.status = "failed"
        op.updated_at = utcnow()
        if isinstance(err, ContractReverted):
            op.error_code, op.error_name = "CHN-REVERT", err.name
            op.error_args = {k: _jsonable(v) for k, v in err.arguments.items()}
            op.error_message = str(err)
        elif isinstance(err, RpcError):
            op.error_code, op.error_name, op.error_message = "CHN-RPC", "RpcError", err.message
        else:
            op.error_code, op.error_name, op.error_message = "CHN-ERROR", err.__class__.__name__, str(err)

    def _finished(self, op: Operation) -> None:
        self.board.finished(OperationPublic.model_validate(op, from_attributes=True))


def _jsonable(value: object) -> object:
    """A decoded revert argument as JSON, one representation per Solidity type whatever its value:
    integers as decimal strings (a uint256 does not fit JSON's safe integer range, and a client must not
    see a number for a small balance and a string for a large one), bytes as ``0x`` hex, addresses and
    strings as they are, booleans as booleans."""
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
