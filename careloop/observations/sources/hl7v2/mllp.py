"""MLLP (HL7 v2 Minimal Lower Layer Protocol, release 2): a listener and a client.

Each message travels as <VT 0x0B> message <FS 0x1C><CR 0x0D> (framing.py). The listener reads any
number of messages on one connection, answers each with the bytes `handle(message, peer)` returns (the
ACK), in order, and copes with partial reads, bytes outside frames (dropped and counted) and oversize
messages (answered AR without reading them into memory). `handle` runs in a worker thread, so it may
do synchronous database work.

Everything a peer can make the listener hold is bounded (limits.py), checked by the event loop itself:
a peer outside the allowlist is closed before a byte is read (before the TLS handshake too); past
`max_connections` a new connection is closed on arrival; a connection that starts no message within
the idle timeout, or does not finish one within the frame timeout, is closed; unfinished messages of all
connections together hold at most `max_buffered_bytes`, and the connection that would pass it is closed.
With a TLS context the handshake follows the allowlist check.

SIGTERM / SIGINT stop it cleanly: no new connections, messages in hand are finished and answered, then
it returns. The log names a connection by its address and a message by its control id and type only,
never by anything that identifies a patient.
"""

import asyncio
import concurrent.futures
import logging
import signal
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable

from careloop.observations.importing.parsed import Problem
from careloop.observations.sources.hl7v2 import tls
from careloop.observations.sources.hl7v2.ack import ERROR, REJECT, build_ack
from careloop.observations.sources.hl7v2.decoding import UTF8, decode_message, encode
from careloop.observations.sources.hl7v2.framing import Frame, FrameReader, frame
from careloop.observations.sources.hl7v2.header import Header, HeaderError, read_header
from careloop.observations.sources.hl7v2.limits import (
    BufferBudget,
    ConnectionClock,
    ListenerLimits,
    ReportThrottle,
)
from careloop.observations.sources.hl7v2.peers import Peer, PeerAllowlist, peer_from

logger = logging.getLogger(__name__)

_CHUNK = 65536

Handle = Callable[[bytes, Peer], bytes]


def describe(message: bytes) -> tuple[str, str]:
    """(type, control id) for the log, from the MSH alone."""
    header = _header(message)
    if header is None:
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


class _Closed(Exception):
    """The listener closes this connection; the reason is already logged."""


class MllpServer:
    def __init__(
        self,
        host: str,
        port: int,
        handle: Handle,
        *,
        limits: ListenerLimits | None = None,
        allowlist: PeerAllowlist | None = None,
        tls_context: ssl.SSLContext | None = None,
        workers: int = 4,
        stop_timeout: float = 30.0,
    ):
        self.host, self.port, self.handle = host, port, handle
        self.limits = limits or ListenerLimits()
        self.allowlist = allowlist or PeerAllowlist()
        self.tls_context = tls_context
        self.stop_timeout = stop_timeout
        self.address: tuple[str, int] | None = None
        self.ready = threading.Event()
        self.budget = BufferBudget(self.limits.max_buffered_bytes)
        self._refusals = ReportThrottle()
        self._executor = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="mllp")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._busy: dict[asyncio.Task[None], bool] = {}  # the open connections: is a message in hand

    def serve_forever(self, *, signals: bool = True) -> None:
        """Listen until stop() or (with `signals`, in the main thread) SIGTERM / SIGINT."""
        asyncio.run(self._serve(signals))

    def stop(self) -> None:
        """Thread-safe: stop accepting, finish the messages in hand, return from serve_forever."""
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)

    @property
    def connections(self) -> int:
        return len(self._busy)

    async def _serve(self, signals: bool) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        server = await asyncio.start_server(self._connection, self.host, self.port)
        self.address = server.sockets[0].getsockname()[:2]
        if signals and threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._loop.add_signal_handler(sig, self._stopping.set)
        logger.info(
            "MLLP listening on %s:%s (%s; peers: %s)",
            *self.address,
            "TLS" if self.tls_context else "no TLS",
            self.allowlist,
        )
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

    def _refusal(self, peer: Peer) -> str:
        """Why a new connection is closed at once, or "". Runs before anything is read from it."""
        if not self.allowlist.allows(peer.host):
            return "the address is not in the allowed peers"
        if len(self._busy) >= self.limits.max_connections:
            return f"{self.limits.max_connections} connections are open already"
        return ""

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # No await before the refusal and the TLS upgrade: the event loop reads nothing from the socket
        # until this coroutine first yields.
        peer = peer_from(writer.get_extra_info("peername"))
        refusal = self._refusal(peer)
        if refusal:
            writer.transport.abort()
            assert self._loop is not None
            held_back = self._refusals.report((peer.host, refusal), self._loop.time())
            if held_back is not None:
                more = f" ({held_back} more from this address since the last report)" if held_back else ""
                logger.warning("refused a connection from %s: %s%s", peer, refusal, more)
            return
        task = asyncio.current_task()
        assert task is not None
        self._busy[task] = False
        try:
            if self.tls_context is not None:
                peer = await self._handshake(writer, peer)
            await self._converse(reader, writer, peer, task)
        except (_Closed, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.budget.release(task)
            del self._busy[task]
            writer.close()

    async def _handshake(self, writer: asyncio.StreamWriter, peer: Peer) -> Peer:
        assert self.tls_context is not None
        try:
            await writer.start_tls(
                self.tls_context,
                ssl_handshake_timeout=self.limits.frame_timeout,
                ssl_shutdown_timeout=self.limits.frame_timeout,
            )
        except (OSError, TimeoutError) as error:  # ssl.SSLError is an OSError
            logger.warning("TLS handshake with %s failed: %s", peer, tls.failure_reason(error))
            raise _Closed from None
        certificate = tls.certificate_name(writer.get_extra_info("peercert"))
        return Peer(peer.host, peer.port, certificate)

    async def _converse(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        peer: Peer,
        task: asyncio.Task[None],
    ) -> None:
        assert self._loop is not None and self._stopping is not None
        frames = FrameReader(self.limits.max_message_bytes)
        clock = ConnectionClock(self.limits, self._loop.time())
        try:
            while not self._stopping.is_set():
                chunk = await self._read(reader, clock, frames, peer)
                if not chunk:
                    return
                received = frames.feed(chunk)
                clock.read(self._loop.time(), completed=len(received), in_frame=frames.in_frame)
                if not self.budget.hold(task, frames.buffered):
                    logger.warning(
                        "closed the connection from %s: unfinished messages would pass the listener's "
                        "%d byte buffer limit (%d bytes held by %d connections)",
                        peer,
                        self.budget.limit,
                        self.budget.used,
                        self.budget.holders,
                    )
                    return
                if not received:
                    continue
                self._busy[task] = True
                for one in received:
                    writer.write(frame(await self._answer(one, peer)))
                    await self._drain(writer, peer)
                clock.answered(self._loop.time())
                self._busy[task] = False
        finally:
            if frames.discarded:
                logger.warning("dropped %d bytes outside MLLP frames from %s", frames.discarded, peer)

    async def _read(
        self, reader: asyncio.StreamReader, clock: ConnectionClock, frames: FrameReader, peer: Peer
    ) -> bytes:
        deadline, waiting_for = clock.deadline()
        try:
            async with asyncio.timeout_at(deadline):
                return await reader.read(_CHUNK)
        except TimeoutError:
            if waiting_for == "frame":
                logger.warning(
                    "closed the connection from %s: a message was not finished within %s s "
                    "(%d bytes received)",
                    peer,
                    self.limits.frame_timeout,
                    frames.pending,
                )
            else:
                logger.info(
                    "closed the connection from %s: no message within %s s", peer, self.limits.idle_timeout
                )
            raise _Closed from None

    async def _drain(self, writer: asyncio.StreamWriter, peer: Peer) -> None:
        """Wait for the ACK to leave; a peer that reads nothing for the idle timeout is cut off."""
        try:
            async with asyncio.timeout(self.limits.idle_timeout):
                await writer.drain()
        except TimeoutError:
            logger.warning("closed the connection from %s: it does not read its acknowledgements", peer)
            raise _Closed from None

    async def _answer(self, received: Frame, peer: Peer) -> bytes:
        kind, control_id = describe(received.payload)
        if received.oversize:
            logger.warning(
                "refused %s control id %s from %s: %d bytes, over the %d byte limit",
                kind,
                control_id,
                peer,
                received.size,
                self.limits.max_message_bytes,
            )
            limit = f"the message is larger than the {self.limits.max_message_bytes} byte limit"
            return _answer(received.payload, REJECT, limit)
        logger.info("received %s control id %s from %s (%d bytes)", kind, control_id, peer, received.size)
        started = time.perf_counter()
        assert self._loop is not None
        answer = await self._loop.run_in_executor(
            self._executor, self._handle, received.payload, control_id, peer
        )
        ack_code = answer.split(b"\rMSA", 1)[-1][1:3].decode("ascii", "replace")
        logger.info(
            "answered %s to control id %s in %.1f ms",
            ack_code,
            control_id,
            (time.perf_counter() - started) * 1000,
        )
        return answer

    def _handle(self, message: bytes, control_id: str, peer: Peer) -> bytes:
        try:
            return self.handle(message, peer)
        except Exception as error:
            logger.error("handling control id %s failed: %s", control_id, type(error).__name__)
            return _answer(message, ERROR, "the message could not be processed; send it again")


def serve(
    host: str,
    port: int,
    handle: Handle,
    *,
    limits: ListenerLimits | None = None,
    allowlist: PeerAllowlist | None = None,
    tls_context: ssl.SSLContext | None = None,
    workers: int = 4,
    stop_timeout: float = 30.0,
) -> None:
    """Listen for MLLP on host:port, answering each message with handle(message, peer); blocks until
    SIGTERM / SIGINT."""
    server = MllpServer(
        host,
        port,
        handle,
        limits=limits,
        allowlist=allowlist,
        tls_context=tls_context,
        workers=workers,
        stop_timeout=stop_timeout,
    )
    server.serve_forever()


def send(
    host: str,
    port: int,
    messages: Iterable[bytes | str],
    *,
    timeout: float = 30.0,
    tls_context: ssl.SSLContext | None = None,
) -> list[bytes]:
    """Send messages over one connection, waiting for each answer; returns the answers in order.
    str messages are sent as UTF-8. With `tls_context` the connection is TLS, checked against `host`."""
    answers = []
    reader = FrameReader(ListenerLimits().max_message_bytes)
    pending: list[Frame] = []
    with socket.create_connection((host, port), timeout=timeout) as plain:
        connection = tls_context.wrap_socket(plain, server_hostname=host) if tls_context else plain
        with connection:
            for message in messages:
                connection.sendall(frame(message.encode(UTF8) if isinstance(message, str) else message))
                while not pending:
                    chunk = connection.recv(_CHUNK)
                    if not chunk:
                        raise ConnectionError("the listener closed the connection before answering")
                    pending += reader.feed(chunk)
                answers.append(pending.pop(0).payload)
    return answers
