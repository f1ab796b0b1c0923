"""The request type staff views receive (for type checking only; no instance is ever made)."""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from careloop.accounts.models import User


class StaffRequest(HttpRequest):
    """A request to a @login_required view: the user is a staff User, HtmxMiddleware has added `htmx`."""

    user: User
    htmx: HtmxDetails
