import pytest

from tests.factories import PASSWORD


@pytest.fixture
def login_page(page, live_server):
    """Log a user in through the real login form and return the page."""

    def login(user, password: str = PASSWORD):
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password)
        page.click("#login-submit")
        return page

    return login
