"""Root URL configuration."""

from django.contrib import admin
from django.urls import include, path

from voronka.core import views as core_views

handler403 = "voronka.web.errors.forbidden"
handler404 = "voronka.web.errors.not_found"
handler500 = "voronka.web.errors.server_error"

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/", include("voronka.api.urls")),
    path("settings/", include("voronka.web.settings_urls")),
    path("forms/", include("voronka.integrations.urls")),
    path("survey/", include("voronka.billing.survey_urls")),
    path("integrations/", include("voronka.integrations.hook_urls")),
    path("export/", include("voronka.integrations.export_urls")),
    path("", include("voronka.integrations.calendar_urls")),
    path("", include("voronka.automation.urls")),
    path("", include("voronka.mailings.urls")),
    path("account/", include("voronka.accounts.urls")),
    path("reports/plans/", include("voronka.plans.urls")),
    path("reports/", include("voronka.analytics.urls")),
    path("", include("voronka.audit.urls")),
    path("", include("voronka.billing.urls")),
    path("", include("voronka.deals.urls")),
    path("", include("voronka.clients.urls")),
    path("", include("voronka.activities.urls")),
    path("", include("voronka.web.urls")),
]
