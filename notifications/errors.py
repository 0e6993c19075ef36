"""The one input error of this app: what was wrong, and with which field (for a 400)."""

from __future__ import annotations


class FieldError(ValueError):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message
