"""Rules across files: the app and the proxy in front of it, environment, datastores.

Every test writes a small multi-file repository to disk and runs the real scan.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.pipeline.scan import scan
from tests.conftest import AUDIT, write_tree


def _codes(root: Path, *codes: str) -> list[tuple[str, str, int | None]]:
    return sorted((f.code, f.path, f.line) for f in scan(root, AUDIT).findings if f.code in codes)


# --------------------------------------------------------------------------- app and nginx

_APP = {
    "gzip": (
        "from fastapi.middleware.gzip import GZipMiddleware\n",
        "app.add_middleware(GZipMiddleware, minimum_size=1000)\n",
    ),
    "headers": (
        "",
        "@app.middleware('http')\n"
        "async def headers(request, call_next):\n"
        "    response = await call_next(request)\n"
        "    response.headers['Strict-Transport-Security'] = 'max-age=63072000'\n"
        "    response.headers['X-Content-Type-Options'] = 'nosniff'\n"
        "    response.headers['X-Frame-Options'] = 'DENY'\n"
        "    response.headers['Referrer-Policy'] = 'no-referrer'\n"
        "    response.headers['Content-Security-Policy'] = \"default-src 'none'\"\n"
        "    return response\n",
    ),
    "ratelimit": (
        "from slowapi import Limiter\nfrom slowapi.middleware import SlowAPIMiddleware\n"
        "from slowapi.util import get_remote_address\n",
        "app.state.limiter = Limiter(key_func=get_remote_address, default_limits=['5/minute'])\n"
        "app.add_middleware(SlowAPIMiddleware)\n",
    ),
}
_NGINX = {
    "gzip": "    gzip on;\n",
    "headers": (
        '    add_header Strict-Transport-Security "max-age=63072000" always;\n'
        "    add_header X-Content-Type-Options nosniff always;\n"
        "    add_header X-Frame-Options DENY always;\n"
        "    add_header Referrer-Policy no-referrer always;\n"
        "    add_header Content-Security-Policy \"default-src 'none'\" always;\n"
    ),
    "ratelimit": "    limit_req zone=api burst=20;\n",
}
_CODES = {
    "gzip": ("API006", "NGX001"),
    "headers": ("API008", "NGX003", "NGX004"),
    "ratelimit": ("API013", "NGX008"),
}


def _repo(tmp_path: Path, what: str, app: bool, nginx: bool) -> Path:
    imports, body = _APP[what] if app else ("", "")
    write_tree(
        tmp_path,
        {
            "app/main.py": (
                f"from fastapi import FastAPI\n{imports}app = FastAPI()\n{body}"
                "@app.post('/login')\ndef login() -> dict:\n    return {}\n"
            ),
            "nginx/conf.d/api.conf": (
                "server {\n    listen 443 ssl;\n    server_name api.example.com;\n"
                f"{_NGINX[what] if nginx else ''}"
                "    location / {\n        proxy_pass http://api:8000;\n    }\n}\n"
            ),
            "docker-compose.yml": "services:\n  api:\n    build: .\n",
        },
    )
    return tmp_path


@pytest.mark.parametrize("what", ["gzip", "headers", "ratelimit"])
@pytest.mark.parametrize(
    ("app", "nginx", "expected"),
    [(True, False, 0), (False, True, 0), (True, True, 0), (False, False, 1)],
    ids=["app-only", "nginx-only", "both", "neither"],
)
def test_app_or_proxy_provides(
    tmp_path: Path, what: str, app: bool, nginx: bool, expected: int
) -> None:
    found = _codes(_repo(tmp_path, what, app, nginx), *_CODES[what])
    assert len(found) == expected, found
    if expected:  # the one finding is the app's: it does not move when a proxy appears
        assert found[0][0].startswith("API"), found


def test_neither_finding_names_the_proxy(tmp_path: Path) -> None:
    _repo(tmp_path, "gzip", False, False)
    (finding,) = [f for f in scan(tmp_path, AUDIT).findings if f.code == "API006"]
    assert "nginx/conf.d/api.conf" in finding.message


def test_server_not_in_front_of_the_app_is_judged_alone(tmp_path: Path) -> None:
    _repo(tmp_path, "gzip", True, False)
    write_tree(
        tmp_path,
        {
            "nginx/conf.d/files.conf": (
                "server {\n    listen 443 ssl;\n    server_name files.example.com;\n"
                "    location / {\n        proxy_pass https://bucket.s3.amazonaws.com;\n"
                "        limit_req zone=api;\n    }\n}\n"
            )
        },
    )
    assert _codes(tmp_path, "NGX001", "API006") == [("NGX001", "nginx/conf.d/files.conf", 1)]


def test_ingress_annotations_count_as_the_proxy(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "app/main.py": (
                "from fastapi import FastAPI\napp = FastAPI()\n"
                "@app.post('/login')\ndef login() -> dict:\n    return {}\n"
            ),
            "k8s/ingress.yaml": (
                "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: api\n"
                "  annotations:\n"
                "    nginx.ingress.kubernetes.io/limit-rps: '10'\n"
                "    nginx.ingress.kubernetes.io/configuration-snippet: |\n"
                "      gzip on;\n"
                '      add_header X-Frame-Options "DENY";\n'
                "spec:\n  ingressClassName: nginx\n"
            ),
        },
    )
    assert _codes(tmp_path, "API006", "API008", "API013") == []


# --------------------------------------------------------------------------- X001

_COMPOSE_BUILD = "services:\n  api:\n    build: .\n"


def test_environ_not_provided_by_compose(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "app/main.py": "import os\nBUCKET = os.environ['BUCKET']\n",
            "docker-compose.yml": _COMPOSE_BUILD + "    environment:\n      OTHER: x\n",
        },
    )
    assert _codes(tmp_path, "X001") == [("X001", "app/main.py", 2)]
    (f,) = [f for f in scan(tmp_path, AUDIT).findings if f.code == "X001"]
    assert "docker-compose.yml" in f.message and "BUCKET" in f.message


def test_env_file_in_the_repository_is_read(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "app/main.py": "import os\nA = os.environ['A']\nB = os.environ['B']\n",
            "docker-compose.yml": _COMPOSE_BUILD + "    env_file: [deploy/api.env]\n",
            "deploy/api.env": "A=1\n",
        },
    )
    assert _codes(tmp_path, "X001") == [("X001", "app/main.py", 3)]


def test_no_manifests_no_judgement(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app/main.py": "import os\nA = os.environ['A']\n"})
    assert _codes(tmp_path, "X001") == []


def test_settings_prefix_alias_and_k8s_sources(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "app/settings.py": (
                "from pydantic import Field\n"
                "from pydantic_settings import BaseSettings, SettingsConfigDict\n"
                "class Settings(BaseSettings):\n"
                "    model_config = SettingsConfigDict(env_prefix='APP_')\n"
                "    db_url: str\n"
                "    token: str = Field(alias='API_TOKEN')\n"
                "    missing: str\n"
                "    debug: bool = False\n"
                "settings = Settings()\n"
            ),
            "Dockerfile": "FROM python:3.12-slim\nCOPY . /app\n",
            "k8s/api.yaml": (
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n"
                "  template:\n    spec:\n      containers:\n        - name: api\n"
                "          image: ghcr.io/acme/api:1.0\n"
                "          env: [{name: API_TOKEN, value: x}]\n"
                "          envFrom: [{configMapRef: {name: api}}]\n"
                "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: api}\n"
                "data: {app_db_url: x}\n"
            ),
        },
    )
    assert _codes(tmp_path, "X001") == [("X001", "app/settings.py", 7)]


def test_envfrom_outside_the_repository_provides_everything(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "app/main.py": "import os\nA = os.environ['A']\n",
            "Dockerfile": "FROM python:3.12-slim\nCOPY . /app\n",
            "k8s/api.yaml": (
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n"
                "  template:\n    spec:\n      containers:\n        - name: api\n"
                "          image: ghcr.io/acme/api:1.0\n"
                "          envFrom: [{secretRef: {name: from-vault}}]\n"
            ),
        },
    )
    assert _codes(tmp_path, "X001") == []


# --------------------------------------------------------------------------- X002 / X003


def test_k8s_redis_without_password_the_code_uses(tmp_path: Path) -> None:
    redis = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: redis}\nspec:\n"
        "  template:\n    spec:\n      containers:\n        - name: redis\n"
        "          image: redis:7.4\n"
    )
    write_tree(tmp_path, {"k8s/redis.yaml": redis, "app/main.py": "x = 1\n"})
    assert _codes(tmp_path, "X002") == []  # nothing connects to it
    write_tree(tmp_path, {"app/cache.py": "import redis\nr = redis.Redis(host='redis')\n"})
    assert _codes(tmp_path, "X002") == [("X002", "k8s/redis.yaml", 9)]


def test_compose_redis_is_left_to_cmp006(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "docker-compose.yml": "services:\n  redis:\n    image: redis:7.4\n",
            "app/cache.py": "import redis\nr = redis.Redis(host='redis')\n",
        },
    )
    assert _codes(tmp_path, "X002", "CMP006") == [("CMP006", "docker-compose.yml", 2)]


def test_remote_url_without_password(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "app/db.py": (
                "A = 'postgresql://app@db.example.com/calls'\n"
                "B = 'postgresql://app@db.example.com/calls?sslmode=disable'\n"
                "C = 'redis://redis:6379/0'\n"
                "D = 'redis://localhost:6379/0'\n"
            ),
            "docker-compose.yml": "services:\n  redis:\n    image: redis:7.4\n",
        },
    )
    # B is PY020's (sslmode=disable on the same line): one finding per line
    assert _codes(tmp_path, "X003") == [("X003", "app/db.py", 1)]
