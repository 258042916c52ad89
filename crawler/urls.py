"""Canonical URLs: the identity of an item across fetches, outlets' tracking links and feeds."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

TRACKING_PARAMS = {"fbclid", "gclid", "dclid", "msclkid", "zarsrc", "igshid", "mc_cid", "mc_eid"}
DEFAULT_PORTS = {"http": 80, "https": 443}


@lru_cache(maxsize=8192)
def canonical_url(url: str) -> str:
    """No fragment, no utm_*/fbclid-style parameters, lowercase host, no default port,
    sorted query; so the same article reached by two links is stored once.

    Kept for the last few thousand URLs: a crawl asks for each article's URL three times
    (is it stored, the feed entry, the full text) and w3lib's canonicalization costs about
    60 us, 2% of a collection's CPU time."""
    url = canonicalize_url(url.strip(), keep_fragments=False)
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    port = parts.port
    netloc = host if port in (None, DEFAULT_PORTS.get(parts.scheme)) else f"{host}:{port}"
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not k.lower().startswith("utm_") and k.lower() not in TRACKING_PARAMS
        ]
    )
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), netloc, path, query, ""))
