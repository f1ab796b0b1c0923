"""The organization's administration in a real browser: an administrator adds a nurse and resets her password,
and the nurse must choose her own at login before anything else. Each new page is photographed into the
test's temporary folder (`--basetemp test-artifacts/tmp` keeps them: test-artifacts/tmp/test_an_admin*/)."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from careloop.accounts.models import AuditEntry, Department, User
from careloop.patients.models import Tag

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHOSEN = "Spring-rain-on-leaves-8"


def shoot(page: Page, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_an_admin_adds_a_nurse_resets_her_password_and_she_must_change_it_at_login(
    login_page, live_server, admin_user, tmp_path
):
    Department.objects.create(organization=admin_user.organization, name="慢病管理科")
    page = login_page(admin_user)
    page.click("#nav-organization")
    expect(page.locator("#staff")).to_contain_text(admin_user.username)
    shoot(page, tmp_path, "staff-list")

    page.click("#add-staff")
    page.fill("#id_username", "lihua")
    page.fill("#id_display_name", "李华")
    page.select_option("#id_department", label="慢病管理科")
    page.select_option("#id_role", "nurse")
    expect(page.locator("#id_role option")).to_have_count(4)  # never the audit reviewer
    shoot(page, tmp_path, "staff-add")
    page.click("#save-staff")
    first = page.locator("#temporary-password").inner_text()
    assert len(first) >= 16
    shoot(page, tmp_path, "temporary-password")
    lihua = User.objects.get(username="lihua")
    assert lihua.check_password(first) and lihua.must_change_password

    page.click("#done")
    page.locator(f"#staff-{lihua.pk}").get_by_role("link").click()
    expect(page.locator("#reset-password")).to_be_visible()
    shoot(page, tmp_path, "staff-edit")
    page.click("#reset-password")
    second = page.locator("#temporary-password").inner_text()
    assert second != first
    lihua.refresh_from_db()
    assert not lihua.check_password(first) and lihua.check_password(second)

    page.goto(f"{live_server.url}/organization/departments/")
    row = page.locator("#departments tbody tr").first
    row.locator("input[name=name]").fill("慢病管理中心")
    row.get_by_role("button").first.click()
    expect(page.locator("#departments .saved")).to_be_visible()  # renamed in place
    shoot(page, tmp_path, "departments")
    page.goto(f"{live_server.url}/organization/tags/")
    page.fill("#id_name", "高血压")
    page.locator("#add-tag button[type=submit]").click()
    expect(page.locator("#tags")).to_contain_text("高血压")
    shoot(page, tmp_path, "tags")
    page.goto(f"{live_server.url}/organization/password-policy/")
    shoot(page, tmp_path, "password-policy")
    page.click("#my-account")
    expect(page.locator("#go-second-factor")).to_be_visible()
    shoot(page, tmp_path, "my-account")
    page.locator("form[action='/logout/'] button").click()

    login_page(lihua, second)
    expect(page.locator("#must-change")).to_be_visible()
    page.goto(f"{live_server.url}/patients/")  # nothing else opens until she has chosen her own
    expect(page.locator("#must-change")).to_be_visible()
    shoot(page, tmp_path, "password-change-forced")
    page.fill("#id_old_password", second)
    page.fill("#id_new_password1", "short")
    page.fill("#id_new_password2", "short")
    page.click("#change-password")
    expect(page.locator("#password-form .error").first).to_be_visible()
    shoot(page, tmp_path, "password-change-refused")
    page.fill("#id_old_password", second)
    page.fill("#id_new_password1", CHOSEN)
    page.fill("#id_new_password2", CHOSEN)
    page.click("#change-password")
    expect(page).to_have_url(f"{live_server.url}/patients/")
    lihua.refresh_from_db()
    assert lihua.check_password(CHOSEN) and not lihua.must_change_password
    assert Tag.objects.filter(name="高血压").exists()
    org_id = admin_user.organization_id
    actions = set(AuditEntry.objects.filter(chain=org_id).values_list("action", flat=True))
    assert {"staff.created", "staff.password_reset", "department.renamed", "tag.created"} <= actions
    assert "password.changed" in actions
