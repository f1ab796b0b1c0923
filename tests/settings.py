"""Settings for the test suite: production-like (no debug), with fresh keys for every run."""

import base64
import os

# Tests never use the machine's keys: fresh ones per run, and production-like (non-debug) settings.
os.environ["CARELOOP_DEBUG"] = "false"
os.environ["CARELOOP_SECRET_KEY"] = "test-" + base64.urlsafe_b64encode(os.urandom(40)).decode()
os.environ["CARELOOP_FIELD_KEYS"] = base64.urlsafe_b64encode(os.urandom(32)).decode()
os.environ["CARELOOP_INDEX_KEY"] = base64.urlsafe_b64encode(os.urandom(32)).decode()
os.environ["CARELOOP_SSL_REDIRECT"] = "false"
os.environ["CARELOOP_SECURE_COOKIES"] = "false"
os.environ["CARELOOP_REQUIRE_ADMIN_2FA"] = "false"
os.environ["CARELOOP_ALLOWED_HOSTS"] = "localhost,127.0.0.1,testserver"


from careloop.settings import *  # noqa: F403

# Tests serve static files from the app folders; the manifest storage would need collectstatic first.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
