"""docker-compose rules (CMP001..CMP013).

Kept whole (about 510 lines): both families of rules below share the service model and its
predicates.

Compose files are read as the Compose Spec reads them: `version:` is optional
(KICS skips version-less files, Checkmarx/kics#6509), `services` sits at the
top level, YAML anchors and `<<:` merge keys are already resolved by the
loader, and `${VAR}` interpolations are references, never literal values.

Two families of rules:
- "something is wrong here" (a literal secret, a published database port,
  `privileged: true`...): judged per file, reported at the offending key.
- "something is missing" (limits, healthcheck, restart policy, log rotation,
  Redis password): judged once over the repository, because production
  settings often live in an overlay (`docker-compose.prod.yml` beside
  `docker-compose.yml`, used with `-f a -f b`) and because a service built
  from a local Dockerfile may inherit that Dockerfile's HEALTHCHECK. A setting
  counts when any definition of the same service in a compose file of the
  same directory has it. A service without `image` and `build` is such an
  overlay fragment: it is never blamed for what its base file must hold. A
  service complete in two files (`image:` repeated in `compose.override.yml`)
  is one service: what it lacks is reported once, in the base file.
  `extends:` within the same file is followed one level per hop; `extends:`
  from another file is not resolved, so those services are not judged on
  missing settings (we would only guess).
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from analyzer.checks.registry import file_check, repo_check
from analyzer.core.model import FileResult, Finding
from analyzer.core.roles import is_dev_config
from analyzer.core.secretvalues import literal_secret, redact
from analyzer.facts.compose import (
    LOOPBACK,
    Service,
    as_words,
    cpu_limited,
    env_items,
    env_names,
    has_restart_policy,
    healthcheck_state,
    interpolate,
    is_truthy,
    logging_state,
    memory_limited,
    on_all_interfaces,
    one_shot,
    publication,
    services_of,
)
from analyzer.facts.images import DATASTORE_IMAGE, REDIS_IMAGE, floating_in_compose, image_name
from analyzer.parsers.dockerfile import Dockerfile
from analyzer.parsers.yamlfile import YamlFile, dig
from analyzer.parsers.yamlmarks import Mark, YamlMap, YamlSeq

DATASTORE_PORTS = {
    5432: "PostgreSQL",
    6543: "PostgreSQL pooler",
    3306: "MySQL",
    6379: "Redis",
    27017: "MongoDB",
    11211: "Memcached",
    5672: "RabbitMQ",
    9200: "Elasticsearch",
    9042: "Cassandra",
}
_REDIS_AUTH = re.compile(r"requirepass|--aclfile|\.conf\b|\busers\.acl\b", re.IGNORECASE)
_REDIS_BIND = re.compile(r"--bind\s+(.+?)(?=\s--|$)")
_REDIS_PASSWORD_ENV = re.compile(r"^REDIS_(?:PASSWORD(?:_FILE)?|ACLFILE)$", re.IGNORECASE)
_DOCKER_SOCKET = re.compile(r"(?:^|/)(?:docker|podman)\.sock$")


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Hit:
    """A finding before services that share one YAML node (anchors) are merged."""

    code: str
    service: str
    mark: Mark
    message: str
    anchor: str


# --------------------------------------------------------------------------- value helpers


# --------------------------------------------------------------------------- predicates


def redis_protected(svc: Service) -> bool:
    """Redis asks for a password, loads a config file we cannot see, or listens on loopback only.

    `requirepass`/`--aclfile` in command or entrypoint, a `*.conf` argument
    (we assume the file sets a password: it is out of sight), a
    `REDIS_PASSWORD`-style variable (bitnami images) or `REDIS_ARGS` with
    requirepass (redis-stack), or `--bind` to loopback addresses only.
    """
    data = svc.data
    text = f"{as_words(data.get('command'))} {as_words(data.get('entrypoint'))}"
    if _REDIS_AUTH.search(text):
        return True
    bind = _REDIS_BIND.search(text)
    if bind and all(LOOPBACK.match(a.strip("'\"")) for a in bind.group(1).split()):
        return True
    env = env_names(data.get("environment"))
    if any(_REDIS_PASSWORD_ENV.match(k) for k in env):
        return True
    if "requirepass" in env.get("REDIS_ARGS", ""):
        return True
    image = str(data.get("image") or "")
    return "bitnami" in image and data.get("env_file") is not None


# --------------------------------------------------------------------------- ports


# --------------------------------------------------------------------------- file rules


@file_check("compose", "CMP004", "CMP005", "CMP007", "CMP008", "CMP011", "CMP012", "CMP013")
def check_compose_file(yf: YamlFile) -> list[Finding]:
    hits: list[Hit] = []
    dev = is_dev_config(yf.path)  # a developer's stack: its passwords and tags stay local
    for svc in services_of(yf):
        if not dev:
            hits.extend(_literal_secrets(svc))
            hits.extend(_secret_defaults(svc))
            hits.extend(_image_tag(svc))
        hits.extend(_datastore_ports(svc))
        hits.extend(_privileged(svc))
        hits.extend(_docker_socket(svc))
        hits.extend(_host_network(svc))
    return merge_shared(yf.path, hits)


def _secret_blocks(svc: Service) -> Iterator[tuple[str, Any]]:
    yield "environment", svc.data.get("environment")
    build = svc.data.get("build")
    if isinstance(build, dict):
        yield "build arg", build.get("args")


def _literal_secrets(svc: Service) -> Iterator[Hit]:
    for where, block in _secret_blocks(svc):
        for key, value, mark in env_items(block):
            if isinstance(value, (dict, list)):
                continue
            secret = literal_secret(key, value)
            if secret is None:
                continue
            digest = hashlib.sha256(secret.encode()).hexdigest()
            yield Hit(
                "CMP004",
                svc.name,
                mark,
                f"{where.capitalize()} `{key}` of service `{svc.name}` holds a literal secret "
                f"({redact(secret)})",
                f"{where}[{key}]:sha256:{digest}",
            )


_DEFAULT = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?-([^}]+)\}")


def _secret_defaults(svc: Service) -> Iterator[Hit]:
    """`${DB_PASSWORD:-hunter2}`: the reference is fine, its fallback is a committed secret."""
    for where, block in _secret_blocks(svc):
        for key, value, mark in env_items(block):
            if not isinstance(value, str):
                continue
            for m in _DEFAULT.finditer(value):
                var, default = m.group(1), m.group(2)
                if "$" in default:
                    continue
                secret = literal_secret(key, default) or literal_secret(var, default)
                if secret is None:
                    continue
                digest = hashlib.sha256(secret.encode()).hexdigest()
                yield Hit(
                    "CMP013",
                    svc.name,
                    mark,
                    f"{where.capitalize()} `{key}` of service `{svc.name}` falls back to a literal "
                    f"secret when `{var}` is unset ({redact(secret)})",
                    f"{where}[{key}]:default:sha256:{digest}",
                )


def _datastore_ports(svc: Service) -> Iterator[Hit]:
    ports = svc.data.get("ports")
    if not isinstance(ports, YamlSeq):
        return
    image = image_name(str(svc.data.get("image") or ""))
    datastore = bool(DATASTORE_IMAGE.match(image))
    for i, entry in enumerate(ports):
        pub = publication(entry)
        if pub is None or not on_all_interfaces(pub):
            continue
        known = [p for p in pub.container if p in DATASTORE_PORTS]
        if not (datastore or known):
            continue
        what = f"{DATASTORE_PORTS[known[0]]} port {known[0]}" if known else f"{image} port"
        yield Hit(
            "CMP005",
            svc.name,
            ports.item_mark(i),
            f"Service `{svc.name}` publishes {what} on every host interface (`{pub.text}`)",
            f"ports[{pub.text}]",
        )


def _image_tag(svc: Service) -> Iterator[Hit]:
    image = svc.data.get("image")
    if not isinstance(image, str):
        return
    problem = floating_in_compose(image)
    if problem is None or ("build" in svc.data and _local_build_name(image, problem)):
        return
    said = "uses the `latest` tag" if problem == "latest" else "has no tag (pulls `latest`)"
    yield Hit(
        "CMP007",
        svc.name,
        svc.data.value_mark("image"),
        f"Image `{image}` of service `{svc.name}` {said}",
        f"image:{image}",
    )


def _local_build_name(image: str, problem: str) -> bool:
    """With `build:`, `image:` names the build's output; it is pulled only from a registry.

    Untagged, it is a local name. `name:latest` without a registry or namespace
    (`backend:latest`) cannot be pushed anywhere (it would be an official
    Docker Hub image), so it names the local build too; `acme/api:latest` is
    what CI pushes and hosts pull.
    """
    return problem == "untagged" or "/" not in interpolate(image)


def _privileged(svc: Service) -> Iterator[Hit]:
    if is_truthy(svc.data.get("privileged")):
        yield Hit(
            "CMP008",
            svc.name,
            svc.data.key_mark("privileged"),
            f"Service `{svc.name}` runs privileged (root on the host)",
            "privileged",
        )


def _docker_socket(svc: Service) -> Iterator[Hit]:
    volumes = svc.data.get("volumes")
    if not isinstance(volumes, YamlSeq):
        return
    for i, vol in enumerate(volumes):
        source = vol.get("source") if isinstance(vol, dict) else str(vol).split(":", 1)[0]
        if source is None:
            continue
        src = interpolate(str(source)).strip()
        if _DOCKER_SOCKET.search(src):
            yield Hit(
                "CMP011",
                svc.name,
                volumes.item_mark(i),
                f"Service `{svc.name}` mounts the Docker socket `{src}` (control of the host)",
                f"volumes[{src}]",
            )


def _host_network(svc: Service) -> Iterator[Hit]:
    mode = svc.data.get("network_mode")
    if isinstance(mode, str) and mode.strip().lower() == "host":
        yield Hit(
            "CMP012",
            svc.name,
            svc.data.value_mark("network_mode"),
            f"Service `{svc.name}` shares the host's network stack (`network_mode: host`)",
            "network_mode:host",
        )


def merge_shared(path: str, hits: Iterable[Hit]) -> list[Finding]:
    """One finding per code and place: services sharing one node (an anchor) are named together."""
    groups: dict[tuple[str, Mark], list[Hit]] = defaultdict(list)
    for hit in hits:
        groups[(hit.code, hit.mark)].append(hit)
    out: list[Finding] = []
    for (code, (line, col)), group in groups.items():
        first = group[0]
        others = sorted({h.service for h in group[1:]} - {first.service})
        message = first.message
        if others:
            names = ", ".join(f"`{n}`" for n in others)
            plural = "s" if len(others) > 1 else ""
            message += f"; the same setting is shared with service{plural} {names}"
        anchor = f"service[{first.service}]:{first.anchor}"
        out.append(Finding(code, path, message + ".", line, col, anchor=anchor))
    return out


# --------------------------------------------------------------------------- repository rules


@repo_check("CMP001", "CMP002", "CMP003", "CMP006", "CMP009", "CMP010")
def check_compose_services(results: Sequence[FileResult]) -> list[Finding]:
    files = [r for r in results if r.kind == "compose" and isinstance(r.facts, YamlFile)]
    dockerfiles = {
        posixpath.normpath(r.path): r.facts for r in results if isinstance(r.facts, Dockerfile)
    }
    by_dir: dict[str, list[list[Service]]] = defaultdict(list)
    parsed = {r.path: services_of(r.facts) for r in files}
    for r in sorted(files, key=lambda r: _overlay_rank(r.path)):
        by_dir[posixpath.dirname(r.path)].append(parsed[r.path])
    out: list[Finding] = []
    for r in files:
        if is_dev_config(r.path):
            continue  # limits, health, restarts and logs are asked of what production runs
        siblings = [s for group in by_dir[posixpath.dirname(r.path)] for s in group]
        out.extend(_missing(r.facts.path, parsed[r.path], siblings, dockerfiles))
    return out


_BASE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")


def _overlay_rank(path: str) -> tuple[int, str]:
    """Base files (`compose.yaml`, `docker-compose.yml`) first, then overlays by name."""
    return (0 if posixpath.basename(path).lower() in _BASE_NAMES else 1, path)


def _owns(svc: Service, defs: list[Service]) -> bool:
    """Whether `svc` is the definition that answers for the service's missing settings.

    Siblings are in base-first order, so the base file's complete definition
    wins; a `compose.override.yml` repeating `image:` would otherwise report
    every missing limit, healthcheck and restart policy a second time.
    """
    first = next((d for d in defs if d.judged_on_missing), None)
    return first is None or first is svc


def _missing(
    path: str, services: list[Service], siblings: list[Service], dockerfiles: dict[str, Dockerfile]
) -> list[Finding]:
    hits: list[Hit] = []
    anyone_rotates = any(logging_state(s.data) == "rotated" for s in siblings)
    for svc in services:
        defs = [s for s in siblings if s.name == svc.name] or [svc]
        hits.extend(_unrotated_logging(svc, defs))
        if not svc.judged_on_missing or not _owns(svc, defs):
            continue
        datas = [d.data for d in defs]
        shot = any(one_shot(d) for d in datas)
        hits.extend(_limits(svc, datas))
        if not shot:
            hits.extend(_healthcheck(svc, defs, dockerfiles))
            if not any(has_restart_policy(d) for d in datas):
                hits.append(_hit_at_service(svc, "CMP003", "has no restart policy", "restart"))
            if anyone_rotates and all(logging_state(d) == "absent" for d in datas):
                hits.append(
                    _hit_at_service(
                        svc,
                        "CMP009",
                        "has no `logging` block, so Docker's json-file driver keeps its logs "
                        "without a size limit, unlike the other services of this file",
                        "logging",
                    )
                )
        redis = REDIS_IMAGE.match(image_name(str(svc.data.get("image") or "")))
        if redis and not any(redis_protected(d) for d in defs):
            hits.append(
                _hit_at_service(
                    svc, "CMP006", "runs Redis without a password (`requirepass`)", "redis-auth"
                )
            )
    out = merge_shared(path, hits)
    out.extend(_no_logging_anywhere(path, services, siblings))
    return out


def _hit_at_service(svc: Service, code: str, what: str, anchor: str) -> Hit:
    return Hit(code, svc.name, svc.mark, f"Service `{svc.name}` {what}", anchor)


def _limits(svc: Service, datas: list[YamlMap]) -> Iterator[Hit]:
    missing = []
    if not any(memory_limited(d) for d in datas):
        missing.append("memory limit")
    if not any(cpu_limited(d) for d in datas):
        missing.append("CPU limit")
    if not missing:
        return
    limits = dig(svc.data, "deploy", "resources")
    has_block = isinstance(limits, YamlMap) and "limits" in limits
    mark = limits.key_mark("limits") if has_block else svc.mark
    yield Hit(
        "CMP001",
        svc.name,
        mark,
        f"Service `{svc.name}` has no {' and no '.join(missing)} "
        "(`deploy.resources.limits` or `mem_limit`/`cpus`)",
        "limits",
    )


def _healthcheck(
    svc: Service, defs: list[Service], dockerfiles: dict[str, Dockerfile]
) -> Iterator[Hit]:
    states = [healthcheck_state(d.data) for d in defs]
    if "set" in states:
        return
    if "disabled" in states:
        own = svc.data if "healthcheck" in svc.data else None
        mark = own.key_mark("healthcheck") if own is not None else svc.mark
        what = f"Service `{svc.name}` disables its healthcheck"
        yield Hit("CMP002", svc.name, mark, what, "healthcheck")
        return
    if any(image_healthcheck(d, dockerfiles) for d in defs):
        return
    what = f"Service `{svc.name}` has no healthcheck"
    yield Hit("CMP002", svc.name, svc.mark, what, "healthcheck")


def image_healthcheck(svc: Service, dockerfiles: dict[str, Dockerfile]) -> bool:
    """The service is built from a Dockerfile we scanned whose target stage has a HEALTHCHECK.

    An image pulled from a registry may have one too, but we cannot see it,
    so those services are still expected to declare theirs in compose.
    """
    build = svc.data.get("build")
    if build is None:
        return False
    if isinstance(build, dict):
        inline = build.get("dockerfile_inline")
        if isinstance(inline, str):
            return bool(re.search(r"(?im)^\s*HEALTHCHECK\s+(?!NONE\b)", inline))
        context = build.get("context") or "."
        name, target = build.get("dockerfile"), build.get("target")
    else:
        context, name, target = build, None, None
    context = str(context)
    if "://" in context or context.startswith("git@"):
        return False
    base = posixpath.dirname(svc.path)
    df_path = posixpath.normpath(posixpath.join(base, context, str(name or "Dockerfile")))
    df = dockerfiles.get(df_path)
    if df is None or not df.stages:
        return False
    stage = df.stage_named(str(target)) if target is not None else df.final_stage
    for st in df.lineage(stage or df.final_stage):
        checks = st.of("HEALTHCHECK")
        if checks:
            return checks[-1].body.strip().upper() != "NONE"
    return False


def _unrotated_logging(svc: Service, defs: list[Service]) -> Iterator[Hit]:
    if logging_state(svc.data) != "unrotated":
        return
    if any(logging_state(d.data) == "rotated" for d in defs):
        return
    yield Hit(
        "CMP009",
        svc.name,
        svc.data.key_mark("logging"),
        f"Service `{svc.name}` logs with the json-file driver without `max-size`, "
        "so its log file grows without bound",
        "logging",
    )


def _no_logging_anywhere(
    path: str, services: list[Service], siblings: list[Service]
) -> list[Finding]:
    judged = [
        s
        for s in services
        if s.judged_on_missing
        and not one_shot(s.data)
        and _owns(s, [d for d in siblings if d.name == s.name])
    ]
    if not judged or any(logging_state(s.data) != "absent" for s in siblings):
        return []
    line, col = judged[0].services_mark
    return [
        Finding(
            "CMP010",
            path,
            f"No service of this file configures logging: {_count(len(judged))} on Docker's "
            "default json-file driver, which keeps logs without a size limit unless the "
            "daemon sets one.",
            line,
            col,
            anchor="services:logging",
        )
    ]


def _count(n: int) -> str:
    return "its service relies" if n == 1 else f"its {n} services rely"
