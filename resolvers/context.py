"""Per-request context: who is asking, their organization's scoped store, and the loaders.

The context knows no domain by name. Domains add what their schema fields call on it:
- loaders, with `@loader` (resolvers/loaders.py), read as `ctx.loaders.<name>`;
- helpers such as connection builders, with `@context_method`, called as `ctx.<name>(...)`;
- the entity types a timeline note can link to, with `register_link`.
"""

from __future__ import annotations

import types
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import strawberry

from resolvers.loaders import Loaders, forget
from resolvers.settings import Settings
from schema.common import Linkable
from store.db import OrgDb, Store


@dataclass(frozen=True, slots=True)
class Principal:
    """The API key (and, when it has one, the user) behind a request."""

    organization_id: str
    key_id: str
    key_name: str
    scope: str
    user_id: str | None = None
    user_name: str | None = None
    trusted_documents: bool = False  # runs only documents registered from a client's manifest

    @property
    def can_write(self) -> bool:
        return self.scope == "write"

    def actor(self) -> dict[str, Any]:
        if self.user_id:
            return {"type": "USER", "id": self.user_id, "name": self.user_name or self.user_id}
        return {"type": "API_KEY", "id": self.key_id, "name": self.key_name}


# The time of requests: the system clock, or a clock set by `use_clock` (tests, so that orders made
# through the API and the billing clock's worker agree on one moved time; docs/billing.md "The clock").
_CLOCK: list[Callable[[], datetime]] = []


def use_clock(clock: Callable[[], datetime] | None) -> None:
    """Makes `now()` read `clock` (e.g. a FixedClock's `now`); None: the system clock again."""
    _CLOCK[:] = [clock] if clock is not None else []


def now() -> datetime:
    """Current UTC time at the store's precision (milliseconds), so cursors compare exactly."""
    t = _CLOCK[0]() if _CLOCK else datetime.now(UTC)
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


M = TypeVar("M", bound=Callable[..., Any])
_METHODS: dict[str, Callable[..., Any]] = {}

# What a note's link points at, by GraphQL type -> how to load it through the request's loaders.
LINK_LOADERS: dict[str, Callable[[Loaders, str], Awaitable[Linkable | None]]] = {}


def context_method(fn: M) -> M:
    """Registers `fn(ctx, ...)` as a method of every request's context, under its function name."""
    if _METHODS.get(fn.__name__, fn) is not fn:
        raise RuntimeError(f"two context methods are named {fn.__name__!r}")
    _METHODS[fn.__name__] = fn
    return fn


def register_link(type_name: str, load: Callable[[Loaders, str], Awaitable[Linkable | None]]) -> None:
    """Lets timeline notes link to entities of `type_name` (the guide's "Link a customer or transaction")."""
    LINK_LOADERS[type_name] = load


@dataclass(slots=True)
class Context:
    store: Store
    settings: Settings
    principal: Principal
    org: OrgDb
    loaders: Loaders
    request: Any = None
    response: Any = None
    touched_customers: set[str] = field(default_factory=set)
    connection_params: Any = None  # graphql-transport-ws `connection_init` payload (websocket requests)
    key_cache: Any = None  # websockets: the app's KeyCache, to notice a revocation while connected

    @classmethod
    def build(cls, store: Store, settings: Settings, principal: Principal, request: Any = None, response: Any = None) -> Context:
        org = store.for_org(principal.organization_id)
        return cls(store=store, settings=settings, principal=principal, org=org, loaders=Loaders(org, now()),
                   request=request, response=response)

    def __getattr__(self, name: str) -> Any:
        method = _METHODS.get(name)
        if method is None:
            raise AttributeError(f"{type(self).__name__!r} has no attribute or context method {name!r}")
        return types.MethodType(method, self)

    def actor(self) -> dict[str, Any]:
        return self.principal.actor()

    def restart_execution(self) -> None:
        """Forgets what this request has loaded: the fast path's fallback (resolvers/fastpath.py) then
        runs the operation exactly as a first execution would, batches and order of completion alike."""
        self.loaders = Loaders(self.org, now())

    def authenticate(self, principal: Principal) -> None:
        """Binds a websocket context to the principal its `connection_init` proved."""
        self.principal = principal
        self.org = self.store.for_org(principal.organization_id)
        self.loaders = Loaders(self.org, now())

    async def load_link(self, type_name: str, entity_id: str) -> Linkable | None:
        load = LINK_LOADERS.get(type_name)
        return await load(self.loaders, entity_id) if load else None

    def public_url(self, path: str) -> str:
        """An absolute URL of this gateway for `path` (settings.public_url, else the request's base URL)."""
        base = self.settings.public_url or (str(self.request.base_url) if self.request is not None else "")
        return base.rstrip("/") + path


# What every resolver module annotates with: the resolve info of this gateway, and the one argument
# of every mutation.
Info = strawberry.Info[Context, None]
INPUT = strawberry.argument(description="Everything the mutation needs; see the input type.")

__all__ = ["INPUT", "LINK_LOADERS", "Context", "Info", "Loaders", "Principal", "context_method", "forget", "now",
           "register_link"]
