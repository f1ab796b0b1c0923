"""MLLP (HL7 v2 Minimal Lower Layer Protocol, release 2): a listener and a client.

Each message travels as <VT 0x0B> message <FS 0x1C><CR 0x0D>. The listener reads any number of
messages on one connection, answers each with the bytes `handle` returns (the ACK), in order, and
copes with partial reads, bytes outside frames (dropped and counted) and oversize messages
(answered AR without reading them into memory). `handle` runs in a worker thread, so it may do
synchronous database work. SIGTERM / SIGINT stop it cleanly: no new connections, messages in hand
are finished and answered, then it returns. The log names a message by its control id and type
only, never by anything that identifies a patient.
"""

import asyncio
import concurrent.futures
import logging
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from careloop.observations.hl7v2.ack import ERROR, REJECT, build_ack
from careloop.observations.hl7v2.decoding import UTF8, decode_message, encode
from careloop.observations.hl7v2.parse import Header, HeaderError, read_header
from careloop.observations.records import Problem

logger = logging.getLogger(__name__)

START = b"\x0b"
END = b"\x1c\x0d"
MAX_MESSAGE_BYTES = 10 * 1024 * 1024
_HEAD_BYTES = 4096  # kept from an oversize message, to read its MSH for the AR
_CHUNK = 65536

Handle = Callable[[bytes], bytes]


@dataclass(frozen=True)
class Frame:
    payload: bytes  # the message; for an oversize one only its first bytes
    size: int  # bytes between the start and end blocks
    oversize: bool = False


class FrameReader:
    """Bytes as they arrive -> complete frames. Bytes outside a frame are dropped and counted in
    `discarded`; a start block inside an unfinished frame abandons that frame (the sender started
    over). A frame over `max_bytes` is not kept: its first bytes and size are reported."""

    def __init__(self, max_bytes: int = MAX_MESSAGE_BYTES):
        self.max_bytes = max_bytes
        self.discarded = 0
        self._buffer = bytearray()
        self._in_frame = False
        self._scanned = 0  # how far the current frame was searched for its end
        self._head = b""
        self._dropped = 0  # bytes of an oversize frame already thrown away

    def feed(self, data: bytes) -> list[Frame]:
        self._buffer += data
        frames: list[Frame] = []
        while True:
            if not self._in_frame:
                start = self._buffer.find(START)
                if start < 0:
                    self.discarded += len(self._buffer)
                    self._buffer.clear()
                    return frames
                self.discarded += start
                del self._buffer[: start + 1]
                self._in_frame, self._scanned, self._head, self._dropped = True, 0, b"", 0
            end = self._buffer.find(END, self._scanned)
            restart = self._buffer.find(START, self._scanned, end if end >= 0 else len(self._buffer))
            if restart >= 0:
                self.discarded += self._dropped + restart
                del self._buffer[: restart + 1]
                self._scanned, self._head, self._dropped = 0, b"", 0
                continue
            if end < 0:
                self._scanned = max(0, len(self._buffer) - 1)  # an FS may be waiting for its CR
                if self._dropped or len(self._buffer) > self.max_bytes:
                    self._head = self._head or bytes(self._buffer[:_HEAD_BYTES])
                    self._dropped += self._scanned
                    del self._buffer[: self._scanned]
                    self._scanned = 0
                return frames
            size = self._dropped + end
            if self._dropped or size > self.max_bytes:
                frames.append(Frame(self._head or bytes(self._buffer[:_HEAD_BYTES]), size, oversize=True))
            else:
                frames.append(Frame(bytes(self._buffer[:end]), size))
            del self._buffer[: end + len(END)]
            self._in_frame = False


def frame(message: bytes) -> bytes:
    return START + message + END


def describe(message: bytes) -> tuple[str, str]:
    """(type, control id) for the log, from the MSH alone."""
    first = message.split(b"\r", 1)[0]
    try:
        header = read_header(decode_message(first).text)
    except HeaderError:
        return "?", "?"
    return f"{header.message_type}^{header.trigger}", header.control_id or "?"


def _header(message: bytes) -> Header | None:
    try:
        return read_header(decode_message(message.split(b"\r", 1)[0]).text)
    except HeaderError:
        return None


def _answer(message: bytes, code: str, reason: str) -> bytes:
    """An ACK written by the listener itself (oversize message, `handle` failed)."""
    header = _header(message)
    charset = decode_message(message.split(b"\r", 1)[0]).charset if header else UTF8
    problem = Problem("message 1", "", "", reason, "internal")
    return encode(build_ack(header, code, [problem]), charset)


class MllpServer:
    def __init__(
        self,
        host: str,
        port: int,
        handle: Handle,
        *,
        max_message_bytes: int = MAX_MESSAGE_BYTES,
        workers: int = 4,
        stop_timeout: float = 30.0,
    ):
        self.host, self.port, self.handle = host, port, handle
        self.max_message_bytes = max_message_bytes
        self.stop_timeout = stop_timeout
        self.address: tuple[str, int] | None = None
        self.ready = threading.Event()
        self._executor = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="mllp")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._busy: dict[asyncio.Task[None], bool] = {}

    def serve_forever(self, *, signals: bool = True) -> None:
        """Listen until stop() or (with `signals`, in the main thread) SIGTERM / SIGINT."""
        asyncio.run(self._serve(signals))

    def stop(self) -> None:
        """Thread-safe: stop accepting, finish the messages in hand, return from serve_forever."""
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)

    async def _serve(self, signals: bool) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        server = await asyncio.start_server(self._connection, self.host, self.port)
        self.address = server.sockets[0].getsockname()[:2]
        if signals and threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._loop.add_signal_handler(sig, self._stopping.set)
        logger.info("MLLP listening on %s:%s", *self.address)
        self.ready.set()
        try:
            await self._stopping.wait()
            logger.info("MLLP stopping: finishing %d connection(s)", len(self._busy))
            server.close()
            for task, busy in list(self._busy.items()):
                if not busy:
                    task.cancel()
            if self._busy:
                await asyncio.wait(list(self._busy), timeout=self.stop_timeout)
            await server.wait_closed()
        finally:
            self._executor.shutdown(wait=True)
            logger.info("MLLP stopped")

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None and self._stopping is not None
        self._busy[task] = False
        peer = writer.get_extra_info("peername")
        frames = FrameReader(self.max_message_bytes)
        try:
            while not self._stopping.is_set():
                chunk = await reader.read(_CHUNK)
                if not chunk:
                    break
                self._busy[task] = True
                for received in frames.feed(chunk):
                    answer = await self._answer(received, peer)
                    writer.write(frame(answer))
                    await writer.drain()
                self._busy[task] = False
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            if frames.discarded:
                logger.warning("dropped %d bytes outside MLLP frames from %s", frames.discarded, peer)
            del self._busy[task]
            writer.close()

    async def _answer(self, received: Frame, peer: object) -> bytes:
        kind, control_id = describe(received.payload)
        if received.oversize:
            logger.warning(
                "refused %s control id %s from %s: %d bytes over the limit",
                kind,
                control_id,
                peer,
                received.size,
            )
            limit = f"the message is larger than the {self.max_message_bytes} byte limit"
            return _answer(received.payload, REJECT, limit)
        logger.info("received %s control id %s from %s (%d bytes)", kind, control_id, peer, received.size)
        started = time.perf_counter()
        assert self._loop is not None
        answer = await self._loop.run_in_executor(self._executor, self._handle, received.payload, control_id)
        ack_code = answer.split(b"\rMSA", 1)[-1][1:3].decode("ascii", "replace")
        logger.info(
            "answered %s to control id %s in %.1f ms",
            ack_code,
            control_id,
            (time.perf_counter() - started) * 1000,
        )
        return answer

    def _handle(self, message: bytes, control_id: str) -> bytes:
        try:
            return self.handle(message)
        except Exception as error:
            logger.error("handling control id %s failed: %s", control_id, type(error).__name__)
            return _answer(message, ERROR, "the message could not be processed; send it again")


def serve(
    host: str,
    port: int,
    handle: Handle,
    *,
    max_message_bytes: int = MAX_MESSAGE_BYTES,
    workers: int = 4,
    stop_timeout: float = 30.0,
) -> None:
    """Listen for MLLP on host:port, answering each message with handle(message); blocks until
    SIGTERM / SIGINT."""
    server = MllpServer(
        host,
        port,
        handle,
        max_message_bytes=max_message_bytes,
        workers=workers,
        stop_timeout=stop_timeout,
    )
    server.serve_forever()


def send(host: str, port: int, messages: Iterable[bytes | str], *, timeout: float = 30.0) -> list[bytes]:
    """Send messages over one connection, waiting for each answer; returns the answers in order.
    str messages are sent as UTF-8."""
    answers = []
    reader = FrameReader()
    pending: list[Frame] = []
    with socket.create_connection((host, port), timeout=timeout) as connection:
        for message in messages:
            connection.sendall(frame(message.encode(UTF8) if isinstance(message, str) else message))
            while not pending:
                chunk = connection.recv(_CHUNK)
                if not chunk:
                    raise ConnectionError("the listener closed the connection before answering")
                pending += reader.feed(chunk)
            answers.append(pending.pop(0).payload)
    return answers
