"""Commands and environment variables as each manifest and Dockerfile declares them.

Detectors that look for a `--workers 4` or an `OTEL_TRACES_SAMPLER` count it wherever the team
put it: a Kubernetes container, a compose service, or the image a Dockerfile builds (its
ENTRYPOINT and CMD as Docker resolves them across the FROM chain, and the ENV it inherits).
The container view (analyzer.facts.workloads) builds its records from the same functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from analyzer.core.model import FileResult
from analyzer.facts import dockerfile as image_facts
from analyzer.facts.compose import Service, env_items
from analyzer.facts.kubernetes import Container, Index, Obj, containers


@dataclass(frozen=True)
class Command:
    """A command line a container runs, wherever it is declared."""

    owner: str  # `Deployment api`, `compose service worker`, `the image`
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


def k8s_command(obj: Obj, c: Container) -> Command | None:
    text = " ".join(filter(None, (words(c.node.get("command")), words(c.node.get("args")))))
    if not text:
        return None
    key = "command" if "command" in c.node else "args"
    return Command(f"{obj.kind} {obj.name}", text, obj.path, c.node.key_mark(key)[0])


def compose_command(svc: Service) -> Command | None:
    text = " ".join(
        filter(None, (words(svc.data.get("entrypoint")), words(svc.data.get("command"))))
    )
    if not text:
        return None
    key = "command" if "command" in svc.data else "entrypoint"
    return Command(f"compose service {svc.name}", text, svc.path, svc.data.key_mark(key)[0])


def image_commands(r: FileResult) -> list[Command]:
    return [
        Command("the image", " ".join(ins.words()), r.path, ins.line)
        for ins in image_facts.command(r.facts).instructions
    ]


def k8s_env(obj: Obj, c: Container) -> list[EnvSetting]:
    out: list[EnvSetting] = []
    env = c.node.get("env")
    for item in env if isinstance(env, list) else []:
        if isinstance(item, dict) and "name" in item:
            line = item.key_mark("name")[0] if hasattr(item, "key_mark") else None
            value = item.get("value")
            owner = f"{obj.kind} {obj.name}"
            text = "" if value is None else str(value)
            out.append(EnvSetting(owner, str(item["name"]), text, obj.path, line))
    return out


def compose_env(svc: Service) -> list[EnvSetting]:
    owner = f"compose service {svc.name}"
    return [
        EnvSetting(owner, name, "" if value is None else str(value), svc.path, mark[0])
        for name, value, mark in env_items(svc.data.get("environment"))
    ]


def image_env(r: FileResult) -> list[EnvSetting]:
    return [
        EnvSetting("the image", name, value, r.path, ins.line)
        for ins, name, value in image_facts.env(r.facts)
    ]


def commands(
    k8s: Index, services: Sequence[Service], dockerfiles: Sequence[FileResult]
) -> list[Command]:
    """Container commands of Kubernetes workloads, compose services and Dockerfiles."""
    out = [cmd for obj in k8s.objects for c in containers(obj) if (cmd := k8s_command(obj, c))]
    out += [cmd for svc in services if (cmd := compose_command(svc))]
    return out + [cmd for r in dockerfiles for cmd in image_commands(r)]


def env_settings(
    k8s: Index, services: Sequence[Service], dockerfiles: Sequence[FileResult]
) -> list[EnvSetting]:
    """Environment variables set by Kubernetes containers, compose services and Dockerfiles."""
    out: list[EnvSetting] = []
    for obj in k8s.objects:
        for c in containers(obj):
            out += k8s_env(obj, c)
        if obj.kind == "ConfigMap" and isinstance(obj.node.get("data"), dict):
            data = obj.node["data"]
            for key, value in data.items():
                line = data.key_mark(key)[0] if hasattr(data, "key_mark") else None
                out.append(
                    EnvSetting(f"ConfigMap {obj.name}", str(key), str(value), obj.path, line)
                )
    for svc in services:
        out += compose_env(svc)
    return out + [e for r in dockerfiles for e in image_env(r)]
