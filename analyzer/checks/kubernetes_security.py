"""Kubernetes security settings: who a container runs as, what it may do, what it can read.

The pod's and the container's securityContext, host namespaces, the service
account token and roles that read Secrets. The model helpers are the other
Kubernetes rules' (analyzer.checks.kubernetes), so both judge the same containers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from analyzer.checks.kubernetes import file_objects, finding_at, workload_containers
from analyzer.checks.registry import file_check, repo_check
from analyzer.core.model import FileResult, Finding
from analyzer.facts.kubernetes import (
    KIND,
    POD_SPEC_PATHS,
    Container,
    Index,
    as_int,
    complete,
    containers,
    pod_spec,
)
from analyzer.parsers.yamlfile import dig
from analyzer.parsers.yamlmarks import Mark, YamlMap

_READ_VERBS = {"get", "list", "watch", "*"}
# ServiceAccount annotations that give the account a cloud identity: the account is in use.
_WORKLOAD_IDENTITY_ANNOTATIONS = (
    "eks.amazonaws.com/role-arn",
    "iam.gke.io/gcp-service-account",
    "azure.workload.identity/client-id",
)


def _effective(c: Container, key: str) -> tuple[Any, Mark | None]:
    """Container securityContext wins over the pod's; returns the value and where it is set."""
    sc = c.security_context
    if sc is not None and sc.get(key) is not None:
        return sc[key], sc.key_mark(key)
    pod_sc = c.pod_spec.get("securityContext")
    if isinstance(pod_sc, YamlMap) and pod_sc.get(key) is not None:
        return pod_sc[key], pod_sc.key_mark(key)
    return None, None


@file_check(KIND, "K8S006")
def run_as_non_root(parsed: Any) -> Iterator[Finding]:
    """Like kube-linter run-as-non-root: an explicit non-zero runAsUser is enough.

    runAsNonRoot (container or pod level) also passes; runAsUser 0 fails
    whatever runAsNonRoot says (the kubelet refuses the pair anyway).
    """
    for c in workload_containers(parsed):
        raw_user, user_mark = _effective(c, "runAsUser")
        nonroot, nonroot_mark = _effective(c, "runAsNonRoot")
        user = as_int(raw_user)
        if user == 0:
            msg = f"{c.label()} runs as root (runAsUser: 0)"
            mark = user_mark or c.mark
        elif (user is not None and user > 0) or nonroot is True:
            continue
        else:
            msg = f"{c.label()} may run as root: runAsNonRoot is not true and runAsUser is not set"
            mark = nonroot_mark or c.security_mark("runAsNonRoot")
        yield finding_at("K8S006", c.owner.path, msg, mark, c.anchor("runAsNonRoot"))


@file_check(KIND, "K8S007")
def privilege_escalation(parsed: Any) -> Iterator[Finding]:
    """allowPrivilegeEscalation defaults to true, so only an explicit false passes (Polaris)."""
    for c in workload_containers(parsed):
        sc = c.security_context
        if sc is not None and sc.get("allowPrivilegeEscalation") is False:
            continue
        yield finding_at(
            "K8S007",
            c.owner.path,
            f"{c.label()} does not set allowPrivilegeEscalation: false",
            c.security_mark("allowPrivilegeEscalation"),
            c.anchor("allowPrivilegeEscalation"),
        )


@file_check(KIND, "K8S008")
def privileged(parsed: Any) -> Iterator[Finding]:
    """Patches count too: a patch that turns privileged on is exactly what to catch."""
    for c in (c for obj in file_objects(parsed) for c in containers(obj)):
        sc = c.security_context
        if sc is not None and sc.get("privileged") is True:
            yield finding_at(
                "K8S008",
                c.owner.path,
                f"{c.label()} runs privileged",
                sc.key_mark("privileged"),
                c.anchor("privileged"),
            )


@file_check(KIND, "K8S015")
def host_namespaces(parsed: Any) -> Iterator[Finding]:
    for obj in file_objects(parsed):
        spec = pod_spec(obj)
        if spec is None:
            continue
        for key in ("hostNetwork", "hostPID", "hostIPC"):
            if spec.get(key) is True:
                yield finding_at(
                    "K8S015",
                    obj.path,
                    f"{obj.label()} shares the node's namespace ({key}: true)",
                    spec.key_mark(key),
                    f"{obj.ident}:{key}",
                )


@file_check(KIND, "K8S016")
def writable_root_fs(parsed: Any) -> Iterator[Finding]:
    """Init containers are skipped: they run briefly, often to prepare files."""
    for c in workload_containers(parsed):
        if c.init and not c.sidecar:
            continue
        sc = c.security_context
        if sc is not None and sc.get("readOnlyRootFilesystem") is True:
            continue
        yield finding_at(
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
            else obj.key_mark(*POD_SPEC_PATHS[obj.kind])
        )
        yield finding_at(
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
    for obj in file_objects(parsed):
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
                yield finding_at(
                    "K8S018",
                    obj.path,
                    f"{obj.label()} grants {', '.join(sorted(verbs & _READ_VERBS))} "
                    "on every Secret",
                    rule.key_mark("resources") if "resources" in rule else rule.mark,
                    f"{obj.ident}:rules[{i}]:secrets",
                )
