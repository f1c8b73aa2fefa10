"""Evidence detectors, each on real files parsed by the real extract phase.

Every detector gets a repository that shows the evidence (and the test names
what must be found, with its place) and, where a near miss is plausible, one
that must not count: evidence that is wrongly found verifies an item nobody
checked.
"""

from __future__ import annotations

from pathlib import Path

from analyzer import evidence
from analyzer.core import checklist
from analyzer.core.model import SCOPE, Evidence
from analyzer.pipeline import discover
from analyzer.pipeline.extract import extract
from analyzer.pipeline.plan import Plan
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


DEPLOY_WORKFLOW = """\
on:
  push:
    tags: ["v*"]
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: kubectl apply -f k8s/
      - run: |
          if ! kubectl rollout status deployment/api --timeout=300s; then
            kubectl rollout undo deployment/api
            exit 1
          fi
      - run: curl -fsS --retry 5 https://api.example.com/health
"""


def test_rollback_and_smoke_test_after_a_kubectl_deploy(tmp_path: Path) -> None:
    found = _collect(tmp_path, {".github/workflows/deploy.yml": DEPLOY_WORKFLOW})
    _one(found, "DEPLOY-1", "kubectl apply")
    assert _one(found, "DEPLOY-3", "kubectl rollout undo").line == 9  # the step's `run:`
    smoke = _one(found, "DEPLOY-4", "curl -fsS")
    assert (smoke.path, smoke.line) == (".github/workflows/deploy.yml", 14)
    _one(found, "POST-1", "curl -fsS")


def test_a_health_check_outside_a_deploying_workflow_verifies_nothing(tmp_path: Path) -> None:
    ci = "on: pull_request\njobs:\n  t:\n    runs-on: x\n    steps:\n      - run: curl -f http://localhost:8000/health\n"
    found = _collect(tmp_path, {".github/workflows/ci.yml": ci})
    assert not _for(found, "DEPLOY-4") and not _for(found, "POST-1")


RULE_FILE = """\
groups:
  - name: call-center
    rules:
      - record: job:http_requests:rate5m
        expr: sum(rate(http_requests_total[5m])) by (job)
      - alert: ContainerMemoryNearLimit
        expr: container_memory_working_set_bytes / container_spec_memory_limit_bytes > 0.9
        labels: {severity: page}
        annotations: {runbook_url: "https://example.com/runbooks/memory"}
      - alert: HostCpuSaturated
        expr: 1 - avg(rate(node_cpu_seconds_total{mode="idle"}[5m])) > 0.85
      - alert: ApiHighErrorRate
        expr: sum(rate(http_requests_total{status=~"5.."}[5m])) > 1
"""


def test_plain_prometheus_rule_files_are_read_like_prometheus_rules(tmp_path: Path) -> None:
    found = _collect(tmp_path, {"ops/prom/api-rules.yml": RULE_FILE})
    rules = _one(found, "METRICS-4", "rule file api-rules.yml defines 3 alert(s)")
    assert (rules.path, rules.line) == ("ops/prom/api-rules.yml", 1)
    memory = _one(found, "RES-3", "ContainerMemoryNearLimit")
    assert memory.line == 6
    _one(found, "RES-3", "HostCpuSaturated")
    assert not [e for e in _for(found, "RES-3") if "ApiHighErrorRate" in e.text]
    _one(found, "ALERT-1", "critical alert ContainerMemoryNearLimit")
    _one(found, "DOCOPS-4", "ContainerMemoryNearLimit")


def test_yaml_without_alerting_rules_is_no_alert_evidence(tmp_path: Path) -> None:
    recording_only = "groups:\n  - name: r\n    rules:\n      - record: x\n        expr: node_memory_MemAvailable_bytes\n"
    other = "groups:\n  - admins\n  - memory-team\nrules: [cpu]\n"
    found = _collect(
        tmp_path, {"monitoring/recording.yml": recording_only, "config/teams.yaml": other}
    )
    assert not [e for e in found if e.item_id in ("METRICS-4", "RES-3", "ALERT-1")]


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
        "docs/architecture.mmd": "flowchart LR\n  api --> db\n",
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
    assert "docs/architecture.mmd" in {e.path for e in _for(found, "DOCTECH-4")}
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


# --------------------------------------------------------------------------- SQL and Supabase

INIT_SQL = """\
create table public.agents (id uuid primary key, name text);
create table public.calls (
  id uuid primary key,
  agent_id uuid references public.agents (id)
);
"""
PROTECT_SQL = """\
create index calls_agent_id_idx on public.calls (agent_id);
alter table public.agents enable row level security;
alter table public.calls enable row level security;
create policy "own" on public.agents for select to authenticated using (auth.uid() = id);
create policy "own calls" on public.calls for select to authenticated using (auth.uid() = agent_id);
"""


def test_migration_history_evidence_is_judged_at_its_end(tmp_path: Path) -> None:
    found = _collect(
        tmp_path,
        {
            "supabase/migrations/20240101_init.sql": INIT_SQL,
            "supabase/migrations/20240201_protect.sql": PROTECT_SQL,
        },
    )
    rls = _one(found, "AUTH-2", "every API-exposed table (2)")
    assert (rls.path, rls.line) == ("supabase/migrations/20240201_protect.sql", 2)
    fk = _one(found, "DB-1", "every foreign key (1)")
    assert (fk.path, fk.line) == ("supabase/migrations/20240101_init.sql", 4)
    pk = _one(found, "DB-5", "every table (2)")
    assert (pk.path, pk.line) == ("supabase/migrations/20240101_init.sql", 1)


def test_migration_near_misses_verify_nothing(tmp_path: Path) -> None:
    half = PROTECT_SQL.replace('create policy "own calls"', '-- create policy "own calls"')
    found = _collect(
        tmp_path,
        {
            "supabase/migrations/20240101_init.sql": INIT_SQL
            + "create table public.logs (line text);\n",
            "supabase/migrations/20240201_protect.sql": half.replace(
                "create index calls_agent_id_idx", "create index calls_id_idx"
            ).replace("(agent_id);", "(id, agent_id);", 1),
        },
    )
    assert not _for(found, "AUTH-2")  # calls has RLS but no policy, logs has no RLS
    assert not _for(found, "DB-1")  # an index that does not start with the key's column
    assert not _for(found, "DB-5")  # logs has no primary key


def test_server_only_tables_count_for_rls_and_partitions_for_db3(tmp_path: Path) -> None:
    sql = """\
create table public.events (id bigint, at timestamptz not null, primary key (id, at))
  partition by range (at);
create table public.events_2024 partition of public.events
  for values from ('2024-01-01') to ('2025-01-01');
alter table public.events enable row level security;
revoke all on table public.events from anon, authenticated;
"""
    found = _collect(tmp_path, {"supabase/migrations/1_events.sql": sql})
    _one(found, "AUTH-2", "every API-exposed table (1)")
    part = _one(found, "DB-3", "public.events_2024")
    assert part.line == 3


def test_a_partitioned_parent_alone_is_db3_evidence(tmp_path: Path) -> None:
    """pg_partman creates the partitions at run time: the `PARTITION BY` parent is the evidence."""
    sql = """\
create table public.call_events (
  id bigint generated always as identity,
  at timestamptz not null,
  primary key (id, at)
) partition by range (at);
"""
    found = _collect(tmp_path, {"supabase/migrations/1_events.sql": sql})
    parent = _one(found, "DB-3", "public.call_events (`PARTITION BY`)")
    assert (parent.path, parent.line) == ("supabase/migrations/1_events.sql", 1)


def test_a_partitioned_table_dropped_later_is_no_db3_evidence(tmp_path: Path) -> None:
    files = {
        "supabase/migrations/1_events.sql": "create table public.events (id bigint, at date)"
        " partition by range (at);\n",
        "supabase/migrations/2_drop.sql": "drop table public.events;\n"
        "create table public.events (id bigint primary key, at date);\n",
        "db/queries/report.sql": "create table public.scratch (at date) partition by range (at);\n",
    }
    assert not _for(_collect(tmp_path, files), "DB-3")


def test_pgsodium_labels_are_encryption_at_rest(tmp_path: Path) -> None:
    sql = """\
create table public.cards (id uuid primary key, card_number text);
security label for pgsodium on column public.cards.card_number is 'ENCRYPT WITH KEY ID 1';
"""
    found = _collect(tmp_path, {"supabase/migrations/1.sql": sql})
    assert _one(found, "DATA-1", "public.cards.card_number").line == 1
    plain = _collect(tmp_path / "plain", {"supabase/migrations/1.sql": sql.splitlines()[0]})
    assert not _for(plain, "DATA-1")


SUPABASE_CONFIG = """\
[auth]
enabled = true
site_url = "https://app.example.com"
jwt_expiry = 1800
enable_refresh_token_rotation = true
refresh_token_reuse_interval = 10

[auth.email]
enable_confirmations = true
"""


def test_supabase_config_evidence_names_the_keys(tmp_path: Path) -> None:
    found = _collect(tmp_path, {"supabase/config.toml": SUPABASE_CONFIG})
    assert _one(found, "AUTH-4", "1800 s").line == 4
    assert _one(found, "AUTH-5", "rotation on").line == 5
    assert _one(found, "AUTH-1", "enable_confirmations").line == 9


def test_supabase_config_near_misses(tmp_path: Path) -> None:
    bad = (
        SUPABASE_CONFIG.replace("jwt_expiry = 1800", "jwt_expiry = 7200")
        .replace("reuse_interval = 10", "reuse_interval = 60")
        .replace("enable_confirmations = true", "enable_confirmations = false")
    )
    found = _collect(tmp_path, {"supabase/config.toml": bad})
    assert not [e for e in found if e.item_id in ("AUTH-1", "AUTH-4", "AUTH-5")]
    # Defaults are nobody's decision, and a remote that overrides a good value breaks the claim.
    found = _collect(tmp_path / "d", {"supabase/config.toml": "[auth]\nenabled = true\n"})
    assert not [e for e in found if e.item_id in ("AUTH-1", "AUTH-4", "AUTH-5")]
    remote = SUPABASE_CONFIG + "\n[remotes.prod.auth]\njwt_expiry = 86400\n"
    found = _collect(tmp_path / "r", {"supabase/config.toml": remote})
    assert not _for(found, "AUTH-4") and _for(found, "AUTH-5")


# --------------------------------------------------------------------------- nginx

NGINX = """\
events {}
http {
  ssl_protocols TLSv1.2 TLSv1.3;
  client_max_body_size 10m;
  gzip on;
  gzip_types text/css application/javascript application/json;
  limit_req_zone $binary_remote_addr zone=api:10m rate=10r/s;
  server {
    listen 443 ssl;
    server_name app.example.com;
    add_header Strict-Transport-Security "max-age=31536000" always;
    add_header X-Content-Type-Options nosniff always;
    add_header X-Frame-Options DENY always;
    add_header Referrer-Policy no-referrer always;
    add_header Content-Security-Policy "default-src 'self'" always;
    root /srv/www;
    location /assets/ {
      expires 1y;
    }
    location /api/ {
      limit_req zone=api burst=20;
      proxy_pass http://api:8000;
    }
  }
}
"""


def test_nginx_evidence_at_the_directives(tmp_path: Path) -> None:
    found = _collect(tmp_path, {"nginx/nginx.conf": NGINX})
    where = {item: _for(found, item)[0].line for item in
             ("BACKEND-4", "DATA-2", "DATA-3", "DATA-4", "ATTACK-1", "ATTACK-5", "FRONTEND-3")}  # fmt: skip
    assert where == {
        "BACKEND-4": 6,
        "DATA-2": 3,
        "DATA-3": 15,
        "DATA-4": 12,
        "ATTACK-1": 21,
        "ATTACK-5": 4,
        "FRONTEND-3": 18,
    }
    assert all(e.path == "nginx/nginx.conf" for e in found if e.item_id == "DATA-4")


def test_nginx_near_misses_verify_nothing(tmp_path: Path) -> None:
    bad = (
        NGINX.replace("TLSv1.2 TLSv1.3", "TLSv1.1 TLSv1.2")
        .replace("text/css application/javascript", "text/plain")
        .replace("client_max_body_size 10m", "client_max_body_size 0")
        .replace("limit_req zone=api burst=20;", "")
        .replace("expires 1y", "expires -1")
        .replace("add_header Content-Security-Policy \"default-src 'self'\" always;", "")
        .replace("add_header X-Content-Type-Options nosniff always;", "")
    )
    found = _collect(tmp_path, {"nginx/nginx.conf": bad})
    items = ("BACKEND-4", "DATA-2", "DATA-3", "DATA-4", "ATTACK-1", "ATTACK-5", "FRONTEND-3")
    assert not [e for e in found if e.item_id in items], found
    # A second server without the headers breaks "every server sends them".
    two = NGINX.replace("  }\n}\n", "  }\n  server {\n    listen 8080;\n    root /srv/x;\n  }\n}\n")
    found = _collect(tmp_path / "two", {"nginx/nginx.conf": two})
    assert not _for(found, "DATA-3") and not _for(found, "DATA-4")
    # A development config is not what production serves.
    found = _collect(tmp_path / "dev", {"nginx/nginx.dev.conf": NGINX})
    assert not _for(found, "DATA-3")


# --------------------------------------------------------------------------- frontend

VITE = 'import { defineConfig } from "vite";\nexport default defineConfig({ build: {} });\n'


def test_frontend_lazy_loading_preload_and_minified_compressed(tmp_path: Path) -> None:
    found = _collect(
        tmp_path,
        {
            "web/src/App.tsx": 'import { lazy } from "react";\n\n'
            'const Calls = lazy(() => import("./Calls"));\n'
            'export const Head = () => <link rel="preload" href="/font.woff2" as="font" />;\n',
            "web/vite.config.ts": VITE,
            "nginx/nginx.conf": NGINX,
        },
    )
    assert _one(found, "FRONTEND-1", "React.lazy").line == 3
    assert _one(found, "FRONTEND-4", "preload").line == 4
    minified = _one(found, "FRONTEND-5", "Vite production build")
    assert minified.path == "web/vite.config.ts"
    _one(found, "FRONTEND-5", "gzip_types")


def test_frontend_near_misses(tmp_path: Path) -> None:
    found = _collect(
        tmp_path,
        {
            # `lazy` from another library, a commented-out lazy import, a stylesheet link.
            "web/src/App.tsx": 'import { lazy } from "./utils";\n'
            "const A = lazy(() => load());\n"
            '// const B = React.lazy(() => import("./B"));\n'
            'export const Head = () => <link rel="stylesheet" href="/app.css" />;\n',
            "web/vite.config.ts": VITE.replace("build: {}", "build: { minify: false }"),
            "nginx/nginx.conf": NGINX,
        },
    )
    assert not [e for e in found if e.item_id in ("FRONTEND-1", "FRONTEND-4", "FRONTEND-5")]
    # Minified but served uncompressed is half of FRONTEND-5.
    found = _collect(tmp_path / "nocompress", {"web/vite.config.ts": VITE})
    assert not _for(found, "FRONTEND-5")


INDEX_HTML = """\
<!doctype html>
<html lang="en">
  <head>
    <link rel="icon" href="/favicon.svg" />
    <link rel="stylesheet" href="/app.css" />
    <link
      rel="preload" as="font" crossorigin
      href="/fonts/inter.woff2?token=abc123" />
    <link rel="modulepreload" href="/src/main.tsx" />
  </head>
  <body><div id="root"></div></body>
</html>
"""


def test_resource_hints_in_the_served_page(tmp_path: Path) -> None:
    found = _collect(tmp_path, {"frontend/index.html": INDEX_HTML})
    hint = _one(found, "FRONTEND-4", "`<link rel=preload>` hint for `/fonts/inter.woff2` as font")
    assert (hint.path, hint.line) == ("frontend/index.html", 6)  # where the tag opens
    assert "abc123" not in hint.text  # a query string may carry a key: never quoted
    assert len(_for(found, "FRONTEND-4")) == 1  # one hint per page says enough


def test_pages_without_hints_or_outside_the_app_verify_nothing(tmp_path: Path) -> None:
    found = _collect(
        tmp_path,
        {
            "frontend/index.html": INDEX_HTML.replace('rel="preload"', 'rel="stylesheet"').replace(
                'rel="modulepreload"', 'rel="manifest"'
            ),
            "docs/index.html": '<link rel="preload" href="/docs.css" as="style">\n',
            "htmlcov/index.html": '<link rel="prefetch" href="/x.js">\n',
            "frontend/empty.htm": '<link rel="preload">\n<p>unclosed <b>tags\n',
        },
    )
    assert not _for(found, "FRONTEND-4")


def _jwt(role: str) -> str:
    import base64
    import json

    def part(data: dict[str, str]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256'})}.{part({'role': role, 'iss': 'supabase'})}.c2lnbmF0dXJl"


def test_browser_supabase_client_with_the_anon_key(tmp_path: Path) -> None:
    found = _collect(
        tmp_path,
        {
            "web/src/supabase.ts": 'import { createClient } from "@supabase/supabase-js";\n'
            "const url = import.meta.env.VITE_SUPABASE_URL;\n"
            "const key = import.meta.env.VITE_SUPABASE_ANON_KEY;\n"
            "export const supabase = createClient(url, key);\n",
            # Server code with the service role through a server-only variable is fine.
            "web/src/admin.ts": 'import { createClient } from "@supabase/supabase-js";\n'
            "export const admin = createClient(u, process.env.SUPABASE_SERVICE_ROLE_KEY!);\n",
            # Our own wrapper named createClient, defined and called without arguments.
            "web/src/wrap.ts": 'import { createBrowserClient } from "@supabase/ssr";\n'
            "export function createClient() {\n"
            "  return createBrowserClient(u, process.env.NEXT_PUBLIC_SUPABASE_ANON_KEY!);\n}\n"
            "export const s = createClient();\n",
            "web/src/literal.ts": 'import { createClient } from "@supabase/supabase-js";\n'
            f'export const c = createClient("https://x.supabase.co", "{_jwt("anon")}");\n',
        },
    )
    assert _one(found, "SECRETS-4", "anon key").path in (
        "web/src/supabase.ts",
        "web/src/literal.ts",
    )


def test_browser_supabase_client_near_misses(tmp_path: Path) -> None:
    client = 'import { createClient } from "@supabase/supabase-js";\n'
    for i, call in enumerate(
        (
            f'createClient("https://x.supabase.co", "{_jwt("service_role")}")',
            "createClient(url, import.meta.env.VITE_SUPABASE_SERVICE_ROLE_KEY)",
            "createClient(url, key)",  # unknown key: no claim
        )
    ):
        found = _collect(
            tmp_path / str(i),
            {
                "web/src/ok.ts": client
                + "createClient(url, import.meta.env.VITE_SUPABASE_ANON_KEY);\n",
                "web/src/bad.ts": client + f"export const c = {call};\n",
            },
        )
        assert not _for(found, "SECRETS-4"), call


def test_image_sizes(tmp_path: Path) -> None:
    found = _collect(tmp_path, {"web/public/hero.png": b"\x89PNG" + b"\0" * 2048})
    assert _one(found, "FRONTEND-2", "(1) is under 300 KB").path == "web/public/hero.png"
    big = _collect(tmp_path / "big", {"web/public/hero.png": b"\x89PNG" + b"\0" * 400_000,
                                      "web/public/logo.png": b"\x89PNG" + b"\0" * 10})  # fmt: skip
    assert not _for(big, "FRONTEND-2")


def test_a_javascript_database_client_means_there_is_a_database(tmp_path: Path) -> None:
    found = _collect(
        tmp_path,
        {"src/supabaseClient.js": 'import { createClient } from "@supabase/supabase-js";\n'},
    )
    assert _one(found, SCOPE + "database", "@supabase/supabase-js").path == "src/supabaseClient.js"
    found = _collect(tmp_path / "none", {"src/app.js": 'import React from "react";\n'})
    assert not _for(found, SCOPE + "database")


def test_a_database_container_means_there_is_a_database(tmp_path: Path) -> None:
    compose = "services:\n  db:\n    image: postgres:16.2\n  api:\n    image: acme/api:1.0\n"
    found = _collect(tmp_path, {"docker-compose.yml": compose})
    assert _one(found, SCOPE + "database", "postgres").line == 3
    found = _collect(tmp_path / "no", {"docker-compose.yml": compose.replace("postgres", "redis")})
    assert not _for(found, SCOPE + "database")


def test_images_in_documentation_are_not_shipped(tmp_path: Path) -> None:
    found = _collect(tmp_path, {"docs/img/screenshot.png": b"\x89PNG" + b"\0" * 100})
    assert not _for(found, "FRONTEND-2")
