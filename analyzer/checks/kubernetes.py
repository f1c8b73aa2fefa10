"""Kubernetes manifest rules: resources, probes, replicas, security context, secrets, TLS.

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
import posixpath
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from analyzer.checks.registry import file_check, repo_check
from analyzer.model import FileResult, Finding
from analyzer.parsers.yamlfile import dig
from analyzer.parsers.yamlmarks import Mark, YamlMap
from analyzer.secretvalues import is_placeholder, literal_secret, redact

KIND = "kubernetes"

_TEMPLATE_PATH = ("spec", "template", "spec")
_POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Deployment": _TEMPLATE_PATH,
    "StatefulSet": _TEMPLATE_PATH,
    "DaemonSet": _TEMPLATE_PATH,
    "ReplicaSet": _TEMPLATE_PATH,
    "ReplicationController": _TEMPLATE_PATH,
    "Job": _TEMPLATE_PATH,
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Pod": ("spec",),
}
_BATCH_KINDS = {"Job", "CronJob"}  # run to completion: probes make no sense there
# Annotations by which a cloud load balancer terminates TLS for an Ingress without `tls:`.
_LB_TLS_ANNOTATIONS = (
    "alb.ingress.kubernetes.io/certificate-arn",
    "ingress.gcp.kubernetes.io/pre-shared-cert",
    "networking.gke.io/managed-certificates",
)
_READ_VERBS = {"get", "list", "watch", "*"}
# Database and cache images: they scale by replication they configure themselves, not by an HPA.
_DATASTORE_IMAGE = re.compile(
    r"^(?:postgres(?:ql)?|postgis|timescaledb(?:-ha)?|mysql(?:-server)?|mariadb|percona(?:-server)?|"
    r"redis(?:-stack(?:-server)?)?|redismod|valkey|keydb|mongo(?:db)?|memcached|rabbitmq|"
    r"elasticsearch|opensearch|cassandra|couchdb|clickhouse-server|influxdb|etcd)$"
)
# ServiceAccount annotations that give the account a cloud identity: the account is in use.
_WORKLOAD_IDENTITY_ANNOTATIONS = (
    "eks.amazonaws.com/role-arn",
    "iam.gke.io/gcp-service-account",
    "azure.workload.identity/client-id",
)


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Obj:
    """One Kubernetes object of a file (a `kind: List` is already unpacked)."""

    path: str
    kind: str
    name: str
    namespace: str | None  # None when the manifest leaves it to deploy time
    node: YamlMap

    @property
    def ns(self) -> str:
        return self.namespace or "default"

    @property
    def ident(self) -> str:
        """Stable identity for anchors: no line numbers, namespace only when explicit."""
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}/{ns}{self.name}"

    def label(self) -> str:
        return f'{self.kind} "{self.name}"'

    def key_mark(self, *keys: str) -> Mark:
        """Where the deepest existing key of `keys` stands (the object itself if none does)."""
        node: Any = self.node
        mark = _kind_mark(self.node)
        for key in keys:
            if not isinstance(node, YamlMap) or key not in node:
                break
            mark = node.key_mark(key)
            node = node[key]
        return mark


@dataclass(frozen=True)
class Container:
    owner: Obj
    node: YamlMap
    pod_spec: YamlMap
    init: bool
    sidecar: bool  # an init container with restartPolicy Always runs alongside the app

    @property
    def name(self) -> str:
        return str(self.node.get("name") or "?")

    @property
    def mark(self) -> Mark:
        return self.node.key_mark("name") if "name" in self.node else self.node.mark

    @property
    def fragment(self) -> bool:
        """No `image`: a kustomize patch, not a container; "missing X" rules skip it."""
        return "image" not in self.node

    def label(self) -> str:
        what = "init container" if self.init and not self.sidecar else "container"
        return f'{what} "{self.name}" of {self.owner.label()}'

    def anchor(self, what: str) -> str:
        group = "initContainers" if self.init else "containers"
        return f"{self.owner.ident}:{group}[{self.name}]:{what}"

    @property
    def security_context(self) -> YamlMap | None:
        sc = self.node.get("securityContext")
        return sc if isinstance(sc, YamlMap) else None

    def security_mark(self, key: str) -> Mark:
        """The container's securityContext key if set, else securityContext, else its name."""
        sc = self.security_context
        if sc is not None:
            return sc.key_mark(key) if key in sc else self.node.key_mark("securityContext")
        return self.mark


def _kind_mark(node: YamlMap) -> Mark:
    return node.key_mark("kind") if "kind" in node else node.mark


def objects_of(path: str, facts: Any) -> list[Obj]:
    """Every object of a parsed YAML file, with `kind: List` items unpacked."""
    out: list[Obj] = []
    for _, doc in getattr(facts, "mappings", list)():
        items = doc.get("items") if doc.get("kind") == "List" else None
        nodes = [i for i in items if isinstance(i, YamlMap)] if isinstance(items, list) else [doc]
        for node in nodes:
            kind = node.get("kind")
            if not isinstance(kind, str) or not kind:
                continue
            name = dig(node, "metadata", "name")
            namespace = dig(node, "metadata", "namespace")
            out.append(
                Obj(
                    path=path,
                    kind=kind,
                    name=str(name) if name is not None else "?",
                    namespace=str(namespace) if namespace else None,
                    node=node,
                )
            )
    return out


def pod_spec(obj: Obj) -> YamlMap | None:
    keys = _POD_SPEC_PATHS.get(obj.kind)
    spec = dig(obj.node, *keys) if keys else None
    return spec if isinstance(spec, YamlMap) else None


def pod_labels(obj: Obj) -> dict[str, str]:
    spec_path = _POD_SPEC_PATHS.get(obj.kind)
    if spec_path is None:
        return {}
    labels = dig(obj.node, *spec_path[:-1], "metadata", "labels")
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}


def containers(obj: Obj) -> list[Container]:
    spec = pod_spec(obj)
    if spec is None:
        return []
    out: list[Container] = []
    for key, init in (("initContainers", True), ("containers", False)):
        seq = spec.get(key)
        if not isinstance(seq, list):
            continue
        for item in seq:
            if isinstance(item, YamlMap):
                sidecar = init and item.get("restartPolicy") == "Always"
                out.append(Container(obj, item, spec, init, sidecar))
    return out


def _finding(code: str, path: str, message: str, mark: Mark, anchor: str) -> Finding:
    return Finding(code, path, message, line=mark[0], column=mark[1], anchor=anchor)


def _file_objects(parsed: Any) -> list[Obj]:
    return objects_of(str(getattr(parsed, "path", "")), parsed)


def _workload_containers(parsed: Any) -> Iterator[Container]:
    """Complete containers only: a patch fragment lacks most keys by design."""
    for obj in _file_objects(parsed):
        yield from (c for c in containers(obj) if not c.fragment)


def complete(obj: Obj) -> bool:
    """A workload with at least one real container (not a kustomize patch of one)."""
    return any(not c.fragment for c in containers(obj))


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
    for c in _workload_containers(parsed):
        missing = _missing(dig(c.node, "resources", "limits"), ("cpu", "memory"))
        if missing:
            yield _finding(
                "K8S001",
                c.owner.path,
                f"{c.label()} has no {_which(missing)} limit",
                _resources_mark(c, "limits"),
                c.anchor("limits"),
            )


@file_check(KIND, "K8S002")
def resource_requests(parsed: Any) -> Iterator[Finding]:
    """A limit without a request becomes the request, so only a resource with neither counts."""
    for c in _workload_containers(parsed):
        requests = dig(c.node, "resources", "requests")
        limits = dig(c.node, "resources", "limits")
        missing = [r for r in _missing(requests, ("cpu", "memory")) if _missing(limits, (r,))]
        if missing:
            yield _finding(
                "K8S002",
                c.owner.path,
                f"{c.label()} has no {_which(missing)} request",
                _resources_mark(c, "requests"),
                c.anchor("requests"),
            )


# --------------------------------------------------------------------------- probes


def _long_running(c: Container) -> bool:
    return c.owner.kind not in _BATCH_KINDS and (not c.init or c.sidecar)


@file_check(KIND, "K8S003")
def liveness_probe(parsed: Any) -> Iterator[Finding]:
    """Without a liveness probe a hung process keeps its pod Running forever."""
    for c in _workload_containers(parsed):
        if _long_running(c) and not isinstance(c.node.get("livenessProbe"), dict):
            yield _finding(
                "K8S003",
                c.owner.path,
                f"{c.label()} has no liveness probe",
                c.mark,
                c.anchor("livenessProbe"),
            )


def _has_ports(c: Container) -> bool:
    ports = c.node.get("ports")
    return isinstance(ports, list) and any(
        isinstance(p, dict) and p.get("containerPort") is not None for p in ports
    )


# --------------------------------------------------------------------------- repository index


@dataclass(frozen=True)
class Index:
    """Every Kubernetes object of the repository, for rules that relate objects."""

    objects: tuple[Obj, ...]
    retagged: frozenset[str] = frozenset()  # image names a kustomization sets the tag of
    replica_overrides: tuple[tuple[str, int], ...] = ()  # kustomization `replicas:` entries

    @staticmethod
    def build(results: Sequence[FileResult]) -> Index:
        objs: list[Obj] = []
        images: set[str] = set()
        replicas: list[tuple[str, int]] = []
        for r in results:
            if r.kind != KIND or r.facts is None:
                continue
            if posixpath.basename(r.path) in ("kustomization.yaml", "kustomization.yml"):
                _read_kustomization(r.facts, images, replicas)
            _read_skaffold(r.facts, images)
            objs.extend(objects_of(r.path, r.facts))
        return Index(tuple(objs), frozenset(images), tuple(replicas))

    def of_kind(self, *kinds: str) -> list[Obj]:
        return [o for o in self.objects if o.kind in kinds]

    def workloads(self, *kinds: str) -> list[Obj]:
        """Complete workloads of these kinds; kustomize patches of them are left out."""
        return [o for o in self.of_kind(*kinds) if complete(o)]

    def replicas(self, obj: Obj) -> Any:
        """The manifest's replicas, unless a kustomization overrides the count by name.

        With several overlays (dev 1, prod 3) the largest count stands for production.
        """
        counts = [count for name, count in self.replica_overrides if name == obj.name]
        return max(counts) if counts else dig(obj.node, "spec", "replicas")

    def autoscaled(self, target: Obj) -> bool:
        """An HPA (or a KEDA ScaledObject) whose scaleTargetRef names this object."""
        for o in self.of_kind("HorizontalPodAutoscaler", "ScaledObject"):
            ref = dig(o.node, "spec", "scaleTargetRef")
            if not isinstance(ref, dict) or not same_namespace(o, target):
                continue
            kind = ref.get("kind") or ("Deployment" if o.kind == "ScaledObject" else None)
            if kind == target.kind and str(ref.get("name")) == target.name:
                return True
        return False

    def selected_by_service(self, target: Obj) -> bool:
        labels = pod_labels(target)
        for svc in self.of_kind("Service"):
            selector = dig(svc.node, "spec", "selector")
            if (
                isinstance(selector, dict)
                and selector
                and same_namespace(svc, target)
                and all(labels.get(str(k)) == str(v) for k, v in selector.items())
            ):
                return True
        return False

    def has_pdb(self, target: Obj) -> bool:
        labels = pod_labels(target)
        return any(
            same_namespace(pdb, target)
            and selector_matches(dig(pdb.node, "spec", "selector"), labels)
            for pdb in self.of_kind("PodDisruptionBudget")
        )


def same_namespace(a: Obj, b: Obj) -> bool:
    return a.namespace is None or b.namespace is None or a.namespace == b.namespace


def selector_matches(selector: Any, labels: dict[str, str]) -> bool:
    """A LabelSelector against pod labels; `{}` selects every pod, a missing one none."""
    if not isinstance(selector, dict):
        return False
    match_labels = selector.get("matchLabels") or {}
    if not isinstance(match_labels, dict):
        return False
    if any(labels.get(str(k)) != str(v) for k, v in match_labels.items()):
        return False
    exprs = selector.get("matchExpressions") or []
    if not isinstance(exprs, list):
        return False
    return all(_expression_matches(e, labels) for e in exprs)


def _expression_matches(expr: Any, labels: dict[str, str]) -> bool:
    if not isinstance(expr, dict):
        return False
    key, op = str(expr.get("key")), expr.get("operator")
    values = {str(v) for v in expr.get("values") or []}
    if op == "In":
        return key in labels and labels[key] in values
    if op == "NotIn":
        return key not in labels or labels[key] not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    return False


def serves_traffic(obj: Obj, index: Index) -> bool:
    """An "API" workload: a container declares a containerPort, or a Service selects its pods.

    Queue workers (Celery, RQ) have neither, so they are not asked for a
    readiness probe or an HPA on CPU.
    """
    return any(_has_ports(c) for c in containers(obj) if not c.init) or (
        index.selected_by_service(obj)
    )


@repo_check("K8S004")
def readiness_probe(results: Sequence[FileResult]) -> Iterator[Finding]:
    """Readiness gates traffic, so only containers that receive traffic need it.

    In a serving workload those are the containers declaring a port; when a
    Service selects the pods but no container declares a port, all of them.
    """
    index = Index.build(results)
    for obj in index.objects:
        if obj.kind in _BATCH_KINDS or pod_spec(obj) is None or not serves_traffic(obj, index):
            continue
        app = [c for c in containers(obj) if _long_running(c) and not c.fragment]
        candidates = [c for c in app if _has_ports(c)] or app
        for c in candidates:
            if not isinstance(c.node.get("readinessProbe"), dict):
                yield _finding(
                    "K8S004",
                    obj.path,
                    f"{c.label()} receives traffic but has no readiness probe",
                    c.mark,
                    c.anchor("readinessProbe"),
                )


# --------------------------------------------------------------------------- replicas, HPA, PDB


def _read_kustomization(facts: Any, images: set[str], replicas: list[tuple[str, int]]) -> None:
    """Kustomize rewrites these at build time, so the base's values are not the deployed ones."""
    for _, doc in getattr(facts, "mappings", list)():
        for item in _items(doc.get("images")):
            if item.get("name"):
                images.add(str(item["name"]))
        for item in _items(doc.get("replicas")):
            count = item.get("count")
            if isinstance(count, int) and not isinstance(count, bool) and item.get("name"):
                replicas.append((str(item["name"]), count))


def _read_skaffold(facts: Any, images: set[str]) -> None:
    """Skaffold builds its artifacts and rewrites their names in the manifests to a tagged,
    digest-pinned reference at deploy time, so `image: adservice` there is not `latest`."""
    for _, doc in getattr(facts, "mappings", list)():
        if not str(doc.get("apiVersion") or "").startswith("skaffold/"):
            continue
        builds = [doc.get("build")] + [p.get("build") for p in _items(doc.get("profiles"))]
        for build in builds:
            for artifact in _items(build.get("artifacts") if isinstance(build, dict) else None):
                if artifact.get("image"):
                    images.add(str(artifact["image"]))


def _items(seq: Any) -> list[dict[Any, Any]]:
    return [i for i in seq if isinstance(i, dict)] if isinstance(seq, list) else []


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
        yield _finding("K8S005", obj.path, msg, mark, f"{obj.ident}:replicas")


def runs_datastore(obj: Obj) -> bool:
    """Every app container runs a database or cache image (a `redis:7` Deployment).

    More replicas of such a Deployment are separate databases with separate
    data, not more capacity: an HPA on it is wrong advice.
    """
    app = [c for c in containers(obj) if not c.init and not c.fragment]
    return bool(app) and all(
        _DATASTORE_IMAGE.match(_image_repo(str(c.node.get("image"))).rsplit("/", 1)[-1].lower())
        for c in app
    )


@repo_check("K8S013")
def api_without_hpa(results: Sequence[FileResult]) -> Iterator[Finding]:
    """A serving Deployment with a fixed replica count cannot follow traffic peaks."""
    index = Index.build(results)
    for obj in index.workloads("Deployment"):
        if index.replicas(obj) == 0 or not serves_traffic(obj, index) or index.autoscaled(obj):
            continue
        if runs_datastore(obj):
            continue
        yield _finding(
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
        yield _finding(
            "K8S014",
            obj.path,
            f"{obj.label()} has no PodDisruptionBudget selecting its pods",
            obj.key_mark("metadata", "name"),
            f"{obj.ident}:pdb",
        )


# --------------------------------------------------------------------------- security context


def _effective(c: Container, key: str) -> tuple[Any, Mark | None]:
    """Container securityContext wins over the pod's; returns the value and where it is set."""
    sc = c.security_context
    if sc is not None and sc.get(key) is not None:
        return sc[key], sc.key_mark(key)
    pod_sc = c.pod_spec.get("securityContext")
    if isinstance(pod_sc, YamlMap) and pod_sc.get(key) is not None:
        return pod_sc[key], pod_sc.key_mark(key)
    return None, None


def _uid(value: Any) -> int | None:
    """A UID written as a number or a quoted number; anything else is not a UID."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


@file_check(KIND, "K8S006")
def run_as_non_root(parsed: Any) -> Iterator[Finding]:
    """Like kube-linter run-as-non-root: an explicit non-zero runAsUser is enough.

    runAsNonRoot (container or pod level) also passes; runAsUser 0 fails
    whatever runAsNonRoot says (the kubelet refuses the pair anyway).
    """
    for c in _workload_containers(parsed):
        raw_user, user_mark = _effective(c, "runAsUser")
        nonroot, nonroot_mark = _effective(c, "runAsNonRoot")
        user = _uid(raw_user)
        if user == 0:
            msg = f"{c.label()} runs as root (runAsUser: 0)"
            mark = user_mark or c.mark
        elif (user is not None and user > 0) or nonroot is True:
            continue
        else:
            msg = f"{c.label()} may run as root: runAsNonRoot is not true and runAsUser is not set"
            mark = nonroot_mark or c.security_mark("runAsNonRoot")
        yield _finding("K8S006", c.owner.path, msg, mark, c.anchor("runAsNonRoot"))


@file_check(KIND, "K8S007")
def privilege_escalation(parsed: Any) -> Iterator[Finding]:
    """allowPrivilegeEscalation defaults to true, so only an explicit false passes (Polaris)."""
    for c in _workload_containers(parsed):
        sc = c.security_context
        if sc is not None and sc.get("allowPrivilegeEscalation") is False:
            continue
        yield _finding(
            "K8S007",
            c.owner.path,
            f"{c.label()} does not set allowPrivilegeEscalation: false",
            c.security_mark("allowPrivilegeEscalation"),
            c.anchor("allowPrivilegeEscalation"),
        )


@file_check(KIND, "K8S008")
def privileged(parsed: Any) -> Iterator[Finding]:
    """Patches count too: a patch that turns privileged on is exactly what to catch."""
    for c in (c for obj in _file_objects(parsed) for c in containers(obj)):
        sc = c.security_context
        if sc is not None and sc.get("privileged") is True:
            yield _finding(
                "K8S008",
                c.owner.path,
                f"{c.label()} runs privileged",
                sc.key_mark("privileged"),
                c.anchor("privileged"),
            )


@file_check(KIND, "K8S015")
def host_namespaces(parsed: Any) -> Iterator[Finding]:
    for obj in _file_objects(parsed):
        spec = pod_spec(obj)
        if spec is None:
            continue
        for key in ("hostNetwork", "hostPID", "hostIPC"):
            if spec.get(key) is True:
                yield _finding(
                    "K8S015",
                    obj.path,
                    f"{obj.label()} shares the node's namespace ({key}: true)",
                    spec.key_mark(key),
                    f"{obj.ident}:{key}",
                )


@file_check(KIND, "K8S016")
def writable_root_fs(parsed: Any) -> Iterator[Finding]:
    """Init containers are skipped: they run briefly, often to prepare files."""
    for c in _workload_containers(parsed):
        if c.init and not c.sidecar:
            continue
        sc = c.security_context
        if sc is not None and sc.get("readOnlyRootFilesystem") is True:
            continue
        yield _finding(
            "K8S016",
            c.owner.path,
            f"{c.label()} has a writable root filesystem (readOnlyRootFilesystem is not true)",
            c.security_mark("readOnlyRootFilesystem"),
            c.anchor("readOnlyRootFilesystem"),
        )


@repo_check("K8S017")
def token_automount(results: Sequence[FileResult]) -> Iterator[Finding]:
    """A mounted token is only needed when the service account is used.

    Judged only when the answer is visible in the repository: the pod runs as
    the "default" service account, or as one defined here. It passes when the
    pod or its ServiceAccount disables automounting, when a RoleBinding or
    ClusterRoleBinding binds that account, or when the account carries a
    cloud workload-identity annotation (IRSA, GKE, Azure). A custom account
    defined elsewhere is someone else's decision and is not reported.
    """
    index = Index.build(results)
    defined: set[tuple[str | None, str]] = set()
    used: set[tuple[str | None, str]] = set()
    for sa in index.of_kind("ServiceAccount"):
        defined.add((sa.namespace, sa.name))
        annotations = dig(sa.node, "metadata", "annotations")
        identity = isinstance(annotations, dict) and any(
            a in annotations for a in _WORKLOAD_IDENTITY_ANNOTATIONS
        )
        if sa.node.get("automountServiceAccountToken") is False or identity:
            used.add((sa.namespace, sa.name))
    for rb in index.of_kind("RoleBinding", "ClusterRoleBinding"):
        subjects = rb.node.get("subjects")
        for s in subjects if isinstance(subjects, list) else []:
            if isinstance(s, dict) and s.get("kind") == "ServiceAccount" and s.get("name"):
                ns = s.get("namespace") or rb.namespace
                used.add((str(ns) if ns else None, str(s["name"])))
    for obj in index.objects:
        spec = pod_spec(obj)
        if spec is None or not complete(obj) or spec.get("automountServiceAccountToken") is False:
            continue
        sa_name = str(spec.get("serviceAccountName") or spec.get("serviceAccount") or "default")
        if sa_name != "default" and not _known(defined, obj.namespace, sa_name):
            continue
        if _known(used, obj.namespace, sa_name):
            continue
        mark = (
            spec.key_mark("serviceAccountName")
            if "serviceAccountName" in spec
            else obj.key_mark(*_POD_SPEC_PATHS[obj.kind])
        )
        yield _finding(
            "K8S017",
            obj.path,
            f'{obj.label()} mounts the API token of service account "{sa_name}", '
            "which nothing in the repository uses",
            mark,
            f"{obj.ident}:automountServiceAccountToken",
        )


def _known(pairs: set[tuple[str | None, str]], namespace: str | None, name: str) -> bool:
    return any(
        n == name and (ns is None or namespace is None or ns == namespace) for ns, n in pairs
    )


@file_check(KIND, "K8S018")
def role_reads_all_secrets(parsed: Any) -> Iterator[Finding]:
    """Read access to every Secret of a namespace (or the cluster) without resourceNames."""
    for obj in _file_objects(parsed):
        if obj.kind not in ("Role", "ClusterRole"):
            continue
        rules = obj.node.get("rules")
        for i, rule in enumerate(rules if isinstance(rules, list) else []):
            if not isinstance(rule, YamlMap) or rule.get("resourceNames"):
                continue
            groups = [str(g) for g in rule.get("apiGroups") or [""]]
            resources = [str(r) for r in rule.get("resources") or []]
            verbs = {str(v) for v in rule.get("verbs") or []}
            if (
                any(g in ("", "*") for g in groups)
                and any(r in ("secrets", "*") for r in resources)
                and verbs & _READ_VERBS
            ):
                yield _finding(
                    "K8S018",
                    obj.path,
                    f"{obj.label()} grants {', '.join(sorted(verbs & _READ_VERBS))} "
                    "on every Secret",
                    rule.key_mark("resources") if "resources" in rule else rule.mark,
                    f"{obj.ident}:rules[{i}]:secrets",
                )


# --------------------------------------------------------------------------- images


def image_unpinned(image: str) -> str | None:
    """Why an image reference floats ("untagged", "latest"), or None when it is pinned."""
    ref = image.strip()
    if not ref or "@" in ref or "$" in ref or "{{" in ref:
        return None  # a digest, or a reference filled in at deploy time
    last = ref.rsplit("/", 1)[-1]
    if ":" not in last:
        return "untagged"
    return "latest" if last.rsplit(":", 1)[1] == "latest" else None


def _image_repo(image: str) -> str:
    ref = image.split("@", 1)[0]
    head, _, last = ref.rpartition("/")
    name = last.split(":", 1)[0]
    return f"{head}/{name}" if head else name


@repo_check("K8S009")
def image_tag(results: Sequence[FileResult]) -> Iterator[Finding]:
    """A repository check only so that a kustomization that sets the tag can excuse a base."""
    index = Index.build(results)
    for obj in index.objects:
        for c in containers(obj):
            image = c.node.get("image")
            if not isinstance(image, str):
                continue
            why = image_unpinned(image)
            if why is None or _image_repo(image) in index.retagged:
                continue
            detail = "uses the latest tag" if why == "latest" else "has no tag"
            yield _finding(
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
    for obj in _file_objects(parsed):
        for c in containers(obj):
            env = c.node.get("env")
            for item in env if isinstance(env, list) else []:
                if not isinstance(item, YamlMap) or "value" not in item:
                    continue
                name = str(item.get("name") or "")
                secret = literal_secret(name, item["value"])
                if secret is None:
                    continue
                yield _finding(
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
                yield _finding(
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
    for obj in _file_objects(parsed):
        if obj.kind != "Secret" or obj.node.get("type") == "kubernetes.io/service-account-token":
            continue
        for field, encoded in (("data", True), ("stringData", False)):
            table = obj.node.get(field)
            if not isinstance(table, YamlMap):
                continue
            keys = [str(k) for k, v in table.items() if _real_secret_value(v, encoded)]
            if not keys:
                continue
            yield _finding(
                "K8S011",
                obj.path,
                f"{obj.label()} commits {len(keys)} value(s) in {field} ({', '.join(keys)})",
                obj.node.key_mark(field),
                f"{obj.ident}:{field}",
            )


# --------------------------------------------------------------------------- ingress


@file_check(KIND, "K8S012")
def ingress_tls(parsed: Any) -> Iterator[Finding]:
    for obj in _file_objects(parsed):
        if obj.kind != "Ingress":
            continue
        tls = dig(obj.node, "spec", "tls")
        if isinstance(tls, list) and tls:
            continue
        annotations = dig(obj.node, "metadata", "annotations")
        if isinstance(annotations, dict) and any(a in annotations for a in _LB_TLS_ANNOTATIONS):
            continue
        yield _finding(
            "K8S012",
            obj.path,
            f"{obj.label()} has no tls section, so it serves plain HTTP",
            obj.key_mark("spec"),
            f"{obj.ident}:tls",
        )
