"""A large synthetic call-automation repository to time prodready and its peers on.

    python bench/generate.py [--out .bench/synthetic] [--seed 20240601]
    python bench/generate.py --check     # generate twice, compare the hashes

Eight services of a call-automation company (FastAPI routers, services that call
partner APIs with httpx/requests and Twilio, Celery tasks, pydantic models,
tests), 200 Kubernetes manifests, compose files, 24 Dockerfiles, env, SQL and
nginx files, a small frontend and CI workflows: about 2,000 Python modules and
11 MB in all. Every file comes from one seeded `random.Random`, so a seed gives
the same bytes on every machine (no clock, no network, no dict-order or hash
dependence), and the tree is committed with a fixed author and date so
discovery runs as on a real clone.

Problems are sprinkled at realistic rates (a few percent of functions, one
manifest in several) so that every rule family -- and every peer -- has
findings to report: a benchmark on a spotless tree would time the happy path
only. The secret-looking values are random bytes from the same generator,
made up at generation time; none is a real credential.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

DEFAULT_SEED = 20240601
DEFAULT_OUT = Path(".bench/synthetic")
MARKER = ".synthetic-repo"  # only a folder holding it is ever deleted by --out

SERVICES = (
    "calls",
    "ivr",
    "campaigns",
    "recordings",
    "billing",
    "agents",
    "analytics",
    "notifications",
)
NOUNS = (
    "call",
    "caller",
    "agent",
    "queue",
    "campaign",
    "contact",
    "recording",
    "transcript",
    "voicemail",
    "number",
    "carrier",
    "invoice",
    "payment",
    "schedule",
    "route",
    "menu",
    "prompt",
    "webhook",
    "session",
    "consent",
    "callback",
    "survey",
    "tenant",
    "team",
    "shift",
    "skill",
    "disposition",
    "note",
    "lead",
    "script",
)
VERBS = (
    "create",
    "fetch",
    "list",
    "update",
    "sync",
    "dispatch",
    "score",
    "archive",
    "refresh",
    "validate",
    "enrich",
    "route",
    "transfer",
    "transcribe",
    "bill",
    "notify",
    "export",
    "import",
    "reconcile",
    "summarize",
)
FIELDS = (
    "status",
    "duration",
    "direction",
    "from_number",
    "to_number",
    "started_at",
    "ended_at",
    "tenant_id",
    "agent_id",
    "queue_id",
    "priority",
    "attempts",
    "cost_cents",
    "region",
    "language",
    "sentiment",
    "outcome",
    "channel",
    "carrier_name",
    "recording_url",
)
STATUSES = (
    "queued",
    "ringing",
    "in_progress",
    "completed",
    "busy",
    "failed",
    "no_answer",
    "canceled",
    "voicemail",
    "transferred",
)

# Python modules per service and kind: 8 x 250 = 2,000.
LAYOUT = {"routers": 40, "services": 80, "tasks": 35, "models": 35, "tests": 50}
CORE = (
    "app/__init__.py",
    "app/main.py",
    "app/settings.py",
    "app/deps.py",
    "app/db.py",
    "app/worker.py",
    "app/routers/__init__.py",
    "app/services/__init__.py",
    "app/tasks/__init__.py",
    "app/models/__init__.py",
)

Files = dict[str, str]


class Gen:
    """The one random source, with the helpers every file maker uses."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def pick(self, seq: tuple[str, ...]) -> str:
        return seq[self.rng.randrange(len(seq))]

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def hex(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    def alnum(self, n: int) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def upper(self, n: int) -> str:
        return "".join(self.rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(n))

    def blocks(self) -> int:
        """How many functions a module gets: most are small, a few are very large."""
        return max(1, min(60, int(self.rng.lognormvariate(2.45, 0.75))))

    def fields(self, k: int) -> list[str]:
        return self.rng.sample(FIELDS, min(k, len(FIELDS)))


# --- Python ---------------------------------------------------------------------------------


def _fn_transform(g: Gen, noun: str, i: int) -> tuple[str, set[str]]:
    width = g.rng.randint(3, 18)
    lines = [
        f"def summarize_{noun}_rows_{i}(rows: list[dict[str, object]]) -> dict[str, float]:",
        f'    """Totals per status for the {noun} dashboard; unknown statuses are counted apart."""',
        "    totals: dict[str, float] = {}",
        "    for row in rows:",
        '        status = str(row.get("status", "unknown"))',
    ]
    for k, status in enumerate(g.rng.sample(STATUSES, min(width, len(STATUSES)))):
        field = g.pick(FIELDS)
        kw = "if" if k == 0 else "elif"
        lines.append(f'        {kw} status == "{status}":')
        lines.append(
            f'            totals["{status}"] = totals.get("{status}", 0.0) + '
            f'float(row.get("{field}", 0) or 0)'
        )
    lines += [
        "        else:",
        '            totals["other"] = totals.get("other", 0.0) + 1.0',
        "    return totals",
    ]
    return "\n".join(lines), set()


def _fn_mapping(g: Gen, noun: str, i: int) -> tuple[str, set[str]]:
    fields = g.fields(g.rng.randint(4, 16))
    lines = [
        f"def to_{noun}_record_{i}(payload: dict[str, object]) -> dict[str, object]:",
        f'    """Maps the partner payload onto our {noun} columns; absent keys stay None."""',
        "    record: dict[str, object] = {",
    ]
    lines += [f'        "{f}": payload.get("{f}"),' for f in fields]
    lines += [
        "    }",
        f'    if record.get("{fields[0]}") is None:',
        f'        record["{fields[0]}"] = "{g.pick(STATUSES)}"',
        "    return record",
    ]
    return "\n".join(lines), set()


def _fn_http_good(g: Gen, noun: str, i: int) -> tuple[str, set[str]]:
    verb = g.pick(VERBS)
    keys = ", ".join(f'"{f}"' for f in g.fields(4))
    code = f'''@retry(stop=stop_after_attempt(3), wait=wait_exponential(multiplier=0.5, max=8))
async def {verb}_{noun}_{i}(client: httpx.AsyncClient, {noun}_id: str) -> dict[str, object]:
    """Reads the {noun} from the partner API; retried because the partner sheds load with 503s."""
    response = await client.get(
        f"{{settings.partner_api_url}}/{noun}s/{{{noun}_id}}", timeout=settings.http_timeout
    )
    response.raise_for_status()
    payload = response.json()
    logger.info("{noun} fetched", extra={{"{noun}_id": {noun}_id}})
    return {{key: payload.get(key) for key in ({keys})}}'''
    return code, {"httpx", "tenacity", "settings", "logger"}


def _fn_http_bad(g: Gen, noun: str, i: int) -> tuple[str, set[str]]:
    verb = g.pick(VERBS)
    code = f"""def {verb}_{noun}_{i}({noun}_id: str, body: dict[str, object]) -> dict[str, object]:
    url = f"{{settings.partner_api_url}}/{noun}s/{{{noun}_id}}/{verb}"
    response = requests.post(url, json=body)
    if response.status_code >= 400:
        logger.warning("partner refused {noun} %s: %s", {noun}_id, response.status_code)
    return response.json()"""
    return code, {"requests", "settings", "logger"}


def _fn_twilio(g: Gen, noun: str, i: int) -> tuple[str, set[str]]:
    code = f'''def place_{noun}_call_{i}(client: Client, to_number: str, callback_url: str) -> str:
    """Starts the outbound call; Twilio calls back on status changes, we do not poll."""
    call = client.calls.create(
        to=to_number,
        from_=settings.twilio_from_number,
        url=callback_url,
        status_callback=f"{{settings.public_base_url}}/webhooks/twilio/status",
        status_callback_event=["initiated", "ringing", "answered", "completed"],
    )
    logger.info("call placed", extra={{"sid": call.sid}})
    return str(call.sid)'''
    return code, {"twilio", "settings", "logger"}


def _fn_sql_good(g: Gen, noun: str, i: int) -> tuple[str, set[str]]:
    field = g.pick(FIELDS)
    code = f"""def count_{noun}s_by_{field}_{i}(conn: Connection, tenant_id: str) -> dict[str, int]:
    rows = conn.execute(
        text("SELECT {field}, count(*) FROM {noun}s WHERE tenant_id = :tenant GROUP BY {field}"),
        {{"tenant": tenant_id}},
    )
    return {{str(row[0]): int(row[1]) for row in rows}}"""
    return code, {"sqlalchemy"}


def _fn_sql_bad(g: Gen, noun: str, i: int) -> tuple[str, set[str]]:
    field = g.pick(tuple(f for f in FIELDS if f != "tenant_id"))
    code = f"""def find_{noun}s_{i}(cursor: Any, tenant_id: str, {field}: str) -> list[Any]:
    query = f"SELECT * FROM {noun}s WHERE tenant_id = '{{tenant_id}}' AND {field} = '{{{field}}}'"
    cursor.execute(query)
    return list(cursor.fetchall())"""
    return code, {"any"}


def _fn_shell_bad(g: Gen, noun: str, i: int) -> tuple[str, set[str]]:
    code = f"""def convert_{noun}_audio_{i}(source: str, target: str) -> None:
    subprocess.run(f"sox {{source}} -r 8000 -c 1 {{target}}", shell=True, check=True)"""
    return code, {"subprocess"}


def _fn_verify_off(g: Gen, noun: str, i: int) -> tuple[str, set[str]]:
    code = f"""def ping_{noun}_partner_{i}() -> bool:
    response = httpx.get(f"{{settings.partner_api_url}}/health", verify=False, timeout=3.0)
    return response.status_code == 200"""
    return code, {"httpx", "settings"}


def _fn_bare_except(g: Gen, noun: str, i: int) -> tuple[str, set[str]]:
    code = f"""def parse_{noun}_duration_{i}(value: object) -> int:
    try:
        return int(str(value))
    except:
        return 0"""
    return code, set()


def _fn_swallow(g: Gen, noun: str, i: int) -> tuple[str, set[str]]:
    code = f"""def drop_{noun}_cache_{i}(cache: Redis, key: str) -> None:
    try:
        cache.delete(key)
    except Exception:
        pass"""
    return code, {"redis"}


def _fn_log_sensitive(g: Gen, noun: str, i: int) -> tuple[str, set[str]]:
    code = f"""def authenticate_{noun}_{i}(token: str, password: str) -> bool:
    logger.info("login attempt with token %s and password %s", token, password)
    return bool(token) and len(password) >= 12"""
    return code, {"logger"}


def _fn_redis_set(g: Gen, noun: str, i: int) -> tuple[str, set[str]]:
    code = f'''def remember_{noun}_{i}(cache: Redis, {noun}_id: str, value: str) -> None:
    cache.set(f"{noun}:{{{noun}_id}}", value)'''
    return code, {"redis"}


def _fn_redis_good(g: Gen, noun: str, i: int) -> tuple[str, set[str]]:
    code = f'''def remember_{noun}_{i}(cache: Redis, {noun}_id: str, value: str) -> None:
    cache.set(f"{noun}:{{{noun}_id}}", value, ex={g.rng.choice((60, 300, 900, 3600))})'''
    return code, {"redis"}


def _fn_retry_sleep(g: Gen, noun: str, i: int) -> tuple[str, set[str]]:
    code = f"""def push_{noun}_{i}(client: httpx.Client, body: dict[str, object]) -> None:
    for _attempt in range(5):
        try:
            client.post("/{noun}s", json=body, timeout=5.0).raise_for_status()
            return
        except httpx.HTTPError:
            time.sleep(2)"""
    return code, {"httpx", "time"}


def _fn_print(g: Gen, noun: str, i: int) -> tuple[str, set[str]]:
    code = f'''def debug_{noun}_{i}({noun}: dict[str, object]) -> None:
    print("{noun}", {noun})'''
    return code, set()


def _fn_jwt_bad(g: Gen, noun: str, i: int) -> tuple[str, set[str]]:
    code = f"""def {noun}_claims_{i}(token: str) -> dict[str, object]:
    return dict(jwt.decode(token, options={{"verify_signature": False}}))"""
    return code, {"jwt"}


def _fn_secret(g: Gen, noun: str, i: int) -> tuple[str, set[str]]:
    token = g.hex(32)
    code = f'''PARTNER_{noun.upper()}_TOKEN_{i} = os.getenv("PARTNER_{noun.upper()}_TOKEN", "{token}")'''
    return code, {"os"}


# (maker, weight) for service modules: mostly ordinary code, a few percent problems.
SERVICE_BLOCKS: tuple[tuple[Callable[[Gen, str, int], tuple[str, set[str]]], int], ...] = (
    (_fn_transform, 30),
    (_fn_mapping, 30),
    (_fn_http_good, 14),
    (_fn_twilio, 5),
    (_fn_sql_good, 8),
    (_fn_redis_good, 5),
    (_fn_http_bad, 3),
    (_fn_sql_bad, 1),
    (_fn_shell_bad, 1),
    (_fn_verify_off, 1),
    (_fn_bare_except, 2),
    (_fn_swallow, 2),
    (_fn_log_sensitive, 1),
    (_fn_redis_set, 1),
    (_fn_retry_sleep, 1),
    (_fn_print, 1),
    (_fn_jwt_bad, 1),
    (_fn_secret, 1),
)

IMPORTS = {
    "os": "import os",
    "time": "import time",
    "subprocess": "import subprocess",
    "any": "from typing import Any",
    "httpx": "import httpx",
    "requests": "import requests",
    "jwt": "import jwt",
    "redis": "from redis import Redis",
    "sqlalchemy": "from sqlalchemy import Connection, text",
    "tenacity": "from tenacity import retry, stop_after_attempt, wait_exponential",
    "twilio": "from twilio.rest import Client",
    "settings": "from app.settings import settings",
    "logger": "import logging",
}
_STDLIB = ("os", "time", "subprocess", "any", "logger")


def _weighted(
    g: Gen, table: tuple[tuple[Callable[[Gen, str, int], tuple[str, set[str]]], int], ...]
) -> Callable[[Gen, str, int], tuple[str, set[str]]]:
    total = sum(w for _, w in table)
    r = g.rng.randrange(total)
    for maker, weight in table:
        if r < weight:
            return maker
        r -= weight
    raise AssertionError("unreachable")


def _module(doc: str, needs: set[str], body: list[str], head: list[str] | None = None) -> str:
    std = sorted(IMPORTS[n] for n in needs if n in _STDLIB)
    third = sorted(IMPORTS[n] for n in needs if n not in _STDLIB and n != "settings")
    local = [IMPORTS["settings"]] if "settings" in needs else []
    parts = [f'"""{doc}"""', "", "from __future__ import annotations"]
    for group in (std, third, local):
        if group:
            parts += ["", *group]
    if "logger" in needs:
        parts += ["", "logger = logging.getLogger(__name__)"]
    if head:
        parts += ["", *head]
    text = "\n".join(parts) + "\n"
    for block in body:
        text += "\n\n" + block + "\n"
    return text


def service_module(g: Gen, svc: str, noun: str) -> str:
    needs: set[str] = set()
    body = []
    for i in range(g.blocks()):
        code, uses = _weighted(g, SERVICE_BLOCKS)(g, noun, i)
        needs |= uses
        body.append(code)
    return _module(f"{noun.capitalize()} operations of the {svc} service.", needs, body)


def router_module(g: Gen, svc: str, noun: str) -> str:
    fields = g.fields(g.rng.randint(3, 8))
    model = "".join(p.capitalize() for p in noun.split("_"))
    head = [
        f'router = APIRouter(prefix="/{noun}s", tags=["{noun}s"])',
        "",
        "",
        f"class {model}In(BaseModel):",
        *[f"    {f}: str | None = None" for f in fields],
        "",
        "",
        f"class {model}Out({model}In):",
        "    id: str",
    ]
    body = []
    for i in range(max(2, g.blocks() // 2)):
        roll = g.rng.random()
        if roll < 0.35:
            body.append(
                f'''@router.get("/page-{i}")
def list_{noun}s_{i}(
    limit: int = Query(50, le=200),
    offset: int = Query(0, ge=0),
    user: User = Depends(get_current_user),
    db: Session = Depends(get_db),
) -> list[{model}Out]:
    """One page of the tenant's {noun}s, newest first."""
    rows = db.{noun}s(tenant_id=user.tenant_id, limit=limit, offset=offset)
    return [{model}Out(**row) for row in rows]'''
            )
        elif roll < 0.6:
            body.append(
                f'''@router.get("/{{{noun}_id}}/v{i}")
def get_{noun}_{i}(
    {noun}_id: str, user: User = Depends(get_current_user), db: Session = Depends(get_db)
) -> {model}Out:
    row = db.{noun}(tenant_id=user.tenant_id, id={noun}_id)
    if row is None:
        raise HTTPException(status_code=404, detail="{noun} not found")
    return {model}Out(**row)'''
            )
        elif roll < 0.85:
            body.append(
                f"""@router.post("/v{i}", status_code=201)
def create_{noun}_{i}(
    body: {model}In, user: User = Depends(get_current_user), db: Session = Depends(get_db)
) -> {model}Out:
    row = db.insert_{noun}(tenant_id=user.tenant_id, values=body.model_dump())
    return {model}Out(**row)"""
            )
        elif roll < 0.93:
            body.append(
                f"""@router.get("/export-{i}")
def export_{noun}s_{i}(db: Session = Depends(get_db)) -> list[dict[str, object]]:
    return db.all_{noun}s()"""
            )
        elif roll < 0.98:
            body.append(
                f"""@router.post("/import-{i}")
async def import_{noun}s_{i}(payload: dict, user: User = Depends(get_current_user)) -> dict:
    return {{"accepted": len(payload.get("items", [])), "tenant": user.tenant_id}}"""
            )
        else:
            body.append(
                f"""@router.post("/twilio/{noun}-status-{i}")
async def twilio_{noun}_status_{i}(request: Request) -> dict[str, str]:
    form = await request.form()
    return {{"sid": str(form.get("CallSid")), "status": str(form.get("CallStatus"))}}"""
            )
    doc = f"HTTP routes for {noun}s in the {svc} service."
    text = _module(doc, set(), body, head)
    imports = (
        "from fastapi import APIRouter, Depends, HTTPException, Query, Request\n"
        "from pydantic import BaseModel\n\n"
        "from app.deps import Session, User, get_current_user, get_db\n"
    )
    return text.replace(
        "from __future__ import annotations\n",
        "from __future__ import annotations\n\n" + imports,
        1,
    )


def task_module(g: Gen, svc: str, noun: str) -> str:
    body = []
    for i in range(max(1, g.blocks() // 3)):
        verb = g.pick(VERBS)
        if g.chance(0.85):
            body.append(
                f'''@celery_app.task(
    bind=True, autoretry_for=(httpx.HTTPError,), retry_backoff=True, max_retries=5, acks_late=True
)
def {verb}_{noun}_task_{i}(self: Task, {noun}_id: str) -> None:
    """Idempotent: the partner dedupes on {noun}_id, so a retried task is harmless."""
    with httpx.Client(base_url=settings.partner_api_url, timeout=10.0) as client:
        client.post(f"/{noun}s/{{{noun}_id}}/{verb}").raise_for_status()
    logger.info("{noun} {verb} done", extra={{"{noun}_id": {noun}_id}})'''
            )
        else:
            body.append(
                f"""@celery_app.task
def {verb}_{noun}_task_{i}({noun}_id: str) -> None:
    httpx.post(f"{{settings.partner_api_url}}/{noun}s/{{{noun}_id}}/{verb}", timeout=10.0)"""
            )
    text = _module(f"Background jobs for {noun}s ({svc}).", {"httpx", "settings", "logger"}, body)
    return text.replace(
        "from app.settings import settings\n",
        "from app.settings import settings\nfrom app.worker import celery_app\n",
        1,
    ).replace("import httpx\n", "import httpx\nfrom celery import Task\n", 1)


def model_module(g: Gen, svc: str, noun: str) -> str:
    body = []
    for i in range(max(1, g.blocks() // 2)):
        fields = g.fields(g.rng.randint(3, 14))
        model = "".join(p.capitalize() for p in noun.split("_")) + f"V{i}"
        lines = [
            f"class {model}(BaseModel):",
            f'    """The {noun} as the API returns it (v{i})."""',
        ]
        for f in fields:
            typ = g.rng.choice(("str", "int | None", "float", "str | None", "bool"))
            lines.append(f"    {f}: {typ}")
        body.append("\n".join(lines))
    text = _module(f"Schemas for {noun}s ({svc}).", set(), body)
    return text.replace(
        "from __future__ import annotations\n",
        "from __future__ import annotations\n\nfrom pydantic import BaseModel\n",
        1,
    )


def test_module(g: Gen, svc: str, noun: str) -> str:
    body = []
    for i in range(max(1, g.blocks() // 2)):
        fields = g.fields(3)
        if g.chance(0.03):
            body.append(
                f'''def test_{noun}_signature_{i}() -> None:
    token = "{g.hex(32)}"
    assert len(token) == 32'''
            )
        body.append(
            f"""def test_{noun}_route_{i}(client: TestClient) -> None:
    response = client.get("/{noun}s/page-{i}", params={{"limit": 10}})
    assert response.status_code in (200, 404)
    for item in response.json() if response.status_code == 200 else []:
        assert set(item) >= {{{", ".join(f'"{f}"' for f in fields)}}}"""
        )
    text = _module(f"Tests for {noun}s ({svc}).", set(), body)
    return text.replace(
        "from __future__ import annotations\n",
        "from __future__ import annotations\n\nfrom fastapi.testclient import TestClient\n",
        1,
    )


def core_files(g: Gen, svc: str, index: int) -> Files:
    p = f"services/{svc}/"
    routers = [f"r{i:02d}_{NOUNS[(i + index) % len(NOUNS)]}" for i in range(LAYOUT["routers"])]
    includes = "\n".join(f"app.include_router({r}.router)" for r in routers)
    imports = "\n".join(f"from app.routers import {r}" for r in routers)
    wildcard = index == 2
    cors = (
        'app.add_middleware(\n    CORSMiddleware, allow_origins=["*"], allow_credentials=True, '
        'allow_methods=["*"]\n)'
        if wildcard
        else "app.add_middleware(\n    CORSMiddleware, allow_origins=settings.cors_origins, "
        'allow_methods=["GET", "POST"]\n)'
    )
    debug = "True" if index == 5 else "settings.debug"
    metrics = (
        "from prometheus_fastapi_instrumentator import Instrumentator\n" if index % 2 == 0 else ""
    )
    expose = "Instrumentator().instrument(app).expose(app)\n" if index % 2 == 0 else ""
    main = f'''"""The {svc} API: routers, middleware and the health route."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
{metrics}
{imports}
from app.settings import settings

app = FastAPI(title="{svc}", debug={debug})
{cors}
app.add_middleware(GZipMiddleware, minimum_size=1024)
{expose}{includes}


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {{"status": "ok"}}
'''
    secret_default = f'"{g.hex(32)}"' if index in (1, 6) else '""'
    settings = f'''"""Configuration of the {svc} service, from the environment."""

from __future__ import annotations

from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    app_env: str = "production"
    debug: bool = False
    database_url: str = ""
    redis_url: str = "rediss://redis:6380/0"
    partner_api_url: str = "https://partner.example.com/v2"
    public_base_url: str = "https://{svc}.example.com"
    http_timeout: float = 5.0
    cors_origins: list[str] = ["https://app.example.com"]
    twilio_account_sid: str = ""
    twilio_auth_token: str = {secret_default}
    twilio_from_number: str = ""
    jwt_secret: str = ""


settings = Settings()
'''
    deps = '''"""Request dependencies: the caller and a database session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt
from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.settings import settings

bearer = HTTPBearer()


@dataclass(frozen=True)
class User:
    id: str
    tenant_id: str


class Session:
    def __getattr__(self, name: str) -> Any:
        raise NotImplementedError(name)


def get_db() -> Session:
    return Session()


def get_current_user(creds: HTTPAuthorizationCredentials = Depends(bearer)) -> User:
    try:
        claims = jwt.decode(creds.credentials, settings.jwt_secret, algorithms=["HS256"])
    except jwt.PyJWTError as exc:
        raise HTTPException(status_code=401, detail="invalid token") from exc
    return User(id=str(claims["sub"]), tenant_id=str(claims["tenant"]))
'''
    pooled = index % 3 != 0
    engine = (
        "engine = create_engine(\n    settings.database_url, pool_size=10, max_overflow=5, "
        "pool_pre_ping=True, pool_recycle=1800\n)"
        if pooled
        else "engine = create_engine(settings.database_url)"
    )
    db = f'''"""The database engine, shared by every request of the process."""

from __future__ import annotations

from sqlalchemy import create_engine

from app.settings import settings

{engine}
'''
    worker = f'''"""The Celery application of the {svc} service."""

from __future__ import annotations

from celery import Celery

from app.settings import settings

celery_app = Celery("{svc}", broker=settings.redis_url, backend=settings.redis_url)
celery_app.conf.task_acks_late = True
'''
    files = {
        p + "app/main.py": main,
        p + "app/settings.py": settings,
        p + "app/deps.py": deps,
        p + "app/db.py": db,
        p + "app/worker.py": worker,
    }
    for rel in CORE:
        files.setdefault(p + rel, "")
    return files


def python_files(g: Gen) -> Files:
    files: Files = {}
    makers = {
        "routers": router_module,
        "services": service_module,
        "tasks": task_module,
        "models": model_module,
        "tests": test_module,
    }
    for index, svc in enumerate(SERVICES):
        files.update(core_files(g, svc, index))
        for kind, count in LAYOUT.items():
            for i in range(count):
                noun = NOUNS[(i + index) % len(NOUNS)]
                if kind == "tests":
                    rel = f"services/{svc}/tests/test_{i:02d}_{noun}.py"
                else:
                    prefix = kind[0]
                    rel = f"services/{svc}/app/{kind}/{prefix}{i:02d}_{noun}.py"
                files[rel] = makers[kind](g, svc, noun)
    return files


# --- containers and Kubernetes --------------------------------------------------------------


def dockerfiles(g: Gen) -> Files:
    files: Files = {}
    for index, svc in enumerate(SERVICES):
        for role in ("api", "worker", "migrate"):
            name = "Dockerfile" if role == "api" else f"Dockerfile.{role}"
            pinned = g.chance(0.6)
            base = (
                f"python:3.12.4-slim@sha256:{g.hex(64)}"
                if pinned
                else g.pick(("python:3.12", "python:latest"))
            )
            lines = [
                f"FROM {base}",
                "",
                "WORKDIR /srv",
                "ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1",
            ]
            if g.chance(0.15):
                lines.append("ARG TWILIO_AUTH_TOKEN")
            if g.chance(0.1):
                lines.append("RUN curl -fsSL https://install.example.com/agent.sh | sh")
            lines += [
                "RUN apt-get update && apt-get install -y --no-install-recommends "
                + ("libsndfile1=1.2.0-1" if g.chance(0.5) else "libsndfile1")
                + " && rm -rf /var/lib/apt/lists/*",
                "COPY requirements.txt .",
                "RUN pip install --no-cache-dir -r requirements.txt",
                "COPY app ./app",
            ]
            if g.chance(0.6):
                lines += ["RUN useradd --uid 10001 app", "USER 10001"]
            if role == "api":
                if g.chance(0.7):
                    lines.append(
                        'HEALTHCHECK CMD ["python", "-c", "import urllib.request as u; '
                        "u.urlopen('http://127.0.0.1:8000/healthz', timeout=2)\"]"
                    )
                reload_flag = ', "--reload"' if index == 3 else ""
                lines.append(
                    'CMD ["gunicorn", "app.main:app", "-k", "uvicorn.workers.UvicornWorker", '
                    f'"--workers", "2", "--bind", "0.0.0.0:8000"{reload_flag}]'
                )
            elif role == "worker":
                lines.append('CMD ["celery", "-A", "app.worker", "worker", "--concurrency", "4"]')
            else:
                lines.append('CMD ["alembic", "upgrade", "head"]')
            files[f"services/{svc}/{name}"] = "\n".join(lines) + "\n"
    return files


def _container(g: Gen, svc: str, comp: str, port: int) -> list[str]:
    tag = f"1.{g.rng.randint(0, 40)}.{g.rng.randint(0, 9)}" if g.chance(0.85) else "latest"
    out = [
        f"        - name: {comp}",
        f"          image: registry.example.com/{svc}-{comp}:{tag}",
        "          ports:",
        f"            - containerPort: {port}",
        "          env:",
        "            - name: APP_ENV",
        "              value: production",
    ]
    if g.chance(0.06):
        out += ["            - name: TWILIO_AUTH_TOKEN", f'              value: "{g.hex(32)}"']
    out += [
        "            - name: DATABASE_URL",
        "              valueFrom:",
        "                secretKeyRef:",
        f"                  name: {svc}-db",
        "                  key: url",
    ]
    if g.chance(0.8):
        cpu = g.rng.choice(("250m", "500m", "1"))
        mem = g.rng.choice(("256Mi", "512Mi", "1Gi"))
        out += [
            "          resources:",
            "            requests:",
            f"              cpu: {cpu}",
            f"              memory: {mem}",
        ]
        if g.chance(0.85):
            out += ["            limits:", '              cpu: "2"', f"              memory: {mem}"]
    if g.chance(0.75):
        out += [
            "          readinessProbe:",
            "            httpGet:",
            "              path: /healthz",
            f"              port: {port}",
            "          livenessProbe:",
            "            httpGet:",
            "              path: /healthz",
            f"              port: {port}",
            "            periodSeconds: 20",
        ]
    if g.chance(0.7):
        out += [
            "          securityContext:",
            "            runAsNonRoot: true",
            "            runAsUser: 10001",
            "            allowPrivilegeEscalation: false",
            "            readOnlyRootFilesystem: true",
        ]
    elif g.chance(0.1):
        out += ["          securityContext:", "            privileged: true"]
    return out


def _deployment(g: Gen, svc: str, comp: str, port: int) -> str:
    replicas = 1 if g.chance(0.15) else g.rng.choice((2, 3, 4))
    lines = [
        "apiVersion: apps/v1",
        "kind: Deployment",
        "metadata:",
        f"  name: {svc}-{comp}",
        "  labels:",
        f"    app: {svc}-{comp}",
        "spec:",
        f"  replicas: {replicas}",
        "  selector:",
        "    matchLabels:",
        f"      app: {svc}-{comp}",
        "  template:",
        "    metadata:",
        "      labels:",
        f"        app: {svc}-{comp}",
        "    spec:",
        "      automountServiceAccountToken: false",
    ]
    if g.chance(0.03):
        lines.append("      hostNetwork: true")
    lines += ["      containers:", *_container(g, svc, comp, port)]
    return "\n".join(lines) + "\n"


def _service(svc: str, comp: str, port: int) -> str:
    return (
        f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {svc}-{comp}\nspec:\n"
        f"  selector:\n    app: {svc}-{comp}\n  ports:\n    - port: 80\n      targetPort: {port}\n"
    )


def _hpa(svc: str, comp: str) -> str:
    return (
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n"
        f"  name: {svc}-{comp}\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n"
        f"    kind: Deployment\n    name: {svc}-{comp}\n  minReplicas: 2\n  maxReplicas: 10\n"
        "  metrics:\n    - type: Resource\n      resource:\n        name: cpu\n"
        "        target:\n          type: Utilization\n          averageUtilization: 70\n"
    )


def _configmap(g: Gen, svc: str, name: str) -> str:
    keys = "".join(f'  {f.upper()}: "{g.pick(STATUSES)}"\n' for f in g.fields(g.rng.randint(3, 12)))
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {svc}-{name}\ndata:\n{keys}"


def _ingress(g: Gen, svc: str) -> str:
    tls = (
        f"  tls:\n    - hosts: [{svc}.example.com]\n      secretName: {svc}-tls\n"
        if g.chance(0.7)
        else ""
    )
    return (
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n"
        f"  name: {svc}\nspec:\n  ingressClassName: nginx\n{tls}  rules:\n"
        f"    - host: {svc}.example.com\n      http:\n        paths:\n          - path: /\n"
        f"            pathType: Prefix\n            backend:\n              service:\n"
        f"                name: {svc}-api\n                port:\n                  number: 80\n"
    )


def _cronjob(g: Gen, svc: str, n: int) -> str:
    container = "\n".join("    " + line for line in _container(g, svc, f"job{n}", 8080))
    return (
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n"
        f'  name: {svc}-job{n}\nspec:\n  schedule: "{g.rng.randint(0, 59)} * * * *"\n'
        "  jobTemplate:\n    spec:\n      template:\n        spec:\n"
        "          restartPolicy: OnFailure\n          containers:\n"
        f"{container}\n"
    )


def kubernetes(g: Gen) -> Files:
    files: Files = {}
    comps = (
        ("api", 8000),
        ("worker", 9000),
        ("webhooks", 8001),
        ("scheduler", 9001),
        ("exporter", 9100),
    )
    for index, svc in enumerate(SERVICES):
        d = f"deploy/k8s/{svc}/"
        svc_files: Files = {}
        for comp, port in comps:
            dep = _deployment(g, svc, comp, port)
            if comp in ("api", "webhooks"):
                dep += "---\n" + _service(svc, comp, port)
            svc_files[d + f"{comp}-deployment.yaml"] = dep
            if g.chance(0.7):
                svc_files[d + f"{comp}-hpa.yaml"] = _hpa(svc, comp)
            svc_files[d + f"{comp}-config.yaml"] = _configmap(g, svc, comp)
        svc_files[d + "ingress.yaml"] = _ingress(g, svc)
        svc_files[d + "pdb.yaml"] = (
            "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n"
            f"  name: {svc}-api\nspec:\n  minAvailable: 1\n  selector:\n    matchLabels:\n"
            f"      app: {svc}-api\n"
        )
        verbs = '["get", "list", "watch"]'
        svc_files[d + "rbac.yaml"] = (
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n"
            f'  name: {svc}-reader\nrules:\n  - apiGroups: [""]\n'
            f"    resources: [{'secrets' if index == 4 else 'configmaps'}]\n    verbs: {verbs}\n"
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n"
            f"  name: {svc}-reader\nsubjects:\n  - kind: ServiceAccount\n    name: {svc}\n"
            f"roleRef:\n  kind: Role\n  name: {svc}-reader\n  apiGroup: rbac.authorization.k8s.io\n"
        )
        if index == 7:
            svc_files[d + "secret.yaml"] = (
                f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {svc}-twilio\ntype: Opaque\n"
                f"data:\n  auth-token: {g.alnum(44)}\n"
            )
        n = 0
        while len(svc_files) < 25:
            svc_files[d + f"cron-{n:02d}.yaml"] = _cronjob(g, svc, n)
            n += 1
        files.update(svc_files)
    return files


def compose(g: Gen) -> Files:
    files: Files = {}
    lines = ["services:"]
    for index, svc in enumerate(SERVICES):
        lines += [
            f"  {svc}:",
            f"    build: ./services/{svc}",
            f"    image: registry.example.com/{svc}-api:1.{index}.0",
            "    env_file: .env",
            "    depends_on: [postgres, redis]",
        ]
        if index % 2 == 0:
            lines += ["    restart: unless-stopped"]
        if index % 3 == 0:
            lines += [
                "    healthcheck:",
                '      test: ["CMD", "python", "-c", "import urllib.request as u; '
                "u.urlopen('http://127.0.0.1:8000/healthz')\"]",
                "      interval: 10s",
            ]
        if index % 4 != 1:
            lines += [
                "    deploy:",
                "      resources:",
                "        limits:",
                "          memory: 512m",
            ]
    lines += [
        "  postgres:",
        "    image: postgres:16",
        "    environment:",
        f"      POSTGRES_PASSWORD: {g.alnum(20)}",
        "    ports:",
        '      - "5432:5432"',
        "  redis:",
        "    image: redis:latest",
        "    ports:",
        '      - "6379:6379"',
        "  agent:",
        "    image: registry.example.com/monitor-agent",
        "    volumes:",
        "      - /var/run/docker.sock:/var/run/docker.sock",
    ]
    files["docker-compose.yml"] = "\n".join(lines) + "\n"
    files["docker-compose.prod.yml"] = "services:\n" + "".join(
        f"  {svc}:\n    restart: always\n    logging:\n      driver: json-file\n"
        f'      options:\n        max-size: 10m\n        max-file: "3"\n'
        for svc in SERVICES
    )
    for svc in SERVICES:
        files[f"services/{svc}/docker-compose.yml"] = (
            "services:\n  api:\n    build: .\n    command: uvicorn app.main:app --host 0.0.0.0 --reload\n"
            '    ports:\n      - "127.0.0.1:8000:8000"\n    environment:\n'
            "      REDIS_URL: redis://redis:6379/0\n"
            f"      JWT_SECRET: ${{JWT_SECRET:-{g.hex(16)}}}\n"
            "  worker:\n    build:\n      context: .\n      dockerfile: Dockerfile.worker\n"
            "  redis:\n    image: redis:7.2.4\n"
        )
    return files


# --- the rest of a real repository ----------------------------------------------------------


def other_files(g: Gen) -> Files:
    files: Files = {}
    for index, svc in enumerate(SERVICES):
        pins = index % 2 == 0
        reqs = (
            "fastapi",
            "uvicorn",
            "gunicorn",
            "httpx",
            "requests",
            "celery",
            "redis",
            "twilio",
            "sqlalchemy",
            "pydantic-settings",
            "tenacity",
            "pyjwt",
        )
        files[f"services/{svc}/requirements.txt"] = "".join(
            f"{r}=={g.rng.randint(0, 9)}.{g.rng.randint(0, 30)}.{g.rng.randint(0, 9)}\n"
            if pins
            else f"{r}\n"
            for r in reqs
        )
        files[f"services/{svc}/.env.example"] = (
            "DATABASE_URL=postgresql://user:password@localhost:5432/app\n"
            "TWILIO_ACCOUNT_SID=\nTWILIO_AUTH_TOKEN=\nJWT_SECRET=\n"
        )
        if index in (0, 5):
            files[f"services/{svc}/.env"] = (
                f"DATABASE_URL=postgresql://app:{g.alnum(18)}@db.internal:5432/{svc}\n"
                f"TWILIO_ACCOUNT_SID=AC{g.hex(32)}\n"
                f"TWILIO_AUTH_TOKEN={g.hex(32)}\n"
                f"AWS_SECRET_ACCESS_KEY={g.alnum(40)}\n"
            )
        for m in range(3):
            noun = NOUNS[(index * 3 + m) % len(NOUNS)]
            rls = (
                ""
                if (index + m) % 4 == 0
                else f"alter table public.{noun}s enable row level security;\n"
            )
            policy = (
                f'create policy "{noun}s_by_tenant" on public.{noun}s for select\n'
                f"  using (tenant_id = (auth.jwt() ->> 'tenant_id')::uuid);\n"
                if rls
                else ""
            )
            files[f"supabase/migrations/2024{index + 1:02d}{m + 10}120000_{svc}_{noun}s.sql"] = (
                f"create table public.{noun}s (\n"
                "  id uuid primary key default gen_random_uuid(),\n"
                "  tenant_id uuid not null,\n"
                f"  queue_id uuid references public.queues (id),\n"
                f"  {'ssn text' if m == 2 and index == 4 else 'status text not null'},\n"
                "  created_at timestamptz not null default now()\n);\n"
                f"{rls}{policy}"
            )
    files["supabase/config.toml"] = (
        '[auth]\nsite_url = "https://app.example.com"\njwt_expiry = 3600\n'
        "enable_refresh_token_rotation = true\nrefresh_token_reuse_interval = 10\n"
        "minimum_password_length = 8\n\n[auth.email]\nenable_confirmations = true\n"
    )
    files["nginx/nginx.conf"] = (
        "worker_processes auto;\nevents { worker_connections 1024; }\nhttp {\n"
        "    include /etc/nginx/conf.d/*.conf;\n    gzip on;\n"
        "    gzip_types application/json;\n}\n"
    )
    for index, svc in enumerate(SERVICES):
        files[f"nginx/conf.d/{svc}.conf"] = (
            "server {\n    listen 443 ssl;\n"
            f"    server_name {svc}.example.com;\n"
            f"    ssl_protocols {'TLSv1 TLSv1.1 TLSv1.2' if index == 6 else 'TLSv1.2 TLSv1.3'};\n"
            '    add_header Strict-Transport-Security "max-age=31536000" always;\n'
            "    location / {\n"
            f"        proxy_pass http://{svc}-api:8000;\n"
            "        proxy_set_header Host $host;\n    }\n}\n"
        )
    files["certs/dev-tls.key"] = (
        "-----BEGIN RSA PRIVATE KEY-----\n"
        + "".join(g.alnum(64) + "\n" for _ in range(12))
        + "-----END RSA PRIVATE KEY-----\n"
    )
    files[".github/workflows/ci.yml"] = (
        "name: ci\non:\n  push:\n    branches: [main]\n  pull_request:\njobs:\n  test:\n"
        "    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
        '      - uses: actions/setup-python@v5\n        with:\n          python-version: "3.12"\n'
        "      - run: pip install -r services/calls/requirements.txt pytest\n"
        "      - run: pytest services\n"
    )
    files[".github/workflows/deploy.yml"] = (
        "name: deploy\non:\n  pull_request_target:\njobs:\n  preview:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - uses: actions/checkout@v4\n        with:\n"
        "          ref: ${{ github.event.pull_request.head.sha }}\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n'
    )
    pages = (
        "Calls",
        "Agents",
        "Queues",
        "Campaigns",
        "Recordings",
        "Billing",
        "Reports",
        "Settings",
    )
    for i, page in enumerate(pages):
        sink = "dangerouslySetInnerHTML={{ __html: note }}" if i == 3 else ""
        files[f"frontend/src/pages/{page}.tsx"] = (
            "import { useEffect, useState } from 'react';\n\n"
            f"export default function {page}Page({{ note }}: {{ note: string }}) {{\n"
            "  const [rows, setRows] = useState<unknown[]>([]);\n"
            f"  useEffect(() => {{ fetch('/api/{page.lower()}').then((r) => r.json()).then(setRows); }}, []);\n"
            f"  return <div {sink}>{{rows.length}}</div>;\n}}\n"
        )
    files["frontend/src/App.tsx"] = (
        "".join(f"import {p} from './pages/{p}';\n" for p in pages)
        + "\nexport const routes = ["
        + ", ".join(f"{{ path: '/{p.lower()}', element: {p} }}" for p in pages)
        + "];\n"
    )
    files["frontend/package.json"] = '{\n  "name": "console",\n  "private": true\n}\n'
    files["README.md"] = (
        "# Call automation platform (synthetic)\n\n"
        "Generated by prodready's bench/generate.py for benchmarks. Not a real product.\n"
    )
    return files


# --- writing and checking -------------------------------------------------------------------


def build(seed: int) -> Files:
    g = Gen(seed)
    files: Files = {}
    for part in (python_files, dockerfiles, kubernetes, compose, other_files):
        files.update(part(g))
    return files


def tree_hash(root: Path) -> str:
    """sha256 over every file's relative path and bytes, .git excluded."""
    digest = hashlib.sha256()
    for path in sorted(
        p for p in root.rglob("*") if p.is_file() and ".git" not in p.relative_to(root).parts
    ):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _git(root: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@example.com",
        "GIT_AUTHOR_DATE": "2024-06-01T12:00:00+00:00",
        "GIT_COMMITTER_DATE": "2024-06-01T12:00:00+00:00",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    proc = subprocess.run(
        ["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True
    )
    return proc.stdout.strip()


def write(out: Path, seed: int) -> None:
    if out.exists():
        if not (out / MARKER).is_file():
            raise SystemExit(f"{out} exists and was not made by this script; refusing to delete it")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for rel, text in build(seed).items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    (out / MARKER).write_text(f"seed {seed}\n", encoding="utf-8")
    _git(out, "init", "-q", "-b", "main")
    _git(out, "add", "-A")
    _git(out, "commit", "-q", "-m", f"synthetic call-automation repository, seed {seed}")


def describe(out: Path) -> str:
    files = [p for p in out.rglob("*") if p.is_file() and ".git" not in p.relative_to(out).parts]
    py = [p for p in files if p.suffix == ".py"]
    yml = [p for p in files if p.suffix in (".yaml", ".yml")]
    docker = [p for p in files if p.name.startswith("Dockerfile")]
    size = sum(p.stat().st_size for p in files)
    return (
        f"{len(files)} files, {size / 1e6:.1f} MB: {len(py)} Python "
        f"({sum(p.stat().st_size for p in py) / 1e6:.1f} MB), {len(yml)} YAML, {len(docker)} Dockerfiles"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--check", action="store_true", help="generate twice in temp dirs; fail if the bytes differ"
    )
    args = parser.parse_args()
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            a, b = Path(tmp, "a"), Path(tmp, "b")
            write(a, args.seed)
            write(b, args.seed)
            ha, hb = tree_hash(a), tree_hash(b)
            ca, cb = _git(a, "rev-parse", "HEAD"), _git(b, "rev-parse", "HEAD")
            print(describe(a))
            print(f"tree sha256 {ha} / {hb}")
            print(f"git commit  {ca} / {cb}")
            if ha != hb or ca != cb:
                print("NOT reproducible", file=sys.stderr)
                return 1
            print("reproducible")
            return 0
    write(args.out, args.seed)
    print(f"{args.out}: {describe(args.out)}; tree sha256 {tree_hash(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
