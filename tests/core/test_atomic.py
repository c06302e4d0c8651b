"""A report is read by CI while it is being rewritten: old or new content, never half, never litter.

Producers' files too: a new window never replaces another (``write_new``), and a shared file's
read-modify-write is serialised across processes and threads (``locked``).
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops.core.atomic import locked, write_atomic, write_new
from tests.conftest import ROOT, in_threads

OLD = "old report\n"


def temp_files(folder: Path, name: str) -> list[Path]:
    """The temporary siblings write_atomic makes (``.<name>.<random>.tmp``)."""
    return sorted(folder.glob(f".{name}.*.tmp"))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o022, 0o077, 0o002])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """The mode of a new report must not depend on the umask of whoever ran the monitor."""
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


@pytest.mark.usefixtures("umask")
def test_new_file_is_0644(tmp_path: Path) -> None:
    """mkstemp's 0o600 would hide the report from a CI user other than the writer."""
    target = tmp_path / "report.json"
    write_atomic(target, "{}")
    assert mode(target) == 0o644
    assert os.listdir(tmp_path) == ["report.json"]


@pytest.mark.parametrize("existing", [0o600, 0o640, 0o755, 0o444])
def test_existing_mode_is_kept(tmp_path: Path, existing: int) -> None:
    """Someone chose that mode on purpose (0o600 for a private report); rewriting must not widen it."""
    target = tmp_path / "report.json"
    target.write_text(OLD)
    target.chmod(existing)
    write_atomic(target, "new")
    assert mode(target) == existing
    assert target.read_text() == "new"


@pytest.mark.parametrize(
    ("data", "raw"),
    [("caf\u00e9 \u2713\n", "caf\u00e9 \u2713\n".encode()), (b"\x00\xff binary", b"\x00\xff binary"), ("", b"")],
)
def test_content_and_no_litter(tmp_path: Path, data: str | bytes, raw: bytes) -> None:
    """str is written as UTF-8, bytes as given; the folder holds the target and nothing else."""
    target = tmp_path / "report.json"
    target.write_text(OLD)
    write_atomic(target, data)
    assert target.read_bytes() == raw
    assert os.listdir(tmp_path) == ["report.json"]


def test_accepts_a_string_path(tmp_path: Path) -> None:
    """Callers holding ``str`` paths (argparse) get the same behaviour."""
    write_atomic(str(tmp_path / "r.txt"), "x")  # type: ignore[arg-type]
    assert (tmp_path / "r.txt").read_text() == "x"
    assert temp_files(tmp_path, "r.txt") == []


def assert_untouched(folder: Path, target: Path) -> None:
    assert target.read_text() == OLD
    assert temp_files(folder, target.name) == []


def test_encode_failure_keeps_old_content(tmp_path: Path) -> None:
    """A lone surrogate cannot be UTF-8: the error surfaces, and the old report survives."""
    target = tmp_path / "report.json"
    target.write_text(OLD)
    with pytest.raises(UnicodeEncodeError):
        write_atomic(target, "half \ud800 a report")
    assert_untouched(tmp_path, target)


@pytest.mark.parametrize("exception", [OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt()])
def test_failure_while_writing_keeps_old_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exception: BaseException
) -> None:
    """A full disk or a Ctrl-C at fsync, the last moment before the rename, leaves the old file whole.

    fsync is the OS boundary, not the code under test. The fake also records that the interrupted
    temporary file matches the pattern the other tests look for, so their 'no litter' means something.
    """
    target = tmp_path / "report.json"
    target.write_text(OLD)
    seen: list[tuple[list[Path], str]] = []

    def failing_fsync(fd: int) -> None:
        seen.append((temp_files(tmp_path, target.name), target.read_text()))
        raise exception

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(type(exception)):
        write_atomic(target, "new report that must not half-appear")
    monkeypatch.undo()
    [(temps, shown_meanwhile)] = seen
    assert len(temps) == 1, temps  # the data went to a sibling...
    assert shown_meanwhile == OLD  # ...while readers of the target still saw the old report
    assert_untouched(tmp_path, target)


def test_replace_failure_keeps_the_target(tmp_path: Path) -> None:
    """The rename fails for real when the target is a folder: the folder and its content are left alone."""
    target = tmp_path / "report.json"
    target.mkdir()
    (target / "keep.txt").write_text(OLD)
    with pytest.raises(OSError, match="Is a directory"):
        write_atomic(target, "new")
    assert (target / "keep.txt").read_text() == OLD
    assert os.listdir(tmp_path) == ["report.json"]


def test_parent_is_a_file(tmp_path: Path) -> None:
    """No temporary file can even be made; the error is the OS's and the file in the way is unchanged."""
    blocker = tmp_path / "reports"
    blocker.write_text(OLD)
    with pytest.raises(NotADirectoryError):
        write_atomic(blocker / "report.json", "new")
    assert blocker.read_text() == OLD
    assert os.listdir(tmp_path) == ["reports"]


def test_a_fifo_is_written_to_not_replaced(tmp_path: Path) -> None:
    """``--output /dev/stdout`` or a named pipe: renaming over it would leave a plain file in its place."""
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    write_atomic(fifo, "through the pipe\n")
    reader.join(timeout=10)
    assert received == [b"through the pipe\n"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_a_link_to_a_file_updates_the_file_and_keeps_the_link(tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    real = tmp_path / "reports" / "latest.txt"
    real.write_text(OLD)
    link = tmp_path / "report.txt"
    link.symlink_to(real)
    write_atomic(link, "new\n")
    assert link.is_symlink() and real.read_text() == "new\n"
    assert temp_files(tmp_path, "report.txt") == temp_files(real.parent, "latest.txt") == []


def test_a_folder_is_refused_and_left_alone(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(IsADirectoryError):
        write_atomic(folder, "x")
    assert list(folder.iterdir()) == [] and temp_files(tmp_path, "out") == []


# --- write_new: create, never replace -----------------------------------------------------------


@pytest.mark.usefixtures("umask")
def test_write_new_creates_a_whole_0644_file_and_no_litter(tmp_path: Path) -> None:
    target = tmp_path / "w.json"
    write_new(target, "caf\u00e9\n")
    assert target.read_bytes() == "caf\u00e9\n".encode()
    assert mode(target) == 0o644
    assert os.listdir(tmp_path) == ["w.json"]


def test_write_new_never_replaces_a_file(tmp_path: Path) -> None:
    """rename() would silently put the new content in place of the old: another writer's data, lost."""
    target = tmp_path / "w.json"
    target.write_text(OLD)
    with pytest.raises(FileExistsError):
        write_new(target, "new")
    assert_untouched(tmp_path, target)


def test_write_new_from_many_threads_one_name_exactly_one_wins(tmp_path: Path) -> None:
    target = tmp_path / "w.json"
    barrier = threading.Barrier(8)
    won: list[int] = []
    lost: list[int] = []

    def write(n: int) -> None:
        barrier.wait()
        try:
            write_new(target, f"writer {n}\n" * 1000)
            won.append(n)
        except FileExistsError:
            lost.append(n)

    in_threads(write, 8, timeout=60)
    assert len(won) == 1 and len(lost) == 7
    assert target.read_text() == f"writer {won[0]}\n" * 1000
    assert temp_files(tmp_path, "w.json") == []


def test_write_new_without_hard_links_still_never_replaces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A filesystem without hard links (FAT, some shares) answers EPERM: O_EXCL creates the file instead.

    link() is the OS boundary here, not the code under test: the fake answers what such a filesystem does.
    """

    def no_links(src: object, dst: object) -> None:
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    target = tmp_path / "w.json"
    write_new(target, "first\n")
    with pytest.raises(FileExistsError):
        write_new(target, "second\n")
    assert target.read_text() == "first\n" and mode(target) == 0o644
    assert os.listdir(tmp_path) == ["w.json"]


def test_write_new_interrupted_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Ctrl-C at fsync: no file under the name, no temporary sibling (fsync is the OS boundary)."""

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_new(tmp_path / "w.json", "new")
    monkeypatch.undo()
    assert os.listdir(tmp_path) == []


# --- locked: one read-modify-write at a time ----------------------------------------------------

COUNTER = """
import sys
from pathlib import Path
from mlops.core.atomic import locked, write_atomic
target = Path(sys.argv[1])
for _ in range(int(sys.argv[2])):
    with locked(target):
        write_atomic(target, str(int(target.read_text()) + 1))
"""


def test_locked_serialises_processes_and_threads(tmp_path: Path) -> None:
    """Three processes and four threads add 1 to a counter file 100 times each: no increment is lost."""
    target = tmp_path / "counter"
    target.write_text("0")
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    procs = [subprocess.Popen([sys.executable, "-c", COUNTER, str(target), "100"], env=env) for _ in range(3)]

    def bump() -> None:
        for _ in range(100):
            with locked(target):
                write_atomic(target, str(int(target.read_text()) + 1))

    in_threads(lambda _: bump(), 4)
    assert [proc.wait(timeout=120) for proc in procs] == [0, 0, 0]
    assert target.read_text() == str(7 * 100)
    assert sorted(os.listdir(tmp_path)) == [".counter.lock", "counter"]  # the lock file is hidden from readers


def test_a_lock_held_by_a_dead_process_is_free(tmp_path: Path) -> None:
    """flock dies with its holder: a producer killed inside the block cannot block the others forever."""
    target = tmp_path / "alerts.json"
    code = "import os, sys\nfrom mlops.core.atomic import locked\nwith locked(sys.argv[1]):\n    os._exit(9)\n"
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    assert subprocess.run([sys.executable, "-c", code, str(target)], env=env, check=False).returncode == 9
    done = threading.Event()

    def take() -> None:
        with locked(target):
            done.set()

    thread = threading.Thread(target=take, daemon=True)
    thread.start()
    assert done.wait(timeout=30)
