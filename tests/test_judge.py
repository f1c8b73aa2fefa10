"""The judge: probes, healthchecks and worker counts compared with the app that runs."""

from __future__ import annotations

from pathlib import Path

from analyzer.checks.serving import server_command
from analyzer.pipeline.scan import scan
from tests.conftest import write_tree

APP = (
    "from fastapi import FastAPI, APIRouter\n"
    "app = FastAPI()\n"
    "ops = APIRouter(prefix='/ops')\n"
    "@ops.get('/health')\n"
    "def health() -> dict: ...\n"
    "app.include_router(ops)\n"
)


def _deployment(probe_path: str, port: str = "8000", command: str = "", cpu: str = "") -> str:
    cmd = f"          command: {command}\n" if command else ""
    res = f'          resources: {{limits: {{cpu: "{cpu}", memory: 512Mi}}}}\n' if cpu else ""
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n"
        "  template:\n    spec:\n      containers:\n        - name: api\n"
        "          image: ghcr.io/acme/api:1.0.0\n"
        f"{cmd}{res}"
        "          ports: [{name: http, containerPort: 8000}]\n"
        f"          readinessProbe: {{httpGet: {{path: {probe_path}, port: {port}}}}}\n"
    )


def _codes(root: Path, *codes: str) -> set[tuple[str, str, int | None]]:
    return {(f.code, f.path, f.line) for f in scan(root).findings if f.code in codes}


UVICORN = "[uvicorn, app.main:app, --host, 0.0.0.0]"


def test_probe_path_must_be_served_with_every_prefix(tmp_path: Path) -> None:
    write_tree(
        tmp_path, {"app/main.py": APP, "k8s/api.yaml": _deployment("/health", command=UVICORN)}
    )
    found = _codes(tmp_path, "API017")
    assert found == {("API017", "k8s/api.yaml", 12)}
    message = next(f.message for f in scan(tmp_path).findings if f.code == "API017")
    assert "app/main.py" in message


def test_served_probe_paths_are_fine(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "app/main.py": APP,
            "k8s/api.yaml": _deployment("/ops/health/", port="http", command=UVICORN),
            "k8s/docs.yaml": _deployment("/docs", command=UVICORN).replace(
                "name: api}", "name: docs}"
            ),
        },
    )
    assert _codes(tmp_path, "API017", "API018") == set()


def test_no_app_means_no_probe_judgement(tmp_path: Path) -> None:
    write_tree(tmp_path, {"k8s/api.yaml": _deployment("/nothing", command=UVICORN)})
    assert _codes(tmp_path, "API017") == set()


def test_dynamic_include_makes_the_path_unknowable(tmp_path: Path) -> None:
    app = APP + "for r in load_plugins():\n    app.include_router(r)\n"
    write_tree(
        tmp_path,
        {"app/main.py": app, "k8s/api.yaml": _deployment("/plugins/health", command=UVICORN)},
    )
    assert _codes(tmp_path, "API017") == set()


def test_probe_port_against_server_command(tmp_path: Path) -> None:
    cmd = '[uvicorn, app.main:app, --host, 0.0.0.0, --port, "9000"]'
    write_tree(
        tmp_path, {"app/main.py": APP, "k8s/api.yaml": _deployment("/ops/health", command=cmd)}
    )
    assert _codes(tmp_path, "API018") == {("API018", "k8s/api.yaml", 12)}


def test_compose_healthcheck_uses_the_dockerfile_command(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "app/main.py": APP,
            "docker/api.Dockerfile": (
                "FROM python:3.12-slim\n"
                'CMD ["gunicorn", "app.main:app", "-w", "4", "--bind", "0.0.0.0:8080"]\n'
            ),
            "compose.yaml": (
                "services:\n  api:\n    build: {context: ., dockerfile: docker/api.Dockerfile}\n"
                "    cpus: 1\n"
                "    healthcheck:\n"
                '      test: ["CMD-SHELL", "curl -fsS http://localhost:8000/ops/health || exit 1"]\n'
            ),
        },
    )
    assert _codes(tmp_path, "API017", "API018", "API019") == {
        ("API018", "compose.yaml", 6),
        ("API019", "docker/api.Dockerfile", 2),
    }


def test_image_command_from_the_only_server_dockerfile(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "app/main.py": APP,
            "Dockerfile": 'FROM python:3.12-slim\nCMD ["uvicorn", "app.main:app", "--port", "8000"]\n',
            "k8s/api.yaml": _deployment("/healthz"),
        },
    )
    assert _codes(tmp_path, "API017") == {("API017", "k8s/api.yaml", 11)}


def test_workers_within_the_cpu_limit(tmp_path: Path) -> None:
    ok = '[gunicorn, app.main:app, --workers, "3"]'
    many = '[gunicorn, app.main:app, --workers, "4"]'
    write_tree(
        tmp_path,
        {
            "app/main.py": APP,
            "k8s/a.yaml": _deployment("/ops/health", command=ok, cpu="1"),
            "k8s/b.yaml": _deployment("/ops/health", command=many, cpu="1500m").replace(
                "name: api}", "name: b}"
            ),
        },
    )
    assert _codes(tmp_path, "API019") == set()
    write_tree(tmp_path, {"k8s/b.yaml": _deployment("/ops/health", command=many, cpu="1")})
    assert _codes(tmp_path, "API019") == {("API019", "k8s/b.yaml", 10)}


def test_server_command_parsing() -> None:
    assert server_command(["uvicorn", "m:app", "--port=9000", "--workers", "2"]) == (9000, 2)
    assert server_command(["gunicorn", "-b", "0.0.0.0:$PORT", "m:app"]) == (None, 1)
    assert server_command(["sh", "-c", "alembic upgrade head && uvicorn m:app --port 81"]) == (
        81,
        1,
    )
    assert server_command(["python", "-m", "uvicorn", "m:app"]) == (8000, 1)
    assert server_command(["fastapi", "run", "--workers", "4"]) == (8000, 4)
    assert server_command(["celery", "-A", "w", "worker"]) is None
