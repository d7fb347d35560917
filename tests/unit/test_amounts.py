"""chain.contracts.settlement_token.parse_amount / format_fen: fen are integers, never floats."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chain.contracts.settlement_token import format_fen, parse_amount

fen = st.integers(min_value=0, max_value=10**30)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.56", 123456),
        ("1234.5", 123450),
        ("0.05", 5),
        ("0.5", 50),
        ("12", 1200),
        ("0", 0),
        ("1,234.56", 123456),
        ("1_000", 100000),
        ("  7.25  ", 725),
        ("123fen", 123),
        (" 42 FEN ", 42),
        ("0fen", 0),
        ("1,000fen", 1000),
    ],
)
def test_parse_amount(text: str, expected: int) -> None:
    value = parse_amount(text)

    assert value == expected
    assert type(value) is int


@pytest.mark.parametrize(
    "text",
    ["", "   ", "abc", "1.234", "-1", "-5fen", "+5", "1e3", ".5", "1.2.3", "fen", "1.5fen", "nan", "inf", "1 000", "¥"],
)
def test_parse_amount_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="invalid amount"):
        parse_amount(text)


def test_parse_amount_is_exact_beyond_float_precision() -> None:
    # 2**53 < this many fen: a float round trip would lose the last digits
    assert parse_amount("123456789012345678901234567.89") == 12345678901234567890123456789
    assert parse_amount("0.29") == 29  # float(0.29) * 100 == 28.999999999999996


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (0, "¥0.00"),
        (5, "¥0.05"),
        (50, "¥0.50"),
        (123456, "¥1,234.56"),
        (100_000_000_00, "¥100,000,000.00"),
        (-150, "-¥1.50"),
    ],
)
def test_format_fen(amount: int, expected: str) -> None:
    assert format_fen(amount) == expected


@given(fen)
def test_fen_suffix_round_trip(amount: int) -> None:
    assert parse_amount(f"{amount}fen") == amount


@given(fen)
def test_plain_yuan_round_trip(amount: int) -> None:
    assert parse_amount(f"{amount // 100}.{amount % 100:02d}") == amount


@given(fen)
def test_format_without_currency_sign_round_trip(amount: int) -> None:
    assert parse_amount(format_fen(amount).removeprefix("¥")) == amount


@given(fen)
def test_format_parse_round_trip(amount: int) -> None:
    assert parse_amount(format_fen(amount)) == amount
