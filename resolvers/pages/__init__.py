"""Customer-facing pages: Jinja2 templates (autoescape on) on one base layout, rendered with the
security headers every page carries. Templates live in `templates/<context>/`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

ENV = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True)
TEMPLATES = Jinja2Templates(env=ENV)

HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # No scripts at all (the pages work without JavaScript), no third-party anything; forms post back here.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    response = TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)
    response.headers.update(HEADERS)
    return response
