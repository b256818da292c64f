"""Gateways with edge settings of their own, on the test's store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx2

from resolvers.app import create_app
from resolvers.settings import Settings
from store.db import Store

CLEAR = {"mongodb_uri": None, "api_key_cache_seconds": 0, "mask_errors": True}


@asynccontextmanager
async def gateway(store: Store, **overrides: Any) -> AsyncIterator[httpx2.AsyncClient]:
    app = create_app(Settings(**{**CLEAR, **overrides}), store)
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://test") as client:
        yield client


Gateway = Callable[..., Any]
