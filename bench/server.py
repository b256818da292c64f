"""One benchmark server process: `python -m bench.server ROLE PORT URI DATABASE ORG_ID`.

ROLE is `gateway` (the real app) or `limit` (the hand-written twins). Each runs alone in its process
(uvicorn, one worker, uvloop + httptools) so its CPU time and peak RSS are its own.
"""

from __future__ import annotations

import sys

import uvicorn

from bench.apps import RoundTrips, gateway_app, limit_app
from store.db import Store, make_client


def main(argv: list[str]) -> None:
    role, port, uri, database, org_id = argv
    trips = RoundTrips()
    store = Store(make_client(uri, listeners=[trips]), database)
    app = gateway_app(store, trips) if role == "gateway" else limit_app(store, org_id, trips)
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(port),
        log_level="warning",
        access_log=False,
        loop="uvloop",
        http="httptools",
        lifespan="on" if role == "gateway" else "off",
    )


if __name__ == "__main__":
    main(sys.argv[1:])
