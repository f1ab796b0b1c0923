"""TLS for MLLP with Python's ssl: the listener's context (optionally requiring a client certificate
signed by a given CA, i.e. mutual TLS) and a client's. TLS 1.2 at least. No Django import."""

import ssl
from typing import Any


def server_context(cert_file: str, key_file: str, client_ca_file: str = "") -> ssl.SSLContext:
    """The listener's certificate chain and key (PEM files); with `client_ca_file` every client must
    present a certificate that CA signed, or the handshake fails."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_file, key_file)
    if client_ca_file:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cafile=client_ca_file)
    return context


def client_context(ca_file: str, cert_file: str = "", key_file: str = "") -> ssl.SSLContext:
    """A sender's context: trusts the listener's CA, checks its name, and presents a certificate for
    mutual TLS when `cert_file` is given."""
    context = ssl.create_default_context(cafile=ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if cert_file:
        context.load_cert_chain(cert_file, key_file or None)
    return context


def certificate_name(peercert: dict[str, Any] | None) -> str:
    """The subject common name of a verified peer certificate (SSLObject.getpeercert()), else ""."""
    for rdn in (peercert or {}).get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return str(value)[:64]
    return ""


def failure_reason(error: BaseException) -> str:
    """Why a handshake failed, in a few words for the log (no bytes of the peer's data)."""
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"certificate not accepted ({error.verify_message})"
    if isinstance(error, ssl.SSLError):
        return error.reason or type(error).__name__
    if isinstance(error, TimeoutError | ConnectionAbortedError):
        return "the handshake took too long"
    return type(error).__name__
