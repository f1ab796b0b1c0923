"""A user who must choose a new password (after an administrator's reset, or when theirs grew too old)
reaches nothing else until they have."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse

GetResponse = Callable[[HttpRequest], HttpResponseBase]


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = request.user
        if user.is_authenticated and user.must_change_password and not self._allowed(request.path):
            target = reverse("myaccount:password")
            if getattr(request, "htmx", False):  # a partial swap would show the page inside another
                response = HttpResponse(status=204)
                response["HX-Redirect"] = target
                return response
            return redirect(target)
        return self.get_response(request)

    @staticmethod
    def _allowed(path: str) -> bool:
        # The second-factor enrolment stays open: administrators may be sent there first, and each gate
        # must let the other's page through or the two would send the user back and forth.
        allowed = {
            reverse("myaccount:password"),
            reverse("accounts:logout"),
            reverse("accounts:totp_setup"),
            reverse("set_language"),
        }
        return path in allowed or path.startswith(settings.STATIC_URL)
