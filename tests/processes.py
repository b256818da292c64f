"""The `gateways` fixture: real gateway processes (bench/gateways.py) on the test's store, killed when the
test ends."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from bench.gateways import WAIT, Gateway

__all__ = ["WAIT", "Gateway", "gateways"]


@pytest.fixture
async def gateways(mongodb_uri: str, store) -> AsyncIterator[Callable[..., Gateway]]:
    """`gateways(**env)` makes a gateway (not started) with extra environment variables."""
    made: list[Gateway] = []

    def make(**env: str) -> Gateway:
        made.append(Gateway(mongodb_uri, store.db.name, env))
        return made[-1]

    try:
        yield make
    finally:
        for g in made:
            await g.kill()
