"""Make files unreadable for the code under test, root or not, with the real kernel deciding.

A test of "cannot read" must not mock ``open``: the point is what the inspector does with the
kernel's real ``EACCES``. Without privileges ``chmod 0`` is enough. Root (CI runs as root) reads
anything only because of two capabilities, CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, so
``unreadable()`` also drops them from the *effective* set of the calling thread for the block,
through ``capset(2)``: they stay in the permitted set, which lets the block's end raise them
again. Capabilities are per thread on Linux: a thread started inside the block (a pool the code
under test starts, say) inherits the reduced set, while one started before it keeps full rights;
``unreadable()`` checks from this thread that each path really is unreadable before the test
relies on it, so a test can never pass on a file it could still read.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_LINUX_CAPABILITY_VERSION_3 = 0x20080522  # two 32-bit words per set
CAP_DAC_OVERRIDE = 1
CAP_DAC_READ_SEARCH = 2
_BYPASS_PERMISSIONS = (1 << CAP_DAC_OVERRIDE) | (1 << CAP_DAC_READ_SEARCH)


class _Header(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _Data(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


_Sets = _Data * 2
_libc = ctypes.CDLL(None, use_errno=True)


def _syscall(name: str, sets: ctypes.Array[_Data]) -> None:
    header = _Header(_LINUX_CAPABILITY_VERSION_3, 0)  # pid 0: the calling thread
    if getattr(_libc, name)(ctypes.byref(header), sets) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{name}(): {os.strerror(errno)}")


def _capabilities() -> ctypes.Array[_Data]:
    sets = _Sets()
    _syscall("capget", sets)
    return sets


def bypassing_capabilities() -> int:
    """Return which of the two permission-bypassing capabilities this thread holds (a mask)."""
    return int(_capabilities()[0].effective) & _BYPASS_PERMISSIONS


@contextmanager
def without_bypassing_capabilities() -> Iterator[None]:
    """Drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from this thread's effective set."""
    held = bypassing_capabilities()
    if not held:
        yield
        return
    sets = _capabilities()
    sets[0].effective &= ~held
    _syscall("capset", sets)
    try:
        yield
    finally:
        sets = _capabilities()
        sets[0].effective |= held
        _syscall("capset", sets)


def _readable(path: Path) -> bool:
    try:
        if path.is_dir():
            os.listdir(path)
        else:
            path.read_bytes()
    except PermissionError:
        return False
    return True


@contextmanager
def unreadable(*paths: Path) -> Iterator[None]:
    """Make ``paths`` (files or folders) unreadable to this thread while the block runs."""
    modes = {path: path.stat().st_mode & 0o7777 for path in paths}
    try:
        for path in paths:
            path.chmod(0)
        with without_bypassing_capabilities():
            still = [str(path) for path in paths if _readable(path)]
            assert not still, f"still readable, the test would prove nothing: {still}"
            yield
    finally:
        for path, mode in modes.items():
            path.chmod(mode)
