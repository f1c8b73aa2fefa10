"""The limits that keep one pathological file from stopping or stalling a scan.

A scan reads whatever a repository holds: a 50 MB generated file, a YAML alias
bomb, a template nested a thousand levels deep, a file that makes a regular
expression crawl. Each bound turns such a file into a note finding (PR001) and
lets the scan go on; every bound is a configuration key, so a team with a
legitimately huge manifest can raise it instead of losing the file.

The limits in force are process-wide state set by `extract` from the scan's
plan before it parses a file, because parsers keep the one-argument
`parse(src)` signature; each worker process sets them for itself.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import TypeVar

DEFAULT_MAX_FILE_BYTES = 2_000_000
DEFAULT_MAX_FILE_SECONDS = 20.0
DEFAULT_MAX_YAML_NODES = 200_000
DEFAULT_MAX_YAML_DEPTH = 200


@dataclass(frozen=True)
class Bounds:
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_file_seconds: float = DEFAULT_MAX_FILE_SECONDS  # 0 disables the time budget
    max_yaml_nodes: int = DEFAULT_MAX_YAML_NODES  # values of one document, aliases expanded
    max_yaml_depth: int = DEFAULT_MAX_YAML_DEPTH


_current = Bounds()


def current() -> Bounds:
    """The limits the file being parsed in this process is held to."""
    return _current


@contextmanager
def applied(bounds: Bounds) -> Iterator[None]:
    global _current
    previous, _current = _current, bounds
    try:
        yield
    finally:
        _current = previous


class FileTimeout(BaseException):
    """Raised inside the parser or check that overran the budget.

    A BaseException, not an Exception: a parser's or check's own broad
    `except Exception` must not swallow it and carry on with the slow work.
    """


RETRY_SECONDS = 0.05


@contextmanager
def time_budget(seconds: float) -> Iterator[bool]:
    """Interrupt the block with FileTimeout after `seconds` of wall time.

    A pure-Python parser cannot be stopped from another thread, and killing a
    worker process would lose every other file of its chunk; SIGALRM raises in
    the very frame that is running, between two bytecodes (the regular
    expression engine checks for signals too), so the file's work unwinds
    cleanly and the worker moves to its next file. Signals reach only the main
    thread, so elsewhere (a scan embedded in a threaded program), on platforms
    without SIGALRM, or when someone else's interval timer is already running,
    the budget is not enforced: yields False then, True when armed.
    """
    armed = (
        seconds > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL)[0] == 0
    )
    if not armed:
        yield False
        return

    live = [True]

    def expire(signum: int, frame: FrameType | None) -> None:
        if not live[0]:
            return
        # Python drops an exception raised while it runs a finalizer or a weakref callback
        # ("Exception ignored in ..."); re-arm first, so a swallowed timeout fires again
        signal.setitimer(signal.ITIMER_REAL, RETRY_SECONDS)
        raise FileTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield True
    finally:
        while True:  # a tick landing in the middle of the clean-up must not leave it half done
            try:
                live[0] = False
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)
                break
            except FileTimeout:
                continue


# A file nested deeper than the interpreter's default recursion allows (a 3,000-term string
# concatenation, generated code) is parsed and checked again on a thread with room for it.
DEEP_STACK_BYTES = 512 * 1024 * 1024  # address space reserved; only the pages used are touched
DEEP_RECURSION_LIMIT = 50_000  # about 10 KB of stack a frame: inside the stack above

T = TypeVar("T")


def deeply(fn: Callable[[], T]) -> T:
    """`fn()` on a thread with a large stack and a high recursion limit.

    Raising the limit on the running thread would trade a RecursionError for a crash of the
    whole process when the C stack runs out; a thread of its own gets a stack sized for the
    limit. Only retried work comes here, so the cost is paid by the odd file alone.
    """
    result: list[T] = []
    error: list[BaseException] = []

    def run() -> None:
        try:
            result.append(fn())
        except BaseException as exc:
            error.append(exc)

    worker = threading.Thread(target=run, name="prodready-deep", daemon=True)
    previous_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous_limit, DEEP_RECURSION_LIMIT))  # before the thread runs
    try:
        previous_size = threading.stack_size(DEEP_STACK_BYTES)  # read when the thread starts
        try:
            worker.start()
        finally:
            threading.stack_size(previous_size)
        worker.join()
    finally:
        sys.setrecursionlimit(previous_limit)
    if error:
        raise error[0]
    return result[0]
