"""RemoteStore against a real S3 server on loopback (moto behind a recording, fault-injecting front).

Requests are counted at the server (``s3.front.seen``), never inside the client: what a run costs is
what the store is sent.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from mlops.core.storage import ObjectProblem, RemoteStore, StorageError, classify
from tests.conftest import ROOT, clean_environ, free_port
from tests.storage_server import Fault, S3Server

Connect = Callable[..., RemoteStore]


def unique(prefix: str = "st") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def connect(s3: S3Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[Connect]:
    """A RemoteStore for a URL, with the AWS variables a client of the loopback server reads."""
    for name, value in s3.environ().items():
        monkeypatch.setenv(name, value)
    stores: list[RemoteStore] = []

    def make(url: str, **kwargs: float) -> RemoteStore:
        stores.append(RemoteStore(url, **kwargs))  # type: ignore[arg-type]
        return stores[-1]

    yield make
    for store in stores:
        store.close()


def keys(count: int, folder: str = "p/w") -> Iterator[tuple[str, bytes]]:
    return ((f"{folder}/{n:06d}.json", b"{}") for n in range(count))


def listings(s3: S3Server) -> list[str]:
    return [seen.path for seen in s3.front.requests("GET") if "list-type=2" in seen.path]


def test_a_listing_costs_one_request_per_1000_keys(s3: S3Server, connect: Connect) -> None:
    bucket = s3.bucket(unique())
    s3.put_many(bucket, keys(1000))
    store = connect(f"s3://{bucket}/p")
    assert len(store.listing("w")) == 1000 and len(listings(s3)) == 1 == store.requests  # a full page, no more
    s3.put_many(bucket, ((f"p/w/{n:06d}.json", b"{}") for n in range(1000, 2500)))
    s3.front.seen.clear()
    assert len(store.listing("w")) == 2500 and len(listings(s3)) == 3


def test_after_is_sent_as_start_after_and_costs_what_it_returns(s3: S3Server, connect: Connect) -> None:
    bucket = s3.bucket(unique())
    s3.put_many(bucket, keys(2500))
    store = connect(f"s3://{bucket}/p")
    found = store.listing("w", after="001499.json")
    assert [e.name for e in found[:2]] == ["001500.json", "001501.json"] and len(found) == 1000
    (path,) = listings(s3)
    assert "start-after=p%2Fw%2F001499.json" in path


@pytest.mark.parametrize("kwargs", [{"stop_at": "000010.json"}, {"limit": 10}])
def test_stop_at_and_limit_stop_asking_for_pages(s3: S3Server, connect: Connect, kwargs: dict[str, object]) -> None:
    bucket = s3.bucket(unique())
    s3.put_many(bucket, keys(2500))
    store = connect(f"s3://{bucket}/p")
    found = store.listing("w", **kwargs)  # type: ignore[arg-type]
    assert [e.name for e in found] == [f"{n:06d}.json" for n in range(10)]
    assert len(listings(s3)) == 1 == store.requests


def test_a_listing_holds_no_sub_folder(s3: S3Server, connect: Connect) -> None:
    bucket = s3.bucket(unique())
    for key in ("p/w/a.json", "p/w/deeper/b.json", "p/other.json"):
        s3.put(bucket, key, b"{}")
    assert [e.name for e in connect(f"s3://{bucket}/p").listing("w")] == ["a.json"]


def test_get_many_refuses_an_object_listed_too_large_without_a_get(s3: S3Server, connect: Connect) -> None:
    bucket = s3.bucket(unique())
    s3.put(bucket, "p/big.json", b"x" * 5000)
    s3.put(bucket, "p/small.json", b"{}")
    store = connect(f"s3://{bucket}/p")
    (big,) = store.listing("", limit=1)
    s3.front.seen.clear()
    got = store.get_many({"big.json": big.size, "small.json": 2, "absent.json": None}, max_bytes=100)
    assert isinstance(got["big.json"], ObjectProblem) and "refused before download" in str(got["big.json"])
    assert got["small.json"] == b"{}" and got["absent.json"] is None
    assert sorted(s.path for s in s3.front.requests()) == [f"/{bucket}/p/absent.json", f"/{bucket}/p/small.json"]


def test_get_many_refuses_a_body_larger_than_max_bytes_when_no_size_was_listed(s3: S3Server, connect: Connect) -> None:
    bucket = s3.bucket(unique())
    s3.put(bucket, "p/big.json", b"x" * 5000)
    got = connect(f"s3://{bucket}/p").get_many({"big.json": None}, max_bytes=100)
    assert isinstance(got["big.json"], ObjectProblem) and "5,000 bytes" in str(got["big.json"])


def test_head_gives_the_size_or_none(s3: S3Server, connect: Connect) -> None:
    bucket = s3.bucket(unique())
    s3.put(bucket, "p/a.json", b"abc")
    store = connect(f"s3://{bucket}/p")
    assert store.head("a.json") == store.listing("")[0] and store.head("a.json").size == 3  # type: ignore[union-attr]
    assert store.head("absent.json") is None


def test_put_new_never_overwrites(s3: S3Server, connect: Connect) -> None:
    bucket = s3.bucket(unique())
    s3.put(bucket, "p/w/a.json", b"first")
    store = connect(f"s3://{bucket}/p")
    before = s3.snapshot(bucket)
    with pytest.raises(FileExistsError, match=f"s3://{bucket}/p/w/a.json"):
        store.put_new("w/a.json", b"second")
    assert s3.snapshot(bucket) == before
    store.put_new("w/b.json", b"new")
    assert s3.snapshot(bucket)["p/w/b.json"][0] == b"new"


def test_put_replacing_refuses_a_stale_etag(s3: S3Server, connect: Connect) -> None:
    bucket = s3.bucket(unique())
    store = connect(f"s3://{bucket}/p")
    store.put_replacing("alerts.json", b"v1", e_tag=None)
    data, stale = store.get_versioned("alerts.json", max_bytes=100) or (b"", None)
    assert data == b"v1" and stale
    store.put_replacing("alerts.json", b"v2", e_tag=stale)  # still that version: replaced
    before = s3.snapshot(bucket)
    with pytest.raises(FileExistsError):
        store.put_replacing("alerts.json", b"v3", e_tag=stale)  # another producer wrote v2 since
    assert s3.snapshot(bucket) == before and before["p/alerts.json"][0] == b"v2"
    with pytest.raises(FileExistsError):
        store.put_replacing("alerts.json", b"v4", e_tag=None)  # None means "create": it exists
    assert store.get_versioned("absent.json", max_bytes=100) is None


# Each failure is one StorageError whose kind says what happened and whose message names the URL
# and none of the credentials.

SECRETS = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def assert_named(exc: StorageError, url: str, s3: S3Server) -> None:
    assert url in str(exc)
    for name in SECRETS:
        assert s3.environ()[name] not in str(exc)


def both_calls(store: RemoteStore) -> Iterator[Callable[[], object]]:
    yield lambda: store.listing("w")
    yield lambda: store.get_many({"baseline.json": None}, max_bytes=1000)


def test_no_such_bucket(s3: S3Server, connect: Connect) -> None:
    """A GET in a missing bucket is answered 404 too: it must not read as an absent object."""
    url = f"s3://{unique('absent')}/p"
    for call in both_calls(connect(url)):
        with pytest.raises(StorageError) as caught:
            call()
        assert caught.value.kind == "no-bucket"
        assert_named(caught.value, url, s3)


def test_access_denied(s3: S3Server, connect: Connect) -> None:
    bucket = s3.bucket(unique())
    s3.front.faults.append(Fault("deny"))
    url = f"s3://{bucket}/p"
    for call in both_calls(connect(url)):
        with pytest.raises(StorageError) as caught:
            call()
        assert caught.value.kind == "denied"
        assert_named(caught.value, url, s3)


def test_unreachable_endpoint(s3: S3Server, connect: Connect, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    url = f"s3://{unique()}/p"
    for call in both_calls(connect(url, budget_seconds=5)):
        with pytest.raises(StorageError) as caught:
            call()
        assert caught.value.kind == "unreachable"
        assert_named(caught.value, url, s3)
    assert not s3.front.seen


@pytest.mark.parametrize("retries", [0, 2])
def test_throttling_is_retried_a_bounded_number_of_times(s3: S3Server, connect: Connect, retries: int) -> None:
    bucket = s3.bucket(unique())
    s3.put(bucket, "p/baseline.json", b"{}")
    s3.front.faults.append(Fault("slowdown"))
    url = f"s3://{bucket}/p"
    for call in both_calls(connect(url, retries=retries)):
        s3.front.seen.clear()
        with pytest.raises(StorageError) as caught:
            call()
        assert caught.value.kind == "throttled"
        assert_named(caught.value, url, s3)
        assert 1 <= len(s3.front.seen) <= retries + 1


def test_throttling_that_stops_is_ridden_out(s3: S3Server, connect: Connect) -> None:
    bucket = s3.bucket(unique())
    s3.put(bucket, "p/baseline.json", b"{}")
    s3.front.faults.append(Fault("slowdown", times=2))
    assert connect(f"s3://{bucket}/p", retries=3).get_many({"baseline.json": None}, max_bytes=100) == {
        "baseline.json": b"{}"
    }
    assert [s.status for s in s3.front.seen] == [503, 503, 200]


def test_a_trickling_body_ends_as_a_timeout_within_the_budget(s3: S3Server, connect: Connect) -> None:
    bucket = s3.bucket(unique())
    s3.put(bucket, "p/baseline.json", b"{" + b" " * 200 + b"}")  # 100 s at a byte every half second
    s3.front.faults.append(Fault("trickle"))
    url = f"s3://{bucket}/p"
    store = connect(url, budget_seconds=2)
    started = time.monotonic()
    with pytest.raises(StorageError) as caught:
        store.get_many({"baseline.json": None}, max_bytes=1000)
    elapsed = time.monotonic() - started
    assert caught.value.kind == "timeout" and "2 s storage budget" in str(caught.value)
    assert_named(caught.value, url, s3)
    assert elapsed < 60, f"took {elapsed:.1f} s"  # it ended: the body alone would take 100 s
    with pytest.raises(StorageError) as again:  # the budget is spent: later calls fail at once
        store.listing("w")
    assert again.value.kind == "timeout"


def test_a_listener_that_never_answers_ends_as_a_timeout(
    s3: S3Server, connect: Connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as silent:  # the kernel accepts connections; nothing ever answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{silent.getsockname()[1]}")
        url = f"s3://{unique()}/p"
        store = connect(url, budget_seconds=2)
        for call in both_calls(store):
            with pytest.raises(StorageError) as caught:
                call()
            assert caught.value.kind == "timeout"
            assert_named(caught.value, url, s3)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Error performing GET http://h/b/k in 503.1ms, after 1 retries, max_retries: 1, retry_timeout: 3s"
         "  - HTTP error: error sending request ... Connection refused", "unreachable"),
        ("Error performing GET http://h/b/k429 in 3.2ms, retry_timeout: 3s - Server returned non-2xx status code: "
         "500 Internal Server Error: <Error><Code>InternalError</Code></Error>", "failed"),
        ("Error performing GET http://h/b/AccessDenied.json in 3ms - Server returned non-2xx status code: "
         "503 Service Unavailable: <Error><Code>SlowDown</Code></Error>", "throttled"),
        ("Server returned non-2xx status code: 403 Forbidden: ", "denied"),
    ],
)  # fmt: skip
def test_a_failure_is_classified_by_its_status_never_by_digits_in_timings_or_keys(text: str, kind: str) -> None:
    found = classify(Exception(text), "s3://b/p")
    assert found.kind == kind and str(found).startswith("s3://b/p: ")


EXIT_PROGRAM = """
from mlops.core.storage import RemoteStore
store = RemoteStore({url!r})
names = [e.name for e in store.listing("w")]
assert len(store.get_many({{"w/" + n: None for n in names}}, max_bytes=100)) == len(names) == 300
store.close()
"""


@pytest.mark.slow  # ten interpreters, about 10 s
def test_a_process_that_used_the_store_exits_normally(s3: S3Server) -> None:
    """obstore's asyncio API made one such process in three abort at exit (SIGABRT): the monitor's
    report was printed, then CI saw a crash. Ten processes in a row must all exit 0."""
    bucket = s3.bucket(unique())
    s3.put_many(bucket, keys(300, "p/w"))
    env = clean_environ() | s3.environ() | {"PYTHONPATH": str(ROOT)}
    program = EXIT_PROGRAM.format(url=f"s3://{bucket}/p")
    codes = [
        subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, timeout=60, check=False)
        for _ in range(10)
    ]
    assert [c.returncode for c in codes] == [0] * 10, [c.stderr.decode()[-500:] for c in codes if c.returncode]


def test_without_obstore_a_remote_store_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """The wheel without its `storage` extra: a sentence naming the URL and the package, before any request."""
    for module in ("obstore", "obstore.store"):
        monkeypatch.setitem(sys.modules, module, None)  # `import obstore` raises ImportError
    store = RemoteStore("s3://bucket/prefix", budget_seconds=2)
    for call in (lambda: store.listing("windows"), lambda: store.get_many({"a.json": None}, max_bytes=10)):
        with pytest.raises(StorageError) as caught:
            call()
        assert caught.value.kind == "config"
        assert "s3://bucket/prefix" in str(caught.value) and "pip install obstore" in str(caught.value)
    store.close()
