"""The money context: gateway and accounts, transactions, payments, refunds, payouts, links, idempotency."""

from resolvers.money import loaders
from resolvers.money.gateway_accounts import GatewayAccountMutations, GatewayAccountQueries
from resolvers.money.payments import PaymentMutations
from resolvers.money.payouts import PayoutMutations, PayoutQueries
from resolvers.money.refunds import RefundMutations
from resolvers.money.transactions import TransactionQueries
from schema.money.gateways import GatewayAccount
from schema.money.payouts import PayoutRequest
from schema.money.transactions import PaymentLink, Transaction

__all__ = [
    "GatewayAccount", "GatewayAccountMutations", "GatewayAccountQueries", "PaymentLink", "PaymentMutations",
    "PayoutMutations", "PayoutQueries", "PayoutRequest", "RefundMutations", "Transaction", "TransactionQueries",
    "loaders",
]
