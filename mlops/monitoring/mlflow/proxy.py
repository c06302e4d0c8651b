"""The proxy MLflow's client would use for a URL, chosen from the environment as requests chooses it.

Behind a corporate proxy, a stdlib path that went direct would give a verdict MLflow's own client
never would. Read from requests 2.34.2 and urllib3 2.8.0 (pinned in ``requirements/monitoring.txt``)
and CPython's ``urllib.request``, which requests calls on Linux:

1. ``getproxies_environment``: every non-empty ``<scheme>_proxy`` variable, any case; the lowercase
   name wins, and a lowercase one set to nothing removes the scheme's proxy altogether. Under CGI
   (``REQUEST_METHOD`` set) an uppercase ``HTTP_PROXY`` is ignored.
2. ``should_bypass_proxies``: ``no_proxy`` (else ``NO_PROXY``), spaces removed, split on commas; an IPv4
   host matches an address or a CIDR block, a name matches itself or a parent domain, with or without
   its port; then the standard library's ``proxy_bypass_environment`` (``*`` alone: every host), copied.
3. ``select_proxy``: ``<scheme>://<host>``, ``<scheme>``, ``all://<host>``, ``all``: so ``ALL_PROXY``
   serves both schemes when the scheme's own variable is unset.
4. ``prepend_scheme_if_needed``: ``proxy:3128`` means ``http://proxy:3128``; ``user:password@`` in it
   becomes ``Proxy-Authorization: Basic`` (percent-decoded, latin-1), sent on the ``CONNECT`` for an
   https server and on each request for an http one.

What only MLflow's client can do is refused by name (:class:`NeedsClient`), never answered by going
direct: SOCKS proxies (they need PySocks) and ``https://`` proxies (TLS to the proxy, TLS inside it).
The system proxy settings requests also reads on macOS and Windows are not read here.
"""

from __future__ import annotations

import re
import socket
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from mlops.core.redact import safe_uri
from mlops.monitoring.mlflow.auth import basic
from mlops.monitoring.mlflow.base import MlflowError

SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+-]*:")
"""What urllib3's ``parse_url`` takes for a scheme: ``localhost:3128`` has one (``localhost``)."""
HOST_PORT = re.compile(r"(.*):([0-9]*)", re.DOTALL)


class NeedsClient(MlflowError):
    """A proxy MLflow's client may use but the stdlib path cannot."""

    def __init__(self, message: str) -> None:
        super().__init__("proxy-unsupported", message)


@dataclass(frozen=True)
class Proxy:
    """Where to connect instead of the server, and what to tell the proxy."""

    variable: str
    """The variable it came from, as spelled in the environment (``https_proxy``, ``ALL_PROXY`` ...)."""
    shown: str
    """``http://host:port``: never its credentials."""
    host: str
    port: int
    authorization: str | None
    """The ``Proxy-Authorization`` value, ``None`` when the URL holds no ``user:password@``."""

    @property
    def described(self) -> str:
        return f"the proxy {self.shown} ({self.variable})"

    @property
    def credentials(self) -> str:
        held = "Basic credentials from" if self.authorization else "no credentials: there is no user:password@ in"
        return f"{held} {self.variable}"


def environment_proxies(env: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """``urllib.request.getproxies_environment`` over ``env``: scheme -> (variable, value)."""
    proxies: dict[str, tuple[str, str]] = {}
    for name, value in env.items():
        if value and name.lower().endswith("_proxy"):
            proxies[name.lower()[:-6]] = (name, value)
    if "REQUEST_METHOD" in env:
        proxies.pop("http", None)
    for name, value in env.items():
        if name.endswith("_proxy"):
            if value:
                proxies[name.lower()[:-6]] = (name, value)
            else:
                proxies.pop(name.lower()[:-6], None)
    return proxies


def for_url(url: str, env: Mapping[str, str]) -> Proxy | None:
    """The proxy MLflow's client would send ``url`` through, or ``None`` for a direct connection.

    Raises :class:`MlflowError` naming the variable for a proxy URL requests would refuse too, and
    :class:`NeedsClient` for one only MLflow's client can use."""
    proxies = environment_proxies(env)
    if not proxies:
        return None
    parts = urlsplit(url)
    host = parts.hostname
    if host is None:
        return None
    keys = (f"{parts.scheme}://{host}", parts.scheme, f"all://{host}", "all")
    chosen = next((proxies[key] for key in keys if key in proxies), None)
    if chosen is None or _bypass(host, _port(url), env, proxies):
        return None
    return _parse(*chosen)


def needs_client(url: str, env: Mapping[str, str]) -> bool:
    """Whether only MLflow's client can go the way the environment says (``mlflow.client: auto``)."""
    try:
        for_url(url, env)
    except NeedsClient:
        return True
    except MlflowError:
        return False  # a broken proxy setting: the stdlib path names it
    return False


def _port(url: str) -> int | None:
    try:
        return urlsplit(url).port
    except ValueError:
        return None


def _bypass(host: str, port: int | None, env: Mapping[str, str], proxies: Mapping[str, tuple[str, str]]) -> bool:
    """requests' ``should_bypass_proxies``: its own NO_PROXY test, then the standard library's."""
    no_proxy = env.get("no_proxy") or env.get("NO_PROXY")
    if no_proxy:
        entries = [entry for entry in no_proxy.replace(" ", "").split(",") if entry]
        if _is_ipv4(host):
            for entry in entries:
                if _is_cidr(entry):
                    if _in_network(host, entry):
                        return True
                elif host == entry:
                    return True
        else:
            with_port = f"{host}:{port}" if port else host
            for entry in (e.lstrip(".") for e in entries):
                if entry in (host, with_port) or host.endswith(f".{entry}") or with_port.endswith(f".{entry}"):
                    return True
    return _stdlib_bypass(host, proxies["no"][1] if "no" in proxies else None)


def _stdlib_bypass(host: str, no_proxy: str | None) -> bool:
    """CPython 3.11's ``urllib.request.proxy_bypass_environment`` (undocumented, so copied, not imported):
    the ``no`` proxy as ``getproxies_environment`` found it; ``*`` alone bypasses all; a port is split off
    the way ``_splitport`` does it (``::1`` becomes ``::``)."""
    if no_proxy is None:
        return False
    if no_proxy == "*":
        return True
    host = host.lower()
    split = HOST_PORT.fullmatch(host)
    hostonly = split[1] if split and split[2] else host
    for entry in no_proxy.split(","):
        name = entry.strip().lstrip(".").lower()
        if not entry.strip():
            continue
        if name in (hostonly, host) or hostonly.endswith(f".{name}") or host.endswith(f".{name}"):
            return True
    return False


def _is_ipv4(text: str) -> bool:
    try:
        socket.inet_aton(text)
    except OSError:
        return False
    return True


def _is_cidr(text: str) -> bool:
    if text.count("/") != 1:
        return False
    address, bits = text.split("/")
    try:
        mask = int(bits)
    except ValueError:
        return False
    return 1 <= mask <= 32 and _is_ipv4(address)


def _in_network(ip: str, network: str) -> bool:
    address, bits = network.split("/")
    mask = (0xFFFFFFFF << (32 - int(bits))) & 0xFFFFFFFF
    (host_value,) = struct.unpack(">L", socket.inet_aton(ip))
    (net_value,) = struct.unpack(">L", socket.inet_aton(address))
    return bool(host_value & mask == net_value & mask)


def _parse(variable: str, value: str) -> Proxy:
    """requests' ``prepend_scheme_if_needed`` and ``proxy_headers``, urllib3's ``ProxyManager`` checks."""
    if value.startswith("//"):
        full = f"http:{value}"
    elif value.startswith("/") or SCHEME.match(value):
        full = value
    else:
        full = f"http://{value}"
    shown = safe_uri(full)
    try:
        parts = urlsplit(full)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise MlflowError("proxy-config", f"{variable} ({shown}) cannot be parsed as a proxy URL") from None
    scheme = parts.scheme.lower()
    if scheme.startswith("socks"):
        said = f"{variable} names a SOCKS proxy ({shown}): the stdlib path speaks only http:// proxies"
        from importlib.util import find_spec

        if find_spec("socks") is None:
            raise MlflowError(
                "proxy-unsupported", f"{said}; MLflow's client needs PySocks for it (requests[socks]), not installed"
            )
        raise NeedsClient(f"{said}; MLflow's client can (mlflow.client: mlflow or auto)")
    if not host or scheme not in ("http", "https"):
        raise MlflowError(
            "proxy-config",
            f"{variable} ({shown}) is not a proxy URL MLflow's client can use either: write http://HOST:PORT",
        )
    if scheme == "https":
        raise NeedsClient(
            f"{variable} names an https:// proxy ({shown}): the stdlib path speaks only http:// proxies; "
            "MLflow's client can (mlflow.client: mlflow or auto)"
        )
    authorization = None
    if parts.username and parts.password is not None and (user := unquote(parts.username)):
        password = unquote(parts.password)
        authorization = basic(user, password, encoding="latin-1", source=variable, kind="proxy-config")
    return Proxy(variable=variable, shown=shown, host=host, port=port or 80, authorization=authorization)
