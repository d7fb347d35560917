"""The CLI end-to-end tests against a gateway (``test_auctions_cli``, ``test_fractions_cli``): each module
builds its own ``world`` (a private chain, module-scoped); these fixtures serve it by a real gateway hosting
:data:`HOSTED` and give each hosted institution an API key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.live_gateway import Gateway, World, confirming_settings, serve

#: the institutions the gateway hosts (the CLI signs for them through it)
HOSTED = ["bank", "court", "investor", "investor-2", "investor-4"]


@pytest.fixture(scope="module")
def gw(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with serve(confirming_settings(world, tmp_path_factory.mktemp("cli-gw"), HOSTED)) as g:
        yield g


@pytest.fixture(scope="module")
def keys(gw: Gateway) -> dict[str, str]:
    """A bare API key (``--api-key``) of each hosted institution."""
    return gw.tokens(HOSTED)
