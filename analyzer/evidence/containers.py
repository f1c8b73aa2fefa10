"""Evidence in Dockerfiles and compose files, and in the commands and environment of any container.

Commands and environment variables are read from Kubernetes containers,
compose services and Dockerfiles alike (`RepoView.commands`, `RepoView.env`,
analyzer.facts.declared): a `--workers 4` or an `OTEL_TRACES_SAMPLER` counts
wherever the team put it, and an image's command and ENV are read across its
FROM chain as Docker resolves them. Values are only ever quoted for settings
that cannot hold a secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from analyzer.core.model import SCOPE, Evidence
from analyzer.evidence.core import detector
from analyzer.facts.compose import cpu_limited, memory_limited, one_shot
from analyzer.facts.dockerfile import chain, healthcheck
from analyzer.facts.images import image_name
from analyzer.facts.repo import RepoView
from analyzer.parsers.yamlfile import dig

_WORKERS = re.compile(r"(?:^|\s)(?:--workers|-w)(?:=|\s+)(\S+)")
_LOG_DRIVERS = frozenset(
    {"fluentd", "gelf", "awslogs", "splunk", "syslog", "gcplogs", "loki", "journald", "logentries",
     "etwlogs"}
)  # fmt: skip
_PROXY_IMAGES = frozenset({"traefik", "nginx", "haproxy", "caddy", "envoy", "nginx-unprivileged"})
_MONITOR_IMAGES = frozenset(
    {"cadvisor", "node-exporter", "prometheus", "netdata", "agent", "kube-state-metrics"}
)
_LOG_SHIPPER_IMAGES = frozenset(
    {"fluent-bit", "fluentd", "promtail", "vector", "filebeat", "logstash", "alloy"}
)
_BACKUP_IMAGE = re.compile(r"backup|pgbackrest|wal-g|barman|restic")
_DEBUG = frozenset({"debug", "trace", "notset"})
_LEVEL_NAMES = re.compile(
    r"^(LOG_LEVEL|LOGLEVEL|LOGGING_LEVEL|UVICORN_LOG_LEVEL|GUNICORN_LOG_LEVEL)$"
)
_APM_ENV = {
    "DD_AGENT_HOST": "Datadog APM",
    "DD_TRACE_ENABLED": "Datadog APM",
    "NEW_RELIC_APP_NAME": "New Relic APM",
    "ELASTIC_APM_SERVER_URL": "Elastic APM",
    "ELASTIC_APM_SERVICE_NAME": "Elastic APM",
}
_OTEL_ENDPOINT = re.compile(
    r"^OTEL_(EXPORTER_OTLP(_TRACES)?_ENDPOINT|TRACES_EXPORTER|SERVICE_NAME)$"
)


def _judged(repo: RepoView) -> list[Any]:
    """Long-running compose services defined in full (one-shot jobs and overlays left out)."""
    return [s for s in repo.compose_services if s.judged_on_missing and not one_shot(s.data)]


# --------------------------------------------------------------------------- Dockerfile


@detector("HA-4", "SECRETS-4", "SECRETS-2")
def dockerfile_evidence(repo: RepoView) -> Iterator[Evidence]:
    for r in repo.of_kind("dockerfile"):
        df = r.facts
        if df.development_only:
            continue
        check = healthcheck(df)
        if check is not None:
            yield Evidence("HA-4", f"`HEALTHCHECK` in `{r.path}`", r.path, check.line)
        users = [i for i in chain(df) if i.keyword == "USER"]
        if users:
            user = users[-1].body.strip().split(":")[0]
            if user and user not in ("root", "0") and "$" not in user:
                yield Evidence(
                    "SECRETS-4", f"the image runs as non-root user `{user}`", r.path, users[-1].line
                )
        for ins in df.instructions:
            if ins.keyword == "RUN" and any(
                f.startswith("--mount=") and "type=secret" in f for f in ins.flags
            ):
                yield Evidence(
                    "SECRETS-2",
                    "build secrets are mounted (`RUN --mount=type=secret`), not baked into the image",
                    r.path,
                    ins.line,
                )
                break


# --------------------------------------------------------------------------- compose


@detector("RES-1", "HA-4", "HA-5", "HA-1", "LOG-4", "LOG-3", "SECRETS-2")
def compose_services(repo: RepoView) -> Iterator[Evidence]:
    services = _judged(repo)
    if services and all(memory_limited(s.data) and cpu_limited(s.data) for s in services):
        yield Evidence(
            "RES-1",
            f"CPU and memory limits on every compose service ({len(services)})",
            services[0].path,
            services[0].mark[0],
        )
    if services and all(_rotated(s.data) for s in services):
        yield Evidence(
            "LOG-4",
            f"logs rotated (`max-size`, `max-file`) on every compose service ({len(services)})",
            services[0].path,
            services[0].mark[0],
        )
    for s in services:
        data = s.data
        health = data.get("healthcheck")
        if isinstance(health, dict) and health.get("disable") is not True and health.get("test"):
            yield Evidence(
                "HA-4",
                f"`healthcheck` on compose service {s.name}",
                s.path,
                data.key_mark("healthcheck")[0],
            )
        restart = data.get("restart") or dig(data, "deploy", "restart_policy", "condition")
        if isinstance(restart, str) and restart in (
            "always",
            "unless-stopped",
            "on-failure",
            "any",
        ):
            key = "restart" if "restart" in data else "deploy"
            yield Evidence(
                "HA-5",
                f"compose service {s.name} restarts on failure (`{restart}`)",
                s.path,
                data.key_mark(key)[0],
            )
        replicas = dig(data, "deploy", "replicas")
        if isinstance(replicas, int) and not isinstance(replicas, bool) and replicas >= 2:
            yield Evidence(
                "HA-1",
                f"compose service {s.name} runs {replicas} replicas",
                s.path,
                data.key_mark("deploy")[0],
            )
        driver = dig(data, "logging", "driver")
        if isinstance(driver, str) and driver in _LOG_DRIVERS:
            yield Evidence(
                "LOG-3",
                f"compose service {s.name} ships logs with the `{driver}` driver",
                s.path,
                data.key_mark("logging")[0],
            )
        if isinstance(data.get("secrets"), list) and data["secrets"]:
            yield Evidence(
                "SECRETS-2",
                f"compose service {s.name} gets credentials as compose `secrets`",
                s.path,
                data.key_mark("secrets")[0],
            )


def _rotated(data: Any) -> bool:
    logging = data.get("logging")
    if not isinstance(logging, dict):
        return False
    driver = logging.get("driver", "json-file")
    options = logging.get("options")
    if driver in ("json-file", "local"):
        return driver == "local" or (isinstance(options, dict) and bool(options.get("max-size")))
    return bool(driver != "none")


@detector("ARCH-2", "RES-2", "LOG-3", "DB-4", "BACKUP-1")
def compose_support_services(repo: RepoView) -> Iterator[Evidence]:
    for s in repo.compose_services:
        image = str(s.data.get("image", ""))
        name = image_name(image) if image else ""
        where = s.data.key_mark("image")[0] if image else s.mark[0]
        if name in _PROXY_IMAGES:
            yield Evidence(
                "ARCH-2",
                f"compose service {s.name} (`{name}`) proxies and balances traffic",
                s.path,
                where,
            )
        if name in _MONITOR_IMAGES and (name != "agent" or "datadog" in image):
            yield Evidence(
                "RES-2",
                f"resource monitoring: compose service {s.name} runs `{name}`",
                s.path,
                where,
            )
        if name in _LOG_SHIPPER_IMAGES:
            yield Evidence(
                "LOG-3", f"log shipper: compose service {s.name} runs `{name}`", s.path, where
            )
        if image and _BACKUP_IMAGE.search(name):
            yield Evidence(
                "DB-4", f"backup service: compose service {s.name} runs `{name}`", s.path, where
            )
            yield Evidence(
                "BACKUP-1", f"backup service: compose service {s.name} runs `{name}`", s.path, where
            )


# --------------------------------------------------------------------------- any container


@detector("BACKEND-5")
def worker_count(repo: RepoView) -> Iterator[Evidence]:
    for c in repo.commands:
        m = _WORKERS.search(c.text)
        if m and re.search(r"\b(uvicorn|gunicorn|hypercorn|granian|fastapi)\b", c.text):
            yield Evidence(
                "BACKEND-5",
                f"{c.owner} sets the server's worker count (`{m.group(0).strip()}`)",
                c.path,
                c.line,
            )
    for e in repo.env:
        if e.name == "WEB_CONCURRENCY" and e.value.strip():
            yield Evidence("BACKEND-5", f"{e.owner} sets `WEB_CONCURRENCY`", e.path, e.line)
        elif e.name == "GUNICORN_CMD_ARGS" and _WORKERS.search(" " + e.value):
            yield Evidence(
                "BACKEND-5",
                f"{e.owner} sets the Gunicorn worker count in `GUNICORN_CMD_ARGS`",
                e.path,
                e.line,
            )


@detector("LOG-2", "TRACE-1", "TRACE-4", "TRACE-5")
def environment(repo: RepoView) -> Iterator[Evidence]:
    for e in repo.env:
        value = e.value.strip().lower()
        if _LEVEL_NAMES.match(e.name) and value and "$" not in value and value not in _DEBUG:
            yield Evidence("LOG-2", f"{e.owner} sets `{e.name}={value}`", e.path, e.line)
        elif _OTEL_ENDPOINT.match(e.name) and value:
            yield Evidence(
                "TRACE-1", f"{e.owner} configures OpenTelemetry (`{e.name}`)", e.path, e.line
            )
        elif e.name in ("OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG", "DD_TRACE_SAMPLE_RATE"):
            yield Evidence("TRACE-4", f"{e.owner} sets trace sampling (`{e.name}`)", e.path, e.line)
        elif e.name in _APM_ENV:
            yield Evidence(
                "TRACE-5", f"{_APM_ENV[e.name]}: {e.owner} sets `{e.name}`", e.path, e.line
            )
    for c in repo.commands:
        m = re.search(r"--log-level(?:=|\s+)(\w+)", c.text)
        if m and m.group(1).lower() not in _DEBUG:
            yield Evidence(
                "LOG-2", f"{c.owner} runs with `--log-level {m.group(1)}`", c.path, c.line
            )
        for tool, what in (
            ("ddtrace-run", "Datadog APM"),
            ("newrelic-admin", "New Relic APM"),
            ("opentelemetry-instrument", "OpenTelemetry"),
        ):
            if re.search(rf"(^|[\s/]){re.escape(tool)}\b", c.text):
                item = "TRACE-1" if tool == "opentelemetry-instrument" else "TRACE-5"
                yield Evidence(item, f"{what}: {c.owner} starts under `{tool}`", c.path, c.line)


_DATABASE_IMAGES = frozenset(
    {"postgres", "postgis", "timescaledb", "timescaledb-ha", "mysql", "mariadb", "mongo",
     "mongodb-community-server", "cockroach", "supabase-postgres", "clickhouse-server", "pgvector"}
)  # fmt: skip


@detector()
def database_service_scope(repo: RepoView) -> Iterator[Evidence]:
    """A database image run by compose means the application has a database."""
    for s in repo.compose_services:
        image = str(s.data.get("image", ""))
        if image and image_name(image) in _DATABASE_IMAGES:
            yield Evidence(
                SCOPE + "database",
                f"compose service {s.name} runs `{image_name(image)}`",
                s.path,
                s.data.key_mark("image")[0],
            )
            return
