"""The CLI's JSON rows spelt on two cores: a forked copy of the process spells the second half
of the rows while the process spells the first, and the two halves are written in order.

Spelling the rows is the last step of a cold run, and it runs on one core while the other
waits. The rows are spelt from the layers, hundreds of megabytes of objects at 100,000 files,
which a fork shares until one side writes to them (the copy's reference counts copy the pages
it reads): a spawned process would be sent them, at the cost of spelling them. So this is done
only where a fork is safe and worth it, and otherwise the process spells every row itself:

- the command owns its process (``process.owns_process``), never in a web worker or a test's
  ``call_command``;
- on Linux, where a fork copies the page tables only (macOS forbids a fork of a process that
  may have used its system frameworks; Windows has none);
- with one thread, as the system counts them: the hashing processes are stopped first (the
  command is done with them), as a fork copies no other thread, and a lock another thread held
  would stay held in the copy;
- when the rows go to a file descriptor in an encoding without a byte-order mark (the copy
  starts its own file), the collected storage is a local folder (the copy makes URLs, and a
  remote storage's client and its connections would be shared by two processes), for many
  rows (``FORK_MIN_ROWS``), and not with ``--hash``, which may read files.

The copy writes its half to a temporary file, which is then copied to the output after the
first half. Should the temporary file, the fork or the copy fail, the process spells those rows
itself. The bytes are the same as one process writes, in every case.
"""

from __future__ import annotations

import codecs
import errno
import os
import signal
import sys
import tempfile
from collections.abc import Sequence
from typing import IO, NoReturn, TextIO

from ..core import pool
from ..core.layers import Layers
from ..core.records import PathRecord
from ..core.rows import Writable, json_texts, write_joined, write_json
from ..core.storage.instance import collected_storage, is_remote

# Fewer rows than this are spelt by the process alone: a fork and the copy cost more.
FORK_MIN_ROWS = 5_000
# Where the system cannot copy the copy's file to the output, it goes in reads of this size: a
# few calls for a large answer, and little memory held at a time.
_COPY_BYTES = 1 << 20
# At most this much a sendfile call: its count is a C ssize_t, 2 GiB on a 32-bit build.
_SEND_BYTES = 1 << 30
# What sendfile answers for an output it cannot copy into (EINVAL: one opened to append, a
# device), or where the system or a sandbox lacks it: the bytes then go through a buffer.
_NOT_SENDABLE = frozenset({errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP})
# Codecs that start what they write with a byte-order mark: the copy's file would hold a second.
_MARKED = frozenset({"utf-8-sig", "utf-16", "utf-32"})


def write_json_forked(
    records: Sequence[PathRecord],
    stream: Writable,
    layers: Layers,
    out: TextIO,
    *,
    min_rows: int | None = None,
) -> bool:
    """Write the JSON array of ``records`` to ``stream``, a wrapper of ``out`` (on the command
    line, the process's standard output), as ``rows.write_json`` does; return whether a forked
    copy spelt half of them. The caller owns the process: the hashing processes stop here."""
    least = FORK_MIN_ROWS if min_rows is None else min_rows
    if len(records) < max(least, 2) or not _can_fork(out) or not _alone():
        write_json(records, stream, layers)
        return False
    half = len(records) // 2
    try:
        spelt = tempfile.TemporaryFile()  # noqa: SIM115 - the with below closes it
    except OSError:  # no temporary folder this process may write to
        write_json(records, stream, layers)
        return False
    with spelt:
        stream.write("[\n")
        _flush(stream, out)
        try:
            child = os.fork()
        except OSError:  # a limit on processes, or no memory for the copy: all of them here
            _spell_the_rest(records, layers, stream)
            return False
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
            _spell_the_rest(records[half:], layers, stream)
    return True


def _spell_the_rest(records: Sequence[PathRecord], layers: Layers, stream: Writable) -> None:
    """Write ``records`` after what ``stream`` holds, and close the array."""
    write_joined(json_texts(records, layers), stream, "\n")
    stream.write("]\n")


def _spell_and_exit(  # pragma: no cover - runs in the copy, whose os._exit coverage never sees
    records: Sequence[PathRecord], layers: Layers, spelt: IO[bytes], out: TextIO
) -> NoReturn:
    """Spell ``records`` into ``spelt`` as ``out`` would encode them, then end this copy of the
    process at once (its exit status says whether every row was written)."""
    status = 1
    try:
        # Only the process writes to the output: a copy left running after the process was
        # killed must not hold it open for the reader.
        os.close(out.fileno())
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


def _can_fork(out: TextIO) -> bool:
    """Return True where a copy may spell rows for ``out`` (see the module's docstring)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        out.fileno()
        marked = codecs.lookup(out.encoding).name in _MARKED
    except (AttributeError, LookupError, OSError, TypeError, ValueError):
        # No descriptor (io.UnsupportedOperation is an OSError and a ValueError), or no encoding.
        return False
    storage, _ = collected_storage()
    return not marked and storage is not None and not is_remote(storage)


def _alone() -> bool:
    """Stop the hashing processes (the command is done with them), then return True if this
    process runs one thread, as the system counts them (those of C libraries included)."""
    pool.stop()
    return pool.threads_running() == 1


def _flush(stream: Writable, out: TextIO) -> None:
    flush = getattr(stream, "flush", None)
    if flush is not None:
        flush()
    out.flush()


def _copy(source: int, target: int) -> None:
    """Copy the file ``source`` from its start to the descriptor ``target``: in the system
    (``sendfile``), or through one buffer where the output refuses that (a file opened to
    append, as ``>>`` opens it, or a device the system cannot copy into)."""
    size, sent = os.fstat(source).st_size, 0
    try:
        while sent < size and (
            done := os.sendfile(target, source, sent, min(size - sent, _SEND_BYTES))
        ):
            sent += done
    except OSError as exc:
        if exc.errno not in _NOT_SENDABLE:
            raise
    if sent == size:
        return
    os.lseek(source, sent, os.SEEK_SET)
    # One buffer: a fresh block per read would be a fresh mapping of the memory each time
    # (the command fixes glibc's mmap threshold), its pages faulted in one by one.
    buffer = bytearray(_COPY_BYTES)
    view = memoryview(buffer)
    while read := os.readv(source, [buffer]):
        left = view[:read]
        while left:
            left = left[os.write(target, left) :]
