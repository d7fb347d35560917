"""Synthetic case files (CSV) for the demo, tests and benchmarks: valid resident ID numbers (ISO 7064
MOD 11-2 check character), mainland mobile numbers, Chinese names and Shanghai addresses. Every debtor is
fictitious; the numbers are generated from a sequence number, never sampled from real data."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["SampleDebtor", "case_csv", "case_rows", "resident_id"]

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = (
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "华",
    "平",
)
_DISTRICTS = (("浦东新区", 310115), ("徐汇区", 310104), ("静安区", 310106), ("黄浦区", 310101), ("闵行区", 310112))
HEADER = (
    "case_ref",
    "name",
    "id_number",
    "phone",
    "address",
    "timezone",
    "principal_fen",
    "overdue_fen",
    "overdue_days",
    "region",
    "fee_bps",
    "deadline",
)


def resident_id(seq: int) -> str:
    """A syntactically valid 18-character resident ID number (Shanghai Pudong, born 1980–1999)."""
    year = 1980 + seq % 20
    month = 1 + seq % 12
    day = 1 + seq % 28
    body = f"310115{year:04d}{month:02d}{day:02d}{seq % 1000:03d}"
    total = sum(int(c) * w for c, w in zip(body, _WEIGHTS, strict=True))
    return body + _CHECK[total % 11]


@dataclass(frozen=True)
class SampleDebtor:
    case_ref: str
    name: str
    id_number: str
    phone: str
    address: str
    region: int


def case_rows(
    n: int, *, deadline: int, start: int = 0, fee_bps: int = 1500, timezone: str = "Asia/Shanghai", prefix: str = "LN"
) -> Iterator[tuple[SampleDebtor, dict[str, str]]]:
    for i in range(start, start + n):
        district, region = _DISTRICTS[i % len(_DISTRICTS)]
        d = SampleDebtor(
            case_ref=f"{prefix}-{i:07d}",
            name=_SURNAMES[i % len(_SURNAMES)] + _GIVEN[(i // len(_SURNAMES)) % len(_GIVEN)] + _GIVEN[i % len(_GIVEN)],
            id_number=resident_id(i),
            phone=f"139{i % 100_000_000:08d}",
            address=f"上海市{district}示例路{1 + i % 999}号{1 + i % 30}01室",
            region=region,
        )
        row = {
            "case_ref": d.case_ref,
            "name": d.name,
            "id_number": d.id_number,
            "phone": d.phone,
            "address": d.address,
            "timezone": timezone,
            "principal_fen": str(1_000_000 + (i * 7919) % 9_000_000),
            "overdue_fen": str(100_000 + (i * 104_729) % 900_000),
            "overdue_days": str(90 + i % 400),
            "region": str(region),
            "fee_bps": str(fee_bps),
            "deadline": str(deadline),
        }
        yield d, row


def case_csv(n: int, *, deadline: int, **kw: object) -> tuple[bytes, list[SampleDebtor]]:
    """A CSV case file of ``n`` cases and its debtors."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=HEADER, lineterminator="\n")
    w.writeheader()
    debtors: list[SampleDebtor] = []
    for d, row in case_rows(n, deadline=deadline, **kw):  # type: ignore[arg-type]
        w.writerow(row)
        debtors.append(d)
    return buf.getvalue().encode("utf-8"), debtors
