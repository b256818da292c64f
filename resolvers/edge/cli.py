"""The edge's CLI commands (hooked into `python -m resolvers.cli`):

  register-documents ORG_ID MANIFEST [--client NAME]   registers a client's persisted-document manifest as
                     trusted (Apollo's persisted-query manifest or a {"<id>": "<document>"} map, e.g. Relay's)
  create-key ... --trusted-documents                   the key runs only registered documents
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from resolvers.edge.persisted import manifest_documents
from store import auth, persisted_documents
from store.db import Store

COMMANDS = ("register-documents",)


def add_commands(sub: Any) -> None:
    p = sub.add_parser("register-documents", help="register a client's persisted-document manifest as trusted")
    p.add_argument("organization_id")
    p.add_argument("manifest", type=Path)
    p.add_argument("--client", default=None, help="the client's name, kept with each document")


def add_key_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--trusted-documents", action="store_true",
                        help="the key runs only documents registered with register-documents")


def register(args: argparse.Namespace) -> Callable[[Store], Awaitable[str]]:
    try:
        documents = manifest_documents(json.loads(args.manifest.read_text()))
    except (OSError, ValueError) as exc:
        sys.exit(f"{args.manifest}: {exc}")

    async def work(store: Store) -> str:
        if await auth.get_organization(store, args.organization_id) is None:
            sys.exit(f"no organization {args.organization_id}")
        org = store.for_org(args.organization_id)
        n = await persisted_documents.register_many(org, documents, datetime.now(UTC), args.client)
        return f"registered {n} trusted documents for {args.organization_id} ({await persisted_documents.count_trusted(org)} in all)"

    return work
