"""Reading a GraphQL request: the body (JSON, optionally gzip-encoded) and the operation it names.

Every way a body can be wrong is a 400 `BAD_REQUEST` with a message saying what to send: JSON `null`,
a number or a string instead of an object, invalid UTF-8, nesting past orjson's 1,024 levels, a field of
the wrong type, an unknown content encoding, a gzip body that is corrupt or inflates past the body limit.
A JSON array is a batch, which this gateway does not run (`BATCHING_NOT_SUPPORTED`, docs/clients.md).

`Documents` keeps each document text parsed once, with its operations and their static cost (compiled
once per document, evaluated per request with its variables), in a bounded cache.
"""

from __future__ import annotations

import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import DocumentNode, GraphQLError, GraphQLSchema, OperationDefinitionNode, OperationType, parse

from resolvers.edge.cost import OperationCost, compile_operation
from resolvers.edge.envelope import RequestError
from resolvers.edge.persisted import RequestData

FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "query": (str,), "variables": (dict,), "operationName": (str,), "extensions": (dict,), "documentId": (str,),
    "doc_id": (str,), "id": (str,),
}


def bad_request(message: str) -> RequestError:
    return RequestError(400, "BAD_REQUEST", message)


def inflate(raw: bytes, encoding: str | None, limit: int) -> bytes:
    """The body after its `Content-Encoding` (identity or gzip), at most `limit` bytes once inflated."""
    encoding = (encoding or "identity").strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding not in ("gzip", "x-gzip"):
        raise RequestError(415, "UNSUPPORTED_MEDIA_TYPE", f"Content-Encoding {encoding!r} is not supported: send "
                           "the body as it is, or gzip-encoded.")
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise bad_request(f"The gzip-encoded body could not be inflated: {exc}.") from exc
    if len(out) > limit:
        raise RequestError(413, "PAYLOAD_TOO_LARGE", f"The body inflates past the limit of {limit} bytes.")
    if not inflater.eof:
        raise bad_request("The gzip-encoded body is truncated.")
    return out


def load_json(raw: bytes | str) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise bad_request(f"The request body is not valid JSON (UTF-8, at most 1,024 levels deep): {exc}.") from exc


def request_data(data: Any, protocol: Any) -> RequestData:
    """The request's fields, each checked for its type."""
    if isinstance(data, list):
        raise RequestError(400, "BATCHING_NOT_SUPPORTED", "Batched requests (a JSON array) are not supported: send "
                           "one operation per request (HTTP/2 multiplexes them; persisted queries keep them small).")
    if not isinstance(data, dict):
        raise bad_request("The request must be a JSON object: "
                          '{"query": "…", "variables": {…}, "operationName": "…", "extensions": {…}}.')
    for name, types in FIELD_TYPES.items():
        value = data.get(name)
        if value is not None and not isinstance(value, types):
            kind = "an object" if types == (dict,) else "a string"
            raise bad_request(f"`{name}` must be {kind} or null.")
    document_id = data.get("documentId") or data.get("doc_id") or data.get("id")
    return RequestData(query=data.get("query"), variables=data.get("variables"), operation_name=data.get("operationName"),
                       extensions=data.get("extensions"), protocol=protocol, document_id=document_id)


@dataclass
class Document:
    """A parsed document (None: a syntax error, which execution reports as it always has)."""

    node: DocumentNode | None
    operations: list[OperationDefinitionNode]
    costs: dict[int, OperationCost] = field(default_factory=dict)

    def operation(self, name: str | None) -> OperationDefinitionNode | None:
        """The operation to run, as the spec's GetOperation says; RequestError when the name does not pick one."""
        if self.node is None:
            return None
        if name is None:
            if len(self.operations) > 1:
                raise RequestError(400, "GRAPHQL_VALIDATION_FAILED",
                                   "The document has several operations: send `operationName` to say which to run.")
            return self.operations[0] if self.operations else None
        for op in self.operations:
            if op.name is not None and op.name.value == name:
                return op
        names = ", ".join(op.name.value for op in self.operations if op.name) or "none named"
        raise RequestError(400, "OPERATION_RESOLUTION_FAILURE",
                           f"Unknown operation named {name!r}; the document has: {names}.")

    def cost(self, schema: GraphQLSchema, op: OperationDefinitionNode) -> OperationCost:
        cost = self.costs.get(id(op))
        if cost is None:
            assert self.node is not None
            cost = self.costs[id(op)] = compile_operation(schema, self.node, op)
        return cost


class Documents:
    """Parsed documents by text, least recently used first out."""

    def __init__(self, max_tokens: int, max_entries: int = 1024) -> None:
        self.max_tokens = max_tokens
        self.max_entries = max_entries
        self._docs: OrderedDict[str, Document] = OrderedDict()

    def get(self, query: str) -> Document:
        doc = self._docs.get(query)
        if doc is not None:
            self._docs.move_to_end(query)
            return doc
        try:
            node: DocumentNode | None = parse(query, max_tokens=self.max_tokens)
        except GraphQLError:  # syntax errors, and a token limit past which parse refuses
            node = None
        ops = [d for d in node.definitions if isinstance(d, OperationDefinitionNode)] if node else []
        doc = Document(node, ops)
        self._docs[query] = doc
        if len(self._docs) > self.max_entries:
            self._docs.popitem(last=False)
        return doc


def check_transport(op: OperationDefinitionNode, method: str, protocol: str) -> None:
    """Mutations only by POST; subscriptions only over the websocket (or a streaming HTTP protocol)."""
    if op.operation is OperationType.MUTATION and method == "GET":
        raise RequestError(405, "METHOD_NOT_ALLOWED", "Mutations must be sent with POST, not GET.",
                           headers={"Allow": "POST"})
    if op.operation is OperationType.SUBSCRIPTION and protocol == "http":
        raise bad_request("Subscriptions run over the websocket at /graphql (graphql-transport-ws protocol), "
                          "not over plain HTTP.")
