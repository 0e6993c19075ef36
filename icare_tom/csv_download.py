"""CSV files people download and open in a spreadsheet.

A text cell that starts like a formula (``=``, ``+``, ``-``, ``@``, a tab or a carriage
return) would be run by the spreadsheet (``=HYPERLINK(...)`` in a target name, a comment, a
facility's message): such cells get a leading apostrophe, which spreadsheets show as text.
Numbers, and text that reads as a number (``-21.4``), are written unchanged, so the files stay
exact for scientific readers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value


class DownloadWriter:
    """``csv.writer`` whose rows pass through :func:`spreadsheet_safe`."""

    def __init__(self, stream) -> None:
        self._writer = csv.writer(stream)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([spreadsheet_safe(value) for value in row])
