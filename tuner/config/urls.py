"""A service's address as the settings give it: checked once, and shown without credentials.

A `base_url` or `azure_endpoint` is where requests and the key go, so two things are settled
here, once for every caller:

- Only `http://` and `https://` reach a service. `file:///...`, a missing scheme
  (`localhost:8000/v1` reads as the scheme `localhost`) or a URL with no host would otherwise be
  accepted, then fail at the first request as "Cannot reach ..." and be retried for nothing.
  `url_problem` says what is wrong, for a `ConfigError` when the settings are read.
- A URL such as `http://user:pass@host/v1` carries credentials: the HTTP client sends them as
  basic auth, which replaces the bearer key, and anything that shows the URL would show the
  password. `has_userinfo` lets the connection refuse it; `shown_url` is the one form of a URL
  that titles, messages, `--json`, logs and backup indexes show, with no user name or password,
  whatever reaches it.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

SCHEMES = ("http", "https")

# `scheme://` then the authority's userinfo: everything up to the last `@` before the path.
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*://)[^/?#]*@")


def shown_url(url: str) -> str:
    """`url` without a user name or password (`http://u:p@host/v1` -> `http://host/v1`): the
    only form in which a service's URL is shown or recorded. Anything else is kept as it is."""
    return _USERINFO.sub(r"\1", url, count=1)


def has_userinfo(url: str) -> bool:
    """Whether `url` names a user or a password before its host."""
    return shown_url(url) != url


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a service's address ("must start with http:// or https://", "has
    no host", "is not a valid URL"), or None when it can."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port that is not a number raises ValueError here
    except ValueError:
        return "is not a valid URL"
    if parts.scheme.lower() not in SCHEMES:
        return "must start with http:// or https://"
    if not parts.hostname:
        return "has no host"
    return None
