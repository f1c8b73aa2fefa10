"""prodready never runs, imports or fetches what it scans, and never opens a connection.

Three proofs: a scan in a process whose sockets are blocked (every attempt is
counted), a scan in a fresh network namespace with no interface up (covers
the semgrep subprocess too, metrics off), and a read of our own source for
the calls that would execute or unsafely load scanned content.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, write_tree

EXAMPLE = REPO / "examples" / "call-center"

_BLOCKED_SCAN = r"""
import json, socket, sys
attempts = []

def refuse(name):
    def fn(*args, **kwargs):
        attempts.append(name)
        raise OSError("network blocked by the test")
    return fn

# creating a socket is harmless (urllib3 probes IPv6 support at import); using one is not
for method in ("connect", "connect_ex", "sendto", "sendmsg"):
    setattr(socket.socket, method, refuse("socket." + method))
for fn in ("create_connection", "getaddrinfo", "gethostbyname", "gethostbyname_ex"):
    setattr(socket, fn, refuse(fn))

from analyzer.cli import main
code = main(sys.argv[1:])
sys.stdout.flush()
print(json.dumps({"exit": code, "attempts": attempts}), file=sys.stderr)
"""

SMALL_REPO = {
    "k8s/api.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  template:\n"
        "    spec:\n      containers:\n        - name: api\n          image: acme/api\n"
    ),
    "Dockerfile": "FROM python:3.12\nCMD uvicorn app.main:app --reload\n",
    "app/main.py": "import requests\n\nrequests.get('https://example.com')\n",
    ".env": "STRIPE_KEY=sk_" + "live_" + "4eC39HqLyjWDarjtT1zdp7dc\n",
}
JS_REPO = {
    "frontend/package.json": '{"name": "fe", "dependencies": {"react": "^18"}}\n',
    "frontend/src/app.js": "eval(userInput);\nlocalStorage.setItem('token', t);\n",
}


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1", "PYTHONSAFEPATH": "1"}
    env.pop("GITHUB_STEP_SUMMARY", None)
    return env


def _run_blocked(*args: str | Path, cwd: Path | None = None) -> tuple[dict, str]:  # type: ignore[type-arg]
    proc = subprocess.run(
        [sys.executable, "-c", _BLOCKED_SCAN, *map(str, args)],
        env=_env(),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    status = json.loads(proc.stderr.strip().splitlines()[-1])
    return status, proc.stdout


def test_scan_with_sockets_blocked_makes_no_attempt(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", SMALL_REPO)
    sarif = tmp_path / "out.sarif"
    status, out = _run_blocked("scan", root, "--format", "json", "--sarif", sarif)
    assert status == {"exit": 1, "attempts": []}
    codes = {f["code"] for f in json.loads(out)["findings"]}
    assert {"K8S001", "DF008"} <= codes and codes & {"SEC001", "SEC003"}
    assert json.loads(sarif.read_text())["runs"]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare(1)")
def test_semgrep_path_runs_without_any_network(tmp_path: Path) -> None:
    """The whole process tree, semgrep included, in a network namespace with no interface up."""
    from analyzer.engines import semgrep_engine

    if shutil.which("semgrep") is None and not Path(sys.executable).with_name("semgrep").exists():
        pytest.skip("semgrep is not installed (optional extra)")
    if subprocess.run(["unshare", "--net", "true"], capture_output=True, check=False).returncode:
        pytest.skip("cannot create a network namespace here")
    assert semgrep_engine  # the engine under test
    root = write_tree(tmp_path / "repo", JS_REPO)
    cmd = [
        "unshare",
        "--net",
        sys.executable,
        "-m",
        "analyzer",
        "scan",
        str(root),
        "--format",
        "json",
    ]
    trace = tmp_path / "connect.trace"
    if shutil.which("strace"):  # and prove no process of the tree even tried an Internet socket
        cmd = ["strace", "-f", "-qq", "-e", "trace=connect", "-o", str(trace), *cmd]
    proc = subprocess.run(cmd, env=_env(), capture_output=True, text=True, check=False)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert "FE003" in {f["code"] for f in doc["findings"]}, "semgrep's rule must have run"
    if trace.exists():
        inet = [line for line in trace.read_text().splitlines() if "AF_INET" in line]
        assert not inet, inet


def test_scanned_code_is_never_imported_or_run(tmp_path: Path) -> None:
    """Files that would leave a mark if imported, executed or loaded as YAML objects."""
    marker = tmp_path / "executed"
    payload = f"open({str(marker)!r}, 'w').write('ran')\n"
    root = write_tree(
        tmp_path / "repo",
        {
            "app/__init__.py": payload,
            "app/main.py": payload + "from fastapi import FastAPI\napp = FastAPI()\n",
            "conftest.py": payload,
            "setup.py": payload,
            "sitecustomize.py": payload,
            "yaml.py": payload,  # shadows a library if the scanned root were on sys.path
            "pathspec.py": payload,
            "k8s/evil.yaml": (
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
                f"data: !!python/object/apply:os.system ['touch {marker}']\n"
            ),
            "docker-compose.yml": (
                f"services:\n  api:\n    image: !!python/object/new:os.system ['touch {marker}']\n"
            ),
        },
    )
    status, _ = _run_blocked("scan", ".", "--format", "json", cwd=root)
    assert status["exit"] in (0, 1) and status["attempts"] == []
    assert not marker.exists()
    prodready = Path(sys.executable).with_name("prodready")
    if prodready.exists():  # the installed entry point, run from inside the scanned tree
        proc = subprocess.run(
            [str(prodready), "scan", "."], cwd=root, capture_output=True, text=True, check=False
        )
        assert proc.returncode in (0, 1), proc.stderr
        assert not marker.exists()


SAFE_LOADERS = {"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader", "_Loader"}
UNSAFE_LOADERS = {"Loader", "FullLoader", "UnsafeLoader", "CLoader", "CFullLoader", "CUnsafeLoader"}
UNSAFE_NAMES = {"load", "load_all", "full_load", "full_load_all", "unsafe_load", "unsafe_load_all"}


def _sources() -> list[tuple[Path, ast.Module]]:
    return [
        (path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        for path in sorted((REPO / "analyzer").rglob("*.py"))
    ]


def _ruamel_instances(tree: ast.Module, problems: list[str], rel: Path) -> set[str]:
    """Names bound to ruamel.yaml `YAML()` objects; their default round-trip loader is safe."""
    names = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and getattr(node.value.func, "id", getattr(node.value.func, "attr", "")) == "YAML"
        ):
            typ = next((k.value for k in node.value.keywords if k.arg == "typ"), None)
            kind = getattr(typ, "value", "rt")
            if kind not in ("rt", "safe", "base", ["rt"], ["safe"]):
                problems.append(f"{rel}:{node.lineno}: ruamel YAML(typ={kind!r})")
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def test_yaml_is_only_loaded_safely_and_nothing_is_evaluated() -> None:
    problems: list[str] = []
    for path, tree in _sources():
        rel = path.relative_to(REPO)
        ruamel = _ruamel_instances(tree, problems, rel)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in UNSAFE_LOADERS
                and isinstance(node.value, ast.Name)
                and node.value.id == "yaml"
            ):
                problems.append(f"{rel}:{node.lineno}: yaml.{node.attr}")
            if not isinstance(node, ast.Call):
                continue
            fn = node.func
            # compile() only builds bytecode (what ast.parse does); running it is exec/eval
            if isinstance(fn, ast.Name) and fn.id in ("eval", "exec", "__import__"):
                problems.append(f"{rel}:{node.lineno}: {fn.id}()")
            if (
                isinstance(fn, ast.Attribute)
                and isinstance(fn.value, ast.Name)
                and fn.value.id in ("pickle", "marshal", "shelve")
                and not _authenticated_cache(rel.as_posix(), fn.value.id)
            ):
                problems.append(f"{rel}:{node.lineno}: {fn.value.id}.{fn.attr}()")
            if isinstance(fn, ast.Attribute) and fn.attr in UNSAFE_NAMES | {
                "compose",
                "compose_all",
            }:
                if not (isinstance(fn.value, ast.Name) and fn.value.id == "yaml"):
                    continue
                if fn.value.id in ruamel:  # a ruamel YAML() object named `yaml`, checked above
                    continue
                loader = next((k.value for k in node.keywords if k.arg == "Loader"), None)
                if len(node.args) > 1:
                    loader = node.args[1]
                name = getattr(loader, "attr", None) or getattr(loader, "id", None)
                if name not in SAFE_LOADERS:
                    problems.append(f"{rel}:{node.lineno}: yaml.{fn.attr} with Loader={name}")
    assert not problems, problems


def _authenticated_cache(rel: str, module: str) -> bool:
    """The one exception: the result cache pickles its own entries, and unpickles an entry
    only after its HMAC (keyed by the scanned file's own bytes) has been verified."""
    if rel != "analyzer/core/cache.py" or module != "pickle":
        return False
    source = (REPO / rel).read_text(encoding="utf-8")
    read = source[source.index("def _read(") :]
    read = read[: read.index("\ndef ")]
    return read.index("hmac.compare_digest") < read.index("pickle.loads")


def test_only_git_and_semgrep_are_ever_started() -> None:
    """Subprocesses take a literal argument list, never a shell, never a scanned path as program."""
    problems = []
    for path, tree in _sources():
        rel = path.relative_to(REPO)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            fn = node.func
            name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
            owner = getattr(getattr(fn, "value", None), "id", "")
            if owner == "os" and name in ("system", "popen", "execv", "execvp", "spawnv"):
                problems.append(f"{rel}:{node.lineno}: os.{name}")
            if owner != "subprocess" or name not in ("run", "Popen", "call", "check_output"):
                continue
            if any(k.arg == "shell" for k in node.keywords):
                problems.append(f"{rel}:{node.lineno}: shell=")
            first = node.args[0] if node.args else None
            program = first.elts[0] if isinstance(first, ast.List) and first.elts else None
            literal = isinstance(program, ast.Constant) and program.value == "git"
            if not literal and "semgrep" not in path.name:
                problems.append(f"{rel}:{node.lineno}: {ast.unparse(first) if first else '?'}")
    assert not problems, problems
