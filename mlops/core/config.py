"""Layered configuration: one annotated YAML of defaults, a config file, the environment, the CLI.

Shared by the monitor and the trainer so that both read configuration the same way (as
ultralytics' ``get_cfg`` does): unknown keys are refused with the closest valid key named,
values are checked against the type of their default, and paths in a file are relative to it.
"""

from __future__ import annotations

import functools
import re
import reprlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mlops.core.location import local_path, remote_url
from mlops.core.redact import hide_userinfo

Special = Callable[[str, Any, str, Path], Any]
"""(dotted key, value, where, base folder) -> value: for keys whose values need more than a type check."""
MAX_NUMBER = 1_000_000_000
"""Numbers above this are refused: larger ones overflow timeouts and time spans (31 years in seconds)."""


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file and key concerned."""


def truthy(value: str | None) -> bool:
    """One reading of on/off switches such as PYTHON_DOTENV_DISABLED and MLOPS_DEBUG: ``0`` means off."""
    return (value or "").casefold() in {"1", "true", "t", "yes", "y"}


def read_environment(cwd: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """Real variables win over ``.env`` in the current folder; PYTHON_DOTENV_DISABLED turns it off."""
    env = dict(environ)
    dotenv_path = cwd / ".env"
    if truthy(env.get("PYTHON_DOTENV_DISABLED")) or not dotenv_path.is_file():
        return env
    from dotenv import dotenv_values  # only when there is a .env to read
    from dotenv.parser import parse_stream

    try:
        with dotenv_path.open(encoding="utf-8") as stream:  # python-dotenv drops a line it cannot parse
            broken = [b.original.line for b in parse_stream(stream) if b.error]
        values = dotenv_values(dotenv_path) if not broken else {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{dotenv_path}: cannot read .env ({type(exc).__name__})") from None
    if broken:  # silently dropping `PASSWORD="p#ss"word` would run without the password
        lines = ", ".join(map(str, broken[:5]))
        raise ConfigError(
            f"{dotenv_path}: line {lines} cannot be parsed (an unclosed quote, or text after a closing quote?); "
            "fix it, or set PYTHON_DOTENV_DISABLED=1 to ignore .env"
        )
    return {k: v for k, v in values.items() if v is not None} | env


@dataclass(frozen=True)
class Spec:
    """What one program's configuration accepts."""

    defaults_file: Path
    env_keys: Mapping[str, str] = field(default_factory=dict)
    """Environment variable -> dotted key."""
    path_keys: frozenset[str] = frozenset()
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    special: Mapping[str, Special] = field(default_factory=dict)

    def defaults(self) -> dict[str, Any]:
        return _defaults(self.defaults_file)

    def merge(
        self, path: Path | None, *, env: Mapping[str, str], overrides: Mapping[str, Any], cwd: Path
    ) -> dict[str, Any]:
        """Defaults < ``path`` < ``env`` < ``overrides`` (dotted keys), checked: a plain tree of values."""
        merged = _copy(self.defaults())
        if path is not None:
            self._merge(merged, read_yaml(path), where=str(path), base=path.resolve().parent)
        for var, key in self.env_keys.items():  # one at a time, so that a refusal names the variable
            if env.get(var):
                where = f"environment ({var})"
                self._merge(merged, nest({key: env[var]}, where=where), where=where, base=cwd)
        self._merge(merged, nest(dict(overrides), where="command line"), where="command line", base=cwd)
        return merged

    def _merge(
        self, target: dict[str, Any], layer: dict[str, Any], *, where: str, base: Path, prefix: str = ""
    ) -> None:
        for key, value in layer.items():
            dotted = f"{prefix}{key}"
            if not isinstance(key, str) or key not in target:
                raise ConfigError(f"{where}: unknown key {dotted[:80]!r}{_suggest(str(key), target, prefix)}")
            if dotted in self.special:
                target[key] = self.special[dotted](dotted, value, where, base)
            elif isinstance(target[key], dict):
                if not isinstance(value, dict):
                    raise ConfigError(f"{where}: {dotted[:80]!r} must be a mapping, got {kind(value)}")
                self._merge(target[key], value, where=where, base=base, prefix=f"{dotted}.")
            else:
                if dotted in self.choices and value not in self.choices[dotted]:
                    options = ", ".join(self.choices[dotted])
                    raise ConfigError(f"{where}: {dotted[:80]!r} must be one of {options}, got {kind(value)}")
                target[key] = coerce(dotted, value, self._default(dotted), where)
                if dotted in self.path_keys and target[key] == "":
                    raise ConfigError(f"{where}: {dotted[:80]!r} is empty: give a path")
                if dotted in self.path_keys and target[key] is not None:
                    target[key] = str(base / expand_user(dotted, target[key], where))

    def _default(self, dotted: str) -> Any:
        node: Any = self.defaults()
        for part in dotted.split("."):
            node = node[part]
        return node


@functools.cache
def _defaults(path: Path) -> dict[str, Any]:
    """The bundled defaults, ours and well formed: libyaml's parser where PyYAML has it (~10x faster)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # type: ignore[no-any-return]  # noqa: S506


def read_yaml(path: Path) -> dict[str, Any]:
    """A config file's top-level mapping; every failure names the file (and the line, for syntax)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file ({type(exc).__name__})") from None
    try:
        data = safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark else ""
        twice = str(getattr(exc, "problem", "")) if "given twice" in str(getattr(exc, "problem", "")) else ""
        raise ConfigError(f"{path}: {twice}{at}" if twice else f"{path}: not valid YAML{at}") from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys at the top level, got {type(data).__name__}")
    return data


class StrictLoader(yaml.SafeLoader):
    """YAML as configuration needs it: a key given twice is refused, and ``1e-3`` is a number.

    PyYAML follows YAML 1.1, where a float needs a dot (``1.0e-3``) and ``1e-3`` is a string, and the
    later of two equal keys silently wins; YAML 1.2 and JSON disagree on both.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key[:60]!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


SCIENTIFIC = re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$")
"""``1e-3``: a float to this loader, a string to YAML 1.1; a dumper must quote such strings to round-trip."""
StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    SCIENTIFIC,
    list("-+0123456789"),
)


def safe_load(text: str) -> Any:
    """:class:`StrictLoader`, whose constructors also raise ValueError (a 30 February, a 5,000-digit int)."""
    try:
        return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except (ValueError, TypeError, OverflowError) as exc:
        raise yaml.YAMLError(type(exc).__name__) from None


def workspace_location(key: str, location: str, where: str, base: Path) -> str:
    """A folder (relative to ``base``), ``file:///PATH``, or a storage URL (without a trailing slash):
    one reading of a workspace for the monitor's config and the trainer's alike."""
    if not location:
        raise ConfigError(f"{where}: {key!r} is empty: give a folder or a storage URL")
    try:
        url = remote_url(location)
        folder = local_path(location) if url is None else None
    except ValueError as exc:
        raise ConfigError(f"{where}: {key!r}: {exc}") from None
    return url if url is not None else str(base / expand_user(key, str(folder), where))


def expand_user(key: str, value: str, where: str) -> Path:
    """``~/x`` as the shell would; ``~nobody/x`` for an unknown user is a refusal, not a RuntimeError."""
    try:
        return Path(value).expanduser()
    except RuntimeError:
        raise ConfigError(f"{where}: {key!r}: cannot expand {kind(value)} (no such user's home)") from None


def _copy(tree: dict[str, Any]) -> dict[str, Any]:
    return {k: _copy(v) if isinstance(v, dict) else v for k, v in tree.items()}


def nest(flat: dict[str, Any], *, where: str) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for dotted, value in flat.items():
        *parents, leaf = dotted.split(".")
        if not all((*parents, leaf)):
            raise ConfigError(f"{where}: {dotted[:80]!r} is not a dotted key like 'drift.windows'")
        node = nested
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"{where}: {dotted[:80]!r} conflicts with another override")
        node[leaf] = value
    return nested


def coerce(key: str, value: Any, default: Any, where: str) -> Any:
    """Check ``value`` against the type of ``default``; strings from the environment become bools."""

    def bad(expected: str) -> ConfigError:
        return ConfigError(f"{where}: {key!r} must be {expected}, got {kind(value)}")

    if isinstance(default, bool):
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
            value = value.lower() in ("true", "1")
        if not isinstance(value, bool):
            raise bad("true or false")
    elif isinstance(default, int):
        if isinstance(value, float) and value.is_integer() and 0 <= value <= MAX_NUMBER:  # 1e6 is a million
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_NUMBER:
            raise bad(f"a non-negative integer up to {MAX_NUMBER:.0e}")
    elif isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= MAX_NUMBER:
            raise bad(f"a non-negative number up to {MAX_NUMBER:.0e}")
        value = float(value)
    elif isinstance(default, list):
        if isinstance(value, str):  # `MON1, MON2` as `--select MON1,MON2` means
            value = value.split(",")
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = [part.strip() for part in value if part.strip()]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad("a list of strings")
    elif isinstance(default, str):  # a key documented as null may be null; the others name something
        if not isinstance(value, str) or not value:
            raise bad("a non-empty string")
    elif value is not None and not isinstance(value, str):
        raise bad("a string")
    return value


def _suggest(key: str, target: dict[str, Any], prefix: str) -> str:
    import difflib  # only an unknown key pays for it

    close = difflib.get_close_matches(key, [k for k in target if isinstance(k, str)], n=1)
    return f" (did you mean {prefix + close[0]!r}?)" if close else ""


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxlong = 2, 40


def kind(value: Any) -> str:
    """A short description of a value; bounded, even for YAML aliases that expand a billion times."""
    if value is None:
        return "null"
    try:
        shown = value if isinstance(value, str) else _SHORT.repr(value)
    except ValueError:  # an int too long to convert to text at all
        shown = "..."
    return f"{type(value).__name__} {hide_userinfo(shown)[:40]!r}"
