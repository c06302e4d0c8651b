"""A workspace below an object-storage URL, read through :mod:`mlops.core.storage`.

Apart from :mod:`mlops.monitoring.workspace` so that a local run neither loads nor compiles it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePath, PurePosixPath

from mlops.contract.reader import Document, contract_document, json_document
from mlops.monitoring.config import Config


class RemoteSource:
    """A workspace below an object-storage URL: keys for names, one listing per window range."""

    BATCH = 256
    """Windows fetched per round of concurrent GETs: bounds the bytes held at once."""

    def __init__(self, url: str, config: Config) -> None:
        from mlops.core.storage import RemoteStore

        self.files = config.files
        self.store = RemoteStore(url, budget_seconds=config.storage.budget_seconds, retries=config.storage.retries)
        self._sizes: dict[str, int] = {}

    def documents(self, names: dict[str, str]) -> dict[str, Document | None]:
        raws = self.store.get_many(dict.fromkeys(names), max_bytes=self.files.max_bytes)
        found: dict[str, Document | None] = {}
        for name, expect in names.items():
            raw = raws[name]
            found[name] = (
                None if raw is None else contract_document(raw, path=PurePosixPath(name), shown=name, expect=expect)
            )
        return found

    def windows(self, *, after: str | None = None, stop_at: str | None = None) -> list[str] | str:
        entries = self.store.listing(self.files.windows, after=after, stop_at=stop_at)
        names = []
        for entry in entries:
            if entry.name.endswith(".json") and not entry.name.startswith("."):
                self._sizes[f"{self.files.windows.strip('/')}/{entry.name}"] = entry.size
                names.append(entry.name)
        return names

    def read(self, folder: str, names: list[str]) -> Iterator[tuple[str, bytes | ValueError]]:
        prefix = folder.strip("/") + "/"
        for start in range(0, len(names), self.BATCH):
            chunk = names[start : start + self.BATCH]
            raws = self.store.get_many(
                {prefix + n: self._sizes.get(prefix + n) for n in chunk}, max_bytes=self.files.max_bytes
            )
            for name in chunk:
                raw = raws[prefix + name]
                yield (
                    name,
                    ValueError("was listed but is gone (deleted while the monitor read)") if raw is None else raw,
                )

    def path(self, folder: str, name: str) -> PurePath:
        return PurePosixPath(folder, name)

    def peers(self) -> list[Document]:
        entries = [
            e for e in self.store.listing(self.files.peers) if e.name.endswith(".json") and not e.name.startswith(".")
        ]
        self._sizes.update((f"{self.files.peers.strip('/')}/{e.name}", e.size) for e in entries)
        return [
            json_document(raw, path=PurePosixPath(self.files.peers, name), shown=f"{self.files.peers}/{name}")
            for name, raw in self.read(self.files.peers, [e.name for e in entries])
        ]

    def close(self) -> None:
        self.store.close()
