"""One CSV cell, as every CSV the inspector writes spells it: never read as a formula by a
spreadsheet, and writable as UTF-8."""

from __future__ import annotations

from .paths import without_undecodable

# What a spreadsheet reads as the start of a formula (OWASP's CSV injection page and ASVS 5.0
# requirement 1.2.10: = + - @, tab, carriage return, NUL), full-width forms included: some
# spreadsheets fold them to their ASCII twins.
_FORMULA_STARTS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
_CONTROL_STARTS = ("\t", "\r", "\n", "\0")
# The ASCII characters a cell needs a look at when it starts with one: a formula character,
# NUL, or white space (which spreadsheets skip, and ``str.lstrip`` strips).
_ASCII_TO_LOOK_AT = frozenset("=+-@\0") | {c for c in map(chr, range(128)) if c.isspace()}


def csv_boolean(value: bool | None) -> str:
    """Return a boolean as every CSV export writes it: ``true``, ``false`` (as JSON does), or
    an empty cell for a value that is not known."""
    return "" if value is None else ("true" if value else "false")


def csv_safe(value: object) -> str:
    """Return ``value`` as a cell a spreadsheet will never evaluate as a formula.

    A cell that starts with a formula character (after any white space, which spreadsheets
    skip), or with a tab, a line break or a NUL, gets a leading ``'``.
    """
    text = "" if value is None else str(value)
    if text.isascii() and text[:1] not in _ASCII_TO_LOOK_AT:  # most cells: one C scan
        return text
    stripped = text.lstrip()
    if text.startswith(_CONTROL_STARTS) or (stripped and stripped[0] in _FORMULA_STARTS):
        return "'" + text
    return text


def csv_cell(value: object) -> str:
    """Return ``value`` as a CSV cell: formula-safe, a name that is not UTF-8 with its bytes
    shown as ‹0xFF› (a spreadsheet gets what UTF-8 can write). Most cells are ASCII and start
    with neither a formula character nor space: they are as they are."""
    text = value if type(value) is str else "" if value is None else str(value)
    if text.isascii() and text[:1] not in _ASCII_TO_LOOK_AT:  # as csv_safe's first test
        return text
    return csv_safe(without_undecodable(text))
