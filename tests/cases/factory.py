"""Valid synthetic debtors and case files (no real person's data)."""

from __future__ import annotations

import json
from collections.abc import Iterator

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
HEADER = "case_ref,name,id_number,phone,address,timezone,principal_fen,overdue_fen,overdue_days,region,fee_bps,deadline"
DEADLINE = 1_900_000_000


def resident_id(n: int, *, region: str = "310101", birth: str = "19850312") -> str:
    """A synthetic resident ID number with a correct check character."""
    body = f"{region}{birth}{n % 1000:03d}"
    total = sum(int(c) * w for c, w in zip(body, _WEIGHTS, strict=True))
    return body + _CHECK[total % 11]


def row_dict(i: int, **over: object) -> dict[str, object]:
    d: dict[str, object] = {
        "case_ref": f"BANK-2026-{i:06d}",
        "name": f"张三{i}",
        "id_number": resident_id(i),
        "phone": f"1380013{i % 10000:04d}",
        "address": f"上海市黄浦区南京东路{i}号",
        "timezone": "Asia/Shanghai",
        "principal_fen": 100_000 + i,
        "overdue_fen": 5_000 + i,
        "overdue_days": 30 + i % 300,
        "region": 310000,
        "fee_bps": 1500,
        "deadline": DEADLINE,
    }
    d.update(over)
    return d


def csv_line(d: dict[str, object]) -> str:
    def q(v: object) -> str:
        s = str(v)
        return '"' + s.replace('"', '""') + '"' if any(c in s for c in ',"\n') else s

    return ",".join(q(d[k]) for k in HEADER.split(","))


def csv_bytes(rows: list[dict[str, object]], *, bom: bool = False) -> bytes:
    text = HEADER + "\n" + "".join(csv_line(r) + "\n" for r in rows)
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode()


def csv_chunks(n: int, chunk_rows: int = 1000) -> Iterator[bytes]:
    yield (HEADER + "\n").encode()
    buf: list[str] = []
    for i in range(n):
        buf.append(csv_line(row_dict(i)) + "\n")
        if len(buf) == chunk_rows:
            yield "".join(buf).encode()
            buf = []
    if buf:
        yield "".join(buf).encode()


def json_bytes(rows: list[dict[str, object]]) -> bytes:
    return json.dumps(rows, ensure_ascii=False, indent=1).encode()
