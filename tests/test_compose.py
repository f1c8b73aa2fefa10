"""docker-compose rules: what the catalog examples cannot show on their own.

Each test writes a small repository to disk and runs the real scan, then
looks at the findings of the compose rules only.
"""

from __future__ import annotations

from pathlib import Path

from analyzer.core.model import Finding
from analyzer.pipeline.scan import scan
from tests.conftest import AUDIT, write_tree


def findings(tmp_path: Path, files: dict[str, str], prefix: str = "CMP") -> list[Finding]:
    write_tree(tmp_path, files)
    return [f for f in scan(tmp_path, AUDIT).findings if f.code.startswith(prefix)]


def codes_at(found: list[Finding]) -> set[tuple[str, int | None]]:
    return {(f.code, f.line) for f in found}


def services_flagged(found: list[Finding], code: str) -> set[str]:
    """The service names a rule's messages talk about (the first backticked name after 'ervice')."""
    out = set()
    for f in found:
        if f.code == code:
            out.add(f.message.split("ervice `", 1)[1].split("`", 1)[0])
    return out


COMPLETE_SERVICE = """\
    image: ghcr.io/acme/api:1.4.2
    restart: unless-stopped
    healthcheck: {test: ["CMD", "true"]}
    deploy: {resources: {limits: {memory: 256M, cpus: "0.5"}}}
    logging: {driver: json-file, options: {max-size: 10m}}
"""


# --------------------------------------------------------------------------- Compose Spec


def test_versionless_and_versioned_files_give_the_same_findings(tmp_path: Path) -> None:
    body = "services:\n  api:\n    image: ghcr.io/acme/api:latest\n    privileged: true\n"
    plain = findings(tmp_path / "a", {"compose.yaml": body})
    versioned = findings(tmp_path / "b", {"compose.yaml": 'version: "3.8"\n' + body})
    assert {f.code for f in plain} == {f.code for f in versioned}
    assert {"CMP001", "CMP002", "CMP003", "CMP007", "CMP008", "CMP010"} <= {f.code for f in plain}
    assert ("CMP007", 3) in codes_at(plain)
    assert ("CMP007", 4) in codes_at(versioned)


def test_legacy_limit_keys_and_deploy_limits_both_count(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        {
            "docker-compose.yml": """\
services:
  legacy:
    image: a/b:1
    mem_limit: 512m
    cpus: 0.5
  spec:
    image: a/b:1
    deploy: {resources: {limits: {memory: 1G, cpus: "2"}}}
  memory_only:
    image: a/b:1
    mem_limit: 512m
  zero:
    image: a/b:1
    mem_limit: 0
    cpus: 0
""",
        },
    )
    assert services_flagged(found, "CMP001") == {"memory_only", "zero"}
    by_service = {f.message.split("`")[1]: f.message for f in found if f.code == "CMP001"}
    assert "no CPU limit" in by_service["memory_only"]
    assert "memory limit" not in by_service["memory_only"]


def test_merge_keys_and_anchors_are_resolved(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        {
            "docker-compose.yml": f"""\
x-defaults: &defaults
{COMPLETE_SERVICE.replace("    ", "  ")}  privileged: true
services:
  api:
    <<: *defaults
  worker:
    <<: *defaults
    command: celery -A app worker
""",
        },
    )
    codes = {f.code for f in found}
    assert not codes & {"CMP001", "CMP002", "CMP003", "CMP009", "CMP010"}
    privileged = [f for f in found if f.code == "CMP008"]
    # one finding at the shared key, naming both services
    assert len(privileged) == 1
    assert privileged[0].line == 7
    assert "`api`" in privileged[0].message and "`worker`" in privileged[0].message


def test_interpolations_are_references_not_secrets(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        {
            "docker-compose.yml": """\
services:
  api:
    image: ghcr.io/acme/api:${TAG:?set TAG}
    environment:
      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}
      API_KEY: ${API_KEY?set it}
      SECRET_KEY: $SECRET_KEY
      DB_PASSWORD: ${DB_PASSWORD:-}
      JWT_SECRET_FILE: /run/secrets/jwt
      REDIS_URL: redis://redis:6379/0
      DEBUG_TOKEN_ENABLED: "true"
""",
        },
    )
    assert not [f for f in found if f.code in ("CMP004", "CMP007", "CMP013")]


# --------------------------------------------------------------------------- secrets


def test_list_form_environment_and_build_args(tmp_path: Path) -> None:
    secret = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
    found = findings(
        tmp_path,
        {
            "docker-compose.yml": f"""\
services:
  api:
    build:
      context: .
      args:
        - PIP_INDEX_TOKEN={secret}
    environment:
      - LOG_LEVEL=info
      - TWILIO_AUTH_TOKEN={secret}
      - SUPABASE_SERVICE_ROLE_KEY
      - "STRIPE_API_KEY=sk_live_{secret}"
""",
        },
    )
    secrets = [f for f in found if f.code == "CMP004"]
    assert {f.line for f in secrets} == {6, 9, 11}
    assert any(f.message.startswith("Build arg `PIP_INDEX_TOKEN`") for f in secrets)
    for f in found:  # the value never leaks, not even in the anchor
        assert secret not in f.message and secret not in f.anchor
        assert secret[:8] not in f.message


def test_a_secret_shared_through_an_anchor_is_reported_once(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        {
            "docker-compose.yml": """\
x-env: &env
  DB_PASSWORD: Xk29fPq7Lm-prod
services:
  api:
    image: a/api:1
    environment: *env
  worker:
    image: a/api:1
    environment: *env
""",
        },
    )
    secrets = [f for f in found if f.code == "CMP004"]
    assert [(f.line, "`worker`" in f.message) for f in secrets] == [(2, True)]


# --------------------------------------------------------------------------- ports and redis


def test_port_syntaxes(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        {
            "docker-compose.yml": """\
services:
  db:
    image: supabase/postgres:15.1.0.147
    ports:
      - "5432"
      - "127.0.0.1::5433"
      - "0.0.0.0:6543:6543"
      - "[::1]:5434:5432"
      - "${DB_BIND:-127.0.0.1}:5435:5432"
      - "${DB_PORT:-5436}:5432/tcp"
      - {target: 5432, published: 5437, host_ip: "0.0.0.0"}
      - {target: 5432, published: 5438, host_ip: 10.0.0.5}
  rabbit:
    image: rabbitmq:3.13-management
    ports: ["15672:15672"]
  api:
    image: ghcr.io/acme/api:1.4.2
    ports: ["8000:8000", "127.0.0.1:6379:6379"]
    expose: ["5432"]
""",
        },
    )
    flagged = sorted(f.line or 0 for f in found if f.code == "CMP005")
    assert flagged == [5, 7, 10, 11, 15]


def test_redis_password_evidence(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        {
            "docker-compose.yml": """\
services:
  open:
    image: redis:7.2
  shell:
    image: redis:7.2
    command: sh -c "redis-server --requirepass $$REDIS_PASSWORD"
  loopback:
    image: valkey/valkey:7.2
    command: ["valkey-server", "--bind", "127.0.0.1", "::1", "--port", "6379"]
  public_bind:
    image: redis:7.2
    command: redis-server --bind 0.0.0.0
  stack:
    image: redis/redis-stack-server:7.2.0-v9
    environment:
      REDIS_ARGS: --requirepass ${REDIS_PASSWORD:?}
  bitnami:
    image: bitnami/redis:7.2
    env_file: .env.redis
  not_redis:
    image: ghcr.io/acme/redis-exporter:1.0
""",
        },
    )
    assert services_flagged(found, "CMP006") == {"open", "public_bind"}


# --------------------------------------------------------------------------- missing settings


def test_one_shot_services_need_no_healthcheck_or_restart(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        {
            "docker-compose.yml": """\
services:
  migrate:
    image: ghcr.io/acme/api:1.4.2
    restart: no
  seed:
    image: ghcr.io/acme/api:1.4.2
    deploy: {restart_policy: {condition: none}}
""",
        },
    )
    assert not services_flagged(found, "CMP002") | services_flagged(found, "CMP003")
    assert services_flagged(found, "CMP001") == {"migrate", "seed"}


def test_healthcheck_inherited_from_a_scanned_dockerfile(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        {
            "deploy/docker-compose.yml": """\
services:
  api:
    build: {context: ../api, dockerfile: Dockerfile.prod, target: final}
    restart: always
  worker:
    build: ../worker
    restart: always
  inline:
    build:
      context: .
      dockerfile_inline: |
        FROM python:3.12-slim
        HEALTHCHECK CMD python -c "print(1)"
    restart: always
  remote:
    build: https://github.com/acme/api.git#main
    restart: always
""",
            "api/Dockerfile.prod": """\
FROM python:3.12-slim AS base
HEALTHCHECK CMD curl -fsS http://localhost:8000/health || exit 1
FROM base AS final
CMD ["uvicorn", "app.main:app"]
""",
            "worker/Dockerfile": 'FROM python:3.12-slim\nCMD ["celery", "worker"]\n',
        },
    )
    assert services_flagged(found, "CMP002") == {"worker", "remote"}


def test_extends_in_the_same_file_is_followed(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        {
            "docker-compose.yml": f"""\
services:
  base:
{COMPLETE_SERVICE}  api:
    extends: base
    command: uvicorn app.main:app
  worker:
    extends: {{service: base}}
    command: celery -A app worker
    deploy: {{replicas: 2}}
  elsewhere:
    extends: {{file: common.yml, service: base}}
    command: sleep infinity
""",
        },
    )
    missing = {"CMP001", "CMP002", "CMP003", "CMP009", "CMP010"}
    assert not [f for f in found if f.code in missing]


def test_overlay_files_complete_their_base_and_are_not_blamed(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        {
            "docker-compose.yml": """\
services:
  api:
    image: ghcr.io/acme/api:1.4.2
  redis:
    image: redis:7.2
""",
            "docker-compose.prod.yml": """\
x-logging: &logging {driver: json-file, options: {max-size: 10m}}
services:
  api:
    restart: always
    healthcheck: {test: ["CMD", "true"]}
    deploy: {resources: {limits: {memory: 512M, cpus: "1"}}}
    logging: *logging
  redis:
    command: redis-server --requirepass ${REDIS_PASSWORD:?}
    restart: always
    logging: *logging
""",
            "other/docker-compose.yml": "services:\n  api:\n    image: ghcr.io/acme/api:1.4.2\n",
        },
    )
    base = [f for f in found if f.path == "docker-compose.yml"]
    assert services_flagged(base, "CMP001") == {"redis"}
    assert services_flagged(base, "CMP002") == {"redis"}
    assert not [f for f in base if f.code in ("CMP003", "CMP006", "CMP010")]
    assert not [f for f in found if f.path == "docker-compose.prod.yml"]
    # a compose file in another directory is not an overlay of this one
    assert {"CMP001", "CMP003", "CMP010"} <= {
        f.code for f in found if f.path == "other/docker-compose.yml"
    }


def test_logging_rotation(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        {
            "docker-compose.yml": """\
services:
  rotated:
    image: a/b:1
    logging: {driver: json-file, options: {max-size: 10m}}
  local:
    image: a/b:1
    logging: {driver: local}
  shipped:
    image: a/b:1
    logging: {driver: fluentd}
  unlimited:
    image: a/b:1
    logging: {options: {max-size: "-1"}}
  forgotten:
    image: a/b:1
  job:
    image: a/b:1
    restart: "no"
""",
        },
    )
    assert codes_at([f for f in found if f.code in ("CMP009", "CMP010")]) == {
        ("CMP009", 13),
        ("CMP009", 14),
    }


# --------------------------------------------------------------------------- robustness


def test_broken_document_does_not_hide_the_good_one(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "docker-compose.yml": """\
services:
  api:
    image: ghcr.io/acme/api:latest
    privileged: true
---
services:
  worker: {image: [unclosed
""",
        },
    )
    result = scan(tmp_path, AUDIT)
    codes = codes_at(list(result.findings))
    assert ("CMP007", 3) in codes and ("CMP008", 4) in codes
    assert any(f.code == "PR001" and f.line is not None and f.line >= 6 for f in result.findings)


def test_unusable_compose_files_do_not_crash(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "docker-compose.yml": "services: {api: [unclosed\n",
            "compose.yaml": (
                "services:\n  api:\n  worker: 3\n  odd:\n    ports: [{}, [], ~]\n"
                "    environment: {A_PASSWORD: {nested: x}}\n"
                "  123:\n    image: redis:7.2\n    extends: 123\n"
            ),
            "deploy/compose.yml": "- just\n- a list\n",
        },
    )
    result = scan(tmp_path, AUDIT)
    crashes = [f for f in result.findings if "internal error" in f.message]
    assert crashes == []
    assert any(f.code == "PR001" and f.path == "docker-compose.yml" for f in result.findings)


def test_findings_at_the_service_key_can_be_suppressed(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "docker-compose.yml": """\
services:
  # prodready: ignore[CMP001] limits come from the Swarm stack file
  api:
    image: ghcr.io/acme/api:1.4.2
""",
        },
    )
    limits = [f for f in scan(tmp_path, AUDIT).findings if f.code == "CMP001"]
    assert len(limits) == 1 and limits[0].suppression == "limits come from the Swarm stack file"


def test_a_service_complete_in_base_and_override_is_reported_once(tmp_path: Path) -> None:
    """`compose.override.yml` repeating `image:` is the same service, not a second one."""
    found = findings(
        tmp_path,
        {
            "compose.yml": "services:\n  proxy:\n    image: traefik:3.6\n",
            "compose.override.yml": """\
services:
  proxy:
    image: traefik:3.6
    ports: ["80:80"]
  mailpit:
    image: axllent/mailpit:v1.21
""",
        },
    )
    for code in ("CMP001", "CMP002", "CMP003"):
        assert [f.path for f in found if f.code == code and "`proxy`" in f.message] == [
            "compose.yml"
        ]
        # a service only the override defines is still judged there
        assert services_flagged([f for f in found if f.path == "compose.override.yml"], code) == {
            "mailpit"
        }
    notes = {f.path: f.message for f in found if f.code == "CMP010"}
    assert "its service relies" in notes["compose.override.yml"]


def test_every_datastore_image_is_judged_for_published_ports(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        {
            "docker-compose.yml": """\
services:
  etcd:
    image: quay.io/coreos/etcd:v3.5.13
    ports: ["2379:2379"]
  mongo:
    image: mongodb/mongodb-community-server:7.0-ubi8
    ports: ["27018:27017"]
  api:
    image: ghcr.io/acme/api:1.4.2
    ports: ["8000:8000"]
""",
        },
    )
    assert services_flagged(found, "CMP005") == {"etcd", "mongo"}
