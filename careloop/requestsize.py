"""Request bodies refused before they are read.

Django streams a multipart upload to a temporary file before any view sees it, and counts only the
form's other fields against DATA_UPLOAD_MAX_MEMORY_SIZE: a 300 MB upload is received whole and refused
after. Here, two guards:

- `RequestSizeMiddleware` answers 413 to a request whose Content-Length is over the limit for its URL,
  before CSRF (which reads the form in process_view) or the view reads a byte of it. The limit is
  DATA_UPLOAD_MAX_MEMORY_SIZE, or for a view decorated with `accepts_upload` that view's file limit plus
  DATA_UPLOAD_MAX_MEMORY_SIZE for the form around the file.
- `UploadLimitHandler`, first in FILE_UPLOAD_HANDLERS, counts the file bytes actually parsed and stops
  the upload (without reading the rest) once they pass the view's file limit, so that a body within its
  declared length but with a file over the limit never lands on disk; the view then shows the form's
  error (`upload_cut_short`). Django never reads past the declared Content-Length (a chunked body
  without one is read as empty), so the two together bound what a request can make the server store.

A reverse proxy should refuse the same sizes first (nginx `client_max_body_size`, docs/deploy.md), so
that the body is not even sent to the application server.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import render
from django.urls import Resolver404, resolve

_CUT_SHORT = "careloop.upload_cut_short"  # request.META key: the file limit an upload was stopped at
View = TypeVar("View", bound=Callable[..., Any])


def accepts_upload(file_limit: Callable[[], int]) -> Callable[[View], View]:
    """Mark a view as taking a file of up to `file_limit()` bytes (read when a request comes in, so a
    test's settings apply)."""

    def mark(view: View) -> View:
        view.upload_limit = file_limit  # type: ignore[attr-defined]  # read back by _file_limit
        return view

    return mark


def _file_limit(request: HttpRequest) -> int | None:
    """The file limit of the view `request` is for, or None for a view that takes no upload."""
    match = request.resolver_match
    if match is None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return None
    limit: Callable[[], int] | None = getattr(match.func, "upload_limit", None)
    return None if limit is None else limit()


def _declared_length(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0  # Django then reads no body at all


def upload_cut_short(request: HttpRequest) -> int | None:
    """The file limit (bytes) an upload in this request was stopped at, or None if none was."""
    limit: int | None = request.META.get(_CUT_SHORT)
    return limit


class RequestSizeMiddleware:
    """413 for a body declared larger than its URL accepts (see the module's docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        declared = _declared_length(request)
        allowed: int = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if declared > allowed:
            file_limit = _file_limit(request)
            if file_limit is None or declared > file_limit + allowed:
                return self.refuse(request, declared, file_limit)
        return self.get_response(request)

    def refuse(self, request: HttpRequest, declared: int, file_limit: int | None) -> HttpResponseBase:
        context = {
            "declared_mb": _megabytes(declared),
            "file_limit_mb": None if file_limit is None else _megabytes(file_limit),
            "limit_mb": _megabytes(settings.DATA_UPLOAD_MAX_MEMORY_SIZE),
        }
        return render(request, "request_too_large.html", context, status=413)


def _megabytes(size: int) -> str:
    """1, 1.5, 51,200: megabytes to one decimal below 10, with no ".0"."""
    shown = f"{size / 2**20:,.0f}" if size >= 10 * 2**20 else f"{size / 2**20:.1f}"
    return shown.removesuffix(".0")


class UploadLimitHandler(FileUploadHandler):
    """Stops an upload once its files pass the view's file limit (see the module's docstring).

    Passes every chunk on to the next handler (memory or temporary file) until then."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit: int | None = None
        self.received = 0

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],
        content_length: int,
        boundary: str,
        encoding: str | None = None,
    ) -> None:
        if self.request is not None:
            limit = _file_limit(self.request)
            # A view that takes no upload still gets a form's worth of file: Django's own limit for fields.
            self.limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE if limit is None else limit

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.limit is not None and self.received > self.limit:
            if self.request is not None:
                self.request.META[_CUT_SHORT] = self.limit
            raise StopUpload(connection_reset=True)  # the rest of the body is not read
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler makes the file
