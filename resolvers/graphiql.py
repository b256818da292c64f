"""GraphiQL served from local assets (graphiql/node_modules), so the IDE works with no internet.

Strawberry's page loads React, GraphiQL and the Explorer plugin from unpkg.com with SRI hashes; the
npm tarballs pinned in graphiql/package.json are byte-identical, so the hashes stay valid.
"""

from __future__ import annotations

import re
from pathlib import Path

ASSETS_DIR = Path(__file__).resolve().parent.parent / "graphiql" / "node_modules"
ASSETS_PREFIX = "/graphiql-assets"
_UNPKG = re.compile(r"https://unpkg\.com/((?:@[^/@\"]+/)?[^/@\"]+)@[^/\"]+/")


def local_html(html: str) -> str:
    return _UNPKG.sub(lambda m: f"{ASSETS_PREFIX}/{m.group(1)}/", html)


def assets_available() -> bool:
    return (ASSETS_DIR / "graphiql" / "graphiql.min.js").exists()
