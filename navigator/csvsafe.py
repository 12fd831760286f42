"""Cells of CSV files that people open in spreadsheet programs."""

from __future__ import annotations

from typing import Any

# A cell starting with one of these is run as a formula by spreadsheet
# programs (OWASP "CSV injection"); names and reasons are typed by people.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """``value``, with text that would start a formula made plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
