"""fetch(): redirects inspected hop by hop, address and scheme refusal, caps, conditional GET.

Unit tests use ``httpx.MockTransport`` with an injected resolver (no DNS, no sockets); the faults
that only a socket can show (read timeout, reset, chunked cap) run against the loopback server.
"""

import ipaddress
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from assistant.errors import FetchError
from assistant.feeds.fetch import HTTPStatusFetchError, check_url, fetch, make_client, parse_retry_after

sys.path.insert(0, str(Path(__file__).parent))
from feedserver import Clock, FeedServer  # noqa: E402

RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
PUBLIC = {
    "feeds.example.gov": "93.184.216.34",
    "cdn.example.gov": "151.101.1.1",
    "intranet.example": "10.1.2.3",
}


def resolve(host, port):
    if host in PUBLIC:
        return [PUBLIC[host]]
    return [host]  # IP literals resolve to themselves


def client_for(handler) -> httpx.Client:
    return make_client(transport=httpx.MockTransport(handler))


def test_conditional_get_sends_both_validators_and_reports_304():
    seen = {}

    def handler(request):
        seen.update(request.headers)
        return httpx.Response(304, headers={"etag": '"v2"'})

    result = fetch("https://feeds.example.gov/rss", client=client_for(handler), etag='"v1"',
                   last_modified="Mon, 06 Jan 2025 12:00:00 GMT", resolve=resolve)  # fmt: skip
    assert result.not_modified and result.etag == '"v2"'
    assert seen["if-none-match"] == '"v1"'
    assert seen["if-modified-since"] == "Mon, 06 Jan 2025 12:00:00 GMT"
    assert seen["user-agent"].startswith("bmet-assistant/")


def test_permanent_chain_is_flagged_and_mixed_chain_is_not():
    routes = {
        "/a": (301, "https://feeds.example.gov/b"),
        "/b": (308, "/c"),  # relative Location
        "/m": (301, "https://feeds.example.gov/n"),
        "/n": (302, "/c"),
    }

    def handler(request):
        if request.url.path in routes:
            status, location = routes[request.url.path]
            return httpx.Response(status, headers={"location": location})
        return httpx.Response(200, content=RSS)

    client = client_for(handler)
    moved = fetch("https://feeds.example.gov/a", client=client, resolve=resolve)
    assert moved.final_url == "https://feeds.example.gov/c" and moved.permanent_redirect
    assert moved.content == RSS
    mixed = fetch("https://feeds.example.gov/m", client=client, resolve=resolve)
    assert mixed.final_url == "https://feeds.example.gov/c" and not mixed.permanent_redirect
    direct = fetch("https://feeds.example.gov/c", client=client, resolve=resolve)
    assert not direct.permanent_redirect


@pytest.mark.parametrize(
    "location, reason",
    [
        ("http://127.0.0.1:8080/admin", "non-public address 127.0.0.1"),
        ("http://169.254.169.254/latest/meta-data/", "non-public address 169.254.169.254"),
        ("https://intranet.example/feed", "non-public address 10.1.2.3"),
        ("http://[::1]/feed", "non-public address ::1"),
        ("file:///etc/passwd", "scheme 'file'"),
        ("ftp://feeds.example.gov/feed.xml", "scheme 'ftp'"),
    ],
)
def test_every_redirect_hop_is_checked(location, reason):
    requested = []

    def handler(request):
        requested.append(str(request.url))
        return httpx.Response(302, headers={"location": location})

    with pytest.raises(FetchError) as info:
        fetch("https://feeds.example.gov/start", client=client_for(handler), resolve=resolve)
    assert reason in str(info.value) and "refused" in str(info.value)
    assert requested == ["https://feeds.example.gov/start"]  # the refused hop was never requested


def test_private_addresses_allowed_only_when_asked():
    with pytest.raises(FetchError, match="ASSISTANT_FEEDS_ALLOW_PRIVATE"):
        check_url("http://localhost:8000/feed", allow_private=False, resolve=lambda h, p: ["127.0.0.1"])
    check_url("http://localhost:8000/feed", allow_private=True, resolve=lambda h, p: ["127.0.0.1"])
    with pytest.raises(FetchError, match="scheme"):
        check_url("file:///etc/passwd", allow_private=True)
    with pytest.raises(FetchError, match="cannot resolve"):
        check_url("https://no-such-host.invalid/", allow_private=False, resolve=_unresolvable)


def _unresolvable(host, port):
    raise OSError("Name or service not known")


@pytest.mark.parametrize(
    "host, inside",
    [
        ("::127.0.0.1", "127.0.0.1"),  # IPv4-compatible
        ("::a00:1", "10.0.0.1"),
        ("::ffff:127.0.0.1", "127.0.0.1"),  # IPv4-mapped
        ("::ffff:0:7f00:1", "127.0.0.1"),  # IPv4-translated (SIIT)
        ("::ffff:0:a9fe:a9fe", "169.254.169.254"),
        ("64:ff9b::7f00:1", "127.0.0.1"),  # NAT64 well-known prefix
        ("64:ff9b::c0a8:101", "192.168.1.1"),
        ("64:ff9b::a9fe:a9fe", "169.254.169.254"),
        ("2002:7f00:1::", "127.0.0.1"),  # 6to4
        ("2002:a00:1::", "10.0.0.1"),
        ("2002:a9fe:a9fe::1", "169.254.169.254"),
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "127.0.0.1"),  # Teredo, client 127.0.0.1 (bits inverted)
    ],
)
def test_ipv6_forms_that_carry_a_private_ipv4_address_are_refused(host, inside):
    # The real resolver: getaddrinfo answers an IP literal without any DNS.
    with pytest.raises(FetchError) as info:
        check_url(f"http://[{host}]/feed", allow_private=False)
    assert f"non-public address {ipaddress.ip_address(host)}" in info.value.cause
    assert f"IPv4 {inside}" in info.value.cause


def test_nat64_local_use_prefix_is_refused_whatever_it_carries():
    # RFC 8215: 64:ff9b:1::/48 is for one operator's own translators, never a public address.
    with pytest.raises(FetchError, match="non-public address 64:ff9b:1::808:808"):
        check_url("http://[64:ff9b:1::808:808]/feed", allow_private=False)


@pytest.mark.parametrize("host", ["64:ff9b::808:808", "2002:808:808::1", "::ffff:8.8.8.8", "2606:4700::1111"])
def test_ipv6_forms_that_carry_a_public_address_pass(host):
    check_url(f"http://[{host}]/feed", allow_private=False)


@pytest.mark.parametrize(
    "address",
    ["100.64.0.1", "100.127.255.254", "224.0.0.251", "239.255.255.250", "ff02::1", "ff0e::1",
     "240.0.0.1", "0.0.0.0", "::", "fe80::1", "fd00::1"],
)
def test_shared_multicast_reserved_and_local_addresses_are_refused(address):
    with pytest.raises(FetchError, match=f"non-public address {address}"):
        check_url("https://feeds.example.gov/rss", allow_private=False, resolve=lambda h, p: [address])


@pytest.mark.parametrize("private", ["10.0.0.5", "127.0.0.1", "::ffff:192.168.0.1", "fe80::1"])
def test_every_resolved_address_is_checked_not_only_the_first(private):
    both = lambda host, port: ["93.184.216.34", private]  # noqa: E731
    with pytest.raises(FetchError, match="non-public address"):
        check_url("https://feeds.example.gov/rss", allow_private=False, resolve=both)


def test_redirect_loop_and_too_many_redirects():
    def loop(request):
        other = "/b" if request.url.path == "/a" else "/a"
        return httpx.Response(301, headers={"location": other})

    with pytest.raises(FetchError, match="redirect loop: .*/a -> .*/b -> .*/a"):
        fetch("https://feeds.example.gov/a", client=client_for(loop), resolve=resolve)

    def endless(request):
        n = int(request.url.path.strip("/") or 0)
        return httpx.Response(302, headers={"location": f"/{n + 1}"})

    with pytest.raises(FetchError, match="more than 5 redirects"):
        fetch("https://feeds.example.gov/0", client=client_for(endless), resolve=resolve)


def test_error_statuses_carry_status_and_retry_after():
    clock = Clock()
    responses = {
        "/gone": httpx.Response(410),
        "/busy": httpx.Response(429, headers={"retry-after": "120"}),
        "/down": httpx.Response(503, headers={"retry-after": "Fri, 10 Jan 2025 15:00:00 GMT"}),
        "/nope": httpx.Response(404),
    }
    client = client_for(lambda request: responses[request.url.path])
    url = "https://feeds.example.gov"
    with pytest.raises(HTTPStatusFetchError) as gone:
        fetch(url + "/gone", client=client, resolve=resolve, now=clock)
    assert gone.value.gone and "HTTP 410" in str(gone.value)
    with pytest.raises(HTTPStatusFetchError) as busy:
        fetch(url + "/busy", client=client, resolve=resolve, now=clock)
    assert busy.value.status == 429 and busy.value.retry_after == clock() + timedelta(seconds=120)
    with pytest.raises(HTTPStatusFetchError) as down:
        fetch(url + "/down", client=client, resolve=resolve, now=clock)
    assert down.value.retry_after == datetime(2025, 1, 10, 15, 0, tzinfo=UTC)
    with pytest.raises(HTTPStatusFetchError) as missing:
        fetch(url + "/nope", client=client, resolve=resolve, now=clock)
    assert missing.value.status == 404 and missing.value.retry_after is None and not missing.value.gone


def test_parse_retry_after_rejects_junk():
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_declared_length_over_cap_and_empty_body_are_errors():
    client = client_for(lambda r: httpx.Response(200, content=b"x" * 2048))
    with pytest.raises(FetchError, match="over the 1024-byte cap"):
        fetch("https://feeds.example.gov/big", client=client, resolve=resolve, max_bytes=1024)
    client = client_for(lambda r: httpx.Response(200, content=b"  \n"))
    with pytest.raises(FetchError, match="empty body"):
        fetch("https://feeds.example.gov/empty", client=client, resolve=resolve)


def test_network_errors_become_fetch_errors():
    def refuse(request):
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(FetchError, match="ConnectError: connection refused"):
        fetch("https://feeds.example.gov/x", client=client_for(refuse), resolve=resolve)


# -- faults that need a real socket --------------------------------------------------------------


@pytest.fixture()
def server():
    with FeedServer() as s:
        yield s


def test_loopback_refused_by_default(server):
    url = server.feed("/ok.xml", RSS)
    with make_client() as client:
        with pytest.raises(FetchError, match="non-public address 127.0.0.1"):
            fetch(url, client=client)
        assert fetch(url, client=client, allow_private=True).content == RSS
    assert server.hits("/ok.xml") == 1


def test_slow_body_hits_the_read_timeout(server):
    url = server.slow("/slow.xml", RSS * 50, stall_s=3)
    with make_client(timeout=0.3) as client:
        with pytest.raises(FetchError, match="timed out"):
            fetch(url, client=client, allow_private=True)


def test_chunked_body_is_cut_at_the_cap(server):
    url = server.big("/big.xml", 512 * 1024, chunked=True)
    with make_client() as client:
        with pytest.raises(FetchError, match="over the 65536-byte cap"):
            fetch(url, client=client, allow_private=True, max_bytes=65536)


def test_connection_reset_and_empty_body(server):
    reset = server.reset("/reset")
    empty = server.empty("/empty.xml")
    with make_client() as client:
        with pytest.raises(FetchError) as info:
            fetch(reset, client=client, allow_private=True)
        assert "Error" in info.value.cause  # e.g. "RemoteProtocolError: Server disconnected ..."
        with pytest.raises(FetchError, match="empty body"):
            fetch(empty, client=client, allow_private=True)


def test_etag_round_trip_against_a_real_server(server):
    url = server.feed("/feed.xml", RSS)
    with make_client() as client:
        first = fetch(url, client=client, allow_private=True)
        second = fetch(url, client=client, allow_private=True, etag=first.etag, last_modified=first.last_modified)
    assert first.status == 200 and first.etag and first.last_modified
    assert second.not_modified
    assert server.requests[-1][1]["if-none-match"] == first.etag


def test_five_redirects_are_followed_and_a_sixth_is_refused(server):
    for n in range(6):
        server.redirect(f"/five/{n}", 302, f"/five/{n + 1}" if n < 4 else "/ok.xml")
        server.redirect(f"/six/{n}", 302, f"/six/{n + 1}" if n < 5 else "/ok.xml")
    server.feed("/ok.xml", RSS)
    with make_client() as client:  # loopback is refused in production; allowed here to have a real server
        assert fetch(server.url("/five/0"), client=client, allow_private=True).content == RSS
        with pytest.raises(FetchError, match="more than 5 redirects"):
            fetch(server.url("/six/0"), client=client, allow_private=True)
    assert server.hits("/six/5") == 1 and server.hits("/ok.xml") == 1  # the sixth hop was never taken


def test_wall_clock_deadline_ends_a_trickling_body(server):
    url = server.trickle("/drip.xml", RSS, every_s=0.2)  # 81 bytes: 16 s if nothing cut it short
    with make_client(timeout=5) as client:  # no single read waits anywhere near the read timeout
        with pytest.raises(FetchError) as info:
            fetch(url, client=client, allow_private=True, deadline_s=1.0)
    assert info.value.cause == "timed out: the body took longer than the download deadline"
