"""Customer-facing pages: HTML opened by customers through shared links (no API key; the link's secret
token establishes the organization). Every page is a Jinja2 template (autoescaping on) extending
`templates/base.html`, one folder per context, and is rendered with `render`, which sets the headers
every such page needs: never cached (the URL holds a token), no referrer, no framing, and a Content
Security Policy that allows no script at all and posts forms only to this gateway."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'",
}

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,  # every template, whatever its name
    undefined=jinja2.StrictUndefined,  # a missing value is a bug, not an empty string
    trim_blocks=True,
    lstrip_blocks=True,
)
TEMPLATES = Jinja2Templates(env=_ENV)


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    """The page `name` (e.g. "money/payment.html") with `context`, and the customer-facing headers."""
    return TEMPLATES.TemplateResponse(request, name, context or {}, status_code=status_code, headers=HEADERS)
