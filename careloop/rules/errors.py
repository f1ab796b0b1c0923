"""The one error a rule can raise, with where it is, so that an editor can underline the wrong part."""

from __future__ import annotations

from careloop.rules.nodes import Span


class RuleError(ValueError):
    """A rule that cannot be read or does not make sense.

    `line` and `column` are 1-based, `end_column` exclusive; `start` and `end` are 0-based character
    offsets into the text; `text` is the offending part as written. A rule read from JSON has no text:
    `path` then says where the wrong part is (`$.all[1].left`). A rule parsed from text carries both.
    """

    def __init__(
        self,
        message: str,
        span: Span | None = None,
        *,
        path: str = "$",
        expected: tuple[str, ...] = (),
    ) -> None:
        self.message = message
        self.span = span
        self.path = path
        self.expected = expected  # for a syntax error: what could have come here, in plain words
        super().__init__(self.__str__())

    @property
    def line(self) -> int | None:
        return self.span.line if self.span else None

    @property
    def column(self) -> int | None:
        return self.span.column if self.span else None

    @property
    def end_column(self) -> int | None:
        return self.span.end_column if self.span else None

    @property
    def text(self) -> str:
        return self.span.text if self.span else ""

    def __str__(self) -> str:
        if self.span is None:
            return f"{self.path}: {self.message}"
        return f"line {self.span.line}, column {self.span.column}: {self.message}"
