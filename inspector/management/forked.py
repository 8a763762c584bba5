"""The CLI's JSON rows spelt on two cores: a forked copy of the process spells the second half
of the rows while the process spells the first, and the two halves are written in order.

Spelling the rows is the last step of a cold run, and it runs on one core while the other
waits. The rows are spelt from the layers, hundreds of megabytes of objects at 100,000 files,
which only a fork shares at no cost: a spawned process would be sent them. So this is done only
where a fork is safe and worth it, and otherwise the process spells every row itself:

- the command owns its process (``process.owns_process``), never in a web worker or a test's
  ``call_command``: the rows go to the process's own standard output;
- on Linux, where a fork copies the page tables only (macOS forbids a fork of a process that
  may have used its system frameworks; Windows has none);
- with one thread: the hashing processes are stopped first (the command is done with them), as
  a fork copies no other thread, and a lock another thread held would stay held in the copy;
- for many rows (``FORK_MIN_ROWS``), and not with ``--hash``, which may read files.

The copy writes its half to a temporary file, which is then copied to standard output after
the first half. Should the copy fail, the process spells that half itself. The bytes are the
same as one process writes, in every case.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
from collections.abc import Sequence
from threading import active_count
from typing import IO, NoReturn, TextIO

from ..core import pool
from ..core.layers import Layers
from ..core.records import PathRecord
from ..core.rows import Writable, json_texts, write_joined, write_json

# Fewer rows than this are spelt by the process alone: a fork and the copy cost more.
FORK_MIN_ROWS = 5_000
_COPY_BYTES = 1 << 20


def write_json_forked(
    records: Sequence[PathRecord],
    stream: Writable,
    layers: Layers,
    out: TextIO,
    *,
    min_rows: int | None = None,
) -> bool:
    """Write the JSON array of ``records`` to ``stream``, a wrapper of ``out`` (the process's
    standard output), as ``rows.write_json`` does; return whether a forked copy spelt half of
    them. The caller owns the process: the hashing processes are stopped here."""
    least = FORK_MIN_ROWS if min_rows is None else min_rows
    if len(records) < max(least, 2) or not sys.platform.startswith("linux") or not _is_file(out):
        write_json(records, stream, layers)
        return False
    pool.stop()
    if active_count() > 1:
        write_json(records, stream, layers)
        return False
    half = len(records) // 2
    with tempfile.TemporaryFile() as spelt:
        stream.write("[\n")
        _flush(stream, out)
        child = os.fork()
        if child == 0:
            _spell_and_exit(records[half:], layers, spelt, out)  # pragma: no cover - the copy
        try:
            write_joined(json_texts(records[:half], layers), stream, ",\n")
            _, status = os.waitpid(child, 0)
        except BaseException:
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
            raise
        if os.waitstatus_to_exitcode(status) == 0:
            _flush(stream, out)
            _copy(spelt.fileno(), out.fileno())
            stream.write("\n]\n")
        else:  # the copy failed: its half is spelt here
            write_joined(json_texts(records[half:], layers), stream, "\n")
            stream.write("]\n")
    return True


def _spell_and_exit(  # pragma: no cover - runs in the copy, whose os._exit coverage never sees
    records: Sequence[PathRecord], layers: Layers, spelt: IO[bytes], out: TextIO
) -> NoReturn:
    """Spell ``records`` into ``spelt`` as ``out`` would encode them, then end this copy of the
    process at once (its exit status says whether every row was written)."""
    status = 1
    try:
        # The copy's bytes go to ``out`` as they are: encoded as it encodes, no newline changed.
        with open(
            spelt.fileno(), "w", encoding=out.encoding, errors=out.errors, newline="", closefd=False
        ) as text:
            write_joined(json_texts(records, layers), text, "")
        status = 0
    finally:
        # Not sys.exit: the copy must not run the exit functions, nor flush the buffers, of
        # the process it was copied from.
        os._exit(status)


def _is_file(out: TextIO) -> bool:
    """Return True if ``out`` writes to a file descriptor (not where a program put a buffer of
    its own in ``sys.stdout``), with an encoding the copy can write in."""
    try:
        out.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
        return False
    return isinstance(getattr(out, "encoding", None), str)


def _flush(stream: Writable, out: TextIO) -> None:
    flush = getattr(stream, "flush", None)
    if flush is not None:
        flush()
    out.flush()


def _copy(source: int, target: int) -> None:
    """Copy the file ``source`` from its start to the descriptor ``target``."""
    os.lseek(source, 0, os.SEEK_SET)
    while data := os.read(source, _COPY_BYTES):
        view = memoryview(data)
        while view:
            view = view[os.write(target, view) :]
