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
