"""MLLP over TLS and mutual TLS, with throw-away certificate authorities and real TLS clients."""

import socket
import ssl
from pathlib import Path

import pytest

from careloop.observations.sources.hl7v2 import tls
from careloop.observations.sources.hl7v2.framing import frame
from careloop.observations.sources.hl7v2.limits import ListenerLimits
from careloop.observations.sources.hl7v2.mllp import MllpServer, send
from careloop.observations.sources.hl7v2.peers import PeerAllowlist
from tests.observations.certificates import Authority
from tests.observations.helpers import Recorder, address, msa_code, running, seconds_until_closed

GOOD = (Path(__file__).parent / "samples" / "oru_checkup_utf8.hl7").read_bytes().replace(b"\n", b"\r")


@pytest.fixture
def hospital(tmp_path: Path) -> Authority:
    return Authority(tmp_path, "hospital")


@pytest.fixture
def stranger(tmp_path: Path) -> Authority:
    return Authority(tmp_path, "stranger")


def tls_listener(recorder: Recorder, authority: Authority, *, client_ca: Path | None = None) -> MllpServer:
    issued = authority.issue("careloop.hospital", server=True)
    context = tls.server_context(str(issued.cert), str(issued.key), str(client_ca or ""))
    limits = ListenerLimits(idle_timeout=5.0, frame_timeout=0.8)
    return MllpServer("127.0.0.1", 0, recorder, limits=limits, tls_context=context)


def test_a_tls_client_is_answered_over_tls(hospital):
    recorder = Recorder()
    with running(tls_listener(recorder, hospital)) as server:
        [answer] = send(*address(server), [GOOD], tls_context=tls.client_context(str(hospital.cert)))
    assert msa_code(answer) == b"AA"
    [(_message, peer)] = recorder.calls
    assert peer.host == "127.0.0.1" and peer.certificate == ""


def test_a_plain_client_gets_no_answer_from_a_tls_listener(hospital, caplog):
    caplog.set_level("WARNING", logger="careloop.observations.sources.hl7v2.mllp")
    recorder = Recorder()
    with (
        running(tls_listener(recorder, hospital)) as server,
        socket.create_connection(address(server)) as connection,
    ):
        connection.sendall(frame(GOOD))
        connection.settimeout(3)
        received = b""
        try:
            while chunk := connection.recv(4096):
                received += chunk
        except ConnectionResetError:
            pass
    assert b"MSA" not in received
    assert recorder.calls == []
    assert "TLS handshake with 127.0.0.1:" in caplog.text


def test_a_client_that_never_starts_the_handshake_is_closed_after_the_frame_timeout(hospital):
    with (
        running(tls_listener(Recorder(), hospital)) as server,
        socket.create_connection(address(server)) as connection,
    ):
        assert 0.5 < seconds_until_closed(connection) < 3.0


def test_a_client_that_does_not_trust_the_listener_does_not_send(hospital, stranger):
    with running(tls_listener(Recorder(), hospital)) as server, pytest.raises(ssl.SSLCertVerificationError):
        send(*address(server), [GOOD], tls_context=tls.client_context(str(stranger.cert)))


def test_mutual_tls_serves_a_client_certificate_the_ca_signed_and_names_it(hospital):
    recorder = Recorder()
    lis = hospital.issue("lis.hospital-a", server=False)
    with running(tls_listener(recorder, hospital, client_ca=hospital.cert)) as server:
        context = tls.client_context(str(hospital.cert), str(lis.cert), str(lis.key))
        [answer] = send(*address(server), [GOOD], tls_context=context)
    assert msa_code(answer) == b"AA"
    [(_message, peer)] = recorder.calls
    assert peer.certificate == "lis.hospital-a"


@pytest.mark.parametrize("with_certificate", ["none", "other CA"])
def test_mutual_tls_refuses_a_client_without_a_certificate_the_ca_signed(
    hospital, stranger, with_certificate, caplog
):
    caplog.set_level("WARNING", logger="careloop.observations.sources.hl7v2.mllp")
    recorder = Recorder()
    if with_certificate == "none":
        context = tls.client_context(str(hospital.cert))
    else:
        impostor = stranger.issue("lis.impostor", server=False)
        context = tls.client_context(str(hospital.cert), str(impostor.cert), str(impostor.key))
    with (
        running(tls_listener(recorder, hospital, client_ca=hospital.cert)) as server,
        pytest.raises((ssl.SSLError, ConnectionError)),
    ):
        send(*address(server), [GOOD], tls_context=context, timeout=5)
    assert recorder.calls == []
    assert "TLS handshake with 127.0.0.1:" in caplog.text


def test_the_allowlist_is_checked_before_the_tls_handshake(hospital, caplog):
    caplog.set_level("WARNING", logger="careloop.observations.sources.hl7v2.mllp")
    server = tls_listener(Recorder(), hospital)
    server.allowlist = PeerAllowlist.parse(["10.0.0.0/8"])
    with running(server), pytest.raises((ssl.SSLError, ConnectionError)):
        send(*address(server), [GOOD], tls_context=tls.client_context(str(hospital.cert)), timeout=5)
    assert "not in the allowed peers" in caplog.text
    assert "TLS handshake" not in caplog.text
