"""The notification centre: ``/notifications/`` and the user's preferences (user menu › Notifications)."""

from django.urls import path

from voronka.automation import views

app_name = "automation"

urlpatterns = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/read/", views.notification_read, name="read"),
    path("notifications/read-all/", views.notification_read_all, name="read_all"),
    path("account/notifications/", views.preferences, name="preferences"),
]
