"""A nurse opens a patient with a severe penicillin allergy, an open alert, plans and a contact: the
banner shows them all, and the mobile number is revealed once as a tel: link, at desk and phone widths."""

import pytest
from playwright.sync_api import expect

from careloop.accounts.models import AuditEntry
from tests.patients.test_banner import give_history

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = "/tmp/banner"


@pytest.mark.parametrize("width", [1280, 390])
def test_the_banner_shows_what_must_not_be_missed_and_reveals_the_phone_once(
    login_page, live_server, nurse, patient, width
):
    rows = give_history(nurse, patient)
    page = login_page(nurse)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/patients/{patient.pk}/")

    banner = page.locator("#patient-banner")
    expect(banner.locator(f"[data-allergy='{rows['severe'].pk}'][data-severity=severe]")).to_be_visible()
    expect(banner.locator("#patient-alerts .patient-alert")).to_have_count(1)
    expect(banner.locator(f".plan[data-enrolment='{rows['active'].pk}'] .next-task")).to_be_visible()
    expect(
        banner.locator(f".plan[data-enrolment='{rows['lost'].pk}'][data-status=lost] .status.lost")
    ).to_be_visible()
    expect(banner.locator("#banner-last-contact")).to_have_attribute("data-outcome", "no_answer")
    expect(page.locator("#patient-alerts")).to_have_count(1)  # alerts once, inside the banner

    # Nothing in the banner is wider than the page at a phone's width.
    overflow = page.eval_on_selector("#patient-banner", "b => b.scrollWidth - b.clientWidth")
    assert overflow <= 0
    page.screenshot(path=f"{SCREENSHOTS}/banner-{width}.png", full_page=True)

    page.click("#reveal-mobile")
    tel = page.locator("#mobile a#mobile-tel")
    expect(tel).to_have_attribute("href", f"tel:{patient.mobile}")
    expect(page.locator("#reveal-mobile")).to_have_count(0)
    assert AuditEntry.objects.filter(action="patient.reveal", patient_id=patient.pk).count() == 1
    page.screenshot(path=f"{SCREENSHOTS}/banner-{width}-revealed.png", full_page=False)

    page.reload()
    expect(page.locator("#reveal-mobile")).to_be_visible()  # masked again on the next view of the page
    expect(page.locator("#mobile-tel")).to_have_count(0)
