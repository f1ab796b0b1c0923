"""The MLLP listener under idle, slow, greedy and unknown peers, with real sockets and small limits."""

import socket
import threading
import time
from pathlib import Path

from careloop.observations.sources.hl7v2.framing import START, frame
from careloop.observations.sources.hl7v2.limits import ListenerLimits
from careloop.observations.sources.hl7v2.mllp import MllpServer, send
from careloop.observations.sources.hl7v2.peers import PeerAllowlist
from tests.observations.helpers import Recorder, address, msa_code, running, seconds_until_closed, wait_for

SAMPLES = Path(__file__).parent / "samples"
GOOD = (SAMPLES / "oru_checkup_utf8.hl7").read_bytes().replace(b"\n", b"\r")
KIB = 1024


def listener(handle: Recorder, **limits: float) -> MllpServer:
    settings = {"idle_timeout": 5.0, "frame_timeout": 5.0, **limits}
    return MllpServer("127.0.0.1", 0, handle, limits=ListenerLimits(**settings))  # type: ignore[arg-type]


def test_idle_connections_are_closed_after_the_idle_timeout():
    with running(listener(Recorder(), idle_timeout=0.3)) as server:
        connections = [socket.create_connection(address(server)) for _ in range(5)]
        wait_for(lambda: server.connections == 5)
        waited = [seconds_until_closed(c) for c in connections]
        assert max(waited) < 2.0
        wait_for(lambda: server.connections == 0)
        for connection in connections:
            connection.close()


def test_a_connection_is_closed_when_idle_after_its_last_answer():
    with (
        running(listener(Recorder(), idle_timeout=0.4)) as server,
        socket.create_connection(address(server)) as connection,
    ):
        connection.sendall(frame(GOOD))
        assert b"MSA|AA" in connection.recv(65536)
        assert 0.2 < seconds_until_closed(connection) < 2.0


def test_bytes_outside_frames_do_not_keep_a_connection_alive():
    with (
        running(listener(Recorder(), idle_timeout=0.4)) as server,
        socket.create_connection(address(server)) as connection,
    ):
        dripping = threading.Thread(target=drip, args=(connection, b"x", 30))
        dripping.start()
        assert seconds_until_closed(connection) < 2.0
        dripping.join()


def drip(connection: socket.socket, byte: bytes, count: int, first: bytes = b"") -> None:
    """Send `first`, then `byte` every 0.1 s, until done or the listener hangs up."""
    try:
        connection.sendall(first)
        for _ in range(count):
            time.sleep(0.1)
            connection.sendall(byte)
    except OSError:
        pass


def test_a_sender_dripping_a_frame_is_closed_after_the_frame_timeout(caplog):
    caplog.set_level("WARNING", logger="careloop.observations.sources.hl7v2.mllp")
    recorder = Recorder()
    with (
        running(listener(recorder, idle_timeout=5.0, frame_timeout=0.6)) as server,
        socket.create_connection(address(server)) as connection,
    ):
        # a byte every 0.1 s never lets the idle timeout fire; the frame's own deadline does
        dripping = threading.Thread(target=drip, args=(connection, b"y", 40, START + GOOD[:20]))
        dripping.start()
        assert 0.4 < seconds_until_closed(connection) < 2.5
        dripping.join()
    assert recorder.calls == []
    assert "was not finished within 0.6 s" in caplog.text


def test_restarting_a_frame_does_not_restart_its_deadline():
    with (
        running(listener(Recorder(), idle_timeout=5.0, frame_timeout=0.6)) as server,
        socket.create_connection(address(server)) as connection,
    ):
        dripping = threading.Thread(target=drip, args=(connection, START + b"MSH", 40, START))
        dripping.start()
        assert seconds_until_closed(connection) < 2.5
        dripping.join()


def test_an_oversize_frame_is_answered_ar_and_not_kept(caplog):
    caplog.set_level("WARNING", logger="careloop.observations.sources.hl7v2.mllp")
    recorder = Recorder()
    with running(listener(recorder, max_message_bytes=64 * KIB, max_buffered_bytes=128 * KIB)) as server:
        huge = GOOD + b"NTE|1||" + b"13800138000 " * 40_000 + b"\r"
        [answer] = send(*address(server), [huge])
        assert msa_code(answer) == b"AR"
        assert b"65536 byte limit" in answer
        assert server.budget.used == 0
    assert recorder.calls == []
    assert "over the 65536 byte limit" in caplog.text
    assert "13800138000" not in caplog.text  # the reason is logged, not the content


def test_connections_past_the_limit_are_closed_on_arrival_and_served_again_later(caplog):
    caplog.set_level("WARNING", logger="careloop.observations.sources.hl7v2.mllp")
    with running(listener(Recorder(), max_connections=2)) as server:
        first, second = (socket.create_connection(address(server)) for _ in range(2))
        wait_for(lambda: server.connections == 2)
        with socket.create_connection(address(server)) as third:
            assert seconds_until_closed(third) < 1.0
        assert "2 connections are open already" in caplog.text
        first.close()
        wait_for(lambda: server.connections == 1)
        assert msa_code(send(*address(server), [GOOD])[0]) == b"AA"
        second.close()


def test_unfinished_frames_of_all_connections_stay_within_the_buffer_limit(caplog):
    """Ten senders each start a 60 KiB message; the listener holds at most 150 KiB of them and closes the
    senders whose bytes would pass it, while one that finishes its message is answered."""
    caplog.set_level("WARNING", logger="careloop.observations.sources.hl7v2.mllp")
    limits = {"max_message_bytes": 100 * KIB, "max_buffered_bytes": 150 * KIB}
    with running(listener(Recorder(), **limits)) as server:
        body = GOOD + b"NTE|1||" + b"z" * (60 * KIB) + b"\r"
        senders = [socket.create_connection(address(server)) for _ in range(10)]
        for sender in senders:
            sender.sendall(START + body)
        wait_for(lambda: server.connections <= 2)
        assert server.budget.used <= 150 * KIB
        open_ones = [s for s in senders if _still_open(s)]
        assert len(open_ones) == 2
        open_ones[0].sendall(b"\x1c\r")
        assert b"MSA|AA" in open_ones[0].recv(65536)
        for sender in senders:
            sender.close()
    assert "153600 byte buffer limit" in caplog.text


def _still_open(connection: socket.socket) -> bool:
    connection.settimeout(0.2)
    try:
        return connection.recv(1) != b""
    except TimeoutError:
        return True
    except ConnectionResetError:
        return False


def test_a_peer_outside_the_allowlist_is_closed_before_anything_is_read(caplog):
    caplog.set_level("INFO", logger="careloop.observations.sources.hl7v2.mllp")
    recorder = Recorder()
    server = listener(recorder)
    server.allowlist = PeerAllowlist.parse(["10.0.0.0/8", "192.168.0.0/16"])
    with running(server), socket.create_connection(address(server)) as connection:
        connection.sendall(frame(GOOD))
        assert seconds_until_closed(connection) < 1.0
    assert recorder.calls == []
    assert "refused a connection from 127.0.0.1:" in caplog.text
    assert "not in the allowed peers" in caplog.text
    assert "received" not in caplog.text


def test_a_peer_inside_the_allowlist_is_served_and_named_to_the_handler():
    recorder = Recorder()
    server = listener(recorder)
    server.allowlist = PeerAllowlist.parse(["10.0.0.0/8", "127.0.0.0/8"])
    with running(server):
        assert msa_code(send(*address(server), [GOOD])[0]) == b"AA"
    [(_message, peer)] = recorder.calls
    assert peer.host == "127.0.0.1" and peer.port > 0


def test_a_peer_knocking_again_and_again_is_logged_once(caplog):
    caplog.set_level("WARNING", logger="careloop.observations.sources.hl7v2.mllp")
    server = listener(Recorder())
    server.allowlist = PeerAllowlist.parse(["10.0.0.0/8"])
    with running(server):
        for _ in range(20):
            with socket.create_connection(address(server)) as connection:
                seconds_until_closed(connection)
    assert caplog.text.count("refused a connection from 127.0.0.1") == 1
