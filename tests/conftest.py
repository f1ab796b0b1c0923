import os

# Playwright's sync API keeps an event loop in the main thread; Django must still allow ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from tests.factories import *  # noqa: F403

# network: no test reaches beyond loopback; templates: the never-rendered templates are reported.
pytest_plugins = ["tests.browser", "tests.plugins.network", "tests.plugins.templates"]
