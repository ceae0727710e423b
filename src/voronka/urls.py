"""Root URL configuration."""

from django.contrib import admin
from django.urls import include, path

from voronka.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("voronka.web.urls")),
]
