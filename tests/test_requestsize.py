"""Request bodies refused before they are read: tried against a real HTTP server with a raw socket that
declares a body and does not send it (or sends only part of it). A server that read first would wait for
the rest, and the read below would time out."""

import http.client
import re
import socket

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from careloop.observations.models import ImportBatch

pytestmark = pytest.mark.django_db(transaction=True)

MB = 2**20
BOUNDARY = "careloop-boundary"
CSRF_COOKIE = "a" * 32  # any well-formed token makes Django's CSRF check read the form


def response_to(live_server, head: str, body_part: bytes = b"", timeout: float = 10) -> tuple[int, str]:
    """Send the request head and the start of its body; read the whole response, as far as it comes."""
    host, port = live_server.thread.host, live_server.thread.port
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(head.encode() + b"\r\n" + body_part)
        received = b""
        while b"\r\n\r\n" not in received:
            received += sock.recv(65536)
        headers, _, body = received.partition(b"\r\n\r\n")
        length = re.search(rb"Content-Length: (\d+)", headers)
        while length and len(body) < int(length.group(1)):
            piece = sock.recv(65536)
            if not piece:
                break
            body += piece
    status = int(headers.split(b" ", 2)[1])
    return status, body.decode("utf-8", errors="replace")


def post_head(
    path: str, length: int, cookies: str, language: str = "zh-hans", boundary: str = BOUNDARY
) -> str:
    return (
        f"POST {path} HTTP/1.1\r\nHost: localhost\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {length}\r\nCookie: {cookies}\r\nAccept-Language: {language}\r\n"
        f"Referer: http://localhost{path}\r\n"
    )


def test_a_huge_declared_body_is_refused_without_being_read(live_server, db):
    declared = 50 * 2**30  # 50 GB, none of which is sent
    head = post_head(reverse("observations:imports"), declared, f"csrftoken={CSRF_COOKIE}", "en")
    status, page = response_to(live_server, head)
    assert status == 413
    assert (
        "The file is larger than 200 MB, the largest file an import accepts (this upload was 51,200 MB)"
        in page
    )
    assert "Nothing of it was read or saved." in page


def test_a_large_body_to_a_page_without_uploads_is_refused_at_the_small_limit(live_server, db):
    head = post_head(reverse("patients:list"), 11 * MB, f"csrftoken={CSRF_COOKIE}", "en")
    status, page = response_to(live_server, head)
    assert status == 413
    assert "This request carries 11 MB; a page accepts at most 10 MB." in page


def logged_in_cookies(client, live_server, user) -> tuple[str, str]:
    """(Cookie header, form token) of a logged-in session on the live server."""
    client.force_login(user)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    connection = http.client.HTTPConnection(live_server.thread.host, live_server.thread.port, timeout=10)
    connection.request("GET", reverse("observations:imports"), headers={"Cookie": f"sessionid={session}"})
    answer = connection.getresponse()
    page = answer.read().decode()
    csrf = re.search(r"csrftoken=([^;]+)", answer.getheader("Set-Cookie") or "")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert csrf and token, page[:300]
    return f"sessionid={session}; csrftoken={csrf.group(1)}", token.group(1)


@pytest.mark.parametrize(
    ("language", "message"),
    [("zh-hans", "文件超过 1 MB。"), ("en", "The file is larger than 1 MB.")],
)
def test_upload_past_the_file_limit_stops_there_and_the_form_says_so_in_the_users_language(
    live_server, client, nurse, settings, language, message
):
    settings.IMPORT_MAX_UPLOAD_MB = 1
    cookies, token = logged_in_cookies(client, live_server, nurse)
    start = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n{token}\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    declared = len(start) + 8 * MB  # within the page's limit (1 MB + 10 MB): the handler must stop it
    status, page = response_to(
        live_server, post_head("/imports/", declared, cookies, language), start + b"x" * (MB + 65536)
    )
    assert status == 200
    assert message in page
    assert page.count("has-error") == 1  # the file's error, not "this field is required" for the rest
    assert not ImportBatch.objects.exists()


def test_a_large_body_to_a_small_page_gets_the_page_in_the_users_language(client):
    response = client.generic(
        "POST",
        reverse("patients:list"),
        b"",
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(20 * MB),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 413
    assert "This request carries 20 MB; a page accepts at most 10 MB." in response.content.decode()
    assert 'id="too-large-back"' in response.content.decode()
