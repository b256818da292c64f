"""The money context: gateway accounts, transactions, payment links, payouts and payout requests."""
