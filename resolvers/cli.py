"""Command line: `python -m resolvers.cli <command>` (also installed as `customer-graph`).

  dev             local FerretDB (unless MONGODB_URI) + indexes + demo data + API key + server
  serve           the server only, against MONGODB_URI
  create-org      NAME                       -> prints the organization id
  create-key      ORG_ID [--scope read|write] [--name NAME] [--user USER_ID]  -> prints the key (shown once);
                  with --user the key acts as that user of the organization (notes, notifications)
  keys list       [--org ORG_ID] [--json]    -> every key: id, organization, scope, name, user, created, revoked
  keys revoke     KEY_ID [--org ORG_ID]      -> revokes the key for good; every gateway process stops
                  accepting it within about a second, and its open websocket subscriptions end
  create-indexes  against MONGODB_URI
  seed            demo data against MONGODB_URI
  export-schema   writes schema/schema.graphql
  check-schema    fails when schema/schema.graphql differs from the code
  worker          runs due work (renewals, retries, expiries) until stopped, against MONGODB_URI
  run-due         [--until TIME]  runs everything due by TIME (default now) once and exits: the dev
                  command to move billing time forward and watch it in GraphiQL
  register-documents ORG_ID MANIFEST [--client NAME]  trusted documents (resolvers/edge/cli.py)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sys
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

import uvicorn

from resolvers.app import create_app
from resolvers.billing import mailer
from resolvers.edge import cli as edge_cli
from resolvers.edge.cors import DEV_ORIGIN_REGEX
from resolvers.edge.observe import configure_logging
from resolvers.scheduler import FixedClock, Worker
from resolvers.schema import sdl
from resolvers.seed import DEMO_ORG_ID, seed
from resolvers.settings import Settings
from store import auth
from store.activity import users
from store.db import Store, make_client
from store.ferretdb import FerretDB
from store.indexes import ensure_indexes

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema" / "schema.graphql"


def _store(settings: Settings) -> Store:
    if not settings.mongodb_uri:
        sys.exit("MONGODB_URI is not set")
    return Store(make_client(settings.mongodb_uri, timeout_ms=settings.mongodb_timeout_ms), settings.mongodb_database)


async def _with_store(settings: Settings, work: object) -> object:
    store = _store(settings)
    try:
        return await work(store)  # type: ignore[operator]
    finally:
        await store.close()


async def _prepare_demo(settings: Settings) -> str:
    """Indexes, demo data on first run, and a fresh write key for the demo organization."""

    async def work(store: Store) -> str:
        await ensure_indexes(store)
        result = await seed(store)
        if result["created"] == "yes":
            print(f"loaded demo data: 1 organization, 2 websites, {result['customers']} customers "
                  f"({result['paying']} of them paying)", flush=True)
        secret, _ = await auth.create_api_key(store, DEMO_ORG_ID, "write", "dev console", datetime.now(UTC))
        return secret

    return await _with_store(settings, work)  # type: ignore[return-value]


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def cmd_dev(settings: Settings) -> None:
    if port_in_use(settings.host, settings.port):
        sys.exit(f"port {settings.port} on {settings.host} is in use (another `scripts/dev`?): stop it, or run with "
                 f"PORT=<free port> scripts/dev")
    if not settings.cors_allow_origins and settings.cors_allow_origin_regex is None:
        settings.cors_allow_origin_regex = DEV_ORIGIN_REGEX  # the dev server's own origin and localhost dashboards
    settings.dev_request_log = True
    server = None
    if not settings.mongodb_uri:
        data = Path(settings.data_dir) / "ferretdb"
        server = FerretDB(data)
        settings.mongodb_uri = server.start()
        os.environ["MONGODB_URI"] = settings.mongodb_uri
        print(f"FerretDB {server.uri} (data in {data})", flush=True)
    try:
        secret = asyncio.run(_prepare_demo(settings))
        url = f"http://{settings.host}:{settings.port}/graphql"
        headers = urllib.parse.quote(json.dumps({"Authorization": f"Bearer {secret}"}))
        print(
            f"\n  GraphiQL:  {url}?headers={headers}\n  API key:   {secret}  (read/write, organization {DEMO_ORG_ID})\n"
            f'  Elsewhere: send the header  Authorization: Bearer {secret}\n'
            f"  Try:       {{ customers(first: 5, segment: CUSTOMERS) {{ totalCount edges {{ node {{ id email paymentCount }} }} }} }}\n",
            flush=True,
        )
        uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning", log_config=None,
                    access_log=False)
    finally:
        if server:
            server.stop()


async def cmd_keys(store: Store, args: argparse.Namespace, now: datetime) -> int:
    """`keys list` / `keys revoke`; the exit status (0 ok, 1 no such key)."""
    if args.keys_command == "list":
        for doc in await auth.list_api_keys(store, args.org):
            row = {
                "id": doc["id"], "organizationId": doc["organizationId"], "scope": doc["scope"],
                "name": doc["name"], "userId": doc.get("userId"), "hint": doc.get("hint"),
                "createdTime": doc["createdTime"].isoformat(), "revoked": bool(doc.get("revoked")),
            }
            if args.json:
                print(json.dumps(row))
            else:
                state = "REVOKED" if row["revoked"] else "active"
                print(f"{row['id']}  {row['organizationId']}  {row['scope']:<5}  {state:<7}  {row['hint'] or ''}  "
                      f"{row['name']}{'  user ' + row['userId'] if row['userId'] else ''}")
        return 0
    revoked = await auth.revoke_api_key(store, args.key_id, now, args.org)
    if revoked is None:
        print(f"no key {args.key_id}" + (f" in organization {args.org}" if args.org else ""), file=sys.stderr)
        return 1
    print(f"revoked {revoked['id']} ({revoked['name']}, organization {revoked['organizationId']})")
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="customer-graph", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("dev")
    sub.add_parser("serve")
    p_org = sub.add_parser("create-org")
    p_org.add_argument("name")
    p_key = sub.add_parser("create-key")
    p_key.add_argument("organization_id")
    p_key.add_argument("--scope", choices=auth.SCOPES, default="read")
    p_key.add_argument("--name", default="cli")
    edge_cli.add_key_options(p_key)
    p_key.add_argument("--user", help="usr_… id of a user of the organization the key acts as")
    p_keys = sub.add_parser("keys").add_subparsers(dest="keys_command", required=True)
    p_list = p_keys.add_parser("list")
    p_list.add_argument("--org", help="only this organization's keys")
    p_list.add_argument("--json", action="store_true", help="one JSON object per line")
    p_revoke = p_keys.add_parser("revoke")
    p_revoke.add_argument("key_id")
    p_revoke.add_argument("--org", help="refuse unless the key belongs to this organization")
    sub.add_parser("create-indexes")
    sub.add_parser("seed")
    sub.add_parser("export-schema")
    sub.add_parser("check-schema")
    sub.add_parser("worker")
    p_due = sub.add_parser("run-due")
    p_due.add_argument("--until", type=datetime.fromisoformat, default=None,
                       help="ISO 8601 time with a zone, e.g. 2027-03-01T00:00:00Z (default: now)")
    edge_cli.add_commands(sub)
    sub.add_parser("send-email", help="deliver the queued emails of the outbox over SMTP (SMTP_HOST …)")
    args = parser.parse_args(argv)
    settings = Settings()
    configure_logging(settings.json_logs, settings.log_level)
    now = datetime.now(UTC)

    if args.command == "dev":
        cmd_dev(settings)
    elif args.command == "serve":
        # Our handler formats uvicorn's records too (JSON with JSON_LOGS); its access log is ours when logging requests.
        uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None,
                    access_log=not (settings.json_logs or settings.dev_request_log))
    elif args.command == "create-org":
        doc = asyncio.run(_with_store(settings, lambda s: auth.create_organization(s, args.name, now)))
        print(doc["id"])  # type: ignore[index]
    elif args.command == "create-key":
        async def make_key(store: Store) -> str:
            if await auth.get_organization(store, args.organization_id) is None:
                sys.exit(f"no organization {args.organization_id}")
            user_id = user_name = None
            if args.user:
                found = (await users.get_many(store.for_org(args.organization_id), [args.user]))[0]
                if found is None:
                    sys.exit(f"no user {args.user} in organization {args.organization_id}")
                user_id, user_name = found["id"], found["name"]
            secret, _ = await auth.create_api_key(store, args.organization_id, args.scope, args.name, now,
                                                  user_id=user_id, user_name=user_name,
                                                  trusted_documents=args.trusted_documents)
            return secret

        print(asyncio.run(_with_store(settings, make_key)))
    elif args.command == "keys":
        sys.exit(asyncio.run(_with_store(settings, lambda store: cmd_keys(store, args, now))))  # type: ignore[arg-type]
    elif args.command == "register-documents":
        print(asyncio.run(_with_store(settings, edge_cli.register(args))))
    elif args.command == "create-indexes":
        asyncio.run(_with_store(settings, ensure_indexes))
    elif args.command == "seed":
        print(asyncio.run(_with_store(settings, seed)))
    elif args.command == "export-schema":
        SCHEMA_FILE.write_text(sdl())
        print(f"wrote {SCHEMA_FILE}")
    elif args.command == "send-email":
        if not settings.smtp_host:
            sys.exit("SMTP_HOST is not set: queued emails stay in the outbox")
        print(asyncio.run(_with_store(settings, lambda s: mailer.send_queued(s, settings, now))), "sent")
    elif args.command == "check-schema":
        if not SCHEMA_FILE.exists() or SCHEMA_FILE.read_text() != sdl():
            sys.exit("schema/schema.graphql is out of date: run `python -m resolvers.cli export-schema`")
        print("schema/schema.graphql is up to date")
    elif args.command == "worker":
        asyncio.run(_with_store(settings, lambda s: Worker(s, settings).run_forever(settings.scheduler_poll_seconds)))
    elif args.command == "run-due":
        until = args.until or now
        if until.tzinfo is None:
            sys.exit("--until needs a time zone, e.g. 2027-03-01T00:00:00Z")
        ran = asyncio.run(_with_store(settings, lambda s: Worker(s, settings, clock=FixedClock(until)).run_due()))
        print(f"ran {ran} due jobs as of {until.isoformat()}")


if __name__ == "__main__":
    main()
