"""Property-based tests: random YAML-, Dockerfile-, Python-, env-, nginx- and SQL-like text.

For any input: a parser returns its record or raises ParseError, nothing else;
the scan of a file never hides a crash behind an "internal error" note; every
finding lies inside its file's lines; every report format stays valid (SARIF
against the OASIS schema, JSON parseable, JUnit and GitLab well-formed).
Examples per property are set by EXAMPLES below (the closing note of the
reliability issue reports them); the whole file runs in well under a minute.
"""

from __future__ import annotations

import json
import os
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer import report
from analyzer.cli import FORMATS
from analyzer.core import catalog
from analyzer.core.model import SourceFile
from analyzer.parsers import ParseError
from analyzer.pipeline import discover
from analyzer.pipeline.extract import extract, parser_for
from analyzer.pipeline.plan import Plan
from analyzer.pipeline.scan import scan
from tests.conftest import REPO

# PRODREADY_PROPERTY_SCALE=20 for a deep hunt before a release; 1 in the suite
_SCALE = max(1, int(os.environ.get("PRODREADY_PROPERTY_SCALE", "1")))
EXAMPLES = {k: n * _SCALE for k, n in {"parser": 150, "extract": 60, "scan": 20}.items()}
SCHEMA = json.loads((REPO / "tests" / "schemas" / "sarif-schema-2.1.0.json").read_text())
ALL_CODES = frozenset(catalog.load())


def _settings(kind: str) -> Any:
    return settings(
        max_examples=EXAMPLES[kind],
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# --- text that looks like each kind -------------------------------------------------------

YAML_KEYS = [
    "apiVersion", "kind", "metadata", "name", "spec", "template", "containers", "image",
    "env", "value", "valueFrom", "resources", "limits", "requests", "memory", "cpu",
    "replicas", "services", "ports", "environment", "volumes", "healthcheck", "deploy",
    "securityContext", "runAsNonRoot", "privileged", "hostNetwork", "command", "args",
    "livenessProbe", "readinessProbe", "selector", "matchLabels", "labels", "data",
    "stringData", "items", "rules", "tls", "scaleTargetRef", "logging", "restart",
    "network_mode", "build", "on", "jobs", "steps", "run", "uses", "with", "permissions",
]  # fmt: skip
YAML_VALUES = [
    "Deployment", "Pod", "List", "Service", "Secret", "ConfigMap", "Ingress", "StatefulSet",
    "HorizontalPodAutoscaler", "PodDisruptionBudget", "apps/v1", "v1", "nginx", "redis:7",
    "postgres", "latest", "true", "false", "null", "~", "1", "0", "-1", "3.5", "1e9", "0x1F",
    "&a", "*a", "<<: *a", "[", "]", "{", "}", "[a, b]", "{a: 1}", "|", ">-", "!!str 1",
    "!!python/object/apply:os.system ['id']", '"quoted: value"', "'single'", "${VAR:-x}",
    "{{ .Values.x }}", "hunter2secret", "postgres://u:p4ssw0rd@db:5432/x", "/var/run/docker.sock:/var/run/docker.sock",
    "6379:6379", "0.0.0.0:5432:5432", "512Mi", "100m", "\t", "#", ":", "-", "?", "%", "@", "`",
    "\u00e9", "\ufffd", "\x00",
]  # fmt: skip


@st.composite
def yaml_like(draw: st.DrawFn) -> str:
    lines = []
    for _ in range(draw(st.integers(0, 25))):
        indent = " " * draw(st.sampled_from([0, 0, 2, 4, 6, 8, 1, 3]))
        form = draw(st.integers(0, 6))
        key = draw(st.sampled_from(YAML_KEYS))
        value = draw(st.sampled_from(YAML_VALUES) | st.text(max_size=12))
        lines.append(
            [
                f"{indent}{key}: {value}",
                f"{indent}{key}:",
                f"{indent}- {value}",
                f"{indent}- {key}: {value}",
                "---",
                f"{indent}{value}",
                f"{indent}# {value}",
            ][form]
        )
    return "\n".join(lines) + draw(st.sampled_from(["", "\n", "\r\n"]))


_leaf = st.sampled_from(YAML_VALUES[:40]) | st.integers(-5, 70000) | st.booleans() | st.none()
_tree = st.recursive(
    _leaf,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(YAML_KEYS), inner, max_size=5)
    ),
    max_leaves=30,
)


@st.composite
def manifest_like(draw: st.DrawFn) -> str:
    """Well-formed YAML shaped like manifests and compose files, so the checks run deep."""
    docs = []
    for _ in range(draw(st.integers(1, 3))):
        body = draw(st.dictionaries(st.sampled_from(YAML_KEYS), _tree, max_size=6))
        body["apiVersion"] = draw(st.sampled_from(["apps/v1", "v1", "policy/v1", "autoscaling/v2"]))
        body["kind"] = draw(st.sampled_from(YAML_VALUES[:10]))
        docs.append(yaml.safe_dump(body, sort_keys=False))
    return "---\n".join(docs)


DOCKER_WORDS = [
    "FROM", "from", "RUN", "CMD", "ENTRYPOINT", "ENV", "ARG", "USER", "COPY", "ADD", "HEALTHCHECK",
    "EXPOSE", "WORKDIR", "LABEL", "SHELL", "ONBUILD", "STOPSIGNAL", "VOLUME", "MAINTAINER", "RUNN",
]  # fmt: skip
DOCKER_ARGS = [
    "python:3.12", "python", "ubuntu:latest AS build", "--from=build /a /b", "--platform=$X img",
    "pip install fastapi", "curl -fsSL https://x.sh | sh", '["uvicorn", "app:app", "--reload"]',
    '["broken", ', "uvicorn app:app --workers 4", "celery -A app worker & uvicorn app:app",
    "PASSWORD=hunter2secret", "SECRET_KEY hunter2secret", "A=1 B=2", "root", "1000:1000",
    "<<EOF", "<<-'EOT'", "EOF", "EOT", "NONE", "CMD curl -f http://localhost/", "\\", "`",
    "${A:-b}", "$HOME", "https://example.com/x.tar.gz /tmp/", "git@github.com:a/b.git /src",
    "npm install -g yarn", "apk add --no-cache curl", "", " ", "\t", "#", "\u00e9", "{{ x }}",
]  # fmt: skip


@st.composite
def dockerfile_like(draw: st.DrawFn) -> str:
    lines = []
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(["# escape=`", "# syntax=docker/dockerfile:1", "#"])))
    for _ in range(draw(st.integers(0, 20))):
        word = draw(st.sampled_from(DOCKER_WORDS))
        args = " ".join(
            draw(st.lists(st.sampled_from(DOCKER_ARGS) | st.text(max_size=8), max_size=3))
        )
        cont = draw(st.sampled_from(["", "", "", " \\", " `"]))
        lines.append(
            draw(st.sampled_from([f"{word} {args}{cont}", f"  {args}{cont}", f"# {args}"]))
        )
    return "\n".join(lines) + draw(st.sampled_from(["", "\n"]))


PY_FRAGMENTS = [
    "import os", "from fastapi import FastAPI, Depends", "app = FastAPI()", "@app.get('/x')",
    "@app.post('/webhooks/twilio')", "async def handler(request):", "def f(x, *a, **k):",
    "    return {'ok': True}", "    pass", "class Settings(BaseSettings):", "    debug: bool = True",
    "SECRET_KEY = 'hunter2secret'", "os.environ['DATABASE_URL']", "requests.get(url)",
    "supabase.table('calls').select('*').execute()", "redis.Redis(host='localhost')",
    "print 'py2'", "lambda: (", ")", "]", "'''", '"""', "f'{x!r:>{width}}'", "match x:",
    "    case _:", "type A = int", "except* E:", "\\", "\t", "@", "yield from g()", "x = (", "",
]  # fmt: skip


@st.composite
def python_like(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.sampled_from(PY_FRAGMENTS) | st.text(max_size=10), max_size=25))
    return "\n".join(parts) + "\n"


OTHER_LINES = [
    "server {", "}", "listen 80;", "location / {", "proxy_pass http://api:8000;", "add_header X 1;",
    "client_max_body_size 10m", "CREATE TABLE calls (id int);", "ALTER TABLE calls ENABLE ROW LEVEL SECURITY;",
    "create policy p on calls using (true);", "GRANT ALL ON calls TO anon;", "DROP TABLE x;",
    "API_KEY=sk_live_hunter2secret", "export A='x", 'B="y', "#", "[auth]", "enabled = true",
    "site_url = 'http://localhost:3000'", "$$", "--", "/*", "*/", ";",
]  # fmt: skip


@st.composite
def other_like(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.sampled_from(OTHER_LINES) | st.text(max_size=10), max_size=20))
    return "\n".join(parts) + "\n"


# kind -> (a file name of that kind, a strategy for its text)
KINDS: dict[str, tuple[str, st.SearchStrategy[str]]] = {
    "kubernetes": (
        "k8s/app.yaml",
        st.one_of(yaml_like(), manifest_like()).map(lambda t: "apiVersion: v1\nkind: Pod\n" + t),
    ),
    "compose": ("docker-compose.yml", st.one_of(yaml_like(), manifest_like())),
    "workflow": (".github/workflows/ci.yml", st.one_of(yaml_like(), manifest_like())),
    "dockerfile": ("Dockerfile", dockerfile_like()),
    "python": ("app/main.py", python_like()),
    "env": (".env", other_like()),
    "nginx": ("nginx/conf.d/app.conf", other_like()),
    "sql": ("supabase/migrations/001_init.sql", other_like()),
    "supabase-config": ("supabase/config.toml", other_like()),
}


# --- parsers ------------------------------------------------------------------------------


def _parse_or_refuse(kind: str, name: str, text: str) -> Any:
    parse = parser_for(kind)
    if parse is None:
        return None
    try:
        parsed = parse(SourceFile(name, kind, text))
    except ParseError as exc:
        assert exc.reason and (exc.line is None or 1 <= exc.line <= text.count("\n") + 1)
        return None
    for line, reason in getattr(parsed, "errors", ()) or ():
        assert reason and (line is None or 1 <= line <= text.count("\n") + 1), (line, reason)
    return parsed


@_settings("parser")
@given(st.one_of(yaml_like(), manifest_like()))
def test_yaml_parser_returns_or_refuses(text: str) -> None:
    parsed = _parse_or_refuse("kubernetes", "k8s/x.yaml", text)
    n = text.count("\n") + 1
    for doc in getattr(parsed, "documents", ()):
        assert 1 <= doc.start_line <= n


@_settings("parser")
@given(dockerfile_like())
def test_dockerfile_parser_returns_or_refuses(text: str) -> None:
    parsed = _parse_or_refuse("dockerfile", "Dockerfile", text)
    n = text.count("\n") + 1
    for ins in getattr(parsed, "instructions", ()):
        assert 1 <= ins.line <= ins.end_line <= n, (ins.line, ins.end_line, n)
        for offset in range(0, len(ins.args) + 1, 7):
            line, column = ins.position(offset)
            assert 1 <= line <= n and column >= 1


@_settings("parser")
@given(python_like())
def test_python_parser_returns_or_refuses(text: str) -> None:
    _parse_or_refuse("python", "app/x.py", text)


@_settings("parser")
@given(other_like(), st.sampled_from(["env", "nginx", "sql", "supabase-config"]))
def test_other_parsers_return_or_refuse(text: str, kind: str) -> None:
    _parse_or_refuse(kind, KINDS[kind][0], text)


# --- one file, start to end ---------------------------------------------------------------


def _assert_in_range(findings: Any, texts: dict[str, str]) -> None:
    for f in findings:
        assert "internal error" not in f.message, (f.path, f.message)
        if f.line is None:
            continue
        n = texts[f.path].count("\n") + 1 if f.path in texts else 10**9
        assert 1 <= f.line <= n, (f.code, f.path, f.line, n)
        if f.end_line is not None:
            assert f.line <= f.end_line <= n, (f.code, f.line, f.end_line, n)
        if f.column is not None:
            assert f.column >= 1, (f.code, f.column)


@_settings("extract")
@given(st.sampled_from(sorted(KINDS)).flatmap(lambda k: st.tuples(st.just(k), KINDS[k][1])))
def test_extract_never_crashes_and_stays_in_range(case: tuple[str, str]) -> None:
    kind, text = case
    name = KINDS[kind][0]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
        result = extract(Plan(tmp, ALL_CODES, 2_000_000), discover.Candidate(name))
    _assert_in_range(result.findings, {name: text})


# --- the whole scan and every report --------------------------------------------------------


@_settings("scan")
@given(
    st.fixed_dictionaries(
        {},
        optional={name: strategy for name, strategy in KINDS.values()},
    )
)
def test_whole_scan_stays_in_range_and_every_format_is_valid(files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text, encoding="utf-8", newline="")
        result = scan(root)
    _assert_in_range(result.findings, files)
    for fmt in FORMATS:
        out = report.render(fmt, result)
        if fmt == "sarif":
            jsonschema.Draft4Validator(SCHEMA).validate(json.loads(out))
        elif fmt in ("json", "gitlab"):
            json.loads(out)
        elif fmt == "junit":
            ET.fromstring(out)
        else:
            assert isinstance(out, str)
