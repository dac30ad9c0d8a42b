"""Headers of every response of the application (static files, served by WhiteNoise before this
middleware, keep their own).

- ``Content-Security-Policy``: scripts only from the app's own static files (no inline script, no
  ``on…=`` attribute, no ``eval``), nothing loaded from elsewhere, no framing, forms post only to
  the app. Inline *styles* are allowed: the server-drawn charts are SVG with ``style`` attributes
  (matplotlib), and a style cannot run code.
- ``Cache-Control: no-store`` on every response, whoever asks: a rule that cannot forget a page
  with person data (pages, exports, PDFs, error pages, redirects alike); nothing of the app is
  worth caching but its static files.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from opspor.web.core.params import BadParameter

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response["Cache-Control"] = "no-store"
        return response


class NulCharacterMiddleware:
    """A query or form parameter holding a NUL character is refused with the 400 page naming the
    parameter, before any view reads it: PostgreSQL cannot compare or store text with NUL (a view
    filtering on it would fail with a server error), and no field of the app takes one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for params in (request.GET, request.POST) if request.method == "POST" else (request.GET,):
            for name, values in params.lists():
                if "\x00" in name or any("\x00" in v for v in values if isinstance(v, str)):
                    raise BadParameter(_("The parameter “%(name)s” holds a NUL character, which no field takes. "
                                         "Remove it and send again.") % {"name": name.replace("\x00", "")[:40]})
        return self.get_response(request)
