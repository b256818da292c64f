"""Test helpers: a small GraphQL client over the ASGI app, and a round-trip counter."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import httpx2
from pymongo import monitoring

HOUSEKEEPING = {"hello", "ismaster", "isMaster", "ping", "endSessions", "saslStart", "saslContinue", "buildInfo"}


# The per-key query-cost bucket (store/cost_buckets.py) is visited when a process's hold of budget runs
# low or old (every few seconds), not per request: round-trip counts leave it out, or they would depend
# on the clock. Its own tests (tests/edge/test_shared_budget.py) and `bench.budget` measure it.
UNCOUNTED_COLLECTIONS = {"cost_buckets"}


class CommandCounter(monitoring.CommandListener):
    """Counts commands sent to the store, per database (each test has its own database), except those
    on `UNCOUNTED_COLLECTIONS`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.commands: list[tuple[str, str]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name not in HOUSEKEEPING and event.command.get(event.command_name) not in UNCOUNTED_COLLECTIONS:
            with self._lock:
                self.commands.append((event.database_name, event.command_name))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def count(self, database: str) -> int:
        with self._lock:
            return sum(1 for db, _ in self.commands if db == database)

    def names(self, database: str) -> list[str]:
        with self._lock:
            return [name for db, name in self.commands if db == database]


@dataclass
class Org:
    """One organization of a test, with its keys and a website, and a client bound to its write key."""

    http: httpx2.AsyncClient
    id: str
    write_key: str
    read_key: str
    website_id: str
    extra: dict[str, Any] = field(default_factory=dict)

    async def post(self, query: str, variables: dict[str, Any] | None = None, *, key: str | None = None,
                   headers: dict[str, str] | None = None) -> httpx2.Response:
        h = {"Authorization": f"Bearer {key or self.write_key}", **(headers or {})}
        return await self.http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=h)

    async def gql(self, query: str, variables: dict[str, Any] | None = None, *, key: str | None = None) -> dict[str, Any]:
        """Runs an operation that must succeed without top-level errors; returns `data`."""
        response = await self.post(query, variables, key=key)
        body = response.json()
        assert response.status_code == 200, body
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def errors(self, query: str, variables: dict[str, Any] | None = None, *, key: str | None = None) -> list[dict[str, Any]]:
        """Runs an operation that must fail with top-level errors; returns them."""
        body = (await self.post(query, variables, key=key)).json()
        assert body.get("errors"), body
        return body["errors"]
