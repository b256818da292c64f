"""Relay refetching: `node(id:)` and `nodes(ids:)`, dispatched on the id's type prefix."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry

from resolvers.context import Context, Info
from schema.common import ClientError, Node
from store.ids import type_of_id

# GraphQL type -> how to load one by id through the request's loaders; each domain registers its own.
NODE_LOADERS: dict[str, Callable[[Context, str], Awaitable[Node | None]]] = {}


def register_node(type_name: str, load: Callable[[Context, str], Awaitable[Node | None]]) -> None:
    """Makes `node(id:)` refetch ids whose prefix names `type_name` (store/ids.py)."""
    NODE_LOADERS[type_name] = load


async def load_node(ctx: Context, node_id: str) -> Node | None:
    # Ids without a generated prefix are merchant-chosen customer ids.
    loader = NODE_LOADERS.get(type_of_id(node_id) or "Customer")
    return await loader(ctx, node_id) if loader else None


@strawberry.type
class NodeQueries:
    @strawberry.field(description="Any object by id; null when there is none in this organization.")
    async def node(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Any id.")]) -> Node | None:
        return await load_node(info.context, str(id))

    @strawberry.field(description="Several objects by id, in order; null where there is none.")
    async def nodes(
        self, info: Info, ids: Annotated[list[strawberry.ID], strawberry.argument(description="Up to 100 ids.")]
    ) -> list[Node | None]:
        if len(ids) > 100:
            raise ClientError(f"`ids` has {len(ids)} ids; the limit is 100")
        return list(await asyncio.gather(*(load_node(info.context, str(i)) for i in ids)))
