"""Every monitoring file, broken every way we could think of: the monitor reports it, never crashes.

Two real producers' workspaces: the bundled example (with a peer's report from Evidently or Great
Expectations) and the one the real ``train`` and ``observe`` jobs wrote (tests/fixtures/trained).
Each file x each mutation of :mod:`tests.monitoring.mutations` runs ``main([...])`` in-process and
must end with a documented exit code (never 2 or 3), no traceback, a finding naming the file, an
untouched workspace, and bounded memory (tracemalloc), the 200 MB file refused before it is read.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from mlops.contract.reader import Document, load_document, load_json
from mlops.contract.timestamps import format_timestamp, parse_timestamp
from mlops.monitoring.results import ExitCode
from tests.conftest import EXAMPLE, EXAMPLE_CONFIG, ROOT, snapshot
from tests.monitoring.conftest import RunMonitor
from tests.monitoring.mutations import MUTATIONS, Expect, Mutation

FIXTURES = ROOT / "tests" / "fixtures"
TRAINED = FIXTURES / "trained"
PEERS = ("evidently-0.7-drift.json", "gx-1-validation.json")
MAX_BYTES = 16 * 1024 * 1024
PEAK_LIMIT = 96 * 1024 * 1024
"""Any case: the largest file within the 16 MiB limit, parsed, stays under this."""
HUGE_PEAK_LIMIT = 2 * 1024 * 1024
"""The 200 MB case: refused by its size, so the run allocates about what a clean run does."""
MIN_MUTATIONS_PER_FILE = 30


@dataclass(frozen=True)
class Target:
    scenario: str
    """example (the bundled workspace), example+<peer report>, or trained (the real jobs' output)."""
    shown: str
    """The file, relative to the workspace: what a finding must name."""

    @property
    def peer(self) -> bool:
        return self.shown.startswith("reports/")


def _targets() -> list[Target]:
    example = [
        Target("example", p.relative_to(EXAMPLE / "workspace").as_posix()) for p in _json_files(EXAMPLE / "workspace")
    ]
    peers = [Target(f"example+{name}", f"reports/{name}") for name in PEERS]
    trained = [Target("trained", p.relative_to(TRAINED).as_posix()) for p in _json_files(TRAINED)]
    return example + peers + trained


def _json_files(root: Path) -> list[Path]:
    return sorted([root / "baseline.json", root / "alerts.json", *(root / "windows").glob("*.json")])


TARGETS = _targets()


def pristine(target: Target) -> Path:
    """Where the unmutated file comes from."""
    if target.peer:
        return FIXTURES / "peers" / Path(target.shown).name
    return (TRAINED if target.scenario == "trained" else EXAMPLE / "workspace") / target.shown


def build(scenario: str, tmp_path: Path) -> tuple[Path, Path]:
    """A private workspace for ``scenario`` and the config that judges it as of when it was written."""
    root = tmp_path / "ws"
    if scenario == "trained":
        shutil.copytree(TRAINED, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
        ends = [parse_timestamp(json.loads(p.read_bytes())["window"]["end"]) for p in (root / "windows").glob("*.json")]
        as_of = max(e for e in ends if e is not None) + timedelta(minutes=5)
        config = tmp_path / "trained.yaml"  # no MLflow: the jobs' file store is gone with their temp folder
        config.write_text(f'workspace: ws\nas_of: "{format_timestamp(as_of)}"\n', encoding="utf-8")
        return root, config
    shutil.copytree(EXAMPLE / "workspace", root)
    if "+" in scenario:
        (root / "reports").mkdir()
        shutil.copyfile(FIXTURES / "peers" / scenario.partition("+")[2], root / "reports" / scenario.partition("+")[2])
    return root, EXAMPLE_CONFIG


def state(root: Path, mutation: Mutation) -> dict[str, Any]:
    """conftest's byte-for-byte snapshot, except where reading the file is the very thing at stake."""
    if not (mutation.huge or mutation.unreadable):
        return dict(snapshot(root))
    found: dict[str, Any] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            info = (Path(folder) / name).lstat()
            found[str(Path(folder, name).relative_to(root))] = (info.st_mode, info.st_size, info.st_mtime_ns)
    return found


def oracle(target: Target, root: Path) -> Document:
    """What the reader alone makes of the mutated file (for damage whose effect is random)."""
    path = root / target.shown
    if target.peer:
        return load_json(path, root=root, shown=target.shown, max_bytes=MAX_BYTES)
    expect = {"baseline.json": "mlops.baseline", "alerts.json": "mlops.alerts"}.get(target.shown, "mlops.window")
    return load_document(path, root=root, shown=target.shown, expect=expect, max_bytes=MAX_BYTES)


@dataclass
class Tally:
    """Counts for the run's summary line: cases, worst wall time and worst tracemalloc peak."""

    cases: int = 0
    skipped: int = 0
    worst_seconds: float = 0.0
    worst_seconds_case: str = ""
    worst_peak: int = 0
    worst_peak_case: str = ""
    huge_peak: int = 0


TALLY = Tally()


@pytest.fixture(scope="module", autouse=True)
def summary(request: pytest.FixtureRequest) -> Iterator[None]:
    """Print the counts the issue asks for, once, after the module's cases."""
    yield
    capture = request.config.pluginmanager.getplugin("capturemanager")
    reporter = request.config.pluginmanager.getplugin("terminalreporter")
    if TALLY.cases and capture is not None and reporter is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(
                f"\nmutations: {len(MUTATIONS)} kinds, {len(TARGETS)} files, {TALLY.cases} cases run, "
                f"{TALLY.skipped} not applicable or skipped; worst wall {TALLY.worst_seconds:.3f} s "
                f"({TALLY.worst_seconds_case}); worst tracemalloc peak {TALLY.worst_peak / 2**20:.1f} MiB "
                f"({TALLY.worst_peak_case}); 200 MB case peak {TALLY.huge_peak / 2**20:.2f} MiB"
            )


def named(findings: list[dict[str, Any]], shown: str) -> list[dict[str, Any]]:
    return [f for f in findings if shown in str(f["subject"]) or shown in str(f["message"])]


PRISTINE_CODE = {"example": 0, "trained": 0, **{f"example+{name}": 1 for name in PEERS}}
"""Clean runs: the example warns (exit 0); both peer fixtures hold a failed critical test (exit 1)."""


@pytest.mark.parametrize("scenario", sorted(PRISTINE_CODE))
def test_the_unmutated_workspaces_pass_as_documented(run_monitor: RunMonitor, tmp_path: Path, scenario: str) -> None:
    root, config = build(scenario, tmp_path)
    outcome = run_monitor("--config", config, "--workspace", root, "--format", "json")
    assert outcome.code == PRISTINE_CODE[scenario], outcome.text[-3000:]
    findings = json.loads(outcome.out)["findings"]
    assert not [
        f for f in findings if f["check"] in ("MON101", "MON102", "MON103", "MON104") and f["severity"] == "error"
    ]


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: f"{t.scenario}:{t.shown}")
def test_every_file_has_enough_mutations(target: Target) -> None:
    raw = pristine(target).read_bytes()
    assert sum(m.applies(raw) for m in MUTATIONS) >= MIN_MUTATIONS_PER_FILE


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.name)
@pytest.mark.parametrize("target", TARGETS, ids=lambda t: f"{t.scenario}:{t.shown}")
def test_a_mutated_file_is_a_finding_never_a_crash(
    run_monitor: RunMonitor, tmp_path: Path, target: Target, mutation: Mutation
) -> None:
    if mutation.unreadable and os.geteuid() == 0:
        TALLY.skipped += 1
        pytest.skip("root reads any file: test_no_read_permission_as_root_is_judged_as_nobody runs this case")
    root, config = build(target.scenario, tmp_path)
    if not mutation.apply(root / target.shown, tmp_path / "outside"):
        TALLY.skipped += 1
        pytest.skip(f"{mutation.name} does not apply to {target.shown}")
    before = state(root, mutation)
    out = tmp_path / "report.json"

    tracemalloc.start()
    started = time.perf_counter()
    try:
        outcome = run_monitor(
            "--config", config, "--workspace", root, "--format", "json", "--output", out
        )  # fmt: skip
    finally:
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    case = f"{target.scenario}:{target.shown} x {mutation.name}"
    TALLY.cases += 1
    if seconds > TALLY.worst_seconds:
        TALLY.worst_seconds, TALLY.worst_seconds_case = seconds, case
    if peak > TALLY.worst_peak:
        TALLY.worst_peak, TALLY.worst_peak_case = peak, case

    assert "Traceback" not in outcome.text
    assert outcome.code in set(ExitCode), outcome.text[-2000:]
    assert outcome.code not in (ExitCode.USAGE, ExitCode.INTERNAL), outcome.text[-2000:]
    assert state(root, mutation) == before, "the monitor changed the workspace"
    assert not list(root.rglob("*.tmp")) and not (tmp_path / "outside" / "report.json").exists()
    assert peak < PEAK_LIMIT, f"{peak:,} bytes"
    if mutation.huge:
        TALLY.huge_peak = max(TALLY.huge_peak, peak)
        assert peak < HUGE_PEAK_LIMIT, f"{peak:,} bytes: the 200 MB file was read, not refused by its size"

    findings = json.loads(out.read_text(encoding="utf-8"))["findings"]
    about = named(findings, target.shown)
    errors = [f for f in about if f["severity"] == "error"]
    read = oracle(target, root)
    if mutation.expect is Expect.UNREADABLE:
        assert read.error is not None, "the reader parsed a file it should have refused"
    if target.peer:
        assert about, f"no finding names {target.shown}"
        if read.error is not None:  # a peer's unreadable report warns; everything else is healthy
            assert outcome.code == ExitCode.OK
            assert any(f["check"] == "MON503" and f["severity"] == "warning" for f in about), about
        elif mutation.expect is Expect.VALID:
            assert outcome.code == PRISTINE_CODE[target.scenario]
    elif mutation.expect is Expect.VALID:
        assert read.valid and not read.rule_errors
        assert outcome.code == PRISTINE_CODE[target.scenario], about
        assert not errors, errors
    elif mutation.expect is Expect.EITHER and read.valid and not read.rule_errors:
        assert outcome.code in (ExitCode.OK, ExitCode.FINDINGS)  # damage the contract allows: any verdict
    else:
        assert outcome.code == ExitCode.FINDINGS
        assert errors, f"no error finding names {target.shown}: {findings}"


# --- the crashes and silent passes this suite found, one test each ------------------------------


def _edit(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("shown", "change", "words"),
    [
        ("baseline.json", lambda t: t.replace('"images": ', '"images": 1' + "0" * 400 + ', "spare": ', 1), "maximum"),
        ("alerts.json", lambda t: '{"schema_version": 2, ' + t.lstrip()[1:], "twice"),
        ("alerts.json", lambda t: t.replace('"title": "', '"title": "\\udc80', 1), "without its pair"),
        ("baseline.json", lambda t: t.replace('"counts": [', '"counts": [1, ', 1), "edges for"),
        ("baseline.json", lambda t: t.replace('"empty_images": ', '"empty_images": 10000', 1), "more than"),
        ("windows/2026-11-20T070000Z.json", lambda t: t.replace('"counts": [', '"counts": [1, ', 1), "edges for"),
    ],
    ids=["count-beyond-2**53", "duplicate-key", "lone-surrogate", "baseline-histogram", "empty-images", "old-window"],
)
def test_found_by_mutation(run_monitor: RunMonitor, tmp_path: Path, shown: str, change: Any, words: str) -> None:
    """Each crashed (exit 3: OverflowError, UnicodeEncodeError) or passed without a finding naming the file."""
    root, config = build("example+gx-1-validation.json" if "surrogate" in words else "example", tmp_path)
    path = root / shown
    _edit(path, change(path.read_text(encoding="utf-8")))
    outcome = run_monitor("--config", config, "--workspace", root, "--format", "json", "--select", "MON1")
    assert outcome.code == ExitCode.FINDINGS, outcome.text[-2000:]
    errors = [f for f in json.loads(outcome.out)["findings"] if f["severity"] == "error"]
    assert [f for f in errors if f["subject"] == shown and words in f["message"]], errors


NO_READ = next(m for m in MUTATIONS if m.unreadable)


@pytest.mark.skipif(os.geteuid() != 0, reason="not root: the main suite's no-read-permission case runs itself")
@pytest.mark.parametrize("target", TARGETS, ids=lambda t: f"{t.scenario}:{t.shown}")
def test_no_read_permission_as_root_is_judged_as_nobody(tmp_path: Path, target: Target) -> None:
    """Root reads any file, so there the monitor drops to uid 65534 after its imports (the kernel, not a
    mock, refuses the read): the no-read-permission mutation then runs on every file like the others."""
    from tests.monitoring.test_checks_files import run_as_nobody

    shared = Path(tempfile.mkdtemp(dir="/tmp", prefix="mlops-nobody-"))  # pytest's tmp_path is private to root
    try:
        shared.chmod(0o755)
        root, _ = build(target.scenario, shared)
        NO_READ.apply(root / target.shown, tmp_path / "outside")
        before = state(root, NO_READ)
        config = shared / "nobody.yaml"  # MLflow left unconfigured: the file checks are at stake
        config.write_text(f'workspace: ws\nas_of: "{_as_of(target.scenario, root)}"\n', encoding="utf-8")
        outcome = run_as_nobody(shared, "--config", str(config), "--format", "json")
        assert outcome.out.startswith("{"), outcome.text[-2000:]
        assert "Traceback" not in outcome.text and state(root, NO_READ) == before
        about = named(json.loads(outcome.out)["findings"], target.shown)
        assert any("Permission denied" in f["message"] for f in about), about
        if target.peer:
            assert outcome.code == ExitCode.OK and any(f["check"] == "MON503" for f in about)
        else:
            assert outcome.code == ExitCode.FINDINGS and any(f["severity"] == "error" for f in about)
    finally:
        for folder, _, files in os.walk(shared):
            for name in files:
                (Path(folder) / name).chmod(0o644)
        shutil.rmtree(shared)


def _as_of(scenario: str, root: Path) -> str:
    """The time each scenario is judged at: the example's pinned as_of, or just after the trained window."""
    if scenario != "trained":
        return "2026-11-20T12:05:00Z"
    ends = [parse_timestamp(json.loads(p.read_bytes())["window"]["end"]) for p in (root / "windows").glob("*.json")]
    return format_timestamp(max(e for e in ends if e is not None) + timedelta(minutes=5))
