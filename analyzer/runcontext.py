"""The configuration of the scan in progress, for the few checks that need it.

Checks are plain functions of facts; a handful also need a setting (the
routes the team declared public, say). Passing the config through every
check signature would burden all of them for a few, so the scan publishes it
here for the duration of a run, in the main process and in each worker.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from analyzer.cache import Keying
from analyzer.config import Config

_current = Config()
_cache: Keying | None = None


def config() -> Config:
    """The configuration of the scan that is running (defaults outside a scan)."""
    return _current


def set_config(config: Config) -> None:
    """Worker-process initializer: a process pool cannot share the parent's variable."""
    global _current
    _current = config


def cache() -> Keying | None:
    """The result cache of the scan that is running, for checks that run an engine once per scan."""
    return _cache


@contextmanager
def using(config: Config, cache: Keying | None = None) -> Iterator[None]:
    global _current, _cache
    previous, _current = _current, config
    previous_cache, _cache = _cache, cache
    try:
        yield
    finally:
        _current = previous
        _cache = previous_cache
