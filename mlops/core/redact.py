"""Keep secrets out of anything a person or a log can read.

MLflow prints ``user:pass@`` URIs in its own exception text; the monitor never hands it a
chance: every URI it shows goes through :func:`safe_uri` first.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

SECRET_VARIABLES = ("MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME")


def safe_uri(uri: str) -> str:
    """Return ``scheme://host:port`` (or the scheme and path for local stores), never credentials."""
    try:
        parts = urlsplit(uri)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "<unparsable URI>"
    if not parts.scheme:
        return "<URI without scheme>"
    if parts.scheme == "file" or not host:
        # Local stores: the path is useful and holds no secret; query and fragment may.
        return f"{parts.scheme}:{parts.path}" if not parts.netloc else f"{parts.scheme}://<host>{parts.path}"
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}:{port}" if port else f"{parts.scheme}://{host}"


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of each non-trivial secret in ``text``."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
