"""Evidence in Kubernetes manifests: probes, limits, replicas, autoscalers, secrets, alerts.

Per-workload evidence names the workload and the line of the key that proves
it; "on every container" evidence is only given when no complete container
of the repository lacks the setting, since one container without limits
makes the item false for the deployment as a whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from analyzer.core.model import Evidence
from analyzer.core.vocabulary import SECURITY_HEADERS
from analyzer.evidence.core import detector, name_of
from analyzer.facts.kubernetes import (
    Obj,
    containers,
    pod_labels,
    pod_spec,
    same_namespace,
    selector_matches,
)
from analyzer.facts.repo import RepoView
from analyzer.parsers.yamlfile import dig
from analyzer.parsers.yamlmarks import YamlMap

_WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Rollout")
_SCALED = ("Deployment", "StatefulSet", "Rollout")
_ZONE_KEYS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")
_SECRET_MANAGER_KINDS = {
    "ExternalSecret": "External Secrets Operator",
    "SecretStore": "External Secrets Operator",
    "ClusterSecretStore": "External Secrets Operator",
    "SealedSecret": "Sealed Secrets",
    "SecretProviderClass": "Secrets Store CSI driver",
    "VaultStaticSecret": "Vault Secrets Operator",
    "VaultDynamicSecret": "Vault Secrets Operator",
    "InfisicalSecret": "Infisical",
    "OnePasswordItem": "1Password operator",
}
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
_RATE_ANNOTATIONS = (
    "nginx.ingress.kubernetes.io/limit-rps",
    "nginx.ingress.kubernetes.io/limit-rpm",
    "nginx.ingress.kubernetes.io/limit-connections",
    "haproxy.router.openshift.io/rate-limit-connections",
)
_EDGE_LIMITS = (
    "nginx.ingress.kubernetes.io/limit-connections",
    "nginx.ingress.kubernetes.io/limit-rps",
    "nginx.ingress.kubernetes.io/proxy-body-size",
)


def _line(obj: Obj, *keys: str) -> int:
    return obj.key_mark(*keys)[0]


def _ev(item: str, text: str, obj: Obj, *keys: str) -> Evidence:
    return Evidence(item, text, obj.path, _line(obj, *keys))


def _workloads(repo: RepoView) -> list[Obj]:
    return [o for o in repo.k8s.workloads(*_WORKLOADS)]


def _containers(repo: RepoView) -> list[Any]:
    return [c for o in _workloads(repo) for c in containers(o) if not c.fragment]


def _main(obj: Obj) -> list[Any]:
    return [c for c in containers(obj) if not c.fragment and (not c.init or c.sidecar)]


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _autoscalers(repo: RepoView, target: Obj) -> list[Obj]:
    out = []
    for o in repo.k8s.of_kind("HorizontalPodAutoscaler", "ScaledObject"):
        ref = dig(o.node, "spec", "scaleTargetRef")
        if not isinstance(ref, dict) or not same_namespace(o, target):
            continue
        kind = ref.get("kind") or ("Deployment" if o.kind == "ScaledObject" else None)
        if kind == target.kind and str(ref.get("name")) == target.name:
            out.append(o)
    return out


# --------------------------------------------------------------------------- resources


@detector("RES-1", "RES-4")
def resources(repo: RepoView) -> Iterator[Evidence]:
    every = _containers(repo)
    if not every:
        return
    first = every[0]
    where = first.node.key_mark("resources") if "resources" in first.node else first.mark
    limits = [dig(c.node, "resources", "limits") for c in every]
    if all(isinstance(t, dict) and t.get("cpu") and t.get("memory") for t in limits):
        yield Evidence(
            "RES-1",
            f"`resources.limits` (cpu and memory) on every container ({len(every)} in Kubernetes)",
            first.owner.path,
            where[0],
        )
    requests = [dig(c.node, "resources", "requests") for c in every]
    if all(isinstance(t, dict) and t.get("cpu") and t.get("memory") for t in requests):
        yield Evidence(
            "RES-4",
            f"`resources.requests` (cpu and memory) on every container ({len(every)} in Kubernetes)",
            first.owner.path,
            where[0],
        )


# --------------------------------------------------------------------------- availability


@detector("HA-4", "HA-5")
def probes(repo: RepoView) -> Iterator[Evidence]:
    for obj in _workloads(repo):
        for c in _main(obj):
            for key, item in (("readinessProbe", "HA-4"), ("livenessProbe", "HA-5")):
                if isinstance(c.node.get(key), dict):
                    yield Evidence(
                        item,
                        f"`{key}` on {obj.kind} {obj.name} (container {c.name})",
                        obj.path,
                        c.node.key_mark(key)[0],
                    )


@detector("HA-1", "ARCH-1", "ARCH-3", "RES-4")
def replicas_and_autoscaling(repo: RepoView) -> Iterator[Evidence]:
    for obj in repo.k8s.workloads(*_SCALED):
        hpas = _autoscalers(repo, obj)
        count = _int(repo.k8s.replicas(obj))
        if count is not None and count >= 2:
            text = f"{obj.kind} {obj.name} runs {count} replicas"
            yield _ev("HA-1", text, obj, "spec", "replicas")
            yield _ev("ARCH-1", text, obj, "spec", "replicas")
        for hpa in hpas:
            low = _int(
                dig(
                    hpa.node,
                    "spec",
                    "minReplicas" if hpa.kind != "ScaledObject" else "minReplicaCount",
                )
            )
            high = _int(
                dig(
                    hpa.node,
                    "spec",
                    "maxReplicas" if hpa.kind != "ScaledObject" else "maxReplicaCount",
                )
            )
            label = f"{hpa.kind} {hpa.name} targets {obj.kind} {obj.name}"
            metrics = dig(hpa.node, "spec", "metrics" if hpa.kind != "ScaledObject" else "triggers")
            names = _metric_names(metrics)
            yield _ev("ARCH-3", label + (f" (on {', '.join(names)})" if names else ""), hpa, "spec")
            yield _ev("ARCH-1", label, hpa, "spec")
            if low is not None and low >= 2:
                yield _ev("HA-1", f"{label} with at least {low} replicas", hpa, "spec")
            if high is not None and high > (low or 1):
                yield _ev(
                    "RES-4",
                    f"{label}: scales from {low or 1} to {high} replicas for peaks",
                    hpa,
                    "spec",
                )
    for pdb in repo.k8s.of_kind("PodDisruptionBudget"):
        for obj in repo.k8s.workloads(*_SCALED):
            if same_namespace(pdb, obj) and selector_matches(
                dig(pdb.node, "spec", "selector"), pod_labels(obj)
            ):
                yield _ev(
                    "HA-1",
                    f"PodDisruptionBudget {pdb.name} protects {obj.kind} {obj.name}",
                    pdb,
                    "spec",
                )


def _metric_names(metrics: Any) -> list[str]:
    out: list[str] = []
    for m in metrics if isinstance(metrics, list) else []:
        if not isinstance(m, dict):
            continue
        name = dig(m, "resource", "name") or dig(m, "type") or dig(m, "metric", "name")
        if name:
            out.append(str(name).lower())
    return sorted(set(out))


@detector("HA-2")
def zone_spread(repo: RepoView) -> Iterator[Evidence]:
    for obj in _workloads(repo):
        spec = pod_spec(obj)
        if spec is None:
            continue
        for tsc in spec.get("topologySpreadConstraints") or []:
            if isinstance(tsc, dict) and tsc.get("topologyKey") in _ZONE_KEYS:
                yield Evidence(
                    "HA-2",
                    f"{obj.kind} {obj.name} spreads pods across zones (`topologySpreadConstraints`)",
                    obj.path,
                    spec.key_mark("topologySpreadConstraints")[0],
                )
                break
        anti = dig(spec, "affinity", "podAntiAffinity")
        if isinstance(anti, dict) and any(key in str(anti) for key in _ZONE_KEYS):
            yield Evidence(
                "HA-2",
                f"{obj.kind} {obj.name} keeps pods in different zones (`podAntiAffinity`)",
                obj.path,
                spec.key_mark("affinity")[0],
            )


@detector("HA-3")
def database_failover(repo: RepoView) -> Iterator[Evidence]:
    for obj in repo.k8s.of_kind("Cluster"):
        api = str(obj.node.get("apiVersion", ""))
        instances = _int(dig(obj.node, "spec", "instances"))
        if "cnpg.io" in api and instances is not None and instances >= 2:
            yield _ev(
                "HA-3",
                f"CloudNativePG Cluster {obj.name} with {instances} instances fails over",
                obj,
                "spec",
            )


# --------------------------------------------------------------------------- architecture


@detector("ARCH-2")
def load_balancing(repo: RepoView) -> Iterator[Evidence]:
    for svc in repo.k8s.of_kind("Service"):
        selector = dig(svc.node, "spec", "selector")
        if not isinstance(selector, dict) or not selector:
            continue
        for obj in repo.k8s.workloads(*_SCALED):
            labels = pod_labels(obj)
            if same_namespace(svc, obj) and all(
                labels.get(str(k)) == str(v) for k, v in selector.items()
            ):
                count = _int(repo.k8s.replicas(obj))
                if (count or 1) >= 2 or _autoscalers(repo, obj):
                    yield _ev(
                        "ARCH-2",
                        f"Service {svc.name} balances traffic across the pods of {obj.kind} {obj.name}",
                        svc,
                        "spec",
                        "selector",
                    )


_WEB = re.compile(r"\b(uvicorn|gunicorn|hypercorn|daphne|granian)\b|\bfastapi\s+run\b")
_WORKER = re.compile(
    r"\bcelery\b[^;&|]*\b(worker|beat)\b|\brq\s+worker\b|\brqworker\b|\bdramatiq\b|\barq\s+\S|\bhuey_consumer\b"
)


@detector("ARCH-4")
def separate_components(repo: RepoView) -> Iterator[Evidence]:
    web = [c for c in repo.commands if _WEB.search(c.text) and not _WORKER.search(c.text)]
    work = [c for c in repo.commands if _WORKER.search(c.text) and not _WEB.search(c.text)]
    for w in work:
        if web and not any(x.owner == w.owner and x.path == w.path for x in web):
            yield Evidence(
                "ARCH-4",
                f"the worker runs apart from the API: {w.owner} starts only the worker",
                w.path,
                w.line,
            )


# --------------------------------------------------------------------------- secrets


@detector("SECRETS-2", "SECRETS-1", "SECRETS-4")
def secret_references(repo: RepoView) -> Iterator[Evidence]:
    for obj in _workloads(repo) + repo.k8s.workloads("CronJob", "Job"):
        for c in containers(obj):
            hit = _secret_ref(c.node)
            if hit is not None:
                yield Evidence(
                    "SECRETS-2",
                    f"{obj.kind} {obj.name} reads credentials from a Secret (`{hit[0]}`)",
                    obj.path,
                    hit[1],
                )
                break
    for obj in repo.k8s.objects:
        tool = _SECRET_MANAGER_KINDS.get(obj.kind)
        if tool:
            yield _ev("SECRETS-1", f"{tool}: {obj.kind} {obj.name}", obj, "kind")
        annotations = dig(obj.node, *_template_meta(obj), "annotations")
        if isinstance(annotations, dict) and any(
            str(k).startswith("vault.hashicorp.com/agent-inject") for k in annotations
        ):
            yield _ev(
                "SECRETS-1", f"Vault Agent injects secrets into {obj.kind} {obj.name}", obj, "spec"
            )
    for role in repo.k8s.of_kind("Role", "ClusterRole"):
        for rule in role.node.get("rules") or []:
            if (
                isinstance(rule, dict)
                and "secrets" in (rule.get("resources") or [])
                and rule.get("resourceNames")
            ):
                yield _ev(
                    "SECRETS-4",
                    f"{role.kind} {role.name} grants access to named Secrets only (`resourceNames`)",
                    role,
                    "rules",
                )
    every = _containers(repo)
    if every and all(_non_root(c) for c in every):
        yield Evidence(
            "SECRETS-4",
            f"every container runs as non-root without privilege escalation ({len(every)} in Kubernetes)",
            every[0].owner.path,
            every[0].mark[0],
        )


def _template_meta(obj: Obj) -> tuple[str, ...]:
    if obj.kind == "CronJob":
        return ("spec", "jobTemplate", "spec", "template", "metadata")
    if obj.kind == "Pod":
        return ("metadata",)
    return ("spec", "template", "metadata")


def _secret_ref(node: YamlMap) -> tuple[str, int] | None:
    for item in node.get("env") or []:
        if isinstance(item, YamlMap) and dig(item, "valueFrom", "secretKeyRef") is not None:
            return "secretKeyRef", item.key_mark("valueFrom")[0]
    for item in node.get("envFrom") or []:
        if isinstance(item, YamlMap) and item.get("secretRef") is not None:
            return "envFrom.secretRef", item.key_mark("secretRef")[0]
    return None


def _non_root(c: Any) -> bool:
    def effective(key: str) -> Any:
        sc = c.node.get("securityContext")
        if isinstance(sc, dict) and sc.get(key) is not None:
            return sc[key]
        pod = c.pod_spec.get("securityContext")
        return pod.get(key) if isinstance(pod, dict) else None

    sc = c.node.get("securityContext")
    no_escalation = isinstance(sc, dict) and sc.get("allowPrivilegeEscalation") is False
    uid = _int(effective("runAsUser"))
    return no_escalation and (effective("runAsNonRoot") is True or (uid is not None and uid > 0))


# --------------------------------------------------------------------------- edge


@detector("DATA-2")
def tls(repo: RepoView) -> Iterator[Evidence]:
    for ing in repo.k8s.of_kind("Ingress"):
        hosts = [
            h
            for t in dig(ing.node, "spec", "tls") or []
            if isinstance(t, dict)
            for h in t.get("hosts") or []
        ]
        if dig(ing.node, "spec", "tls"):
            what = f" for {', '.join(map(str, hosts[:3]))}" if hosts else ""
            yield _ev("DATA-2", f"Ingress {ing.name} terminates TLS{what}", ing, "spec", "tls")
    for obj in repo.k8s.of_kind("Certificate", "ClusterIssuer", "Issuer"):
        if "cert-manager.io" in str(obj.node.get("apiVersion", "")):
            yield _ev(
                "DATA-2", f"cert-manager {obj.kind} {obj.name} issues TLS certificates", obj, "kind"
            )


@detector("ATTACK-1", "ATTACK-5", "DATA-3", "DATA-4")
def ingress_annotations(repo: RepoView) -> Iterator[Evidence]:
    for ing in repo.k8s.of_kind("Ingress"):
        annotations = dig(ing.node, "metadata", "annotations")
        if not isinstance(annotations, dict):
            continue
        keys = {str(k): v for k, v in annotations.items()}
        rate = [k for k in _RATE_ANNOTATIONS if k in keys]
        if rate:
            yield _ev(
                "ATTACK-1",
                f"Ingress {ing.name} limits request rates (`{rate[0]}`)",
                ing,
                "metadata",
                "annotations",
            )
        edge = [k for k in _EDGE_LIMITS if k in keys]
        if edge:
            yield _ev(
                "ATTACK-5",
                f"Ingress {ing.name} limits traffic at the edge (`{edge[0]}`)",
                ing,
                "metadata",
                "annotations",
            )
        snippet = " ".join(str(v) for k, v in keys.items() if k.endswith("-snippet")).lower()
        if "content-security-policy" in snippet:
            yield _ev(
                "DATA-3",
                f"Ingress {ing.name} adds a Content-Security-Policy header",
                ing,
                "metadata",
                "annotations",
            )
        headers = [h for h in SECURITY_HEADERS if h in snippet]
        if len(headers) >= 2:
            yield _ev(
                "DATA-4",
                f"Ingress {ing.name} adds security headers ({', '.join(headers)})",
                ing,
                "metadata",
                "annotations",
            )
    for mw in repo.k8s.of_kind("Middleware"):
        if isinstance(dig(mw.node, "spec", "rateLimit"), dict):
            yield _ev("ATTACK-1", f"Traefik Middleware {mw.name} limits request rates", mw, "spec")


# --------------------------------------------------------------------------- observability


@detector("METRICS-1", "METRICS-2", "RES-2", "LOG-3")
def monitoring_stack(repo: RepoView) -> Iterator[Evidence]:
    for obj in repo.k8s.of_kind("ServiceMonitor", "PodMonitor"):
        yield _ev("METRICS-1", f"{obj.kind} {obj.name} scrapes Prometheus metrics", obj, "kind")
    for obj in _workloads(repo):
        annotations = dig(obj.node, *_template_meta(obj), "annotations")
        if (
            isinstance(annotations, dict)
            and str(annotations.get("prometheus.io/scrape")).lower() == "true"
        ):
            yield _ev(
                "METRICS-1",
                f"{obj.kind} {obj.name} is scraped by Prometheus (`prometheus.io/scrape`)",
                obj,
                "spec",
            )
    for obj in repo.k8s.of_kind("GrafanaDashboard"):
        yield _ev("METRICS-2", f"GrafanaDashboard {obj.name}", obj, "kind")
    for obj in repo.k8s.of_kind("ConfigMap"):
        labels = dig(obj.node, "metadata", "labels")
        if isinstance(labels, dict) and "grafana_dashboard" in labels:
            yield _ev(
                "METRICS-2", f"Grafana dashboard ConfigMap {obj.name}", obj, "metadata", "labels"
            )
    for obj in _workloads(repo):
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
            yield f"PrometheusRule {obj.name}", obj.path, _line(obj, "spec", "groups"), alerts
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
        line = _line(job, "spec", "schedule")
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
            yield _ev("DB-4", f"{tool} {obj.kind} {obj.name}", obj, "spec")
            yield _ev("BACKUP-1", f"{tool} {obj.kind} {obj.name}", obj, "spec")
            if dig(obj.node, "spec", "template", "ttl"):
                yield _ev(
                    "BACKUP-3", f"Velero Schedule {obj.name} expires backups (`ttl`)", obj, "spec"
                )
    for obj in repo.k8s.of_kind("Cluster"):
        backup = dig(obj.node, "spec", "backup")
        if "cnpg.io" in str(obj.node.get("apiVersion", "")) and isinstance(backup, dict):
            if backup.get("barmanObjectStore"):
                yield _ev(
                    "BACKUP-2",
                    f"CloudNativePG Cluster {obj.name} archives WAL continuously",
                    obj,
                    "spec",
                    "backup",
                )
            if backup.get("retentionPolicy"):
                yield _ev(
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
            yield _ev(
                "DEPLOY-1",
                f"Argo CD Application {obj.name}" + (" syncs automatically" if auto else ""),
                obj,
                "kind",
            )
        elif obj.kind in ("Kustomization", "HelmRelease") and "fluxcd.io" in api:
            yield _ev("DEPLOY-1", f"Flux {obj.kind} {obj.name} deploys from git", obj, "kind")
        elif obj.kind == "Rollout" and "argoproj.io" in api:
            strategy = dig(obj.node, "spec", "strategy")
            for name in ("canary", "blueGreen"):
                if isinstance(strategy, dict) and name in strategy:
                    yield _ev(
                        "DEPLOY-2",
                        f"Argo Rollout {obj.name} deploys {name}",
                        obj,
                        "spec",
                        "strategy",
                    )
                    if "analysis" in str(strategy[name]).lower():
                        yield _ev(
                            "DEPLOY-3",
                            f"Argo Rollout {obj.name} aborts and rolls back on failed analysis",
                            obj,
                            "spec",
                            "strategy",
                        )
        elif obj.kind == "Canary" and "flagger" in api:
            yield _ev("DEPLOY-2", f"Flagger Canary {obj.name}", obj, "kind")
            yield _ev(
                "DEPLOY-3", f"Flagger Canary {obj.name} rolls back on failed checks", obj, "kind"
            )
        elif obj.kind in _CHAOS_KINDS and ("chaos-mesh" in api or "litmuschaos" in api):
            yield _ev("TEST-2", f"chaos experiment {obj.kind} {obj.name}", obj, "kind")
