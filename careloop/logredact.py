"""A logging filter that masks ID and phone numbers (careloop.redaction) before a record is written."""

import logging

from careloop.redaction import redact

_formatter = logging.Formatter()


class RedactIdentifiersFilter(logging.Filter):
    """Masks the message, and the traceback and stack of a record that carries them.

    A handler's formatter uses `exc_text` when it is set, so the traceback is formatted and masked here
    once, before any handler writes it (an exception's message may quote the value that failed).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = _formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
