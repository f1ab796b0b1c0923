"""System checks of the audit trail's settings (`careloop check --deploy`)."""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Warning, register


@register("careloop", deploy=True)
def proxies_are_named(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None) and not settings.TRUSTED_PROXIES:
        return [
            Warning(
                "CARELOOP_BEHIND_PROXY is on but CARELOOP_TRUSTED_PROXIES is empty: the audit trail will "
                "record the proxy's address for every request.",
                hint="Set CARELOOP_TRUSTED_PROXIES to the proxy's address or network, e.g. 127.0.0.1 or "
                "10.0.0.0/24.",
                id="careloop.W031",
            )
        ]
    return []


@register("careloop", deploy=True)
def checkpoints_go_somewhere(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    if settings.AUDIT_CHECKPOINT_DIR is None and not settings.AUDIT_CHECKPOINT_SYSLOG:
        return [
            Warning(
                "Audit checkpoints are written nowhere: a removed chain or removed newest entries would go "
                "unseen by `careloop audit verify`.",
                hint="Set CARELOOP_AUDIT_CHECKPOINT_DIR or CARELOOP_AUDIT_CHECKPOINT_SYSLOG.",
                id="careloop.W032",
            )
        ]
    return []
