"""Kubernetes objects and their containers, and the repository-wide index rules use to relate
them (an HPA or PDB in another file, a Service selecting the pods, a kustomization
overriding an image tag or the replicas).

Namespaces: an object without `metadata.namespace` is shown as "default", but when matching
two objects an unset namespace matches any namespace, because `kubectl apply -n` and
kustomize's `namespace:` set it at deploy time.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from analyzer.core.model import FileResult
from analyzer.facts.images import is_datastore
from analyzer.parsers.yamlfile import dig
from analyzer.parsers.yamlmarks import Mark, YamlMap

KIND = "kubernetes"

_TEMPLATE_PATH = ("spec", "template", "spec")

POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Deployment": _TEMPLATE_PATH,
    "StatefulSet": _TEMPLATE_PATH,
    "DaemonSet": _TEMPLATE_PATH,
    "ReplicaSet": _TEMPLATE_PATH,
    "ReplicationController": _TEMPLATE_PATH,
    "Job": _TEMPLATE_PATH,
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Pod": ("spec",),
}

_PATCH_FILE = re.compile(r"(?:^|[-_.])patch(?:es)?(?:[-_.][^/]*)?\.ya?ml$", re.IGNORECASE)
_SELECTOR_REQUIRED = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"})
BATCH_KINDS = {"Job", "CronJob"}  # run to completion: probes make no sense there


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

    @property
    def is_patch(self) -> bool:
        """A workload in a file named as a kustomize patch (`manager_image_patch.yaml`) that
        lacks `spec.selector` (which the API server requires of apps/v1 workloads): its
        absent fields come from the base it patches, so they are unknown, not missing."""
        if self.kind not in _SELECTOR_REQUIRED or not _PATCH_FILE.search(self.path):
            return False
        spec = self.node.get("spec")
        return isinstance(spec, dict) and "selector" not in spec

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
        """No `image`, or in a patch: not a whole container; "missing X" rules skip it."""
        return "image" not in self.node or self.owner.is_patch

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
    keys = POD_SPEC_PATHS.get(obj.kind)
    spec = dig(obj.node, *keys) if keys else None
    return spec if isinstance(spec, YamlMap) else None


def pod_labels(obj: Obj) -> dict[str, str]:
    spec_path = POD_SPEC_PATHS.get(obj.kind)
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


def complete(obj: Obj) -> bool:
    """A workload with at least one real container (not a kustomize patch of one)."""
    return any(not c.fragment for c in containers(obj))


def has_ports(c: Container) -> bool:
    ports = c.node.get("ports")
    return isinstance(ports, list) and any(
        isinstance(p, dict) and p.get("containerPort") is not None for p in ports
    )


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
    return any(has_ports(c) for c in containers(obj) if not c.init) or (
        index.selected_by_service(obj)
    )


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


def runs_datastore(obj: Obj) -> bool:
    """Every app container runs a database or cache image (a `redis:7` Deployment).

    More replicas of such a Deployment are separate databases with separate
    data, not more capacity: an HPA on it is wrong advice.
    """
    app = [c for c in containers(obj) if not c.init and not c.fragment]
    return bool(app) and all(is_datastore(str(c.node.get("image"))) for c in app)


def as_int(value: Any) -> int | None:
    """A number written as a number or a quoted number (a UID, a replica count); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None
