"""Per-request DataLoaders: each domain declares its own next to its resolvers (`resolvers/<context>/
loaders.py`) with `@loader`; a request builds one only when a field first asks for it.

    @loader
    def customer_by_id(loaders: Loaders) -> DataLoader[str, Customer | None]:
        async def load(ids: list[str]) -> list[Customer | None]: ...
        return DataLoader(load)

    await info.context.loaders.customer_by_id.load("cus_…")

The request's `Loaders` knows no domain by name: it looks the factory up on first use and keeps the
loader for the rest of the request, so nothing is shared between requests or tenants.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from store.db import OrgDb

F = TypeVar("F", bound=Callable[["Loaders"], DataLoader[Any, Any]])

_FACTORIES: dict[str, Callable[[Loaders], DataLoader[Any, Any]]] = {}


def loader(factory: F) -> F:
    """Registers a loader factory under its function name (`<entity>_by_<key>`)."""
    name = factory.__name__
    if _FACTORIES.get(name, factory) is not factory:
        raise RuntimeError(f"two loaders are named {name!r}")
    _FACTORIES[name] = factory
    return factory


class Loaders:
    """The loaders of one request, built lazily by name from the registered factories."""

    def __init__(self, org: OrgDb, now: datetime) -> None:
        self.org = org
        self.now = now  # the request's time (instrument expiry, blocklist validity)

    def __getattr__(self, name: str) -> DataLoader[Any, Any]:
        factory = _FACTORIES.get(name)
        if factory is None:
            raise AttributeError(f"no loader named {name!r} is registered")
        built = factory(self)
        self.__dict__[name] = built  # later reads are plain attribute reads
        return built


def forget(loader: DataLoader[Any, Any], key: Any) -> None:
    """Drops one cached key (if cached) so the next load reads the store again."""
    try:
        loader.clear(key)
    except KeyError:
        pass
