"""The containers of the repository: what each runs and is given, wherever that is declared.

A container's command, environment, limits and probes are split between a manifest (a
compose service, a Kubernetes container) and the image it runs, which a Dockerfile of the
repository may build. Rules and detectors that ask "what does this container run" or "which
variables does it get" read this one view, so they agree: the command is the manifest's
override over the image's ENTRYPOINT and CMD as Docker resolves them across the FROM chain.

Which Dockerfile builds a container's image is read where the repository says so: a compose
`build:` (context and dockerfile), and for any other container the image names that compose
(`build:` with `image:`) and skaffold artifacts give their Dockerfiles. A Kubernetes container
of the team's own image is taken to run the repository's only Dockerfile when nothing names
that Dockerfile for an image and it is the only such image deployed; otherwise it is left
unmatched rather than matched to a Dockerfile that builds something else (a frontend
container to the API's image).
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from analyzer.core.model import FileResult
from analyzer.core.vocabulary import ALL
from analyzer.facts import dockerfile as image_facts
from analyzer.facts.code_images import built_images, container_runs_code
from analyzer.facts.compose import Service, env_names, publication
from analyzer.facts.declared import EnvSetting, compose_env, image_env, k8s_env, words
from analyzer.facts.images import image_name
from analyzer.facts.kubernetes import BATCH_KINDS, Container, Index, Obj, containers
from analyzer.facts.repo import RepoView, shared
from analyzer.parsers.dockerfile import Dockerfile, Instruction
from analyzer.parsers.envfile import EnvFile
from analyzer.parsers.yamlfile import dig
from analyzer.parsers.yamlmarks import Mark, YamlMap, YamlSeq


@dataclass(frozen=True)
class Run:
    """The command a container starts, as words, and where a finding about it goes."""

    words: tuple[str, ...]
    path: str
    line: int | None
    column: int | None


@dataclass(frozen=True)
class Probe:
    """A liveness/readiness/startup probe or a compose healthcheck."""

    kind: str  # `livenessProbe`, `readinessProbe`, `startupProbe`, `healthcheck`
    http: bool  # an HTTP check (`httpGet`, a curl of a local URL)
    http_path: str | None  # the HTTP path it requests; None when it names none
    port: int | None  # None: a port name or number we cannot resolve
    path: str
    mark: Mark


@dataclass(frozen=True)
class Image:
    """What a scanned Dockerfile builds: the command and the variables of its shipped image."""

    path: str
    dockerfile: Dockerfile
    command: image_facts.Command
    env: tuple[EnvSetting, ...]
    production: bool  # not a development image (`Dockerfile.dev`, every stage `AS dev`)


@dataclass(frozen=True)
class Workload:
    """One container the repository runs: a Kubernetes container or a compose service."""

    platform: str  # "kubernetes" or "compose"
    name: str  # the container's or the service's name
    label: str  # 'container "api" of Deployment "api"', 'service `api`'
    path: str
    mark: Mark
    image: str  # as written, "" when none
    context: str | None  # the compose build context, from the scan root
    dockerfile: str | None  # the Dockerfile (from the scan root) that builds its image
    declared: Run | None  # the manifest's command, over the image's
    entrypoint_declared: bool  # the manifest replaces the image's ENTRYPOINT
    env: tuple[EnvSetting, ...]  # variables the manifest sets, with their values
    env_names: frozenset[str]  # every name the manifest provides; ALL for a source out of sight
    cpu: float | None  # CPU limit in cores
    memory: str | None  # memory limit as written
    probes: tuple[Probe, ...]
    healthcheck: bool  # compose: a healthcheck with a test is on
    ports: tuple[tuple[str, int], ...]  # (name, container port)
    replicated: bool  # several replicas, a DaemonSet, or autoscaled
    runs_code: bool  # runs the team's code, not a third-party image
    init: bool = False  # a Kubernetes init container that runs before the app (not a sidecar)
    batch: bool = False  # a Job or CronJob: runs to completion
    fragment: bool = False  # a kustomize patch of a container: no image of its own

    @property
    def probed(self) -> bool:
        """A liveness or readiness probe of any type checks it."""
        return any(p.kind in ("livenessProbe", "readinessProbe") for p in self.probes)


@dataclass(frozen=True)
class Workloads:
    """Every container of the repository and every image its Dockerfiles build."""

    images: dict[str, Image]  # by Dockerfile path
    kubernetes: tuple[Workload, ...]
    compose: tuple[Workload, ...]

    @property
    def all(self) -> tuple[Workload, ...]:
        return self.kubernetes + self.compose

    def running(self, dockerfile: str) -> list[Workload]:
        """The containers that run the image this Dockerfile builds."""
        return [w for w in self.all if w.dockerfile == dockerfile]

    def image_of(self, w: Workload) -> Image | None:
        return self.images.get(w.dockerfile) if w.dockerfile is not None else None

    def run(self, w: Workload) -> Run | None:
        """The command the container starts: the manifest's override over the image's.

        Compose `entrypoint:` and Kubernetes `command:` replace the image's ENTRYPOINT and drop
        its CMD; compose `command:` and Kubernetes `args:` replace only the CMD, which a
        shell-form ENTRYPOINT ignores.
        """
        image = self.image_of(w)
        if image is None or (w.declared is not None and w.entrypoint_declared):
            return w.declared
        entry = image.command.entrypoint
        if w.declared is None:
            at = image.command.place
            return None if at is None else _image_run(image, at, image.command.words())
        if entry is not None and entry.exec_form is None:
            return _image_run(image, entry, entry.words())
        prefix = tuple(entry.words()) if entry is not None else ()
        return replace(w.declared, words=prefix + w.declared.words)


def _image_run(image: Image, at: Instruction, words: list[str]) -> Run:
    return Run(tuple(words), image.path, at.line, at.column)


@dataclass(frozen=True)
class _Known:
    """What the repository tells about images and variables, for reading one container."""

    names: dict[str, set[str]]  # image name -> Dockerfiles said to build it
    code_images: set[str]  # image names compose builds from the repository
    env_files: dict[str, frozenset[str]]  # .env file path -> its variable names
    sources: dict[tuple[str, str], frozenset[str]]  # (ConfigMap|Secret, name) -> its keys


@shared
def workloads(repo: RepoView) -> Workloads:
    """The container view of the repository, built once per scan."""
    images = {
        r.path: _image(r) for r in repo.of_kind("dockerfile") if isinstance(r.facts, Dockerfile)
    }
    known = _Known(
        names=_image_names(repo),
        code_images=built_images(repo),
        env_files={
            posixpath.normpath(r.path): frozenset(v.name for v in r.facts.variables)
            for r in repo
            if isinstance(r.facts, EnvFile)
        },
        sources={
            (o.kind, o.name): frozenset(
                str(k)
                for sect in ("data", "stringData", "binaryData")
                for k in (o.node.get(sect) or {})
            )
            for o in repo.k8s.objects
            if o.kind in ("ConfigMap", "Secret")
        },
    )
    compose = tuple(_compose_workload(s, known) for s in repo.compose_services)
    k8s = [_k8s_workload(repo.k8s, o, c, known) for o in repo.k8s.objects for c in containers(o)]
    return Workloads(images, tuple(_only_image(k8s, images, known.names)), compose)


def _image(r: FileResult) -> Image:
    df: Dockerfile = r.facts
    return Image(
        r.path, df, image_facts.command(df), tuple(image_env(r)), not image_facts.is_dev_file(df)
    )


def _image_names(repo: RepoView) -> dict[str, set[str]]:
    """Image name -> the Dockerfiles said to build it (compose `build:` + `image:`, skaffold)."""
    out: dict[str, set[str]] = {}
    for svc in repo.compose_services:
        build = _build(svc)
        if build is not None and svc.data.get("image"):
            out.setdefault(image_name(str(svc.data["image"])), set()).add(build[1])
    for r in repo.of_kind("kubernetes"):
        for name, path in _skaffold_artifacts(r):
            out.setdefault(name, set()).add(path)
    return out


def _skaffold_artifacts(r: FileResult) -> Iterator[tuple[str, str]]:
    """(image name, Dockerfile path) of the artifacts a skaffold.yaml builds by default."""
    for _, doc in getattr(r.facts, "mappings", list)():
        if not str(doc.get("apiVersion") or "").startswith("skaffold/"):
            continue
        artifacts = dig(doc, "build", "artifacts")
        for a in artifacts if isinstance(artifacts, list) else []:
            if isinstance(a, dict) and a.get("image"):
                context = str(a.get("context") or ".")
                name = str(dig(a, "docker", "dockerfile") or "Dockerfile")
                path = posixpath.normpath(posixpath.join(posixpath.dirname(r.path), context, name))
                yield image_name(str(a["image"])), path


def _named(image: str, names: dict[str, set[str]]) -> str | None:
    """The one Dockerfile an image name is said to be built from (None: none or several)."""
    found = names.get(image_name(image), set()) if image else set()
    return next(iter(found)) if len(found) == 1 else None


def _build(svc: Service) -> tuple[str, str] | None:
    """(context folder, Dockerfile path), both from the scan root, of a compose `build:`."""
    build = svc.data.get("build")
    if isinstance(build, str):
        context, dockerfile = build, "Dockerfile"
    elif isinstance(build, dict):
        context = str(build.get("context") or ".")
        dockerfile = str(build.get("dockerfile") or "Dockerfile")
    else:
        return None
    folder = posixpath.normpath(posixpath.join(posixpath.dirname(svc.path), context))
    return folder, posixpath.normpath(posixpath.join(folder, dockerfile))


def cpu_cores(value: Any) -> float | None:
    """`500m`, `"1.5"`, `2` -> cores; None when absent or unreadable."""
    if value is None:
        return None
    text = str(value).strip().strip('"')
    try:
        return float(text[:-1]) / 1000 if text.endswith("m") else float(text)
    except ValueError:
        return None


def _split(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(w) for w in value)
    try:
        return tuple(shlex.split(str(value)))
    except ValueError:
        return tuple(str(value).split())


def _compose_workload(svc: Service, known: _Known) -> Workload:
    data = svc.data
    build = _build(svc)
    image = str(data.get("image") or "")
    entry, cmd = data.get("entrypoint"), data.get("command")
    declared = None
    if entry or cmd:
        line, column = data.key_mark("command" if cmd else "entrypoint")
        both = (_split(entry) if entry else ()) + (_split(cmd) if cmd else ())
        declared = Run(both, svc.path, line, column)
    replicas = dig(data, "deploy", "replicas")
    return Workload(
        platform="compose",
        name=svc.name,
        label=f"service `{svc.name}`",
        path=svc.path,
        mark=svc.mark,
        image=image,
        context=build[0] if build else None,
        dockerfile=build[1] if build else _named(image, known.names),
        declared=declared,
        entrypoint_declared=bool(entry),
        env=tuple(compose_env(svc)),
        env_names=_compose_env_names(svc, known.env_files),
        cpu=cpu_cores(dig(data, "deploy", "resources", "limits", "cpus") or data.get("cpus")),
        memory=_text(dig(data, "deploy", "resources", "limits", "memory") or data.get("mem_limit")),
        probes=tuple(_healthcheck_probes(svc)),
        healthcheck=_healthcheck_on(data.get("healthcheck")),
        ports=tuple(
            ("", p)
            for e in data.get("ports") or []
            if (pub := publication(e))
            for p in pub.container[:1]
        ),
        replicated=isinstance(replicas, int) and not isinstance(replicas, bool) and replicas > 1,
        runs_code=build is not None or (bool(image) and image_name(image) in known.names),
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _compose_env_names(svc: Service, envs: dict[str, frozenset[str]]) -> frozenset[str]:
    """Variables the service gets: `environment`, and `env_file` files (ALL when unseen)."""
    names = set(env_names(svc.data.get("environment")))
    env_file = svc.data.get("env_file")
    files = env_file if isinstance(env_file, list) else [env_file] if env_file else []
    for f in files:
        p = f.get("path") if isinstance(f, dict) else f
        full = posixpath.normpath(posixpath.join(posixpath.dirname(svc.path), str(p)))
        names |= envs.get(full, frozenset({ALL}))
    return frozenset(names)


def _healthcheck_on(hc: Any) -> bool:
    """A healthcheck with a test of its own that is not disabled (`disable`, `NONE`)."""
    if not isinstance(hc, dict) or hc.get("disable") is True:
        return False
    test = hc.get("test")
    if isinstance(test, list) and test and str(test[0]).upper() == "NONE":
        return False
    return test is not None


_CURL_URL = re.compile(
    r"https?://(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?::(\d+))?(/[^\s'\"]*)?"
)


def _healthcheck_probes(svc: Service) -> Iterator[Probe]:
    """The healthcheck as a probe: the local URL its test requests, when it requests one."""
    hc = svc.data.get("healthcheck")
    test = hc.get("test") if isinstance(hc, YamlMap) else None
    m = _CURL_URL.search(words(test))
    if not m or not isinstance(hc, YamlMap):
        return
    mark = hc.value_mark("test")
    if isinstance(test, YamlSeq):
        mark = test.item_mark(next((i for i, t in enumerate(test) if m.group(0) in str(t)), 0))
    port = int(m.group(1)) if m.group(1) else 80
    yield Probe("healthcheck", True, m.group(2) or "/", port, svc.path, mark)


_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")


def _k8s_workload(index: Index, obj: Obj, c: Container, known: _Known) -> Workload:
    node = c.node
    image = str(node.get("image") or "")
    command, args = node.get("command"), node.get("args")
    declared = None
    if command or args:
        line, column = node.key_mark("command" if "command" in node else "args")
        both = tuple(str(w) for w in (command or [])) + tuple(str(w) for w in (args or []))
        declared = Run(both, obj.path, line, column)
    ports = tuple(
        (str(p.get("name", "")), p["containerPort"])
        for p in node.get("ports") or []
        if isinstance(p, YamlMap) and isinstance(p.get("containerPort"), int)
    )
    dockerfile = _named(image, known.names)
    replicas = index.replicas(obj)
    return Workload(
        platform="kubernetes",
        name=c.name,
        label=c.label(),
        path=obj.path,
        mark=c.mark,
        image=image,
        context=None,
        dockerfile=dockerfile,
        declared=declared,
        entrypoint_declared=bool(command),
        env=tuple(k8s_env(obj, c)),
        env_names=_k8s_env_names(c, known.sources),
        cpu=cpu_cores(dig(node, "resources", "limits", "cpu")),
        memory=_text(dig(node, "resources", "limits", "memory")),
        probes=tuple(_k8s_probes(obj, c, dict(ports))),
        healthcheck=False,
        ports=ports,
        replicated=obj.kind == "DaemonSet"
        or index.autoscaled(obj)
        or (
            obj.kind != "Pod"
            and isinstance(replicas, int)
            and not isinstance(replicas, bool)
            and replicas > 1
        ),
        runs_code=dockerfile is not None or container_runs_code(c, known.code_images),
        init=c.init and not c.sidecar,
        batch=obj.kind in BATCH_KINDS,
        fragment=c.fragment,
    )


def _k8s_probes(obj: Obj, c: Container, ports: dict[str, int]) -> Iterator[Probe]:
    for key in _PROBES:
        probe = c.node.get(key)
        if not probe:
            continue
        get = probe.get("httpGet") if isinstance(probe, YamlMap) else None
        if not isinstance(get, YamlMap) or not isinstance(get.get("path"), str):
            http = isinstance(probe, YamlMap) and "httpGet" in probe
            yield Probe(key, http, None, None, obj.path, c.node.key_mark(key))
            continue
        port = get.get("port")
        number = port if isinstance(port, int) else ports.get(str(port)) if port else None
        if isinstance(port, str) and port.isdigit():
            number = int(port)
        yield Probe(key, True, get["path"], number, obj.path, get.value_mark("path"))


def _k8s_env_names(c: Container, sources: dict[tuple[str, str], frozenset[str]]) -> frozenset[str]:
    """Variables the container gets: `env`, and `envFrom` sources (ALL when out of sight)."""
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
    return frozenset(names)


def _only_image(
    k8s: list[Workload], images: dict[str, Image], names: dict[str, set[str]]
) -> Iterator[Workload]:
    """Match the team's containers to the one image the repository builds, when unambiguous.

    Only when the repository's one production Dockerfile is not named for some image, and
    the unmatched containers of the team's own images all run the same image: with a second
    image (a frontend built elsewhere) either could be the one built here.
    """
    built = [i.path for i in images.values() if i.production]
    candidates = [w for w in k8s if w.dockerfile is None and w.runs_code and w.image]
    named = {p for paths in names.values() for p in paths}
    only = built[0] if len(built) == 1 and built[0] not in named else None
    if only is None or len({image_name(w.image) for w in candidates}) != 1:
        yield from k8s
        return
    chosen = {id(w) for w in candidates}
    for w in k8s:
        yield replace(w, dockerfile=only) if id(w) in chosen else w
