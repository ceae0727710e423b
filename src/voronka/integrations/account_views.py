"""The user's own calendar address page (user menu › Calendar): create, rotate, revoke."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from voronka.integrations.calendar import active_feed, create_feed, revoke_feed


@login_required
@require_http_methods(["GET", "POST"])
def calendar_page(request):
    """GET: the address's state; POST ``action=create`` makes a new one (shown once on this answer, the old
    one stops working), ``action=revoke`` stops it."""
    created_url = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "revoke":
            if revoke_feed(actor=request.user) is not None:
                messages.success(request, _("The calendar address is revoked: calendars get nothing from it."))
            return redirect("calendar:settings")
        if action != "create":
            messages.error(request, _("Unknown action."))
            return redirect("calendar:settings")
        _feed, token = create_feed(actor=request.user)
        created_url = request.build_absolute_uri(reverse("calendar:feed", args=[token]))
    response = render(request, "integrations/calendar.html",
                      {"feed": active_feed(actor=request.user), "created_url": created_url})
    response["Cache-Control"] = "no-store"  # the page may carry the secret address
    return response
