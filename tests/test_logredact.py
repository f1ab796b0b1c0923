"""Identifiers never reach a log file in clear (the shapes themselves: tests/test_redaction.py)."""

import io
import logging
from typing import Any

import pytest

from careloop.logredact import RedactIdentifiersFilter
from careloop.redaction import redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id 11010519491231002X ok", "id 1101**********002X ok"),
        ("id 11010519491231002x", "id 1101**********002x"),
        ("call 13812345678 now", "call 138****5678 now"),
        ("13812345678,11010519491231002X", "138****5678,1101**********002X"),
        ("order 1234567890123", "order 1234567890123"),  # 13 digits: neither
        ("seq 12812345678", "seq 12812345678"),  # starts with 12: not a mobile number
        ("card 881234567890", "card 881234567890"),
    ],
)
def test_redact_masks_id_and_mobile_numbers_only(text, expected):
    assert redact(text) == expected


def _configured_redacting_handler() -> logging.StreamHandler[Any]:
    for handler in logging.getLogger().handlers:
        filters = handler.filters
        if isinstance(handler, logging.StreamHandler) and any(
            isinstance(f, RedactIdentifiersFilter) for f in filters
        ):
            return handler
    raise AssertionError("the LOGGING setting attaches no RedactIdentifiersFilter to a root handler")


def test_log_record_with_id_and_mobile_is_written_masked():
    handler = _configured_redacting_handler()
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        logging.getLogger("careloop.test").warning(
            "patient %s called from %s", "11010519491231002X", "13812345678"
        )
    finally:
        handler.setStream(previous)
    written = stream.getvalue()
    assert "1101**********002X" in written
    assert "138****5678" in written
    assert "19491231" not in written
    assert "13812345678" not in written


def test_traceback_of_a_logged_exception_is_written_masked():
    handler = _configured_redacting_handler()
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        try:
            raise ValueError("no patient with +86 138 1234 5678 / 110101 19800101 1234")
        except ValueError:
            logging.getLogger("careloop.test").exception("lookup failed")
    finally:
        handler.setStream(previous)
    written = stream.getvalue()
    assert "ValueError" in written and "+86 138****5678" in written and "1101**********1234" in written
    assert "1234 5678" not in written and "19800101" not in written


def test_logged_phone_in_another_shape_is_written_masked():
    handler = _configured_redacting_handler()
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        logging.getLogger("careloop.test").warning("callback %s", "8613812345678")
    finally:
        handler.setStream(previous)
    assert "86138****5678" in stream.getvalue() and "8613812345678" not in stream.getvalue()


def test_logged_questionnaire_link_token_is_written_masked():
    handler = _configured_redacting_handler()
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        logging.getLogger("django.request").warning("Not Found: %s", "/q/Xy3_k9-PqR2sT4uV6wZ8aB/save/")
    finally:
        handler.setStream(previous)
    assert "Not Found: /q/…/save/" in stream.getvalue() and "Xy3_k9" not in stream.getvalue()
