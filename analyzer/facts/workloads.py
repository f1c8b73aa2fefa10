"""What the containers of the repository run and are given, wherever that is declared.

Kubernetes workloads, compose services and Dockerfiles each say part of it; the
detectors and rules that ask "which command runs here" or "which variables does it get"
read these lists instead of walking each kind on their own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from analyzer.core.model import FileResult
from analyzer.facts.compose import Service, env_items, services_of
from analyzer.facts.images import image_name
from analyzer.facts.kubernetes import Container, Index, Obj, containers, objects_of
from analyzer.parsers.dockerfile import env_pairs
from analyzer.parsers.yamlfile import YamlFile


@dataclass(frozen=True)
class Command:
    """A command line a container runs, wherever it is declared."""

    owner: str  # `Deployment api`, `compose service worker`, `Dockerfile`
    text: str
    path: str
    line: int | None


@dataclass(frozen=True)
class EnvSetting:
    """An environment variable a container gets; `value` is only read for non-secret names."""

    owner: str
    name: str
    value: str
    path: str
    line: int | None


def words(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return "" if value is None else str(value)


def commands(
    k8s: Index, services: Sequence[Service], dockerfiles: Sequence[FileResult]
) -> list[Command]:
    """Container commands of Kubernetes workloads, compose services and Dockerfiles."""
    out: list[Command] = []
    for obj in k8s.objects:
        for c in containers(obj):
            text = " ".join(filter(None, (words(c.node.get("command")), words(c.node.get("args")))))
            if text:
                key = "command" if "command" in c.node else "args"
                out.append(
                    Command(f"{obj.kind} {obj.name}", text, obj.path, c.node.key_mark(key)[0])
                )
    for svc in services:
        text = " ".join(
            filter(None, (words(svc.data.get("entrypoint")), words(svc.data.get("command"))))
        )
        if text:
            key = "command" if "command" in svc.data else "entrypoint"
            line = svc.data.key_mark(key)[0]
            out.append(Command(f"compose service {svc.name}", text, svc.path, line))
    for r in dockerfiles:
        for ins in r.facts.shipped_stage.of("CMD", "ENTRYPOINT"):
            out.append(Command("the image", " ".join(ins.words()), r.path, ins.line))
    return out


def env_settings(
    k8s: Index, services: Sequence[Service], dockerfiles: Sequence[FileResult]
) -> list[EnvSetting]:
    """Environment variables set by Kubernetes containers, compose services and Dockerfiles."""
    out: list[EnvSetting] = []
    for obj in k8s.objects:
        for c in containers(obj):
            env = c.node.get("env")
            for item in env if isinstance(env, list) else []:
                if isinstance(item, dict) and "name" in item:
                    line = item.key_mark("name")[0] if hasattr(item, "key_mark") else None
                    value = item.get("value")
                    out.append(
                        EnvSetting(
                            f"{obj.kind} {obj.name}",
                            str(item["name"]),
                            "" if value is None else str(value),
                            obj.path,
                            line,
                        )
                    )
        if obj.kind == "ConfigMap" and isinstance(obj.node.get("data"), dict):
            data = obj.node["data"]
            for key, value in data.items():
                line = data.key_mark(key)[0] if hasattr(data, "key_mark") else None
                out.append(
                    EnvSetting(f"ConfigMap {obj.name}", str(key), str(value), obj.path, line)
                )
    for svc in services:
        for name, value, mark in env_items(svc.data.get("environment")):
            owner = f"compose service {svc.name}"
            out.append(
                EnvSetting(owner, name, "" if value is None else str(value), svc.path, mark[0])
            )
    for r in dockerfiles:
        for ins in r.facts.shipped_stage.of("ENV"):
            for name, value, _ in env_pairs(ins):
                out.append(EnvSetting("the image", name, value, r.path, ins.line))
    return out


_THIRD_PARTY = re.compile(
    r"^(?:nginx|traefik|envoy|haproxy|caddy|busybox|alpine|ubuntu|debian|curl|postgres(?:ql)?|"
    r"postgis|mysql|mariadb|redis|valkey|keydb|mongo|memcached|rabbitmq|elasticsearch|"
    r"opensearch|minio|prometheus|grafana|alertmanager|node-exporter|jaeger.*|otel.*|"
    r"opentelemetry-collector.*|loki|promtail|fluent.*|vector|pgbouncer|adminer|pgadmin4|"
    r"mailhog|mailpit|localstack|kong|gotrue|postgrest|realtime|storage-api|studio|"
    r"cloudflared|certbot|redis-exporter|postgres-exporter|supabase/.*)$",
    re.I,
)

_CODE_COMMAND = re.compile(r"\b(?:uvicorn|gunicorn|hypercorn|celery|rq|arq|dramatiq|python3?)\b")


def built_images(results: Sequence[FileResult]) -> set[str]:
    """Images built from the repository's Dockerfiles by compose (`build:` with `image:`)."""
    out = set()
    for r in results:
        if r.kind == "compose" and isinstance(r.facts, YamlFile):
            for svc in services_of(r.facts):
                if "build" in svc.data and svc.data.get("image"):
                    out.add(image_name(str(svc.data["image"])))
    return out


def service_runs_code(svc: Service, code_images: set[str]) -> bool:
    if "build" in svc.data:
        return True
    image = str(svc.data.get("image") or "")
    return bool(image) and image_name(image) in code_images


def container_runs_code(c: Container, code_images: set[str]) -> bool:
    image = str(c.node.get("image") or "")
    if image and image_name(image) in code_images:
        return True
    command = " ".join(str(w) for key in ("command", "args") for w in c.node.get(key) or [])
    if _CODE_COMMAND.search(command):
        return True
    # An image of the team's own registry path (`ghcr.io/acme/api`), not a public one.
    vendor = re.search(r"(?:^|/)(?:bitnami|library|prom|grafana|otel|jaegertracing|"
                       r"curlimages|supabase|minio|hashicorp)/", image)  # fmt: skip
    return "/" in image and not vendor and not _THIRD_PARTY.match(image_name(image))


def kubernetes_objects(results: Sequence[FileResult]) -> list[Obj]:
    return [
        o
        for r in results
        if r.kind == "kubernetes" and isinstance(r.facts, YamlFile)
        for o in objects_of(r.path, r.facts)
    ]
