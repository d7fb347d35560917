from chain.contracts.consortium import Role
from tests.conftest import account


def test_fixture_deploys_consortium_with_three_governors(recourse):
    assert recourse.consortium.threshold() == 2
    assert len(recourse.consortium.governors()) == 3
    assert not recourse.consortium.has_active_role(account("bank").address, Role.BANK)
