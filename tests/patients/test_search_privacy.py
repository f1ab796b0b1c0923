"""What is typed into a search box never reaches a URL: searches are posted, pages carry an opaque token.

An ID or mobile number in a URL ends up in access logs, Referer headers and the browser's history.
"""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.urls import reverse

from careloop import searchtokens
from careloop.accounts.models import AuditEntry
from careloop.encryption import cipher
from careloop.observations.models import UnmatchedResult
from tests.factories import make_patient, make_user

LIST = "/patients/"


def token_of(url: str) -> str:
    assert url.startswith(LIST + "?s="), url
    return url.removeprefix(LIST + "?s=")


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["id_number", "mobile"])
def test_a_posted_search_answers_with_a_token_url_that_carries_nothing_typed(logged_in, nurse, field):
    wanted = make_patient(nurse, name="张三")
    make_patient(nurse, name="李四")
    client = logged_in(nurse)
    typed = getattr(wanted, field)
    response = client.post(LIST, {"q": typed})
    assert response.status_code == 302
    assert typed not in response["Location"] and typed[-4:] not in response["Location"]
    token = token_of(response["Location"])
    page = client.get(response["Location"])
    assert [p.pk for p in page.context["page"]] == [wanted.pk]
    assert page.context["search_kind"] == field
    assert client.get(LIST, {"s": token}).context["form"]["q"].value() == typed  # the box keeps the text


@pytest.mark.django_db
def test_the_live_search_swaps_results_and_pushes_the_token_into_the_address_bar(logged_in, nurse):
    wanted = make_patient(nurse, name="张三")
    make_patient(nurse, name="李四")
    response = logged_in(nurse).post(
        LIST, {"q": wanted.mobile}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="patient-results"
    )
    assert response.status_code == 200
    assert [p.pk for p in response.context["page"]] == [wanted.pk]
    assert "<html" not in response.content.decode()  # the results only
    token_of(response["HX-Push-Url"])
    assert wanted.mobile not in response["HX-Push-Url"]


@pytest.mark.django_db
def test_page_links_carry_the_token_and_the_page_number_only(logged_in, nurse, settings):
    settings.PATIENTS_PER_PAGE = 2
    for name in ["张一", "张二", "张三", "张四", "张五"]:
        make_patient(nurse, name=name)
    client = logged_in(nurse)
    token = token_of(client.post(LIST, {"q": "zhang"})["Location"])
    first = client.get(LIST, {"s": token})
    assert f'href="?s={token}&page=2"' in first.content.decode()
    second = client.get(LIST, {"s": token, "page": "2"})
    assert second.context["page"].number == 2 and len(second.context["page"]) == 2
    assert "zhang" not in second.content.decode().split('id="patient-results"')[1]  # no typed text in links


@pytest.mark.django_db
def test_a_query_typed_into_the_url_is_not_searched(logged_in, nurse):
    """A bookmark or a link with ?q= would put the number into logs again: the list ignores it."""
    wanted = make_patient(nurse, name="张三")
    other = make_patient(nurse, name="李四")
    page = logged_in(nurse).get(LIST, {"q": wanted.id_number})
    assert {p.pk for p in page.context["page"]} == {wanted.pk, other.pk}
    assert page.context["search_kind"] == "empty"


@pytest.mark.django_db
def test_a_token_works_only_in_the_session_that_made_it(client, logged_in, nurse):
    wanted = make_patient(nurse, name="张三")
    make_patient(nurse, name="李四")
    token = token_of(logged_in(nurse).post(LIST, {"q": wanted.id_number})["Location"])
    client.logout()
    client.force_login(nurse)  # a new session of the same person
    page = client.get(LIST, {"s": token})
    assert page.context["expired"] is True
    assert len(page.context["page"]) == 2
    assert 'id="search-expired"' in page.content.decode()


@pytest.mark.django_db
def test_the_session_keeps_the_typed_number_encrypted(logged_in, nurse):
    wanted = make_patient(nurse, name="张三")
    client = logged_in(nurse)
    client.post(LIST, {"q": wanted.id_number})
    client.post(LIST, {"q": wanted.mobile})
    for row in Session.objects.all():
        stored = row.session_data + str(SessionStore().decode(row.session_data))
        assert wanted.id_number not in stored and wanted.mobile not in stored


@pytest.mark.django_db
def test_an_invalid_search_is_shown_with_its_error_and_no_token(logged_in, nurse):
    response = logged_in(nurse).post(LIST, {"q": "x" * 61})
    assert response.status_code == 200
    assert response.context["form"].errors["q"]
    assert "HX-Push-Url" not in response


@pytest.mark.django_db
def test_family_search_is_posted_and_refuses_a_query_in_the_url(logged_in, nurse, patient):
    wife = make_patient(nurse, name="王芳", sex="female", mobile="13800001111")
    client = logged_in(nurse)
    url = reverse("patients:family_find", args=[patient.pk])
    assert client.get(url, {"q": wife.mobile}).status_code == 405
    found = client.post(url, {"q": wife.mobile}).content.decode()
    assert f'value="{wife.pk}"' in found


@pytest.mark.django_db
def test_unmatched_candidates_search_is_posted_and_ignores_a_query_in_the_url(logged_in, org, doctor):
    wanted = make_patient(doctor, name="钱多多")
    make_patient(doctor, name="孙丽")
    item = UnmatchedResult.objects.create(organization=org, patient_name="钱朵朵", record={})
    client = logged_in(make_user(org, "nurse"))
    url = reverse("observations:unmatched_candidates", args=[item.pk])
    assert f'value="{wanted.pk}"' not in client.get(url, {"q": wanted.mobile}).content.decode()
    assert f'value="{wanted.pk}"' in client.post(url, {"q": wanted.mobile}).content.decode()
    assert AuditEntry.objects.filter(action="patient.list", detail__search="unmatched_candidates").exists()


@pytest.mark.parametrize("count", [1, searchtokens.KEEP, searchtokens.KEEP + 5])
def test_the_session_keeps_only_the_newest_searches(count):
    store: dict[str, object] = {}
    tokens = [searchtokens.remember(store, {"q": str(n)}, cipher()) for n in range(count)]
    assert len(set(tokens)) == count
    kept = [t for t in tokens if searchtokens.recall(store, t, cipher()) is not None]
    assert kept == tokens[-searchtokens.KEEP :]
    assert searchtokens.recall(store, tokens[-1], cipher()) == {"q": str(count - 1)}
    assert searchtokens.recall(store, "made-up", cipher()) is None
