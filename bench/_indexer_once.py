"""One timed ``Indexer.sync()`` into a fresh SQLite database, run as a script by ``bench.indexer_bench
--against``: the packages come from ``PYTHONPATH`` (a source tree), so the same harness times the
indexer of this tree and of another one (e.g. the previous commit) against the same chain.

Usage: ``python bench/_indexer_once.py URL PORT TARGET_JSON DB_FILE WORK_DIR``, where TARGET_JSON is
``{"start_block": n, "contracts": {name: {"address": a, "abi": [...]}}}`` (written by the benchmark, so
that trees with different deployments-file formats read the same input); prints one JSON line
``{"wall": s, "cpu": s, "block": n, "stored": n}``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from sqlalchemy import func, select, text

from chain.client import ChainClient
from chain.config import DEV_CHAIN_ID, ChainSettings
from chain.events import EventDecoder
from node_api.db.engine import make_engine, migrate
from node_api.indexer import Indexer


def main(argv: list[str]) -> int:
    url, port, target, db, work = argv[0], int(argv[1]), json.loads(Path(argv[2]).read_text()), argv[3], Path(argv[4])
    client = ChainClient(ChainSettings(rpc_url=url, port=port, chain_id=DEV_CHAIN_ID), data_dir=work)
    contracts = target["contracts"]
    engine = make_engine(f"sqlite:///{db}")
    migrate(engine)
    indexer = Indexer(
        engine=engine,
        client=client,
        decoder=EventDecoder(
            {n: c["abi"] for n, c in contracts.items()}, {c["address"]: n for n, c in contracts.items()}
        ),
        start_block=int(target["start_block"]),
    )
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        position = indexer.sync()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        indexer.close()
    with engine.connect() as conn:
        stored = int(conn.execute(select(func.count()).select_from(text("chain_events"))).scalar_one())
    engine.dispose()
    client.close()
    print(json.dumps({"wall": wall, "cpu": cpu, "block": position.block, "stored": stored}))  # noqa: T201 - the result
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
