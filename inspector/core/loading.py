"""What a process whose command line runs the inspector's command starts while Django loads.

Django creates the apps' configurations (``InspectorConfig``) before it loads their models,
its URL machinery and the command's modules: a cold run's first fifth, on one core. Where the
process's command line runs ``command`` (``manage.py``, ``django-admin`` and ``python -m
django`` name it second, whatever options follow), ``while_loading(command)`` uses that time:

- the cyclic collector goes off: the models, the URL machinery and the command's modules are
  long-lived objects, which it walks over again and again (a full pass among them), freeing
  nothing an exiting process needs freed;
- the hashing processes may be forked (``pool.fork_while_alone``): nothing but Django runs yet,
  on one thread, with no connection open;
- the collected folder is walked in one of them, and its files hashed on the cores the
  loading leaves idle (``storage.loading``).

The command's run takes the process over (``management.process``). A script that only bears
the command's name, and calls the command itself, gets its collector back and its hashing
processes spawned again as the command starts (``loading_over``). Any other process (a web
server, another command, a test run) starts nothing here.
"""

from __future__ import annotations

import gc
import sys

from . import pool
from .storage.loading import walk_while_loading

# Whether ``while_loading`` started, and no command's run took the process over since; and
# whether it turned the collector off (it may have been off already).
_started = False
_collector_off = False


# Options after which the command prints and checks nothing.
_PRINT_ONLY = frozenset({"-h", "--help", "--version"})


def while_loading(command: str) -> None:
    """Start the work above if the process's command line runs ``command`` (no walk where it
    asks only for the help or the version)."""
    global _started, _collector_off
    if sys.argv[1:2] != [command]:
        return
    _started, _collector_off = True, gc.isenabled()
    gc.disable()
    pool.fork_while_alone(True)
    if _PRINT_ONLY.isdisjoint(sys.argv[2:]):
        walk_while_loading()


def take_over() -> None:
    """Take over what ``while_loading`` started: the caller now says when the collector comes
    back, and whether the hashing processes are forked (``management.process``)."""
    global _started, _collector_off
    _started = _collector_off = False


def loading_over() -> None:
    """Give the collector back, and spawn later hashing processes, if ``while_loading`` started
    and no command's run took the process over since."""
    global _started, _collector_off
    if not _started:
        return
    if _collector_off:
        gc.enable()
    _started = _collector_off = False
    pool.fork_while_alone(False)
    pool.give_way()  # what was hashed meanwhile is not waited for when the script exits
