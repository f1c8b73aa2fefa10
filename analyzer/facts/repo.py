"""The repository as repository rules and detectors see it: every file's result, the scan's
settings, and the views several rules share, each built once per view.

One object carries what used to travel three ways (a results list whose identity keyed a memo,
a module-level "current configuration", and two `Repo` classes): a rule reads
`repo.config`, asks for `repo.view(fn)`, and nothing outlives the scan that built it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, overload

from analyzer.core.config import Config
from analyzer.core.model import FileResult

if TYPE_CHECKING:
    from analyzer.core.cache import Keying
    from analyzer.facts.compose import Service
    from analyzer.facts.declared import Command, EnvSetting
    from analyzer.facts.kubernetes import Index

T = TypeVar("T")


class RepoView(Sequence[FileResult]):
    """The scan's file results (a sequence of them) with its settings and shared views."""

    def __init__(
        self,
        results: Sequence[FileResult],
        config: Config | None = None,
        cache: Keying | None = None,
    ) -> None:
        self.results = tuple(results)
        self.config = config if config is not None else Config()
        self.cache = cache  # the result cache, for rules that run an engine once per scan
        self._views: dict[Callable[..., Any], Any] = {}

    @overload
    def __getitem__(self, i: int) -> FileResult: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[FileResult]: ...
    def __getitem__(self, i: int | slice) -> FileResult | Sequence[FileResult]:
        return self.results[i]

    def __len__(self) -> int:
        return len(self.results)

    def __iter__(self) -> Iterator[FileResult]:
        return iter(self.results)

    def view(self, fn: Callable[[RepoView], T]) -> T:
        """`fn(self)`, computed once however many rules ask for it."""
        try:
            return self._views[fn]  # type: ignore[no-any-return]
        except KeyError:
            value = self._views[fn] = fn(self)
            return value

    @functools.cached_property
    def paths(self) -> tuple[str, ...]:
        return tuple(sorted(r.path for r in self.results))

    def of_kind(self, kind: str) -> list[FileResult]:
        return [r for r in self.results if r.kind == kind and r.facts is not None]

    def kinds(self, *kinds: str) -> list[FileResult]:
        return [r for r in self.results if r.kind in kinds and r.facts is not None]

    def any_path(self, pattern: re.Pattern[str]) -> bool:
        return any(pattern.search(p) for p in self.paths)

    @functools.cached_property
    def app_code(self) -> bool:
        """Python modules that run in the deployed service (not tests, scripts or tooling)."""
        return any(
            r.kind == "python" and getattr(r.facts, "is_app_code", False) for r in self.results
        )

    @functools.cached_property
    def deployable(self) -> bool:
        """Application code and something that ships it (image, compose file, manifests)."""
        return self.app_code and bool(self.kinds("dockerfile", "compose", "kubernetes"))

    def matching(self, pattern: re.Pattern[str]) -> list[str]:
        """Paths (lower-cased match, original spelling returned) that match `pattern`."""
        return [p for p in self.paths if pattern.search(p.lower())]

    @functools.cached_property
    def k8s(self) -> Index:
        from analyzer.facts.kubernetes import Index

        return Index.build(self.results)

    @functools.cached_property
    def compose_services(self) -> list[Service]:
        from analyzer.facts.compose import services_of

        return [s for r in self.of_kind("compose") for s in services_of(r.facts)]

    @functools.cached_property
    def python(self) -> list[Any]:
        """Parsed Python modules that run in the deployed service (not tests or scripts)."""
        return [r.facts for r in self.of_kind("python") if getattr(r.facts, "is_app_code", False)]

    @functools.cached_property
    def all_python(self) -> list[Any]:
        return [r.facts for r in self.of_kind("python")]

    @functools.cached_property
    def commands(self) -> list[Command]:
        from analyzer.facts.declared import commands

        return commands(self.k8s, self.compose_services, self.of_kind("dockerfile"))

    @functools.cached_property
    def env(self) -> list[EnvSetting]:
        from analyzer.facts.declared import env_settings

        return env_settings(self.k8s, self.compose_services, self.of_kind("dockerfile"))


def as_view(results: Sequence[FileResult]) -> RepoView:
    """`results` itself when it is a view, else a new view with default settings (tests, tools)."""
    return results if isinstance(results, RepoView) else RepoView(results)


def shared(fn: Callable[[RepoView], T]) -> Callable[[Sequence[FileResult]], T]:
    """Make `fn(repo)` a view of the repository: built once per RepoView, whoever asks first."""

    @functools.wraps(fn)
    def view(results: Sequence[FileResult]) -> T:
        return as_view(results).view(fn)

    return view
