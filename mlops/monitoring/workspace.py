"""Read a monitoring workspace once, read-only, into frozen documents the checks share."""

from __future__ import annotations

import functools
import heapq
import os
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from mlops.contract.reader import Document, load_document, load_json
from mlops.contract.timestamps import parse_timestamp
from mlops.monitoring.config import Config


@dataclass(frozen=True, kw_only=True)
class Workspace:
    """Everything the file checks look at; nothing here is ever written back."""

    root: Path | None
    problem: str | None = None
    missing: tuple[tuple[str, str], ...] = ()
    """(name, why) of each required entry that is absent or of the wrong kind."""
    baseline: Document | None = None
    alerts: Document | None = None
    windows: tuple[Document, ...] = ()
    peers: tuple[Document, ...] = ()
    """Peers' reports (Evidently, Great Expectations), parsed but not held to our contract."""

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


def load_workspace(config: Config) -> Workspace:
    root = config.workspace
    if root is None:
        return Workspace(root=None, problem="no workspace configured: set `workspace:`, MLOPS_WORKSPACE or --workspace")
    shown_root = str(root)
    if not root.exists():
        return Workspace(root=root, problem=f"{shown_root} does not exist")
    if not root.is_dir():
        return Workspace(root=root, problem=f"{shown_root} is not a folder")
    if not os.access(root, os.R_OK | os.X_OK):
        return Workspace(root=root, problem=f"{shown_root} is not readable")
    files = config.files
    missing: list[tuple[str, str]] = []

    def load(name: str, expect: str) -> Document | None:
        path = root / name
        if not path.exists() and not path.is_symlink():
            missing.append((name, "is missing from the workspace"))
            return None
        return load_document(path, root=root, shown=name, expect=expect, max_bytes=files.max_bytes)

    baseline = load(files.baseline, "mlops.baseline")
    alerts = load(files.alerts, "mlops.alerts")
    windows: list[Document] = []
    folder = root / files.windows
    if folder.exists() and not folder.is_dir():
        missing.append((f"{files.windows}/", "is a file, a folder of window files was expected"))
    elif not folder.is_dir():  # a link leading outside is refused file by file, by read_bytes
        missing.append((f"{files.windows}/", "is missing from the workspace"))
    else:
        try:
            names = sorted(
                e.name for e in os.scandir(folder) if e.name.endswith(".json") and not e.name.startswith(".")
            )
        except OSError as exc:
            return Workspace(root=root, problem=f"{files.windows}/ cannot be listed ({exc.strerror})")
        windows = _load_windows(folder, names, root=root, config=config)
        if not names:
            missing.append((f"{files.windows}/*.json", "is missing: no window file yet"))
    peers: list[Document] = []
    reports = root / files.peers
    if reports.is_dir():
        for entry in sorted(
            e.name for e in os.scandir(reports) if e.name.endswith(".json") and not e.name.startswith(".")
        ):
            shown = f"{files.peers}/{entry}"
            peers.append(load_json(reports / entry, root=root, shown=shown, max_bytes=files.max_bytes))
    return Workspace(
        root=root, missing=tuple(missing), baseline=baseline, alerts=alerts, windows=tuple(windows), peers=tuple(peers)
    )


def _load_windows(folder: Path, names: list[str], *, root: Path, config: Config) -> list[Document]:
    """Read every window, keeping the signals of only those drift will judge (:attr:`Workspace.judged`).

    Freshness, schema and timestamps need every file; drift needs the newest ``drift.windows``
    (all when 0) ending after ``drift.since``. Dropping the other windows' signals as soon as a newer
    one is read keeps memory flat however many files the folder holds (the same order as
    :attr:`Workspace.by_end`: the time inside the file, then the file name).
    """
    keep = config.drift.windows  # 0 keeps every window's signals: the user asked to sum them all
    since = parse_timestamp(config.drift.since) if config.drift.since else None
    windows: list[Document] = []
    newest: list[tuple[datetime, int]] = []  # a min-heap of the windows that keep their signals
    for index, name in enumerate(names):
        doc = load_document(
            folder / name, root=root, shown=f"{config.files.windows}/{name}", expect="mlops.window",
            max_bytes=config.files.max_bytes,
        )  # fmt: skip
        if not doc.valid:  # the checks use only the error of an invalid file, never its data
            doc = replace(doc, data=None)
        windows.append(doc)
        if not doc.valid:
            continue
        end = parse_timestamp(doc.data["window"]["end"])
        if end is None or (since is not None and end <= since):
            windows[index] = _without_signals(doc)
            continue
        if not keep:
            continue
        heapq.heappush(newest, (end, index))
        if len(newest) > keep:
            _, older = heapq.heappop(newest)
            windows[older] = _without_signals(windows[older])
    return windows


def _without_signals(doc: Document) -> Document:
    return replace(doc, data={key: value for key, value in doc.data.items() if key != "signals"})
