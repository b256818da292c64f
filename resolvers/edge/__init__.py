"""The API's edge for real clients: one error envelope, request bodies, CORS, persisted documents,
query cost budgets and the operational endpoints (docs/clients.md)."""
