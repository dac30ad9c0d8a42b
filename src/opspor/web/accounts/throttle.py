"""Log-in throttling: who the client is behind a proxy, and the per-user delay.

django-axes locks an *address* after ``AXES_FAILURE_LIMIT`` failures (``AXES_LOCKOUT_PARAMETERS``
in settings). A user name is never locked: whoever types a colleague's user name wrongly from
another address only makes the colleague wait ``LOGIN_USER_DELAY`` between attempts once
``LOGIN_USER_DELAY_AFTER`` failures for that name have been recorded within the cool-off time.

Behind a reverse proxy every request comes from the proxy's address; locking that would lock out
everyone. ``client_ip`` (``AXES_CLIENT_IP_CALLABLE``) therefore reads the client's address from
the header the proxy sets (``LOGIN_CLIENT_IP_HEADER``, e.g. ``X-Forwarded-For``), but only when
the request comes from one of ``LOGIN_TRUSTED_PROXIES``; a client cannot choose its own address
by sending the header directly.
"""

from __future__ import annotations

import ipaddress
import math

from django.conf import settings
from django.utils import timezone


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in settings.LOGIN_TRUSTED_PROXIES)


def client_ip(request) -> str:
    """The client's address: the right-most address of the proxy header that is not a trusted
    proxy, when the request comes from a trusted proxy; else the connection's address."""
    remote = request.META.get("REMOTE_ADDR", "")
    header = settings.LOGIN_CLIENT_IP_HEADER
    if not (header and _trusted(remote)):
        return remote
    chain = [a.strip() for a in request.META.get(header, "").split(",") if a.strip()]
    for address in reversed(chain):
        if not _trusted(address):
            try:
                return str(ipaddress.ip_address(address))
            except ValueError:
                return remote  # a garbled header: the proxy's own address (locks only the proxy)
    return remote


def user_delay(username: str) -> int:
    """Seconds the user name must still wait before the next attempt (0: may try now)."""
    from axes.models import AccessAttempt

    if not username or not settings.LOGIN_USER_DELAY:
        return 0
    now = timezone.now()
    attempts = list(AccessAttempt.objects.filter(username=username, attempt_time__gte=now - settings.AXES_COOLOFF_TIME)
                    .values_list("failures_since_start", "attempt_time"))
    if sum(n for n, _at in attempts) < settings.LOGIN_USER_DELAY_AFTER:
        return 0
    last = max(at for _n, at in attempts)
    remaining = (last + settings.LOGIN_USER_DELAY - now).total_seconds()
    return max(0, math.ceil(remaining))
