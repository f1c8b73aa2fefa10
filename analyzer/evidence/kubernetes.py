"""Evidence in Kubernetes manifests: probes, limits, replicas, autoscalers, secrets, the edge.

Monitoring, alerts, scheduled jobs and delivery are in
analyzer.evidence.kubernetes_operations, on the helpers here.

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
from analyzer.evidence.core import detector
from analyzer.facts.kubernetes import (
    Obj,
    as_int,
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


def key_line(obj: Obj, *keys: str) -> int:
    return obj.key_mark(*keys)[0]


def evidence_at(item: str, text: str, obj: Obj, *keys: str) -> Evidence:
    return Evidence(item, text, obj.path, key_line(obj, *keys))


def workload_objects(repo: RepoView) -> list[Obj]:
    return [o for o in repo.k8s.workloads(*_WORKLOADS)]


def _containers(repo: RepoView) -> list[Any]:
    return [c for o in workload_objects(repo) for c in containers(o) if not c.fragment]


def _main(obj: Obj) -> list[Any]:
    return [c for c in containers(obj) if not c.fragment and (not c.init or c.sidecar)]


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
    for obj in workload_objects(repo):
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
        count = as_int(repo.k8s.replicas(obj))
        if count is not None and count >= 2:
            text = f"{obj.kind} {obj.name} runs {count} replicas"
            yield evidence_at("HA-1", text, obj, "spec", "replicas")
            yield evidence_at("ARCH-1", text, obj, "spec", "replicas")
        for hpa in hpas:
            low = as_int(
                dig(
                    hpa.node,
                    "spec",
                    "minReplicas" if hpa.kind != "ScaledObject" else "minReplicaCount",
                )
            )
            high = as_int(
                dig(
                    hpa.node,
                    "spec",
                    "maxReplicas" if hpa.kind != "ScaledObject" else "maxReplicaCount",
                )
            )
            label = f"{hpa.kind} {hpa.name} targets {obj.kind} {obj.name}"
            metrics = dig(hpa.node, "spec", "metrics" if hpa.kind != "ScaledObject" else "triggers")
            names = _metric_names(metrics)
            yield evidence_at(
                "ARCH-3", label + (f" (on {', '.join(names)})" if names else ""), hpa, "spec"
            )
            yield evidence_at("ARCH-1", label, hpa, "spec")
            if low is not None and low >= 2:
                yield evidence_at("HA-1", f"{label} with at least {low} replicas", hpa, "spec")
            if high is not None and high > (low or 1):
                yield evidence_at(
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
                yield evidence_at(
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
    for obj in workload_objects(repo):
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
        instances = as_int(dig(obj.node, "spec", "instances"))
        if "cnpg.io" in api and instances is not None and instances >= 2:
            yield evidence_at(
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
                count = as_int(repo.k8s.replicas(obj))
                if (count or 1) >= 2 or _autoscalers(repo, obj):
                    yield evidence_at(
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
    for obj in workload_objects(repo) + repo.k8s.workloads("CronJob", "Job"):
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
            yield evidence_at("SECRETS-1", f"{tool}: {obj.kind} {obj.name}", obj, "kind")
        annotations = dig(obj.node, *template_metadata(obj), "annotations")
        if isinstance(annotations, dict) and any(
            str(k).startswith("vault.hashicorp.com/agent-inject") for k in annotations
        ):
            yield evidence_at(
                "SECRETS-1", f"Vault Agent injects secrets into {obj.kind} {obj.name}", obj, "spec"
            )
    for role in repo.k8s.of_kind("Role", "ClusterRole"):
        for rule in role.node.get("rules") or []:
            if (
                isinstance(rule, dict)
                and "secrets" in (rule.get("resources") or [])
                and rule.get("resourceNames")
            ):
                yield evidence_at(
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


def template_metadata(obj: Obj) -> tuple[str, ...]:
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
    uid = as_int(effective("runAsUser"))
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
            yield evidence_at(
                "DATA-2", f"Ingress {ing.name} terminates TLS{what}", ing, "spec", "tls"
            )
    for obj in repo.k8s.of_kind("Certificate", "ClusterIssuer", "Issuer"):
        if "cert-manager.io" in str(obj.node.get("apiVersion", "")):
            yield evidence_at(
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
            yield evidence_at(
                "ATTACK-1",
                f"Ingress {ing.name} limits request rates (`{rate[0]}`)",
                ing,
                "metadata",
                "annotations",
            )
        edge = [k for k in _EDGE_LIMITS if k in keys]
        if edge:
            yield evidence_at(
                "ATTACK-5",
                f"Ingress {ing.name} limits traffic at the edge (`{edge[0]}`)",
                ing,
                "metadata",
                "annotations",
            )
        snippet = " ".join(str(v) for k, v in keys.items() if k.endswith("-snippet")).lower()
        if "content-security-policy" in snippet:
            yield evidence_at(
                "DATA-3",
                f"Ingress {ing.name} adds a Content-Security-Policy header",
                ing,
                "metadata",
                "annotations",
            )
        headers = [h for h in SECURITY_HEADERS if h in snippet]
        if len(headers) >= 2:
            yield evidence_at(
                "DATA-4",
                f"Ingress {ing.name} adds security headers ({', '.join(headers)})",
                ing,
                "metadata",
                "annotations",
            )
    for mw in repo.k8s.of_kind("Middleware"):
        if isinstance(dig(mw.node, "spec", "rateLimit"), dict):
            yield evidence_at(
                "ATTACK-1", f"Traefik Middleware {mw.name} limits request rates", mw, "spec"
            )
