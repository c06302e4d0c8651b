"""Configuration never crashes: whatever a file, the environment or ``--set`` holds, the result is a
Config or a ConfigError that names where (file, environment, command line) and which key; and a loaded
Config, dumped back to YAML, loads to the same Config.

The generators lean on YAML's traps (30 February, 5,000-digit integers, aliases, tags, ``~user``
paths, NUL bytes) because that is where loaders crash rather than refuse.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path, PurePath, PureWindowsPath
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlops.core.config import MAX_NUMBER, SCIENTIFIC, ConfigError
from mlops.core.config import safe_load as config_yaml
from mlops.monitoring.config import CHOICES, ENV_KEYS, PATH_KEYS, SPAN_HOURS, Config, defaults, load_config
from mlops.monitoring.options import build_parser, overrides_from

EXAMPLES = settings(
    max_examples=1000, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
FILE_LEVEL = (
    "config file not found", "cannot read config file", "not valid YAML", "nested too deeply", "expected a",
    "the key ",  # a key given twice: named, though not as a dotted config key
)  # fmt: skip
"""Refusals about the file as a whole: they name the file, and there is no key to name."""

SECTIONS: dict[str, list[str]] = {k: list(v) for k, v in defaults().items() if isinstance(v, dict)}
TOP_KEYS = list(defaults())
DOTTED = [f"{top}.{sub}" for top, subs in SECTIONS.items() for sub in subs] + [k for k in TOP_KEYS if k not in SECTIONS]
TRICKY = [
    "2001-02-30", "2026-11-20T25:00:00Z", "1" * 5000, "-" + "9" * 4400, "0x" + "f" * 4000, "1e400", "1e9", "1000000001",
    ".inf", "-.inf", ".nan", "-1", "0", "1.5", "~", "null", "yes", "off", "0o777", "1_000", "1:30:00", "''",
    "2026-11-20", "2026-11-20T12:00:00Z", "2026-11-20 12:00:00+01:00", "'2026-11-20T12:00:00'", "'~nobody-at-all/x'",
    "~nobody-at-all/x", '"file:\\0x"', '"a\\0b"', "file:", "file:mlruns", "file:///tmp/x", "http://u:p@h:1/",
    "http://[::1", "!!binary ===", "!!python/object/apply:os.system [x]", "!!str 5", "!!int x", "!!float x",
    "&a [*a]", "*nowhere", "&b {x: *b}", "{a: 1", "[", "'", '"\\x"', '"\\ud800"', "[a, b]", "[1, 2]", "{}", "[]",
    "{m: '>= 0.5'}", "{m: '>= 1e999'}", "{m: '> x'}", "{m: 5}", "{1: '>= 1'}", "[a, [b]]", "'>= 0.5'", "|\n  x",
    "? [a]\n: 1", "%YAML 1.1", "--- 1\n--- 2", "\t", "@", "`",
]  # fmt: skip
TEXT = st.text(st.characters(blacklist_categories=["Cs"]), max_size=24)
RAW = st.one_of(st.sampled_from(TRICKY), TEXT, st.integers().map(str), st.floats().map(repr))


def to_tree(config: Config) -> dict[str, Any]:
    """The inverse of :func:`load_config`: plain values that a YAML file can hold and that load back to
    the same Config (paths and ``file:`` URIs come out absolute, so they mean the same from anywhere)."""
    tree = dataclasses.asdict(config)
    del tree["source"]
    for key in ("workspace", "output"):
        tree[key] = None if tree[key] is None else str(tree[key])
    tree["as_of"] = None if config.as_of is None else config.as_of.isoformat()
    tree["select"], tree["ignore"] = list(config.select), list(config.ignore)
    tree["mlflow"]["metrics"] = dict(config.mlflow.metrics)
    return tree


def dotted_names(tree: Any, prefix: str = "") -> set[str]:
    """Every dotted key a loaded YAML tree holds, spelled as an error message spells it."""
    if not isinstance(tree, dict):
        return set()
    names = set()
    for key, value in tree.items():
        names.add(f"{prefix}{key}")
        if prefix == "":
            names |= dotted_names(value, f"{key}.")
    return names


def refused_well(exc: ConfigError, where: str, names: set[str]) -> None:
    """The message starts with where the value came from, then names a key (or speaks of the whole file)."""
    message = str(exc)
    assert message.startswith(f"{where}: "), message
    rest = message.removeprefix(f"{where}: ")
    assert rest.startswith(FILE_LEVEL) or any(n[:60] in rest or repr(n)[1:-1][:60] in rest for n in names), message
    assert "\n" not in message and len(message) < 1000, message


@st.composite
def yaml_documents(draw: st.DrawFn) -> str:
    """Real keys (and some invented ones) with tricky values, nested the way default.yaml is."""
    lines = []
    for _ in range(draw(st.integers(0, 6))):
        top = draw(st.sampled_from(TOP_KEYS) | TEXT)
        if top in SECTIONS and draw(st.booleans()):
            lines.append(f"{top}:")
            lines += [
                f"  {draw(st.sampled_from(SECTIONS[top]) | TEXT)}: {draw(RAW)}" for _ in range(draw(st.integers(0, 4)))
            ]
        else:
            lines.append(f"{top}: {draw(RAW)}")
    return "\n".join(lines) + "\n"


PLAIN = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT | st.datetimes(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(TEXT | st.sampled_from(TOP_KEYS), children, max_size=4)
    ),
    max_leaves=12,
)
TREES = st.dictionaries(
    st.sampled_from(TOP_KEYS) | TEXT, PLAIN | st.dictionaries(st.sampled_from(DOTTED) | TEXT, PLAIN)
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("config-properties")


def load_text(folder: Path, text: str | bytes) -> tuple[Path, Config | ConfigError]:
    path = folder / "monitor.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    try:
        return path, load_config(path, env={}, overrides={}, cwd=folder)
    except ConfigError as exc:
        return path, exc


def parsed(text: str) -> Any:
    try:
        return config_yaml(text)  # the config's own loader: `0E0` is a number to it, a string to YAML 1.1
    except Exception:  # noqa: BLE001 - the loader's refusal is what is under test, not pyyaml's
        return None


@EXAMPLES
@given(st.one_of(yaml_documents(), TREES.map(lambda t: yaml.safe_dump(t, allow_unicode=True)), TEXT))
def test_any_config_file_loads_or_is_refused_naming_file_and_key(folder: Path, text: str) -> None:
    path, result = load_text(folder, text)
    if isinstance(result, ConfigError):
        refused_well(result, str(path), dotted_names(parsed(text)))


@EXAMPLES
@given(st.binary(max_size=200))
def test_any_bytes_in_a_config_file_load_or_are_refused(folder: Path, data: bytes) -> None:
    path, result = load_text(folder, data)
    if isinstance(result, ConfigError):
        refused_well(result, str(path), dotted_names(parsed(data.decode("utf-8", "replace"))))


@EXAMPLES
@given(st.dictionaries(st.sampled_from(sorted(ENV_KEYS)), RAW | st.text(max_size=40), min_size=1))
def test_any_environment_loads_or_is_refused_naming_the_key(folder: Path, env: dict[str, str]) -> None:
    try:
        load_config(None, env=env, overrides={}, cwd=folder)
    except ConfigError as exc:
        (var,) = [v for v in env if str(exc).startswith(f"environment ({v}): ")]  # the variable the user set
        refused_well(exc, f"environment ({var})", {ENV_KEYS[var]})


SET_KEYS = st.sampled_from(DOTTED) | st.sampled_from(TOP_KEYS) | TEXT


@EXAMPLES
@given(st.lists(st.tuples(SET_KEYS, st.sampled_from(["=", "", "=="]), RAW), min_size=1, max_size=4))
def test_any_set_override_loads_or_is_refused_naming_the_key(folder: Path, items: list[tuple[str, str, str]]) -> None:
    argv = [f"--set={key}{sep}{value}" for key, sep, value in items]
    try:
        load_config(None, env={}, overrides=overrides_from(build_parser().parse_args(argv)), cwd=folder)
    except ConfigError as exc:
        keys = [a.removeprefix("--set=").partition("=")[0] for a in argv]
        names = {".".join(key.split(".")[:n]) for key in keys for n in range(1, key.count(".") + 2)}
        refused_well(exc, "command line", names)


# --- valid configurations round-trip ---------------------------------------------------------------

SAFE_TEXT = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=16)
PREFIXES = SAFE_TEXT.map(str.strip).filter(lambda s: s != "" and "," not in s)  # list items are trimmed
PATHS = SAFE_TEXT.filter(lambda s: s.strip() != "" and not s.startswith("~"))  # an empty path is refused
ZONES = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
DATETIMES = st.datetimes(datetime(1971, 1, 1), datetime(8999, 1, 1), timezones=ZONES)
MOMENTS = DATETIMES.map(lambda d: d.isoformat()) | DATETIMES
NUMBERS = st.integers(0, MAX_NUMBER)
FLOATS = st.floats(0, MAX_NUMBER) | NUMBERS
HOURS = st.floats(0, SPAN_HOURS) | st.integers(0, SPAN_HOURS)
DAYS = st.floats(0, SPAN_HOURS // 24) | st.integers(0, SPAN_HOURS // 24)
NAMES = SAFE_TEXT.filter(bool)
INSIDE = NAMES.filter(  # files.* name something inside the workspace
    lambda s: not PurePath(s).is_absolute() and not PureWindowsPath(s).is_absolute() and ".." not in PurePath(s).parts
)
"""Keys that name a file or an alias: never empty (the keys documented as nullable take SAFE_TEXT or None)."""
CONDITIONS = st.tuples(st.sampled_from([">=", ">", "<=", "<", "=="]), st.floats(allow_nan=False, allow_infinity=False))
URIS = st.sampled_from(["http://127.0.0.1:5000", "https://mlflow.example/prefix", "databricks", "sqlite:///x.db"])


def valid_trees() -> st.SearchStrategy[dict[str, Any]]:
    """Values each key accepts, in the types a person writes in YAML (timestamps quoted or not)."""
    fields: dict[str, st.SearchStrategy[Any]] = {
        "workspace": st.none() | PATHS, "as_of": st.none() | MOMENTS, "fail_on": st.sampled_from(CHOICES["fail_on"]),
        "format": st.sampled_from(CHOICES["format"]), "output": st.none() | PATHS,
        "select": st.lists(PREFIXES, max_size=3), "ignore": st.lists(PREFIXES, max_size=3),
        "files": st.fixed_dictionaries({
            "baseline": INSIDE, "alerts": INSIDE, "windows": INSIDE, "peers": INSIDE, "max_bytes": NUMBERS,
            "warn_age_hours": HOURS, "max_age_hours": HOURS, "future_tolerance_seconds": FLOATS,
        }),
        "alerts": st.fixed_dictionaries({"window_hours": HOURS}),
        "drift": st.fixed_dictionaries({
            "windows": NUMBERS, "since": st.none() | MOMENTS, "min_images": NUMBERS, "psi_warning": FLOATS,
            "psi_error": FLOATS, "p_value": FLOATS, "share_warning": FLOATS,
        }),
        "mlflow": st.fixed_dictionaries({
            "tracking_uri": st.none() | URIS | PATHS.map(lambda p: f"file:{p}"),
            "experiment_name": st.none() | SAFE_TEXT, "model_name": st.none() | SAFE_TEXT, "model_alias": NAMES,
            "username": st.none() | SAFE_TEXT, "insecure_tls": st.booleans(), "server_cert_path": st.none() | PATHS,
            "client": st.sampled_from(CHOICES["mlflow.client"]), "budget_seconds": FLOATS,
            "warn_run_age_days": DAYS, "max_run_age_days": DAYS,
            "metrics": st.dictionaries(SAFE_TEXT, CONDITIONS.map(lambda c: f"{c[0]} {c[1]!r}"), max_size=3),
        }),
    }  # fmt: skip
    return st.fixed_dictionaries({}, optional=fields)


def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict) and f"{prefix}{key}" != "mlflow.metrics":
            flat |= flatten(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


AS_WRITTEN = {
    k for k in DOTTED if k not in PATH_KEYS and k not in ("workspace", "as_of", "drift.since", "mlflow.tracking_uri")
}
"""Keys whose value is kept as written; paths (the workspace's too), times and file: URIs are normalised."""


class Dumper(yaml.SafeDumper):
    """Quotes strings such as ``0E0`` that the config's loader reads as numbers (YAML 1.2 floats)."""


Dumper.add_implicit_resolver("tag:yaml.org,2002:float", SCIENTIFIC, list("-+0123456789"))


@EXAMPLES
@given(valid_trees())
def test_a_loaded_config_dumped_to_yaml_loads_to_the_same_config(folder: Path, tree: dict[str, Any]) -> None:
    first, second = folder / "a" / "monitor.yaml", folder / "b" / "again.yaml"
    for path in (first, second):
        path.parent.mkdir(exist_ok=True)
    first.write_text(yaml.dump(tree, Dumper=Dumper), encoding="utf-8")
    config = load_config(first, env={}, overrides={}, cwd=folder)
    dumped = to_tree(config)
    for key, value in flatten(tree).items():
        if key in AS_WRITTEN:
            assert flatten(dumped)[key] == value, key
    second.write_text(yaml.dump(dumped, Dumper=Dumper), encoding="utf-8")
    again = load_config(second, env={}, overrides={}, cwd=folder / "b")
    assert again == dataclasses.replace(config, source=str(second))
    from_cli = load_config(None, env={}, overrides=flatten(dumped), cwd=folder)
    assert from_cli == dataclasses.replace(config, source="defaults")


def test_the_traps_the_generators_aim_at_are_refused_not_crashed(folder: Path) -> None:
    """Fixed examples of what the properties found: each once crashed the loader (exit 3, not 2)."""
    for text, key in [
        ("as_of: 2001-02-30\n", ""), (f"files:\n  max_bytes: {'1' * 5000}\n", ""),
        ("workspace: ~nobody-at-all/x\n", "workspace"),
        ('mlflow:\n  tracking_uri: "file:a\\0b"\n', "mlflow.tracking_uri"),
        (f"mlflow:\n  budget_seconds: 1{'0' * 400}\n", "mlflow.budget_seconds"),
        (f"drift:\n  windows: {MAX_NUMBER + 1}\n", "drift.windows"),
        ("as_of: 0001-01-01T00:00:00+01:00\n", "as_of"), ("drift:\n  since: 9999-12-31T23:59:59Z\n", "drift.since"),
        (f"alerts:\n  window_hours: {MAX_NUMBER}\n", "alerts.window_hours"),
        ("files:\n  baseline: ''\n", "files.baseline"), ("mlflow:\n  model_alias:\n", "mlflow.model_alias"),
        ("a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
         "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
         "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
         "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
         "workspace: *h\n", "a"),
    ]:  # fmt: skip
        path, result = load_text(folder, text)
        assert isinstance(result, ConfigError), text[:40]
        refused_well(result, str(path), {key} if key else set())
    with pytest.raises(ConfigError, match=r"^command line: --set 'as_of': value is not valid YAML$"):
        overrides_from(build_parser().parse_args(["--set=as_of=2001-02-30"]))


def test_the_round_trip_keeps_an_unquoted_yaml_timestamp(folder: Path) -> None:
    """A moment written without quotes reaches the loader as a datetime; it must still survive a dump."""
    path = folder / "stamp.yaml"
    path.write_text("as_of: 2026-11-20T12:05:00+02:00\n", encoding="utf-8")
    config = load_config(path, env={}, overrides={}, cwd=folder)
    assert config.as_of == datetime(2026, 11, 20, 10, 5, tzinfo=timezone.utc)  # noqa: UP017
    assert to_tree(config)["as_of"] == "2026-11-20T12:05:00+02:00"
