"""Hostile repositories: each holds a known problem beside a file built to blind, break or stall
the scan. Every case must end with the known problem reported, and the hostile file either
read as intended or named in a PR001 note with the reason; never a crash or a hang.

The files are generated here, at test time, so the repository holds no hostile bytes itself.
How fast each small hostile file scans is measured by `bench/hostile.py`, not asserted here.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from analyzer.core.config import Config
from analyzer.pipeline.scan import scan
from tests.conftest import run_cli, write_tree

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
"""
DEPLOYMENT_DATA = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "api"},
    "spec": {
        "replicas": 2,
        "template": {"spec": {"containers": [{"name": "api", "image": "ghcr.io/acme/api:1.4.2"}]}},
    },
}
NO_LIMITS = "K8S001"  # the known problem of DEPLOYMENT: no resource limits
NOTE = "PR001"


def _codes(root: Path, **config: object) -> dict[str, set[str]]:
    result = scan(root, Config(**config), cache=False)  # type: ignore[arg-type]
    out: dict[str, set[str]] = {}
    for f in result.findings:
        out.setdefault(f.path, set()).add(f.code)
    return out


def _notes(root: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in scan(root, Config(), cache=False).findings:
        if f.code == NOTE:
            out.setdefault(f.path, []).append(f.message)
    return out


MANIFEST_SHAPES: dict[str, tuple[str, Callable[[], str | bytes]]] = {
    "json file": ("deploy.json", lambda: json.dumps(DEPLOYMENT_DATA, indent=2)),
    "json one line": ("deploy.json", lambda: json.dumps(DEPLOYMENT_DATA)),
    "json inside yaml": ("deploy.yaml", lambda: json.dumps(DEPLOYMENT_DATA, indent=2)),
    "quoted keys": (
        "deploy.yaml",
        lambda: "".join(
            line.replace(line.strip().split(":")[0], f'"{line.strip().split(":")[0]}"', 1)
            if ":" in line and not line.strip().startswith("-")
            else line
            for line in DEPLOYMENT.splitlines(keepends=True)
        ),
    ),
    "explicit key": (
        "deploy.yaml",
        lambda: DEPLOYMENT.replace("kind: Deployment", "? kind\n: Deployment"),
    ),
    "flow top level": (
        "deploy.yaml",
        lambda: (
            "{apiVersion: apps/v1, kind: Deployment, metadata: {name: api}, spec: {replicas: 2,"
            ' template: {spec: {containers: [{name: api, image: "ghcr.io/acme/api:1.4.2"}]}}}}\n'
        ),
    ),
    "indented document": (
        "deploy.yaml",
        lambda: "".join("  " + line for line in DEPLOYMENT.splitlines(keepends=True)),
    ),
    "lone CR line ends": ("deploy.yaml", lambda: DEPLOYMENT.replace("\n", "\r")),
    "NEL line ends": ("deploy.yaml", lambda: DEPLOYMENT.replace("\n", "\x85").encode("utf-8")),
    "CRLF line ends": ("deploy.yaml", lambda: DEPLOYMENT.replace("\n", "\r\n")),
    "braces in a comment": (
        "deploy.yaml",
        lambda: "# rendered from {{ .Values.image }}\n" + DEPLOYMENT,
    ),
    "braces in a value": (
        "deploy.yaml",
        lambda: DEPLOYMENT + '          env: [{name: GREETING, value: "{{not-helm}}"}]\n',
    ),
}


@pytest.mark.parametrize("shape", sorted(MANIFEST_SHAPES))
def test_manifest_shapes_are_read_like_plain_yaml(shape: str, tmp_path: Path) -> None:
    name, content = MANIFEST_SHAPES[shape]
    write_tree(tmp_path, {name: content()})
    codes = _codes(tmp_path)
    assert NO_LIMITS in codes.get(name, set()), (shape, codes)
    assert NOTE not in codes.get(name, set()), (shape, _notes(tmp_path))


def test_a_real_helm_template_is_noted_and_the_rest_still_scanned(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "chart/Chart.yaml": "name: x\nversion: 1.0.0\n",
            "chart/templates/deploy.yaml": (
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
                '  name: {{ include "x.fullname" . }}\nspec:\n{{- if .Values.r }}\n  replicas: 2\n{{- end }}\n'
            ),
            "k8s/deploy.yaml": DEPLOYMENT,
        },
    )
    notes = _notes(tmp_path)
    assert any("template" in m for m in notes.get("chart/templates/deploy.yaml", [])), notes
    assert NO_LIMITS in _codes(tmp_path)["k8s/deploy.yaml"]


def test_kubernetes_documents_of_odd_shapes_do_not_hide_the_good_one(tmp_path: Path) -> None:
    odd = (
        "apiVersion: v1\nkind: List\nitems:\n  - 5\n  - [1, 2]\n---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: 123\n  labels: [a, b]\n"
        "spec:\n  template:\n    metadata: [x]\n    spec:\n      containers: {name: x}\n---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: [1]\nspec: 7\n---\n"
        "- just\n- a list\n---\n42\n---\n"
    )
    write_tree(tmp_path, {"k8s/all.yaml": odd + DEPLOYMENT})
    codes = _codes(tmp_path)
    assert NO_LIMITS in codes["k8s/all.yaml"]


def test_a_dockerfile_template_is_noted(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "Dockerfile": "FROM {{ .BaseImage }}\nRUN echo {{ .Cmd }}\n",
            "k8s/deploy.yaml": DEPLOYMENT,
        },
    )
    notes = _notes(tmp_path)
    assert any("template" in m for m in notes.get("Dockerfile", [])), notes
    assert NO_LIMITS in _codes(tmp_path)["k8s/deploy.yaml"]


def test_go_template_text_inside_a_dockerfile_run_is_not_a_template(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {"Dockerfile": "FROM python:latest\nRUN docker inspect --format '{{.Id}}' x || true\n"},
    )
    assert "DF002" in _codes(tmp_path)["Dockerfile"]  # `latest`: read, not skipped


def test_escape_directive_after_the_syntax_directive(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "Dockerfile": "# syntax=docker/dockerfile:1\n# escape=`\nFROM python:latest\n"
            'RUN echo a `\n  b\nCMD ["python", "app.py"]\n'
        },
    )
    codes = _codes(tmp_path)["Dockerfile"]
    assert "DF002" in codes and NOTE not in codes


def test_a_module_nested_too_deep_for_the_default_recursion_limit(tmp_path: Path) -> None:
    """A 5,000-term string concatenation: parsed and checked anyway (bandit included)."""
    concatenation = "x = " + " + ".join(['"a"'] * 5000) + "\n"
    write_tree(
        tmp_path,
        {
            "app/main.py": concatenation
            + "import subprocess\nsubprocess.call('ls ' + input(), shell=True)\n"
        },
    )
    codes = _codes(tmp_path)["app/main.py"]
    assert "PY022" in codes and NOTE not in codes, codes


def test_an_unrelated_broken_pyproject_is_a_note_not_a_failed_scan(tmp_path: Path) -> None:
    write_tree(
        tmp_path, {"pyproject.toml": "[project\nname = 'x'\n", "k8s/deploy.yaml": DEPLOYMENT}
    )
    proc = run_cli("scan", tmp_path, "--format", "json", "--no-cache", "--fail-on", "never")
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)["findings"]
    assert any(f["code"] == NOTE and f["path"] == "pyproject.toml" for f in found)
    assert any(f["code"] == NO_LIMITS for f in found)


def test_a_broken_pyproject_meant_for_prodready_stops_the_run(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": "[tool.prodready\nfail-on = 'x'\n"})
    proc = run_cli("scan", tmp_path, "--no-cache")
    assert proc.returncode == 2
    assert "invalid TOML" in proc.stderr and "Traceback" not in proc.stderr


def test_a_pathological_gitignore_is_bounded_and_noted(tmp_path: Path) -> None:
    patterns = ["*a" * 25 + "c"] + [f"**/x{i}/**/*.tmp" for i in range(5000)]
    write_tree(
        tmp_path,
        {".gitignore": "\n".join(patterns) + "\n", "a" * 60: "x", "k8s/deploy.yaml": DEPLOYMENT},
    )
    proc = run_cli("scan", tmp_path, "--format", "json", "--no-cache", "--fail-on", "never")
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)["findings"]
    notes = [f["message"] for f in found if f["code"] == NOTE and f["path"] == ".gitignore"]
    assert notes and "not applied" in notes[0]
    assert any(f["code"] == NO_LIMITS for f in found)


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


@pytest.mark.parametrize("mode", ["walk", "git"])
def test_a_file_name_that_is_not_utf8(mode: str, tmp_path: Path) -> None:
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "deploy.yaml").write_text(DEPLOYMENT, encoding="utf-8")
    (tmp_path / "k8s").joinpath(b"odd\xff.yaml".decode("utf-8", "surrogateescape")).write_text(
        DEPLOYMENT, encoding="utf-8"
    )
    if mode == "git":
        _git(tmp_path, "init", "-q")
        _git(tmp_path, "add", "-A")
    for fmt in ("text", "json", "sarif", "github", "markdown", "gitlab", "junit"):
        proc = run_cli("scan", tmp_path, "--format", fmt, "--no-cache", "--fail-on", "never")
        assert proc.returncode == 0, (fmt, proc.stderr)
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    found = json.loads(
        run_cli("scan", tmp_path, "--format", "json", "--no-cache", "--fail-on", "never").stdout
    )["findings"]
    paths = {f["path"] for f in found if f["code"] == NO_LIMITS}
    assert paths == {"k8s/deploy.yaml", "k8s/odd\\xff.yaml"}, paths


def test_many_secret_shaped_strings_in_one_module(tmp_path: Path) -> None:
    """Thousands of candidates on thousands of lines: each is weighed against its own line's."""
    import random
    import string

    rng = random.Random(7)
    values = (
        "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(32))
        for _ in range(3000)
    )
    token = "ghp_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(36))
    body = "".join(f'    "{v}",\n' for v in values)
    write_tree(tmp_path, {"app/data.py": f'X = [\n{body}]\nTOKEN = "{token}"\n'})
    result = scan(tmp_path, Config(), cache=False)
    assert any(f.code == "SEC001" and f.line == 3003 for f in result.findings)


def test_a_migration_with_thousands_of_foreign_keys(tmp_path: Path) -> None:
    statements = ["create table public.p (id int primary key);"] + [
        f"create table public.c{i} (id int primary key, p_id int references public.p(id));"
        for i in range(2000)
    ]
    write_tree(tmp_path, {"supabase/migrations/0001_init.sql": "\n".join(statements) + "\n"})
    result = scan(tmp_path, Config(), cache=False)
    lines = sorted(f.line or 0 for f in result.findings if f.code == "SQL004")
    assert len(lines) == 2000 and lines[0] == 2 and lines[-1] == 2001


NEWER_PYTHON = {
    "PEP 695 class": "class Page[T]:\n    items: list[T]\n",
    "PEP 695 function": "def first[T: int](xs: list[T]) -> T:\n    return xs[0]\n",
    "PEP 695 type alias": "type Sorting[PE] = tuple[PE, bool]\n",
    "PEP 701 same quotes": 'row = {"a": 1}\ntext = f"{row["a"]}"\n',
    "PEP 701 backslash": 'text = f"{"\\n".join(["a", "b"])}"\n',
    "PEP 701 nested": 'text = f"{f"{f"{1}"}"}"\n',
    "PEP 758 except tuple": "try:\n    pass\nexcept ValueError, TypeError:\n    pass\n",
    "PEP 750 t-string": 'name = "x"\ntemplate = t"hi {name}"\n',
}


@pytest.mark.parametrize("syntax", sorted(NEWER_PYTHON))
def test_python_newer_than_the_interpreter_is_read_and_checked(syntax: str, tmp_path: Path) -> None:
    """Valid code of Python 3.12-3.14 is never "invalid Python", and its rules still run."""
    source = NEWER_PYTHON[syntax] + "\nimport requests\n\nrequests.get('https://api.example.com')\n"
    write_tree(tmp_path, {"app/client.py": source})
    found = scan(tmp_path, Config(), cache=False).findings
    assert not [f.message for f in found if f.code == NOTE], syntax
    lines = {f.line for f in found if f.code == "PY001"}  # the request without a timeout
    assert lines == {source.count("\n")}, (syntax, lines)  # at its own line, not shifted


def test_real_syntax_errors_are_still_invalid_python(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app/broken.py": "def f(:\n    pass\n"})
    notes = _notes(tmp_path)
    assert any("invalid Python" in m for m in notes["app/broken.py"]), notes


def test_a_migration_nested_deeper_than_the_sql_parser_should_take(tmp_path: Path) -> None:
    nested = "(" * 3000 + "1" + ")" * 3000
    write_tree(
        tmp_path,
        {"supabase/migrations/0001.sql": f"create table t (id int);\nselect {nested};\n"},
    )
    found = scan(tmp_path, Config(), cache=False).findings
    notes = [f.message for f in found if f.code == NOTE]
    assert notes and "levels deep" in notes[0]
    assert any(f.code == "SQL001" for f in found)  # the table before it is still judged


def test_an_operators_own_templating_inside_a_string_is_not_helm(tmp_path: Path) -> None:
    """KServe runtimes pass `{{.Name}}` to the model server: plain YAML, judged as such."""
    runtime = DEPLOYMENT + '          args: ["--model_name={{.Name}}", "--port={{ .Port }}"]\n'
    write_tree(tmp_path, {"config/runtimes/sklearn.yaml": runtime})
    codes = _codes(tmp_path)["config/runtimes/sklearn.yaml"]
    assert NO_LIMITS in codes and NOTE not in codes


@pytest.mark.parametrize(
    "source",
    [
        "x = " + "(" * 100_000 + "1" + ")" * 100_000 + "\n",  # overflowed libcst's native stack
        "x = " + "[" * 5_000 + "\n",
        "".join(" " * i + "if x:\n" for i in range(150)) + " " * 150 + "pass\n",
        "x = " + " + ".join(["a"] * 100_000) + '\nprint "python 2"\n',  # held the interpreter
    ],
    ids=["brackets", "unclosed", "indentation", "long-line"],
)
def test_python_no_version_accepts_is_a_note_not_a_dead_process(
    source: str, tmp_path: Path
) -> None:
    write_tree(tmp_path, {"app/bad.py": source, "k8s/deploy.yaml": DEPLOYMENT})
    proc = run_cli("scan", tmp_path, "--format", "json", "--no-cache", "--fail-on", "never")
    assert proc.returncode == 0, proc.returncode
    found = json.loads(proc.stdout)["findings"]
    assert any(f["code"] == NOTE and f["path"] == "app/bad.py" for f in found)
    assert any(f["code"] == NO_LIMITS for f in found)
