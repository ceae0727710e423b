"""Public web forms: ``/forms/<slug>/`` (no sign-in) and the fill-time stamp of the embeddable snippet."""

from django.urls import path

from voronka.integrations import public_views

app_name = "forms"

urlpatterns = [
    path("<slug:slug>/", public_views.lead_form_page, name="page"),
    path("<slug:slug>/token", public_views.lead_form_token, name="token"),
]
