"""Object storage, the one way to it: list, head and get for readers, a create-only put for producers.

A workspace is a folder or a URL: ``s3://bucket/prefix``, ``gs://bucket/prefix``,
``az://container/prefix`` (also ``abfs://``/``abfss://``; the account comes from
``AZURE_STORAGE_ACCOUNT_NAME``). Local folders never come here, so a local run never imports the
storage library (obstore, Rust's ``object_store``); a remote one imports it on first use.

Credentials are each cloud's standard variables (``AWS_*``, ``AZURE_STORAGE_*``,
``GOOGLE_APPLICATION_CREDENTIALS``), read by obstore itself; a URL holding credentials is refused.
Every call of one :class:`RemoteStore` shares one time budget, and every failure is a
:class:`StorageError` whose message names the URL, never a credential.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar, cast

from mlops.core.location import REMOTE_SCHEMES, STORAGE_PREFIXES, remote_scheme, shown_url, url_problem

if TYPE_CHECKING:  # imported on first use: a local run imports this module for its URL rules only
    from concurrent.futures import Future, ThreadPoolExecutor

T = TypeVar("T")
__all__ = [
    "REMOTE_SCHEMES", "STORAGE_PREFIXES", "Entry", "ObjectProblem", "RemoteStore", "StorageError",
    "classify", "remote_scheme", "shown_url", "url_problem",
]  # fmt: skip

CONCURRENCY = 16
"""Objects fetched at once: a run of a day's 5-minute windows (288) takes 18 round trips, not 288."""

PAGE = 1000
"""Keys per listing request: S3's maximum, so that a listing costs as few requests as it can."""


@dataclass(frozen=True)
class Entry:
    """One object as a listing or a HEAD answers it: its name below the listed folder, and its size."""

    name: str
    size: int


class StorageError(Exception):
    """The store as a whole failed (no bucket, denied, unreachable, throttled, out of time).

    ``kind`` is one of: ``no-bucket``, ``denied``, ``unreachable``, ``throttled``, ``timeout``,
    ``config``, ``failed``.
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class ObjectProblem(ValueError):
    """One object cannot be used (too large, vanished, body too slow): a sentence that follows its name."""


class RemoteStore:
    """The objects below one URL; all calls share ``budget_seconds`` from the first one.

    obstore's blocking calls run in a pool of threads, so that a call past the budget is abandoned
    and up to :data:`CONCURRENCY` objects are fetched at once. Its asyncio API is not used: its
    runtime's threads reach back into Python after an await returns, and a process exiting just
    then aborts (SIGABRT, about one remote run in three here).

    Retries are obstore's (5xx and SlowDown, connection errors) with exponential backoff, at most
    ``retries`` per request and never past the budget.
    """

    def __init__(self, url: str, *, budget_seconds: float = 10.0, retries: int = 3) -> None:
        problem = url_problem(url)
        if problem:
            raise StorageError("config", problem)
        self.url = shown_url(url)
        self.budget = budget_seconds
        self.retries = retries
        self.requests = 0
        """Requests sent (listing pages, HEADs, GETs, PUTs), for the benchmark and the tests."""
        self._deadline: float | None = None
        self._store: Any = None
        self._pool: ThreadPoolExecutor | None = None

    # -- public API ------------------------------------------------------------------------------------

    def listing(
        self, folder: str, *, after: str | None = None, stop_at: str | None = None, limit: int | None = None
    ) -> list[Entry]:
        """Objects directly below ``folder`` (names only, no sub-folders), in name order.

        ``after``: only names sorting after it, asked of the store (S3's ``start-after``), so that
        a listing costs what it returns, not what the folder holds. ``stop_at``: no names from
        this one on (the listing stops asking for pages). ``limit``: at most this many.
        """
        return self._call(lambda: self._list(folder, after, stop_at, limit), f"{self.url}/{folder.strip('/')}/")

    def head(self, name: str) -> Entry | None:
        """The object's size, or None when there is none (a HEAD answer has no body, so a missing
        bucket reads as a missing object here: list or get to tell them apart)."""
        return self._call(lambda: self._head(name), f"{self.url}/{name}")

    def get_many(self, names: Mapping[str, int | None], *, max_bytes: int) -> dict[str, bytes | ObjectProblem | None]:
        """The bytes of each object (``{name: size from the listing or None}``), None for an absent
        one, fetched concurrently.

        An object whose listed size is over ``max_bytes`` is refused before it is downloaded; one
        whose body turns out longer is refused too. Per-object failures are values, not raises.
        """
        return self._get_many(dict(names), max_bytes)

    def put_new(self, name: str, data: bytes) -> None:
        """Create ``name`` holding ``data`` in one conditional PUT; FileExistsError if it exists."""
        self._call(lambda: self._put(name, data, "create"), f"{self.url}/{name}")

    def put_replacing(self, name: str, data: bytes, *, e_tag: str | None) -> None:
        """Replace ``name`` only if it is still the version ``e_tag`` names (create it when None).

        Two producers updating one shared file (the alerts) never lose each other's change: the
        loser gets FileExistsError and reads again.
        """
        mode: Any = {"e_tag": e_tag} if e_tag else "create"
        self._call(lambda: self._put(name, data, mode), f"{self.url}/{name}")

    def get_versioned(self, name: str, *, max_bytes: int) -> tuple[bytes, str | None] | None:
        """The object's bytes and ETag, or None when there is none (for read-modify-write)."""
        return self._call(lambda: self._get_versioned(name, max_bytes), f"{self.url}/{name}")

    def close(self) -> None:
        """Stop handing out work; a request still running ends by the client's own timeout (the budget)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    # -- machinery -------------------------------------------------------------------------------------

    def _client(self) -> Any:
        if self._store is None:
            try:
                from obstore.store import from_url
            except ImportError:  # the wheel without its `storage` extra: said, not "the store answered ..."
                raise StorageError(
                    "config", f"{self.url}: object storage needs obstore (pip install obstore, or the `storage` extra)"
                ) from None

            options: dict[str, Any] = {
                "timeout": _duration(self.budget),
                "connect_timeout": _duration(min(5.0, self.budget)),
            }
            if os.environ.get("AWS_ALLOW_HTTP", "").lower() == "true" or _endpoint_is_http():
                options["allow_http"] = True
            retry = {
                "max_retries": self.retries,
                "retry_timeout": _duration(self.budget),
                "backoff": {"init_backoff": _duration(0.1), "max_backoff": _duration(2.0), "base": 2},
            }
            try:
                self._store = cast(Any, from_url)(self.url, client_options=options, retry_config=retry)
            except Exception as exc:  # noqa: BLE001 - obstore's own configuration errors: named, never echoed
                raise StorageError(
                    "config", f"{self.url}: the store cannot be configured ({_first_line(exc)})"
                ) from None
        return self._store

    def _deadline_left(self, where: str) -> float:
        if self._deadline is None:
            self._deadline = time.monotonic() + self.budget
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise self._timeout(where)
        return remaining

    def _timeout(self, where: str) -> StorageError:
        return StorageError("timeout", f"{where}: no answer within the {self.budget:g} s storage budget")

    def _submit(self, work: Callable[[], T]) -> Future[T]:
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(CONCURRENCY, thread_name_prefix="storage")
        return self._pool.submit(work)

    def _call(self, work: Callable[[], T], where: str) -> T:
        from concurrent.futures import TimeoutError as FutureTimeout

        remaining = self._deadline_left(where)
        self._client()  # configured once, here, before the threads share it (or refused: no obstore)
        future = self._submit(work)
        try:
            return future.result(timeout=remaining)
        except FutureTimeout:
            future.cancel()
            raise self._timeout(where) from None
        except (StorageError, FileExistsError, ObjectProblem):
            raise
        except Exception as exc:  # noqa: BLE001 - obstore's and the OS's errors: classified, never echoed
            raise classify(exc, where) from None

    def _list(self, folder: str, after: str | None, stop_at: str | None, limit: int | None) -> list[Entry]:
        import obstore

        prefix = folder.strip("/") + "/" if folder.strip("/") else ""
        entries: list[Entry] = []
        stream = obstore.list(
            self._client(), prefix=prefix or None, offset=prefix + after if after else None, chunk_size=PAGE
        )
        pages = 0
        try:
            for batch in stream:
                pages += 1
                if self._page(batch, prefix, stop_at, limit, entries) or len(batch) < PAGE:
                    break
                if self._deadline is not None and time.monotonic() > self._deadline:
                    break  # the caller has given up already: ask for no further page
        finally:
            self.requests += max(pages, 1)  # one per page received: a full last page asks for no other
        return entries

    @staticmethod
    def _page(batch: Any, prefix: str, stop_at: str | None, limit: int | None, entries: list[Entry]) -> bool:
        """Add one page's names to ``entries``; True when no later page is wanted."""
        for meta in batch:
            name = meta["path"][len(prefix) :] if meta["path"].startswith(prefix) else meta["path"]
            if stop_at is not None and name >= stop_at:
                return True
            if "/" not in name:
                entries.append(Entry(name, int(meta["size"])))
                if limit is not None and len(entries) >= limit:
                    return True
        return False

    def _head(self, name: str) -> Entry | None:
        import obstore

        self.requests += 1
        try:
            meta = obstore.head(self._client(), name)
        except FileNotFoundError:
            return None
        return Entry(name, int(meta["size"]))

    def _get_many(self, names: dict[str, int | None], max_bytes: int) -> dict[str, bytes | ObjectProblem | None]:
        from concurrent.futures import wait

        remaining = self._deadline_left(self.url)
        out: dict[str, bytes | ObjectProblem | None] = {}
        futures: dict[Future[tuple[bytes, str | None] | None], str] = {}
        for name, size in names.items():
            if size is not None and size > max_bytes:
                out[name] = ObjectProblem(too_large(size, max_bytes))
            else:
                self._client()  # configured once, here, before the threads share it
                futures[self._submit(partial(self._get_versioned, name, max_bytes))] = name
        done, pending = wait(futures, timeout=remaining)
        if pending:
            for future in pending:
                future.cancel()
            raise self._timeout(self.url)
        for future in done:
            name = futures[future]
            try:
                found = future.result()
            except (StorageError, ObjectProblem) as exc:
                if isinstance(exc, StorageError):
                    raise
                out[name] = exc
                continue
            except Exception as exc:  # noqa: BLE001 - obstore's and the OS's errors: classified, never echoed
                raise classify(exc, f"{self.url}/{name}") from None
            out[name] = None if found is None else found[0]
        return {name: out[name] for name in names}

    def _get_versioned(self, name: str, max_bytes: int) -> tuple[bytes, str | None] | None:
        import obstore

        self.requests += 1
        try:
            result = obstore.get(self._client(), name)
        except FileNotFoundError as exc:
            if _no_bucket(exc):  # S3 answers 404 for a missing bucket too: that is no absent object
                raise classify(exc, self.url) from None
            return None
        size = int(result.meta["size"])
        if size > max_bytes:  # the body is never read: dropping the answer closes the connection
            raise ObjectProblem(too_large(size, max_bytes))
        chunks, total = [], 0
        for chunk in result.stream(min_chunk_size=1 << 16):
            total += len(chunk)
            if total > max_bytes:
                raise ObjectProblem(f"grew past the {max_bytes:,}-byte limit while being read")
            if self._deadline is not None and time.monotonic() > self._deadline:
                raise self._timeout(self.url)  # the caller has given up: stop reading a trickle
            chunks.append(bytes(chunk))
        return b"".join(chunks), result.meta.get("e_tag")

    def _put(self, name: str, data: bytes, mode: Any) -> None:
        import obstore
        from obstore.exceptions import AlreadyExistsError, PreconditionError

        self.requests += 1
        try:
            obstore.put(self._client(), name, data, mode=mode)
        except (AlreadyExistsError, PreconditionError):
            raise FileExistsError(f"{self.url}/{name} already exists (or changed since it was read)") from None


def too_large(size: int, max_bytes: int) -> str:
    return f"is {size:,} bytes, over the {max_bytes:,}-byte limit (refused before download)"


DENIED_CODES = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken",
                "AuthorizationFailure", "AuthenticationFailed", "AuthorizationPermissionMismatch"}  # fmt: skip
THROTTLED_CODES = {"SlowDown", "Throttling", "ThrottlingException", "TooManyRequests", "RequestLimitExceeded",
                   "ServerBusy", "RequestThrottled"}  # fmt: skip


def classify(exc: BaseException, where: str) -> StorageError:
    """Turn obstore's exception into one sentence naming ``where``: its own text may quote signed
    requests and runs to pages, so only the status and error code are kept.

    Only the answer's status and ``<Code>`` decide: the text also holds the URL, the key and
    timings (``in 503.2ms``, ``retry_timeout: 10s``), which must never pass for a status.
    """
    text = str(exc)
    kind_name = type(exc).__name__
    code, status = _code(text), _status_number(text)
    if _no_bucket(exc):
        return StorageError("no-bucket", f"{where}: no such bucket (or container)")
    if kind_name in ("PermissionDeniedError", "UnauthenticatedError") or status in (401, 403) or code in DENIED_CODES:
        return StorageError("denied", f"{where}: access denied (check the credentials and the policy{_paren(code)})")
    if status in (429, 503) or code in THROTTLED_CODES:
        return StorageError(
            "throttled", f"{where}: the store kept answering 'slow down' (throttled{_paren(code)}), retries spent"
        )
    if status is None and any(
        word in text for word in ("error sending request", "Connection refused", "tcp connect error", "dns error")
    ):
        return StorageError("unreachable", f"{where}: the endpoint cannot be reached")
    if status is None and "timed out" in text.lower():
        return StorageError("timeout", f"{where}: no answer in time")
    if kind_name == "UnknownConfigurationKeyError":
        return StorageError("config", f"{where}: the store cannot be configured ({_first_line(exc)})")
    shown = _status(text)
    return StorageError("failed", f"{where}: the store answered {shown or kind_name}{_paren(code)}")


def _no_bucket(exc: BaseException) -> bool:
    return any(code in str(exc) for code in ("NoSuchBucket", "ContainerNotFound"))


def _code(text: str) -> str | None:
    start = text.find("<Code>")
    if start == -1:
        return None
    end = text.find("</Code>", start)
    code = text[start + 6 : end]
    return code if end != -1 and code.isalnum() and len(code) < 64 else None


def _status_number(text: str) -> int | None:
    marker = "status code: "
    start = text.find(marker)
    digits = text[start + len(marker) : start + len(marker) + 3] if start != -1 else ""
    return int(digits) if digits.isdigit() else None


def _status(text: str) -> str | None:
    marker = "status code: "
    start = text.find(marker)
    if start == -1:
        return None
    line = text[start + len(marker) :].split(":", 1)[0].strip()
    return f"HTTP {line}" if line[:3].isdigit() and len(line) < 40 else None


def _paren(code: str | None) -> str:
    return f": {code}" if code else ""


def _first_line(exc: BaseException) -> str:
    line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    head, sep, rest = line.partition(" error: ")  # "Generic GCS error: Account must be specified"
    return (rest if sep and head.startswith("Generic") else line)[:160]


def _duration(seconds: float) -> Any:
    from datetime import timedelta

    return timedelta(seconds=max(seconds, 0.001))


def _endpoint_is_http() -> bool:
    """A plain-http endpoint (a local S3 such as moto or MinIO) needs ``allow_http``; obstore says so
    in an error otherwise. Only the variables that name an endpoint are looked at."""
    return any(
        os.environ.get(var, "").startswith("http://")
        for var in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_ENDPOINT")
    )
