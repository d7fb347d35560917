"""Dispute benchmarks: gas of a dispute's life on anvil, against anchoring the same documents and states in the
``EvidenceRegistry`` one transaction each, measured in the same run on the same chain.

A dispute's life here is what the demo runs: the bank opens it on a claimed case (two evidence roots, one
collateral asset), a mediator claims it, records a 12-instalment restructuring agreement, a court confirms it,
anyone finalises it after the appeal window, and the instalments are paid and withdrawn. The baseline records
the same facts the cheapest way a chain can: one ``EvidenceRegistry.anchor`` per step (the opening, the
mediator's acceptance, the agreement, the confirmation) of a digest of that step's document or state — which
proves a document existed but enforces none of the rules (who may act, in which order, the schedule, the
appeal window, the money). Reported per step and for the lifecycle (open → claim → agreement → confirmation),
baseline / ours (below 1: ours costs more per step; the difference is the rules and the escrow).

    python -m bench.disputes_bench
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from web3 import Web3

from bench._common import Row, median, print_header, print_table, private_anvil
from bench._gateway_common import Network, account, build_network
from chain.client import Receipt
from chain.contracts.case_delegation import CaseBatchTree, CaseTerms, derive_case_id
from chain.contracts.consortium import Role
from chain.contracts.dispute_desk import Agreement, Instalment, Ruling

MODULE = "bench.disputes_bench"
DAY = 86_400
MONTH = 30 * DAY
INSTALMENTS = 12
CLAIM = 1_200_000


def _gas(receipt: Receipt) -> int:
    assert receipt.status == 1, receipt
    return int(receipt.gas_used)


def _governed_system_contract(net: Network, address: str) -> None:
    r, c = net.recourse, net.client
    pid = r.consortium.propose_system_contract(c.sender(account("governor-1")), address, enabled=True)
    r.consortium.approve(c.sender(account("governor-2")), pid)
    r.consortium.execute(c.sender(account("governor-3")), pid)


def _claimed_case(net: Network) -> bytes:
    """One case of a fresh batch, claimed by the collector; returns its id."""
    r, c = net.recourse, net.client
    now = c.block_timestamp()
    bank = account("bank").address
    terms = [
        CaseTerms(
            case_id=derive_case_id(bank, f"bench-dispute-{i}", os.urandom(32)),
            debtor_commitment=os.urandom(32),
            principal=5_000_000,
            overdue_amount=CLAIM + 300_000,
            overdue_days=180,
            region=310115,
            fee_bps=1500,
            deadline=now + 45 * DAY,
        )
        for i in range(2)
    ]
    tree = CaseBatchTree(terms)
    banker = c.sender(account("bank"))
    r.token.approve(banker, r.cases.address, 1_000_000)
    receipt = banker.transact(r.cases.publish_batch_request(tree.root, len(terms), now + 60 * DAY, 1_000_000))
    batch_id = r.cases.published_batch_id(receipt)
    r.cases.claim(c.sender(account("collector")), batch_id, terms[0], tree.proof(0))
    return bytes(terms[0].case_id)


def _digest(text: str) -> bytes:
    return bytes(Web3.keccak(text=text))


def gas_rows(net: Network) -> list[Row]:
    """Gas of each dispute step, and of one ``anchor`` per step of the same facts, same chain, same run."""
    r, c = net.recourse, net.client
    d, ev = r.disputes, r.evidence
    bank, mediator = c.sender(account("bank")), c.sender(account("mediator"))
    court, payer = c.sender(account("court")), c.sender(account("collector"))
    case_id = _claimed_case(net)
    roots = [_digest(f"bench dispute document {i} {os.urandom(8).hex()}") for i in range(2)]
    for root in roots:
        ev.anchor(bank, root, 1)

    open_rc = bank.transact(d.open_request(case_id, CLAIM, roots, [_digest("asset:BENCH-DISPUTE-FLAT")]))
    dispute_id = int(d.first(d.events(open_rc), "DisputeOpened").args["disputeId"])
    claim_gas = _gas(mediator.transact(d.claim_request(dispute_id)))
    now = c.block_timestamp()
    per = CLAIM * 9 // 10 // INSTALMENTS
    schedule = tuple(Instalment(per, now + (i + 1) * MONTH) for i in range(INSTALMENTS))
    agreement = Agreement(
        _digest("terms"), _digest("commitment"), _digest("plan"), CLAIM - per * INSTALMENTS, 15 * DAY, schedule
    )
    agree_gas = _gas(mediator.transact(d.record_agreement_request(dispute_id, agreement)))
    rule_gas = _gas(court.transact(d.rule_request(dispute_id, Ruling.CONFIRMED, _digest("confirmation ruling"))))
    c.rpc.call("evm_mine", [d.dispute(dispute_id).appeal_deadline + 1])
    final_gas = _gas(payer.transact(d.finalize_request(dispute_id)))
    r.token.approve(payer, d.address, per * INSTALMENTS)
    pays = [_gas(payer.transact(d.pay_request(dispute_id, per))) for _ in range(INSTALMENTS)]
    withdraw_gas = _gas(bank.transact(d.withdraw_request()))
    assert d.dispute(dispute_id).paid == per * INSTALMENTS

    anchors = [
        _gas(bank.transact(ev.anchor_request(_digest(f"bench state {step} {os.urandom(8).hex()}"), 1)))
        for step in ("opened", "mediator accepted", "agreement", "confirmation")
    ]
    ours_steps = [_gas(open_rc), claim_gas, agree_gas, rule_gas]
    base, ours = sum(anchors), sum(ours_steps)
    anchor = median(anchors)
    return [
        Row(
            "gas: open (2 evidence roots, 1 collateral)",
            f"{anchors[0]:,}",
            f"{ours_steps[0]:,}",
            anchors[0] / ours_steps[0],
            "checks the case's bank on CaseDelegation and each root's anchor",
        ),
        Row("gas: mediator claims", f"{anchors[1]:,}", f"{claim_gas:,}", anchors[1] / claim_gas, "role check"),
        Row(
            f"gas: agreement ({INSTALMENTS} instalments)",
            f"{anchors[2]:,}",
            f"{agree_gas:,}",
            anchors[2] / agree_gas,
            "stores the schedule (two instalments per slot)",
        ),
        Row("gas: court confirms", f"{anchors[3]:,}", f"{rule_gas:,}", anchors[3] / rule_gas, "opens the window"),
        Row(
            "gas: lifecycle open → claim → agreement → confirmation",
            f"{base:,}",
            f"{ours:,}",
            base / ours,
            "baseline: 4 anchors, one per step",
        ),
        Row("gas: finalize after the appeal window", f"{anchor:,.0f}", f"{final_gas:,}", anchor / final_gas, ""),
        Row(
            "gas: pay an instalment (after approve)",
            f"{anchor:,.0f}",
            f"{median(pays):,.0f}",
            anchor / median(pays),
            f"median of {INSTALMENTS}; the last one also marks the agreement honoured",
        ),
        Row("gas: payee withdraws", f"{anchor:,.0f}", f"{withdraw_gas:,}", anchor / withdraw_gas, "pull payment"),
    ]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.parse_args()
    print_header("Disputes: gas per step against one EvidenceRegistry anchor per step", MODULE)
    with private_anvil() as node, tempfile.TemporaryDirectory(prefix="recourse-disputes-") as tmp:
        net = build_network(
            node,
            Path(tmp),
            [
                ("bank", (Role.BANK, Role.SETTLEMENT_BANK)),
                ("collector", (Role.COLLECTOR,)),
                ("mediator", (Role.MEDIATOR,)),
                ("court", (Role.COURT,)),
            ],
            {"bank": 10**12, "collector": 10**10},
        )
        for address in (net.recourse.cases.address, net.recourse.disputes.address):
            _governed_system_contract(net, address)
        rows = gas_rows(net)
        net.client.close()
    print_table(rows, baseline_label="anchors", ours_label="DisputeDesk", ratio_label="ratio")


if __name__ == "__main__":
    main()
