"""Schema fuzzing: generated valid operations (random fields, arguments and inputs) never produce an
internal error, and every error they do produce carries a code (reliability plan, T1)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from graphql import build_schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, nodes, queries

from resolvers.schema import sdl

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
