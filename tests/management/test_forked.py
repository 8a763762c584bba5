"""The command line spells the second half of its JSON rows in a forked copy of its process:
the answer is the very bytes one process writes, whether the copy succeeds or fails, and no
copy is made where it would not be safe (another thread running, a remote storage) or could
not follow the first half (no file descriptor or temporary file, an encoding with a
byte-order mark), nor where the command does not own its process (``call_command``) or
``--hash`` may read files."""

from __future__ import annotations

import codecs
import errno
import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import OutputWrapper
from django.test import override_settings

from inspector.core import pool
from inspector.core.inventory import clear_inventory_cache
from inspector.core.layers import current_layers
from inspector.core.rows import write_json
from inspector.management import forked
from tests.management.test_process import BASE_DIR, _env
from tests.support.layout import Layout, age, collect

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux")
# The test process runs other tests' threads (a live server's), against which a fork is refused
# (tested for real below): the forking tests stub the count. The copy made here only spells
# rows and ends with os._exit. Python 3.12 and later warn of such a fork.
forks_here = pytest.mark.filterwarnings("ignore:This process .* is multi-threaded")

# The command line as a user runs it, every row count worth a fork; each fork is announced on
# standard error.
FORKING = """
import json, os, sys, django
from django.conf import settings
static = json.loads(os.environ["FORKED_STATIC"])
settings.STATICFILES_DIRS, settings.STATIC_ROOT = static["dirs"], static["root"]
django.setup()
from inspector.management import forked
forked.FORK_MIN_ROWS = 2
real_fork = os.fork
def announced_fork():
    child = real_fork()
    if child:
        print("forked", file=sys.stderr, flush=True)
    return child
os.fork = announced_fork
from inspector.management.commands.inspect_assets import Command
sys.argv = ["manage.py", "inspect_assets", *sys.argv[1:]]
Command().run_from_argv(sys.argv)
"""


@pytest.fixture
def project(layout: Layout) -> Iterator[dict[str, Any]]:
    """A collected project whose names JSON must escape, spread over both halves of the rows;
    active here, and described for the command line's process."""
    first, second = layout.folder("first"), layout.folder("second")
    names = ["a b.css", "é/ü.js", 'q"uote.txt', "<script>.js", "z\\back.txt", "ž.svg"]
    for index, name in enumerate(names):
        layout.write(first, name, f"/* {index} */")
    layout.write(second, "a b.css", "/* shadowed */")
    static = {"dirs": [str(first), str(second)], "root": str(layout.root / "collected")}
    with override_settings(STATICFILES_DIRS=static["dirs"], STATIC_ROOT=static["root"]):
        clear_inventory_cache()
        collect(layout)
        age(layout.root)
        yield static
    clear_inventory_cache()


def command_line(static: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", FORKING, "--format", "json", *args],
        cwd=BASE_DIR,
        env={**_env(), "FORKED_STATIC": json.dumps(static)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def in_one_process(*args: str) -> str:
    out = io.StringIO()
    call_command("inspect_assets", "--format", "json", *args, stdout=out)
    return out.getvalue()


@linux_only
@pytest.mark.parametrize(("args", "forks"), [((), True), (("--hash",), False)], ids=["", "hash"])
def test_the_command_line_spells_half_its_rows_in_a_copy_and_writes_the_same_bytes(
    project: dict[str, Any], args: tuple[str, ...], forks: bool
) -> None:
    done = command_line(project, *args)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == (["forked"] if forks else [])
    assert done.stdout == in_one_process(*args)
    if args:  # --hash gives every file's md5, which only this process may read
        assert all(row["winner"]["md5"] for row in json.loads(done.stdout) if row["winner"])


def forking_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, encoding: str = "utf-8", mode: str = "w"
) -> tuple[bool, bytes, bytes]:
    """Write every row through ``write_json_forked`` in this process, into a file in
    ``encoding`` opened with ``mode``; return whether a copy spelt half of them, the bytes
    written, and the bytes one process writes."""
    layers = current_layers()
    records = list(layers.records)
    with (tmp_path / "one.json").open("w", encoding=encoding) as one:
        write_json(records, OutputWrapper(one), layers)
    monkeypatch.setattr(pool, "threads_running", lambda: 1)
    with (tmp_path / "out.json").open(mode, encoding=encoding) as out:
        copied = forked.write_json_forked(records, OutputWrapper(out), layers, out, min_rows=2)
    return copied, (tmp_path / "out.json").read_bytes(), (tmp_path / "one.json").read_bytes()


def _copied(tmp_path: Path, data: bytes) -> tuple[int, Path]:
    """Return a descriptor of a temporary file holding ``data``, and the output's path."""
    source = tmp_path / "half"
    source.write_bytes(data)
    return os.open(source, os.O_RDONLY), tmp_path / "copied"


@linux_only
@pytest.mark.parametrize("refusal", [errno.EINVAL, errno.ENOSYS], ids=["EINVAL", "ENOSYS"])
def test_a_copy_the_system_stops_sending_goes_on_through_a_buffer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, refusal: int
) -> None:
    # A fault no real output gives after a first part: sent, then refused.
    data = os.urandom(3 << 20)
    sendfile, calls = os.sendfile, []

    def sends_once(target: int, source: int, offset: int, count: int) -> int:
        calls.append(offset)
        if len(calls) > 1:
            raise OSError(refusal, os.strerror(refusal))
        return sendfile(target, source, offset, 1000)

    monkeypatch.setattr(forked.os, "sendfile", sends_once)
    source, output = _copied(tmp_path, data)
    with output.open("wb") as out:
        forked._copy(source, out.fileno())
    os.close(source)
    assert calls == [0, 1000]
    assert output.read_bytes() == data


@linux_only
def test_a_reader_gone_is_an_error_as_a_write_would_give(tmp_path: Path) -> None:
    source, _ = _copied(tmp_path, b"x" * 100_000)
    read, write = os.pipe()
    os.close(read)
    try:
        with pytest.raises(BrokenPipeError):
            forked._copy(source, write)
    finally:
        os.close(write)
        os.close(source)


@linux_only
@forks_here
def test_an_output_opened_to_append_gets_the_rows_after_what_it_held(
    project: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ``>>``: the system will not copy a file into one opened to append (sendfile's EINVAL).
    (tmp_path / "out.json").write_bytes(b"an earlier answer\n")
    copied, written, one = forking_here(tmp_path, monkeypatch, mode="a")
    assert copied
    assert written == b"an earlier answer\n" + one


@linux_only
@forks_here
@pytest.mark.parametrize("copy_fails", [False, True], ids=["copy-writes", "copy-fails"])
def test_the_copys_half_follows_the_processs_half_or_the_process_spells_it(
    project: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, copy_fails: bool
) -> None:
    if copy_fails:
        parent, spell = os.getpid(), forked.json_texts

        def failing_in_the_copy(records: list[Any], layers: Any) -> Iterator[str]:
            if os.getpid() != parent:
                raise OSError("the copy cannot write")
            return spell(records, layers)

        monkeypatch.setattr(forked, "json_texts", failing_in_the_copy)
    copied, written, expected = forking_here(tmp_path, monkeypatch)
    assert copied
    assert written == expected


@linux_only
def test_a_fork_refused_by_the_system_leaves_every_row_to_the_process(
    project: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused() -> int:
        raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refused)
    copied, written, expected = forking_here(tmp_path, monkeypatch)
    assert not copied
    assert written == expected


@linux_only
def test_no_copy_without_a_temporary_file(
    project: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_folder() -> None:
        raise FileNotFoundError(2, "No usable temporary directory found")

    monkeypatch.setattr(forked.tempfile, "TemporaryFile", no_folder)
    copied, written, expected = forking_here(tmp_path, monkeypatch)
    assert not copied
    assert written == expected


@linux_only
def test_no_copy_for_an_output_that_starts_with_a_byte_order_mark(
    project: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copied, written, expected = forking_here(tmp_path, monkeypatch, encoding="utf-8-sig")
    assert not copied
    assert written == expected
    assert written.count(codecs.BOM_UTF8) == 1


@linux_only
def test_no_copy_for_a_remote_storage(
    project: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    with override_settings(STORAGES=storages):
        copied, written, expected = forking_here(tmp_path, monkeypatch)
    assert not copied
    assert written == expected


@linux_only
@forks_here
def test_a_failed_write_leaves_no_copy_running(
    project: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layers = current_layers()
    records = list(layers.records)
    children, fork = [], os.fork

    def counted_fork() -> int:
        child = fork()
        if child:
            children.append(child)
        return child

    class Refusing:
        """Takes the opening bracket, then the disk is full."""

        writes = 0

        def write(self, text: str) -> None:
            self.writes += 1
            if self.writes > 1:
                raise OSError("no space left on device")

    monkeypatch.setattr(os, "fork", counted_fork)
    monkeypatch.setattr(pool, "threads_running", lambda: 1)  # see forks_here
    with (
        (tmp_path / "out.json").open("w", encoding="utf-8") as out,
        pytest.raises(OSError, match="no space left"),
    ):
        forked.write_json_forked(records, Refusing(), layers, out, min_rows=2)
    assert len(children) == 1
    with pytest.raises(ChildProcessError):
        os.waitpid(children[0], os.WNOHANG)  # killed and reaped, not left running or waiting


def test_call_command_never_forks(project: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fork() -> int:
        raise AssertionError("call_command forked")

    monkeypatch.setattr(forked, "FORK_MIN_ROWS", 2)
    monkeypatch.setattr(pool, "threads_running", lambda: 1)  # see forks_here
    monkeypatch.setattr(os, "fork", no_fork)
    assert in_one_process().startswith("[\n{")


@linux_only
def test_no_copy_while_another_thread_runs(project: dict[str, Any], tmp_path: Path) -> None:
    layers = current_layers()
    records = list(layers.records)
    expected = io.StringIO()
    write_json(records, expected, layers)
    release = threading.Event()
    other = threading.Thread(target=release.wait, daemon=True)
    other.start()
    try:
        with (tmp_path / "out.json").open("w", encoding="utf-8") as out:
            copied = forked.write_json_forked(records, OutputWrapper(out), layers, out, min_rows=2)
    finally:
        release.set()
        other.join()
    assert not copied
    assert (tmp_path / "out.json").read_text(encoding="utf-8") == expected.getvalue()


def test_no_copy_where_the_output_is_no_file(project: dict[str, Any]) -> None:
    # A program that put a buffer of its own in sys.stdout: the copy would have nowhere to go.
    layers = current_layers()
    records = list(layers.records)
    expected, out = io.StringIO(), io.StringIO()
    write_json(records, expected, layers)
    assert not forked.write_json_forked(records, OutputWrapper(out), layers, out, min_rows=2)
    assert out.getvalue() == expected.getvalue()
