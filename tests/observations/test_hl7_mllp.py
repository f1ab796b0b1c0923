import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from careloop.observations.sources.hl7v2 import ack
from careloop.observations.sources.hl7v2.framing import END, START, Frame, FrameReader, frame
from careloop.observations.sources.hl7v2.limits import ListenerLimits
from careloop.observations.sources.hl7v2.mllp import MllpServer, send
from careloop.observations.sources.hl7v2.peers import Peer
from tests.observations.helpers import address

SAMPLES = Path(__file__).parent / "samples"
GOOD = (SAMPLES / "oru_checkup_utf8.hl7").read_bytes().replace(b"\n", b"\r")
GB = (SAMPLES / "oru_vitals_gb18030.hl7").read_bytes()
BROKEN = (SAMPLES / "broken_obx_no_value.hl7").read_bytes()
UNKNOWN = (SAMPLES / "broken_unknown_type.hl7").read_bytes()


def msa(answer: bytes) -> list[bytes]:
    line = next(s for s in answer.split(b"\r") if s.startswith(b"MSA"))
    return line.split(b"|")[:3]


class RecordingServer(MllpServer):
    """The real server, with the messages its handle saw and the thread each ran in."""

    calls: list[tuple[bytes, str]]


@pytest.fixture
def listener():
    """A real listener on a free port whose handle answers with the real ACK builder."""
    calls: list[tuple[bytes, str]] = []

    def handle(message: bytes, peer: Peer) -> bytes:
        calls.append((message, threading.current_thread().name))
        return ack.respond(message, lambda parsed: [])

    server = RecordingServer("127.0.0.1", 0, handle, limits=ListenerLimits(max_message_bytes=64 * 1024))
    thread = threading.Thread(target=server.serve_forever, kwargs={"signals": False})
    thread.start()
    assert server.ready.wait(5)
    server.calls = calls
    yield server
    server.stop()
    thread.join(10)
    assert not thread.is_alive()


def test_three_messages_on_one_connection_get_three_acks_in_order(listener):
    answers = send(*address(listener), [GOOD, BROKEN, GB])
    assert [msa(a) for a in answers] == [
        [b"MSA", b"AA", b"MSG00001"],
        [b"MSA", b"AE", b"BAD002"],
        [b"MSA", b"AA", b"GB0001"],
    ]
    assert b"ERR|" in answers[1]
    assert [message for message, _ in listener.calls] == [GOOD, BROKEN, GB]
    assert all(name.startswith("mllp") for _, name in listener.calls)  # handle runs in a worker thread


def test_pipelined_frames_split_anywhere_with_garbage_between_are_answered_in_order(listener):
    stream = b"noise" + frame(GOOD) + b"\r\n\x00junk" + frame(UNKNOWN) + b"\x1c\r" + frame(BROKEN)
    with socket.create_connection(listener.address, timeout=10) as connection:
        for i in range(0, len(stream), 7):  # partial writes, 7 bytes at a time
            connection.sendall(stream[i : i + 7])
            time.sleep(0.0005)
        reader = FrameReader(1 << 20)
        frames: list[Frame] = []
        while len(frames) < 3:
            frames += reader.feed(connection.recv(4096))
    assert [msa(f.payload)[1] for f in frames] == [b"AA", b"AR", b"AE"]
    assert [m for m, _ in listener.calls] == [GOOD, UNKNOWN, BROKEN]


def test_oversize_message_is_answered_ar_without_calling_handle(listener):
    huge = GOOD + b"NTE|1||" + b"x" * 200_000 + b"\r"
    [answer] = send(*address(listener), [huge])
    assert msa(answer) == [b"MSA", b"AR", b"MSG00001"]
    assert b"byte limit" in answer
    assert listener.calls == []
    # the connection still works afterwards
    assert msa(send(*address(listener), [GOOD])[0])[1] == b"AA"


def test_handle_that_raises_is_answered_ae():
    def handle(message: bytes, peer: Peer) -> bytes:
        raise RuntimeError("boom")

    server = MllpServer("127.0.0.1", 0, handle)
    thread = threading.Thread(target=server.serve_forever, kwargs={"signals": False})
    thread.start()
    server.ready.wait(5)
    try:
        [answer] = send(*address(server), [GOOD])
        assert msa(answer) == [b"MSA", b"AE", b"MSG00001"]
    finally:
        server.stop()
        thread.join(10)


def test_log_names_control_id_and_type_but_no_patient_identifier(listener, caplog):
    caplog.set_level("INFO", logger="careloop.observations.sources.hl7v2.mllp")
    send(*address(listener), [GOOD])
    text = caplog.text
    assert "MSG00001" in text and "ORU^R01" in text
    for identifier in ("11010519491231002X", "MR123456", "王小明", "13800138000"):
        assert identifier not in text


@pytest.mark.parametrize(
    ("chunks", "payloads", "discarded"),
    [
        ([START + b"A" + END], [b"A"], 0),
        ([START + b"A", b"B\x1c", b"\r"], [b"AB"], 0),  # end block split across reads
        ([b"xx" + START + b"A" + END + b"yy" + START + b"B" + END], [b"A", b"B"], 4),
        ([START + b"lost" + START + b"A" + END], [b"A"], 4),  # a new start block abandons a frame
        ([START + b"A\x1cB" + END], [b"A\x1cB"], 0),  # FS without CR is content
        ([b"junk only"], [], 9),
    ],
)
def test_frame_reader(chunks, payloads, discarded):
    reader = FrameReader(1 << 20)
    frames = [f for chunk in chunks for f in reader.feed(chunk)]
    assert [f.payload for f in frames] == payloads
    assert reader.discarded == discarded


def test_frame_reader_keeps_only_the_head_of_an_oversize_frame():
    reader = FrameReader(max_bytes=100)
    frames = [f for i in range(50) for f in reader.feed((START if i == 0 else b"") + b"y" * 1000)]
    frames += reader.feed(END)
    [big] = frames
    assert big.oversize and big.size == 50_000
    assert len(big.payload) <= 4096
    assert len(reader._buffer) == 0


def test_sigterm_stops_the_listener_cleanly(tmp_path):
    script = (
        "import logging, sys\n"
        "logging.basicConfig(level=logging.INFO, stream=sys.stderr)\n"
        "from careloop.observations.sources.hl7v2 import ack, mllp\n"
        "mllp.serve('127.0.0.1', 0, lambda m, peer: ack.respond(m, lambda p: []))\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script],
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        assert "MLLP listening on 127.0.0.1:" in line
        port = int(line.split("127.0.0.1:", 1)[1].split()[0])
        assert msa(send("127.0.0.1", port, [GOOD])[0])[1] == b"AA"
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
        assert "MLLP stopped" in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
