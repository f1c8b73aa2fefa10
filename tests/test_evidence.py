"""Evidence detectors, each on real files parsed by the real extract phase.

Every detector gets a repository that shows the evidence (and the test names
what must be found, with its place) and, where a near miss is plausible, one
that must not count: evidence that is wrongly found verifies an item nobody
checked.
"""

from __future__ import annotations

from pathlib import Path

from analyzer import checklist, discover, evidence
from analyzer.evidence import SCOPE, Evidence
from analyzer.scan import Plan, extract
from tests.conftest import write_tree


def _collect(tmp_path: Path, files: dict[str, str]) -> tuple[Evidence, ...]:
    root = write_tree(tmp_path, files)
    plan = Plan(str(root), frozenset(), 2_000_000)
    return evidence.collect([extract(plan, c) for c in discover.discover(root, None, [])])


def _for(found: tuple[Evidence, ...], item: str) -> list[Evidence]:
    return [e for e in found if e.item_id == item]


def _one(found: tuple[Evidence, ...], item: str, text: str) -> Evidence:
    hits = [e for e in _for(found, item) if text in e.text]
    assert hits, f"no {item} evidence containing {text!r} in {[e.text for e in found]}"
    return hits[0]


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 3
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: topology.kubernetes.io/zone
          whenUnsatisfiable: ScheduleAnyway
          labelSelector: {matchLabels: {app: api}}
      containers:
        - name: api
          image: ghcr.io/acme/api:1.0.0
          args: ["gunicorn", "-w", "4", "-k", "uvicorn.workers.UvicornWorker", "app.main:app"]
          ports: [{containerPort: 8000}]
          env:
            - name: LOG_LEVEL
              value: info
            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef: {name: db, key: password}
          readinessProbe:
            httpGet: {path: /health, port: 8000}
          livenessProbe:
            httpGet: {path: /health, port: 8000}
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {cpu: 500m, memory: 256Mi}
          securityContext:
            runAsNonRoot: true
            allowPrivilegeEscalation: false
---
apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  selector: {app: api}
  ports: [{port: 80, targetPort: 8000}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: api
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 3
  maxReplicas: 12
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: api
spec:
  minAvailable: 2
  selector:
    matchLabels: {app: api}
"""


def test_kubernetes_workload_evidence(tmp_path: Path) -> None:
    found = _collect(tmp_path, {"k8s/api.yaml": DEPLOYMENT})
    ready = _one(found, "HA-4", "readinessProbe")
    assert (ready.path, ready.line) == ("k8s/api.yaml", 29)
    _one(found, "HA-5", "livenessProbe")
    _one(found, "RES-1", "every container")
    _one(found, "RES-4", "scales from 3 to 12")
    assert _one(found, "HA-1", "runs 3 replicas").line == 6
    _one(found, "HA-1", "PodDisruptionBudget api")
    _one(found, "HA-2", "across zones")
    _one(found, "ARCH-3", "HorizontalPodAutoscaler api targets Deployment api (on cpu)")
    _one(found, "ARCH-2", "Service api balances")
    _one(found, "SECRETS-2", "secretKeyRef")
    _one(found, "SECRETS-4", "non-root")
    _one(found, "BACKEND-5", "-w 4")
    _one(found, "LOG-2", "LOG_LEVEL=info")
    assert _for(found, SCOPE + "kubernetes") and _for(found, SCOPE + "containers")


def test_every_container_means_every_container(tmp_path: Path) -> None:
    second = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker}
spec:
  replicas: 1
  selector: {matchLabels: {app: worker}}
  template:
    metadata: {labels: {app: worker}}
    spec:
      containers:
        - name: worker
          image: ghcr.io/acme/worker:1.0.0
          args: ["celery", "-A", "app", "worker"]
"""
    found = _collect(tmp_path, {"k8s/api.yaml": DEPLOYMENT, "k8s/worker.yaml": second})
    assert not [e for e in _for(found, "RES-1") + _for(found, "RES-4") if "every" in e.text]
    assert not [e for e in _for(found, "SECRETS-4") if "every container" in e.text]
    _one(found, "ARCH-4", "Deployment worker starts only the worker")


def test_kubernetes_operations_evidence(tmp_path: Path) -> None:
    manifests = """\
apiVersion: batch/v1
kind: CronJob
metadata: {name: db-backup}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: backup
              image: ghcr.io/acme/backup:1.0.0
              command: ["sh", "-c", "wal-g backup-push /data && wal-g delete retain 7 --confirm --keep-full 7"]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: cleanup-recordings}
spec:
  schedule: "0 4 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - {name: c, image: "ghcr.io/acme/api:1.0.0", command: ["python", "-m", "app.cleanup"]}
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: api}
spec:
  groups:
    - name: api
      rules:
        - alert: MemoryNearLimit
          expr: container_memory_working_set_bytes / container_spec_memory_limit_bytes > 0.9
          labels: {severity: critical}
          annotations: {runbook_url: "https://runbooks.example.com/memory"}
        - alert: DiskFullSoon
          expr: predict_linear(node_filesystem_free_bytes[6h], 4 * 3600) < 0
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: api}
spec: {selector: {matchLabels: {app: api}}, endpoints: [{port: http}]}
---
apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata: {name: api}
spec: {secretStoreRef: {name: aws, kind: ClusterSecretStore}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: api
  annotations:
    nginx.ingress.kubernetes.io/limit-rps: "20"
    nginx.ingress.kubernetes.io/configuration-snippet: |
      add_header Content-Security-Policy "default-src 'self'";
      add_header X-Content-Type-Options nosniff;
      add_header Strict-Transport-Security "max-age=31536000";
spec:
  tls: [{hosts: [api.example.com], secretName: api-tls}]
  rules: [{host: api.example.com}]
"""
    found = _collect(tmp_path, {"k8s/ops.yaml": manifests})
    backup = _one(found, "DB-4", "CronJob db-backup backs up with `wal-g`")
    assert backup.line == 5  # the schedule
    _one(found, "BACKUP-1", "wal-g")
    _one(found, "BACKUP-2", "incrementally")
    _one(found, "BACKUP-3", "prunes old backups")
    _one(found, "MAINT-4", "CronJob cleanup-recordings")
    _one(found, "METRICS-4", "defines 2 alert(s)")
    _one(found, "RES-3", "MemoryNearLimit")
    _one(found, "ALERT-1", "critical alert MemoryNearLimit")
    _one(found, "ALERT-4", "DiskFullSoon")
    _one(found, "DOCOPS-4", "runbook")
    _one(found, "METRICS-1", "ServiceMonitor api")
    _one(found, "SECRETS-1", "ExternalSecret api")
    _one(found, "ATTACK-1", "limit-rps")
    _one(found, "ATTACK-5", "limit-rps")
    _one(found, "DATA-2", "Ingress api terminates TLS for api.example.com")
    _one(found, "DATA-3", "Content-Security-Policy")
    _one(found, "DATA-4", "strict-transport-security")
    assert not [e for e in _for(found, "MAINT-4") if "db-backup" in e.text]


COMPOSE = """\
x-logging: &logging
  driver: json-file
  options: {max-size: "10m", max-file: "5"}
services:
  api:
    image: ghcr.io/acme/api:1.0.0
    command: uvicorn app.main:app --workers 4 --log-level warning
    restart: unless-stopped
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost:8000/health"]
    secrets: [db_password]
    deploy:
      replicas: 2
      resources:
        limits: {cpus: "1", memory: 512M}
    logging: *logging
  worker:
    image: ghcr.io/acme/api:1.0.0
    command: celery -A app.worker worker
    restart: unless-stopped
    deploy:
      resources:
        limits: {cpus: "1", memory: 512M}
    logging: *logging
  traefik:
    image: traefik:v3.0
    restart: always
    deploy:
      resources:
        limits: {cpus: "0.5", memory: 128M}
    logging: *logging
secrets:
  db_password: {file: ./secrets/db_password}
"""


def test_compose_evidence(tmp_path: Path) -> None:
    found = _collect(tmp_path, {"docker-compose.yml": COMPOSE})
    _one(found, "RES-1", "every compose service (3)")
    _one(found, "LOG-4", "every compose service (3)")
    assert _one(found, "HA-4", "compose service api").line == 9
    _one(found, "HA-5", "compose service worker restarts")
    _one(found, "HA-1", "compose service api runs 2 replicas")
    _one(found, "SECRETS-2", "compose `secrets`")
    _one(found, "ARCH-2", "traefik")
    _one(found, "ARCH-4", "compose service worker starts only the worker")
    _one(found, "BACKEND-5", "--workers 4")
    _one(found, "LOG-2", "--log-level warning")


def test_compose_without_limits_on_one_service_is_no_evidence(tmp_path: Path) -> None:
    found = _collect(
        tmp_path,
        {
            "compose.yaml": "services:\n  a:\n    image: x:1\n    mem_limit: 1g\n    cpus: 1\n  b:\n    image: y:1\n"
        },
    )
    assert not _for(found, "RES-1") and not _for(found, "LOG-4")


def test_dockerfile_evidence(tmp_path: Path) -> None:
    dockerfile = """\
FROM python:3.12-slim AS build
RUN --mount=type=secret,id=pip pip install -r requirements.txt
FROM python:3.12-slim
USER app
HEALTHCHECK CMD curl -f http://localhost:8000/health || exit 1
CMD ["uvicorn", "app.main:app", "--workers", "2"]
"""
    found = _collect(tmp_path, {"Dockerfile": dockerfile})
    assert _one(found, "HA-4", "HEALTHCHECK").line == 5
    assert _one(found, "SECRETS-4", "non-root user `app`").line == 4
    _one(found, "SECRETS-2", "--mount=type=secret")
    _one(found, "BACKEND-5", "--workers 2")
    off = _collect(
        tmp_path / "off", {"Dockerfile": "FROM python:3.12\nHEALTHCHECK NONE\nUSER root\n"}
    )
    assert not _for(off, "HA-4") and not _for(off, "SECRETS-4")


APP = """\
import logging
import os

import sentry_sdk
from fastapi import FastAPI, Query
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.security import HTTPBearer
from prometheus_client import Counter
from prometheus_fastapi_instrumentator import Instrumentator
from pydantic import BaseModel
from slowapi import Limiter
from sqlalchemy import create_engine
from tenacity import retry, wait_exponential
import pybreaker
import structlog
import jwt

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], traces_sample_rate=0.1)
engine = create_engine(os.environ["DATABASE_URL"], pool_size=10, pool_pre_ping=True)
CALLS = Counter("calls_placed_total", "Calls placed")
logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"))
bearer = HTTPBearer()
app = FastAPI()
app.add_middleware(GZipMiddleware, minimum_size=500)
Instrumentator().instrument(app).expose(app)


class CallRequest(BaseModel):
    to: str


@app.exception_handler(ValueError)
async def bad_value(request, exc):
    return None


@app.get("/health")
def health():
    return {"ok": True}


@app.post("/calls")
def create(body: CallRequest):
    return body


@app.get("/calls")
def list_calls(limit: int = Query(50, le=200)):
    return []


@retry(wait=wait_exponential(multiplier=1, max=30))
def place_call():
    return jwt.encode({"sub": "x", "exp": 1}, "k")


@app.middleware("http")
async def headers(request, call_next):
    response = await call_next(request)
    response.headers["Content-Security-Policy"] = "default-src 'self'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Strict-Transport-Security"] = "max-age=63072000"
    response.headers["X-Request-ID"] = request.headers.get("X-Request-ID", "")
    return response
"""


def test_python_evidence(tmp_path: Path) -> None:
    found = _collect(tmp_path, {"app/main.py": APP, "app/__init__.py": ""})
    metrics = _one(found, "METRICS-1", "Prometheus metrics: `prometheus_client`")
    assert (metrics.path, metrics.line) == ("app/main.py", 8)
    _one(found, "METRICS-5", "calls_placed_total")
    _one(found, "METRICS-3", "calls_placed_total")
    _one(found, "ALERT-1", "sentry_sdk.init")
    _one(found, "TRACE-4", "traces_sample_rate")
    _one(found, "DB-2", "create_engine(pool_size, pool_pre_ping)")
    _one(found, "LOG-1", "structlog")
    _one(found, "LOG-2", "LOG_LEVEL")
    _one(found, "AUTH-3", "HTTPBearer")
    _one(found, "AUTH-4", "exp")
    _one(found, "BACKEND-4", "GZipMiddleware")
    _one(found, "ERR-1", "ValueError")
    _one(found, "HA-4", "GET /health")
    _one(found, "ATTACK-3", "`POST /calls` validates its body with Pydantic model `CallRequest`")
    _one(found, "BACKEND-3", "le=200")
    _one(found, "ATTACK-1", "slowapi")
    _one(found, "ERR-2", "wait_exponential")
    _one(found, "ARCH-5", "wait_exponential")
    _one(found, "ERR-3", "pybreaker")
    _one(found, "DATA-3", "Content-Security-Policy")
    _one(found, "DATA-4", "Strict-Transport-Security, X-Content-Type-Options")
    _one(found, "TRACE-2", "x-request-id")
    _one(found, "DOCTECH-2", "OpenAPI")
    assert _for(found, SCOPE + "database") and _for(found, SCOPE + "python")


def test_python_near_misses_are_no_evidence(tmp_path: Path) -> None:
    code = """\
import logging
from fastapi import FastAPI
logging.basicConfig(level=logging.DEBUG)
app = FastAPI(openapi_url=None)
"""
    tests = "from prometheus_client import Counter\nimport slowapi\nC = Counter('x_total', 'x')\n"
    found = _collect(tmp_path, {"app/main.py": code, "tests/test_main.py": tests})
    for item in ("LOG-2", "DOCTECH-2", "METRICS-1", "METRICS-5", "ATTACK-1"):
        assert not _for(found, item), item


WORKFLOW = """\
name: ci
on:
  pull_request:
  push:
    branches: [main]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pytest -q
      - uses: github/codeql-action/analyze@v3
      - run: pip-audit -r requirements.txt
      - uses: gitleaks/gitleaks-action@v2
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: helm upgrade --install api ./chart --atomic --wait
      - run: kubectl rollout status deployment/api
      - run: k6 run load/smoke.js
"""


def test_workflow_evidence(tmp_path: Path) -> None:
    found = _collect(
        tmp_path,
        {".github/workflows/ci.yml": WORKFLOW, "tests/test_api.py": "def test_x():\n    pass\n"},
    )
    tests = _one(found, "TEST-3", "tests run on pull requests: `pytest`")
    assert (tests.path, tests.line) == (".github/workflows/ci.yml", 11)
    _one(found, "TEST-4", "1 test files")
    _one(found, "TEST-5", "github/codeql-action/analyze")
    _one(found, "PRE-1", "github/codeql-action/analyze")
    _one(found, "MAINT-3", "pip-audit")
    _one(found, "DATA-5", "gitleaks")
    _one(found, "DEPLOY-1", "helm upgrade")
    _one(found, "DEPLOY-3", "--atomic")
    _one(found, "DEPLOY-4", "kubectl rollout status")
    _one(found, "POST-1", "kubectl rollout status")
    _one(found, "PRE-2", "k6 run")


def test_workflow_on_schedule_only_does_not_gate_changes(tmp_path: Path) -> None:
    wf = "on:\n  schedule: [{cron: '0 0 * * *'}]\njobs:\n  t:\n    runs-on: x\n    steps:\n      - run: pytest\n"
    assert not _for(_collect(tmp_path, {".github/workflows/n.yml": wf}), "TEST-3")


def test_repository_file_evidence(tmp_path: Path) -> None:
    files = {
        ".github/dependabot.yml": "version: 2\nupdates: []\n",
        "CHANGELOG.md": "# Changes\n",
        "docs/architecture.md": "# Architecture\n",
        "docs/adr/0001-use-celery.md": "# ADR\n",
        "docs/runbooks/restart.md": "# Restart\n",
        "docs/troubleshooting.md": "x\n",
        "docs/deployment.md": "x\n",
        "docs/incident-response.md": "x\n",
        "docs/disaster-recovery.md": "x\n",
        "docs/privacy.md": "x\n",
        "FAQ.md": "x\n",
        "loadtests/locustfile.py": "from locust import HttpUser\n",
        "grafana/dashboards/api.json": "{}\n",
        "monitoring/alerts.yml": "groups: []\n",
        "docs/diagrams/system.drawio": "<x/>\n",
        "openapi.json": "{}\n",
        "frontend/src/App.tsx": "export const App = () => null;\n",
    }
    found = _collect(tmp_path, files)
    expected = {
        "MAINT-2": ".github/dependabot.yml",
        "DOCUSER-5": "CHANGELOG.md",
        "DOCTECH-1": "docs/architecture.md",
        "DOCTECH-5": "docs/adr/0001-use-celery.md",
        "DOCOPS-2": "docs/runbooks/restart.md",
        "DOCOPS-3": "docs/troubleshooting.md",
        "DOCOPS-1": "docs/deployment.md",
        "DEPLOY-5": "docs/deployment.md",
        "ALERT-5": "docs/incident-response.md",
        "BACKUP-5": "docs/disaster-recovery.md",
        "PRIV-5": "docs/privacy.md",
        "DOCUSER-4": "FAQ.md",
        "TEST-1": "loadtests/locustfile.py",
        "METRICS-2": "grafana/dashboards/api.json",
        "METRICS-4": "monitoring/alerts.yml",
        "DOCTECH-4": "docs/diagrams/system.drawio",
        "DOCUSER-2": "openapi.json",
        SCOPE + "frontend": "frontend/src/App.tsx",
    }
    for item, path in expected.items():
        assert path in {e.path for e in _for(found, item)}, item
    assert not _for(found, "DOCUSER-1")  # no user guide among those files


def test_detectors_only_claim_declared_items(tmp_path: Path) -> None:
    files = {
        "k8s/api.yaml": DEPLOYMENT,
        "docker-compose.yml": COMPOSE,
        "app/main.py": APP,
        ".github/workflows/ci.yml": WORKFLOW,
    }
    found = _collect(tmp_path, files)
    known = {i.id for i in checklist.items()}
    declared = evidence.detectable()
    assert declared <= known
    assert len(declared) >= 40
    for e in found:
        assert e.item_id.startswith(SCOPE) or e.item_id in declared, e
        assert e.path in files or e.path.startswith(tuple(files)), e
    assert found == tuple(
        sorted(set(found), key=lambda e: (e.item_id, e.path, e.line or 0, e.text))
    )


def test_no_evidence_text_quotes_a_secret(tmp_path: Path) -> None:
    token = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
    compose = f"services:\n  api:\n    image: x:1\n    environment:\n      LOG_LEVEL: info\n      STRIPE_KEY: {token}\n"
    found = _collect(tmp_path, {"compose.yaml": compose})
    assert found and not any(token in e.text for e in found)


def test_a_broken_detector_input_does_not_stop_collection(tmp_path: Path) -> None:
    found = _collect(
        tmp_path,
        {"k8s/odd.yaml": "apiVersion: v1\nkind: Deployment\nspec: [1, 2]\n", "CHANGELOG.md": "x\n"},
    )
    assert _for(found, "DOCUSER-5")
