"""`prodready fix` through the real command line, and on the bundled example repository."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from analyzer import fix
from analyzer.core.config import Config
from analyzer.core.model import Finding
from analyzer.fix import FAMILIES
from analyzer.fix import python as python_fixes
from analyzer.fix.base import FixOptions
from analyzer.pipeline.scan import scan
from tests.conftest import REPO, run_cli, write_tree

COMPOSE = "services:\n  worker:  # the queue consumer\n    image: ghcr.io/acme/api:1.4.2\n"
FIXED = (
    "services:\n  worker:  # the queue consumer\n    image: ghcr.io/acme/api:1.4.2\n"
    "    restart: unless-stopped\n"
)


def test_diff_prints_a_unified_diff_and_changes_nothing(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"docker-compose.yml": COMPOSE})
    done = run_cli("fix", root, "--diff", "--select", "CMP003")
    assert done.returncode == 0, done.stderr
    assert "--- a/docker-compose.yml" in done.stdout
    assert "+    restart: unless-stopped" in done.stdout
    assert (root / "docker-compose.yml").read_text() == COMPOSE


def test_fix_writes_and_exits_zero_when_nothing_fixable_remains(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"docker-compose.yml": COMPOSE})
    done = run_cli("fix", root, "--select", "CMP003")
    assert done.returncode == 0, done.stderr
    assert (root / "docker-compose.yml").read_text() == FIXED
    again = run_cli("fix", root, "--select", "CMP003")
    assert again.returncode == 0
    assert (root / "docker-compose.yml").read_text() == FIXED


def test_exit_one_when_fixable_findings_remain(tmp_path: Path) -> None:
    # the tag comes from a variable: CMP007 is fixable in general, but not here
    text = "services:\n  api:\n    image: ghcr.io/acme/api:${TAG:-latest}\n    restart: always\n"
    root = write_tree(tmp_path, {"docker-compose.yml": text})
    done = run_cli("fix", root, "--select", "CMP007")
    assert done.returncode == 1
    assert (root / "docker-compose.yml").read_text() == text


def test_unsafe_fix_needs_the_flag(tmp_path: Path) -> None:
    text = 'FROM python:3.12-slim\nCMD ["python", "-m", "app"]\n'
    root = write_tree(tmp_path, {"Dockerfile": text})
    assert run_cli("fix", root, "--select", "DF001").returncode == 1
    assert (root / "Dockerfile").read_text() == text
    assert run_cli("fix", root, "--select", "DF001", "--unsafe").returncode == 0
    assert "USER 10001:10001\nCMD" in (root / "Dockerfile").read_text()


def test_bad_usage_exits_two(tmp_path: Path) -> None:
    assert run_cli("fix", tmp_path / "missing").returncode == 2


def test_call_center_diff_shows_fixes() -> None:
    done = run_cli(
        "fix", REPO / "examples" / "call-center", "--diff", "--unsafe", "--profile", "audit"
    )
    assert done.returncode == 1  # PY001 on Supabase and unpinned images stay for a person
    for path in ("docker-compose.yml", "k8s/api.yaml", "app/routers/calls.py", "Dockerfile"):
        assert f"+++ b/{path}" in done.stdout


@pytest.mark.slow  # four scans of the whole example repository
def test_call_center_copy_loses_every_fixed_finding(tmp_path: Path) -> None:
    copy = tmp_path / "call-center"
    shutil.copytree(REPO / "examples" / "call-center", copy)
    before = {(f.code, f.path, f.anchor) for f in scan(copy).active if f.code in FAMILIES}
    done = run_cli("fix", copy, "--unsafe")
    assert done.returncode in (0, 1), done.stderr
    after = {(f.code, f.path, f.anchor) for f in scan(copy).active if f.code in FAMILIES}
    fixed = before - after
    assert len(fixed) >= 15
    assert after <= before  # fixing introduced nothing new
    for path in copy.rglob("*.py"):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
    for path in [*copy.rglob("*.yaml"), *copy.rglob("*.yml")]:
        list(yaml.safe_load_all(path.read_text(encoding="utf-8")))


def test_configured_pins_and_timeout_are_used(tmp_path: Path) -> None:
    compose = "services:\n  cache:\n    image: redis:latest\n    restart: always\n"
    py = "import requests\n\n\ndef ping():\n    return requests.get('https://api.example.com')\n"
    cfg = '[tool.prodready]\nfix-timeout = 3\n[tool.prodready.fix-pins]\nredis = "7.4-alpine"\n'
    write_tree(tmp_path, {"docker-compose.yml": compose, "app/ping.py": py, "pyproject.toml": cfg})
    run_cli("fix", tmp_path, "--unsafe")
    assert "image: redis:7.4-alpine" in (tmp_path / "docker-compose.yml").read_text()
    assert "timeout=3" in (tmp_path / "app" / "ping.py").read_text()


def test_invalid_fix_settings_are_usage_errors(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": "[tool.prodready]\nfix-pins = ['redis']\n"})
    proc = run_cli("fix", tmp_path)
    assert proc.returncode == 2 and "fix-pins" in proc.stderr


SETTINGS = (
    "from pydantic_settings import BaseSettings\n\n\n"
    "class Settings(BaseSettings):\n    debug: bool = {default}\n\n\nsettings = Settings()\n"
)
MAIN = (
    "from fastapi import FastAPI\n\nfrom app.config import settings\n\napp = FastAPI(debug=True)\n"
)


@pytest.mark.parametrize(
    ("default", "expected"),
    [("False", "debug=settings.debug"), ("True", "debug=False")],  # never a flag still on
)
def test_debug_flag_is_read_from_settings_only_when_off_by_default(
    tmp_path: Path, default: str, expected: str
) -> None:
    root = write_tree(
        tmp_path, {"app/config.py": SETTINGS.format(default=default), "app/main.py": MAIN}
    )
    run_cli("fix", root, "--select", "API014")
    assert expected in (root / "app" / "main.py").read_text()


def test_settings_bound_after_the_call_are_not_used(tmp_path: Path) -> None:
    text = (
        "from fastapi import FastAPI\nfrom pydantic_settings import BaseSettings\n\n"
        "app = FastAPI(debug=True)\n\n\nclass Settings(BaseSettings):\n    debug: bool = False\n\n\n"
        "settings = Settings()\n"
    )
    root = write_tree(tmp_path, {"app/main.py": text})
    run_cli("fix", root, "--select", "API014")
    assert "app = FastAPI(debug=False)" in (root / "app" / "main.py").read_text()


def test_gzip_is_added_once_to_a_starlette_app() -> None:
    # Starlette apps are judged only with routes the model understands: drive the fixer directly
    text = (
        "from starlette.applications import Starlette\n\n"
        "app = Starlette(routes=routes)\nother = Starlette()\n"
    )
    finding = Finding("API006", "app/main.py", "no gzip", anchor="API006:app:app.main:app")
    out = python_fixes.fix(text, [finding], FixOptions())
    assert out.fixed == (finding,)
    assert out.text == (
        "from starlette.applications import Starlette\n"
        "from starlette.middleware.gzip import GZipMiddleware\n\n"
        "app = Starlette(routes=routes)\n"
        "app.add_middleware(GZipMiddleware, minimum_size=1000)\nother = Starlette()\n"
    )


POD = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: api}}\nspec:\n  template:\n"
    "    spec:\n      containers:\n      - name: api\n        image: ghcr.io/acme/api:1.4.2\n"
    "{extra}"
)


def _fix_k8s(tmp_path: Path, text: str, *codes: str) -> str:
    root = write_tree(tmp_path, {"k8s/api.yaml": text})
    fix.run(root, Config(select=codes), unsafe=True)
    return (root / "k8s" / "api.yaml").read_bytes().decode("utf-8")


def test_crlf_lines_are_inserted_with_crlf(tmp_path: Path) -> None:
    text = POD.format(extra="").replace("\n", "\r\n")
    root = tmp_path / "k8s"
    root.mkdir()
    (root / "api.yaml").write_bytes(text.encode())
    fix.run(tmp_path, Config(select=("K8S007", "K8S017")), unsafe=True)
    after = (root / "api.yaml").read_bytes().decode()
    assert after == text.replace(
        "    spec:\r\n", "    spec:\r\n      automountServiceAccountToken: false\r\n"
    ) + ("        securityContext:\r\n          allowPrivilegeEscalation: false\r\n")


def test_two_settings_of_one_container_share_one_new_security_context(tmp_path: Path) -> None:
    after = _fix_k8s(tmp_path, POD.format(extra=""), "K8S006", "K8S016")
    assert after.endswith(
        "        securityContext:\n          runAsNonRoot: true\n"
        "          readOnlyRootFilesystem: true\n"
    ) or after.endswith(
        "        securityContext:\n          readOnlyRootFilesystem: true\n"
        "          runAsNonRoot: true\n"
    )
    assert after.count("securityContext:") == 1


def test_a_flow_security_context_is_left_to_ruamel(tmp_path: Path) -> None:
    text = POD.format(extra="        securityContext: {runAsNonRoot: true}\n")
    after = _fix_k8s(tmp_path, text, "K8S007")
    assert not [f for f in scan(tmp_path, Config(select=("K8S007",))).active]
    assert "allowPrivilegeEscalation: false" in after


def test_a_wrong_boolean_is_rewritten_in_place(tmp_path: Path) -> None:
    extra = "        securityContext:\n          readOnlyRootFilesystem: False  # for now\n"
    after = _fix_k8s(tmp_path, POD.format(extra=extra), "K8S016")
    assert after == POD.format(extra=extra.replace("False", "true"))


def test_runs_as_root_on_purpose_is_left_for_a_person(tmp_path: Path) -> None:
    text = POD.format(extra="        securityContext:\n          runAsUser: 0\n")
    assert _fix_k8s(tmp_path, text, "K8S006") == text


def test_a_line_that_would_cut_a_block_scalar_is_not_inserted(tmp_path: Path) -> None:
    # the script's last line looks like a comment: a line inserted above it would end the
    # block scalar there; the reload check sees the changed script and ruamel.yaml does it
    text = (
        "services:\n  api:\n    build:\n      dockerfile_inline: |\n        FROM python:3.12\n"
        "        # trailing note\n"
    )
    root = write_tree(tmp_path, {"docker-compose.yml": text})
    fix.run(root, Config(select=("CMP003",)))
    loaded = yaml.safe_load((root / "docker-compose.yml").read_text())
    assert loaded["services"]["api"]["build"] == yaml.safe_load(text)["services"]["api"]["build"]
    assert loaded["services"]["api"]["restart"] == "unless-stopped"


def test_only_lines_are_added(tmp_path: Path) -> None:
    # quoting, flow mappings, odd indentation and comments elsewhere stay byte for byte
    text = (
        "services:\n   api:   # the web process\n      image: 'ghcr.io/acme/api:1.4.2'\n"
        '      environment: {LOG_LEVEL: "info",  WORKERS: 2}\n'
        '      ports:\n      -   "8000:8000"\n'
        "   worker:\n      image: ghcr.io/acme/api:1.4.2\n      command: [celery,  worker]\n"
    )
    root = write_tree(tmp_path, {"docker-compose.yml": text})
    fix.run(root, Config(select=("CMP003",)))
    after = (root / "docker-compose.yml").read_text().splitlines(keepends=True)
    added = [line for line in after if "restart: unless-stopped" in line]
    assert len(added) == 2
    assert "".join(line for line in after if line not in added) == text


@pytest.mark.parametrize(
    ("code", "path", "text"),
    [
        # a fix before the command cannot win over a USER after it
        ("DF001", "Dockerfile", 'FROM python:3.12-slim\nCMD ["python", "-m", "app"]\nUSER root\n'),
        # runAsNonRoot next to a UID 0 written as a string: the rule still reports it
        (
            "K8S006",
            "k8s/api.yaml",
            POD.format(extra='        securityContext:\n          runAsUser: "0"\n'),
        ),
    ],
)
def test_a_fix_that_would_not_silence_its_rule_is_not_made_or_counted(
    tmp_path: Path, code: str, path: str, text: str
) -> None:
    root = write_tree(tmp_path, {path: text})
    done = run_cli("fix", root, "--unsafe", "--select", code)
    assert done.returncode == 1
    assert "fixed 0 finding(s)" in done.stderr and f"{code} not fixed" in done.stderr
    assert (root / path).read_text() == text


def test_remaining_findings_below_fail_on_are_counted_but_do_not_fail(tmp_path: Path) -> None:
    # K8S016 is a note, and unsafe: without --unsafe it remains; the default --fail-on is warning
    root = write_tree(tmp_path, {"k8s/api.yaml": POD.format(extra="")})
    done = run_cli("fix", root, "--select", "K8S016")
    assert done.returncode == 0
    summary = "1 finding(s) of fixable rules remain, 0 of them at or above --fail-on warning"
    assert summary in done.stderr
    assert run_cli("fix", root, "--select", "K8S016", "--fail-on", "note").returncode == 1


def test_client_timeouts_and_stderr_prints_keep_the_module_s_own_names(tmp_path: Path) -> None:
    text = (
        "import logging\nimport sys\n\nfrom aiohttp import ClientSession\n\n"
        "logger = logging.getLogger(__name__)\n\n\n"
        "async def fetch(url, out):\n"
        "    print('fetching', url, file=sys.stderr)\n"
        "    print('fetched', file=out)\n"
        "    async with ClientSession() as session:\n"
        "        return await session.get(url)\n"
    )
    root = write_tree(tmp_path, {"app/fetch.py": text})
    done = fix.run(root, Config(select=("PY001", "PY007")), unsafe=True)
    after = (root / "app" / "fetch.py").read_text()
    assert "from aiohttp import ClientSession, ClientTimeout\n" in after
    assert "async with ClientSession(timeout=ClientTimeout(total=10)) as session:" in after
    assert "logger.warning(\"%s %s\", 'fetching', url)" in after
    assert "print('fetched', file=out)" in after  # a stream of its own: left for a person
    assert [f.code for f, _ in done.skipped] == ["PY007"]


def test_a_required_limit_gets_a_bound_only_where_a_default_is_allowed(tmp_path: Path) -> None:
    text = (
        "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        '@app.get("/calls")\ndef calls(limit: int) -> list[dict]:\n    return []\n\n\n'
        '@app.get("/rows")\ndef rows(limit: int, offset: int) -> list[dict]:\n    return []\n'
    )
    root = write_tree(tmp_path, {"app/main.py": text})
    done = fix.run(root, Config(select=("API005",)), unsafe=True)
    after = (root / "app" / "main.py").read_text()
    assert "def calls(limit: int = Query(..., le=100)) -> list[dict]:" in after
    assert "def rows(limit: int, offset: int) -> list[dict]:" in after  # else a SyntaxError
    assert [(f.line, why) for f, why in done.skipped] == [
        (12, "a required parameter followed by ones without a default")
    ]


def test_a_new_security_context_is_indented_like_the_container_s_own_mappings(
    tmp_path: Path,
) -> None:
    # the file indents by 2 at the top, the container by 4: the container's own wins
    extra = "        resources:\n            limits:\n                memory: 256Mi\n"
    after = _fix_k8s(tmp_path, POD.format(extra=extra), "K8S016")
    assert after.endswith(
        "                memory: 256Mi\n        securityContext:\n"
        "            readOnlyRootFilesystem: true\n"
    )
