"""Membership cards (客户开卡): issuing, freezing, lost-and-replace, the printable card, who may do what."""

import datetime
import re
import threading

import pytest
import segno
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careloop.accounts.models import AuditEntry
from careloop.patients.cardnumbers import format_card_number, is_valid_card_number
from careloop.patients.membership import actions, cardstates
from careloop.patients.models import MembershipCard
from tests.factories import make_patient, make_user

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "tab-panel"}


def actions_logged(patient, prefix="card."):
    return list(
        AuditEntry.objects.filter(patient_id=patient.pk, action__startswith=prefix)
        .order_by("id")
        .values_list("action", flat=True)
    )


@pytest.mark.parametrize(
    ("change", "status", "result"),
    [
        ("freeze", "active", "frozen"),
        ("unfreeze", "frozen", "active"),
        ("report_lost", "active", "lost"),
        ("report_lost", "frozen", "lost"),
        ("freeze", "frozen", None),
        ("freeze", "lost", None),
        ("unfreeze", "active", None),
        ("unfreeze", "lost", None),
        ("unfreeze", "replaced", None),
        ("report_lost", "lost", None),
        ("report_lost", "replaced", None),
    ],
)
def test_card_status_changes_follow_the_transition_table(change, status, result):
    assert cardstates.allows(change, status) is (result is not None)
    if result is None:
        with pytest.raises(cardstates.TransitionError):
            cardstates.next_status(change, status)
    else:
        assert cardstates.next_status(change, status) == result


@pytest.mark.parametrize(
    ("status", "in_force"), [("active", True), ("frozen", True), ("lost", False), ("replaced", False)]
)
def test_only_active_and_frozen_cards_are_in_force(status, in_force):
    assert cardstates.is_in_force(status) is in_force


@pytest.mark.django_db
def test_issued_cards_have_valid_sequential_luhn_numbers(receptionist):
    cards = [
        actions.do_issue_card(receptionist, make_patient(receptionist, name=f"病人{i}")) for i in range(3)
    ]
    numbers = [card.number for card in cards]
    assert all(is_valid_card_number(number) for number in numbers)
    sequences = [int(number[2:-1]) for number in numbers]
    assert sequences == [sequences[0], sequences[0] + 1, sequences[0] + 2]
    assert all(card.status == "active" and card.issued_on == datetime.date.today() for card in cards)


@pytest.mark.django_db
@pytest.mark.parametrize("first_status", ["active", "frozen"])
def test_a_second_card_is_refused_while_one_is_in_force(receptionist, patient, first_status):
    first = actions.do_issue_card(receptionist, patient)
    if first_status == "frozen":
        actions.do_freeze_card(receptionist, first)
    with pytest.raises(actions.Refused, match=first.number):
        actions.do_issue_card(receptionist, patient)
    assert MembershipCard.objects.filter(patient=patient).count() == 1
    assert actions_logged(patient).count("card.issue") == 1


@pytest.mark.django_db
def test_the_database_itself_refuses_two_active_cards(receptionist, patient):
    card = actions.do_issue_card(receptionist, patient)
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipCard.objects.create(
            organization=patient.organization, patient=patient, number=card.number[:-1] + "X", status="active"
        )


@pytest.mark.django_db
def test_lost_and_replace_keeps_the_history_chain(receptionist, patient):
    first = actions.do_issue_card(receptionist, patient, tier="gold")
    second = actions.do_report_lost_and_replace(receptionist, first, reason="丢失于公交车")
    third = actions.do_report_lost_and_replace(receptionist, second, tier="platinum")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status, third.status) == ("lost", "lost", "active")
    assert second.replaces == first and third.replaces == second
    assert second.tier == "gold" and third.tier == "platinum"
    assert len({first.number, second.number, third.number}) == 3
    assert actions_logged(patient) == [
        "card.issue", "card.report_lost", "card.replace", "card.report_lost", "card.replace",
    ]  # fmt: skip
    lost = AuditEntry.objects.get(patient_id=patient.pk, action="card.report_lost", object_id=str(first.pk))
    assert lost.detail["status"] == ["active", "lost"] and lost.detail["reason"] == "丢失于公交车"


@pytest.mark.django_db
def test_a_frozen_card_can_be_replaced_but_not_frozen_again(receptionist, patient):
    card = actions.do_freeze_card(receptionist, actions.do_issue_card(receptionist, patient))
    assert card.status == "frozen"
    with pytest.raises(actions.Refused):
        actions.do_freeze_card(receptionist, card)
    new = actions.do_report_lost_and_replace(receptionist, card)
    assert new.replaces_id == card.pk and new.status == "active"


@pytest.mark.django_db
def test_unfreezing_makes_the_card_active_again(receptionist, patient):
    card = actions.do_freeze_card(receptionist, actions.do_issue_card(receptionist, patient))
    card = actions.do_unfreeze_card(receptionist, card)
    assert MembershipCard.objects.get(pk=card.pk).status == "active"
    assert actions_logged(patient) == ["card.issue", "card.freeze", "card.unfreeze"]


@pytest.mark.django_db
def test_a_lost_card_never_comes_back(receptionist, patient):
    card = actions.do_issue_card(receptionist, patient)
    actions.do_report_lost_and_replace(receptionist, card)
    card.refresh_from_db()
    with pytest.raises(actions.Refused):
        actions.do_unfreeze_card(receptionist, card)
    with pytest.raises(actions.Refused):
        actions.do_report_lost_and_replace(receptionist, card)


# --- views ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_receptionist_issues_a_card_from_the_tab(logged_in, receptionist, patient):
    client = logged_in(receptionist)
    response = client.post(reverse("patients:card_issue", args=[patient.pk]), {"tier": "silver", "note": ""})
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:tab", args=[patient.pk, "cards"])
    card = MembershipCard.objects.get(patient=patient)
    assert card.tier == "silver"
    audit = AuditEntry.objects.get(action="card.issue")
    assert audit.actor_id == receptionist.pk and audit.detail["number"] == card.number


@pytest.mark.django_db
def test_htmx_issue_returns_the_refreshed_panel(logged_in, receptionist, patient):
    client = logged_in(receptionist)
    response = client.post(reverse("patients:card_issue", args=[patient.pk]), {"tier": "gold"}, **HTMX)
    body = response.content.decode()
    card = MembershipCard.objects.get(patient=patient)
    assert response.status_code == 200
    assert "<html" not in body
    assert format_card_number(card.number) in body and 'id="current-card"' in body


@pytest.mark.django_db
def test_issuing_a_second_card_shows_why_and_saves_nothing(logged_in, receptionist, patient):
    card = actions.do_issue_card(receptionist, patient)
    client = logged_in(receptionist)
    response = client.post(reverse("patients:card_issue", args=[patient.pk]), {"tier": "gold"})
    assert response.status_code == 400
    assert card.number in response.content.decode()
    assert MembershipCard.objects.filter(patient=patient).count() == 1


@pytest.mark.django_db
def test_an_unknown_tier_is_a_field_error(logged_in, receptionist, patient):
    client = logged_in(receptionist)
    response = client.post(reverse("patients:card_issue", args=[patient.pk]), {"tier": "diamond"}, **HTMX)
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()
    assert not MembershipCard.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["nurse", "doctor"])
def test_staff_without_card_permission_cannot_issue_or_print(logged_in, org, patient, role):
    card = actions.do_issue_card(make_user(org, "receptionist"), patient)
    client = logged_in(make_user(org, role))
    assert client.post(reverse("patients:card_issue", args=[patient.pk]), {"tier": "gold"}).status_code == 403
    change = reverse("patients:card_change", args=[patient.pk, card.pk, "freeze"])
    assert client.post(change).status_code == 403
    assert client.get(reverse("patients:card_print", args=[patient.pk, card.pk])).status_code == 403
    assert MembershipCard.objects.get(pk=card.pk).status == "active"
    tab = client.get(reverse("patients:tab", args=[patient.pk, "cards"]))
    assert tab.status_code == 200 and card.number[:4] in tab.content.decode()
    assert 'id="freeze-card"' not in tab.content.decode()


@pytest.mark.django_db
def test_another_organizations_patient_is_not_found(logged_in, receptionist, other_org):
    stranger = make_patient(make_user(other_org, "receptionist"), name="外院病人")
    card = actions.do_issue_card(make_user(other_org, "receptionist"), stranger)
    client = logged_in(receptionist)
    assert (
        client.post(reverse("patients:card_issue", args=[stranger.pk]), {"tier": "gold"}).status_code == 404
    )
    assert client.get(reverse("patients:card_print", args=[stranger.pk, card.pk])).status_code == 404
    change = reverse("patients:card_change", args=[stranger.pk, card.pk, "lost"])
    assert client.post(change, {"tier": "gold"}).status_code == 404
    assert MembershipCard.objects.filter(patient=stranger).count() == 1


@pytest.mark.django_db
def test_a_card_is_found_only_under_its_own_patient(logged_in, receptionist, patient):
    other = make_patient(receptionist, name="李四")
    card = actions.do_issue_card(receptionist, other)
    client = logged_in(receptionist)
    assert client.get(reverse("patients:card_print", args=[patient.pk, card.pk])).status_code == 404
    assert (
        client.post(reverse("patients:card_change", args=[patient.pk, card.pk, "freeze"])).status_code == 404
    )


@pytest.mark.django_db
def test_freeze_unfreeze_and_replace_through_the_views(logged_in, receptionist, patient):
    card = actions.do_issue_card(receptionist, patient, tier="silver")
    client = logged_in(receptionist)
    url = lambda change: reverse("patients:card_change", args=[patient.pk, card.pk, change])  # noqa: E731
    assert client.post(url("freeze"), {"reason": "出国"}, **HTMX).status_code == 200
    assert MembershipCard.objects.get(pk=card.pk).status == "frozen"
    assert client.post(url("unfreeze"), **HTMX).status_code == 200
    response = client.post(url("lost"), {"tier": "gold", "reason": ""}, **HTMX)
    new = MembershipCard.objects.get(patient=patient, status="active")
    assert new.replaces_id == card.pk and new.tier == "gold"
    body = response.content.decode()
    assert format_card_number(new.number) in body and card.number in body  # the old one stays in the history
    assert client.post(url("explode")).status_code == 404


@pytest.mark.django_db
def test_print_page_has_the_qr_code_and_no_identifiers(logged_in, receptionist, org):
    patient = make_patient(receptionist, name="欧阳小明", mobile="13912345678")
    card = actions.do_issue_card(receptionist, patient, tier="gold")
    response = logged_in(receptionist).get(reverse("patients:card_print", args=[patient.pk, card.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in body and "@page" in body and "85.6mm" in body
    assert format_card_number(card.number) in body and "欧**明" in body and org.name in body
    for secret in (patient.name, patient.id_number, patient.mobile, patient.mobile[-4:] + "<"):
        assert secret not in body
    entry = AuditEntry.objects.get(action="card.print")
    assert entry.patient_id == patient.pk and entry.object_id == str(card.pk)


@pytest.mark.django_db
def test_the_qr_code_encodes_only_the_card_number(logged_in, receptionist, patient):
    card = actions.do_issue_card(receptionist, patient)
    body = (
        logged_in(receptionist)
        .get(reverse("patients:card_print", args=[patient.pk, card.pk]))
        .content.decode()
    )
    found = re.search(r'class="qrline"[^>]* d="([^"]+)"', body)
    assert found is not None
    drawn = found.group(1)
    expected = segno.make(card.number, micro=False, error="m").svg_inline(omitsize=True, border=4)
    assert f'd="{drawn}"' in expected
    assert "viewBox" in body  # sized by CSS in mm, not clipped


@pytest.mark.django_db
def test_a_lost_card_cannot_be_printed(logged_in, receptionist, patient):
    card = actions.do_issue_card(receptionist, patient)
    actions.do_report_lost_and_replace(receptionist, card)
    assert (
        logged_in(receptionist).get(reverse("patients:card_print", args=[patient.pk, card.pk])).status_code
        == 404
    )


@pytest.mark.django_db
def test_cards_tab_query_count_does_not_grow_with_the_history(logged_in, receptionist, patient):
    client = logged_in(receptionist)
    url = reverse("patients:tab", args=[patient.pk, "cards"])
    card = actions.do_issue_card(receptionist, patient)
    client.get(url, **HTMX)  # warm the session and caches
    with CaptureQueriesContext(connection) as one:
        assert client.get(url, **HTMX).status_code == 200
    for _ in range(4):
        card = actions.do_report_lost_and_replace(receptionist, card)
    with CaptureQueriesContext(connection) as five:
        response = client.get(url, **HTMX)
    assert response.content.decode().count("<tr data-card=") == 5
    assert len(five) == len(one) <= 14


# --- PostgreSQL: concurrent issuing draws distinct numbers ---------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite serializes all writers; the lock matters on PostgreSQL"
)
def test_concurrent_issuing_never_repeats_or_skips_a_number(org):
    desk = make_user(org, "receptionist")
    patients = [make_patient(desk, name=f"并发{i}") for i in range(8)]
    barrier = threading.Barrier(len(patients))
    numbers, errors = [], []

    def issue(patient):
        try:
            barrier.wait(timeout=10)
            numbers.append(actions.do_issue_card(desk, patient).number)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(p,)) for p in patients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    sequences = sorted(int(number[2:-1]) for number in numbers)
    assert sequences == list(range(sequences[0], sequences[0] + len(patients)))
