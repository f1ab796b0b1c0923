"""A logging filter that masks ID and phone numbers (careloop.redaction) and the tokens of patients'
questionnaire links before a record is written."""

import logging
import re

from careloop.redaction import redact

_formatter = logging.Formatter()
# A link token opens a patient's questionnaire without a login; a request logged by its path
# ("Not Found: /q/<token>/") must not hand it to whoever reads the logs.
_LINK_TOKEN = re.compile(r"/q/[A-Za-z0-9_-]{8,64}")


def _cleaned(text: str) -> str:
    return _LINK_TOKEN.sub("/q/…", redact(text))


class RedactIdentifiersFilter(logging.Filter):
    """Masks the message, and the traceback and stack of a record that carries them.

    A handler's formatter uses `exc_text` when it is set, so the traceback is formatted and masked here
    once, before any handler writes it (an exception's message may quote the value that failed).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = _cleaned(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = _formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _cleaned(record.exc_text)
        if record.stack_info:
            record.stack_info = _cleaned(record.stack_info)
        return True
