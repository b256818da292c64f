"""Exactly-once money mutations: the same idempotency key with the same input gives the first result.

`once` claims the key (unique insert), runs the work, and stores its outcome (a small JSON-able dict of
entity ids and user errors) on the claim. A replay returns the stored outcome without running the work;
concurrent duplicates wait for it (bounded), then get IDEMPOTENCY_REQUEST_IN_PROGRESS. A different input
under the same key is IDEMPOTENCY_KEY_REUSED. Work that changed nothing (a refused input) or failed
releases the claim, so the caller can correct the input and retry with the same key, as Stripe does.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import hashlib
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import orjson

from resolvers.context import Context, now
from schema.common import UserErrorCode
from store.money import idempotency

Outcome = dict[str, Any]
WAIT_SECONDS = 15.0
POLL_SECONDS = 0.05


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(type(value))


def input_hash(operation: str, data: Any) -> str:
    """SHA-256 of the operation and its input (without the key), canonical: sorted keys, normalised decimals."""
    plain = dataclasses.asdict(data) if dataclasses.is_dataclass(data) and not isinstance(data, type) else dict(data)
    plain.pop("idempotency_key", None)
    raw = orjson.dumps([operation, plain], option=orjson.OPT_SORT_KEYS, default=_default)
    return hashlib.sha256(raw).hexdigest()


def refused(path: list[str], message: str, code: UserErrorCode) -> Outcome:
    return {"changed": False, "errors": [{"field": path, "message": message, "code": code.value}]}


async def once(
    ctx: Context, operation: str, key: str, data: Any, work: Callable[[], Awaitable[Outcome]]
) -> Outcome:
    """Runs `work` at most once per (organization, key); returns its outcome (or a replay of it)."""
    digest = input_hash(operation, data)
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    while True:
        existing = await idempotency.claim(ctx.org, key, operation, digest, now())
        if existing is None:
            break
        if existing["inputHash"] != digest:
            return refused(
                ["idempotencyKey"],
                "this idempotency key was used with a different input "
                f"({existing['operation']}); use a new key for a new request",
                UserErrorCode.IDEMPOTENCY_KEY_REUSED,
            )
        if existing["status"] == "DONE":
            return {**existing["result"], "replayed": True}
        if asyncio.get_running_loop().time() >= deadline:
            return refused(
                ["idempotencyKey"],
                "a request with this key is still in progress; retry shortly",
                UserErrorCode.IDEMPOTENCY_REQUEST_IN_PROGRESS,
            )
        await asyncio.sleep(POLL_SECONDS)
    try:
        outcome = await work()
    except BaseException:
        await idempotency.release(ctx.org, key)
        raise
    if outcome.get("changed"):
        await idempotency.complete(ctx.org, key, outcome, now())
    else:
        await idempotency.release(ctx.org, key)
    return outcome
