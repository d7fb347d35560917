"""``recourse audit …``: the auditor's tools. ``recourse audit replay`` rebuilds every Recourse contract's state from
its events alone (a JSON-RPC URL and the deployments file are all it needs), checks the stream is whole, compares
the result with the contracts' own views at the target block and, with ``--gateway``, with a gateway's index,
and lists every privileged action.

It writes ``report.json``, ``report.html`` and the rebuilt state as tables (CSV, or Parquet with ``--parquet``)
into ``--out`` (``./audit-<block>`` by default) and prints a summary. Exit codes: 0 when nothing differs and the
stream is intact, 1 when something differs (or the chain is not the deployment the file describes), 2 for bad
input (an unreachable node, a missing or invalid deployments file, a target block beyond the head): one line on
stderr, never a traceback.

Read-only: no key is loaded and nothing is signed. Start-up stays light: the chain client is imported by the
command, not for ``--help``.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from typer._click.core import Context  # typer vendors click; its usage errors are click's
from typer._click.exceptions import UsageError
from typer.core import TyperGroup

if TYPE_CHECKING:
    from chain.replay.model import ReplayReport

__all__ = ["EXIT_BAD_INPUT", "EXIT_DIFFERS", "EXIT_OK", "app", "write_outputs"]

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_DIFFERS, EXIT_BAD_INPUT = 0, 1, 2

console = Console(highlight=False, width=160)
err_console = Console(stderr=True, highlight=False, width=200)


def bad_input(message: str) -> NoReturn:
    """One line on stderr and exit code 2: the replay could not start (its input is wrong or unreachable)."""
    err_console.print(f"error: {message}", markup=False, soft_wrap=True)
    raise typer.Exit(EXIT_BAD_INPUT)


class _OneLineUsage(TyperGroup):
    """Usage errors (a missing option, a value that is not a number) as one line and exit code 2."""

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            message = " ".join(exc.format_message().split()).rstrip(".")
            bad_input(f"{message} (see `recourse audit replay --help`)")


app = typer.Typer(
    cls=_OneLineUsage,
    help="Audit: replay every event, rebuild every contract's state and prove it matches the chain.",
    no_args_is_help=True,
)


def write_outputs(report: ReplayReport, states: dict[str, Any], out: Path, *, parquet: bool) -> list[Path]:
    """``report.json``, ``report.html`` and the tables (``out/tables/<table>.csv`` or ``.parquet``) in ``out``;
    returns the paths written."""
    from chain.replay import render

    out.mkdir(parents=True, exist_ok=True)
    json_path, html_path = out / "report.json", out / "report.html"
    render.write_json(report, json_path)
    render.write_html(report, html_path)
    tables = out / "tables"
    return [json_path, html_path, *render.export_tables(states, tables, "parquet" if parquet else "csv")]


def _summary(report: ReplayReport, written: list[Path], out: Path) -> None:
    status = "[green]OK[/green]" if report.ok else "[red]DIFFERS[/red]"
    console.print(
        f"{status} chain {report.chain_id} blocks {report.from_block}..{report.to_block} "
        f"({report.to_block_hash[:18]}…): {report.events:,} events, {len(report.contracts)} contracts, "
        f"{len(report.privileged):,} privileged actions, {report.seconds:.1f} s"
    )
    by_contract = Counter(d.contract for d in report.differences)
    console.print(f"differences: {len(report.differences)}", end="")
    console.print(
        "" if not by_contract else " (" + ", ".join(f"{c} {n}" for c, n in sorted(by_contract.items())) + ")",
        markup=False,
    )
    console.print(f"integrity failures: {len(report.integrity)}", markup=False)
    for f in report.integrity[:10]:
        console.print(f"  {f.kind} block {f.block} {f.key}: {f.note}", markup=False, soft_wrap=True)
    if len(report.integrity) > 10:
        console.print(f"  … and {len(report.integrity) - 10} more (report.json)", markup=False)
    console.print(f"anomalies: {len(report.anomalies)}", markup=False)
    for a in report.anomalies[:5]:
        console.print(f"  {a}", markup=False, soft_wrap=True)
    for d in report.differences[:10]:
        console.print(
            f"  {d.contract} {d.entity} {d.key} {d.field}: events={d.events!r} chain={d.chain!r} index={d.index!r}",
            markup=False,
            soft_wrap=True,
        )
    tables = [p for p in written if p.parent.name == "tables"]
    files = [p.name for p in written if p not in tables]
    if tables:
        files.append(f"tables/ ({len(tables)} {tables[0].suffix.lstrip('.').upper()} tables)")
    console.print(f"written to {out}: " + ", ".join(files), markup=False)


@app.command("replay")
def replay(
    rpc: Annotated[str, typer.Option("--rpc", help="The chain node's JSON-RPC URL (read only).")],
    deployments: Annotated[Path, typer.Option("--deployments", help="The deployments file (`recourse deploy`).")],
    gateway: Annotated[str | None, typer.Option("--gateway", help="Also compare with this gateway's index.")] = None,
    api_key: Annotated[
        str | None, typer.Option("--api-key", envvar="RECOURSE_API_KEY", help="The gateway's API key rk_…")
    ] = None,
    to_block: Annotated[int | None, typer.Option("--to-block", help="Replay up to this block (the head).")] = None,
    checkpoint: Annotated[
        Path | None, typer.Option("--checkpoint", help="Resume from and save progress to this file.")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Output directory (./audit-<block>).")] = None,
    parquet: Annotated[bool, typer.Option("--parquet", help="Tables as Parquet instead of CSV.")] = False,
    page_blocks: Annotated[int, typer.Option("--page-blocks", help="At most this many blocks per page.")] = 5_000,
    checkpoint_seconds: Annotated[
        float, typer.Option("--checkpoint-seconds", help="Write the checkpoint at most this often (0: every page).")
    ] = 10.0,
) -> None:
    """Replay every event since the deployment and check it against the chain (and a gateway's index)."""
    from chain import ChainError
    from chain.replay.run import run_replay

    if gateway is not None and not api_key:
        bad_input("--gateway needs an API key: pass --api-key or set RECOURSE_API_KEY")
    notes: list[str] = []
    try:
        report, states = _run(
            run_replay,
            rpc_url=rpc,
            deployments=deployments,
            to_block=to_block,
            gateway=gateway,
            api_key=api_key,
            checkpoint=checkpoint,
            page_blocks=page_blocks,
            notes=notes,
            checkpoint_seconds=checkpoint_seconds,
        )
    except KeyboardInterrupt:
        again = f" (run it again with --checkpoint {checkpoint} to resume)" if checkpoint else ""
        err_console.print(f"error: interrupted{again}", markup=False, soft_wrap=True)
        raise typer.Exit(EXIT_DIFFERS) from None
    except (ChainError, OSError, ValueError) as exc:
        bad_input(" ".join(str(exc).split()) or exc.__class__.__name__)
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback
        err_console.print(f"error: the replay could not finish: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(EXIT_DIFFERS) from None
    for note in notes:
        console.print(note, markup=False)
    directory = out or Path(f"audit-{report.to_block}")
    try:
        written = write_outputs(report, states, directory, parquet=parquet)
    except (OSError, ChainError) as exc:
        bad_input(f"cannot write the report into {directory}: {exc}")
    _summary(report, written, directory)
    raise typer.Exit(EXIT_OK if report.ok else EXIT_DIFFERS)


def _run(run_replay: Any, **kwargs: Any) -> tuple[ReplayReport, dict[str, Any]]:
    """``run_replay(**kwargs)`` with a progress bar on a terminal."""
    if not err_console.is_terminal:
        result: tuple[ReplayReport, dict[str, Any]] = run_replay(**kwargs)
        return result
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("replay"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} blocks"),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("replay", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = run_replay(**kwargs, progress=progress)
        return result
