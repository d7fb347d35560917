"""chain.contracts.consortium.Role: one bit per role, masks and parsing (the on-chain check is in tests/chain)."""

from __future__ import annotations

import pytest

from chain.contracts.consortium import Role, name_digest


def test_all_nine_roles_have_distinct_single_bits() -> None:
    bits = [r.bit for r in Role]

    assert len(bits) == 9
    assert sorted(bits) == [1 << i for i in range(9)]
    assert Role.from_mask(sum(bits)) == frozenset(Role)
    assert Role.from_mask(Role.BANK.bit | Role.SETTLEMENT_BANK.bit) == {Role.BANK, Role.SETTLEMENT_BANK}


@pytest.mark.parametrize(
    ("text", "role"),
    [("bank", Role.BANK), ("SETTLEMENT_BANK_ROLE", Role.SETTLEMENT_BANK), (" settlement-bank ", Role.SETTLEMENT_BANK)],
)
def test_role_parse(text: str, role: Role) -> None:
    assert Role.parse(text) is role


def test_role_parse_rejects_unknown() -> None:
    with pytest.raises(ValueError, match="unknown role 'janitor'"):
        Role.parse("janitor")


def test_name_digest_normalises_whitespace() -> None:
    assert name_digest("  Huaxia   Commercial\tBank ") == name_digest("Huaxia Commercial Bank")
    assert name_digest("Huaxia Commercial Bank") != name_digest("Huaxia Commercial Bank Ltd")
    assert len(name_digest("x")) == 32
