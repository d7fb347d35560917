"""Case work off chain: parsing a 100,000-row case file, and sealing debtors into the PII vault.

1. **Parse**: ``parse_cases`` (streamed from 64 KiB chunks, every field validated: ID check character,
   phone, IANA zone, ranges, duplicates) vs ``pandas.read_csv`` of the same bytes (type inference
   only, no validation): what strict validation costs, in time and in peak memory (tracemalloc).
2. **Vault**: ``PiiVault.put_many`` + commit (AES-256-GCM per record, keyed pseudonym) vs inserting
   the same rows unencrypted into an identical SQLite table: the cost of encryption at rest.

Rounds are interleaved; medians reported. Ratios are ``baseline / ours`` (above 1.0: ours faster).
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
from sqlalchemy import Column, Engine, LargeBinary, MetaData, String, Table, insert
from sqlmodel import Session

from bench._common import Row, median, print_header, print_table
from node_api.db.engine import make_engine, migrate
from node_api.services.case_import import CaseRow, parse_cases
from node_api.services.casework.vault import PiiVault

HEADER = "case_ref,name,id_number,phone,address,timezone,principal_fen,overdue_fen,overdue_days,region,fee_bps,deadline"
_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _resident_id(n: int) -> str:
    body = f"31010119850312{n % 1000:03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, _W, strict=True)) % 11]


def case_file(rows: int) -> bytes:
    lines = [HEADER]
    for i in range(rows):
        lines.append(
            f"BANK-{i:07d},张三{i},{_resident_id(i)},1380013{i % 10000:04d},上海市黄浦区南京东路{i}号,"
            f"Asia/Shanghai,{100_000 + i},{5_000 + i},{30 + i % 300},310101,1500,1900000000"
        )
    return ("\n".join(lines) + "\n").encode()


def chunks(data: bytes, size: int = 1 << 16) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


def timed(fn: Callable[[], object]) -> float:
    gc.collect()
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def peak(fn: Callable[[], object]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def bench_parse(rows: int, rounds: int) -> list[Row]:
    data = case_file(rows)
    ours_t, base_t = [], []
    for _ in range(rounds):
        ours_t.append(timed(lambda: parse_cases(chunks(data), "csv")))
        base_t.append(timed(lambda: pd.read_csv(io.BytesIO(data))))
    ours_m = peak(lambda: parse_cases(chunks(data), "csv"))
    base_m = peak(lambda: pd.read_csv(io.BytesIO(data)))
    o, b = median(ours_t), median(base_t)
    return [
        Row(f"parse {rows:,} rows, median (n={rounds})", f"{b:.2f} s", f"{o:.2f} s", b / o, "validation cost"),
        Row("  rows per second", f"{rows / b:,.0f}", f"{rows / o:,.0f}", b / o),
        Row(
            "  peak traced memory",
            f"{base_m / 2**20:.0f} MiB",
            f"{ours_m / 2**20:.0f} MiB",
            base_m / ours_m,
            f"file {len(data) / 2**20:.1f} MiB",
        ),
    ]


def bench_vault(rows: int, rounds: int) -> list[Row]:
    parsed: list[CaseRow] = parse_cases(case_file(rows), "csv")
    records = [(i.to_bytes(32, "big"), os.urandom(32), r.debtor) for i, r in enumerate(parsed)]
    vault = PiiVault(os.urandom(32))
    ours_t, base_t = [], []
    with tempfile.TemporaryDirectory(prefix="recourse-bench-") as tmp:
        for n in range(rounds):
            engine = make_engine(f"sqlite:///{Path(tmp) / f'v{n}.sqlite'}")
            migrate(engine)
            plain = Table(
                "plain_debtors",
                MetaData(),
                Column("case_id", String(66), primary_key=True),
                Column("payload", LargeBinary, nullable=False),
                Column("timezone", String(64), nullable=False),
                Column("debtor_key", String(64), nullable=False),
            )
            plain.metadata.create_all(engine)

            def ours(engine: Engine = engine) -> None:
                with Session(engine) as s:
                    vault.put_many(s, records)
                    s.commit()

            def base(engine: Engine = engine, plain: Table = plain) -> None:
                with engine.begin() as conn:
                    conn.execute(
                        insert(plain),
                        [
                            {
                                "case_id": "0x" + c.hex(),
                                "payload": f"{d.name}|{d.id_number}|{d.phone}|{d.address}|{salt.hex()}".encode(),
                                "timezone": d.timezone,
                                "debtor_key": d.id_number,
                            }
                            for c, salt, d in records
                        ],
                    )

            ours_t.append(timed(ours))
            base_t.append(timed(base))
            engine.dispose()
    o, b = median(ours_t), median(base_t)
    return [
        Row(f"store {rows:,} debtors + commit, median (n={rounds})", f"{b:.2f} s", f"{o:.2f} s", b / o, "SQLite"),
        Row("  records per second", f"{rows / b:,.0f}", f"{rows / o:,.0f}", b / o, "AES-256-GCM + HMAC"),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--vault-rows", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    print_header("Case work: case-file parsing and the PII vault", "bench.casework_bench")
    print()
    print_table(
        bench_parse(args.rows, args.rounds),
        baseline_label="pandas.read_csv (no validation)",
        ours_label="parse_cases (validated, streamed)",
        ratio_label="baseline/ours",
    )
    print()
    print_table(
        bench_vault(args.vault_rows, args.rounds),
        baseline_label="plain insert (unencrypted)",
        ours_label="PiiVault.put_many",
        ratio_label="baseline/ours",
    )


if __name__ == "__main__":
    main()
