"""A progress bar on stderr for long scans, so a terminal user sees the scan is moving.

Only on a terminal and only for scans large enough to take a while: in CI
logs, pipes and pre-commit runs of a few files it would be noise (and
carriage returns garble logs), so it is silent there. It draws at most a few
times a second and erases itself when done, leaving the report untouched.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

MIN_FILES = 300  # below this a scan ends before a bar would tell anyone anything
_WIDTH = 30
_INTERVAL = 0.1  # seconds between redraws


class Bar:
    def __init__(self, stream: TextIO, min_files: int = MIN_FILES) -> None:
        self._stream = stream
        self._min = min_files
        self._total = 0
        self._done = 0
        self._shown = False
        self._last = 0.0

    @classmethod
    @contextmanager
    def maybe(cls, wanted: bool, stream: TextIO | None = None) -> Iterator[Bar | None]:
        """A bar when asked for and stderr is a terminal; None otherwise. Erased on exit."""
        out = stream if stream is not None else sys.stderr
        if not wanted or not _is_terminal(out):
            yield None
            return
        bar = cls(out)
        try:
            yield bar
        finally:
            bar.close()

    def start(self, total: int) -> None:
        self._total = total
        self._done = 0

    def advance(self, n: int = 1) -> None:
        self._done += n
        if self._total < self._min:
            return
        now = time.monotonic()
        if now - self._last < _INTERVAL and self._done < self._total:
            return
        self._last = now
        self._draw()

    def _draw(self) -> None:
        filled = _WIDTH * self._done // max(1, self._total)
        pct = 100 * self._done // max(1, self._total)
        line = f"\rprodready [{'#' * filled}{'.' * (_WIDTH - filled)}] {pct:3d}% {self._done}/{self._total} files"
        try:
            self._stream.write(line)
            self._stream.flush()
        except (OSError, ValueError):
            return
        self._shown = True

    def close(self) -> None:
        if not self._shown:
            return
        try:
            self._stream.write("\r\033[K")
            self._stream.flush()
        except (OSError, ValueError):
            pass
        self._shown = False


def _is_terminal(stream: TextIO) -> bool:
    if os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
