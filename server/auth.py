"""Bearer tokens for writes (``AICAP_WRITE_TOKEN``).

A write needs ``Authorization: Bearer <AICAP_WRITE_TOKEN>``: exactly that scheme and that
token, compared in constant time (`hmac.compare_digest`). With no token configured the
service is read-only, and every write is refused with 403 before the header is read;
a missing or wrong token, or another scheme, is 401 with ``WWW-Authenticate: Bearer``
(`server.errors` adds the header for `Unauthorized`).
"""

from __future__ import annotations

import hmac

from flask import request

from kg.errors import ReadOnly, Unauthorized
from server.context import current_kg

SCHEME = "Bearer "


def require_writer() -> str:
    """Check that this request may write; return the token holder's name for the audit.

    Raises:
        ReadOnly: no write token is configured (403).
        Unauthorized: no ``Authorization: Bearer`` header, or not the configured token (401).
    """
    settings = current_kg().settings
    if not settings.write_token:
        raise ReadOnly(
            "this service is read-only: no write token is configured",
            "the operator sets AICAP_WRITE_TOKEN to accept writes",
        )
    header = request.headers.get("Authorization", "")
    if not header.startswith(SCHEME):
        raise Unauthorized(
            "this write needs an Authorization: Bearer header",
            "send Authorization: Bearer <token>, the token the operator configured",
        )
    given = header[len(SCHEME) :].encode("utf-8", "surrogateescape")
    if not hmac.compare_digest(given, settings.write_token.encode("utf-8")):
        raise Unauthorized(
            "the bearer token is not the one this service accepts",
            "send Authorization: Bearer <token> with the configured token",
        )
    return settings.write_token_name
