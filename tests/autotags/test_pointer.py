"""The caret under the wrong part of a rule, Chinese text included."""

import pytest

from careloop.autotags.pointer import pointer


@pytest.mark.parametrize(
    ("text", "at", "padding", "carets"),
    [
        ('age >= 65 and lates("x")', (1, 15, 1, 25), " " * 14, "^" * 10),
        ("agee > 3", (1, 1, 1, 5), "", "^^^^"),
        ("age >=", (1, 7, 1, 7), " " * 6, "^"),  # ends too early: just after the text
        ('has_tag("高血压") and agee', (1, 20, 1, 24), " " * 9 + "\u3000" * 3 + " " * 7, "^^^^"),
        ('has_tag("高x")', (1, 10, 1, 11), " " * 9, "^^"),  # a wide character takes two carets
        ("age > 1 and\n  sex ==", (2, 9, 2, 9), " " * 8, "^"),
        ("age > 1 and\n\tsex ?", (2, 6, 2, 7), "\t" + " " * 4, "^"),
        ("age", (9, 40, None, None), "   ", "^"),  # past the end: clamped
    ],
)
def test_the_caret_is_under_the_wrong_part(text, at, padding, carets):
    found = pointer(text, *at)
    assert (found.padding, found.carets) == (padding, carets)
    assert found.written == text.split("\n")[found.line - 1]
