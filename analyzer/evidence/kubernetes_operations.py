"""Evidence in Kubernetes manifests of running the service: monitoring, alerts, jobs, delivery.

Monitoring and log-shipping stacks, alert rules (PrometheusRule objects and rule
files), scheduled jobs that back up or clean up, and how releases are rolled out.
Workloads are read with the helpers of analyzer.evidence.kubernetes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from analyzer.core.model import Evidence
from analyzer.evidence.core import detector, name_of
from analyzer.evidence.kubernetes import evidence_at, key_line, template_metadata, workload_objects
from analyzer.facts.kubernetes import containers
from analyzer.facts.repo import RepoView
from analyzer.parsers.yamlfile import dig
from analyzer.parsers.yamlmarks import YamlMap

_CHAOS_KINDS = frozenset(
    {"ChaosEngine", "ChaosExperiment", "PodChaos", "NetworkChaos", "StressChaos", "IOChaos",
     "TimeChaos", "HTTPChaos", "Workflow"}
)  # fmt: skip
_LOG_SHIPPER = re.compile(
    r"(?:^|/)(fluent-bit|fluentbit|fluentd|promtail|vector|filebeat|datadog/agent|agent|"
    r"opentelemetry-collector(-contrib)?|otel/opentelemetry-collector[\w-]*|grafana/alloy|alloy|"
    r"splunk/fluentd-hec|logstash)(?::|@|$)",
    re.IGNORECASE,
)
_RESOURCE_MONITOR = re.compile(
    r"(?:^|/)(node-exporter|kube-state-metrics|cadvisor|metrics-server|prometheus|"
    r"datadog/agent|newrelic-infrastructure|netdata)(?::|@|$)",
    re.IGNORECASE,
)
_BACKUP = re.compile(
    r"\b(pg_dump|pg_dumpall|pg_basebackup|wal-g|pgbackrest|barman|mysqldump|mariadb-dump|"
    r"mongodump|restic|borg|velero|supabase\s+db\s+dump|redis-cli\s+--rdb)\b"
)
_INCREMENTAL = re.compile(r"\b(wal-g|pgbackrest|barman|restic|borg|pg_receivewal|--incremental)\b")
_RETENTION = re.compile(r"--keep-\w+|\bretention\b|\bprune\b|-mtime\s+\+\d+|\bdelete\s+--before\b")
_VERIFY = re.compile(
    r"\b(pg_restore|restic\s+check|pgbackrest\b[^|;&]*\bverify|backup-verify|borg\s+check)\b"
)
_CLEANUP = re.compile(r"clean|purge|prune|expire|retention|garbage|\bgc\b|vacuum|housekeep")


# --------------------------------------------------------------------------- observability


@detector("METRICS-1", "METRICS-2", "RES-2", "LOG-3")
def monitoring_stack(repo: RepoView) -> Iterator[Evidence]:
    for obj in repo.k8s.of_kind("ServiceMonitor", "PodMonitor"):
        yield evidence_at(
            "METRICS-1", f"{obj.kind} {obj.name} scrapes Prometheus metrics", obj, "kind"
        )
    for obj in workload_objects(repo):
        annotations = dig(obj.node, *template_metadata(obj), "annotations")
        if (
            isinstance(annotations, dict)
            and str(annotations.get("prometheus.io/scrape")).lower() == "true"
        ):
            yield evidence_at(
                "METRICS-1",
                f"{obj.kind} {obj.name} is scraped by Prometheus (`prometheus.io/scrape`)",
                obj,
                "spec",
            )
    for obj in repo.k8s.of_kind("GrafanaDashboard"):
        yield evidence_at("METRICS-2", f"GrafanaDashboard {obj.name}", obj, "kind")
    for obj in repo.k8s.of_kind("ConfigMap"):
        labels = dig(obj.node, "metadata", "labels")
        if isinstance(labels, dict) and "grafana_dashboard" in labels:
            yield evidence_at(
                "METRICS-2", f"Grafana dashboard ConfigMap {obj.name}", obj, "metadata", "labels"
            )
    for obj in workload_objects(repo):
        for c in containers(obj):
            image = str(c.node.get("image", ""))
            if _RESOURCE_MONITOR.search(image):
                yield Evidence(
                    "RES-2",
                    f"resource monitoring: {obj.kind} {obj.name} runs `{image}`",
                    obj.path,
                    c.mark[0],
                )
            if obj.kind == "DaemonSet" and _LOG_SHIPPER.search(image):
                yield Evidence(
                    "LOG-3", f"log shipper DaemonSet {obj.name} runs `{image}`", obj.path, c.mark[0]
                )


def _alerts(groups: Any) -> list[YamlMap]:
    """The alerting rules of a Prometheus `groups:` list (recording rules left out)."""
    return [
        r
        for g in (groups if isinstance(groups, list) else [])
        if isinstance(g, dict)
        for r in g.get("rules") or []
        if isinstance(r, YamlMap) and r.get("alert")
    ]


def _rule_sources(repo: RepoView) -> Iterator[tuple[str, str, int, list[YamlMap]]]:
    """(what, path, line, alerts) for PrometheusRule objects and plain Prometheus rule files.

    A rule file (`rule_files:` of prometheus.yml, mounted into Prometheus) is
    plain YAML whose top level is `groups:`, each with `rules:`; only files
    with at least one `alert:` count.
    """
    for obj in repo.k8s.of_kind("PrometheusRule"):
        alerts = _alerts(dig(obj.node, "spec", "groups"))
        if alerts:
            yield f"PrometheusRule {obj.name}", obj.path, key_line(obj, "spec", "groups"), alerts
    for r in repo.of_kind("yaml"):
        for _, doc in r.facts.mappings():
            alerts = _alerts(doc.get("groups"))
            if alerts:
                yield f"rule file {name_of(r.path)}", r.path, doc.key_mark("groups")[0], alerts


@detector("METRICS-4", "RES-3", "ALERT-1", "ALERT-4", "DOCOPS-4", "LOG-5")
def alert_rules(repo: RepoView) -> Iterator[Evidence]:
    for what, path, line, alerts in _rule_sources(repo):
        yield Evidence("METRICS-4", f"{what} defines {len(alerts)} alert(s)", path, line)
        for r in alerts:
            expr = str(r.get("expr", "")).lower()
            where = r.key_mark("alert")[0]
            name = str(r["alert"])
            if re.search(r"cpu|memory|oom|disk|filesystem|throttl", expr):
                yield Evidence("RES-3", f"alert {name} on resource usage", path, where)
            if str(dig(r, "labels", "severity")).lower() in ("critical", "page", "p1"):
                yield Evidence("ALERT-1", f"critical alert {name}", path, where)
            if "predict_linear" in expr or "holt_winters" in expr or "double_exponential" in expr:
                yield Evidence(
                    "ALERT-4", f"predictive alert {name} (`predict_linear`)", path, where
                )
            if dig(r, "annotations", "runbook_url"):
                yield Evidence(
                    "DOCOPS-4", f"alert {name} links its runbook (`runbook_url`)", path, where
                )
            if "rate(log" in expr.replace(" ", "") or "count_over_time({" in expr.replace(" ", ""):
                yield Evidence("LOG-5", f"log-based alert {name}", path, where)


# --------------------------------------------------------------------------- operations


@detector("DB-4", "BACKUP-1", "BACKUP-2", "BACKUP-3", "BACKUP-4", "MAINT-4")
def scheduled_jobs(repo: RepoView) -> Iterator[Evidence]:
    for job in repo.k8s.workloads("CronJob"):
        text = " ".join(
            c.text for c in repo.commands if c.path == job.path and c.owner == f"CronJob {job.name}"
        )
        line = key_line(job, "spec", "schedule")
        found = _BACKUP.search(text)
        if found:
            what = f"CronJob {job.name} backs up with `{found.group(1)}`"
            yield Evidence("DB-4", what, job.path, line)
            yield Evidence("BACKUP-1", what, job.path, line)
            inc = _INCREMENTAL.search(text)
            if inc:
                yield Evidence(
                    "BACKUP-2",
                    f"CronJob {job.name} backs up incrementally (`{inc.group(1)}`)",
                    job.path,
                    line,
                )
            if _RETENTION.search(text):
                yield Evidence("BACKUP-3", f"CronJob {job.name} prunes old backups", job.path, line)
        verify = _VERIFY.search(text)
        if verify:
            yield Evidence(
                "BACKUP-4",
                f"CronJob {job.name} test-restores backups (`{verify.group(1)}`)",
                job.path,
                line,
            )
        if _CLEANUP.search(job.name.lower()):
            yield Evidence("MAINT-4", f"scheduled clean-up: CronJob {job.name}", job.path, line)
    for obj in repo.k8s.of_kind("ScheduledBackup", "Schedule"):
        api = str(obj.node.get("apiVersion", ""))
        if "cnpg.io" in api or "velero.io" in api:
            tool = "CloudNativePG" if "cnpg" in api else "Velero"
            yield evidence_at("DB-4", f"{tool} {obj.kind} {obj.name}", obj, "spec")
            yield evidence_at("BACKUP-1", f"{tool} {obj.kind} {obj.name}", obj, "spec")
            if dig(obj.node, "spec", "template", "ttl"):
                yield evidence_at(
                    "BACKUP-3", f"Velero Schedule {obj.name} expires backups (`ttl`)", obj, "spec"
                )
    for obj in repo.k8s.of_kind("Cluster"):
        backup = dig(obj.node, "spec", "backup")
        if "cnpg.io" in str(obj.node.get("apiVersion", "")) and isinstance(backup, dict):
            if backup.get("barmanObjectStore"):
                yield evidence_at(
                    "BACKUP-2",
                    f"CloudNativePG Cluster {obj.name} archives WAL continuously",
                    obj,
                    "spec",
                    "backup",
                )
            if backup.get("retentionPolicy"):
                yield evidence_at(
                    "BACKUP-3",
                    f"CloudNativePG Cluster {obj.name} keeps backups for {backup['retentionPolicy']}",
                    obj,
                    "spec",
                    "backup",
                )


@detector("DEPLOY-1", "DEPLOY-2", "DEPLOY-3", "TEST-2")
def delivery(repo: RepoView) -> Iterator[Evidence]:
    for obj in repo.k8s.objects:
        api = str(obj.node.get("apiVersion", ""))
        if obj.kind == "Application" and "argoproj.io" in api:
            auto = dig(obj.node, "spec", "syncPolicy", "automated") is not None
            yield evidence_at(
                "DEPLOY-1",
                f"Argo CD Application {obj.name}" + (" syncs automatically" if auto else ""),
                obj,
                "kind",
            )
        elif obj.kind in ("Kustomization", "HelmRelease") and "fluxcd.io" in api:
            yield evidence_at(
                "DEPLOY-1", f"Flux {obj.kind} {obj.name} deploys from git", obj, "kind"
            )
        elif obj.kind == "Rollout" and "argoproj.io" in api:
            strategy = dig(obj.node, "spec", "strategy")
            for name in ("canary", "blueGreen"):
                if isinstance(strategy, dict) and name in strategy:
                    yield evidence_at(
                        "DEPLOY-2",
                        f"Argo Rollout {obj.name} deploys {name}",
                        obj,
                        "spec",
                        "strategy",
                    )
                    if "analysis" in str(strategy[name]).lower():
                        yield evidence_at(
                            "DEPLOY-3",
                            f"Argo Rollout {obj.name} aborts and rolls back on failed analysis",
                            obj,
                            "spec",
                            "strategy",
                        )
        elif obj.kind == "Canary" and "flagger" in api:
            yield evidence_at("DEPLOY-2", f"Flagger Canary {obj.name}", obj, "kind")
            yield evidence_at(
                "DEPLOY-3", f"Flagger Canary {obj.name} rolls back on failed checks", obj, "kind"
            )
        elif obj.kind in _CHAOS_KINDS and ("chaos-mesh" in api or "litmuschaos" in api):
            yield evidence_at("TEST-2", f"chaos experiment {obj.kind} {obj.name}", obj, "kind")
