from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from core.admin_access import admin_login_guard, may_use_admin

# The admin logs in through allauth, so staff pass the same rate limits and the
# second factor (allauth.mfa) as everyone else.
admin.site.login = secure_admin_login(  # type: ignore[method-assign]
    admin_login_guard(admin.site.login)
)
# Back-office roles only; clinic staff never, even with is_staff set (core.admin_access).
admin.site.has_permission = may_use_admin  # type: ignore[method-assign]
admin.site.site_header = _("Concierge administration")
admin.site.site_title = _("Concierge admin")
admin.site.index_title = _("Run the concierge")

urlpatterns = [
    # The front page is the whole site's (it leads to the directory and the intake), so it
    # lives here at the top with the layout (templates/base.html), not in any one app.
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("", include("core.urls")),
    path("accounts/", include("allauth.urls")),
    path("clinics/", include("clinics.urls")),
    path("portal/cases/", include("intake.portal_urls")),
    path("portal/follow-ups/", include("followups.portal_urls")),
    path("follow-up/", include("followups.urls")),
    # Before clinics' portal: /portal/<slug>/consultations/... and friends.
    path("portal/", include("consultations.portal_urls")),
    path("portal/", include("clinics.portal_urls")),
    path("consultations/", include("consultations.urls")),
    path("intake/", include("intake.urls")),
    path(settings.ADMIN_URL, admin.site.urls),
]
