"""What an MLLP listener allows one peer and all of them together, and when it gives up waiting.

Pure: no Django import, no sockets. The listener (mllp.py) asks these objects and enforces the answer
in its event loop; the numbers come from settings (CARELOOP_MLLP_*) or the command's options.
"""

from collections.abc import Hashable
from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class ListenerLimits:
    """idle_timeout: seconds a connection may go without starting a message (counted from the
    connection or the last answer; bytes outside frames do not count). frame_timeout: seconds a
    message may take from its start block to its end block (a sender that drips a frame is cut off),
    also the time allowed for a TLS handshake. max_message_bytes: a longer message is answered AR
    and not kept. max_connections: connections open at once; more are closed on arrival.
    max_buffered_bytes: unfinished messages held across all connections; the connection whose bytes
    would pass it is closed."""

    idle_timeout: float = 60.0
    frame_timeout: float = 30.0
    max_message_bytes: int = 4 * MIB
    max_connections: int = 50
    max_buffered_bytes: int = 64 * MIB

    def __post_init__(self) -> None:
        for name in ("idle_timeout", "frame_timeout", "max_message_bytes", "max_connections"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.max_buffered_bytes < self.max_message_bytes:
            raise ValueError("max_buffered_bytes must be at least max_message_bytes")


class ConnectionClock:
    """When a connection must be closed for waiting too long. Times are the event loop's clock.

    While no frame is open the idle deadline runs from the connection or the last answer, so bytes
    sent outside frames (noise) do not keep a connection alive; once a frame starts its own deadline
    runs from that start and is not moved by more bytes, nor by a start block that abandons the
    unfinished frame (a dripping sender could otherwise restart forever)."""

    def __init__(self, limits: ListenerLimits, now: float):
        self.limits = limits
        self.quiet_since = now
        self.frame_since: float | None = None

    def read(self, now: float, *, completed: int, in_frame: bool) -> None:
        """After bytes were fed to the frame reader: `completed` frames ended, `in_frame` one is open."""
        if completed:
            self.frame_since = None
            self.quiet_since = now
        if in_frame and self.frame_since is None:
            self.frame_since = now

    def answered(self, now: float) -> None:
        """After the answers to the completed frames were sent: the time spent handling them is not the
        sender's, so a frame the sender had already started runs from now."""
        self.quiet_since = now
        if self.frame_since is not None:
            self.frame_since = now

    def deadline(self) -> tuple[float, str]:
        """(when, "frame" or "idle")."""
        if self.frame_since is not None:
            return self.frame_since + self.limits.frame_timeout, "frame"
        return self.quiet_since + self.limits.idle_timeout, "idle"


class BufferBudget:
    """Bytes of unfinished messages held by all connections together, against one limit."""

    def __init__(self, limit: int):
        self.limit = limit
        self.used = 0
        self._held: dict[Hashable, int] = {}

    def hold(self, owner: Hashable, size: int) -> bool:
        """`owner` now holds `size` bytes; False (and nothing changed) when that would pass the limit.
        Holding less is always allowed."""
        change = size - self._held.get(owner, 0)
        if change > 0 and self.used + change > self.limit:
            return False
        self.used += change
        self._held[owner] = size
        return True

    def release(self, owner: Hashable) -> None:
        self.used -= self._held.pop(owner, 0)

    @property
    def holders(self) -> int:
        return sum(1 for size in self._held.values() if size)


class ReportThrottle:
    """At most one log line per key (a peer address and a reason) per `interval` seconds, so that a peer
    knocking a thousand times a second cannot fill the disk; the next line says how many were held back.
    Keys not seen for `interval` are forgotten once more than `max_keys` are kept."""

    def __init__(self, interval: float = 60.0, max_keys: int = 1000):
        self.interval, self.max_keys = interval, max_keys
        self._last: dict[Hashable, tuple[float, int]] = {}  # key -> (when reported, held back since)

    def report(self, key: Hashable, now: float) -> int | None:
        """None: stay quiet; else report now, saying that this many were held back before."""
        last = self._last.get(key)
        if last is not None and now - last[0] < self.interval:
            self._last[key] = (last[0], last[1] + 1)
            return None
        if last is None and len(self._last) >= self.max_keys:
            self._last = {k: v for k, v in self._last.items() if now - v[0] < self.interval}
        self._last[key] = (now, 0)
        return last[1] if last is not None else 0
