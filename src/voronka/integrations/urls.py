"""Public web forms: ``/forms/<slug>/`` (no sign-in)."""

from django.urls import path

from voronka.integrations import public_views

app_name = "forms"

urlpatterns = [
    path("<slug:slug>/", public_views.lead_form_page, name="page"),
]
