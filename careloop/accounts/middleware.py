import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse

from careloop.accounts import audit
from careloop.accounts.roles import Role

_REQUEST_ID = re.compile(r"^[A-Za-z0-9\-]{8,36}$")

GetResponse = Callable[[HttpRequest], HttpResponseBase]


class _IdentifiedRequest(HttpRequest):
    """Django's request as RequestContextMiddleware leaves it (a type only; no instance is made)."""

    request_id: str


def client_ip(request: HttpRequest) -> str:
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded: str = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()[:45]
    remote: str = request.META.get("REMOTE_ADDR", "")
    return remote[:45]


class RequestContextMiddleware:
    """Gives each request an id and makes who/where available to the audit trail."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: _IdentifiedRequest) -> HttpResponseBase:
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _REQUEST_ID.match(incoming) else str(uuid.uuid4())
        user = request.user if request.user.is_authenticated else None
        token = audit.set_context(
            audit.AuditContext(
                actor=user,
                actor_label=user.username if user else "anonymous",
                ip=client_ip(request),
                request_id=request.request_id,
            )
        )
        try:
            response = self.get_response(request)
        finally:
            audit.reset_context(token)
        response["X-Request-ID"] = request.request_id
        return response


class SecondFactorMiddleware:
    """Administrators must enrol a TOTP second factor before anything else, when so configured."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = request.user
        if (
            settings.REQUIRE_ADMIN_2FA
            and user.is_authenticated
            and (user.role == Role.ADMIN or user.is_superuser)
            and not user.totp_confirmed
        ):
            allowed = (reverse("accounts:totp_setup"), reverse("accounts:logout"), reverse("set_language"))
            if request.path not in allowed and not request.path.startswith(settings.STATIC_URL):
                return redirect("accounts:totp_setup")
        return self.get_response(request)
