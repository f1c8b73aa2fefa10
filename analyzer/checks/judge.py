"""X001: an environment variable the code requires that no container running that code provides.

Judged only when the repository holds the deployment manifests it compares with.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from analyzer.checks.registry import repo_check
from analyzer.core.model import FileResult, Finding
from analyzer.core.vocabulary import ALL
from analyzer.facts.compose import env_names, image_name, services_of
from analyzer.facts.kubernetes import containers
from analyzer.facts.settings import (
    ClassInfo,
    EnvNeed,
)
from analyzer.facts.summary import PySummary
from analyzer.facts.workloads import (
    built_images,
    container_runs_code,
    kubernetes_objects,
    service_runs_code,
)
from analyzer.parsers.dockerfile import Dockerfile, env_pairs
from analyzer.parsers.envfile import EnvFile
from analyzer.parsers.yamlfile import YamlFile

# --------------------------------------------------------------------------- X001 environment


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
    provides: frozenset[str]


def _env_files(results: Sequence[FileResult]) -> dict[str, frozenset[str]]:
    return {
        posixpath.normpath(r.path): frozenset(v.name for v in r.facts.variables)
        for r in results
        if isinstance(r.facts, EnvFile)
    }


def _compose_runners(
    results: Sequence[FileResult], envs: dict[str, frozenset[str]], code_images: set[str]
) -> Iterator[_Runner]:
    for r in results:
        if r.kind != "compose" or not isinstance(r.facts, YamlFile):
            continue
        base = posixpath.dirname(r.path)
        for svc in services_of(r.facts):
            if not service_runs_code(svc, code_images):
                continue
            names = set(env_names(svc.data.get("environment")))
            env_file = svc.data.get("env_file")
            files = env_file if isinstance(env_file, list) else [env_file] if env_file else []
            for f in files:
                p = f.get("path") if isinstance(f, dict) else f
                full = posixpath.normpath(posixpath.join(base, str(p)))
                names |= envs.get(full, frozenset({ALL}))
            build = svc.data.get("build")
            context = None
            if build is not None:
                ctx = build if isinstance(build, str) else str(build.get("context", "."))
                context = posixpath.normpath(posixpath.join(base, ctx))
            yield _Runner(f"service `{svc.name}` ({r.path})", r.path, context,
                          image_name(str(svc.data.get("image") or "")), frozenset(names))  # fmt: skip


def _k8s_runners(results: Sequence[FileResult], code_images: set[str]) -> Iterator[_Runner]:
    objs = kubernetes_objects(results)
    sources: dict[tuple[str, str], frozenset[str]] = {}
    for o in objs:
        if o.kind in ("ConfigMap", "Secret"):
            keys = {str(k) for sect in ("data", "stringData", "binaryData")
                    for k in (o.node.get(sect) or {})}  # fmt: skip
            sources[(o.kind, o.name)] = frozenset(keys)
    for o in objs:
        for c in containers(o):
            if c.fragment or (c.init and not c.sidecar) or not container_runs_code(c, code_images):
                continue
            names: set[str] = set()
            for e in c.node.get("env") or []:
                if isinstance(e, dict) and "name" in e:
                    names.add(str(e["name"]))
            for e in c.node.get("envFrom") or []:
                if not isinstance(e, dict):
                    continue
                prefix = str(e.get("prefix") or "")
                for key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                    ref = e.get(key)
                    if isinstance(ref, dict):
                        found = sources.get((kind, str(ref.get("name"))), frozenset({ALL}))
                        names |= {k if k == ALL else prefix + k for k in found}
            yield _Runner(f"{c.label()} ({o.path})", o.path, None,
                          image_name(str(c.node.get("image") or "")), frozenset(names))  # fmt: skip


def _under(path: str, folder: str) -> bool:
    return folder in ("", ".") or path == folder or path.startswith(folder.rstrip("/") + "/")


@repo_check("X001")
def missing_environment(results: Sequence[FileResult]) -> Iterator[Finding]:
    if any(r.kind == "helm" for r in results):
        return  # a chart provides environment we do not render
    mods = [r.facts for r in results if isinstance(r.facts, PySummary) and r.facts.is_app_code]
    if not mods:
        return
    code_images = built_images(results)
    envs = _env_files(results)
    compose = list(_compose_runners(results, envs, code_images))
    k8s = list(_k8s_runners(results, code_images))
    if not compose and not k8s:
        return
    dockerfiles = [r.facts for r in results if isinstance(r.facts, Dockerfile)]
    baked = {
        name
        for df in dockerfiles
        for ins in df.shipped_stage.of("ENV")
        for name, _, _ in env_pairs(ins)
    }
    contexts = {posixpath.dirname(df.path) for df in dockerfiles}
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
        provided = set(baked).union(*(r.provides for r in runners))
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
