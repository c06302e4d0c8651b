"""Read a monitoring workspace once, read-only, into frozen documents the checks share."""

from __future__ import annotations

import bisect
import functools
import heapq
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePath
from typing import Any, Protocol

from mlops.contract.reader import Document, contract_document, load_document, load_json, read_bytes
from mlops.contract.timestamps import parse_timestamp
from mlops.monitoring.config import Config

TREND_WINDOWS = 1000
"""The newest windows read whose signals a run keeps for MON401's trend, and whose end times MON105's
freshness series lists: it bounds memory and the report however many windows ``--scan all`` reads."""


@dataclass(frozen=True, kw_only=True)
class Workspace:
    """Everything the file checks look at; nothing here is ever written back."""

    root: Path | str | None
    """The folder, or the object-storage URL."""
    problem: str | None = None
    missing: tuple[tuple[str, str], ...] = ()
    """(name, why) of each required entry that is absent or of the wrong kind."""
    baseline: Document | None = None
    alerts: Document | None = None
    windows: tuple[Document, ...] = ()
    peers: tuple[Document, ...] = ()
    """Peers' reports (Evidently, Great Expectations), parsed but not held to our contract."""
    scan: str = "all"
    """``recent``: only the windows the checks judge were read (``files.scan``); ``all``: every one."""
    traced: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """The signals of the newest :data:`TREND_WINDOWS` valid windows read, by ``Document.shown``: drift's
    window-by-window trend. The windows drift judges also keep theirs in ``data``."""

    def documents(self) -> list[Document]:
        return [d for d in (self.baseline, self.alerts, *self.windows) if d is not None]

    @functools.cached_property
    def by_end(self) -> tuple[tuple[datetime, Document], ...]:
        """Valid windows with the end time written inside them (never the mtime), oldest first."""
        ends = [(parse_timestamp(d.data["window"]["end"]), d) for d in self.windows if d.valid]
        return tuple(sorted(((end, d) for end, d in ends if end is not None), key=lambda pair: pair[0]))

    @property
    def judged(self) -> list[Document]:
        """The windows drift judges, oldest first: those :func:`load_workspace` kept the signals of."""
        return [d for _, d in self.by_end if "signals" in d.data]


def model_of(doc: Document) -> tuple[str, str]:
    """(name, version) of the model a valid window or baseline describes: drift compares only equal ones."""
    model = doc.data["model"]
    return str(model["name"]), str(model["version"])


def load_workspace(config: Config, now: datetime) -> Workspace:
    """Read what the checks judge, as of ``now``: in a folder or below an object-storage URL."""
    root = config.workspace
    if root is None:
        return Workspace(root=None, problem="no workspace configured: set `workspace:`, MLOPS_WORKSPACE or --workspace")
    if isinstance(root, str):
        from mlops.core.storage import StorageError  # a remote workspace only: local runs never import it
        from mlops.monitoring.remote import RemoteSource

        source: Source = RemoteSource(root, config)
        try:
            return _load(source, config, now)
        except StorageError as exc:
            return Workspace(root=root, problem=str(exc))
        finally:
            source.close()
    shown_root = str(root)
    if not root.exists():
        return Workspace(root=root, problem=f"{shown_root} does not exist")
    if not root.is_dir():
        return Workspace(root=root, problem=f"{shown_root} is not a folder")
    if not os.access(root, os.R_OK | os.X_OK):
        return Workspace(root=root, problem=f"{shown_root} is not readable")
    try:
        return _load(LocalSource(root, config), config, now)
    except _Unlistable as exc:
        return Workspace(root=root, problem=str(exc))


class _Unlistable(Exception):
    """A folder that exists but cannot be listed: the whole workspace is unreadable."""


class Source(Protocol):
    """Where the bytes come from: a folder, or object storage (:mod:`mlops.core.storage`)."""

    def documents(self, names: dict[str, str]) -> dict[str, Document | None]:
        """Contract documents ``{name: schema}`` (None: absent)."""

    def windows(self, *, after: str | None = None, stop_at: str | None = None) -> list[str] | str:
        """Window file names in ``(after, stop_at)``, sorted, or why the windows folder cannot be used."""

    def read(self, folder: str, names: list[str]) -> Iterator[tuple[str, bytes | ValueError]]:
        """Each file's bytes, or why it is refused, in the order given; lazily, to keep memory flat."""

    def path(self, folder: str, name: str) -> PurePath:
        """What :attr:`Document.path` holds: the local path, or the object's name."""

    def peers(self) -> list[Document]: ...

    def close(self) -> None: ...


class LocalSource:
    def __init__(self, root: Path, config: Config) -> None:
        self.root, self.files = root, config.files
        self._names: list[str] | None = None

    def documents(self, names: dict[str, str]) -> dict[str, Document | None]:
        found: dict[str, Document | None] = {}
        for name, expect in names.items():
            path = self.root / name
            found[name] = (
                load_document(path, root=self.root, shown=name, expect=expect, max_bytes=self.files.max_bytes)
                if path.exists() or path.is_symlink()
                else None
            )
        return found

    def windows(self, *, after: str | None = None, stop_at: str | None = None) -> list[str] | str:
        if self._names is None:
            folder = self.root / self.files.windows
            if folder.exists() and not folder.is_dir():
                return "is a file, a folder of window files was expected"
            if not folder.is_dir():  # a link leading outside is refused file by file, by read_bytes
                return "is missing from the workspace"
            try:
                self._names = sorted(
                    e.name for e in os.scandir(folder) if e.name.endswith(".json") and not e.name.startswith(".")
                )
            except OSError as exc:
                raise _Unlistable(f"{self.files.windows}/ cannot be listed ({exc.strerror})") from None
        low = bisect.bisect_right(self._names, after) if after is not None else 0
        high = bisect.bisect_left(self._names, stop_at) if stop_at is not None else len(self._names)
        return self._names[low:high]

    def read(self, folder: str, names: list[str]) -> Iterator[tuple[str, bytes | ValueError]]:
        base = self.root / folder
        for name in names:
            try:
                yield name, read_bytes(base / name, root=self.root, max_bytes=self.files.max_bytes)
            except ValueError as exc:
                yield name, exc

    def path(self, folder: str, name: str) -> PurePath:
        return self.root / folder / name

    def peers(self) -> list[Document]:
        reports = self.root / self.files.peers
        if not reports.is_dir():
            return []
        return [
            load_json(
                reports / entry, root=self.root, shown=f"{self.files.peers}/{entry}", max_bytes=self.files.max_bytes
            )
            for entry in sorted(
                e.name for e in os.scandir(reports) if e.name.endswith(".json") and not e.name.startswith(".")
            )
        ]

    def close(self) -> None:
        pass


def _load(source: Source, config: Config, now: datetime) -> Workspace:
    files = config.files
    missing: list[tuple[str, str]] = []
    found = source.documents({files.baseline: "mlops.baseline", files.alerts: "mlops.alerts"})
    for name in (files.baseline, files.alerts):
        if found[name] is None:
            missing.append((name, "is missing from the workspace"))
    windows, listed = _Windows(config, now), source.windows(after=_first_key(config, now))
    if isinstance(listed, str):
        missing.append((f"{files.windows}/", listed))
    else:
        windows.read(source, listed)
        step = timedelta(hours=max(files.max_age_hours, 1.0))
        upper = _first_key(config, now)
        while upper is not None and not windows.enough():
            step = min(
                step * 4, timedelta(days=4_000_000)
            )  # a stale workspace: look further back, each range once, a few listings in all
            lower = _key(_shifted(now, -step.total_seconds()))
            older = source.windows(after=lower, stop_at=upper + "\x00")  # names up to `upper`, inclusive
            windows.read_newest(source, older if isinstance(older, list) else [])
            upper = lower
        if not windows.docs:
            missing.append((f"{files.windows}/*.json", "is missing: no window file yet"))
    return Workspace(
        root=config.workspace,
        missing=tuple(missing),
        baseline=found[files.baseline],
        alerts=found[files.alerts],
        windows=tuple(sorted(windows.docs, key=lambda d: d.shown)),
        peers=tuple(source.peers()),
        scan=files.scan,
        traced=windows.traced,
    )


def _first_key(config: Config, now: datetime) -> str | None:
    """The name after which a recent run lists windows; None lists them all.

    Window names begin with their end time (``2026-11-20T070000Z``, ``2026-11-20T070000.123456Z-1f2e3d4c``),
    so names sort as ends do: every window ending after ``now - files.max_age_hours`` is named after
    this key (a second earlier, so that fractions of a second cannot fall before it).
    """
    files, drift = config.files, config.drift
    if files.scan == "all" or (drift.windows == 0 and drift.since is None):
        return None  # everything, as asked (drift over every window needs every window)
    cutoff = _shifted(now, -files.max_age_hours * 3600)
    if drift.windows == 0 and drift.since is not None:
        since = parse_timestamp(drift.since)
        if since is not None:
            cutoff = min(cutoff, since)
    return _key(cutoff)


def _key(moment: datetime) -> str | None:
    """The name-sorting key one second before ``moment``; None before 1970 (list from the start)."""
    earlier = _shifted(moment, -1.0)
    return earlier.astimezone(UTC).strftime("%Y-%m-%dT%H%M%S") if earlier.year >= 1970 else None


def _shifted(moment: datetime, seconds: float) -> datetime:
    """``moment`` moved by ``seconds``, clamped to what datetime holds (as ``checks.base.shifted``)."""
    try:
        return moment + timedelta(seconds=seconds)
    except OverflowError:
        return (datetime.max if seconds > 0 else datetime.min).replace(tzinfo=moment.tzinfo)


STEP_BACK_READS = 64
"""Windows read at a time while stepping back over a stale workspace, newest first."""


class _Windows:
    """Windows as read, keeping the signals of only those drift will judge (:attr:`Workspace.judged`).

    Freshness, schema and timestamps look at every window read; drift needs the newest
    ``drift.windows`` (all when 0) ending after ``drift.since``. Dropping the other windows' signals
    as soon as a newer one is read keeps memory flat however many files are read (the same order as
    :attr:`Workspace.by_end`: the time inside the file, then the file name). The newest
    :data:`TREND_WINDOWS` keep theirs aside (:attr:`Workspace.traced`) for drift's trend: bounded too.
    """

    def __init__(self, config: Config, now: datetime) -> None:
        self.config = config
        self.counts_as_now = _shifted(now, config.files.future_tolerance_seconds)
        self.keep = config.drift.windows  # 0 keeps every window's signals: the user asked to sum them all
        self.since = parse_timestamp(config.drift.since) if config.drift.since else None
        self.docs: list[Document] = []
        self.newest: list[tuple[datetime, str, int]] = []  # a min-heap of the windows that keep their signals
        self.trend: list[tuple[datetime, str]] = []  # a min-heap of the newest TREND_WINDOWS, whatever drift judges
        self.traced: dict[str, Mapping[str, Any]] = {}
        self.eligible = 0
        self.fresh = False
        """Whether a valid window not in the future was read (the one freshness judges)."""

    def read(self, source: Source, names: list[str]) -> None:
        folder = self.config.files.windows
        for name, raw in source.read(folder, names):
            shown = f"{folder}/{name}"
            self.add(contract_document(raw, path=source.path(folder, name), shown=shown, expect="mlops.window"))

    def read_newest(self, source: Source, names: list[str]) -> None:
        """Read ``names`` newest first, a few at a time, until :meth:`enough`: stepping back over a stale
        workspace lists a long stretch of history but reads only its newest windows."""
        for high in range(len(names), 0, -STEP_BACK_READS):
            self.read(source, names[max(0, high - STEP_BACK_READS) : high])
            if self.enough():
                return

    def add(self, doc: Document) -> None:
        if not doc.valid:  # the checks use only the error of an invalid file, never its data
            doc = replace(doc, data=None)
        index = len(self.docs)
        self.docs.append(doc)
        if not doc.valid:
            return
        end = parse_timestamp(doc.data["window"]["end"])
        self.fresh = self.fresh or (end is not None and end <= self.counts_as_now)
        if end is not None:
            heapq.heappush(self.trend, (end, doc.shown))
            self.traced[doc.shown] = doc.data["signals"]
            if len(self.trend) > TREND_WINDOWS:
                del self.traced[heapq.heappop(self.trend)[1]]
        if end is None or (self.since is not None and end <= self.since):
            self.docs[index] = _without_signals(doc)
            return
        self.eligible += 1
        if not self.keep:
            return
        heapq.heappush(self.newest, (end, doc.shown, index))  # equal ends: the name decides, as in by_end
        if len(self.newest) > self.keep:
            _, _, older = heapq.heappop(self.newest)
            self.docs[older] = _without_signals(self.docs[older])

    def enough(self) -> bool:
        """Whether the windows read so far are all a recent run judges: one that is not in the future
        (freshness, MON105), and the ``drift.windows`` newest that drift may judge."""
        return self.fresh and (self.keep == 0 or self.eligible >= self.keep)


def _without_signals(doc: Document) -> Document:
    return replace(doc, data={key: value for key, value in doc.data.items() if key != "signals"})
