"""Database-dialect helpers for tests that must pass on PostgreSQL and SQLite."""

from __future__ import annotations

from django.db import connection


def constraint_pattern(constraint: str) -> str:
    """What the database says: PostgreSQL names every constraint; SQLite names CHECK
    constraints but reports a UNIQUE one by its columns."""
    if connection.vendor == "sqlite":
        return f"{constraint}|UNIQUE constraint failed"
    return constraint
