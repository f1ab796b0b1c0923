import functools
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse

from careloop import ipaddresses
from careloop.accounts import audit, clientaddress
from careloop.accounts.roles import Role

GetResponse = Callable[[HttpRequest], HttpResponseBase]
SESSION_REFRESHED = "careloop_refreshed"


class _IdentifiedRequest(HttpRequest):
    """Django's request as RequestContextMiddleware leaves it (a type only; no instance is made)."""

    request_id: str


@functools.cache
def _trusted_proxies(cidrs: tuple[str, ...]) -> tuple[ipaddresses.Network, ...]:
    return clientaddress.parse_networks(cidrs)


def trusted_proxies() -> tuple[ipaddresses.Network, ...]:
    return _trusted_proxies(tuple(settings.TRUSTED_PROXIES))


def client_ip(request: HttpRequest) -> str:
    """The client's address; X-Forwarded-For is believed only from CARELOOP_TRUSTED_PROXIES."""
    return clientaddress.client_address(
        request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_X_FORWARDED_FOR", ""), trusted_proxies()
    )


def request_id_for(request: HttpRequest) -> str:
    """A trusted proxy's X-Request-ID in the strict format, or a fresh one."""
    supplied = request.META.get("HTTP_X_REQUEST_ID", "")
    kept = clientaddress.request_id(request.META.get("REMOTE_ADDR", ""), supplied, trusted_proxies())
    return kept or str(uuid.uuid4())


class RequestContextMiddleware:
    """Gives each request an id and makes who/where available to the audit trail."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: _IdentifiedRequest) -> HttpResponseBase:
        request.request_id = request_id_for(request)
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


class SessionRefreshMiddleware:
    """Saves a signed-in session at most once every SESSION_REFRESH_SECONDS, so that its expiry (the idle
    timeout, SESSION_COOKIE_AGE from the last save) moves on while the user is active, without a session
    write on every page view. Must come after SessionMiddleware and AuthenticationMiddleware."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        session = request.session
        if request.user.is_authenticated and session.session_key is not None:
            now = time.time()
            if now - session.get(SESSION_REFRESHED, 0.0) >= settings.SESSION_REFRESH_SECONDS:
                session[SESSION_REFRESHED] = now  # marks the session modified: SessionMiddleware saves it
        return response


class SecondFactorMiddleware:
    """Administrators, audit reviewers and superusers must enrol a TOTP second factor first, if so set.

    These are the three powers kept apart (三员分立): each can change or read what no clinician can.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = request.user
        if (
            settings.REQUIRE_ADMIN_2FA
            and user.is_authenticated
            and (user.role in (Role.ADMIN, Role.AUDITOR) or user.is_superuser)
            and not user.totp_confirmed
        ):
            allowed = (reverse("accounts:totp_setup"), reverse("accounts:logout"), reverse("set_language"))
            if request.path not in allowed and not request.path.startswith(settings.STATIC_URL):
                return redirect("accounts:totp_setup")
        return self.get_response(request)
