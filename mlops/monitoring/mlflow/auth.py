"""The ``Authorization`` header MLflow's own client would send, worked out without importing MLflow.

Both paths must send the same credentials, or a server that accepts only one kind gives two verdicts.
Read from mlflow-skinny 3.17.2 and requests 2.34.2, both pinned in ``requirements/monitoring.txt``:

1. ``MLFLOW_TRACKING_AUTH`` (a request-auth provider plugin) or ``MLFLOW_TRACKING_AWS_SIGV4``:
   ``rest_utils.http_request`` hands requests an auth object that writes the header itself. Only
   MLflow's client can run it, so :func:`plugin` sends the monitor down that path.
2. A netrc entry for the host: with no auth object, ``Session.prepare_request`` reads ``$NETRC``, else
   ``~/.netrc`` or ``~/_netrc``, and its ``Basic`` header replaces MLflow's.
3. ``user:password@`` in the tracking URI: ``PreparedRequest.prepare_auth``, likewise ``Basic``.
4. ``Basic`` from ``MLFLOW_TRACKING_USERNAME`` and ``MLFLOW_TRACKING_PASSWORD``, each of them falling
   back on its own to ``~/.mlflow/credentials`` (``credentials.get_default_host_creds``).
5. ``Bearer`` with ``MLFLOW_TRACKING_TOKEN``.

The first rule that yields credentials wins; the token is sent only when no user name and password are
found anywhere.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from mlops.core.redact import CREDENTIALS_FILE, netrc_file
from mlops.monitoring.mlflow.base import MlflowError

PLUGIN_VARIABLES = ("MLFLOW_TRACKING_AUTH", "MLFLOW_TRACKING_AWS_SIGV4")


@dataclass(frozen=True)
class Credentials:
    """The header to send (``None``: none) and the rule that chose it, for messages and tests."""

    header: str | None
    source: str

    @property
    def described(self) -> str:
        return DESCRIBED[self.source]


DESCRIBED = {
    "netrc": "Basic credentials from the netrc entry for this host",
    "uri": "Basic credentials from the tracking URI's user:password",
    "basic": "Basic credentials from MLFLOW_TRACKING_USERNAME/PASSWORD or ~/.mlflow/credentials",
    "token": "the Bearer token MLFLOW_TRACKING_TOKEN",
    "none": "no credentials (none is set)",
}


def plugin(env: Mapping[str, str]) -> str | None:
    """The variable that makes MLflow's client sign requests itself, if one is set."""
    if env.get("MLFLOW_TRACKING_AUTH"):
        return "MLFLOW_TRACKING_AUTH"
    if env.get("MLFLOW_TRACKING_AWS_SIGV4", "").lower() not in ("", "false", "0"):
        return "MLFLOW_TRACKING_AWS_SIGV4"
    return None


def credentials(uri: str, *, username: str | None, env: Mapping[str, str]) -> Credentials:
    """What MLflow's client sends to ``uri``, rules 2-5 above (the caller handles rule 1)."""
    file_user, file_password = _credentials_file()  # MLflow reads it first, whatever wins later
    parts = urlsplit(uri)
    found = _netrc(parts.hostname, env)
    if found is not None:
        return Credentials(basic(*found, encoding="latin-1", source="netrc"), "netrc")
    if parts.password is not None:  # `user@host` alone is not credentials to requests
        pair = (unquote(parts.username or ""), unquote(parts.password))
        if any(pair):
            return Credentials(basic(*pair, encoding="latin-1", source="the tracking URI"), "uri")
    user = username or file_user
    password = env.get("MLFLOW_TRACKING_PASSWORD") or file_password
    if user and password:
        return Credentials(basic(user, password, encoding="utf-8", source="user name and password"), "basic")
    if token := env.get("MLFLOW_TRACKING_TOKEN"):
        return Credentials(f"Bearer {token}", "token")
    return Credentials(None, "none")


def _credentials_file() -> tuple[str | None, str | None]:
    """``[mlflow]`` of ``~/.mlflow/credentials``, parsed as MLflow parses it (interpolation included)."""
    path = os.path.expanduser(CREDENTIALS_FILE)
    if not os.path.exists(path):
        return None, None
    import configparser  # here, not at the top: most machines have no credentials file

    parser = configparser.ConfigParser()
    try:
        parser.read(path)
        if "mlflow" not in parser:
            return None, None
        section = parser["mlflow"]
        return section.get("mlflow_tracking_username"), section.get("mlflow_tracking_password")
    except (configparser.Error, UnicodeDecodeError) as exc:
        # MLflow's client fails on every request then; say which file, never which value.
        raise MlflowError(
            "credentials-file", f"{CREDENTIALS_FILE} cannot be parsed as MLflow parses it ({type(exc).__name__})"
        ) from None


def _netrc(host: str | None, env: Mapping[str, str]) -> tuple[str, str] | None:
    """requests' ``get_netrc_auth``: the host's entry (or ``default``); an unreadable file counts as none."""
    path = netrc_file(env)
    if path is None or host is None:
        return None
    import netrc  # here, not at the top: most machines have no netrc file

    try:
        entry = netrc.netrc(path).authenticators(host)
    except (netrc.NetrcParseError, OSError):
        return None
    if not entry or not any(entry):
        return None
    login, account, password = entry
    return (login or account or "", password or "")


def basic(user: str, password: str, *, encoding: str, source: str, kind: str = "credentials") -> str:
    """An ``Authorization``/``Proxy-Authorization`` Basic value; a character ``encoding`` cannot hold is an
    error naming ``source``, as requests fails before sending anything."""
    try:
        raw = f"{user}:{password}".encode(encoding)
    except UnicodeEncodeError:
        # requests raises the same error before sending anything: the client path fails too.
        raise MlflowError(
            kind, f"the credentials from {source} hold characters HTTP Basic cannot send ({encoding})"
        ) from None
    return "Basic " + base64.b64encode(raw).decode("ascii")
