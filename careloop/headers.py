"""Response headers Django does not set itself. Content-Security-Policy, Cross-Origin-Opener-Policy,
Referrer-Policy, HSTS and nosniff come from Django's own middleware and settings (see settings.py)."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase


class PermissionsPolicyMiddleware:
    """`Permissions-Policy: <settings.PERMISSIONS_POLICY>` on every answer that has none of its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.policy: str = settings.PERMISSIONS_POLICY

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if self.policy and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = self.policy
        return response
