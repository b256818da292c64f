"""Tags: list, create, rename, delete, and tag or untag several customers at once."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

import strawberry

from resolvers import validation as v
from resolvers.auth import mutation
from resolvers.context import INPUT, Context, Info, forget, now
from resolvers.customers.customers import check_customer_id
from resolvers.pagination import encode_cursor, position
from schema.common import After, Before, Connection, Edge, First, Last, Problems, UserErrorCode, page_of
from schema.customers.customers import Customer
from schema.customers.tags import (
    CustomerTagsAddPayload,
    CustomerTagsInput,
    CustomerTagsRemovePayload,
    Tag,
    TagCreateInput,
    TagCreatePayload,
    TagDeleteInput,
    TagDeletePayload,
    TagRenameInput,
    TagRenamePayload,
)
from store.activity import timeline
from store.customers import customers, tags
from store.errors import AlreadyExists, NotFound, RevisionConflict
from store.ids import type_of_id

NAME_RE = re.compile(r"^[@~\-.\w\s+]+$")
MAX_NAME = 255
MAX_CUSTOMERS = 100
MAX_TAGS = 20


def tag_name(problems: Problems, path: list[str | int], value: str) -> str:
    """NFC (so a combining accent and the precomposed letter are one name), spaces collapsed."""
    name = " ".join(v.clean_text(problems, path, value).split())  # NFC, no controls, card numbers masked
    if not name:
        problems.add(path, "is required", UserErrorCode.REQUIRED)
    elif len(name) > MAX_NAME:
        problems.add(path, f"is {len(name)} characters long; the limit is {MAX_NAME}", UserErrorCode.TOO_LONG)
    elif not all(NAME_RE.fullmatch(ch) or unicodedata.category(ch).startswith("M") for ch in name):
        problems.add(path, "may contain only letters, digits, spaces and @ ~ - . _ +", UserErrorCode.INVALID)
    return name


async def _tag(ctx: Context, problems: Problems, tag_id: str) -> dict[str, Any] | None:
    kind = type_of_id(tag_id)
    if kind != "Tag":
        problems.add(
            ["id"],
            f"{tag_id} is {'a ' + kind + ' id' if kind else 'not a Tag id'}; expected `tag_…`",
            UserErrorCode.WRONG_ID_TYPE,
        )
        return None
    doc = await tags.get(ctx.org, tag_id)
    if doc is None or (doc.get("pending") or {}).get("op") == "DELETE":
        problems.add(["id"], f"no tag {tag_id} in this organization", UserErrorCode.NOT_FOUND)
        return None
    return doc


async def _customers_and_names(
    ctx: Context, problems: Problems, inp: CustomerTagsInput
) -> tuple[list[dict[str, Any]], list[str]]:
    ids = [str(i) for i in inp.customer_ids]
    if not ids:
        problems.add(["customerIds"], "give at least one customer", UserErrorCode.REQUIRED)
    if len(ids) > MAX_CUSTOMERS:
        problems.add(
            ["customerIds"], f"has {len(ids)} ids; the limit is {MAX_CUSTOMERS}", UserErrorCode.TOO_MANY
        )
    if not inp.tags:
        problems.add(["tags"], "give at least one tag", UserErrorCode.REQUIRED)
    if len(inp.tags) > MAX_TAGS:
        problems.add(["tags"], f"has {len(inp.tags)} names; the limit is {MAX_TAGS}", UserErrorCode.TOO_MANY)
    names: dict[str, str] = {}
    for i, raw in enumerate(inp.tags):
        name = tag_name(problems, ["tags", i], raw)
        names.setdefault(name.lower(), name)
    valid = [cid for i, cid in enumerate(ids) if check_customer_id(problems, ["customerIds", i], cid)]
    docs = await customers.get_many(ctx.org, valid) if valid and len(ids) <= MAX_CUSTOMERS else []
    for cid, doc in zip(valid, docs, strict=False):
        if doc is None:
            problems.add(
                ["customerIds", ids.index(cid)],
                f"no customer {cid} in this organization",
                UserErrorCode.NOT_FOUND,
            )
    unique = {d["id"]: d for d in docs if d is not None}
    return list(unique.values()), list(names.values())


@strawberry.type
class TagQueries:
    @strawberry.field(description="The organization's tags, by name (case-insensitive).")
    async def tags(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        name_prefix: Annotated[
            str | None,
            strawberry.argument(description="Only tags whose name starts with this (case-insensitive)."),
        ] = None,
    ) -> Connection[Tag]:
        page = page_of(first, after, last, before)
        ctx = info.context
        at = position(page, "NAME", str)
        docs, has_next = await tags.list_page(
            ctx.org, at, page.size, (name_prefix or "").strip().lower() or None, page.backward
        )
        edges = [
            Edge(cursor=encode_cursor("NAME", d["nameLower"], d["id"]), node=Tag.from_doc(d)) for d in docs
        ]

        async def total() -> int:
            return await ctx.org[tags.COLLECTION].count({"pending.op": {"$ne": "DELETE"}})

        return Connection.build(edges, page=page, has_next=has_next, count=total)


@strawberry.type
class TagMutations:
    @mutation("Creates a tag. Names are unique per organization, case-insensitively.")
    async def tag_create(self, info: Info, input: Annotated[TagCreateInput, INPUT]) -> TagCreatePayload:
        ctx = info.context
        problems = Problems()
        name = tag_name(problems, ["name"], input.name)
        if problems:
            return TagCreatePayload(tag=None, user_errors=problems.errors)
        try:
            doc = await tags.create(ctx.org, name, now())
        except AlreadyExists:
            problems.add(["name"], f"a tag named {name!r} already exists", UserErrorCode.ALREADY_EXISTS)
            return TagCreatePayload(tag=None, user_errors=problems.errors)
        return TagCreatePayload(tag=Tag.from_doc(doc), user_errors=[])

    @mutation("Renames a tag; every customer with the tag shows the new name.")
    async def tag_rename(self, info: Info, input: Annotated[TagRenameInput, INPUT]) -> TagRenamePayload:
        ctx = info.context
        problems = Problems()
        name = tag_name(problems, ["name"], input.name)
        doc = await _tag(ctx, problems, str(input.id))
        if doc is not None and input.expected_revision not in (None, doc["revision"]):
            problems.add(
                ["expectedRevision"],
                f"the tag is at revision {doc['revision']}",
                UserErrorCode.REVISION_CONFLICT,
            )
        if doc is None or problems:
            return TagRenamePayload(tag=None, user_errors=problems.errors)
        t = now()
        doc = await tags.finish_pending(ctx.org, doc, t)  # an interrupted rename finishes first
        if doc["name"] == name:
            return TagRenamePayload(tag=Tag.from_doc(doc), user_errors=[])
        try:
            doc = await tags.rename(ctx.org, await tags.get(ctx.org, doc["id"]) or doc, name, t)
        except AlreadyExists:
            problems.add(["name"], f"a tag named {name!r} already exists", UserErrorCode.ALREADY_EXISTS)
            return TagRenamePayload(tag=None, user_errors=problems.errors)
        except (RevisionConflict, NotFound):
            problems.add(
                ["id"], "the tag changed meanwhile; read it and retry", UserErrorCode.REVISION_CONFLICT
            )
            return TagRenamePayload(tag=None, user_errors=problems.errors)
        return TagRenamePayload(tag=Tag.from_doc(doc), user_errors=[])

    @mutation("Deletes a tag and removes it from every customer.")
    async def tag_delete(self, info: Info, input: Annotated[TagDeleteInput, INPUT]) -> TagDeletePayload:
        ctx = info.context
        problems = Problems()
        doc = await _tag(ctx, problems, str(input.id))
        if doc is None:
            return TagDeletePayload(deleted_tag_id=None, user_errors=problems.errors)
        t = now()
        doc = await tags.finish_pending(ctx.org, doc, t)
        await tags.mark_deleted(ctx.org, doc, t)
        return TagDeletePayload(deleted_tag_id=input.id, user_errors=[])

    @mutation("Tags customers (several at once); creates missing tags. Already-tagged customers are skipped.")
    async def customer_tags_add(
        self, info: Info, input: Annotated[CustomerTagsInput, INPUT]
    ) -> CustomerTagsAddPayload:
        ctx = info.context
        problems = Problems()
        docs, names = await _customers_and_names(ctx, problems, input)
        if problems:
            return CustomerTagsAddPayload(customers=[], tags=[], user_errors=problems.errors)
        t = now()
        tag_docs = await tags.ensure(ctx.org, names, t)
        lower = [d["nameLower"] for d in tag_docs]
        out = []
        for doc in docs:
            added = [d["name"] for d in tag_docs if d["nameLower"] not in (doc.get("tags") or ())]
            if added:
                doc = await tags.tag_customer(ctx.org, doc["id"], lower, t) or doc
                await timeline.insert(
                    ctx.org,
                    timeline.event_doc(
                        doc["id"],
                        doc["timelineSeq"],
                        "CUSTOMER_TAGGED",
                        ctx.actor(),
                        t,
                        {"tags": added},
                        "Tagged " + ", ".join(added),
                    ),
                )
                forget(ctx.loaders.customer_by_id, doc["id"])
                ctx.touched_customers.add(doc["id"])
            out.append(Customer.from_doc(doc))
        return CustomerTagsAddPayload(customers=out, tags=[Tag.from_doc(d) for d in tag_docs], user_errors=[])

    @mutation("Removes tags from customers (several at once). Customers without the tag are skipped.")
    async def customer_tags_remove(
        self, info: Info, input: Annotated[CustomerTagsInput, INPUT]
    ) -> CustomerTagsRemovePayload:
        ctx = info.context
        problems = Problems()
        docs, names = await _customers_and_names(ctx, problems, input)
        if problems:  # e.g. unknown customers or invalid names: report them, look up no tags
            return CustomerTagsRemovePayload(customers=[], user_errors=problems.errors)
        found = await tags.by_names(ctx.org, [n.lower() for n in names])
        for i, (name, tag) in enumerate(zip(names, found, strict=True)):
            if tag is None:
                problems.add(
                    ["tags", i], f"no tag named {name!r} in this organization", UserErrorCode.NOT_FOUND
                )
        if problems:
            return CustomerTagsRemovePayload(customers=[], user_errors=problems.errors)
        t = now()
        out = []
        for doc in docs:
            removed = [tag["name"] for tag in found if tag and tag["nameLower"] in (doc.get("tags") or ())]
            if removed:
                doc = await tags.untag_customer(ctx.org, doc["id"], [n.lower() for n in removed], t) or doc
                await timeline.insert(
                    ctx.org,
                    timeline.event_doc(
                        doc["id"],
                        doc["timelineSeq"],
                        "CUSTOMER_UNTAGGED",
                        ctx.actor(),
                        t,
                        {"tags": removed},
                        "Untagged " + ", ".join(removed),
                    ),
                )
                forget(ctx.loaders.customer_by_id, doc["id"])
                ctx.touched_customers.add(doc["id"])
            out.append(Customer.from_doc(doc))
        return CustomerTagsRemovePayload(customers=out, user_errors=[])
