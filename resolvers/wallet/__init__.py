"""The wallet context: payment instruments and their details."""

from resolvers.wallet import loaders
from resolvers.wallet.payment_instruments import PaymentInstrumentMutations
from schema.wallet.payment_instruments import SCALARS, PaymentInstrument

__all__ = ["SCALARS", "PaymentInstrument", "PaymentInstrumentMutations", "loaders"]
