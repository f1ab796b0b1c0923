"""One byte range from a Range header (careloop/httpranges.py)."""

import pytest

from careloop.httpranges import UnsatisfiableRange, requested_range


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        ("", 1000, None),
        ("bytes=0-", 1000, (0, 999)),
        ("bytes=100-199", 1000, (100, 199)),
        ("bytes=900-5000", 1000, (900, 999)),  # past the end: up to the last byte
        ("bytes=-100", 1000, (900, 999)),  # the last 100 bytes
        ("bytes=-5000", 1000, (0, 999)),
        (" bytes=0-0 ", 1000, (0, 0)),
        ("bytes=0-1,5-9", 1000, None),  # several ranges: the whole file
        ("items=0-1", 1000, None),  # an unknown unit: the whole file
        ("bytes=-", 1000, None),
        ("bytes=a-b", 1000, None),
    ],
)
def test_a_single_byte_range_is_read(header, size, expected):
    assert requested_range(header, size) == expected


@pytest.mark.parametrize(
    ("header", "size"), [("bytes=1000-", 1000), ("bytes=5-4", 1000), ("bytes=-0", 1000), ("bytes=0-", 0)]
)
def test_a_range_outside_the_file_is_unsatisfiable(header, size):
    with pytest.raises(UnsatisfiableRange):
        requested_range(header, size)
