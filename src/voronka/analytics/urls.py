from django.urls import path

from . import views

app_name = "analytics"

urlpatterns = [
    path("", views.index, name="index"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/<slug:kind>/", views.dashboard, name="dashboard_kind"),
    path("<slug:name>/", views.report_page, name="report"),
    path("<slug:name>/export/", views.report_export, name="export"),
]
