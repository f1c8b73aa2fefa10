"""Which containers run the team's own code, and which run a third-party image.

Rules that compare the code with the containers (a variable the code needs, the proxy in
front of the app) only ask the containers that run it: not the Redis, the nginx or the
Prometheus beside them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from analyzer.core.model import FileResult
from analyzer.facts.compose import Service, services_of
from analyzer.facts.images import image_name
from analyzer.facts.kubernetes import Container, Obj, objects_of
from analyzer.parsers.yamlfile import YamlFile

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
