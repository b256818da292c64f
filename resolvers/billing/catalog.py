"""The catalog: products and pricing plans — queries, create, update, deactivate."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, TypeVar

import strawberry

from resolvers import pagination
from resolvers.auth import mutation
from resolvers.billing import plan_rules
from resolvers.context import Context, Info, now
from resolvers.money import money
from resolvers.validation import text
from schema.billing.catalog import (
    CatalogDeactivateInput,
    Plan,
    PlanCreateInput,
    PlanPayload,
    PlanUpdateInput,
    Product,
    ProductCreateInput,
    ProductPayload,
    ProductUpdateInput,
)
from schema.common import After, Before, Connection, First, Last, Page, Problems, UserErrorCode, page_of
from store.billing import catalog
from store.db import Doc
from store.ids import new_id, type_of_id

MAX_OPTIONS = 10
N = TypeVar("N")


async def _page(ctx: Context, collection: str, flt: Doc, page: Page, node: Callable[[Doc], N]) -> Connection[N]:
    at = pagination.position(page, "CATALOG", datetime)
    docs, has_next = await catalog.page(ctx.org, collection, flt, at, page.size, page.backward)

    async def total() -> int:
        return await ctx.org[collection].count(flt)

    return pagination.connection(page, docs, has_next, sort="CATALOG", key="createdTime", node=node, count=total)


def _product_fields(problems: Problems, name: str | None, unit_label: str | None, description: str | None,
                    options: list[str] | None) -> Doc:
    fields: Doc = {}
    clean_name = text(problems, ["name"], name, 255, required=True) if name is not None else None
    if clean_name is not None and len(clean_name) < 3:
        problems.add(["name"], "must be at least 3 characters long", UserErrorCode.INVALID)
    fields["name"] = clean_name
    fields["unitLabel"] = text(problems, ["unitLabel"], unit_label, 50) or "unit"
    fields["description"] = text(problems, ["description"], description, 512)
    cleaned: list[str] = []
    for i, opt in enumerate(options or ()):
        value = text(problems, ["options", i], opt, 50, required=True)
        if value in cleaned:
            problems.add(["options", i], f"{value!r} appears twice", UserErrorCode.DUPLICATE)
        elif value:
            cleaned.append(value)
    if len(options or ()) > MAX_OPTIONS:
        problems.add(["options"], f"at most {MAX_OPTIONS} options", UserErrorCode.TOO_MANY)
    fields["options"] = cleaned
    return fields


async def _load(ctx: Context, problems: Problems, path: list[str | int], value: str, kind: str, prefix: str,
                collection: str) -> Doc | None:
    if not money.check_id(problems, path, value, kind, prefix):
        return None
    doc = await catalog.get(ctx.org, collection, value)
    if doc is None:
        problems.add(path, f"no {kind.lower()} {value} in this organization", UserErrorCode.NOT_FOUND)
    return doc


@strawberry.type
class CatalogQueries:
    @strawberry.field(description="The catalog's products, oldest first (deactivated ones too).")
    async def products(
        self, info: Info, first: First = None, after: After = None, last: Last = None, before: Before = None,
    ) -> Connection[Product]:
        return await _page(info.context, catalog.PRODUCTS, {}, page_of(first, after, last, before), Product.from_doc)

    @strawberry.field(description="One product; null when there is none in this organization.")
    async def product(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="`prod_…`")]) -> Product | None:
        return await info.context.loaders.product_by_id.load(str(id))

    @strawberry.field(description="The catalog's pricing plans, oldest first; optionally of one product.")
    async def plans(
        self, info: Info, first: First = None, after: After = None, last: Last = None, before: Before = None,
        product_id: Annotated[strawberry.ID | None, strawberry.argument(description="Only this product's plans.")] = None,
    ) -> Connection[Plan]:
        flt: Doc = {"productId": str(product_id)} if product_id else {}
        return await _page(info.context, catalog.PLANS, flt, page_of(first, after, last, before), Plan.from_doc)

    @strawberry.field(description="One pricing plan; null when there is none in this organization.")
    async def plan(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="`plan_…`")]) -> Plan | None:
        return await info.context.loaders.plan_by_id.load(str(id))


@strawberry.type
class CatalogMutations:
    @mutation("Adds a product to the catalog (the guide's *Create a product*).")
    async def product_create(self, info: Info, input: ProductCreateInput) -> ProductPayload:
        problems, t = Problems(), now()
        fields = _product_fields(problems, input.name, input.unit_label, input.description, input.options)
        if problems:
            return ProductPayload(product=None, user_errors=problems.errors)
        doc = {"id": new_id("prod"), **fields, "requiresShipping": input.requires_shipping, "isActive": True,
               "revision": 1, "createdTime": t, "updatedTime": t}
        await catalog.insert(info.context.org, catalog.PRODUCTS, doc)
        return ProductPayload(product=Product.from_doc(doc), user_errors=[])

    @mutation("Edits a product; absent fields stay as they are.")
    async def product_update(self, info: Info, input: ProductUpdateInput) -> ProductPayload:
        ctx, problems, t = info.context, Problems(), now()
        doc = await _load(ctx, problems, ["productId"], str(input.product_id), "Product", "prod", catalog.PRODUCTS)
        if doc is None:
            return ProductPayload(product=None, user_errors=problems.errors)
        merged = _product_fields(
            problems,
            input.name.value if input.name is not None else doc["name"],
            input.unit_label.value if input.unit_label is not None else doc.get("unitLabel"),
            input.description.value if input.description is not None else doc.get("description"),
            input.options.value if input.options is not None else doc.get("options"),
        )
        if input.name is not None and input.name.value is None:
            problems.add(["name"], "a product needs a name", UserErrorCode.REQUIRED)
        if input.requires_shipping is not None:
            merged["requiresShipping"] = bool(input.requires_shipping.value)  # null: no shipping
        changed = {k: v for k, v in merged.items() if doc.get(k) != v}
        if input.expected_revision is not None and input.expected_revision != doc["revision"]:
            problems.add(["expectedRevision"], f"the product is at revision {doc['revision']}", UserErrorCode.REVISION_CONFLICT)
        if not problems and not changed:
            problems.add(None, "the input changes nothing", UserErrorCode.NOTHING_TO_CHANGE)
        if problems:
            return ProductPayload(product=None, user_errors=problems.errors)
        after = await catalog.update(ctx.org, catalog.PRODUCTS, doc["id"], doc["revision"], changed, t)
        if after is None:
            problems.add(["expectedRevision"], "the product changed meanwhile; read it again", UserErrorCode.REVISION_CONFLICT)
            return ProductPayload(product=None, user_errors=problems.errors)
        return ProductPayload(product=Product.from_doc(after), user_errors=[])

    @mutation("Deactivates a product: it takes no new orders; existing orders go on.")
    async def product_deactivate(self, info: Info, input: CatalogDeactivateInput) -> ProductPayload:
        ctx, problems = info.context, Problems()
        doc = await _load(ctx, problems, ["id"], str(input.id), "Product", "prod", catalog.PRODUCTS)
        if doc is not None and not doc.get("isActive", True):
            problems.add(["id"], "the product is deactivated already", UserErrorCode.INVALID_STATUS)
        if problems or doc is None:
            return ProductPayload(product=None, user_errors=problems.errors)
        after = await catalog.update(ctx.org, catalog.PRODUCTS, doc["id"], doc["revision"], {"isActive": False}, now())
        if after is None:
            problems.add(["id"], "the product changed meanwhile; try again", UserErrorCode.REVISION_CONFLICT)
            return ProductPayload(product=None, user_errors=problems.errors)
        return ProductPayload(product=Product.from_doc(after), user_errors=[])

    @mutation("Adds a pricing plan to a product (the guide's *Create a pricing plan*), with every setting.")
    async def plan_create(self, info: Info, input: PlanCreateInput) -> PlanPayload:
        ctx, problems, t = info.context, Problems(), now()
        product = await _load(ctx, problems, ["productId"], str(input.product_id), "Product", "prod", catalog.PRODUCTS)
        if product is not None and not product.get("isActive", True):
            problems.add(["productId"], f"{product['id']} is deactivated", UserErrorCode.INACTIVE)
        settings = plan_rules.check(problems, [], plan_rules.from_create(input))
        if problems or product is None:
            return PlanPayload(plan=None, user_errors=problems.errors)
        doc = {"id": new_id("plan"), "productId": product["id"], **settings, "isActive": True, "revision": 1,
               "createdTime": t, "updatedTime": t}
        await catalog.insert(ctx.org, catalog.PLANS, doc)
        return PlanPayload(plan=Plan.from_doc(doc), user_errors=[])

    @mutation("Edits a pricing plan. Order items keep the copy they were made with (grandfathered).")
    async def plan_update(self, info: Info, input: PlanUpdateInput) -> PlanPayload:
        ctx, problems, t = info.context, Problems(), now()
        doc = await _load(ctx, problems, ["planId"], str(input.plan_id), "Plan", "plan", catalog.PLANS)
        if doc is None:
            return PlanPayload(plan=None, user_errors=problems.errors)
        settings, changed = plan_rules.apply_override(doc, input.settings)
        plan_rules.check(problems, ["settings"], settings)
        if input.expected_revision is not None and input.expected_revision != doc["revision"]:
            problems.add(["expectedRevision"], f"the plan is at revision {doc['revision']}", UserErrorCode.REVISION_CONFLICT)
        if not problems and not changed:
            problems.add(["settings"], "the input changes nothing", UserErrorCode.NOTHING_TO_CHANGE)
        if problems:
            return PlanPayload(plan=None, user_errors=problems.errors)
        after = await catalog.update(ctx.org, catalog.PLANS, doc["id"], doc["revision"], settings, t)
        if after is None:
            problems.add(["expectedRevision"], "the plan changed meanwhile; read it again", UserErrorCode.REVISION_CONFLICT)
            return PlanPayload(plan=None, user_errors=problems.errors)
        return PlanPayload(plan=Plan.from_doc(after), user_errors=[])

    @mutation("Deactivates a pricing plan: it takes no new orders; existing orders go on.")
    async def plan_deactivate(self, info: Info, input: CatalogDeactivateInput) -> PlanPayload:
        ctx, problems = info.context, Problems()
        doc = await _load(ctx, problems, ["id"], str(input.id), "Plan", "plan", catalog.PLANS)
        if doc is not None and not doc.get("isActive", True):
            problems.add(["id"], "the plan is deactivated already", UserErrorCode.INVALID_STATUS)
        if problems or doc is None:
            return PlanPayload(plan=None, user_errors=problems.errors)
        after = await catalog.update(ctx.org, catalog.PLANS, doc["id"], doc["revision"], {"isActive": False}, now())
        if after is None:
            problems.add(["id"], "the plan changed meanwhile; try again", UserErrorCode.REVISION_CONFLICT)
            return PlanPayload(plan=None, user_errors=problems.errors)
        return PlanPayload(plan=Plan.from_doc(after), user_errors=[])


__all__ = ["CatalogMutations", "CatalogQueries", "type_of_id"]
