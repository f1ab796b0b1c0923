"""A doctor writes a tag rule with a typo, sees the caret under it, fixes it, tries it (the count of
patients it would tag), switches it on and finds the tag, with its provenance, on a patient's page.
Screenshots of the editor and of "try it" go to SCREENSHOTS."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from careloop.patients.models import PatientTag, Tag
from tests.autotags.helpers import SBP, person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path("/tmp/tagrules")


def test_a_doctor_fixes_a_typo_tries_the_rule_switches_it_on_and_sees_the_tag(
    login_page, live_server, doctor
):
    SCREENSHOTS.mkdir(exist_ok=True)
    org = doctor.organization
    Tag.objects.create(organization=org, name="收缩压高", color="#dc2626")
    raised = person(org, name="李建国", sbp=152)
    person(org, name="王芳", sbp=150)
    person(org, name="赵敏", sbp=128)

    page = login_page(doctor)
    page.click("#nav-organization")
    page.click("#tab-tag-rules")
    page.click("#new-tag-rule")
    page.select_option("#id_tag", label="收缩压高")
    page.fill("#id_key", "raised-sbp")
    page.fill("#id_text", f'agee >= 18 and latest("{SBP}") >= 140')
    page.fill("#id_source_note", "中国高血压防治指南 2018")
    page.click("#save-tag-rule")
    problem = page.locator("#rule-problem")
    expect(problem).to_have_attribute("data-column", "1")
    expect(page.locator(".rule-pointer mark")).to_have_text("^^^^")
    page.screenshot(path=str(SCREENSHOTS / "editor-error.png"), full_page=True)

    page.fill("#id_text", f'age >= 18 and latest("{SBP}") >= 140')
    page.click("#try-rule")
    expect(page.locator("#try-count")).to_have_attribute("data-count", "2")
    expect(page.locator("#try-sample tbody tr")).to_have_count(2)
    expect(page.locator("#rule-problem")).to_have_count(0)  # the fixed rule's old problem is gone
    page.screenshot(path=str(SCREENSHOTS / "try-it.png"), full_page=True)
    assert not PatientTag.objects.exists()  # trying tags no one

    page.click("#save-tag-rule")
    expect(page.locator("#enable-rule")).to_be_visible()
    page.click("#enable-rule")
    expect(page.locator("#disable-rule")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "editor-on.png"), full_page=True)
    page.click("#tab-tag-rules")
    expect(page.locator("#tag-rules tbody tr .tagged-count")).to_have_text("2")
    page.screenshot(path=str(SCREENSHOTS / "list.png"), full_page=True)

    page.goto(f"{live_server.url}/patients/{raised.pk}/")
    chip = page.locator('.tags .tag[data-source="rule"]')
    expect(chip).to_contain_text("收缩压高")
    title = chip.get_attribute("title") or ""
    assert "raised-sbp" in title and f'latest("{SBP}") = 152' in title
    page.screenshot(path=str(SCREENSHOTS / "patient.png"))
