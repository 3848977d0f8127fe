"""Where a webhook may be sent: the SSRF guard, checked when an endpoint is saved and again at each
send (DNS may answer differently by then), and the address the send then connects to.

Refused always: non-http(s) schemes, credentials in the URL, and hosts that resolve to a link-local
(169.254.0.0/16 with the cloud metadata address, fe80::/10), unspecified (0.0.0.0, ::), multicast
or reserved address. Refused unless a setting allows it: loopback (127.0.0.0/8, ::1;
SYNTHGOV_WEBHOOK_ALLOW_LOOPBACK) and private ranges (10/8, 172.16/12, 192.168/16, 100.64/10,
fc00::/7; SYNTHGOV_WEBHOOK_ALLOW_PRIVATE, for receivers on an internal network). Every address
a name resolves to must pass, and the send connects to the address that was checked (the Host
header and TLS name stay the URL's), so a second DNS answer cannot point it elsewhere.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

URL_SCHEME = "The webhook URL must start with http:// or https://; got {url!r}."
URL_NO_HOST = "The webhook URL has no host name: {url!r}."
URL_CREDENTIALS = "The webhook URL may not carry a user name or password; put credentials in the receiver, not the URL."
URL_UNRESOLVED = "The webhook URL's host {host!r} does not resolve ({error}); check the name."
URL_REFUSED = (
    "The webhook URL's host {host!r} resolves to {address}, a {kind} address; webhooks are not sent there{hint}."
)
LOOPBACK_HINT = " unless SYNTHGOV_WEBHOOK_ALLOW_LOOPBACK=1"
PRIVATE_HINT = " unless SYNTHGOV_WEBHOOK_ALLOW_PRIVATE=1"


class RefusedURL(Exception):
    """The URL may not receive webhooks; the message says why."""


def _kind(address) -> tuple[str, str] | None:
    """(kind, hint) of an address webhooks are not sent to, or None if they may be."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.is_loopback:
        return None if settings.SYNTHGOV_WEBHOOK_ALLOW_LOOPBACK else ("loopback", LOOPBACK_HINT)
    if address.is_link_local:
        return "link-local", ""
    if address.is_unspecified:
        return "unspecified", ""
    if address.is_multicast:
        return "multicast", ""
    if address.is_reserved:
        return "reserved", ""
    shared = isinstance(address, ipaddress.IPv4Address) and address in ipaddress.ip_network("100.64.0.0/10")
    if address.is_private or shared:
        return None if settings.SYNTHGOV_WEBHOOK_ALLOW_PRIVATE else ("private", PRIVATE_HINT)
    return None


def resolve(url: str) -> tuple[str, int, str]:
    """(host, port, address to connect to) of a URL webhooks may be sent to; RefusedURL otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise RefusedURL(URL_SCHEME.format(url=url[:200]))
    if parts.username or parts.password:
        raise RefusedURL(URL_CREDENTIALS)
    host = parts.hostname
    if not host:
        raise RefusedURL(URL_NO_HOST.format(url=url[:200]))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise RefusedURL(f"The webhook URL's port is invalid: {exc}.") from exc
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise RefusedURL(URL_UNRESOLVED.format(host=host, error=exc)) from exc
    addresses = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if refused := _kind(address):
            kind, hint = refused
            raise RefusedURL(URL_REFUSED.format(host=host, address=address, kind=kind, hint=hint))
        addresses.append(address)
    return host, port, str(addresses[0])


def url_problem(url: str) -> str | None:
    """Why webhooks may not be sent to `url`, or None."""
    try:
        resolve(url)
    except RefusedURL as exc:
        return str(exc)
    return None
