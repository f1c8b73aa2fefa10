"""Kubernetes manifest rules: resources, probes, replicas, images, secrets, TLS.

Security settings (securityContext, host namespaces, service account tokens,
roles) are in analyzer.checks.kubernetes_security, on the model helpers here.

Per-object rules are file checks on the parsed YamlFile. Rules that need to
see other objects (an HPA or PDB in another file, a Service selecting the
pods, a kustomization overriding an image tag, a RoleBinding using a service
account) are repository checks over every Kubernetes file, so splitting
manifests across files never changes the verdict.

Namespaces: an object without `metadata.namespace` is shown as "default",
but when matching two objects an unset namespace matches any namespace,
because `kubectl apply -n` and kustomize's `namespace:` set it at deploy time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from analyzer.checks.registry import file_check, repo_check
from analyzer.core.model import FileResult, Finding
from analyzer.core.secretvalues import is_placeholder, literal_secret, redact
from analyzer.facts.images import floating_in_kubernetes, repository
from analyzer.facts.kubernetes import (
    BATCH_KINDS,
    KIND,
    Container,
    Index,
    Obj,
    containers,
    has_ports,
    objects_of,
    pod_spec,
    runs_datastore,
    serves_traffic,
)
from analyzer.parsers.yamlfile import dig
from analyzer.parsers.yamlmarks import Mark, YamlMap

# Annotations by which a cloud load balancer terminates TLS for an Ingress without `tls:`.
_LB_TLS_ANNOTATIONS = (
    "alb.ingress.kubernetes.io/certificate-arn",
    "ingress.gcp.kubernetes.io/pre-shared-cert",
    "networking.gke.io/managed-certificates",
)


# --------------------------------------------------------------------------- model


def finding_at(code: str, path: str, message: str, mark: Mark, anchor: str) -> Finding:
    return Finding(code, path, message, line=mark[0], column=mark[1], anchor=anchor)


def file_objects(parsed: Any) -> list[Obj]:
    return objects_of(str(getattr(parsed, "path", "")), parsed)


def workload_containers(parsed: Any) -> Iterator[Container]:
    """Complete containers only: a patch fragment lacks most keys by design."""
    for obj in file_objects(parsed):
        yield from (c for c in containers(obj) if not c.fragment)


# --------------------------------------------------------------------------- resources


def _missing(table: Any, resources: Iterable[str]) -> list[str]:
    return [r for r in resources if not isinstance(table, dict) or table.get(r) in (None, "")]


def _resources_mark(c: Container, sub: str) -> Mark:
    res = c.node.get("resources")
    if isinstance(res, YamlMap):
        return res.key_mark(sub) if sub in res else c.node.key_mark("resources")
    return c.mark


def _which(missing: list[str]) -> str:
    names = {"cpu": "CPU", "memory": "memory"}
    return " or ".join(names[m] for m in missing)


@file_check(KIND, "K8S001")
def resource_limits(parsed: Any) -> Iterator[Finding]:
    """A container without limits can eat its node; one finding per container says which lack."""
    for c in workload_containers(parsed):
        missing = _missing(dig(c.node, "resources", "limits"), ("cpu", "memory"))
        if missing:
            yield finding_at(
                "K8S001",
                c.owner.path,
                f"{c.label()} has no {_which(missing)} limit",
                _resources_mark(c, "limits"),
                c.anchor("limits"),
            )


@file_check(KIND, "K8S002")
def resource_requests(parsed: Any) -> Iterator[Finding]:
    """A limit without a request becomes the request, so only a resource with neither counts."""
    for c in workload_containers(parsed):
        requests = dig(c.node, "resources", "requests")
        limits = dig(c.node, "resources", "limits")
        missing = [r for r in _missing(requests, ("cpu", "memory")) if _missing(limits, (r,))]
        if missing:
            yield finding_at(
                "K8S002",
                c.owner.path,
                f"{c.label()} has no {_which(missing)} request",
                _resources_mark(c, "requests"),
                c.anchor("requests"),
            )


# --------------------------------------------------------------------------- probes


def _long_running(c: Container) -> bool:
    return c.owner.kind not in BATCH_KINDS and (not c.init or c.sidecar)


@file_check(KIND, "K8S003")
def liveness_probe(parsed: Any) -> Iterator[Finding]:
    """Without a liveness probe a hung process keeps its pod Running forever."""
    for c in workload_containers(parsed):
        if _long_running(c) and not isinstance(c.node.get("livenessProbe"), dict):
            yield finding_at(
                "K8S003",
                c.owner.path,
                f"{c.label()} has no liveness probe",
                c.mark,
                c.anchor("livenessProbe"),
            )


# --------------------------------------------------------------------------- repository index


@repo_check("K8S004")
def readiness_probe(results: Sequence[FileResult]) -> Iterator[Finding]:
    """Readiness gates traffic, so only containers that receive traffic need it.

    In a serving workload those are the containers declaring a port; when a
    Service selects the pods but no container declares a port, all of them.
    """
    index = Index.build(results)
    for obj in index.objects:
        if obj.kind in BATCH_KINDS or pod_spec(obj) is None or not serves_traffic(obj, index):
            continue
        app = [c for c in containers(obj) if _long_running(c) and not c.fragment]
        candidates = [c for c in app if has_ports(c)] or app
        for c in candidates:
            if not isinstance(c.node.get("readinessProbe"), dict):
                yield finding_at(
                    "K8S004",
                    obj.path,
                    f"{c.label()} receives traffic but has no readiness probe",
                    c.mark,
                    c.anchor("readinessProbe"),
                )


# --------------------------------------------------------------------------- replicas, HPA, PDB


@repo_check("K8S005")
def single_replica(results: Sequence[FileResult]) -> Iterator[Finding]:
    """One replica means every rollout, node drain or crash is an outage.

    Skipped when an HPA or ScaledObject manages the count (the manifest's
    value is then ignored) and for `replicas: 0` (deliberately scaled down).
    """
    index = Index.build(results)
    for obj in index.workloads("Deployment"):
        replicas = index.replicas(obj)
        if replicas not in (None, 1) or isinstance(replicas, bool) or index.autoscaled(obj):
            continue
        if replicas is None:
            msg = f"{obj.label()} does not set replicas, so it runs a single pod"
            mark = obj.key_mark("spec")
        else:
            msg = f"{obj.label()} runs a single replica"
            mark = obj.key_mark("spec", "replicas")
        yield finding_at("K8S005", obj.path, msg, mark, f"{obj.ident}:replicas")


@repo_check("K8S013")
def api_without_hpa(results: Sequence[FileResult]) -> Iterator[Finding]:
    """A serving Deployment with a fixed replica count cannot follow traffic peaks."""
    index = Index.build(results)
    for obj in index.workloads("Deployment"):
        if index.replicas(obj) == 0 or not serves_traffic(obj, index) or index.autoscaled(obj):
            continue
        if runs_datastore(obj):
            continue
        yield finding_at(
            "K8S013",
            obj.path,
            f"{obj.label()} serves traffic but no HorizontalPodAutoscaler targets it",
            obj.key_mark("metadata", "name"),
            f"{obj.ident}:hpa",
        )


@repo_check("K8S014")
def without_pdb(results: Sequence[FileResult]) -> Iterator[Finding]:
    """Replicated workloads need a PDB, or a node drain may evict all their pods at once.

    Single-replica Deployments are left to K8S005: a PDB cannot protect one pod.
    """
    index = Index.build(results)
    for obj in index.workloads("Deployment", "StatefulSet"):
        replicas = index.replicas(obj)
        replicated = isinstance(replicas, int) and not isinstance(replicas, bool) and replicas > 1
        if not (replicated or index.autoscaled(obj)) or index.has_pdb(obj):
            continue
        yield finding_at(
            "K8S014",
            obj.path,
            f"{obj.label()} has no PodDisruptionBudget selecting its pods",
            obj.key_mark("metadata", "name"),
            f"{obj.ident}:pdb",
        )


# --------------------------------------------------------------------------- images


@repo_check("K8S009")
def image_tag(results: Sequence[FileResult]) -> Iterator[Finding]:
    """A repository check only so that a kustomization that sets the tag can excuse a base."""
    index = Index.build(results)
    for obj in index.objects:
        for c in containers(obj):
            image = c.node.get("image")
            if not isinstance(image, str):
                continue
            why = floating_in_kubernetes(image)
            if why is None or repository(image) in index.retagged:
                continue
            detail = "uses the latest tag" if why == "latest" else "has no tag"
            yield finding_at(
                "K8S009",
                obj.path,
                f'image "{image}" of {c.label()} {detail}',
                c.node.value_mark("image"),
                c.anchor(f"image:{image}"),
            )


# --------------------------------------------------------------------------- secrets


def _secret_anchor(prefix: str, secret: str) -> str:
    return f"{prefix}:sha256:{hashlib.sha256(secret.encode()).hexdigest()[:16]}"


@file_check(KIND, "K8S010")
def literal_secrets(parsed: Any) -> Iterator[Finding]:
    """Credentials written into env values or ConfigMaps: both are plain text in git and etcd."""
    for obj in file_objects(parsed):
        for c in containers(obj):
            env = c.node.get("env")
            for item in env if isinstance(env, list) else []:
                if not isinstance(item, YamlMap) or "value" not in item:
                    continue
                name = str(item.get("name") or "")
                secret = literal_secret(name, item["value"])
                if secret is None:
                    continue
                yield finding_at(
                    "K8S010",
                    obj.path,
                    f'env var "{name}" of {c.label()} holds a literal secret ({redact(secret)})',
                    item.value_mark("value"),
                    _secret_anchor(c.anchor(f"env[{name}]"), secret),
                )
        if obj.kind == "ConfigMap":
            data = obj.node.get("data")
            if not isinstance(data, YamlMap):
                continue
            for key, value in data.items():
                secret = literal_secret(str(key), value)
                if secret is None:
                    continue
                yield finding_at(
                    "K8S010",
                    obj.path,
                    f'key "{key}" of {obj.label()} holds a literal secret ({redact(secret)})',
                    data.value_mark(key),
                    _secret_anchor(f"{obj.ident}:data[{key}]", secret),
                )


def _real_secret_value(value: Any, encoded: bool) -> bool:
    """False for empty values and placeholders, also once base64-decoded."""
    if value is None or isinstance(value, bool) or str(value).strip() == "":
        return False
    text = str(value)
    if is_placeholder(text):
        return False
    if encoded:
        try:
            decoded = base64.b64decode(text.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return True
        return decoded.strip() != "" and not is_placeholder(decoded)
    return True


@file_check(KIND, "K8S011")
def committed_secret(parsed: Any) -> Iterator[Finding]:
    """A Secret manifest with real values: base64 is an encoding, not encryption.

    Only key names are ever shown, never values.
    """
    for obj in file_objects(parsed):
        if obj.kind != "Secret" or obj.node.get("type") == "kubernetes.io/service-account-token":
            continue
        for field, encoded in (("data", True), ("stringData", False)):
            table = obj.node.get(field)
            if not isinstance(table, YamlMap):
                continue
            keys = [str(k) for k, v in table.items() if _real_secret_value(v, encoded)]
            if not keys:
                continue
            yield finding_at(
                "K8S011",
                obj.path,
                f"{obj.label()} commits {len(keys)} value(s) in {field} ({', '.join(keys)})",
                obj.node.key_mark(field),
                f"{obj.ident}:{field}",
            )


# --------------------------------------------------------------------------- ingress


@file_check(KIND, "K8S012")
def ingress_tls(parsed: Any) -> Iterator[Finding]:
    for obj in file_objects(parsed):
        if obj.kind != "Ingress":
            continue
        tls = dig(obj.node, "spec", "tls")
        if isinstance(tls, list) and tls:
            continue
        annotations = dig(obj.node, "metadata", "annotations")
        if isinstance(annotations, dict) and any(a in annotations for a in _LB_TLS_ANNOTATIONS):
            continue
        yield finding_at(
            "K8S012",
            obj.path,
            f"{obj.label()} has no tls section, so it serves plain HTTP",
            obj.key_mark("spec"),
            f"{obj.ident}:tls",
        )
