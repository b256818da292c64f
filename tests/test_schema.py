"""The committed SDL matches the code, and the store has an index for every filter and sort."""

from __future__ import annotations

from pathlib import Path

from resolvers.schema import sdl
from store.indexes import ALL, ensure_indexes

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema" / "schema.graphql"


def test_committed_schema_is_up_to_date():
    assert SCHEMA_FILE.read_text() == sdl(), "run `python -m resolvers.cli export-schema` and commit schema/schema.graphql"


def test_every_type_field_and_enum_value_is_described():
    text = sdl()
    blocks = [line.strip() for line in text.splitlines()]
    for i, line in enumerate(blocks):
        is_member = line and not line.startswith(('"""', "}", "type ", "input ", "enum ", "interface ", "union ",
                                                  "scalar ", "schema", "directive", "@", ")")) and not line.endswith('"""')
        if is_member and i > 0 and blocks[i - 1] == "":
            raise AssertionError(f"undocumented schema member: {line}")


def test_every_index_leads_with_the_organization():
    for collection, indexes in ALL.items():
        for keys, options in indexes:
            if collection in ("organizations",) or options["name"] in ("hash_unique", "token_hash_unique"):
                continue  # the lookups that establish the tenant (API keys, hosted-link tokens)
            if collection == "auth_state" or (collection == "api_keys" and options["name"] == "id_unique"):
                continue  # the global revocation epoch, and revoking a key by id from the operator's CLI
            if "expireAfterSeconds" in options:
                continue  # MongoDB TTL indexes must be single-field
            if (collection, options["name"]) == ("jobs", "status_due"):
                continue  # the scheduler's claim: workers serve every organization (store/jobs.py)
            if collection.startswith(("attachments.", "exports.")) and options["name"] in ("filename_1_uploadDate_1", "files_id_1_n_1"):
                continue  # GridFS's own indexes; files are found by a scoped lookup of their metadata first
            # GridFS keeps its own fields at the top level, so the organization lives in `metadata`.
            assert keys[0][0] in ("organizationId", "metadata.organizationId"), (collection, options["name"])


async def test_indexes_exist_for_filters_and_sorts(store):
    await ensure_indexes(store)  # idempotent
    info = await store.db["customers"].index_information()
    keys = {tuple(k for k, _ in v["key"]) for v in info.values()}
    for needed in [("organizationId", "id"), ("organizationId", "createdTime", "id"), ("organizationId", "sortLastName", "id"),
                   ("organizationId", "paymentCount", "id"), ("organizationId", "emailsLower"),
                   ("organizationId", "address.country"), ("organizationId", "websiteId"),
                   ("organizationId", "searchTokens"), ("organizationId", "tags")]:
        assert needed in keys, needed
