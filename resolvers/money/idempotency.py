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
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
from strawberry.types.maybe import Some
from strawberry.types.unset import UNSET

from resolvers.context import Context, now
from schema.common import UserErrorCode
from store.money import idempotency

Outcome = dict[str, Any]
WAIT_SECONDS = 15.0
POLL_SECONDS = 0.05


def canonical(value: Any) -> Any:
    """A JSON-able, deterministic form of any input value, for hashing: every type an input can hold
    (decimals of any kind incl. NaN/sNaN, enums, dates, nested input objects, `Maybe` wrappers, ints
    beyond 64 bits, unencodable strings) maps to plain JSON; nothing raises."""
    if value is None or isinstance(value, bool | float):
        return value if not isinstance(value, float) else repr(value)
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**63 else f"int:{value}"
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "unencodable:" + value.encode("utf-8", "surrogatepass").hex()
        return value
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value.is_finite() else f"decimal:{value}"
    if isinstance(value, enum.Enum):
        return canonical(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Some):
        return {"some": canonical(value.value)}
    if value is UNSET:
        return "unset"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((canonical(v) for v in value), key=repr)
    return f"{type(value).__qualname__}:{value}"


def input_hash(operation: str, data: Any) -> str:
    """SHA-256 of the operation and its input (without the key), canonical: sorted keys, normalised decimals."""
    plain = canonical(data)
    if isinstance(plain, dict):
        plain.pop("idempotency_key", None)
    raw = orjson.dumps([operation, plain], option=orjson.OPT_SORT_KEYS)
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
