"""Fetch an RDF document for `LOAD`, only from URLs the settings allow.

The guards (`kg.query.guards.check_update_safety`) refuse every LOAD whose URL is not in
`AICAP_ALLOWED_SERVICE_URLS` before anything is parsed; this module is reached only for the
allowed ones, and still bounds what it reads (size, time, redirects to elsewhere).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Collection

from kg.errors import BadInput, Forbidden, TooLarge

FETCH_TIMEOUT_S = 10.0
ACCEPT = (
    "text/turtle, application/n-triples, application/n-quads, application/trig, "
    "application/ld+json;q=0.9, application/rdf+xml;q=0.8"
)


def fetch_rdf(url: str, *, allowed_urls: Collection[str], max_bytes: int) -> tuple[bytes, str]:
    """Return the body and media type of an allowed RDF document.

    Raises:
        Forbidden: the URL, or the URL a redirect leads to, is not allowed.
        TooLarge: the document is larger than `max_bytes`.
        BadInput: the server could not be reached or answered with an error.
    """
    if url not in allowed_urls:
        raise Forbidden(f"LOAD of {url} is refused", "allowed URLs: AICAP_ALLOWED_SERVICE_URLS")
    request = urllib.request.Request(url, headers={"Accept": ACCEPT})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_S) as response:
            if response.geturl() not in allowed_urls:
                raise Forbidden(
                    f"LOAD of {url} was redirected to {response.geturl()}, which is not allowed",
                    "allowed URLs: AICAP_ALLOWED_SERVICE_URLS",
                )
            body: bytes = response.read(max_bytes + 1)
            media_type = response.headers.get_content_type()
    except urllib.error.URLError as exc:
        raise BadInput(f"LOAD of {url} failed: {exc.reason}") from None
    except TimeoutError:
        raise BadInput(f"LOAD of {url} took longer than {FETCH_TIMEOUT_S:g} s") from None
    if len(body) > max_bytes:
        raise TooLarge(
            f"LOAD of {url}: the document is over {max_bytes:,} bytes",
            "the limit is AICAP_MAX_BODY_BYTES",
        )
    return body, media_type
