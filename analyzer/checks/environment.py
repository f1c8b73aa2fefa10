"""X001: an environment variable the code requires that no container running the code sets.

`os.environ["X"]` and pydantic settings fields without a default stop the service at start-up
(or on first use) when the variable is missing. The containers that run a file are the compose
services that build it (their build context holds it) and the containers of the same images;
what each provides is its manifest's `environment`/`env_file` or `env`/`envFrom` and the ENV
of its image (analyzer.facts.workloads). Judged only when some container runs the code.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from analyzer.checks.registry import repo_check
from analyzer.core.model import FileResult, Finding
from analyzer.core.vocabulary import ALL
from analyzer.facts.images import image_name
from analyzer.facts.settings import ClassInfo, EnvNeed
from analyzer.facts.summary import PySummary
from analyzer.facts.workloads import Workload, Workloads, workloads

_PLATFORM_VARS = frozenset(
    {"PORT", "HOST", "HOSTNAME", "HOME", "PATH", "USER", "PWD", "LANG", "TZ", "SHELL", "TERM",
     "PYTHONPATH", "K_SERVICE", "K_REVISION", "POD_NAME", "POD_NAMESPACE", "NODE_NAME",
     "WEB_CONCURRENCY", "GITHUB_ACTIONS", "CI"}
)  # fmt: skip
_SETTINGS_BASES = ("BaseSettings",)


@dataclass(frozen=True)
class _SettingsClass:
    name: str
    info: ClassInfo
    path: str


def _settings_classes(mods: list[PySummary]) -> list[_SettingsClass]:
    classes = {(m.path, c.name): _SettingsClass(c.name, c, m.path) for m in mods for c in m.classes}
    settings_names: set[str] = set()
    changed = True
    while changed:  # subclasses of settings classes, across modules, by name
        changed = False
        for sc in classes.values():
            if sc.name in settings_names:
                continue
            for q in sc.info.bases:
                last = q.rsplit(".", 1)[-1]
                if (
                    q.startswith(("pydantic", "pydantic_settings")) and last in _SETTINGS_BASES
                ) or (last in settings_names):
                    settings_names.add(sc.name)
                    changed = True
    return [sc for sc in classes.values() if sc.name in settings_names]


def _settings_needs(mods: list[PySummary]) -> Iterator[EnvNeed]:
    classes = _settings_classes(mods)
    called = _instantiated(mods)
    by_name = {sc.name: sc for sc in classes}
    for sc in classes:
        users = [c for c in classes if c.name == sc.name or _inherits(c, sc.name, by_name)]
        if not any(u.name in called for u in users):
            continue  # a base class or an unused one: what is required depends on its users
        config: dict[str, Any] = {}
        for u in reversed(users):
            config.update(u.info.config)
        if config.get("secrets_dir") or config.get("env_nested_delimiter") == ALL:
            continue
        prefix = config.get("env_prefix", "")
        if prefix == ALL:
            continue
        sensitive = config.get("case_sensitive") is True
        given = {k for u in users for k in called.get(u.name, ())}
        for f in sc.info.fields:
            if f.name.startswith("_") or f.name == "model_config" or ALL in given:
                continue
            if f.name in given:
                continue
            name = f.alias if f.alias is not None else str(prefix) + f.name
            yield EnvNeed(name, sc.path, f.line, f.column,
                          f"settings field `{f.name}` of `{sc.name}` (no default)",
                          sensitive)  # fmt: skip


def _inherits(c: _SettingsClass, name: str, by_name: dict[str, _SettingsClass]) -> bool:
    seen: set[str] = set()
    todo = [c]
    while todo:
        cur = todo.pop()
        for base in cur.info.bases:
            last = base.rsplit(".", 1)[-1]
            if last == name:
                return True
            if last in by_name and last not in seen:
                seen.add(last)
                todo.append(by_name[last])
    return False


def _instantiated(mods: list[PySummary]) -> dict[str, set[str]]:
    """Class name -> keyword arguments it is called with, over the repository's code."""
    out: dict[str, set[str]] = {}
    for m in mods:
        for name, kws in m.instantiated.items():
            out.setdefault(name, set()).update(kws)
    return out


@dataclass(frozen=True)
class _Runner:
    what: str  # 'service `api` (docker-compose.yml)'
    path: str
    context: str | None  # build context directory (compose services that build)
    image: str
    provides: frozenset[str]  # what the manifest sets, and what its image's ENV does


def _runners(view: Workloads) -> tuple[list[_Runner], list[_Runner]]:
    """(compose services, Kubernetes containers) that run the team's code.

    An image's ENV reaches every container that runs it; when the image of a container is
    not known, any Dockerfile of the repository may have built it.
    """
    baked = {path: frozenset(e.name for e in image.env) for path, image in view.images.items()}
    anywhere = frozenset().union(*baked.values())

    def runner(w: Workload, what: str) -> _Runner:
        image_env = baked.get(w.dockerfile, anywhere) if w.dockerfile is not None else anywhere
        return _Runner(what, w.path, w.context, image_name(w.image), w.env_names | image_env)

    compose = [runner(w, f"{w.label} ({w.path})") for w in view.compose if w.runs_code]
    k8s = [
        runner(w, f"{w.label} ({w.path})")
        for w in view.kubernetes
        if w.runs_code and not w.fragment and not w.init
    ]
    return compose, k8s


def _under(path: str, folder: str) -> bool:
    return folder in ("", ".") or path == folder or path.startswith(folder.rstrip("/") + "/")


@repo_check("X001")
def missing_environment(results: Sequence[FileResult]) -> Iterator[Finding]:
    if any(r.kind == "helm" for r in results):
        return  # a chart provides environment we do not render
    mods = [r.facts for r in results if isinstance(r.facts, PySummary) and r.facts.is_app_code]
    if not mods:
        return
    view = workloads(results)
    compose, k8s = _runners(view)
    if not compose and not k8s:
        return
    contexts = {posixpath.dirname(path) for path in view.images}
    contexts |= {r.context for r in compose if r.context is not None}
    needs = [n for m in mods for n in m.env_needs]
    needs += list(_settings_needs(mods))
    reported: set[tuple[str, str]] = set()
    for need in needs:
        if need.name in _PLATFORM_VARS or (need.path, need.name) in reported:
            continue
        if not any(_under(need.path, c) for c in contexts):
            continue  # no image of the repository ships this file
        runners = _runners_of(need.path, compose, k8s)
        if not runners:
            continue
        provided = set().union(*(r.provides for r in runners))
        if ALL in provided or _provided(need, provided):
            continue
        reported.add((need.path, need.name))
        files = sorted({r.path for r in runners})
        yield Finding(
            "X001",
            need.path,
            f"{need.how} requires the environment variable `{need.name}`, but no container "
            f"running this code sets it (checked {', '.join(files)}): it fails at start-up "
            "or on first use.",
            line=need.line,
            column=need.column,
            anchor=f"X001:{need.name}",
        )


def _provided(need: EnvNeed, provided: set[str]) -> bool:
    if need.case_sensitive:
        return need.name in provided
    return need.name.upper() in {p.upper() for p in provided}


def _runners_of(path: str, compose: list[_Runner], k8s: list[_Runner]) -> list[_Runner]:
    mine = [r for r in compose if r.context is not None and _under(path, r.context)]
    images = {r.image for r in mine if r.image}
    mine += [r for r in compose if r.context is None and r.image in images]
    if images:
        mine += [r for r in k8s if r.image in images]
    else:
        mine += k8s
    return mine
