"""Who billing's automatic steps are recorded as (a module of its own: imported by the invoice and
collection modules, which import each other through the money context)."""

from __future__ import annotations

SYSTEM = {"type": "SYSTEM", "id": None, "name": "Billing"}
