"""Fetching an agency's page without letting the platform be pointed at its own network (SSRF).

The address an agency types is untrusted: it may name an internal host, a cloud metadata
service, or redirect there. So: http(s) only; the host name is resolved here and *every*
resolved address checked; the connection goes to the checked address (pinned: a second DNS
answer cannot swap it); redirects are followed by hand, each new target checked the same way,
at most ``MAX_REDIRECTS``; connect and read time limits plus an overall deadline; the body is
streamed and reading stops at ``max_bytes``.

``allow`` (``TOUCHPOINTS_PUBLICATION_FETCH_PRIVATE``) relaxes the address rule for tests and
closed networks: ``loopback`` admits 127.0.0.0/8 and ::1 only; ``1`` admits loopback and
private networks (10/8, 172.16/12, 192.168/16, fc00::/7, 100.64/10). Link-local addresses
(169.254/16, where cloud metadata services answer; fe80::/10), multicast, unspecified and
reserved addresses are refused whatever the setting.
"""

from __future__ import annotations

import dataclasses
import http.client
import ipaddress
import socket
import ssl
import time
from urllib.parse import urljoin, urlsplit

USER_AGENT = "TouchpointsPublicationCheck/1.0 (+perechen)"
MAX_REDIRECTS = 5
REDIRECTS = {301, 302, 303, 307, 308}
CHUNK = 64 * 1024


class FetchError(Exception):
    """The page could not be read; the message is for people, in Russian."""


@dataclasses.dataclass
class Fetched:
    status: int
    final_url: str
    body: bytes
    content_type: str
    truncated: bool
    redirects: list[str]


@dataclasses.dataclass(frozen=True)
class Limits:
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    #: Whole fetch, redirects included: a server dripping one byte at a time stops here.
    total_timeout: float = 20.0
    max_bytes: int = 2 * 1024 * 1024


def _allow_mode(allow: str | bool | None) -> str:
    if allow is True:
        return "private"
    value = str(allow or "").strip().lower()
    if value in {"1", "true", "yes", "on", "private"}:
        return "private"
    if value == "loopback":
        return "loopback"
    return "none"


def address_refusal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, allow: str) -> str | None:
    """Why the platform must not connect to ``ip`` (None: it may)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    mode = _allow_mode(allow)
    if ip.is_link_local or ip.is_multicast or ip.is_unspecified:
        return f"адрес {ip} служебный (link-local, multicast или не задан)"
    if ip.is_loopback:
        return None if mode in {"loopback", "private"} else f"адрес {ip} — этот же компьютер"
    shared = ipaddress.ip_network("100.64.0.0/10")
    if ip.is_private or (isinstance(ip, ipaddress.IPv4Address) and ip in shared):
        if ip.is_reserved:
            return f"адрес {ip} зарезервирован"
        return None if mode == "private" else f"адрес {ip} — внутренняя сеть"
    if ip.is_reserved or not ip.is_global:
        return f"адрес {ip} зарезервирован"
    return None


def resolve(host: str, port: int, allow: str) -> str:
    """The one address to connect to, after checking every address the name resolves to."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"не найден адрес сервера {host}") from exc
    addresses = []
    for info in infos:
        ip = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        reason = address_refusal(ip, allow)
        if reason:
            # One forbidden answer refuses the name: a DNS answer mixing a public and an
            # internal address must not get through on the public one.
            raise FetchError(f"обращение к {host} запрещено: {reason}")
        addresses.append(str(ip))
    if not addresses:
        raise FetchError(f"не найден адрес сервера {host}")
    return addresses[0]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host, port, ip, limits: Limits):
        super().__init__(host, port, timeout=limits.connect_timeout)
        self._ip, self._limits = ip, limits

    def connect(self):
        self.sock = socket.create_connection((self._ip, self.port), self._limits.connect_timeout)
        self.sock.settimeout(self._limits.read_timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host, port, ip, limits: Limits):
        self._tls = ssl.create_default_context()
        super().__init__(host, port, timeout=limits.connect_timeout, context=self._tls)
        self._ip, self._limits = ip, limits

    def connect(self):
        sock = socket.create_connection((self._ip, self.port), self._limits.connect_timeout)
        sock.settimeout(self._limits.read_timeout)
        # The certificate is checked against the host name, not the pinned address.
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


def _target(url: str, allow: str):
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        raise FetchError("адрес должен начинаться с http:// или https://")
    if not parts.hostname:
        raise FetchError("в адресе нет имени сервера")
    if parts.username or parts.password:
        raise FetchError("адрес с логином и паролем не проверяется")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise FetchError("в адресе неверный номер порта") from exc
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts, port, path, resolve(parts.hostname, port, allow)


def fetch(url: str, allow: str | bool | None = None, limits: Limits | None = None) -> Fetched:
    """GET ``url`` safely (see the module's docstring). Raises FetchError."""
    limits = limits or Limits()
    deadline = time.monotonic() + limits.total_timeout
    redirects: list[str] = []
    current = url
    while True:
        parts, port, path, ip = _target(current, allow)
        cls = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
        conn = cls(parts.hostname, port, ip, limits)
        try:
            conn.request(
                "GET",
                path,
                headers={
                    "User-Agent": USER_AGENT,
                    "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
                    "Accept-Encoding": "identity",
                },
            )
            response = conn.getresponse()
            if response.status in REDIRECTS and response.getheader("Location"):
                if len(redirects) >= MAX_REDIRECTS:
                    raise FetchError(f"слишком много перенаправлений (больше {MAX_REDIRECTS})")
                current = urljoin(current, response.getheader("Location").strip())
                redirects.append(current)
                continue
            body, truncated = _read(response, limits, deadline)
            return Fetched(
                status=response.status,
                final_url=current,
                body=body,
                content_type=response.getheader("Content-Type") or "",
                truncated=truncated,
                redirects=redirects,
            )
        except TimeoutError as exc:
            raise FetchError("сервер не ответил вовремя") from exc
        except ssl.SSLError as exc:
            raise FetchError(f"ошибка защищённого соединения: {exc.reason or exc}") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise FetchError(f"не удалось соединиться с {parts.hostname}: {exc}") from exc
        finally:
            conn.close()


def _read(response, limits: Limits, deadline: float) -> tuple[bytes, bool]:
    chunks, size = [], 0
    while True:
        if time.monotonic() > deadline:
            raise FetchError("страница загружалась слишком долго")
        chunk = response.read(CHUNK)
        if not chunk:
            return b"".join(chunks), False
        chunks.append(chunk)
        size += len(chunk)
        if size >= limits.max_bytes:
            # Enough to judge: the list or its link sits near the top of a page, not after 2 MB.
            return b"".join(chunks)[: limits.max_bytes], True
