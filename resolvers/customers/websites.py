"""Website queries and mutations (enough to create and list the websites customers belong to)."""

from __future__ import annotations

import re
from datetime import datetime

import strawberry

from resolvers import validation as v
from resolvers.auth import mutation
from resolvers.context import Info, now
from resolvers.pagination import encode_cursor, position
from schema.common import After, Before, Connection, Edge, First, Last, Problems, UserErrorCode, page_of
from schema.customers.websites import Website, WebsiteCreateInput, WebsiteCreatePayload
from store.customers import websites
from store.ids import new_id

URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


@strawberry.type
class WebsiteQueries:
    @strawberry.field(description="The organization's websites, newest first.")
    async def websites(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Website]:
        page = page_of(first, after, last, before)
        ctx = info.context
        at = position(page, "CREATED_TIME", datetime)
        docs, has_next = await websites.list_page(ctx.org, at, page.size, page.backward)
        edges = [Edge(cursor=encode_cursor("CREATED_TIME", d["createdTime"], d["id"]), node=Website.from_doc(d)) for d in docs]

        async def total() -> int:
            return await websites.count(ctx.org)

        return Connection.build(edges, page=page, has_next=has_next, count=total)


@strawberry.type
class WebsiteMutations:
    @mutation("Adds a website.")
    async def website_create(self, info: Info, input: WebsiteCreateInput) -> WebsiteCreatePayload:
        ctx = info.context
        problems = Problems()
        name = v.text(problems, ["name"], input.name, 255, required=True)
        url = v.text(problems, ["url"], input.url, 2083)
        if url and not URL_RE.match(url):
            problems.add(["url"], f"{url!r} is not an http(s) URL", UserErrorCode.INVALID)
        if problems:
            return WebsiteCreatePayload(website=None, user_errors=problems.errors)
        doc = {"id": new_id("web"), "name": name, "url": url, "createdTime": now()}
        await websites.insert(ctx.org, doc)
        return WebsiteCreatePayload(website=Website.from_doc(doc), user_errors=[])
