"""MLLP framing (HL7 v2 Minimal Lower Layer Protocol, release 2): <VT 0x0B> message <FS 0x1C><CR 0x0D>.

Bytes as they arrive -> complete frames, holding at most `max_bytes` of an unfinished frame: a frame
that grows past the limit is not kept (only its first bytes, to answer it) while the rest is read and
dropped up to its end block. Pure: no Django import, no sockets.
"""

from dataclasses import dataclass

START = b"\x0b"
END = b"\x1c\x0d"
HEAD_BYTES = 4096  # kept from an oversize message, to read its MSH for the refusal


@dataclass(frozen=True)
class Frame:
    payload: bytes  # the message; for an oversize one only its first bytes
    size: int  # bytes between the start and end blocks
    oversize: bool = False


def frame(message: bytes) -> bytes:
    return START + message + END


class FrameReader:
    """Bytes outside a frame are dropped and counted in `discarded`; a start block inside an unfinished
    frame abandons that frame (the sender started over). A frame over `max_bytes` is not kept: its first
    bytes and size are reported. `buffered` is what the reader holds now, never much over `max_bytes`."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.discarded = 0
        self._buffer = bytearray()
        self._in_frame = False
        self._scanned = 0  # how far the current frame was searched for its end
        self._head = b""
        self._dropped = 0  # bytes of an oversize frame already thrown away

    @property
    def in_frame(self) -> bool:
        """A start block was read and its frame has not ended yet."""
        return self._in_frame

    @property
    def buffered(self) -> int:
        """Bytes of an unfinished frame held in memory."""
        return len(self._buffer) + len(self._head)

    @property
    def pending(self) -> int:
        """Bytes of the unfinished frame read so far, kept or dropped."""
        return self._dropped + len(self._buffer) if self._in_frame else 0

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
                    self._head = self._head or bytes(self._buffer[:HEAD_BYTES])
                    self._dropped += self._scanned
                    del self._buffer[: self._scanned]
                    self._scanned = 0
                return frames
            size = self._dropped + end
            if self._dropped or size > self.max_bytes:
                frames.append(Frame(self._head or bytes(self._buffer[:HEAD_BYTES]), size, oversize=True))
            else:
                frames.append(Frame(bytes(self._buffer[:end]), size))
            del self._buffer[: end + len(END)]
            self._in_frame, self._head = False, b""
