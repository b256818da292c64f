"""The loader registry: `@loader` factories of each domain, built lazily per request (see context.py)."""

from __future__ import annotations

from resolvers.context import Loaders, loader

__all__ = ["Loaders", "loader"]
