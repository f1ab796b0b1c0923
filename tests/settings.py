"""Settings for the test suite: production-like (no debug), with fresh keys for every run."""

import atexit
import base64
import os
import shutil
import tempfile

# Tests never use the machine's keys: fresh ones per run, and production-like (non-debug) settings.
os.environ["CARELOOP_DEBUG"] = "false"
os.environ["CARELOOP_SECRET_KEY"] = "test-" + base64.urlsafe_b64encode(os.urandom(40)).decode()
os.environ["CARELOOP_FIELD_KEYS"] = base64.urlsafe_b64encode(os.urandom(32)).decode()
os.environ["CARELOOP_INDEX_KEY"] = base64.urlsafe_b64encode(os.urandom(32)).decode()
os.environ["CARELOOP_SSL_REDIRECT"] = "false"
os.environ["CARELOOP_SECURE_COOKIES"] = "false"
os.environ["CARELOOP_REQUIRE_ADMIN_2FA"] = "false"
os.environ["CARELOOP_ALLOWED_HOSTS"] = "localhost,127.0.0.1,testserver"
os.environ["CARELOOP_AUDIT_KEYS"] = "test1:" + base64.urlsafe_b64encode(os.urandom(32)).decode()
os.environ["CARELOOP_AUDIT_SIGNING_KEY"] = base64.b64encode(os.urandom(32)).decode()
# Checkpoints of a test run go to a directory of their own (tests that read them set their own with tmp_path).
os.environ["CARELOOP_AUDIT_CHECKPOINT_DIR"] = tempfile.mkdtemp(prefix="careloop-test-checkpoints-")
# Uploaded files (call recordings) of a test run: never the machine's var/media.
os.environ["CARELOOP_MEDIA_DIR"] = tempfile.mkdtemp(prefix="careloop-test-media-")


from careloop.settings import *  # noqa: F403

atexit.register(shutil.rmtree, os.environ["CARELOOP_AUDIT_CHECKPOINT_DIR"], ignore_errors=True)
atexit.register(shutil.rmtree, os.environ["CARELOOP_MEDIA_DIR"], ignore_errors=True)

# Tests serve static files from the app folders; the manifest storage would need collectstatic first.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True

# On PostgreSQL the audit tables refuse TRUNCATE (a trigger); the test backend's flush, which empties every
# table after a transactional test, lifts the triggers for its own transaction only (tests/postgres_backend).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    DATABASES["default"]["ENGINE"] = "tests.postgres_backend"  # noqa: F405
