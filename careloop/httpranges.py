"""One byte range of a file, from a request's Range header (RFC 9110 §14), so that a browser can seek in
a long recording: Django's FileResponse answers every request with the whole file. Pure."""

import re

_SINGLE = re.compile(r"bytes=(\d*)-(\d*)")


class UnsatisfiableRange(ValueError):
    """The range lies outside the file: answer 416 with `Content-Range: bytes */<size>`."""


def requested_range(header: str, size: int) -> tuple[int, int] | None:
    """(first, last) byte, both included, of the one range `header` asks for in a file of `size` bytes;
    None when there is no single byte range to honour (RFC 9110 §14.2 lets a server send the whole file
    for several ranges or an unknown unit)."""
    match = _SINGLE.fullmatch(header.strip())
    if match is None or match[1] == match[2] == "":
        return None
    if match[1] == "":  # the last N bytes
        suffix = int(match[2])
        if not suffix or not size:
            raise UnsatisfiableRange(header)
        return max(0, size - suffix), size - 1
    first = int(match[1])
    last = min(int(match[2]), size - 1) if match[2] else size - 1
    if first >= size or last < first:
        raise UnsatisfiableRange(header)
    return first, last
