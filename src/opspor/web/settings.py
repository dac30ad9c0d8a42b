"""Django settings. Secure by default; everything secret or site-specific comes from the environment.

Environment:
- ``OPSPOR_SECRET_KEY``: required unless ``OPSPOR_DEBUG=1`` (then a per-installation key is
  created in ``$OPSPOR_HOME/django-secret.key``, mode 0600, for local demos).
- ``OPSPOR_DEBUG``: ``1`` for local development only.
- ``OPSPOR_ALLOWED_HOSTS``: comma-separated host names (default ``127.0.0.1,localhost``).
- ``OPSPOR_DB``: ``sqlite`` (default, ``$OPSPOR_HOME/opspor.sqlite3``) or ``postgresql`` with
  ``OPSPOR_DB_NAME``, ``OPSPOR_DB_USER``, ``OPSPOR_DB_PASSWORD``, ``OPSPOR_DB_HOST``, ``OPSPOR_DB_PORT``.
- ``OPSPOR_DB_CONN_MAX_AGE``: seconds a server thread keeps its database connection between
  requests (default 60; 0 opens one per request).
- ``OPSPOR_HTTPS``: ``0`` to serve over plain HTTP on loopback (the demo); default ``1``.
- Log-in throttling (``accounts/throttle.py``, django-axes): ``OPSPOR_LOGIN_FAILURE_LIMIT``
  (default 10) failures from one client address lock that address for
  ``OPSPOR_LOGIN_COOLOFF_MINUTES`` (default 15); after ``OPSPOR_LOGIN_USER_DELAY_AFTER`` (default 5)
  failures for one user name (from any address) its next attempts must be
  ``OPSPOR_LOGIN_USER_DELAY_SECONDS`` (default 30) apart. Behind a reverse proxy set
  ``OPSPOR_TRUSTED_PROXIES`` (comma-separated addresses or networks of the proxies) and
  ``OPSPOR_CLIENT_IP_HEADER`` (default ``X-Forwarded-For``): the client address is then read from
  that header on requests from those proxies only.
- OpenID Connect log-in (``accounts/oidc.py``, docs/citizen.md): per door (``STAFF``, ``CITIZEN``)
  ``OPSPOR_OIDC_<DOOR>_ISSUER`` (switches the door on), ``_CLIENT_ID``, ``_CLIENT_SECRET`` and
  optionally ``_JWKS_URI`` (the provider's published key set otherwise).
- ``OPSPOR_LOG_LEVEL`` (default ``INFO``). Log lines are written with CPR-shaped numbers masked.
- ``OPSPOR_AUDIT_READS``: ``0`` switches off the audit entries of *reads* (changes are always
  audited). Only for the load benchmark, which measures their cost; refused unless
  ``OPSPOR_ALLOW_UNAUDITED_READS=1`` is also set, and logged as a warning at start.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from opspor import paths


def _flag(name: str, default: str) -> bool:
    return os.environ.get(name, default).strip().lower() in ("1", "true", "yes", "on")


def _secret_key(debug: bool) -> str:
    key = os.environ.get("OPSPOR_SECRET_KEY")
    if key:
        return key
    if not debug:
        raise ImproperlyConfigured(
            "OPSPOR_SECRET_KEY is not set. Set it to a long random string in the environment "
            "(for a local demo, set OPSPOR_DEBUG=1 instead)."
        )
    from opspor.web.settings_demo import demo_secret_key

    return demo_secret_key()


BASE_DIR = Path(__file__).resolve().parent
DEBUG = _flag("OPSPOR_DEBUG", "0")
SECRET_KEY = _secret_key(DEBUG)
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("OPSPOR_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_htmx",
    "opspor.web.accounts",
    "opspor.web.audit",
    "opspor.web.people",
    "opspor.web.worklists",
    "opspor.web.aps",
    "opspor.web.trial",
    "opspor.web.monitoring",
    "opspor.web.alerts",
    "opspor.web.telemonitoring",
    "opspor.web.messaging",
    "opspor.web.directory",
    "opspor.web.signin",
    "opspor.web.citizen",
    "opspor.web.acute",
    "opspor.web.inbound",
    "opspor.web.careplan",
    "opspor.web.riskmonitor",
    "opspor.web.core",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "opspor.web.core.middleware.SecurityHeadersMiddleware",  # CSP and no-store on every page
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "opspor.web.core.middleware.NulCharacterMiddleware",  # a NUL in a parameter: the 400 page
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "opspor.web.accounts.middleware.SecondFactorMiddleware",
    "opspor.web.accounts.middleware.CitizenAreaMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "opspor.web.signin.backend.OpenIdBackend",  # OpenID Connect (web/signin, docs/citizen.md)
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# OpenID Connect log-in (web/signin on mozilla-django-oidc; docs/citizen.md). The doors, staff and
# citizen, are switched on by the environment (accounts/oidc.py: OPSPOR_OIDC_<DOOR>_ISSUER, ...);
# which claims make which role, organisation or person is signin/config/oidc.yaml.
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_USE_NONCE = True
OIDC_USE_PKCE = True
OIDC_STORE_ID_TOKEN = True  # the log-out at the provider names the session by it
OIDC_TIMEOUT = 15
OIDC_AUTHENTICATION_CALLBACK_URL = "signin:callback"

# Log-in throttling (django-axes and accounts/throttle.py): lock an address after N failures;
# a user name only waits between attempts, so nobody can lock a colleague out.
def _networks(value: str) -> list:
    try:
        return [ipaddress.ip_network(v.strip(), strict=False) for v in value.split(",") if v.strip()]
    except ValueError as error:
        raise ImproperlyConfigured(f"OPSPOR_TRUSTED_PROXIES: {error}. Give the proxies' addresses or networks, "
                                   "comma-separated (e.g. 10.0.0.5,10.1.0.0/24).") from None


AXES_FAILURE_LIMIT = int(os.environ.get("OPSPOR_LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("OPSPOR_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
AXES_CLIENT_IP_CALLABLE = "opspor.web.accounts.throttle.client_ip"
LOGIN_TRUSTED_PROXIES = _networks(os.environ.get("OPSPOR_TRUSTED_PROXIES", ""))
LOGIN_CLIENT_IP_HEADER = "HTTP_" + os.environ.get("OPSPOR_CLIENT_IP_HEADER", "X-Forwarded-For").upper().replace("-", "_")
LOGIN_USER_DELAY_AFTER = int(os.environ.get("OPSPOR_LOGIN_USER_DELAY_AFTER", "5"))
LOGIN_USER_DELAY = timedelta(seconds=int(os.environ.get("OPSPOR_LOGIN_USER_DELAY_SECONDS", "30")))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

ROOT_URLCONF = "opspor.web.urls"
WSGI_APPLICATION = "opspor.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "opspor.web.core.context.navigation",
            ],
            # Django's date filter, faster for numeric formats (core/templatetags/dates.py)
            "builtins": ["opspor.web.core.templatetags.dates"],
        },
    },
]


def _databases() -> dict:
    engine = os.environ.get("OPSPOR_DB", "sqlite")
    if engine == "sqlite":
        return {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": os.environ.get("OPSPOR_DB_NAME", str(paths.home() / "opspor.sqlite3")),
                # several server processes write the audit log at once: WAL lets readers go on
                # while one writes, IMMEDIATE takes the write lock up front (no upgrade deadlock)
                "OPTIONS": {
                    "timeout": 20,
                    "transaction_mode": "IMMEDIATE",
                    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                },
            }
        }
    if engine == "postgresql":
        return {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": os.environ.get("OPSPOR_DB_NAME", "opspor"),
                "USER": os.environ.get("OPSPOR_DB_USER", ""),
                "PASSWORD": os.environ.get("OPSPOR_DB_PASSWORD", ""),
                "HOST": os.environ.get("OPSPOR_DB_HOST", ""),
                "PORT": os.environ.get("OPSPOR_DB_PORT", ""),
            }
        }
    raise ImproperlyConfigured(f"OPSPOR_DB must be 'sqlite' or 'postgresql', not {engine!r}.")


DATABASES = _databases()
# Keep a server thread's connection between requests (a new PostgreSQL connection costs a server
# process; a new SQLite one its PRAGMAs): seconds, 0 closes after each request as Django's default.
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("OPSPOR_DB_CONN_MAX_AGE", "60"))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Danish by default, English available.
LANGUAGE_CODE = "da"
LANGUAGES = [("da", _("Danish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Copenhagen"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# WhiteNoise serves the apps' static files straight from the package (no collectstatic step,
# so no STATIC_ROOT).
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Security: on by default. OPSPOR_HTTPS=0 only for the loopback demo.
HTTPS = _flag("OPSPOR_HTTPS", "1")
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 60 * 60  # one working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

OTP_TOTP_ISSUER = "opspor"


def _audit_reads() -> bool:
    if _flag("OPSPOR_AUDIT_READS", "1"):
        return True
    if not _flag("OPSPOR_ALLOW_UNAUDITED_READS", "0"):
        raise ImproperlyConfigured(
            "OPSPOR_AUDIT_READS=0 switches off the audit of reads of person data; it is only for "
            "the load benchmark. Remove it, or also set OPSPOR_ALLOW_UNAUDITED_READS=1."
        )
    logging.getLogger("opspor.audit").warning("Reads of person data are NOT audited (benchmark mode).")
    return False


AUDIT_READS = _audit_reads()

# One console handler for everything (web/log_privacy.py): CPR-shaped numbers masked in every
# line, no traceback for a client error (4xx). Django's own default handlers are taken off its
# loggers, so that every record goes through this one.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client_errors": {"()": "opspor.web.log_privacy.NoTracebackForClientErrors"}},
    "formatters": {"masked": {"()": "opspor.web.log_privacy.MaskingFormatter", "format": "%(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["client_errors"], "formatter": "masked"}},
    "loggers": {"django": {"handlers": [], "propagate": True}},
    "root": {"handlers": ["console"], "level": os.environ.get("OPSPOR_LOG_LEVEL", "INFO")},
}
