"""Incoming machine hooks under ``/integrations/``: they authenticate by the secret in the URL."""

from django.urls import path

from voronka.integrations import public_views

app_name = "integrations"

urlpatterns = [
    path("telephony/<str:token>/", public_views.telephony_webhook, name="telephony"),
]
