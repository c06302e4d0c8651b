"""What a workspace location is: a folder, or an object-storage URL, and when such a URL is usable.

Kept apart from :mod:`mlops.core.storage` (the client) so that a local run, which only needs to
tell a URL from a path, never loads the client's code.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote

REMOTE_SCHEMES = {
    "s3": "s3", "s3a": "s3",
    "gs": "gcs",
    "az": "azure", "abfs": "azure", "abfss": "azure", "azure": "azure", "adl": "azure",
}  # fmt: skip
"""URL scheme -> the store it names."""

STORAGE_PREFIXES = ("AWS_", "AZURE_", "GOOGLE_")
"""The variables obstore reads its configuration and credentials from."""


def remote_scheme(location: str | os.PathLike[str]) -> str | None:
    """The store a workspace location names (``s3``, ``gcs``, ``azure``), None for a local path."""
    text = os.fspath(location)
    scheme, sep, _ = text.partition("://")
    return REMOTE_SCHEMES.get(scheme.lower()) if sep else None


def url_problem(url: str) -> str | None:
    """Why a remote workspace URL cannot be used, in words that never repeat a credential."""
    scheme, _, rest = url.partition("://")
    bucket, _, prefix = rest.partition("/")
    if "@" in bucket or "?" in rest or "#" in rest:
        return (
            f"a {scheme}:// workspace URL holds no credentials, query or fragment: give the bucket and prefix "
            "only, and the credentials in the cloud's standard variables "
            "(AWS_*, AZURE_STORAGE_*, GOOGLE_APPLICATION_CREDENTIALS)"
        )
    if not bucket:
        return f"{scheme}:// needs a bucket (container): {scheme}://BUCKET/PREFIX"
    if any(part in (".", "..") for part in prefix.split("/")):
        return f"{shown_url(url)}: '.' and '..' are not prefixes an object store knows"
    return None


def shown_url(url: str) -> str:
    """The URL as reports show it: scheme, bucket and prefix, with no trailing slash."""
    return url.rstrip("/")


def remote_url(workspace: str | os.PathLike[str]) -> str | None:
    """The storage URL ``workspace`` names (no trailing slash), None for a local folder.

    ``file:///path`` is a local folder; a URL the monitor cannot read either is refused here,
    before anything is written where nobody looks.
    """
    if not isinstance(workspace, str) or "://" not in workspace:
        return None
    scheme = workspace.partition("://")[0]
    if remote_scheme(workspace):
        problem = url_problem(workspace)
        if problem:
            raise ValueError(problem)
        return shown_url(workspace)
    if scheme.lower() == "file":
        return None
    raise ValueError(
        f"{scheme[:20]}:// is no workspace scheme: give a folder, file:///PATH, or s3://, gs://, az://, abfs:// URL"
    )


def local_path(workspace: str | os.PathLike[str]) -> Path:
    """A local workspace as a Path (``file:///path`` included)."""
    if isinstance(workspace, str) and workspace.lower().startswith("file://"):
        host, _, path = workspace[len("file://") :].partition("/")
        if host not in ("", "localhost"):
            raise ValueError(f"a file:// URL names a local folder (file:///PATH), not host {host[:40]!r}")
        return Path(unquote("/" + path))
    return Path(workspace)
