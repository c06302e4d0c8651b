"""Keep secrets out of anything a person or a log can read.

MLflow prints ``user:pass@`` URIs in its own exception text; the monitor never hands it a
chance: every URI it shows goes through :func:`safe_uri` first.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Mapping
from urllib.parse import unquote, urlsplit

SECRET_VARIABLES = ("MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME")
STORAGE_SECRET_VARIABLES = (
    "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_TOKEN", "AWS_SSE_CUSTOMER_KEY_BASE64",
    "AZURE_STORAGE_ACCOUNT_KEY", "AZURE_STORAGE_ACCESS_KEY", "AZURE_STORAGE_MASTER_KEY", "AZURE_STORAGE_SAS_KEY",
    "AZURE_STORAGE_SAS_TOKEN", "AZURE_STORAGE_TOKEN", "AZURE_STORAGE_CONNECTION_STRING", "AZURE_CLIENT_SECRET",
    "GOOGLE_SERVICE_ACCOUNT_KEY", "GOOGLE_BEARER_TOKEN",
)  # fmt: skip
"""Object-storage credentials, as obstore (object_store) reads them: never printed, like MLflow's."""
USERINFO = re.compile(r"(?<=://)[^/?#\s@]*@")
CREDENTIALS_FILE = "~/.mlflow/credentials"
"""MLflow's own credentials file (``mlflow/utils/credentials.py``); ``~`` is the process's ``HOME``."""
NETRC_FILES = ("~/.netrc", "~/_netrc")
"""Where requests looks for netrc when ``NETRC`` is unset (``requests.utils.NETRC_FILES``)."""
BARE_URIS = ("databricks", "databricks-uc", "uc")
"""Tracking URIs MLflow accepts without a scheme (the default Databricks profile): names, not secrets."""


def hide_userinfo(text: str) -> str:
    """``scheme://user:pass@host`` anywhere in ``text`` becomes ``scheme://***@host``: for values that
    are shown before anyone knows they hold a URI (a config value of the wrong type, say)."""
    return USERINFO.sub("***@", text)


def safe_uri(uri: str) -> str:
    """Return ``scheme://host:port`` (or the scheme and path for local stores), never credentials."""
    try:
        parts = urlsplit(uri)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "<unparsable URI>"
    if uri in BARE_URIS:
        return uri
    if not parts.scheme:
        return "<URI without scheme>"
    if parts.scheme == "file" or not host:
        # Local stores: the path is useful and holds no secret; query and fragment may.
        if parts.netloc:
            return f"{parts.scheme}://<host>{parts.path}"
        if "@" in parts.path:  # `user:pass@host` without `//`: even the "scheme" may be the user name
            return f"***@{parts.path.rsplit('@', 1)[1]}"
        separator = "://" if uri.startswith(f"{parts.scheme}://") else ":"
        return f"{parts.scheme}{separator}{parts.path}"
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}:{port}" if port else f"{parts.scheme}://{host}"


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace every character covered by an occurrence of a non-trivial secret, overlaps included."""
    covered = [False] * len(text)
    for secret in {s for s in secrets if s and len(s) >= 4}:
        start = text.find(secret)
        while start != -1:
            covered[start : start + len(secret)] = [True] * len(secret)
            start = text.find(secret, start + 1)
    if not any(covered):
        return text
    out, hidden = [], False
    for char, secret_char in zip(text, covered, strict=True):
        if not secret_char:
            out.append(char)
        elif not hidden:
            out.append("***")
        hidden = secret_char
    return "".join(out)


def uri_passwords(values: Iterable[str]) -> list[str]:
    """Passwords found inside URIs: derived secrets that no secret store masks by itself. Each comes as
    written and percent-decoded, the form a client sends (``p%40ss`` is sent as ``p@ss``)."""
    found = []
    for value in values:
        if "@" in value and "://" in value:
            try:
                password = urlsplit(value).password or ""
            except ValueError:
                continue
            found += [password, unquote(password)]
    return [p for p in found if p]


def proxy_passwords(env: Mapping[str, str]) -> list[str]:
    """Passwords in ``*_proxy`` variables, including ``user:pass@host:port`` without a scheme, which
    requests reads as ``http://``."""
    values = [v for k, v in env.items() if k.lower().endswith("_proxy") and "@" in v]
    return uri_passwords([v if "://" in v else f"http://{v.removeprefix('//')}" for v in values])


def netrc_file(env: Mapping[str, str]) -> str | None:
    """The netrc file requests reads: ``$NETRC`` whenever it is set (even to nothing), else the first of
    ``~/.netrc`` and ``~/_netrc`` that exists."""
    names = (env["NETRC"],) if "NETRC" in env else NETRC_FILES
    for name in names:
        path = os.path.expanduser(name)
        if os.path.exists(path):
            return path
    return None


def stored_passwords(env: Mapping[str, str]) -> list[str]:
    """Passwords MLflow's client may read from files: ``~/.mlflow/credentials`` (as written and as
    interpolated) and every entry of the netrc file. Never raises: an unreadable file holds nothing to hide."""
    found: list[str] = []
    path = os.path.expanduser(CREDENTIALS_FILE)
    if os.path.isfile(path):
        import configparser  # imported here, as netrc below: most runs have neither file to read

        for interpolation in (None, configparser.BasicInterpolation()):
            parser = configparser.ConfigParser(interpolation=interpolation)
            try:
                parser.read(path)
                found.append(parser.get("mlflow", "mlflow_tracking_password", fallback="") or "")
            except (configparser.Error, UnicodeDecodeError, ValueError):
                continue
    path_netrc = netrc_file(env)
    if path_netrc is not None:
        import netrc

        with contextlib.suppress(netrc.NetrcParseError, OSError, UnicodeDecodeError):
            found += [password for _, _, password in netrc.netrc(path_netrc).hosts.values() if password]
    return [p for p in found if p]


def secrets_in(env: Mapping[str, str], argv: Iterable[str] = ()) -> list[str]:
    """Every value that must never be printed: credential variables' values (MLflow's, object storage's),
    URI passwords and the passwords MLflow would read from its credentials file or netrc, and proxy passwords."""
    names = [*(n for n in SECRET_VARIABLES if n != "MLFLOW_TRACKING_USERNAME"), *STORAGE_SECRET_VARIABLES]
    secrets = [env.get(name, "") for name in names]
    found = uri_passwords([*env.values(), *argv]) + proxy_passwords(env) + stored_passwords(env)
    return [s for s in secrets if s] + found
