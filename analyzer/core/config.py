"""Reads `[tool.prodready]` from pyproject.toml, or a .prodready.toml.

Unknown keys and wrong types are errors (exit 2), not silently ignored: a
misspelt `ignore` would otherwise turn a check off without anyone noticing.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from analyzer.core import bounds
from analyzer.core.errors import UsageError
from analyzer.core.model import Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

FAIL_ON = ("error", "warning", "note", "never")
# `default` reports the rules whose measured precision earns it (high or very-high);
# `audit` reports every rule, for a reviewer who wants every lead.
PROFILES = ("default", "audit")
DEFAULT_MAX_FILE_BYTES = bounds.DEFAULT_MAX_FILE_BYTES


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    per_path_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    fail_on: str = "warning"
    profile: str = "default"
    public_routes: tuple[str, ...] = ()
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_file_seconds: float = bounds.DEFAULT_MAX_FILE_SECONDS  # 0: no time budget
    max_yaml_nodes: int = bounds.DEFAULT_MAX_YAML_NODES
    max_yaml_depth: int = bounds.DEFAULT_MAX_YAML_DEPTH
    # `prodready fix`: the timeout it writes into outbound calls, and the tags it pins images to
    fix_timeout: float = 10.0
    fix_pins: Mapping[str, str] = field(default_factory=dict)
    # --strict: inline suppressions and the configured ignores are reported, not applied;
    # `unapplied` keeps the configured ones as (glob, rules) pairs ("**" for `ignore`)
    strict: bool = False
    unapplied: tuple[tuple[str, tuple[str, ...]], ...] = ()
    source: str | None = None  # the file the settings came from, for messages
    # (root-relative path, reason) of a configuration file found but unreadable that holds no
    # prodready settings: the scan reports it as a note instead of refusing to run
    problems: tuple[tuple[str, str], ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    def fail_threshold(self) -> int | None:
        """The lowest severity rank that fails the run; None for `never`."""
        return None if self.fail_on == "never" else Severity(self.fail_on).rank


_KEYS = {
    "select",
    "ignore",
    "exclude",
    "per-path-ignores",
    "fail-on",
    "profile",
    "public-routes",
    "max-file-bytes",
    "max-file-seconds",
    "max-yaml-nodes",
    "max-yaml-depth",
    "fix-timeout",
    "fix-pins",
}


def find_config_file(root: Path) -> tuple[Path | None, tuple[tuple[str, str], ...]]:
    """pyproject.toml with a [tool.prodready] table wins; else .prodready.toml.

    A pyproject.toml that is not valid TOML stops the run only when it is meant for
    prodready (it has a `[tool.prodready` table header); any other broken pyproject is the
    repository's own problem, returned to be reported as a note.
    """
    pyproject = root / "pyproject.toml"
    problems: tuple[tuple[str, str], ...] = ()
    if pyproject.is_file():
        try:
            data = _read_toml(pyproject)
        except UsageError as exc:
            if _names_our_table(pyproject):
                raise
            data = {}
            reason = str(exc).removeprefix(f"{pyproject}: ")
            problems = (("pyproject.toml", f"{reason}; it holds no prodready settings"),)
        if isinstance(data.get("tool"), dict) and "prodready" in data["tool"]:
            return pyproject, problems
    dotfile = root / ".prodready.toml"
    return (dotfile if dotfile.is_file() else None), problems


def _names_our_table(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return True  # unreadable: say so, as for the file prodready was told to use
    return any(
        line.strip().replace(" ", "").startswith("[tool.prodready") for line in text.splitlines()
    )


def load(path: Path | None) -> Config:
    if path is None:
        return Config()
    data = _read_toml(path)
    if path.name == "pyproject.toml" or "tool" in data:
        table = data.get("tool", {}).get("prodready")
        if table is None:
            raise UsageError(f"{path}: no [tool.prodready] table")
    else:
        table = data
    if not isinstance(table, dict):
        raise UsageError(f"{path}: [tool.prodready] must be a table")
    return from_table(table, str(path))


def from_table(table: Mapping[str, Any], source: str) -> Config:
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise UsageError(f"{source}: unknown key(s) in [tool.prodready]: {', '.join(unknown)}")
    profile = table.get("profile", "default")
    if profile not in PROFILES:
        raise UsageError(f"{source}: profile must be one of {', '.join(PROFILES)}, not {profile!r}")
    fail_on = table.get("fail-on", "warning")
    if fail_on not in FAIL_ON:
        raise UsageError(f"{source}: fail-on must be one of {', '.join(FAIL_ON)}, not {fail_on!r}")
    ppi = table.get("per-path-ignores", {})
    if not isinstance(ppi, dict):
        raise UsageError(f"{source}: per-path-ignores must be a table of glob = [rules]")
    max_bytes = _positive_int(table, "max-file-bytes", DEFAULT_MAX_FILE_BYTES, source)
    seconds = table.get("max-file-seconds", bounds.DEFAULT_MAX_FILE_SECONDS)
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not seconds >= 0:
        raise UsageError(f"{source}: max-file-seconds must be a number >= 0 (0: no limit)")
    for glob in (*_strings(table, "exclude", source), *ppi):
        _check_glob(str(glob), source)
    fix_timeout = table.get("fix-timeout", 10)
    if (
        not isinstance(fix_timeout, (int, float))
        or isinstance(fix_timeout, bool)
        or fix_timeout <= 0
    ):
        raise UsageError(f"{source}: fix-timeout must be a number of seconds > 0")
    pins = table.get("fix-pins", {})
    if not isinstance(pins, dict) or not all(isinstance(v, str) for v in pins.values()):
        raise UsageError(
            f'{source}: fix-pins must be a table of image = "tag" (e.g. redis = "7.4")'
        )
    return Config(
        select=_strings(table, "select", source),
        ignore=_strings(table, "ignore", source),
        exclude=_strings(table, "exclude", source),
        per_path_ignores=tuple(
            (
                str(glob),
                _strings(
                    {f"per-path-ignores {glob!r}": codes}, f"per-path-ignores {glob!r}", source
                ),
            )
            for glob, codes in ppi.items()
        ),
        fail_on=str(fail_on),
        profile=str(profile),
        public_routes=_strings(table, "public-routes", source),
        max_file_bytes=max_bytes,
        max_file_seconds=float(seconds),
        max_yaml_nodes=_positive_int(
            table, "max-yaml-nodes", bounds.DEFAULT_MAX_YAML_NODES, source
        ),
        max_yaml_depth=_positive_int(
            table, "max-yaml-depth", bounds.DEFAULT_MAX_YAML_DEPTH, source
        ),
        fix_timeout=float(fix_timeout),
        fix_pins={str(k): v for k, v in pins.items()},
        source=source,
    )


def _check_glob(glob: str, source: str) -> None:
    import pathspec

    try:
        pathspec.GitIgnoreSpec.from_lines([glob])
    except Exception as exc:  # pathspec raises ValueError subclasses and re.error
        raise UsageError(f"{source}: invalid pattern {glob!r}: {exc}") from None


def _positive_int(table: Mapping[str, Any], key: str, default: int, source: str) -> int:
    value = table.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise UsageError(f"{source}: {key} must be a positive integer, not {value!r}")
    return value


def strict(
    config: Config, select: tuple[str, ...] | None, ignore: tuple[str, ...], trusted: bool
) -> Config:
    """The configuration for `--strict`: ignores found in the scanned tree are shown, not applied.

    A pull request can edit the configuration it is checked with; under
    `--strict` only the command line (the workflow) and a configuration file
    the workflow names with `--config` (`trusted`) may switch rules off.
    `exclude` still applies: it decides which files are the project's, not
    which rules run. Inline suppressions are never applied under --strict.
    """
    if trusted:
        return replace(config, ignore=config.ignore + ignore, strict=True)
    unapplied = ((("**", config.ignore),) if config.ignore else ()) + config.per_path_ignores
    return replace(
        config,
        select=select or (),
        ignore=ignore,
        per_path_ignores=(),
        strict=True,
        unapplied=unapplied,
    )


def _strings(table: Mapping[str, Any], key: str, source: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{source}: {key} must be a list of strings")
    return tuple(value)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data: dict[str, Any] = tomllib.load(fh)
            return data
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror}") from None
