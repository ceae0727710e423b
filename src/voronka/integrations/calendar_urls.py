"""The iCalendar feed (``/calendar/<token>.ics``, no sign-in) and the user's page that manages its address."""

from django.urls import path

from voronka.integrations import account_views, public_views

app_name = "calendar"

urlpatterns = [
    path("calendar/<str:token>.ics", public_views.calendar_feed, name="feed"),
    path("account/calendar/", account_views.calendar_page, name="settings"),
]
