"""Read a monitoring file without trusting it: bounded, read-only, and never a traceback.

Every failure becomes a :class:`Document` with ``error`` set to a sentence a person can act
on; the caller turns it into a finding that names the file.
"""

from __future__ import annotations

import functools
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from mlops.contract import SCHEMAS, schema_name
from mlops.contract.signals import rule_errors
from mlops.contract.validate import validate


@dataclass(frozen=True, kw_only=True)
class Document:
    """One monitoring file as read: parsed data, or why it could not be used."""

    path: PurePath
    """A local path, or the object's name below a remote workspace."""
    shown: str
    data: Any = None
    error: str | None = None
    schema_errors: tuple[str, ...] = ()
    rule_errors: tuple[str, ...] = ()
    """Contract rules a JSON Schema cannot state (a histogram's shape); the file stays usable as data."""

    @property
    def valid(self) -> bool:
        return self.error is None and not self.schema_errors


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class _DuplicateKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Refuse ``{"a": 1, "a": 2}``: parsers disagree on which value wins, so a reader must not pick one."""
    found = dict(pairs)
    if len(found) != len(pairs):  # rare: only then look for the key that came twice
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(f"has the key {json.dumps(key)[:60]} twice in one object")
            seen.add(key)
    return found


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
    """Parse strict JSON (no NaN/Infinity, no duplicate key), or raise ``ValueError`` with a located reason.

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
        data = json.loads(
            text, parse_constant=_reject_constant, parse_float=parse_float, object_pairs_hook=_unique_keys
        )
    except _DuplicateKey as exc:
        raise ValueError(str(exc)) from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise ValueError("is nested too deeply to be JSON we accept") from None
    except ValueError as exc:  # NaN/Infinity, or an integer with too many digits
        raise ValueError(f"is not valid JSON: {exc}") from None
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(data):
        raise ValueError("has a \\uD800-\\uDFFF escape without its pair: a string that is not Unicode")
    return data


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
"""Only a file that escapes a surrogate can hold a lone one: the walk below is for those files alone."""


def _has_lone_surrogate(data: Any) -> bool:
    """True when a key or string cannot be encoded: it would break every report that quotes it."""
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                return True
    return False


def load_json(path: Path, *, root: Path, shown: str, max_bytes: int) -> Document:
    """Read and parse a file that follows someone else's format (a peer's report): no schema here."""
    try:
        raw = read_bytes(path, root=root, max_bytes=max_bytes)
    except ValueError as exc:
        return Document(path=path, shown=shown, error=f"{shown} {exc}")
    return json_document(raw, path=path, shown=shown)


def json_document(raw: bytes | ValueError, *, path: PurePath, shown: str) -> Document:
    """A peer's report from its bytes (or the reason they could not be read)."""
    try:
        if isinstance(raw, ValueError):
            raise raw
        return Document(path=path, shown=shown, data=parse_json(raw))
    except ValueError as exc:
        return Document(path=path, shown=shown, error=f"{shown} {exc}")


def load_document(path: Path, *, root: Path, shown: str, expect: str, max_bytes: int) -> Document:
    """Read, parse and validate one file that must carry schema identifier ``expect``."""
    try:
        raw = read_bytes(path, root=root, max_bytes=max_bytes)
    except ValueError as exc:
        return Document(path=path, shown=shown, error=f"{shown} {exc}")
    return contract_document(raw, path=path, shown=shown, expect=expect)


def contract_document(raw: bytes | ValueError, *, path: PurePath, shown: str, expect: str) -> Document:
    """Parse and validate bytes wherever they came from (a folder, a bucket) as schema ``expect``;
    ``raw`` may instead be the reason the bytes could not be read, which becomes the document's error."""
    try:
        if isinstance(raw, ValueError):
            raise raw
        data = parse_json(raw, finite_later=True)
    except ValueError as exc:
        return Document(path=path, shown=shown, error=f"{shown} {exc}")
    if not isinstance(data, dict):
        return Document(path=path, shown=shown, data=data, schema_errors=("/: expected object",))
    found = data.get("schema")
    if found != expect:
        hint = f"{json.dumps(found)[:60]}" if found is not None else "no 'schema' key"
        return Document(path=path, shown=shown, data=data, schema_errors=(f"/schema: expected {expect!r}, got {hint}",))
    name = schema_name(expect, data.get("schema_version"))
    if name is None:
        known = ", ".join(str(v) for (i, v) in SCHEMAS if i == expect)
        error = f"/schema_version: version {data['schema_version']} of {expect} is not one this code reads ({known})"
        return Document(path=path, shown=shown, data=data, schema_errors=(error,))
    try:
        errors = validate(data, name)
    except RecursionError:
        errors = ["/: nested too deeply"]
    rules = rule_errors(data["signals"]) if not errors and "signals" in data else []
    return Document(path=path, shown=shown, data=data, schema_errors=tuple(errors), rule_errors=tuple(rules))


@functools.lru_cache(maxsize=16)
def _real(root: Path) -> Path:
    """The workspace's real path, resolved once per run rather than once per file."""
    return root.resolve()


def _reason(exc: BaseException) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
