"""Schema fuzzing: generated valid operations (random fields, arguments and inputs) never produce an
internal error, and every error they do produce carries a code (reliability plan, T1)."""

from __future__ import annotations

import functools
import json
import random
import re
from datetime import UTC, date, datetime
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLUnionType,
    build_schema,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, nodes, queries

from resolvers.schema import sdl
from resolvers.validation import mask_card_numbers
from tests.helpers import Org
from tests.money_helpers import add_account, add_payee, paid_outside

SCALARS = {
    "Date": st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)).map(lambda d: nodes.String(d.isoformat())),
    "DateTime": st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)).map(
        lambda d: nodes.String(d.isoformat())),
    "Decimal": st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False).map(lambda d: nodes.String(str(d))),
    "JSON": st.just(nodes.Object([])),
    # Uploads only arrive as multipart variables; a literal must be refused as invalid, not break anything.
    "Upload": st.just(nodes.String("not-a-file")),
    "SensitiveString": st.sampled_from(["4242424242424242", "4000000000000002", "123", "", "abcd"]).map(nodes.String),
}
ALLOWED_CODES = {"BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED", "FORBIDDEN"}


def root_fields(kind: str) -> list[str]:
    schema = build_schema(sdl())
    root = schema.query_type if kind == "query" else schema.mutation_type
    assert root is not None
    return sorted(root.fields)


def generate(kind: str, count: int) -> list[str]:
    """`count` generated operations per root field of one kind, deterministic from run to run."""
    return [op for name in root_fields(kind) for op in generate_for(kind, name, count)]


def generate_for(kind: str, field: str, count: int) -> list[str]:
    out: list[str] = []
    build = queries if kind == "query" else mutations
    strategy = build(sdl(), fields=[field], custom_scalars=SCALARS, allow_x00=False)

    @settings(max_examples=count, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(op: str) -> None:
        out.append(op)

    collect()
    return out


async def run_all(org, operations: list[str], key: str) -> None:
    for op in operations:
        response = await org.post(op, key=key)
        assert response.status_code == 200, (op, response.text)
        body = response.json()
        for error in body.get("errors", ()):
            code = error.get("extensions", {}).get("code")
            assert code in ALLOWED_CODES, (op, error)


async def test_generated_queries_never_fail_internally(org):
    await run_all(org, generate("query", 40), org.write_key)


async def test_generated_mutations_never_fail_internally(org):
    await run_all(org, generate("mutation", 50), org.write_key)


async def test_generated_mutations_with_a_read_key_are_forbidden_not_broken(org):
    await run_all(org, generate("mutation", 10), org.read_key)


# ------------------------------------------------------------------------------------------ negative mode
# Schema-violating and hostile values for every argument and input field of every root field, one
# position at a time (the rest minimal and valid): special decimals, lone surrogates, NUL and bidi
# controls, huge ints, deep and unstorable JSON, zone-less times, nulls where the SDL allows them. Sent
# as JSON variables with Python's ASCII-escaping encoder (so `\ud800` arrives as such). No answer may be
# a 5xx or carry INTERNAL_SERVER_ERROR. Deterministic and bounded: at most NEGATIVE_BUDGET requests.

NEGATIVE_BUDGET = 2500
HOSTILE: dict[str, list[Any]] = {
    "String": ["a\ud800", "nul\u0000", "rtl\u202eexe.pdf", "", " ", "x" * 5000, "$where", "\u0663\u0664", "4111 1111 1111 1111"],
    "ID": ["a\ud800", "nul\u0000", "", "cus_", "txn_\udfff", "x" * 300, "../../etc", "inst_01J00000000000000000000000"],
    "SensitiveString": ["a\ud800", "\u0000", "", "1" * 200],
    "Int": [2**31, -(2**31) - 1, 2**64, -1, 0, 1.5, "1"],
    "Float": [float("1e308"), -1.0, "NaN"],
    "Boolean": ["true", 0],
    "Decimal": ["sNaN", "NaN", "-Infinity", "1e999999", "\u0661\u0660", "0.0000000001", "-0", "9" * 41, 10**30, "1,5"],
    "DateTime": ["2026-01-01T00:00:00", "0000-00-00T00:00:00Z", "9999-12-31T23:59:59Z", "2026-13-45T99:00:00Z", 0],
    "Date": ["0001-01-01", "9999-12-31", "2026-02-30", "yesterday"],
    "JSON": [{"a\u0000": 1}, {"$x": 1}, {"a.b": 1}, {"n": 2**70}, {"s": "\ud800"}, "not-an-object", [1, 2],
             functools.reduce(lambda inner, _: {"d": inner}, range(150), {})],
    "Upload": ["not-a-file", {"filename": "x"}],
}


def _named(t: Any) -> Any:
    while isinstance(t, GraphQLNonNull | GraphQLList):
        t = t.of_type
    return t


# Real ids for id arguments, by the argument's name or (for `id`) the root field's name, so hostile values
# reach the checks behind the lookups (a tax ID is only validated once its customer is found).
ID_FOR_FIELD = {"customerId": "customer", "transactionId": "transaction", "paymentInstrumentId": "instrument",
                "websiteId": "website", "gatewayAccountId": "account", "payoutRequestId": "request"}
ID_FOR_ROOT = [("customer", "customer"), ("paymentInstrument", "instrument"), ("transaction", "transaction"),
               ("timelineNote", "note"), ("website", "website"), ("gatewayAccount", "account"),
               ("payoutRequest", "request"), ("tag", "tag"), ("node", "customer")]


def _minimal(t: Any, ids: dict[str, str], name: str = "", root: str = "", depth: int = 0) -> Any:
    """A small valid value of an input type: real ids where known, None where nullable and deep."""
    if isinstance(t, GraphQLNonNull):
        return _minimal(t.of_type, ids, name, root, depth)
    if depth > 4:
        return None
    if isinstance(t, GraphQLList):
        item = _minimal(t.of_type, ids, name.removesuffix("s"), root, depth + 1)
        return [] if item is None else [item]
    if isinstance(t, GraphQLEnumType):
        return next(iter(t.values))
    if isinstance(t, GraphQLInputObjectType):
        return {n: v for n, f in t.fields.items()
                if isinstance(f.type, GraphQLNonNull) and (v := _minimal(f.type, ids, n, root, depth + 1)) is not None}
    if t.name == "ID":
        kind = ID_FOR_FIELD.get(name) or next((k for prefix, k in ID_FOR_ROOT if root.startswith(prefix)), "customer")
        return ids.get(kind, ids["customer"])
    return {"String": "x", "Int": 1, "Float": 1.0, "Boolean": True, "Decimal": "1.00",
            "DateTime": "2026-01-01T00:00:00Z", "Date": "2000-01-01", "JSON": {},
            "SensitiveString": "4111111111111111", "Upload": None}.get(t.name)


def _positions(t: Any, path: tuple[Any, ...], depth: int = 0) -> list[tuple[tuple[Any, ...], Any]]:
    """(path, type) of every leaf and every nullable position under an input type."""
    out: list[tuple[tuple[Any, ...], Any]] = [(path, t)]
    inner = t.of_type if isinstance(t, GraphQLNonNull) else t
    if isinstance(inner, GraphQLList):
        out += _positions(inner.of_type, (*path, 0), depth + 1)
    elif isinstance(inner, GraphQLInputObjectType) and depth < 4:
        for name, f in inner.fields.items():
            out += _positions(f.type, (*path, name), depth + 1)
    return out


def _put(value: Any, path: tuple[Any, ...], leaf: Any) -> Any:
    if not path:
        return leaf
    head, rest = path[0], path[1:]
    if isinstance(head, int):
        items = list(value) if isinstance(value, list) and value else [None]
        items[0] = _put(items[0], rest, leaf)
        return items
    base = dict(value) if isinstance(value, dict) else {}
    base[head] = _put(base.get(head), rest, leaf)
    return base


def negative_cases(ids: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
    schema = build_schema(sdl())
    cases: list[tuple[str, dict[str, Any]]] = []
    for kind, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        assert root is not None
        for name, field in sorted(root.fields.items()):
            args = field.args
            decl = ", ".join(f"${a}: {arg.type}" for a, arg in args.items())
            call = ", ".join(f"{a}: ${a}" for a in args)
            query = f"{kind}{f'({decl})' if decl else ''} {{ {name}{f'({call})' if call else ''} {{ __typename }} }}"
            if not isinstance(_named(field.type), GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
                query = query.replace(" { __typename }", "")
            base = {a: _minimal(arg.type, ids, a, name) for a, arg in args.items()}
            for a, arg in args.items():
                for path, t in _positions(arg.type, ()):
                    named = _named(t)
                    values = list(HOSTILE.get(getattr(named, "name", ""), []))
                    if isinstance(named, GraphQLEnumType):
                        values = ["NOT_A_VALUE", 1]
                    if not isinstance(t, GraphQLNonNull):
                        values.append(None)
                    if isinstance(named, GraphQLInputObjectType):
                        values += [{"unknownField": 1}, "not-an-object"]
                    for value in values:
                        cases.append((query, {**base, a: _put(base[a], path, value)}))
    rnd = random.Random(18)
    return cases if len(cases) <= NEGATIVE_BUDGET else rnd.sample(cases, NEGATIVE_BUDGET)


async def _entities(org: Org) -> dict[str, str]:
    """One of each entity the arguments name, so lookups succeed and the values behind them are checked."""
    account = await add_account(org)
    customer = await add_payee(org)
    sale = await paid_outside(org, customer, "50.00")
    data = await org.gql("""query($id: ID!) { customer(id: $id) { defaultPaymentInstrument { id } } }""",
                         {"id": customer})
    note = await org.gql("""mutation($i: TimelineNoteAddInput!) { timelineNoteAdd(input: $i) { note { id } } }""",
                         {"i": {"customerId": customer, "message": "fuzz"}})
    tag = await org.gql("""mutation($i: TagCreateInput!) { tagCreate(input: $i) { tag { id } } }""",
                        {"i": {"name": "fuzz"}})
    request = await org.gql("""mutation($i: PayoutRequestCreateInput!) { payoutRequestCreate(input: $i) {
      payoutRequest { id } } }""", {"i": {"customerId": customer, "amount": "5.00", "currency": "USD"}})
    return {"customer": customer, "transaction": sale["id"], "account": account, "website": org.website_id,
            "instrument": data["customer"]["defaultPaymentInstrument"]["id"],
            "note": note["timelineNoteAdd"]["note"]["id"], "tag": tag["tagCreate"]["tag"]["id"],
            "request": request["payoutRequestCreate"]["payoutRequest"]["id"]}


async def test_hostile_values_for_every_argument_never_fail_internally(org, store):
    cases = negative_cases(await _entities(org))
    assert len(cases) >= 1000
    failures = []
    for query, variables in cases:
        try:
            response = await org.http.post(
                "/graphql", content=json.dumps({"query": query, "variables": variables}),
                headers={"Authorization": f"Bearer {org.write_key}", "Content-Type": "application/json"})
        except Exception as exc:  # the app itself raised: a 500 in production
            failures.append((query, variables, repr(exc)))
            continue
        if response.status_code >= 500:
            failures.append((query, variables, response.status_code))
            continue
        for error in response.json().get("errors", ()):
            if error.get("extensions", {}).get("code") in ("INTERNAL_SERVER_ERROR", None):
                failures.append((query, variables, error))
    assert failures == [], f"{len(failures)} of {len(cases)}: {failures[:5]}"
    unclean = await unclean_strings(store)
    assert unclean == [], unclean


UNCLEAN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
HEX_DIGEST = re.compile(r"[0-9a-f]{32,}")
LOGGED_AS_SENT = {"api_logs"}  # the API log keeps the (redacted) variables as they arrived


async def unclean_strings(store: Any) -> list[tuple[str, str]]:
    """(collection, path) of every stored string holding a control character, a bidi override or an
    unmasked card number: the text-hygiene class guard (every stored free text goes through
    `validation.clean_text`)."""
    found: list[tuple[str, str]] = []

    def walk(name: str, value: Any, path: str) -> None:
        if isinstance(value, str) and (UNCLEAN.search(value) or (
                mask_card_numbers(value) != value and not HEX_DIGEST.fullmatch(value))):  # hashes are no PANs
            found.append((name, path))
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(name, k, f"{path}.<key>")
                walk(name, v, f"{path}.{k}")
        elif isinstance(value, list):
            for v in value:
                walk(name, v, f"{path}[]")

    for name in await store.db.list_collection_names():
        if name not in LOGGED_AS_SENT:
            for doc in await store.raw(name).find({}, {"_id": 0}).to_list():
                walk(name, doc, "")
    return sorted(set(found))
