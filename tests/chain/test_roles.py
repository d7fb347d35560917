"""Role bits in chain/contracts/consortium.py match Consortium.roleBit on chain."""

from __future__ import annotations

import pytest
from eth_utils.crypto import keccak

from chain import ContractReverted
from chain.contracts.consortium import Role
from chain.network import Recourse

pytestmark = pytest.mark.chain


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_role_bit_matches_contract(recourse: Recourse, role: Role) -> None:
    assert role.id == keccak(text=f"{role.value}_ROLE")
    assert recourse.consortium.call("roleBit", role.id) == role.bit


def test_unknown_role_reverts_with_its_id(recourse: Recourse) -> None:
    bogus = keccak(text="JANITOR_ROLE")

    with pytest.raises(ContractReverted) as excinfo:
        recourse.consortium.call("roleBit", bogus)

    assert excinfo.value.name == "ConsortiumUnknownRole"
    assert excinfo.value.arguments == {"role": bogus}
