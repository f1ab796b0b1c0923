"""System checks for the MLLP listener's settings (CARELOOP_MLLP_*); run with `careloop check --deploy`.

A listener configured for this machine only (CARELOOP_MLLP_HOST on loopback, the default) is not
reported: installations that take no HL7 v2 over MLLP, or put a TLS proxy in front, hear nothing.
"""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from careloop.observations.sources.hl7v2.limits import MIB, ListenerLimits
from careloop.observations.sources.hl7v2.peers import PeerAllowlist, exposure_warnings


@register("careloop")
def mllp_settings_are_usable(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    try:
        PeerAllowlist.parse(settings.MLLP_ALLOWED_PEERS)
    except ValueError as error:
        problems.append(Error(f"CARELOOP_MLLP_ALLOWED_PEERS: {error}.", id="careloop.mllp.E001"))
    if bool(settings.MLLP_TLS_CERT) != bool(settings.MLLP_TLS_KEY) or (
        settings.MLLP_TLS_CLIENT_CA and not settings.MLLP_TLS_CERT
    ):
        problems.append(
            Error(
                "MLLP TLS needs CARELOOP_MLLP_TLS_CERT and CARELOOP_MLLP_TLS_KEY together "
                "(and both for CARELOOP_MLLP_TLS_CLIENT_CA).",
                id="careloop.mllp.E002",
            )
        )
    try:
        ListenerLimits(
            idle_timeout=settings.MLLP_IDLE_TIMEOUT_SECONDS,
            frame_timeout=settings.MLLP_FRAME_TIMEOUT_SECONDS,
            max_message_bytes=settings.MLLP_MAX_MESSAGE_MB * MIB,
            max_connections=settings.MLLP_MAX_CONNECTIONS,
            max_buffered_bytes=settings.MLLP_MAX_BUFFERED_MB * MIB,
        )
    except ValueError as error:
        problems.append(Error(f"CARELOOP_MLLP_* limits: {error}.", id="careloop.mllp.E003"))
    if settings.MLLP_MAX_SEGMENTS <= 0:
        problems.append(Error("CARELOOP_MLLP_MAX_SEGMENTS must be positive.", id="careloop.mllp.E003"))
    return problems


@register("careloop", deploy=True)
def mllp_exposure(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """W001: reachable from the network by any address; W002: reachable from the network without TLS."""
    try:
        allowlist = PeerAllowlist.parse(settings.MLLP_ALLOWED_PEERS)
    except ValueError:
        return []  # E001 says it
    tls = bool(settings.MLLP_TLS_CERT and settings.MLLP_TLS_KEY)
    ids = {"peers": "careloop.mllp.W001", "tls": "careloop.mllp.W002"}
    found = exposure_warnings(settings.MLLP_HOST, allowlist, tls)
    return [Warning(text, id=ids[kind]) for kind, text in found.items()]
