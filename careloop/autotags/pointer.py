"""Where a rule is wrong, drawn the way a compiler does: the line as written, and a caret under the part.

Pure. Chinese characters take two columns in a monospaced font, so the padding under each is a full-width
space and the caret lands under the right character whatever the script.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Pointer:
    line: int  # 1-based
    column: int  # 1-based
    written: str  # the whole line as written
    padding: str  # to put under the line before the caret
    carets: str  # "^" under each character of the wrong part (one at least)


def _blank(char: str) -> str:
    if char == "\t":
        return "\t"
    return "\u3000" if unicodedata.east_asian_width(char) in ("W", "F") else " "


def pointer(
    text: str, line: int, column: int, end_line: int | None = None, end_column: int | None = None
) -> Pointer:
    """The pointer to `line`:`column` (1-based) of `text`, up to `end_column` when the part ends on the
    same line (else to the end of the line). A position past the end points just after the text."""
    lines = text.split("\n") or [""]
    line = max(1, min(line, len(lines)))
    written = lines[line - 1].rstrip("\r")
    start = max(0, min(column - 1, len(written)))
    end = len(written) if end_line is not None and end_line != line else (end_column or column + 1) - 1
    end = max(min(start + 1, len(written)), min(end, len(written)))
    return Pointer(
        line=line,
        column=start + 1,
        written=written,
        padding="".join(_blank(char) for char in written[:start]),
        carets="".join("^^" if _blank(char) == "\u3000" else "^" for char in written[start:end]) or "^",
    )
