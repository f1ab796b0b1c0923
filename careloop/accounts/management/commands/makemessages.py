"""`careloop makemessages`: Django's, also extracting refusal reasons written as `because("...")`.

The import parsers are pure modules (no Django import), so they cannot mark strings with gettext; they
build reasons with `careloop.observations.importing.parsed.because`, and the UI translates them when shown.
"""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=because"]
