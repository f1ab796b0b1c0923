"""The Content-Security-Policy holds in a real browser: no page, htmx swap or chart breaks it.

Chromium reports every blocked script, handler, style or frame as a `securitypolicyviolation` event and a
console error; both are collected across the main pages and flows, and there must be none.
"""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import ConsoleMessage, Page, expect

from careloop.accounts.models import User
from careloop.observations.models import UnmatchedResult
from careloop.patients.models import FamilyLink
from tests.e2e.test_trends import add_yearly_glucose
from tests.factories import PASSWORD, make_patient, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Runs before any script of every page: records violations, and stands in for the print dialog.
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  var where = e.sourceFile + ":" + e.lineNumber;
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " at " + where);
});
window.print = function () { window.__printed = true; };
"""


class Watch:
    """Console errors and CSP violations of every page opened in the browser context."""

    def __init__(self, page: Page):
        self.console: list[str] = []
        self.pages: list[Page] = [page]
        page.context.add_init_script(WATCH)
        page.context.on("page", self._follow)
        self._listen(page)

    def _follow(self, page: Page) -> None:
        self.pages.append(page)
        self._listen(page)

    def _listen(self, page: Page) -> None:
        def console(message: ConsoleMessage) -> None:
            source = message.location.get("url", "")
            if message.text.startswith("Failed to load resource") and (
                source == page.url or source.endswith("/favicon.ico")
            ):
                return  # the page's own 403/404 (an error page visited on purpose); the browser's icon probe
            if message.type == "error" or "Content Security Policy" in message.text:
                self.console.append(f"{page.url}: {message.text}")

        page.on("console", console)
        page.on("pageerror", lambda error: self.console.append(f"{page.url}: {error}"))

    def check(self, page: Page) -> None:
        violations = page.evaluate("window.__violations")
        assert violations == [], violations
        assert self.console == [], self.console


def open_tab(page: Page, tab: str) -> None:
    """Click a tab of the patient page and wait until htmx has swapped and settled it (it is marked then)."""
    page.click(f"[data-tab={tab}]")
    expect(page.locator(f"[data-tab={tab}]")).to_have_class(re.compile("active"))


def visit(page: Page, watch: Watch, url: str, heading: str | None = None) -> None:
    page.goto(url)
    if heading:
        expect(page.locator("h1").first).to_contain_text(heading)
    watch.check(page)


def test_no_page_or_flow_violates_the_content_security_policy(login_page, live_server, page, admin_user):
    watch = Watch(page)
    patient = make_patient(admin_user, name="周血糖")
    make_patient(admin_user, name="张三")
    add_yearly_glucose(patient)
    FamilyLink.objects.create(
        patient=patient, related_name="周大", related_mobile="13900001111", relationship="child"
    )
    UnmatchedResult.objects.create(
        organization_id=patient.organization_id, patient_name="周雪堂", record={}, received_at=timezone.now()
    )
    base = live_server.url

    page.goto(f"{base}/login/")
    watch.check(page)
    login_page(admin_user)
    expect(page).to_have_url(re.compile(r"/patients/$"))
    watch.check(page)

    # The live search (an htmx POST) and the detail page with each tab swapped in.
    page.fill("#id_q", "zxt")
    expect(page.locator("table.patients tbody tr")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"/patients/\?s="))
    page.click("text=周血糖")
    expect(page.locator(".patient-header h1")).to_contain_text("周血糖")
    for tab in ["family", "cards", "consent", "conditions", "medications", "trends", "summary"]:
        open_tab(page, tab)
        watch.check(page)

    # The trend chart (ECharts, loaded by the chart script), its unit switch and an indicator swap.
    open_tab(page, "trends")
    expect(page.locator("#trend-canvas canvas")).to_have_count(1)
    page.wait_for_function(
        "() => window.echarts && echarts.getInstanceByDom(document.getElementById('trend-canvas'))"
    )
    page.select_option("#trend-unit", "mg/dL")
    watch.check(page)

    # A health-record form swapped in, refused (errors shown in the panel), then the reveal button.
    open_tab(page, "conditions")
    page.locator("#tab-panel a", has_text="添加").first.click()
    page.locator("#tab-panel button[type=submit]").first.click()
    expect(page.locator("#tab-panel .error, #tab-panel .form-alert").first).to_be_visible()
    watch.check(page)
    open_tab(page, "summary")
    page.locator("#mobile button").click()
    expect(page.locator("#mobile .revealed")).to_be_visible()
    watch.check(page)

    # A card issued, then printed in its own window (the Print button is wired by a static script).
    open_tab(page, "cards")
    page.click("#issue-card")
    expect(page.locator("#current-card")).to_be_visible()
    with page.expect_popup() as popup:
        page.click("#print-card")
    printed = popup.value
    printed.wait_for_load_state()
    printed.click("#print")
    assert printed.evaluate("window.__printed") is True
    watch.check(printed)

    # The family tab's search (an htmx POST) and its edit form.
    open_tab(page, "family")
    page.fill("#family-search", "zs")
    expect(page.locator("#family-matches")).to_contain_text("张三")
    page.locator("#family-links a", has_text="编辑").first.click()
    expect(page.locator("#family-form h3")).to_contain_text("周大")
    watch.check(page)

    for url, heading in [
        (f"{base}/patients/{patient.pk}/edit/", None),
        (f"{base}/patients/new/", None),
        (f"{base}/patients/duplicates/", "疑似重复档案"),
        (f"{base}/imports/", None),
        (f"{base}/imports/unmatched/", None),
        (f"{base}/imports/critical-values/", "危急值"),
        (f"{base}/audit/", None),
        (f"{base}/patients/{patient.pk + 1000}/", "页面"),  # the 404 page
    ]:
        visit(page, watch, url, heading)

    # The unmatched list's candidate search (an htmx POST inside the match form).
    page.goto(f"{base}/imports/unmatched/")
    page.locator("#unmatched button", has_text="查找").first.click()
    # Type only once htmx has swapped the search box in and settled it: before that it listens to nothing.
    page.wait_for_function(
        "() => document.querySelector('#unmatched form.candidates')"
        " && !document.querySelector('.htmx-request, .htmx-settling, .htmx-added')"
    )
    page.locator("#unmatched input[type=search]").fill("zxt")
    expect(page.locator("#unmatched .candidate")).to_have_count(1)
    watch.check(page)


def test_the_django_admin_keeps_the_policy_too(page, live_server, org):
    """The admin is for the installation's superuser only; its pages run under the same policy."""
    watch = Watch(page)
    root = User.objects.create_superuser("root", password=PASSWORD)
    make_user(org, "nurse")
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", root.username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_load_state()
    for path in ["/admin/", "/admin/accounts/user/", f"/admin/accounts/user/{root.pk}/change/"]:
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("#content")).to_be_visible()
        watch.check(page)
