"""Write production windows the monitor can read at any moment, and that no other writer can replace.

For producers (an inference service, the heavy ``observe`` job), standard library only (and
``obstore`` for a storage URL)::

    from mlops.contract.writer import WindowWriter

    window = WindowWriter("monitoring", model_name="shapes-detector", model_version="3")
    for image in stream:                      # your serving loop
        boxes, millis = detect(image)         # [(class name, confidence), ...], latency in ms
        window.add(width=image.width, height=image.height, brightness=image.mean,
                   detections=boxes, latency_ms=millis)
        if window.age_seconds >= 3600:        # one window per hour
            window.close()                    # writes monitoring/windows/<end>-<writer id>.json
            window = WindowWriter("monitoring", model_name="shapes-detector", model_version="3")

Each window gets its own file, ``windows/<end to the microsecond>Z-<8 hex writer id>.json``, created
complete or not at all and never over an existing file (:func:`mlops.core.atomic.write_new`): any
number of replicas of one model can write into one workspace, in the same second, and none loses a
window. Times are written to the microsecond, so a window opened and closed within a second still
ends after it starts. The temporary name starts with a dot, which readers skip.

The workspace may instead be an object-storage URL, the same the monitor reads (``s3://bucket/prefix``,
``gs://bucket/prefix``, ``az://container/prefix``, ``abfs://...``)::

    window = WindowWriter("s3://acme-monitoring/shapes", model_name="shapes-detector", model_version="3")
    ...
    window.close()   # -> "s3://acme-monitoring/shapes/windows/<end>-<writer id>.json"

A remote window is one conditional PUT (If-None-Match: the store's create mode) under the same name:
it never replaces an existing object, and a name already taken draws another writer id, as a
local file does. :func:`rewrite` (the alerts file, the baseline) reads the object with its ETag and
replaces it only if nobody changed it since (If-Match), reading again when someone did. The
credentials are each cloud's standard variables (``AWS_*``, ``AZURE_STORAGE_*``,
``GOOGLE_APPLICATION_CREDENTIALS``), read by obstore, which only a URL workspace imports; a failure
is a :class:`mlops.core.storage.StorageError` that names the URL and never a credential.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast, overload

from mlops.contract import CURRENT, SCHEMAS
from mlops.contract.reader import Document, contract_document, load_document
from mlops.contract.signals import Signals, rule_errors
from mlops.contract.timestamps import format_precise, require_aware
from mlops.contract.validate import validate
from mlops.core.atomic import locked, write_atomic, write_new
from mlops.core.location import local_path, remote_url

if TYPE_CHECKING:
    from mlops.core.storage import RemoteStore

MAX_BYTES = 16 << 20
"""The largest file a writer reads back: the monitor's default ``files.max_bytes``."""

ATTEMPTS = 8
"""Writer ids drawn before giving up on a free name: two equal 32-bit ids at the same microsecond is
already a one-in-four-billion event, so a second failure means something else holds the names."""

REWRITES = 16
"""Reads of a remote shared file before giving up: each retry means another producer's change went in."""

STORAGE_BUDGET = 30.0
"""Seconds one remote write (with its retries) may take before it fails with a StorageError."""

Where = TypeVar("Where", bound="Path | str")
"""What :meth:`WindowWriter.close` returns: a Path for a Path workspace; for a string one, a Path or,
for a storage URL, the object's URL."""


def locate(workspace: str | os.PathLike[str], name: str) -> Path | str:
    """``name`` inside ``workspace``: a local Path, or the object's URL below a storage URL."""
    url = remote_url(workspace)
    return f"{url}/{name}" if url is not None else local_path(workspace) / name


def _store(url: str) -> RemoteStore:
    from mlops.core.storage import RemoteStore  # says so when obstore is missing, before any request

    return RemoteStore(url, budget_seconds=STORAGE_BUDGET)


class WindowWriter(Generic[Where]):
    """One production window of one model version, written once by :meth:`close`.

    ``workspace`` is a folder or a storage URL (see the module's docstring). ``start`` defaults to
    now; pass the window's real start when backfilling past windows.
    """

    @overload
    def __init__(
        self: WindowWriter[Path],
        workspace: Path,
        *,
        model_name: str,
        model_version: str,
        start: datetime | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self: WindowWriter[Path | str],
        workspace: str | os.PathLike[str],
        *,
        model_name: str,
        model_version: str,
        start: datetime | None = None,
    ) -> None: ...

    def __init__(
        self, workspace: str | os.PathLike[str], *, model_name: str, model_version: str, start: datetime | None = None
    ) -> None:
        self.url = remote_url(workspace)
        """The storage URL of the workspace, None for a folder."""
        self.folder = f"{self.url}/windows" if self.url is not None else local_path(workspace) / "windows"
        """The windows folder: a Path, or the URL of the windows prefix."""
        self.model = {"name": model_name, "version": str(model_version)}
        self.signals = Signals()
        self.start = require_aware(start, "start") if start is not None else datetime.now(UTC)
        self.writer_id = secrets.token_hex(4)
        self.path: Where | None = None
        """Where :meth:`close` wrote the window (the file's Path, or the object's URL); None until then."""
        self._started = time.monotonic()

    @property
    def age_seconds(self) -> float:
        return time.monotonic() - self._started

    def add(
        self, *, width: int, height: int, brightness: float, detections: Iterable[tuple[str, float]], latency_ms: float
    ) -> None:
        self.signals.add(
            width=width, height=height, brightness=brightness, detections=detections, latency_ms=latency_ms
        )

    def close(self, *, end: datetime | None = None) -> Where:
        """Write the window and return where (its Path, or its object URL); a second call is refused.

        ``end`` defaults to now, and never to a time at or before ``start`` (a clock stepped back
        would otherwise write a window the monitor refuses); an explicit ``end`` must be after ``start``.
        """
        if self.path is not None:
            raise RuntimeError(f"this window was already written to {self.path}")
        start = require_aware(self.start, "start")
        if end is None:
            end = max(datetime.now(UTC), start + timedelta(microseconds=1))
        elif require_aware(end, "end") <= start:
            raise ValueError(f"the window would end ({format_precise(end)}) before it starts ({format_precise(start)})")
        doc = {
            "schema": "mlops.window",
            "schema_version": CURRENT["mlops.window"],
            "model": self.model,
            "window": {"start": format_precise(start), "end": format_precise(end)},
            "generated_at": format_precise(datetime.now(UTC)),
            "signals": self.signals.to_dict(),
        }
        text = json.dumps(doc, indent=1) + "\n"
        stem = format_precise(end).replace(":", "")
        path = self._remote(self.url, stem, text) if self.url is not None else self._local(stem, text)
        if path is None:
            raise FileExistsError(f"{self.folder}: no free name for a window ending {format_precise(end)}")
        self.path = cast("Where", path)
        return self.path

    def _local(self, stem: str, text: str) -> Path | None:
        folder = Path(self.folder)
        folder.mkdir(parents=True, exist_ok=True)
        for _ in range(ATTEMPTS):
            path = folder / f"{stem}-{self.writer_id}.json"
            try:
                write_new(path, text)
            except FileExistsError:
                self.writer_id = secrets.token_hex(4)  # another writer drew the same id: draw again
                continue
            return path
        return None

    def _remote(self, url: str, stem: str, text: str) -> str | None:
        store = _store(url)
        try:
            for _ in range(ATTEMPTS):
                name = f"windows/{stem}-{self.writer_id}.json"
                try:
                    store.put_new(name, text.encode())  # one conditional PUT: complete, and never over another
                except FileExistsError:
                    self.writer_id = secrets.token_hex(4)
                    continue
                return f"{url}/{name}"
            return None
        finally:
            store.close()


def rewrite(
    path: str | os.PathLike[str],
    expect: str,
    change: Callable[[dict[str, Any] | None, str | None], dict[str, Any] | None],
) -> bool:
    """Read-modify-write one shared file (the alerts file, the baseline): under its lock, or for an
    object URL (``s3://bucket/prefix/alerts.json``, see :func:`locate`) by a conditional PUT.

    ``change(current, problem)`` gets the file's content (None when absent or unusable, and then
    ``problem`` says why, None when absent) and returns the new content, or None to leave the
    file as it is. The new content must meet its schema before it replaces anything: a producer
    never writes a file the monitor would refuse. Returns whether the file was written.

    An object is replaced only if it is still the version read (its ETag), and created only if
    still absent; when another producer got there first, it is read again and ``change`` called
    again, up to :data:`REWRITES` times. Never a blind overwrite.
    """
    url = remote_url(path) if isinstance(path, str) else None
    if url is not None:
        return _rewrite_remote(url, expect, change)
    path = local_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with locked(path):
        current: dict[str, Any] | None = None
        problem: str | None = None
        if path.exists() or path.is_symlink():
            doc = load_document(path, root=path.parent, shown=str(path), expect=expect, max_bytes=MAX_BYTES)
            current, problem = _usable(doc)
        new = change(current, problem)
        if new is None:
            return False
        write_atomic(path, _checked(new, expect, str(path)))
        return True


def _rewrite_remote(
    url: str, expect: str, change: Callable[[dict[str, Any] | None, str | None], dict[str, Any] | None]
) -> bool:
    from mlops.core.storage import ObjectProblem

    if "/" not in url.partition("://")[2]:
        raise ValueError(f"{url}: names a bucket, not an object in it")
    folder, _, name = url.rpartition("/")
    store = _store(folder)
    try:
        for attempt in range(REWRITES):
            current: dict[str, Any] | None = None
            problem: str | None = None
            e_tag: str | None = None
            try:
                found = store.get_versioned(name, max_bytes=MAX_BYTES)
            except ObjectProblem as exc:
                raise ValueError(f"{url} {exc}; left as it is") from None
            if found is not None:
                raw, e_tag = found
                if e_tag is None:
                    raise ValueError(f"{url}: the store gives no ETag: it cannot be updated without a blind overwrite")
                doc = contract_document(raw, path=PurePosixPath(name), shown=url, expect=expect)
                current, problem = _usable(doc)
            new = change(current, problem)
            if new is None:
                return False
            try:
                store.put_replacing(name, _checked(new, expect, url).encode(), e_tag=e_tag)
            except FileExistsError:  # another producer changed it since it was read: read it again
                time.sleep(secrets.randbelow(50 << min(attempt, 4)) / 1000)
                continue
            return True
        raise FileExistsError(f"{url}: changed by other producers {REWRITES} times while this one tried; not written")
    finally:
        store.close()


def _usable(doc: Document) -> tuple[dict[str, Any] | None, str | None]:
    """(content, None) for a valid document, else (None, why it cannot be used)."""
    if doc.valid:
        return doc.data, None
    return None, doc.error or f"{doc.shown} does not match its schema: {'; '.join(doc.schema_errors[:3])}"


def _checked(new: dict[str, Any], expect: str, shown: str) -> str:
    """The text to write, once ``new`` meets the current schema version (writers never write an older one)."""
    schema = SCHEMAS[expect, CURRENT[expect]]
    errors = validate(new, schema) or (rule_errors(new["signals"]) if "signals" in new else [])
    if errors:
        raise ValueError(
            f"{shown}: not written, the new content breaks {expect} v{CURRENT[expect]}: {'; '.join(errors[:3])}"
        )
    return json.dumps(new, indent=1) + "\n"
