"""The wallet context: payment instruments (cards, bank accounts, other methods) and their details."""
