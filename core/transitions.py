"""The one transition-table helper every status field uses.

A model declares ``TRANSITIONS = TransitionTable({...})`` and mixes in
``StatusMachine``; services call ``obj.transition_to(new)`` (which refuses an
illegal move with a ``TransitionError``) or ``obj.can_transition_to(new)``.
Conditional claims (``UPDATE ... WHERE status IN (...)``) read the sources of a
target from the same table with ``sources_of``, so the table stays the truth.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _

from .exceptions import DomainError


class TransitionError(DomainError):
    """An illegal status move; the message is safe to show."""


class TransitionTable(Mapping[str, frozenset[str]]):
    """``state -> states it may move to``; every target must itself be a state."""

    def __init__(self, table: Mapping[str, Iterable[str]]) -> None:
        self._table: dict[str, frozenset[str]] = {
            str(state): frozenset(str(t) for t in targets) for state, targets in table.items()
        }
        unknown = {t for targets in self._table.values() for t in targets} - set(self._table)
        if unknown:
            raise ValueError(f"transition targets without a row of their own: {sorted(unknown)}")

    def __getitem__(self, state: str) -> frozenset[str]:
        return self._table[str(state)]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)

    def allows(self, from_state: str, to_state: str) -> bool:
        return str(to_state) in self._table.get(str(from_state), frozenset())

    def sources_of(self, to_state: str) -> frozenset[str]:
        """Every state from which ``to_state`` may be reached."""
        return frozenset(s for s, targets in self._table.items() if str(to_state) in targets)

    def terminal(self) -> frozenset[str]:
        return frozenset(s for s, targets in self._table.items() if not targets)


class StatusMachine:
    """Mixin for a model whose status moves only along ``TRANSITIONS``."""

    TRANSITIONS: ClassVar[TransitionTable]
    STATUS_FIELD: ClassVar[str] = "status"

    def can_transition_to(self, new_status: str) -> bool:
        return self.TRANSITIONS.allows(getattr(self, self.STATUS_FIELD), new_status)

    def transition_to(self, new_status: str) -> str:
        """Set the new status (unsaved) or raise ``TransitionError``; returns the old one."""
        old = str(getattr(self, self.STATUS_FIELD))
        if not self.can_transition_to(new_status):
            raise TransitionError(
                _("%(what)s cannot go from %(from)s to %(to)s.")
                % {
                    "what": self._status_subject(),
                    "from": self._status_label(old),
                    "to": self._status_label(new_status),
                },
                code="bad_transition",
            )
        setattr(self, self.STATUS_FIELD, new_status)
        return old

    def _status_subject(self) -> Any:
        meta = getattr(self, "_meta", None)
        return str(meta.verbose_name).capitalize() if meta is not None else type(self).__name__

    def _status_label(self, value: str) -> str:
        meta = getattr(self, "_meta", None)
        if meta is None:
            return value
        choices = dict(meta.get_field(self.STATUS_FIELD).flatchoices)
        return str(choices.get(value, value))
