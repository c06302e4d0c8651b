"""Read a monitoring file without trusting it: bounded, read-only, and never a traceback.

Every failure becomes a :class:`Document` with ``error`` set to a sentence a person can act
on; the caller turns it into a finding that names the file.
"""

from __future__ import annotations

import functools
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops.contract import SCHEMAS
from mlops.contract.validate import validate


@dataclass(frozen=True, kw_only=True)
class Document:
    """One monitoring file as read: parsed data, or why it could not be used."""

    path: Path
    shown: str
    data: Any = None
    error: str | None = None
    schema_errors: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        return self.error is None and not self.schema_errors


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text[:40]} overflows a float")
    return value


def read_bytes(path: Path, *, root: Path, max_bytes: int) -> bytes:
    """Return the file's bytes, or raise ``ValueError`` with the reason it is refused.

    Refused: anything that resolves outside ``root``, is not a regular file, or is larger than
    ``max_bytes`` (checked before reading, and again while reading, for files that grow).
    """
    try:
        resolved = path.resolve(strict=True)
    except FileNotFoundError:
        raise ValueError("does not exist") from None
    except (OSError, RuntimeError) as exc:  # symlink loops raise RuntimeError or ELOOP
        raise ValueError(f"cannot be resolved ({_reason(exc)})") from None
    if not resolved.is_relative_to(_real(root)):
        raise ValueError("is a link that leads outside the workspace")
    try:
        fd = os.open(resolved, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise ValueError(f"cannot be opened ({_reason(exc)})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ValueError("is a folder, a file was expected")
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("is not a regular file")
        if info.st_size > max_bytes:
            raise ValueError(f"is {info.st_size:,} bytes, over the {max_bytes:,}-byte limit")
        chunks, size = [], 0
        while size <= max_bytes and (chunk := os.read(fd, min(1 << 20, max_bytes + 1 - size))):
            chunks.append(chunk)
            size += len(chunk)
        raw = b"".join(chunks)
    except OSError as exc:
        raise ValueError(f"cannot be read ({_reason(exc)})") from None
    finally:
        os.close(fd)
    if len(raw) > max_bytes:
        raise ValueError(f"grew past the {max_bytes:,}-byte limit while being read")
    return raw


def parse_json(raw: bytes, *, finite_later: bool = False) -> Any:
    """Parse strict JSON (no NaN/Infinity), or raise ``ValueError`` with a located reason.

    ``finite_later``: a literal such as ``1e400`` may parse to infinity because the caller's schema
    check refuses non-finite numbers wherever one can sit; that saves a Python call per number.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"is not UTF-8 (byte {exc.start})") from None
    if not text.strip():
        raise ValueError("is empty")
    parse_float = None if finite_later else _finite_float
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=parse_float)
    except json.JSONDecodeError as exc:
        raise ValueError(f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise ValueError("is nested too deeply to be JSON we accept") from None
    except ValueError as exc:  # NaN/Infinity, or an integer with too many digits
        raise ValueError(f"is not valid JSON: {exc}") from None


def load_json(path: Path, *, root: Path, shown: str, max_bytes: int) -> Document:
    """Read and parse a file that follows someone else's format (a peer's report): no schema here."""
    try:
        return Document(path=path, shown=shown, data=parse_json(read_bytes(path, root=root, max_bytes=max_bytes)))
    except ValueError as exc:
        return Document(path=path, shown=shown, error=f"{shown} {exc}")


def load_document(path: Path, *, root: Path, shown: str, expect: str, max_bytes: int) -> Document:
    """Read, parse and validate one file that must carry schema identifier ``expect``."""
    try:
        data = parse_json(read_bytes(path, root=root, max_bytes=max_bytes), finite_later=True)
    except ValueError as exc:
        return Document(path=path, shown=shown, error=f"{shown} {exc}")
    if not isinstance(data, dict):
        return Document(path=path, shown=shown, data=data, schema_errors=("/: expected object",))
    found = data.get("schema")
    if found != expect:
        hint = f"{json.dumps(found)[:60]}" if found is not None else "no 'schema' key"
        return Document(path=path, shown=shown, data=data, schema_errors=(f"/schema: expected {expect!r}, got {hint}",))
    try:
        errors = validate(data, SCHEMAS[expect])
    except RecursionError:
        errors = ["/: nested too deeply"]
    return Document(path=path, shown=shown, data=data, schema_errors=tuple(errors))


@functools.lru_cache(maxsize=16)
def _real(root: Path) -> Path:
    """The workspace's real path, resolved once per run rather than once per file."""
    return root.resolve()


def _reason(exc: BaseException) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
