"""Card-number rules shared by everything that sees a card number (instruments, the hosted payment
page, the API-log redaction): digits, Luhn check, brand from BIN ranges. Pure functions."""

from __future__ import annotations

import re

from stdnum import luhn

# (brand, prefix length, lowest prefix, highest prefix, allowed lengths); first match wins.
BIN_RANGES: list[tuple[str, int, int, int, range]] = [
    ("AMERICAN_EXPRESS", 2, 34, 34, range(15, 16)),
    ("AMERICAN_EXPRESS", 2, 37, 37, range(15, 16)),
    ("DINERS_CLUB", 3, 300, 305, range(14, 20)),
    ("DINERS_CLUB", 2, 36, 36, range(14, 20)),
    ("DINERS_CLUB", 2, 38, 39, range(14, 20)),
    ("JCB", 4, 3528, 3589, range(16, 20)),
    ("VISA", 1, 4, 4, range(13, 20)),
    ("MASTERCARD", 2, 51, 55, range(16, 17)),
    ("MASTERCARD", 4, 2221, 2720, range(16, 17)),
    ("DISCOVER", 4, 6011, 6011, range(16, 20)),
    ("DISCOVER", 3, 644, 649, range(16, 20)),
    ("DISCOVER", 2, 65, 65, range(16, 20)),
    ("UNIONPAY", 2, 62, 62, range(16, 20)),
    ("MAESTRO", 4, 6304, 6304, range(12, 20)),
    ("MAESTRO", 2, 50, 50, range(12, 20)),
    ("MAESTRO", 2, 56, 58, range(12, 20)),
    ("MAESTRO", 2, 67, 67, range(12, 20)),
]
BRAND_NAMES = {
    "VISA": "Visa",
    "MASTERCARD": "Mastercard",
    "AMERICAN_EXPRESS": "American Express",
    "DISCOVER": "Discover",
    "JCB": "JCB",
    "DINERS_CLUB": "Diners Club",
    "UNIONPAY": "UnionPay",
    "MAESTRO": "Maestro",
}


def digits(raw: str) -> str:
    """A card number as typed (spaces and dashes allowed) reduced to its characters without separators."""
    return re.sub(r"[\s\-]", "", raw)


def luhn_ok(number: str) -> bool:
    return number.isdigit() and luhn.is_valid(number)


def is_card_number(number: str) -> bool:
    """12 to 19 digits passing the Luhn check (brand not required)."""
    return number.isdigit() and 12 <= len(number) <= 19 and luhn.is_valid(number)


def card_brand(number: str) -> str | None:
    """The brand whose BIN range and lengths the number fits, or None."""
    for brand, size, low, high, lengths in BIN_RANGES:
        if low <= int(number[:size]) <= high and len(number) in lengths:
            return brand
    return None
