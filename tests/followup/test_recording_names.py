"""The uploaded file name shown and audited, with the numbers in it masked (recordings.masked_file_name)."""

import pytest

from careloop.followup.recordings import masked_file_name


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("通话录音 13812345678_20261207.amr", "通话录音 138****5678_****1207.amr"),
        ("+86 138 1234 5678.m4a", "+86 138****5678.m4a"),
        ("88886666.wav", "****6666.wav"),  # a landline without its area code
        ("020-88886666.mp3", "020-****6666.mp3"),
        ("call 123456.mp3", "call 123456.mp3"),  # six digits: kept
        ("C:\\fakepath\\张三.amr", "C:\\fakepath\\张三.amr"),
        ("/tmp/dir/张三.amr", "张三.amr"),
        ("x" * 300 + ".wav", "x" * 200),
    ],
)
def test_numbers_in_a_file_name_are_masked(name, shown):
    assert masked_file_name(name) == shown
