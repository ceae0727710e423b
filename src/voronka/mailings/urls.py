"""Routes of mailings outside the settings: the send dialogs, a client's sequences, the public email links."""

from django.urls import path

from voronka.mailings import views

app_name = "mailings"

urlpatterns = [
    path("deals/<int:deal_id>/email/", views.deal_send, name="deal_send"),
    path("clients/<int:client_id>/email/", views.client_send, name="client_send"),
    path("clients/<int:client_id>/sequences/", views.client_sequences, name="client_sequences"),
    path("m/c/<str:token>/", views.track, name="track"),
    path("m/u/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
