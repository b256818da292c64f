"""API logging of GraphQL mutation requests: what to keep of a request, with secrets and card data removed.

The view (resolvers/app.py) times each operation, and for mutations hands the pieces to `entry`, which
returns the document to store: operation name, mutation fields called, redacted variables, outcome,
duration, who, and the customers the mutations touched (`Context.touched_customers`).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
)

from resolvers.context import Principal
from resolvers.wallet import cards
from store.auth import KEY_PREFIX
from store.db import Doc
from store.ids import new_id, type_of_id

REDACTED = "[REDACTED]"
# Keys whose values are secrets or card data wherever they appear (compared lower-case, without `_` and `-`).
SECRET_KEYS = frozenset(
    {
        "number",
        "cardnumber",
        "pan",
        "cvv",
        "cvc",
        "cvv2",
        "securitycode",
        "accountnumber",
        "iban",
        "routingnumber",
        "password",
        "secret",
        "token",
        "apikey",
        "authorization",
        "expmonth",
        "expyear",
    }
)
DIGIT_RUN = re.compile(r"\d(?:[ -]?\d){11,18}")
API_KEY_RE = re.compile(re.escape(KEY_PREFIX) + r"[\w-]+")
MAX_STRING = 1_000
MAX_ITEMS = 100
MAX_DEPTH = 8


def _redact_text(text: str) -> str:
    def card(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        return "[CARD]" if 12 <= len(digits) <= 19 and cards.luhn_ok(digits) else m.group(0)

    if not text.isascii():  # a lone surrogate cannot be stored: keep it visible as an escape
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    text = API_KEY_RE.sub(REDACTED, DIGIT_RUN.sub(card, text))
    return text if len(text) <= MAX_STRING else text[:MAX_STRING] + "…"


def redact(value: Any, depth: int = 0) -> Any:
    """A JSON-safe copy of `value` without secrets, card numbers or file contents."""
    if depth > MAX_DEPTH:
        return "[TOO DEEP]"
    if isinstance(value, dict):
        return {
            _redact_text(str(k)): REDACTED if re.sub(r"[_\-]", "", str(k)).lower() in SECRET_KEYS
            else redact(v, depth + 1)
            for k, v in list(value.items())[:MAX_ITEMS]
        }
    if isinstance(value, list | tuple):
        return [redact(v, depth + 1) for v in value[:MAX_ITEMS]]
    if isinstance(value, str):
        return _redact_text(value)
    if isinstance(value, bool | float) or value is None:
        return value
    if isinstance(value, int):
        if not -(2**63) <= value < 2**63:  # beyond what BSON holds
            return str(value)
        digits = str(abs(value))
        return "[CARD]" if 12 <= len(digits) <= 19 and cards.luhn_ok(digits) else value
    if hasattr(value, "filename") and hasattr(value, "read"):  # an upload: keep its name, never its content
        return {
            "file": _redact_text(str(value.filename or "")),
            "contentType": getattr(value, "content_type", None),
        }
    return f"[{type(value).__name__}]"


def operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode | None:
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        return next((o for o in ops if o.name and o.name.value == operation_name), None)
    return ops[0] if len(ops) == 1 else None


def root_fields(document: DocumentNode, op: OperationDefinitionNode) -> list[str]:
    """Names of the root fields the operation selects (through fragments too), in order."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    names: list[str] = []

    def walk(selection_set: SelectionSetNode, seen: frozenset[str]) -> None:
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                if not sel.name.value.startswith("__") and sel.name.value not in names:
                    names.append(sel.name.value)
            elif isinstance(sel, InlineFragmentNode):
                walk(sel.selection_set, seen)
            elif isinstance(sel, FragmentSpreadNode) and sel.name.value not in seen:
                frag = fragments.get(sel.name.value)
                if frag is not None:
                    walk(frag.selection_set, seen | {sel.name.value})

    walk(op.selection_set, frozenset())
    return names


def is_mutation(op: OperationDefinitionNode | None) -> bool:
    return op is not None and op.operation == OperationType.MUTATION


def payload_error_codes(data: Any) -> list[str]:
    """`userErrors[].code` found in the response data (alongside the codes collected while executing)."""
    codes: list[str] = []
    for payload in (data or {}).values():
        if isinstance(payload, dict):
            for err in payload.get("userErrors") or ():
                if isinstance(err, dict) and err.get("code"):
                    codes.append(err["code"])
    return codes


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def named_customers(mutations: list[str], variables: dict[str, Any] | None) -> set[str]:
    """Customer ids an input names, whether or not it was accepted: every `customerId` / `customerIds`
    value at any depth, and the `id` of a `customer…` mutation's input (`customerUpdate`). Ids of other
    types (by prefix) are left out. The shared lookups add the customers of instruments and transactions
    (`schema.common.touch`)."""
    found: set[str] = set()

    def add(value: Any) -> None:
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item.isprintable() and _encodable(item) and type_of_id(item) in (None, "Customer"):
                found.add(item)

    def walk(value: Any, depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        if isinstance(value, dict):
            for k, v in list(value.items())[:MAX_ITEMS]:
                if k in ("customerId", "customerIds"):
                    add(v)
                else:
                    walk(v, depth + 1)
        elif isinstance(value, list):
            for v in value[:MAX_ITEMS]:
                walk(v, depth + 1)

    walk(variables or {}, 0)
    if any(m.startswith("customer") for m in mutations):
        for value in (variables or {}).values():
            if isinstance(value, dict) and "customerId" not in value:
                add(value.get("id"))
    return found


def entry(
    *,
    principal: Principal,
    time: datetime,
    operation_name: str | None,
    mutations: list[str],
    variables: dict[str, Any] | None,
    errors: list[GraphQLError],
    error_codes: list[str],
    user_error_codes: list[str],
    duration_ms: float,
    customer_ids: set[str],
) -> Doc:
    if errors:
        outcome, error_code = "ERROR", (error_codes[0] if error_codes else "INTERNAL_SERVER_ERROR")
    elif user_error_codes:
        outcome, error_code = "USER_ERRORS", None
    else:
        outcome, error_code = "OK", None
    return {
        "id": new_id("log"),
        "time": time,
        "operationName": _redact_text(operation_name) if operation_name else None,
        "mutations": mutations,
        "variables": redact(variables or {}),
        "outcome": outcome,
        "userErrorCodes": sorted(set(user_error_codes)),
        "errorCode": error_code,
        "durationMs": round(duration_ms, 3),
        "actor": principal.actor(),
        "keyId": principal.key_id,
        "customerIds": sorted(customer_ids),
    }
