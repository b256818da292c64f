"""Loaders of the wallet context: payment instruments by id and by customer."""

from __future__ import annotations

from strawberry.dataloader import DataLoader

from resolvers.loaders import Loaders, loader
from resolvers.nodes import register_node
from schema.wallet.payment_instruments import PaymentInstrument
from store.wallet import payment_instruments


@loader
def payment_instrument_by_id(loaders: Loaders) -> DataLoader[str, PaymentInstrument | None]:
    org, t = loaders.org, loaders.now

    async def load(ids: list[str]) -> list[PaymentInstrument | None]:
        docs = await payment_instruments.get_many(org, ids)
        return [PaymentInstrument.from_doc(d, t) if d else None for d in docs]

    return DataLoader(load)


@loader
def payment_instruments_by_customer_id(loaders: Loaders) -> DataLoader[str, list[PaymentInstrument]]:
    """A customer's instruments; each is also primed into `payment_instrument_by_id`."""
    org, t = loaders.org, loaders.now

    async def load(ids: list[str]) -> list[list[PaymentInstrument]]:
        lists = await payment_instruments.by_customers(org, ids)
        out = [[PaymentInstrument.from_doc(d, t) for d in docs] for docs in lists]
        by_id = loaders.payment_instrument_by_id
        for items in out:
            for inst in items:
                by_id.prime(str(inst.id), inst)
        return out

    return DataLoader(load)


register_node("PaymentInstrument", lambda ctx, i: ctx.loaders.payment_instrument_by_id.load(i))
