"""Input checks shared by mutations: each adds every problem it finds to a `Problems`, then returns
the normalised value to store. Pure functions: no I/O."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

import orjson
import phonenumbers
import pycountry
from email_validator import EmailNotValidError, validate_email

from schema.common import Problems, UserErrorCode
from store.ids import PREFIXES

Path = list[str | int]
ID_RE = re.compile(r"^[@~\-.\w]+$")
MAX_ID = 50
MAX_LIST = 10
MAX_CUSTOM_FIELDS_BYTES = 16 * 1024


def text(problems: Problems, path: Path, value: str | None, max_len: int, *, required: bool = False) -> str | None:
    """Trims; empty becomes None. Checks the length limit."""
    if value is None:
        if required:
            problems.add(path, "is required", UserErrorCode.REQUIRED)
        return None
    value = value.strip()
    if not value:
        if required:
            problems.add(path, "is required", UserErrorCode.REQUIRED)
        return None
    if len(value) > max_len:
        problems.add(path, f"is {len(value)} characters long; the limit is {max_len}", UserErrorCode.TOO_LONG)
    return value


def country(problems: Problems, path: Path, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    code = value.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        problems.add(path, f"{value!r} is not an ISO 3166-1 alpha-2 country code", UserErrorCode.INVALID_COUNTRY)
        return None
    return code


def merchant_id(problems: Problems, path: Path, value: str) -> str:
    if len(value) > MAX_ID:
        problems.add(path, f"is {len(value)} characters long; the limit is {MAX_ID}", UserErrorCode.TOO_LONG)
    elif not ID_RE.fullmatch(value):
        problems.add(path, "may contain only letters, digits and @ ~ - . _", UserErrorCode.INVALID)
    head, sep, _ = value.partition("_")
    if sep and head in PREFIXES:
        problems.add(path, f"ids starting with `{head}_` are reserved for generated ids", UserErrorCode.RESERVED_ID)
    return value


def date_of_birth(problems: Problems, path: Path, value: date | None, today: date) -> str | None:
    if value is None:
        return None
    if value > today:
        problems.add(path, "is in the future", UserErrorCode.DATE_IN_FUTURE)
    elif value.year < 1900:
        problems.add(path, "is before 1900", UserErrorCode.INVALID)
    return value.isoformat()


def address(problems: Problems, path: Path, value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    out = {
        "line1": text(problems, [*path, "line1"], value.line1, 60),
        "line2": text(problems, [*path, "line2"], value.line2, 60),
        "city": text(problems, [*path, "city"], value.city, 45),
        "region": text(problems, [*path, "region"], value.region, 45),
        "country": country(problems, [*path, "country"], value.country),
        "postalCode": text(problems, [*path, "postalCode"], value.postal_code, 10),
    }
    if out["postalCode"] and not re.fullmatch(r"[\w\s\-]+", out["postalCode"]):
        problems.add([*path, "postalCode"], "may contain only letters, digits, spaces and -", UserErrorCode.INVALID)
    out = {k: v for k, v in out.items() if v is not None}
    return out or None


def _primaries(problems: Problems, path: Path, items: list[dict[str, Any]], flags: Sequence[bool | None], what: str) -> None:
    """Exactly one primary: a lone item is primary unless it says otherwise."""
    if not items:
        return
    if len(items) == 1 and flags[0] is None:
        items[0]["primary"] = True
        return
    count = sum(1 for f in flags if f)
    if count != 1:
        problems.add(path, f"exactly one {what} must be primary (found {count})", UserErrorCode.PRIMARY_REQUIRED)
    for item, flag in zip(items, flags, strict=True):
        item["primary"] = bool(flag)


def email(problems: Problems, path: Path, value: str) -> str:
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        problems.add(path, f"{value!r} is not a valid email address: {exc}", UserErrorCode.INVALID_EMAIL)
        return value


def phone(problems: Problems, path: Path, value: str, region: str | None) -> str:
    try:
        parsed = phonenumbers.parse(value, region)
        if not phonenumbers.is_valid_number(parsed):
            raise phonenumbers.NumberParseException(0, "not a valid number")
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        hint = "" if value.strip().startswith("+") else " (give it in international form, +country code)"
        problems.add(path, f"{value!r} is not a valid phone number{hint}", UserErrorCode.INVALID_PHONE)
        return value


def email_list(problems: Problems, path: Path, items: Sequence[Any]) -> list[dict[str, Any]]:
    return _contact_list(problems, path, items, "email", lambda p, v: email(problems, p, v))


def phone_list(problems: Problems, path: Path, items: Sequence[Any], region: str | None) -> list[dict[str, Any]]:
    return _contact_list(problems, path, items, "phone number", lambda p, v: phone(problems, p, v, region))


def _contact_list(problems: Problems, path: Path, items: Sequence[Any], what: str, normalise: Any) -> list[dict[str, Any]]:
    if len(items) > MAX_LIST:
        problems.add(path, f"has {len(items)} items; the limit is {MAX_LIST}", UserErrorCode.TOO_MANY)
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        value = normalise([*path, i, "value"], item.value)
        label = text(problems, [*path, i, "label"], item.label, 45) or "main"
        key = value.lower()
        if key in seen:
            problems.add([*path, i, "value"], f"{value} appears twice", UserErrorCode.DUPLICATE)
        seen.add(key)
        out.append({"value": value, "label": label, "primary": False})
    _primaries(problems, path, out, [item.primary for item in items], what)
    return out


def custom_fields(problems: Problems, path: Path, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.add(path, "must be a JSON object", UserErrorCode.INVALID)
        return {}
    size = len(orjson.dumps(value))
    if size > MAX_CUSTOM_FIELDS_BYTES:
        problems.add(path, f"is {size} bytes as JSON; the limit is {MAX_CUSTOM_FIELDS_BYTES}", UserErrorCode.TOO_LONG)
    if any(k.startswith("$") or "." in k for k in value):
        problems.add(path, "keys may not start with $ or contain a dot", UserErrorCode.INVALID)
    return value
