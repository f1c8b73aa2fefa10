"""Kubernetes rules through the real scan: real manifests written to a temporary repository."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from analyzer.core.model import Finding
from analyzer.facts.images import floating_in_kubernetes
from analyzer.facts.kubernetes import selector_matches
from analyzer.pipeline.scan import scan
from tests.conftest import AUDIT, run_cli, write_tree

API = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: prod
spec:
  replicas: 3
  selector: {matchLabels: {app: api}}
  template:
    metadata:
      labels: {app: api, tier: backend}
    spec:
      automountServiceAccountToken: false
      securityContext: {runAsNonRoot: true, runAsUser: 10001}
      initContainers:
        - name: migrate
          image: ghcr.io/acme/api:1.4.2
          command: [alembic, upgrade, head]
          securityContext: {allowPrivilegeEscalation: false}
          resources: {limits: {cpu: 500m, memory: 256Mi}}
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
          ports: [{containerPort: 8000}]
          env:
            - name: DB_PASSWORD
              valueFrom: {secretKeyRef: {name: api-secrets, key: db-password}}
            - name: LOG_LEVEL
              value: info
          resources:
            requests: {cpu: 250m, memory: 256Mi}
            limits: {cpu: "1", memory: 512Mi}
          livenessProbe: {httpGet: {path: /health, port: 8000}}
          readinessProbe: {httpGet: {path: /ready, port: 8000}}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
"""

WORKER = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker, namespace: prod}
spec:
  replicas: 2
  template:
    metadata:
      labels: {app: worker}
    spec:
      automountServiceAccountToken: false
      securityContext: {runAsNonRoot: true}
      containers:
        - name: worker
          image: ghcr.io/acme/api:1.4.2
          command: [celery, -A, app.worker, worker]
          resources: {limits: {cpu: "1", memory: 512Mi}}
          livenessProbe: {exec: {command: [celery, -A, app.worker, inspect, ping]}}
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true}
"""

PLATFORM = """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api, namespace: prod}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 3
  maxReplicas: 12
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: backend, namespace: prod}
spec:
  maxUnavailable: 1
  selector:
    matchExpressions:
      - {key: app, operator: In, values: [api, worker]}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: prod}
spec:
  selector: {app: api}
  ports: [{port: 80, targetPort: 8000}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: api, namespace: prod}
spec:
  tls: [{hosts: [api.example.com], secretName: api-tls}]
  rules:
    - host: api.example.com
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
"""

CRONJOB = """\
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: prod}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          automountServiceAccountToken: false
          restartPolicy: OnFailure
          securityContext: {runAsNonRoot: true}
          containers:
            - name: report
              image: ghcr.io/acme/api:1.4.2
              ports: [{containerPort: 9090}]
              resources: {limits: {cpu: 200m, memory: 128Mi}}
              securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true}
"""

BARE = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: %s}
spec:
  replicas: 1
  template:
    spec:
      containers:
        - name: %s
          image: ghcr.io/acme/api:1.4.2
"""


def k8s(root: Path, code: str | None = None) -> list[Finding]:
    return [
        f
        for f in scan(root, AUDIT).findings
        if f.code.startswith("K8S") and (code is None or f.code == code)
    ]


def codes_at(findings: list[Finding]) -> set[tuple[str, str, int | None]]:
    return {(f.code, f.path, f.line) for f in findings}


def test_production_ready_manifests_split_over_files_have_no_finding(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "deploy/api.yaml": API,
            "deploy/worker.yaml": WORKER,
            "deploy/platform/all.yaml": PLATFORM,
            "deploy/jobs/nightly.yaml": CRONJOB,
        },
    )
    assert k8s(tmp_path) == []


def test_hpa_and_pdb_only_count_in_the_same_namespace(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "deploy/api.yaml": API,
            "deploy/platform/all.yaml": PLATFORM.replace("namespace: prod", "namespace: staging"),
        },
    )
    found = {f.code for f in k8s(tmp_path)}
    assert {"K8S013", "K8S014"} <= found


def test_hpa_targeting_the_deployment_replaces_replicas(tmp_path: Path) -> None:
    single = API.replace("replicas: 3", "replicas: 1")
    write_tree(tmp_path, {"a/api.yaml": single, "b/hpa.yaml": PLATFORM.split("---")[0]})
    assert k8s(tmp_path, "K8S005") == []
    assert k8s(tmp_path, "K8S013") == []
    # HPA-managed: a PDB is expected even though the manifest says 1 replica
    assert [f.line for f in k8s(tmp_path, "K8S014")] == [4]


def test_multi_document_file_with_a_broken_document_between_good_ones(tmp_path: Path) -> None:
    text = (
        BARE % ("first", "first")
        + "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: broken\n"
        + "---\n"
        + BARE % ("last", "last")
    )
    write_tree(tmp_path, {"k8s/all.yaml": text})
    result = scan(tmp_path, AUDIT)
    replicas = [(f.line, f.message) for f in result.findings if f.code == "K8S005"]
    assert replicas == [
        (5, 'Deployment "first" runs a single replica'),
        (20, 'Deployment "last" runs a single replica'),
    ]
    notes = [f for f in result.findings if f.code == "PR001"]
    assert len(notes) == 1 and notes[0].line is not None and 11 <= notes[0].line <= 15


def test_kind_list_items_are_unpacked(tmp_path: Path) -> None:
    text = """\
apiVersion: v1
kind: List
items:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: api}
    spec:
      template:
        spec:
          containers:
            - name: api
              image: ghcr.io/acme/api:latest
  - apiVersion: networking.k8s.io/v1
    kind: Ingress
    metadata: {name: api}
    spec:
      defaultBackend: {service: {name: api, port: {number: 80}}}
"""
    write_tree(tmp_path, {"k8s/list.yaml": text})
    found = codes_at(k8s(tmp_path))
    assert ("K8S009", "k8s/list.yaml", 12) in found
    assert ("K8S001", "k8s/list.yaml", 11) in found
    assert ("K8S012", "k8s/list.yaml", 16) in found


def test_init_containers_get_resource_and_security_rules_but_no_probe_rules(
    tmp_path: Path,
) -> None:
    text = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  template:
    spec:
      initContainers:
        - name: migrate
          image: ghcr.io/acme/api:1.4.2
        - name: log-shipper
          image: fluent/fluent-bit:3.1
          restartPolicy: Always
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
          livenessProbe: {httpGet: {path: /health, port: 8000}}
"""
    write_tree(tmp_path, {"k8s/api.yaml": text})
    findings = k8s(tmp_path)
    by_code: dict[str, list[str]] = {}
    for f in findings:
        by_code.setdefault(f.code, []).append(f.message)
    assert (
        'init container "migrate" of Deployment "api" has no CPU or memory limit'
        in (by_code["K8S001"])
    )
    assert any('"migrate"' in m for m in by_code["K8S006"])
    # a run-to-completion init container needs no probe; a native sidecar does
    assert by_code["K8S003"] == [
        'container "log-shipper" of Deployment "api" has no liveness probe'
    ]
    assert not any('"migrate"' in m for m in by_code.get("K8S016", []))


def test_cronjob_and_job_need_resources_but_no_probes(tmp_path: Path) -> None:
    job = CRONJOB.replace("resources: {limits: {cpu: 200m, memory: 128Mi}}", "args: [run]")
    write_tree(tmp_path, {"k8s/cron.yaml": job})
    codes = {f.code for f in k8s(tmp_path)}
    assert {"K8S001", "K8S002"} <= codes
    assert not codes & {"K8S003", "K8S004", "K8S005", "K8S013", "K8S014"}


def test_readiness_only_for_containers_that_receive_traffic(tmp_path: Path) -> None:
    worker = BARE % ("worker", "worker")
    selected = (BARE % ("web", "web")).replace(
        "  template:\n", "  template:\n    metadata:\n      labels: {app: web}\n"
    )
    service = (
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n"
    )
    write_tree(
        tmp_path,
        {"k8s/worker.yaml": worker, "k8s/web.yaml": selected, "k8s/svc.yaml": service},
    )
    ready = k8s(tmp_path, "K8S004")
    assert [(f.path, f.line) for f in ready] == [("k8s/web.yaml", 11)]
    hpa = k8s(tmp_path, "K8S013")
    assert [f.path for f in hpa] == ["k8s/web.yaml"]


def test_run_as_non_root_follows_container_over_pod(tmp_path: Path) -> None:
    text = """\
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {runAsNonRoot: false}
  containers:
    - name: fixed
      image: ghcr.io/acme/api:1.4.2
      securityContext: {runAsNonRoot: true}
    - name: uid
      image: ghcr.io/acme/api:1.4.2
      securityContext: {runAsUser: "1000"}
    - name: inherits
      image: ghcr.io/acme/api:1.4.2
    - name: root
      image: ghcr.io/acme/api:1.4.2
      securityContext: {runAsNonRoot: true, runAsUser: 0}
"""
    write_tree(tmp_path, {"k8s/pod.yaml": text})
    found = [(f.line, f.message) for f in k8s(tmp_path, "K8S006")]
    assert found == [
        (
            5,
            'container "inherits" of Pod "p" may run as root: runAsNonRoot is not true '
            "and runAsUser is not set",
        ),
        (17, 'container "root" of Pod "p" runs as root (runAsUser: 0)'),
    ]


def test_secret_values_never_leave_the_scan(tmp_path: Path) -> None:
    password = "prod-Pa55w0rd-7731"
    encoded = base64.b64encode(password.encode()).decode()
    secret = f"""\
apiVersion: v1
kind: Secret
metadata: {{name: db}}
data:
  password: {encoded}
  username: {base64.b64encode(b"<user>").decode()}
"""
    deploy = (
        BARE % ("api", "api")
    ) + f"          env:\n            - {{name: DB_PASSWORD, value: {password}}}\n"
    write_tree(tmp_path, {"k8s/secret.yaml": secret, "k8s/api.yaml": deploy})
    findings = k8s(tmp_path)
    by_code = {f.code: f for f in findings if f.code in ("K8S010", "K8S011")}
    assert by_code["K8S011"].message == 'Secret "db" commits 1 value(s) in data (password)'
    assert by_code["K8S010"].line == 12
    for f in findings:
        assert password not in f.message + f.anchor and encoded not in f.message + f.anchor
    out = run_cli("scan", tmp_path, "--format", "json")
    assert password not in out.stdout and encoded not in out.stdout
    assert "K8S011" in out.stdout
    json.loads(out.stdout)


def test_placeholder_secrets_and_sealed_secrets_pass(tmp_path: Path) -> None:
    text = """\
apiVersion: v1
kind: Secret
metadata: {name: db}
stringData:
  password: ${DB_PASSWORD}
  token: <filled-in-by-ci>
data:
  api-key: ""
---
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata: {name: db}
spec:
  encryptedData: {password: AgBy3i4OJSWK+PiTySYZZA9rO43cGDEq0x5mNpNmN3wqQnbZlP}
"""
    write_tree(tmp_path, {"k8s/secret.yaml": text})
    assert k8s(tmp_path, "K8S011") == []


def test_fingerprints_survive_unrelated_edits(tmp_path: Path) -> None:
    write_tree(tmp_path, {"k8s/api.yaml": BARE % ("api", "api")})
    before = {(f.code, f.fingerprint) for f in k8s(tmp_path)}
    write_tree(
        tmp_path,
        {"k8s/api.yaml": "# the API\n# owned by the platform team\n" + BARE % ("api", "api")},
    )
    after = {(f.code, f.fingerprint) for f in k8s(tmp_path)}
    assert before == after and len(before) >= 8


def test_kustomization_image_override_excuses_an_untagged_base(tmp_path: Path) -> None:
    base = (BARE % ("api", "api")).replace("ghcr.io/acme/api:1.4.2", "ghcr.io/acme/api")
    kustomization = (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resources: [api.yaml]\nimages:\n  - {name: ghcr.io/acme/api, newTag: 1.4.2}\n"
    )
    write_tree(tmp_path, {"base/api.yaml": base})
    assert [f.line for f in k8s(tmp_path, "K8S009")] == [10]
    write_tree(tmp_path, {"base/kustomization.yaml": kustomization})
    assert k8s(tmp_path, "K8S009") == []


def test_kustomize_overlay_replicas_and_patches(tmp_path: Path) -> None:
    base = (BARE % ("api", "api")).replace("  replicas: 1\n", "")
    overlay = (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resources: [../../base]\npatches: [{path: patch.yaml}]\n"
        "replicas:\n  - {name: api, count: 3}\n"
    )
    patch = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  template:
    spec:
      containers:
        - name: api
          env: [{name: LOG_LEVEL, value: info}]
"""
    write_tree(
        tmp_path,
        {
            "k8s/base/api.yaml": base,
            "k8s/overlays/prod/kustomization.yaml": overlay,
            "k8s/overlays/prod/patch.yaml": patch,
        },
    )
    findings = k8s(tmp_path)
    assert {f.path for f in findings} == {"k8s/base/api.yaml"}
    codes = {f.code for f in findings}
    assert "K8S005" not in codes  # the overlay runs 3 replicas...
    assert "K8S014" in codes  # ...so they need a PodDisruptionBudget


def test_inline_suppression_silences_a_kubernetes_finding(tmp_path: Path) -> None:
    text = (BARE % ("api", "api")).replace(
        "  replicas: 1\n",
        "  # prodready: ignore[K8S005] demo environment, one pod is enough\n  replicas: 1\n",
    )
    write_tree(tmp_path, {"k8s/api.yaml": text})
    [finding] = k8s(tmp_path, "K8S005")
    assert finding.suppression == "demo environment, one pod is enough"


def test_selector_matching() -> None:
    labels = {"app": "api", "tier": "backend"}
    assert selector_matches({}, labels)
    assert not selector_matches(None, labels)
    assert selector_matches({"matchLabels": {"app": "api"}}, labels)
    in_web = {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]}
    assert not selector_matches(in_web, labels)
    assert not selector_matches(in_web, {})
    assert not selector_matches({"matchLabels": {"app": "api", "tier": "front"}}, labels)
    assert selector_matches(
        {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["front"]}]}, labels
    )
    assert selector_matches({"matchExpressions": [{"key": "app", "operator": "Exists"}]}, labels)
    assert not selector_matches(
        {"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, labels
    )


def test_image_pinning() -> None:
    assert floating_in_kubernetes("nginx") == "untagged"
    assert floating_in_kubernetes("registry.local:5000/acme/api") == "untagged"
    assert floating_in_kubernetes("ghcr.io/acme/api:latest") == "latest"
    assert floating_in_kubernetes("registry.local:5000/acme/api:1.4.2") is None
    assert floating_in_kubernetes("ghcr.io/acme/api@sha256:" + "a" * 64) is None
    assert floating_in_kubernetes("${IMAGE}") is None


def test_datastore_deployments_are_not_asked_for_an_autoscaler(tmp_path: Path) -> None:
    store = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n"
        "  template:\n    spec:\n      containers:\n        - name: {name}\n"
        "          image: {image}\n          ports: [{{containerPort: 27017}}]\n"
    )
    write_tree(
        tmp_path,
        {
            "k8s/mongo.yaml": store.format(
                name="mongo", image="mongodb/mongodb-community-server:7.0-ubi8"
            ),
            "k8s/etcd.yaml": store.format(name="etcd", image="quay.io/coreos/etcd:v3.5.13"),
            "k8s/api.yaml": store.format(name="api", image="ghcr.io/acme/api:1.4.2"),
        },
    )
    assert {f.path for f in k8s(tmp_path, "K8S013")} == {"k8s/api.yaml"}
