"""The public page of an after-sales survey link (``/survey/<token>/``): no sign-in, the token is the key."""

from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from . import views

app_name = "survey"

# A client answers from his mailbox without a session: the secret token in the URL authorises the one answer.
urlpatterns = [path("<str:token>/", csrf_exempt(views.survey_answer), name="answer")]
