import os

# Playwright's sync API keeps an event loop in the main thread; Django must still allow ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from tests.factories import *  # noqa: F403

pytest_plugins = ["tests.browser"]
