"""Input checks shared by mutations: each adds every problem it finds to a `Problems`, then returns
the normalised value to store. Pure functions: no I/O."""

from __future__ import annotations

import re
import unicodedata
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


# ---------------------------------------------------------------------------------------------- text hygiene
# Every free text the gateway stores (names, notes, descriptions, references, labels, filenames, tag
# names) goes through `clean_text`: NFC-normalised (so "e\u0301" and "é" are the same name), no
# control characters (only tab and line breaks, and only in multi-line text), no bidirectional
# overrides/isolates (which make `invoice<U+202E>fdp.exe` display as `invoiceexe.pdf`), and card numbers
# (13-19 digits passing Luhn, spaces or dashes allowed) masked to their last four digits (PCI DSS: no
# PAN in free text).

_CONTROL_SINGLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_MULTI = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BIDI = re.compile(r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NONCHAR = re.compile(r"[\ufdd0-\ufdef\ufffe\uffff]")
_PAN = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])", re.ASCII)


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def mask_card_numbers(value: str) -> str:
    """`4111 1111 1111 1111` → `•••• •••• •••• 1111`; other digit runs stay."""

    def mask(match: re.Match[str]) -> str:
        run = match.group(0)
        digits = re.sub(r"[ -]", "", run)
        if not 13 <= len(digits) <= 19 or not luhn_ok(digits):
            return run
        keep = len(run) - 4
        return "".join("•" if ch.isdigit() and i < keep else ch for i, ch in enumerate(run))

    return _PAN.sub(mask, value) if len(value) >= 13 else value


def clean_text(problems: Problems, path: Path, value: str, *, multiline: bool = False) -> str:
    """The stored form of a free text: NFC, line breaks normalised, card numbers masked; control
    characters and bidi controls are refused (`INVALID_CHARACTERS`)."""
    value = unicodedata.normalize("NFC", value)
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    control = (_CONTROL_MULTI if multiline else _CONTROL_SINGLE).search(value)
    bidi = _BIDI.search(value) or _NONCHAR.search(value)
    if control or bidi:
        bad = (control or bidi).group(0)  # type: ignore[union-attr]
        what = "control characters" if control else "bidirectional controls or non-characters"
        allowed = " (only tabs and line breaks)" if multiline else ""
        problems.add(path, f"contains {what} such as U+{ord(bad):04X}{allowed}; remove them",
                     UserErrorCode.INVALID_CHARACTERS)
    return mask_card_numbers(value)


def text(
    problems: Problems, path: Path, value: str | None, max_len: int, *, required: bool = False,
    multiline: bool = False,
) -> str | None:
    """Trims; empty becomes None. Cleans (`clean_text`) and checks the length limit."""
    if value is None:
        if required:
            problems.add(path, "is required", UserErrorCode.REQUIRED)
        return None
    value = value.strip()
    if not value:
        if required:
            problems.add(path, "is required", UserErrorCode.REQUIRED)
        return None
    value = clean_text(problems, path, value, multiline=multiline)
    if len(value) > max_len:
        problems.add(path, f"is {len(value)} characters long; the limit is {max_len}", UserErrorCode.TOO_LONG)
    return value


MAX_FILENAME = 255


def safe_filename(name: str | None) -> str:
    """A file name to store where the input was already accepted (no problem to report): the same
    hygiene as `filename`, with control and bidi characters dropped instead of refused, cut to 255."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFC", base)
    base = _NONCHAR.sub("", _BIDI.sub("", _CONTROL_SINGLE.sub("", base))).strip()
    return mask_card_numbers(base)[:MAX_FILENAME] or "file"


def filename(problems: Problems, path: Path, name: str | None) -> str:
    """An uploaded file's name: its last path segment, cleaned like any text, ≤ 255 characters."""
    base = re.split(r"[\\/]", name or "")[-1].strip()
    if not base:
        return "file"
    base = clean_text(problems, path, base)
    if len(base) > MAX_FILENAME:
        problems.add(path, f"the file name is {len(base)} characters long; the limit is {MAX_FILENAME}",
                     UserErrorCode.TOO_LONG)
    return base


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


MAX_CUSTOM_FIELDS_DEPTH = 5
MAX_CUSTOM_FIELD_KEY = 64
INT64 = (-(2**63), 2**63 - 1)


def custom_fields(problems: Problems, path: Path, value: Any) -> dict[str, Any]:
    """The one check of free-form JSON a document stores (a customer's `customFields`): an object whose
    keys MongoDB can hold (1-64 characters, no NUL, no leading `$`, no `.`), nested at most
    `MAX_CUSTOM_FIELDS_DEPTH` objects/lists deep, numbers within 64-bit integers or finite floats, no
    NUL in strings, at most `MAX_CUSTOM_FIELDS_BYTES` as JSON. Every problem is reported, by path."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.add(path, "must be a JSON object", UserErrorCode.INVALID)
        return {}
    before = len(problems.errors)
    _json_value(problems, path, value, 1)
    if len(problems.errors) > before:
        return {}
    size = len(orjson.dumps(value))
    if size > MAX_CUSTOM_FIELDS_BYTES:
        problems.add(path, f"is {size} bytes as JSON; the limit is {MAX_CUSTOM_FIELDS_BYTES}", UserErrorCode.TOO_LONG)
    return value


def _json_value(problems: Problems, path: Path, value: Any, depth: int) -> None:
    if len(problems.errors) > 50:  # a hostile document: enough reported
        return
    if isinstance(value, dict | list) and depth > MAX_CUSTOM_FIELDS_DEPTH:
        problems.add(path, f"nests deeper than {MAX_CUSTOM_FIELDS_DEPTH} levels", UserErrorCode.INVALID)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if len(problems.errors) > 50:
                return
            if not isinstance(key, str) or not key:
                problems.add(path, "keys must be non-empty strings", UserErrorCode.INVALID)
                continue
            if len(key) > MAX_CUSTOM_FIELD_KEY:
                problems.add([*path, key[:MAX_CUSTOM_FIELD_KEY]], f"key is {len(key)} characters long; the limit "
                             f"is {MAX_CUSTOM_FIELD_KEY}", UserErrorCode.TOO_LONG)
            elif key.startswith("$") or "." in key or "\x00" in key:
                problems.add([*path, key.replace("\x00", "\\0")],
                             "keys may not start with $ or contain a dot or NUL", UserErrorCode.INVALID)
            else:
                _json_value(problems, [*path, key], item, depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _json_value(problems, [*path, i], item, depth + 1)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if not INT64[0] <= value <= INT64[1]:
            problems.add(path, "integers must fit in 64 bits; send larger numbers as strings", UserErrorCode.INVALID)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            problems.add(path, "numbers must be finite", UserErrorCode.INVALID)
    elif isinstance(value, str):
        if "\x00" in value:
            problems.add(path, "may not contain NUL characters", UserErrorCode.INVALID)
    else:
        problems.add(path, "must be JSON (object, list, string, number, boolean or null)", UserErrorCode.INVALID)
