"""Turn a feed URL into bytes plus caching headers. The only module that imports httpx.

feedparser can fetch URLs itself, but it has no timeout, reports a 308 as 200 and hides the
redirect chain (DESIGN.md "Feeds"), so we do HTTP here and hand feedparser bytes. What this adds
over ``client.get(url)``:

* redirects followed by hand, at most ``max_redirects`` hops, each hop checked: http(s) only and,
  unless ``allow_private``, every address the host resolves to must be public (a feed URL is user
  input, and a redirect is the classic way to smuggle a request to 169.254.169.254 or an intranet
  host); an IPv6 address that carries an IPv4 one (``::ffff:127.0.0.1``, ``64:ff9b::a9fe:a9fe``,
  ``2002:a00:1::``) is judged by the IPv4 address it carries;
* a body cap counted on decoded bytes, so a gzip bomb is cut off as early as a huge file;
* a wall-clock deadline on top of httpx's per-read timeout, because a server that trickles one
  byte every few seconds never trips a read timeout;
* conditional GET (both validators, RFC 9110 13.1) and Retry-After on 429/503 (RFC 9110 10.2.3).

Errors are ``FetchError`` (see ``assistant.errors``); an HTTP error status raises its subclass
``HTTPStatusFetchError`` carrying the status and any Retry-After time.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import httpx

from assistant.errors import FetchError
from assistant.feeds.models import Fetched, utc_now

#: About what Miniflux and reader accept; real feeds above a few MiB are rare.
DEFAULT_MAX_BYTES = 15 * 1024 * 1024
MAX_REDIRECTS = 5
USER_AGENT = "bmet-assistant/0.1 (policy feed tracker; python-httpx)"
# feedparser's own ACCEPT_HEADER, so servers that negotiate send us what feedparser expects.
ACCEPT = (
    "application/atom+xml,application/rdf+xml,application/rss+xml,application/x-netcdf,"
    "application/xml;q=0.9,text/xml;q=0.2,*/*;q=0.1"
)
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
PERMANENT_REDIRECTS = (301, 308)
RETRY_AFTER_STATUSES = (429, 503)

Resolver = Callable[[str, int], list[str]]

_IPV4_IN_LOW_32_BITS = tuple(
    ipaddress.IPv6Network(prefix) for prefix in ("::ffff:0:0/96", "::/96", "::ffff:0:0:0/96", "64:ff9b::/96")
)
#: NAT64 for one network's own translators (RFC 8215); where the IPv4 address sits depends on
#: the operator's prefix length, and no public host has such an address, so it is refused.
_NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")


class HTTPStatusFetchError(FetchError):
    """The server answered with an error status (4xx/5xx, or an unexpected 1xx/2xx/3xx)."""

    def __init__(self, url: str, status: int, reason: str, *, retry_after: datetime | None = None):
        self.status = status
        self.retry_after = retry_after
        cause = f"HTTP {status} {reason}".rstrip()
        if status == 403:
            # DOL and CISA answer 403 to many non-browser clients (bot protection), not because the
            # feed is gone: say so, and what to do, instead of "Forbidden".
            cause = (
                "refused by the publisher (403): its bot protection turns away many non-browser clients; "
                "polling goes on with back-off; meanwhile use the publisher's email subscription (CISA has "
                "one) or refresh from a different network"
            )
        if status == 410:
            cause += " (the feed is gone; polling stopped)"
        if retry_after is not None:
            cause += f"; server asks to retry after {retry_after.isoformat(timespec='seconds')}"
        super().__init__(url, cause)

    @property
    def gone(self) -> bool:
        return self.status == 410

    @property
    def refused(self) -> bool:
        """A 403: the publisher turned this client away; never a reason to stop polling."""
        return self.status == 403


def make_client(
    *,
    timeout: float = 20.0,
    connect_timeout: float = 10.0,
    max_connections: int = 32,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """The client ``refresh`` uses by default; tests pass a ``transport`` or their own client.

    An ``httpx.Client`` may be shared between threads (its docstring says so since encode/httpx#2380),
    so one pooled client serves the whole thread pool.
    """
    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=connect_timeout, pool=timeout * 3),
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        headers={"User-Agent": USER_AGENT, "Accept": ACCEPT},
        follow_redirects=False,
        transport=transport,
    )


def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the default ``resolve=`` of ``fetch``)."""
    return [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def check_url(url: str, *, allow_private: bool, resolve: Resolver = resolve_host) -> None:
    """Refuse non-http(s) URLs and, unless allowed, hosts that resolve to non-public addresses.

    Known gap: httpx resolves the name again when it connects, so a DNS answer that changes in
    between (DNS rebinding) is not caught; Miniflux closes it with a dial-time check, which httpx
    does not offer without a custom network backend.
    """
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise FetchError(url, f"refused: scheme {parts.scheme or '(none)'!r} is not http or https")
    host = parts.hostname
    if not host:
        raise FetchError(url, "refused: the URL has no host")
    if allow_private:
        return
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        addresses = resolve(host, port)
    except (OSError, UnicodeError, ValueError) as exc:
        raise FetchError(url, f"cannot resolve host {host!r}: {exc}") from exc
    for address in addresses:  # every one: a host may list a public address first, then 10.0.0.5
        ip = ipaddress.ip_address(address)
        inside = embedded_ipv4(ip)
        if not is_public(ip):
            shown = f"{ip} (IPv4 {inside})" if inside else str(ip)
            raise FetchError(
                url,
                f"refused: host {host!r} resolves to non-public address {shown} "
                "(set ASSISTANT_FEEDS_ALLOW_PRIVATE=1 to allow loopback and private addresses)",
            )


def is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether ``ip`` is a unicast address on the public internet, judging the IPv4 address an
    IPv6 one carries (``::ffff:127.0.0.1`` reaches 127.0.0.1 through the host's own stack or a
    translator, so it is as private as 127.0.0.1).

    ``is_global`` already says no to loopback, private, link-local, 100.64.0.0/10 (shared address
    space, RFC 6598), reserved and unspecified addresses, but yes to multicast.
    """
    if ip in _NAT64_LOCAL_USE:
        return False
    ip = embedded_ipv4(ip) or ip
    return ip.is_global and not ip.is_multicast


def embedded_ipv4(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv6 address of a form that carries one, else None.

    Forms: IPv4-mapped and -compatible (RFC 4291 2.5.5), IPv4-translated (RFC 2765 2.1), the
    NAT64 well-known prefix (RFC 6052 2.1): all in the low 32 bits; 6to4 (RFC 3056) and
    Teredo's client (RFC 4380 4), which ``ipaddress`` decodes.
    """
    if not isinstance(ip, ipaddress.IPv6Address) or ip.is_loopback or ip.is_unspecified:
        return None  # ::1 and :: are IPv6's own loopback and "any", not 0.0.0.1 and 0.0.0.0
    if any(ip in prefix for prefix in _IPV4_IN_LOW_32_BITS):
        return ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def fetch(
    url: str,
    *,
    client: httpx.Client,
    etag: str | None = None,
    last_modified: str | None = None,
    allow_private: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_redirects: int = MAX_REDIRECTS,
    deadline_s: float = 120.0,
    resolve: Resolver = resolve_host,
    now: Callable[[], datetime] = utc_now,
) -> Fetched:
    """GET ``url`` conditionally and return the body (status 200) or a 304 marker.

    Raises:
        FetchError: refused URL, network failure, timeout, redirect loop, body over the cap,
            empty body; ``HTTPStatusFetchError`` for error statuses.
    """
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    started = time.monotonic()
    current, chain, permanent = url, [url], True
    try:
        while True:
            check_url(current, allow_private=allow_private, resolve=resolve)
            with client.stream("GET", current, headers=headers) as response:
                status = response.status_code
                if status in REDIRECT_STATUSES:
                    location = response.headers.get("location")
                    if not location:
                        raise FetchError(url, f"HTTP {status} redirect without a Location header")
                    target = urljoin(str(response.url), location.strip())
                    permanent = permanent and status in PERMANENT_REDIRECTS
                    if target in chain:
                        raise FetchError(url, "redirect loop: " + " -> ".join([*chain, target]))
                    if len(chain) > max_redirects:
                        raise FetchError(url, f"more than {max_redirects} redirects")
                    chain.append(target)
                    current = target
                    continue
                response_headers = {k.lower(): v for k, v in response.headers.items()}
                if status == 304:
                    return _result(url, current, 304, b"", response_headers, chain, permanent)
                if not 200 <= status < 300:
                    retry_after = None
                    if status in RETRY_AFTER_STATUSES:
                        retry_after = parse_retry_after(response.headers.get("retry-after"), now=now)
                    reason = response.reason_phrase
                    if "html" in response.headers.get("content-type", "") and status in (401, 403, 429, 503):
                        reason += " (an HTML page: probably a bot check or a login wall)"
                    raise HTTPStatusFetchError(url, status, reason, retry_after=retry_after)
                body = _read_capped(response, url=url, max_bytes=max_bytes, deadline=started + deadline_s)
                if not body.strip():
                    # Never "the feed now has zero items": an empty 200 is a server fault.
                    raise FetchError(url, f"HTTP {status} with an empty body")
                return _result(url, current, status, body, response_headers, chain, permanent)
    except httpx.TimeoutException as exc:
        raise FetchError(url, f"timed out ({type(exc).__name__}): {exc or 'no response in time'}") from exc
    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
        raise FetchError(url, f"{type(exc).__name__}: {exc or 'network error'}") from exc


def _result(url, final_url, status, body, headers, chain, permanent) -> Fetched:
    return Fetched(
        url=url,
        final_url=final_url,
        status=status,
        content=body,
        headers=headers,
        permanent_redirect=len(chain) > 1 and permanent,
    )


def _read_capped(response: httpx.Response, *, url: str, max_bytes: int, deadline: float) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(url, f"body of {int(declared)} bytes is over the {max_bytes}-byte cap")
    chunks, total = [], 0
    for chunk in response.iter_bytes():
        total += len(chunk)
        if total > max_bytes:
            raise FetchError(url, f"body is over the {max_bytes}-byte cap")
        if time.monotonic() > deadline:
            raise FetchError(url, "timed out: the body took longer than the download deadline")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_retry_after(value: str | None, *, now: Callable[[], datetime] = utc_now) -> datetime | None:
    """Retry-After as an absolute UTC time: delay-seconds or an HTTP-date (RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return now() + timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)
