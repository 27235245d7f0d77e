from __future__ import annotations

from django.utils.functional import Promise


class DomainError(Exception):
    """A business rule said no. The message is safe to show to the user."""

    def __init__(self, message: str | Promise, *, code: str = "invalid") -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return str(self.message)
