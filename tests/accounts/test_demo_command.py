import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from careloop.accounts.management.commands.serve import default_workers
from careloop.accounts.models import AuditEntry, Organization, User
from careloop.alerts.models import Alert
from careloop.demo.clinic import DEMO_PASSWORD, DEMO_STAFF
from careloop.followup.contact_models import ContactRecord, Recording
from careloop.followup.models import Enrolment, Task
from careloop.observations.models import FeedReview, UnmatchedResult
from careloop.patients.duplicates import probable_pairs
from careloop.patients.models import FamilyLink, Patient, PatientTag
from careloop.questionnaires.models import QuestionnaireAnswer, QuestionnaireInvitation


def demo(**options):
    call_command("demo", "--no-serve", "--patients", "40", verbosity=0, **options)


@pytest.mark.django_db
def test_demo_makes_the_clinic_with_a_login_per_role_and_patients():
    demo()
    org = Organization.objects.get(code="demo")
    assert org.name == "示范社区卫生服务中心"
    staff = {u.username: u.role for u in User.objects.filter(username__in=DEMO_STAFF)}
    assert staff == {
        "admin": "admin",
        "doctor": "doctor",
        "nurse": "nurse",
        "reception": "receptionist",
        "auditor": "auditor",
    }
    # The patients seeded, one man registered twice (a probable duplicate to try), and the two the hospital's
    # feeds registered (the laboratory's Patient line, an admission).
    assert Patient.objects.filter(organization=org).count() == 40 + 2 + 2
    assert FeedReview.objects.filter(organization=org, resolved_at__isnull=True).count() == 1
    assert UnmatchedResult.objects.get(organization=org, kind="patient").why == "probable_match"
    assert FamilyLink.objects.filter(patient__name="周建华", related_name="周丽").exists()
    assert not User.objects.filter(username__in=DEMO_STAFF, user_permissions__isnull=False).exists()
    # The nurse's questionnaire answers: one PHQ-9 in the severe band, and the item 9 flag raised; two intake
    # forms of a patient with abnormal results and a post-discharge check asking for a call back.
    answers = QuestionnaireAnswer.objects.filter(organization=org, channel="staff").select_related(
        "version__questionnaire"
    )
    keys = sorted(a.version.questionnaire.key for a in answers)
    assert keys == ["gad-7", "intake", "intake", "phq-9", "phq-9", "phq-9", "post-discharge"]
    assert any(s["band"]["code"] == "severe" for a in answers for s in a.scores["scores"] if s["band"])
    raised = {flag["code"] for a in answers for flag in a.scores["flags"] if flag["raised"]}
    assert raised == {"phq-9-item-9-suicide-risk", "post-discharge-call-back"}
    # Links in each state: answered on the phone, half answered, expired, and one to open.
    now = timezone.now()
    links = QuestionnaireInvitation.objects.filter(organization=org)
    assert sorted(link.state(now) for link in links) == ["answered", "expired", "open", "open"]
    assert QuestionnaireAnswer.objects.filter(organization=org, channel="link").count() == 1
    assert any(len(link.draft) == 4 for link in links)
    # Follow-up: two discharged patients and some hypertensive ones enrolled; tasks due today and overdue.
    enrolments = Enrolment.objects.filter(organization=org).select_related("protocol")
    # ...and the older patients, tagged 老年人 by the shipped tag rule, recalled for their annual check.
    assert {e.protocol.key for e in enrolments} == {
        "post-discharge",
        "hypertension",
        "older-adult-annual-check",
    }
    recalled = enrolments.filter(protocol__key="older-adult-annual-check")
    assert {e.trigger["kind"] for e in recalled} == {"tag_added"}
    today = timezone.localdate()
    tasks = Task.objects.filter(organization=org, status="pending")
    assert tasks.filter(due=today).exists() and tasks.filter(closes__lt=today).exists()
    # The nurse's calls: one reached with its recording, one patient lost to follow-up after three tries.
    contacts = ContactRecord.objects.filter(organization=org)
    assert sorted(contacts.values_list("outcome", flat=True)) == [
        "busy",
        "no_answer",
        "reached",
        "switched_off",
    ]
    assert Recording.objects.filter(contact__organization=org).count() == 1
    assert enrolments.filter(status="lost").count() == 1
    assert Alert.objects.filter(organization=org, kind="lost_to_followup").count() == 1
    # Auto-tags: the shipped rules installed and applied, each tag saying what matched (the seeded patients'
    # own 高血压 tags were there first, and stay theirs).
    auto = PatientTag.objects.filter(patient__organization=org, source="rule")
    assert "older-adult" in set(auto.values_list("rule", flat=True))
    assert all(tag.matched for tag in auto)


@pytest.mark.django_db
@pytest.mark.parametrize("username", list(DEMO_STAFF))
def test_each_demo_login_works_with_the_printed_password(client, username):
    demo()
    response = client.post(reverse("accounts:login"), {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    start = client.get(reverse("home"), follow=True)
    assert start.status_code == 200
    assert AuditEntry.objects.filter(action="login", actor__username=username).exists()


@pytest.mark.django_db
def test_the_demo_admin_manages_staff_in_the_product_and_not_in_the_django_admin(client):
    demo()
    client.post(reverse("accounts:login"), {"username": "admin", "password": DEMO_PASSWORD})
    page = client.get(reverse("staff:list"))
    assert page.status_code == 200
    assert "nurse" in page.content.decode() and "auditor" in page.content.decode()
    assert client.get(reverse("admin:index")).status_code == 403


@pytest.mark.django_db
def test_the_demo_auditor_starts_on_the_audit_trail_and_reads_no_patient(client):
    demo()
    client.post(reverse("accounts:login"), {"username": "auditor", "password": DEMO_PASSWORD})
    assert client.get(reverse("home"))["Location"] == reverse("accounts:audit")
    assert client.get(reverse("patients:list")).status_code == 403


@pytest.mark.django_db
def test_the_demo_has_results_waiting_for_a_patient_and_a_probable_duplicate():
    demo()
    org = Organization.objects.get(code="demo")
    waiting = UnmatchedResult.waiting(org.pk)
    assert {item.why for item in waiting} == {"unknown_id_number", "unknown_mrn", "probable_match"}
    assert len(probable_pairs(org.pk)) >= 1


@pytest.mark.django_db
def test_a_second_demo_leaves_existing_data_alone():
    demo()
    demo()
    assert Organization.objects.count() == 1
    assert Patient.objects.count() == 40 + 2 + 2
    assert User.objects.filter(username="admin").count() == 1


@pytest.mark.parametrize(("cores", "workers"), [(None, 3), (1, 3), (2, 5), (3, 7), (4, 8), (64, 8)])
def test_default_gunicorn_workers_are_two_per_core_plus_one_at_most_eight(cores, workers):
    assert default_workers(cores) == workers


# --- the real processes ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _environment(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CARELOOP_", "DJANGO_"))}
    env.update(
        CARELOOP_DEBUG="true",
        CARELOOP_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        CARELOOP_LOG_LEVEL="WARNING",
    )
    return env


def _wait_for(url: str, process: subprocess.Popen[str], seconds: float = 90) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited early with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                status: int = response.status
                return status
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def _careloop(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "import sys; from careloop.cli import main; sys.exit(main())", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    if int(handle.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return found


@pytest.mark.parametrize("stop_with", [signal.SIGINT, signal.SIGTERM])
def test_demo_serves_the_login_page_and_stops_both_children_on_a_signal(tmp_path, stop_with):
    port = _free_port()
    process = _careloop("demo", "--port", str(port), "--patients", "20", env=_environment(tmp_path))
    try:
        assert _wait_for(f"http://127.0.0.1:{port}/login/", process) == 200
        children = _children_of(process.pid)
        assert len(children) == 2  # the worker and the web server
        assert _wait_for_checkpoint(tmp_path / "audit-checkpoints")  # the worker seals the demo's trail
        process.send_signal(stop_with)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    assert f"http://127.0.0.1:{port}/" in output and "reception" in output and DEMO_PASSWORD in output
    assert not [pid for pid in children if os.path.exists(f"/proc/{pid}") and _is_running(pid)]


def _wait_for_checkpoint(directory, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(path.stat().st_size for path in directory.glob("*.jsonl")):
            return True
        time.sleep(0.3)
    return False


def _is_running(pid: int) -> bool:
    with open(f"/proc/{pid}/stat") as handle:
        return handle.read().rsplit(")", 1)[1].split()[0] != "Z"


def test_serve_collects_static_files_and_runs_gunicorn_until_sigterm(tmp_path):
    port = _free_port()
    env = _environment(tmp_path)
    subprocess.run(
        [sys.executable, "-c", "from careloop.cli import main; main()", "migrate", "-v0"], env=env, check=True
    )
    process = _careloop("serve", "--bind", f"127.0.0.1:{port}", "--workers", "1", env=env)
    try:
        assert _wait_for(f"http://127.0.0.1:{port}/login/", process) == 200
        assert (tmp_path / "static" / "careloop" / "app.css").exists()
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
