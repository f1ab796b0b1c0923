"""careloop mllp --port 2575 --organization CODE — receive HL7 v2 messages over MLLP and answer each
with an ACK. Every limit, the allowed peers and TLS come from settings (CARELOOP_MLLP_*, see
docs/deploy.md) unless an option overrides them."""

import argparse
import logging
import ssl
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections, connections

from careloop.accounts.audit import AuditContext, reset_context, set_context
from careloop.accounts.models import Organization
from careloop.observations.actions import do_import
from careloop.observations.importing.inputs import MessageInput
from careloop.observations.importing.parsed import ParseResult, Problem
from careloop.observations.sources.hl7v2 import ack, tls
from careloop.observations.sources.hl7v2.limits import MIB, ListenerLimits
from careloop.observations.sources.hl7v2.mllp import MllpServer
from careloop.observations.sources.hl7v2.peers import Peer, PeerAllowlist, exposure_warnings

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Listen for HL7 v2 (ORU^R01, ADT^A01/A03/A08) over MLLP; each message is imported and "
        "acknowledged (AA/AE/AR). Defaults come from the CARELOOP_MLLP_* settings (docs/deploy.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=settings.MLLP_HOST, help="address to listen on (%(default)s)")
        parser.add_argument("--port", type=int, default=settings.MLLP_PORT, help="(%(default)s)")
        parser.add_argument(
            "--organization", required=True, help="code of the organization the messages are for"
        )
        peers = parser.add_argument_group("who may connect")
        peers.add_argument(
            "--allow",
            action="append",
            metavar="CIDR",
            help="an address or network allowed to connect, e.g. 10.12.0.0/16; repeat for more. "
            "Others are closed before anything is read. Default: CARELOOP_MLLP_ALLOWED_PEERS "
            f"({', '.join(settings.MLLP_ALLOWED_PEERS) or 'empty: any address, with a warning'})",
        )
        peers.add_argument("--tls-cert", default=settings.MLLP_TLS_CERT, metavar="FILE", help="PEM chain")
        peers.add_argument("--tls-key", default=settings.MLLP_TLS_KEY, metavar="FILE", help="PEM key")
        peers.add_argument(
            "--tls-client-ca",
            default=settings.MLLP_TLS_CLIENT_CA,
            metavar="FILE",
            help="PEM CA: clients must present a certificate it signed (mutual TLS)",
        )
        limits = parser.add_argument_group("limits")
        limits.add_argument(
            "--idle-timeout",
            type=float,
            default=settings.MLLP_IDLE_TIMEOUT_SECONDS,
            metavar="SECONDS",
            help="close a connection that starts no message for this long (%(default)s)",
        )
        limits.add_argument(
            "--frame-timeout",
            type=float,
            default=settings.MLLP_FRAME_TIMEOUT_SECONDS,
            metavar="SECONDS",
            help="close a connection whose message (or TLS handshake) takes longer (%(default)s)",
        )
        limits.add_argument(
            "--max-message-mb",
            type=float,
            default=settings.MLLP_MAX_MESSAGE_MB,
            metavar="MB",
            help="a larger message is answered AR and not kept (%(default)s)",
        )
        limits.add_argument(
            "--max-segments",
            type=int,
            default=settings.MLLP_MAX_SEGMENTS,
            metavar="N",
            help="a message with more segments is answered AE and not read (%(default)s)",
        )
        limits.add_argument(
            "--max-connections",
            type=int,
            default=settings.MLLP_MAX_CONNECTIONS,
            metavar="N",
            help="connections open at once; more are closed on arrival (%(default)s)",
        )
        limits.add_argument(
            "--max-buffered-mb",
            type=float,
            default=settings.MLLP_MAX_BUFFERED_MB,
            metavar="MB",
            help="unfinished messages held across all connections (%(default)s)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        server = listener(options)
        exposure = exposure_warnings(options["host"], server.allowlist, server.tls_context is not None)
        for warning in exposure.values():
            logger.warning(warning)
        self.stdout.write(
            f"Listening for HL7 v2 over MLLP on {options['host']}:{options['port']} "
            f"({'TLS' if server.tls_context else 'no TLS'}; peers: {server.allowlist}). Ctrl-C to stop."
        )
        server.serve_forever()


def listener(options: dict[str, Any] | argparse.Namespace) -> MllpServer:
    """The listener the options describe, not started; CommandError for an option it cannot use."""
    options = vars(options) if isinstance(options, argparse.Namespace) else options
    organization = Organization.objects.filter(code=options["organization"]).first()
    if organization is None:
        raise CommandError(f"no organization with code {options['organization']!r}")
    try:
        limits = ListenerLimits(
            idle_timeout=options["idle_timeout"],
            frame_timeout=options["frame_timeout"],
            max_message_bytes=int(options["max_message_mb"] * MIB),
            max_connections=options["max_connections"],
            max_buffered_bytes=int(options["max_buffered_mb"] * MIB),
        )
        allowlist = PeerAllowlist.parse(options["allow"] or settings.MLLP_ALLOWED_PEERS)
    except ValueError as error:
        raise CommandError(str(error)) from None
    max_segments = options["max_segments"]
    organization_id = organization.pk
    return MllpServer(
        options["host"],
        options["port"],
        lambda raw, peer: receive(organization_id, raw, peer, max_segments=max_segments),
        limits=limits,
        allowlist=allowlist,
        tls_context=_tls_context(options["tls_cert"], options["tls_key"], options["tls_client_ca"]),
    )


def _tls_context(cert: str, key: str, client_ca: str) -> ssl.SSLContext | None:
    if not (cert or key or client_ca):
        return None
    if not (cert and key):
        raise CommandError("TLS needs both a certificate and its key (--tls-cert and --tls-key)")
    try:
        return tls.server_context(cert, key, client_ca)
    except (OSError, ssl.SSLError) as error:
        raise CommandError(f"the TLS files cannot be used: {error}") from None


def store(organization_id: int, parsed: ParseResult) -> list[Problem]:
    """The import of one message: a batch of its own, so each message's outcome is on the import page."""
    organization = Organization.objects.get(pk=organization_id)
    return do_import(None, organization, MessageInput(parsed)).problems


def receive(organization_id: int, raw: bytes, peer: Peer, *, max_segments: int = ack.MAX_SEGMENTS) -> bytes:
    """Import one message and answer it; every audit entry written meanwhile names the sending peer."""
    close_old_connections()  # runs in the listener's worker threads: a fresh, healthy connection each time
    extra = {"tls_client": peer.certificate} if peer.certificate else {}
    ip = peer.host if peer.port else ""  # port 0: the socket gave no IP address
    token = set_context(AuditContext(actor_label="mllp", ip=ip, extra=extra))
    try:
        return ack.respond(raw, lambda parsed: store(organization_id, parsed), max_segments=max_segments)
    finally:
        reset_context(token)
        # Worker threads come and go with the pool; a connection left open would outlive its thread.
        connections.close_all()
