"""Panels a higher app adds to the patient's case page.

The case page renders each registered panel's template with the context its
callable builds for this request and case. An app above ``intake`` registers
its panels from its ``AppConfig.ready()``, so this app never names another
app's URLs or templates. The callable runs after the page authorised the case
(``selectors.patient_case_or_404``); it must read only that case's data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .models import Case


@dataclass(frozen=True)
class CasePanel:
    key: str
    template: str
    context: Callable[[HttpRequest, Case], Mapping[str, Any]]
    order: int = 100


@dataclass(frozen=True)
class RenderedPanel:
    key: str
    template: str
    context: Mapping[str, Any]


_REGISTRY: dict[str, CasePanel] = {}


def case_panel_register(panel: CasePanel) -> None:
    """Add (or, on re-import, replace) a panel by its key."""
    _REGISTRY[panel.key] = panel


def case_panels_for(request: HttpRequest, case: Case) -> list[RenderedPanel]:
    """Every registered panel with its context for ``case``, in order."""
    panels = sorted(_REGISTRY.values(), key=lambda p: (p.order, p.key))
    return [RenderedPanel(p.key, p.template, p.context(request, case)) for p in panels]
