"""Exchange rates as staff see them: django-money's rate sources, under Clinics in the admin."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from djmoney.contrib.exchange.models import ExchangeBackend


class ExchangeRateSource(ExchangeBackend):
    """One source of rates (a provider, or ``staff``) and its ``rates`` (clinics.money).

    A proxy: the rows are django-money's; this only gives them a name and a place
    in our admin, next to the offerings whose USD equivalents they set.
    """

    class Meta:
        proxy = True
        verbose_name = _("exchange rate source")
        verbose_name_plural = _("exchange rates")

    def __str__(self) -> str:
        return str(self.name)
