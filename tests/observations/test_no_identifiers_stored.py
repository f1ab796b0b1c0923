"""No resident ID or mobile number is stored in clear, or as an unkeyed hash, by any way of importing.

Every text column of every table is read raw (as the database holds it, not through the models, which
decrypt) after a CSV upload, a command-line import and an MLLP message.
"""

import datetime
import hashlib
import io
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, models
from django.urls import reverse

from careloop.observations.management.commands.mllp import store
from careloop.observations.sources.hl7v2 import ack
from tests.factories import make_patient
from tests.observations.test_do_import import results_csv
from tests.observations.test_import_views import IMMEDIATE

ID_NUMBER = "11010519491231002X"  # the HL7 sample's patient
PHONE = "13800138000"
SAMPLE = "tests/observations/samples/oru_checkup_utf8.hl7"
TEXT = (models.CharField, models.TextField, models.JSONField)


def unkeyed_hashes(secret: str) -> set[str]:
    """Hex digests anyone could compute from a guess: the common hashes of the value alone."""
    data = secret.encode()
    digests = {hashlib.new(name, data).hexdigest() for name in ("md5", "sha1", "sha256", "sha512")}
    digests |= {hashlib.blake2b(data, digest_size=size).hexdigest() for size in (8, 12, 16, 20, 32, 64)}
    digests |= {hashlib.blake2s(data, digest_size=size).hexdigest() for size in (8, 12, 16, 32)}
    return digests


def text_values() -> Iterator[tuple[str, str, str]]:
    """(table, column, value) of every non-empty text value stored, read without decrypting."""
    for model in apps.get_models():
        columns = [
            column for f in model._meta.concrete_fields if isinstance(f, TEXT) and (column := f.column)
        ]
        if not columns:
            continue
        table = connection.ops.quote_name(model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(connection.ops.quote_name(c) for c in columns)} FROM {table}")
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if value:
                        yield model._meta.db_table, column, str(value)


def leaks(secrets: list[str]) -> list[tuple[str, str]]:
    forms = {secret: secret for secret in secrets}
    for secret in secrets:
        forms |= dict.fromkeys(unkeyed_hashes(secret), secret)
    found = []
    for table, column, value in text_values():
        lowered = value.lower()
        found += [(f"{table}.{column}", forms[form]) for form in forms if form.lower() in lowered]
    return found


@pytest.mark.django_db
def test_imports_of_every_kind_store_no_identifier_in_clear_or_unkeyed_hash(
    org, doctor, nurse, logged_in, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.TASKS, settings.IMPORT_DIR = IMMEDIATE, tmp_path / "uploads"
    born = datetime.date(1949, 12, 31)
    make_patient(doctor, name="王小明", id_number=ID_NUMBER, mobile=PHONE, birth_date=born)
    unknown = "440106199003072316"  # a patient CareLoop does not know: parked, waiting for a match
    data = results_csv(ID_NUMBER, "王小明") + results_csv(unknown, "陈某").split(b"\n", 1)[1]
    path = tmp_path / "checks.csv"
    path.write_bytes(data)

    with django_capture_on_commit_callbacks(execute=True):
        logged_in(nurse).post(
            reverse("observations:imports"),
            {"file": SimpleUploadedFile("up.csv", data), "mode": "keep_good", "mapping": ""},
        )
    call_command("import", str(path), organization=org.code, source_system="LIS", no_progress=True,
                 stdout=io.StringIO())  # fmt: skip
    with open(
        SAMPLE, "rb"
    ) as sample:  # as the listener stores a message (its own threads and connections aside)
        ack.respond(sample.read(), lambda parsed: store(org.pk, parsed))

    assert leaks([ID_NUMBER, PHONE, unknown]) == []


@pytest.mark.django_db
def test_hospital_feeds_store_no_identifier_or_mobile_in_clear(org, admin_user):
    """Registrations, proposals, review items and next-of-kin contacts a feed writes keep ID numbers and
    mobiles encrypted, like the registry."""
    from careloop.observations.feeds import do_set_feed_policy
    from careloop.patients.models import Patient
    from tests.observations.test_feed_registration import ZHAO_MOBILE, admit, send, update

    kin_mobile = "13712345678"  # the NK1 contact's, in admit()
    held_id, held_mobile = "110105194912310029", "13588889999"
    newer_mobile = "13500000002"
    send(org, admit())  # registered, with a next of kin
    zhao = Patient.objects.get()
    zhao.hand_edited = {"mobile": "2030-01-01T00:00:00+00:00"}
    zhao.save()
    send(org, update("ADT2", "20261201100000", mobile=newer_mobile))  # held for review
    do_set_feed_policy(admin_user, org.pk, "hold")
    other = admit("ADT9").replace(b"440305196002120039", held_id.encode()).replace(b"H-2001", b"H-9")
    send(
        org,
        other.replace(ZHAO_MOBILE.encode(), held_mobile.encode()).replace("赵建国".encode(), "钱伟".encode()),
    )

    assert leaks(["440305196002120039", ZHAO_MOBILE, kin_mobile, newer_mobile, held_id, held_mobile]) == []
