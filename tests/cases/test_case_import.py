"""Case files: CSV and JSON parsing, strict validation by line and field, all or nothing."""

from __future__ import annotations

import json

import pytest

from node_api.services.case_import import (
    CaseFileTooLargeError,
    CaseImportError,
    DebtorRecord,
    debtor_commitment,
    new_salt,
    normalise_id_number,
    parse_cases,
)
from tests.cases.factory import HEADER, csv_bytes, csv_chunks, json_bytes, resident_id, row_dict


def errors_of(exc: pytest.ExceptionInfo[CaseImportError]) -> set[tuple[int, str]]:
    return {(e.line, e.field) for e in exc.value.errors}


def test_csv_parses_every_field_with_chinese_text():
    rows = parse_cases(csv_bytes([row_dict(1), row_dict(2, timezone="", phone="+86 138-0013-0002")]), "csv")
    assert [r.line for r in rows] == [2, 3]
    first = rows[0]
    assert first.case_ref == "BANK-2026-000001"
    assert first.debtor == DebtorRecord(
        name="张三1",
        id_number=resident_id(1),
        phone="+8613800130001",
        address="上海市黄浦区南京东路1号",
        timezone="Asia/Shanghai",
    )
    assert (first.principal_fen, first.overdue_fen, first.overdue_days) == (100_001, 5_001, 31)
    assert (first.region, first.fee_bps, first.deadline) == (310000, 1500, 1_900_000_000)
    assert rows[1].debtor.timezone == "Asia/Shanghai"  # empty -> default
    assert rows[1].debtor.phone == "+8613800130002"


def test_csv_with_bom_and_crlf_and_free_column_order():
    cols = HEADER.split(",")[::-1]
    d = row_dict(7, address='上海市"浦东", 世纪大道 100 号')
    line = ",".join('"' + str(d[c]).replace('"', '""') + '"' for c in cols)
    data = b"\xef\xbb\xbf" + (",".join(cols) + "\r\n" + line + "\r\n").encode()
    (row,) = parse_cases(data, "csv")
    assert row.debtor.address == '上海市"浦东", 世纪大道 100 号'
    assert row.case_ref == "BANK-2026-000007"


def test_csv_chunks_stream_gives_the_same_rows_as_bytes():
    data = b"".join(csv_chunks(250, chunk_rows=7))
    assert parse_cases(csv_chunks(250, chunk_rows=7), "csv") == parse_cases(data, "csv")
    # chunks split in the middle of a multi-byte character still decode
    tiny = [data[i : i + 5] for i in range(0, len(data), 5)]
    assert len(parse_cases(tiny, "csv")) == 250


def test_every_malformed_row_is_reported_by_line_and_field_and_nothing_is_returned():
    rows = [
        row_dict(1),
        row_dict(2, id_number="310101198503120001"),  # bad check character
        row_dict(3, phone="12345", timezone="Mars/Olympus"),
        row_dict(4, principal_fen="0", overdue_days="-1", fee_bps="10001"),
        row_dict(5, name="", region="abc", deadline="2027-01-01T00:00:00"),
        row_dict(6, case_ref="BANK-2026-000001"),  # duplicate
        row_dict(7, overdue_fen="1.5"),
    ]
    with pytest.raises(CaseImportError) as exc:
        parse_cases(csv_bytes(rows), "csv")
    assert errors_of(exc) == {
        (3, "id_number"),
        (4, "phone"),
        (4, "timezone"),
        (5, "principal_fen"),
        (5, "overdue_days"),
        (5, "fee_bps"),
        (6, "name"),
        (6, "region"),
        (6, "deadline"),
        (7, "case_ref"),
        (8, "overdue_fen"),
    }
    assert exc.value.http_status == 422
    assert exc.value.code == "CIM-422"
    assert exc.value.extra["error_count"] == 11
    assert {"line": 4, "field": "timezone", "message": "unknown IANA time zone 'Mars/Olympus'"} in exc.value.extra[
        "errors"
    ]


def test_bad_timezone_is_refused():
    with pytest.raises(CaseImportError) as exc:
        parse_cases(csv_bytes([row_dict(1, timezone="Asia/Shangai")]), "csv")
    assert errors_of(exc) == {(2, "timezone")}


def test_header_problems_are_reported_on_line_1():
    data = b"case_ref,name,colour\nX,Y,Z\n"
    with pytest.raises(CaseImportError) as exc:
        parse_cases(data, "csv")
    fields = {e.field for e in exc.value.errors if e.line == 1}
    assert "colour" in fields
    assert {"id_number", "phone", "deadline"} <= fields


def test_short_row_empty_file_and_not_utf8():
    data = csv_bytes([row_dict(1)]) + b"A,B\n"
    with pytest.raises(CaseImportError) as exc:
        parse_cases(data, "csv")
    assert errors_of(exc) == {(3, "row")}
    with pytest.raises(CaseImportError):
        parse_cases(b"", "csv")
    with pytest.raises(CaseImportError):
        parse_cases((HEADER + "\n").encode(), "csv")  # header only: no cases
    gbk = csv_bytes([row_dict(1)]).decode().encode("gb18030")
    with pytest.raises(CaseImportError) as exc:
        parse_cases(gbk, "csv")
    assert exc.value.errors[0].field == "file"


def test_deadline_iso_and_now():
    (row,) = parse_cases(csv_bytes([row_dict(1, deadline="2030-03-17T00:00:00+08:00")]), "csv")
    assert row.deadline == 1_899_907_200
    with pytest.raises(CaseImportError) as exc:
        parse_cases(csv_bytes([row_dict(1)]), "csv", now=1_900_000_000)
    assert errors_of(exc) == {(2, "deadline")}
    assert len(parse_cases(csv_bytes([row_dict(1)]), "csv", now=1_899_999_999)) == 1


def test_business_credit_code_lower_x_and_full_width_id_are_accepted():
    with_x = next(resident_id(n) for n in range(1000) if resident_id(n).endswith("X"))
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in resident_id(5))  # ０-９ typed in a Chinese IME
    rows = parse_cases(
        csv_bytes(
            [
                row_dict(1, id_number="91350100M000100Y43"),
                row_dict(2, id_number=with_x[:-1] + "x"),
                row_dict(3, id_number=full_width),
            ]
        ),
        "csv",
    )
    assert [r.debtor.id_number for r in rows] == ["91350100M000100Y43", with_x, resident_id(5)]
    with pytest.raises(CaseImportError):
        parse_cases(csv_bytes([row_dict(1, id_number="91350100M000100Y44")]), "csv")


def test_json_array_and_json_lines():
    rows = [row_dict(1), row_dict(2, principal_fen="200000")]
    parsed = parse_cases(json_bytes(rows), "json")
    assert [r.case_ref for r in parsed] == ["BANK-2026-000001", "BANK-2026-000002"]
    assert parsed[1].principal_fen == 200_000
    assert parsed[0].line == 2  # the object starts on line 2 of the indented array
    lines = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()
    assert [r.line for r in parse_cases(lines, "json")] == [1, 2]
    assert parse_cases(iter([lines[:50], lines[50:]]), "json") == parse_cases(lines, "json")


def test_json_errors_name_the_line_of_the_object():
    rows = [row_dict(1), row_dict(2, fee_bps=True, colour="red"), "not an object"]
    text = "[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n]"
    with pytest.raises(CaseImportError) as exc:
        parse_cases(text.encode(), "json")
    assert errors_of(exc) == {(3, "fee_bps"), (3, "colour"), (4, "row")}
    with pytest.raises(CaseImportError) as exc:
        parse_cases(b'[{"case_ref": "A",\n "name": }]', "json")
    assert errors_of(exc) == {(2, "file")}
    with pytest.raises(CaseImportError):
        parse_cases(b"[" + json.dumps(row_dict(1)).encode(), "json")  # never closed


def test_commitment_is_salted_keccak_of_normalised_id():
    d1 = DebtorRecord(name="李四", id_number=resident_id(3).lower(), phone="+8613800000000", address="北京")
    d2 = DebtorRecord(name="other", id_number=" " + resident_id(3), phone="+1", address="x")
    salt = new_salt()
    assert len(salt) == 32
    assert salt != new_salt()
    c = debtor_commitment(d1, salt)
    assert len(c) == 32
    assert c == debtor_commitment(d2, salt)  # only the normalised ID number counts
    assert c != debtor_commitment(d1, new_salt())
    from eth_utils.crypto import keccak

    assert c == keccak(salt + normalise_id_number(resident_id(3)).encode())
    with pytest.raises(ValueError, match="32 bytes"):
        debtor_commitment(d1, b"short")


def test_hundred_thousand_rows_parse_from_chunks():
    rows = parse_cases(csv_chunks(100_000), "csv")
    assert len(rows) == 100_000
    assert rows[-1].line == 100_001


def test_json_zero_values_are_values_and_missing_fields_are_required():
    (row,) = parse_cases(json_bytes([row_dict(1, overdue_fen=0, overdue_days=0)]), "json")
    assert (row.overdue_fen, row.overdue_days) == (0, 0)
    incomplete = row_dict(2)
    del incomplete["phone"]
    incomplete["name"] = "   "
    with pytest.raises(CaseImportError) as exc:
        parse_cases(json_bytes([incomplete]), "json")
    assert {(e.field, e.message) for e in exc.value.errors} == {("phone", "is required"), ("name", "is required")}


def test_max_rows_accepts_the_limit_and_stops_reading_after_it():
    assert len(parse_cases(csv_chunks(5, chunk_rows=2), "csv", max_rows=5)) == 5
    read: list[int] = []

    def chunks():
        for i, chunk in enumerate(csv_chunks(50, chunk_rows=2)):
            read.append(i)
            yield chunk

    with pytest.raises(CaseFileTooLargeError) as exc:
        parse_cases(chunks(), "csv", max_rows=5)
    assert exc.value.code == "CIM-413"
    assert exc.value.http_status == 413
    assert "more than 5 cases (line 7)" in exc.value.detail
    assert len(read) < 10  # stopped at the sixth row, not at the end of the file
    with pytest.raises(CaseFileTooLargeError):
        parse_cases(json_bytes([row_dict(i) for i in range(1, 7)]), "json", max_rows=5)
