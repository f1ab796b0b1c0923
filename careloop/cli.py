"""The `careloop` console command: Django's management commands under friendlier names.

careloop demo            migrate, seed demo data if the database is empty, serve with a worker
careloop serve           the web server (gunicorn)
careloop worker          the background task worker and the audit sealer
careloop seed ...        synthetic patients
careloop audit verify    check the audit trail's chains against the keys and checkpoints
careloop rotate-keys     re-encrypt identifiers with the newest field key
careloop <command>       any other Django management command (migrate, check --deploy, ...)
"""

import os
import sys

ALIASES = {"rotate-keys": "rotate_keys"}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careloop.settings")
    if len(argv) > 1 and argv[1] in ALIASES:
        argv[1] = ALIASES[argv[1]]
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(argv)
    except (
        ImproperlyConfigured
    ) as error:  # a configuration mistake is the operator's to fix: say what, not where
        print(f"careloop: configuration error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
