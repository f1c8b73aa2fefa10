"""No crash and no lost finding, on any input; bounds that hold; config misuse caught.

The bad-input corpus: every case is added to a small repository whose findings
are known. For each, the scan finishes, the odd file gets exactly one note
(PR001) with a reason, and every other finding of the repository is exactly
what the scan reports without the odd file. Large files are generated here,
never committed.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from analyzer.core.config import Config
from analyzer.pipeline import discover
from analyzer.pipeline.extract import extract
from analyzer.pipeline.plan import Plan
from analyzer.pipeline.scan import scan
from tests.conftest import AUDIT, run_cli, write_tree


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """The real command line, in this process: its exit code, stdout and stderr."""
    from analyzer.cli import main

    capsys.readouterr()
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


GOOD = {
    "k8s/api.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  replicas: 3\n"
        "  template:\n    spec:\n      containers:\n        - name: api\n"
        "          image: ghcr.io/acme/api:latest\n"
    ),
    "Dockerfile": "FROM python:3.12-slim\nCOPY . /app\nCMD uvicorn app:app --reload\n",
    "docker-compose.yml": "services:\n  redis:\n    image: redis\n    ports: ['6379:6379']\n",
    "app/main.py": "import os\n\nDEBUG = os.environ.get('DEBUG')\n",
}

K8S_HEAD = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\n"
POD = (
    "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
    "    - name: a\n      image: nginx\n"
)


def _alias_bomb() -> str:
    levels = "".join(
        f"{n}: &{n} [{', '.join(['*' + p] * 10)}]\n"
        for p, n in zip("abcdef", "bcdefg", strict=True)
    )
    return K8S_HEAD + 'a: &a ["x","x","x","x","x","x","x","x","x","x"]\n' + levels


Builder = Callable[[Path], None]


def _symlink(name: str, target: Callable[[Path], Path]) -> Builder:
    def build(root: Path) -> None:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target(root), root / name)

    return build


def _loop(root: Path) -> None:
    (root / "k8s").mkdir(exist_ok=True)
    os.symlink("loop-b.yaml", root / "k8s" / "loop-a.yaml")
    os.symlink("loop-a.yaml", root / "k8s" / "loop-b.yaml")


def _huge(root: Path) -> None:
    with (root / "k8s" / "huge.yaml").open("w") as fh:  # 50 MB on one line
        fh.write("data: ")
        chunk = "x" * 1_000_000
        for _ in range(50):
            fh.write(chunk)


# name -> (the odd file's path, its content or a builder, what its note must say;
#          None: the file is fine after all and its findings are reported, with no note)
CASES: dict[str, tuple[str, str | bytes | Builder, str | None]] = {
    "malformed-yaml": ("k8s/broken.yaml", K8S_HEAD + "data: {a: b\n  c: [\n", "invalid YAML"),
    "truncated-yaml": (
        "k8s/truncated.yaml",
        POD.replace("image: nginx\n", 'image: "ngin'),
        "invalid YAML",
    ),
    "alias-bomb": ("k8s/bomb.yaml", _alias_bomb(), "max-yaml-nodes"),
    "deep-yaml-block": (
        "k8s/deep.yaml",
        K8S_HEAD + "data:\n" + "".join(" " * i + "k:\n" for i in range(1, 1500)),
        "nest",
    ),
    "deep-yaml-flow": ("k8s/flow.yaml", K8S_HEAD + "data: " + "[" * 50_000 + "]" * 50_000, "nest"),
    "deep-python-parens": ("app/parens.py", "x = " + "(" * 1000 + "1" + ")" * 1000 + "\n", "nest"),
    "deep-python-recursion": ("app/chain.py", "x = " + "a+" * 200_000 + "1\n", "too deeply nested"),
    "deep-python-blocks": (
        "app/blocks.py",
        "".join(" " * i + "if x:\n" for i in range(120)) + " " * 120 + "pass\n",
        "indentation",
    ),
    "50MB-single-line": ("k8s/huge.yaml", _huge, "larger than"),
    "nul-bytes-yaml": ("k8s/nul.yaml", (K8S_HEAD + "data:\n  a: b\0c\n").encode(), "binary"),
    "nul-bytes-python": ("app/nul.py", b"x = 1\0\n", "binary"),
    "utf16-without-bom": ("k8s/utf16.yaml", POD.encode("utf-16-le"), "binary"),
    "utf16-with-bom": ("k8s/utf16bom.yaml", POD.encode("utf-16"), None),
    "latin1": (
        "k8s/latin1.yaml",
        (K8S_HEAD + "data: {city: Montr\xe9al}\n").encode("latin-1"),
        "UTF-8",
    ),
    "python2": ("app/py2.py", "print 'hello'\n", "invalid Python"),
    "python-garbage": ("app/garbage.py", "def (:\n  ]]\n", "invalid Python"),
    "dockerfile-only-comments": (
        "svc/Dockerfile",
        "# syntax=docker/dockerfile:1\n# nothing\n",
        "no instructions",
    ),
    "dockerfile-continuation-to-eof": (
        "worker/Dockerfile",
        "FROM python:3.12\nRUN pip install \\\n  celery \\\n",
        "continuation",
    ),
    "multi-doc-broken-middle": (
        "k8s/multi.yaml",
        POD + "---\n" + K8S_HEAD + "data: [\n" + "---\n" + POD.replace("name: p", "name: q"),
        "invalid YAML",
    ),
    "kubernetes-list": (
        "k8s/list.yaml",
        "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Pod\n"
        "    metadata: {name: listed}\n    spec:\n      containers:\n"
        "        - name: a\n          image: nginx\n",
        None,
    ),
    "helm-template": (
        "chart/templates/deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n",
        "template",
    ),
    "symlink-loop": ("k8s/loop-a.yaml", _loop, "looping"),
    "symlink-outside-root": (
        "k8s/outside.yaml",
        _symlink("k8s/outside.yaml", lambda r: r.parent / "elsewhere.yaml"),
        "outside",
    ),
}


def _findings(root: Path, **config: object) -> list[tuple[str, str, int | None, str]]:
    return [
        (f.code, f.path, f.line, f.message)
        for f in scan(root, Config(**{"profile": "audit", **config})).findings
    ]  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def baseline_findings(
    tmp_path_factory: pytest.TempPathFactory,
) -> list[tuple[str, str, int | None, str]]:
    root = write_tree(tmp_path_factory.mktemp("clean"), GOOD)
    found = _findings(root)
    assert {f[1] for f in found} >= {"k8s/api.yaml", "Dockerfile", "docker-compose.yml"}
    return found


def _plant(root: Path, path: str, content: str | bytes | Builder) -> None:
    if callable(content):
        content(root)
    else:
        write_tree(root, {path: content})


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_case(
    case: str, tmp_path: Path, baseline_findings: list[tuple[str, str, int | None, str]]
) -> None:
    path, content, reason = CASES[case]
    root = write_tree(tmp_path / "repo", GOOD)
    (tmp_path / "elsewhere.yaml").write_text(POD)
    _plant(root, path, content)
    found = _findings(root)
    others = [f for f in found if f[1] != path and not f[1].startswith("k8s/loop-")]
    assert others == baseline_findings, "a finding elsewhere was lost or changed"
    mine = [f for f in found if f[1] == path]
    notes = [f for f in mine if f[0] == "PR001"]
    if reason is None:
        assert not notes and mine, mine  # parsed after all: its own findings, no note
        return
    assert len(notes) == 1, mine
    assert re.search(reason, notes[0][3]), notes[0][3]
    assert notes[0][2] is None or 1 <= notes[0][2] <= max(1, _line_count(root / path))


def _line_count(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n") + 1
    except OSError:
        return 1


def test_good_documents_around_a_broken_one_still_report(tmp_path: Path) -> None:
    path, content, _ = CASES["multi-doc-broken-middle"]
    write_tree(tmp_path, {path: content})
    found = _findings(tmp_path)
    assert {"K8S001", "K8S009"} <= {f[0] for f in found}
    assert {f[2] for f in found if f[0] == "K8S009"} == {7, 20}  # pods before and after
    (note,) = [f for f in found if f[0] == "PR001"]
    assert note[2] == 12  # the broken document's line


def test_dockerfile_cut_short_still_reports_its_rules(tmp_path: Path) -> None:
    path, content, _ = CASES["dockerfile-continuation-to-eof"]
    write_tree(tmp_path, {path: content})  # type: ignore[dict-item]
    assert "DF001" in {f[0] for f in _findings(tmp_path)}


def test_whole_corpus_through_the_cli_exit_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_tree(tmp_path / "repo", GOOD)
    (tmp_path / "elsewhere.yaml").write_text(POD)
    for path, content, _ in CASES.values():
        _plant(root, path, content)
    proc = run_cli("scan", "--profile", "audit", root, "--format", "sarif", "--jobs", "2")
    assert proc.returncode == 1, proc.stderr  # the good files' warnings
    assert len(json.loads(proc.stdout)["runs"][0]["results"]) > len(CASES)

    notes_only = tmp_path / "notes"
    for name in ("malformed-yaml", "alias-bomb", "50MB-single-line", "helm-template", "latin1"):
        (notes_only / "k8s").mkdir(parents=True, exist_ok=True)
        path, content, _ = CASES[name]
        _plant(notes_only, path, content)
    assert (
        cli(capsys, "scan", "--profile", "audit", notes_only)[0] == 0
    )  # notes are below the default fail-on
    assert cli(capsys, "scan", "--profile", "audit", notes_only, "--fail-on", "note")[0] == 1


def test_python_syntax_of_other_versions(tmp_path: Path) -> None:
    """Each supported version's own syntax is read whatever Python runs the scan: valid code is
    never "invalid Python" (newer grammars go through libcst, see analyzer.parsers.newer_python)."""
    snippets = {
        (3, 10): "match x:\n    case 1:\n        pass\n",
        (3, 11): "try:\n    pass\nexcept* ValueError:\n    pass\n",
        (3, 12): "type Alias = list[int]\ndef f[T](x: T) -> T:\n    return x\n",
        (3, 14): "t = t'hello {name}'\n",
    }
    write_tree(tmp_path, {f"app/v{a}{b}.py": text for (a, b), text in snippets.items()})
    notes = {f[1] for f in _findings(tmp_path) if f[0] == "PR001"}
    assert notes == set(), notes


def test_odd_gitignore_patterns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(
        tmp_path,
        {
            ".gitignore": b"[z-a]\n\\\n!\n[\n\xff\xfe\n   \n#c\nfoo\\\n*.log\n",
            "k8s/pod.yaml": POD,
            "debug.log": "x",
            "sub/.gitignore": "!\n[z-a\n",
            "sub/deploy.yaml": POD,
        },
    )
    found = _findings(tmp_path)
    paths = {f[1] for f in found}
    assert {"k8s/pod.yaml", "sub/deploy.yaml"} <= paths
    code, _, err = cli(capsys, "scan", "--profile", "audit", tmp_path, "--format", "json")
    assert code == 1, err


def test_file_vanishing_or_changing_kind_mid_scan(tmp_path: Path) -> None:
    """Discovered, then gone or replaced before it is read: a note, never an exception."""
    write_tree(tmp_path, {"k8s/gone.yaml": POD, "k8s/dir.yaml": POD, "k8s/pod.yaml": POD})
    candidates = discover.discover(tmp_path, None, ())
    (tmp_path / "k8s" / "gone.yaml").unlink()
    (tmp_path / "k8s" / "dir.yaml").unlink()
    (tmp_path / "k8s" / "dir.yaml").mkdir()
    plan = Plan(str(tmp_path), frozenset({"PR001", "K8S001"}), 2_000_000)
    results = {c.path: extract(plan, c) for c in candidates}
    for path in ("k8s/gone.yaml", "k8s/dir.yaml"):
        (note,) = results[path].findings
        assert note.code == "PR001" and "cannot read" in note.message
    assert {f.code for f in results["k8s/pod.yaml"].findings} == {"K8S001"}


# --- bounds ---------------------------------------------------------------------------


def _big_manifest(keys: int) -> str:
    return K8S_HEAD + "data:\n" + "".join(f"  k{i}: v{i}\n" for i in range(keys))


def test_time_budget_stops_one_file_and_the_scan_goes_on(tmp_path: Path) -> None:
    write_tree(tmp_path, {**GOOD, "k8s/slow.yaml": _big_manifest(90_000)})
    found = _findings(tmp_path, max_file_seconds=0.05)  # bench/timings.py: how soon it stops
    (note,) = [f for f in found if f[1] == "k8s/slow.yaml"]
    assert "max-file-seconds" in note[3]
    assert {"k8s/api.yaml", "Dockerfile"} <= {f[1] for f in found}


def test_time_budget_in_worker_processes(tmp_path: Path) -> None:
    files = {f"k8s/pod{i:03}.yaml": POD for i in range(80)}
    write_tree(tmp_path, {**files, "k8s/slow.yaml": _big_manifest(90_000)})
    result = scan(tmp_path, Config(max_file_seconds=0.05), jobs=2)
    notes = [f for f in result.findings if f.code == "PR001"]
    assert [f.path for f in notes] == ["k8s/slow.yaml"]
    assert {f.path for f in result.findings if f.code == "K8S001"} == set(files)


def test_time_budget_zero_disables_it_and_bounds_are_configurable(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "k8s/big.yaml": _big_manifest(300),
            "k8s/deep.yaml": K8S_HEAD + "data:\n" + "".join(" " * i + "k:\n" for i in range(1, 12)),
        },
    )
    assert not [f for f in _findings(tmp_path, max_file_seconds=0) if f[0] == "PR001"]
    few = [f for f in _findings(tmp_path, max_yaml_nodes=100) if f[0] == "PR001"]
    assert [(f[1], "max-yaml-nodes" in f[3]) for f in few] == [("k8s/big.yaml", True)]
    shallow = [f for f in _findings(tmp_path, max_yaml_depth=5) if f[0] == "PR001"]
    assert [(f[1], "max-yaml-depth" in f[3]) for f in shallow] == [("k8s/deep.yaml", True)]
    small = [f for f in _findings(tmp_path, max_file_bytes=1000) if f[0] == "PR001"]
    assert [(f[1], "max-file-bytes" in f[3]) for f in small] == [("k8s/big.yaml", True)]


def test_bounds_from_the_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(
        tmp_path,
        {
            ".prodready.toml": "max-yaml-nodes = 100\nmax-file-seconds = 5\nmax-yaml-depth = 50\n",
            "k8s/big.yaml": _big_manifest(300),
        },
    )
    _, out, err = cli(capsys, "scan", "--profile", "audit", tmp_path, "--format", "json")
    notes = [f for f in json.loads(out)["findings"] if f["code"] == "PR001"]
    assert len(notes) == 1 and "max-yaml-nodes" in notes[0]["message"], err


# --- config and CLI misuse -------------------------------------------------------------

MISUSE = {
    "unknown-key": ("ignored = ['K8S001']\n", "unknown key"),
    "wrong-type-list": ("ignore = 3\n", "list of strings"),
    "wrong-type-seconds": ("max-file-seconds = 'soon'\n", "max-file-seconds"),
    "negative-seconds": ("max-file-seconds = -1\n", "max-file-seconds"),
    "bool-nodes": ("max-yaml-nodes = true\n", "max-yaml-nodes"),
    "zero-depth": ("max-yaml-depth = 0\n", "max-yaml-depth"),
    "bad-fail-on": ("fail-on = 'sometimes'\n", "fail-on"),
    "unknown-rule-ignore": ("ignore = ['K8S999']\n", "K8S999"),
    "unknown-rule-select": ("select = ['NOPE1']\n", "NOPE1"),
    "unknown-rule-per-path": ("[per-path-ignores]\n'a/**' = ['XYZ123']\n", "XYZ123"),
    "per-path-not-table": ("per-path-ignores = ['x']\n", "per-path-ignores"),
    "per-path-wrong-type": ("[per-path-ignores]\n'a/**' = 5\n", "per-path-ignores"),
    "bad-exclude-pattern": ("exclude = ['[z-a]']\n", "invalid pattern"),
    "invalid-toml": ("ignore = [\n", "invalid TOML"),
}


@pytest.mark.parametrize("case", sorted(MISUSE))
def test_config_misuse_is_one_line_and_exit_2(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, says = MISUSE[case]
    write_tree(tmp_path, {".prodready.toml": text, "k8s/pod.yaml": POD})
    code, out, err = cli(capsys, "scan", "--profile", "audit", tmp_path)
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and says in lines[0] and "Traceback" not in err, err


@pytest.mark.parametrize(
    "args",
    [
        ["--select", "K8S999"],
        ["--ignore", "nonsense-rule"],
        ["--jobs", "0"],
        ["--fail-on", "sometimes"],
        ["--format", "yaml"],
        ["--config", "missing.toml"],
        ["--baseline", "missing.json"],
        ["--no-such-flag"],
    ],
)
def test_cli_misuse_is_one_line_and_exit_2(
    args: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_tree(tmp_path, {"k8s/pod.yaml": POD})
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, "scan", "--profile", "audit", tmp_path, *args)
    assert code == 2, (args, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


# --- --strict ----------------------------------------------------------------------------


def test_strict_reports_inline_suppressions_without_applying_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = POD.replace(
        "    - name: a",
        "    # prodready: ignore[K8S001] limits come from the LimitRange\n    - name: a",
    )
    write_tree(tmp_path, {"k8s/pod.yaml": text})
    plain = json.loads(
        cli(
            capsys, "scan", "--profile", "audit", tmp_path, "--format", "json", "--select", "K8S001"
        )[1]
    )
    assert [f["suppressed"] for f in plain["findings"]] == [True]
    code, out, _ = cli(
        capsys, "scan", tmp_path, "--format", "json", "--select", "K8S001", "--strict"
    )
    (finding,) = json.loads(out)["findings"]
    assert code == 1 and not finding["suppressed"]
    assert (
        "limits come from the LimitRange" in finding["message"] and "--strict" in finding["message"]
    )
    assert finding["fingerprint"] == plain["findings"][0]["fingerprint"]


def test_strict_reports_config_ignores_without_applying_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def codes(*args: str | Path) -> dict[str, str]:
        code, out, err = cli(
            capsys, "scan", "--profile", "audit", tmp_path, "--format", "json", *args
        )
        assert code in (0, 1), err
        return {f["code"]: f["message"] for f in json.loads(out)["findings"]}

    write_tree(
        tmp_path,
        {
            "pyproject.toml": "[tool.prodready]\nignore = ['K8S001']\nselect = ['K8S']\n"
            "[tool.prodready.per-path-ignores]\n'k8s/**' = ['K8S009']\n",
            "k8s/pod.yaml": POD,
        },
    )
    plain = codes()
    assert "K8S001" not in plain and "K8S009" not in plain
    by_code = codes("--strict")
    assert "ignore = 'K8S001'" in by_code["K8S001"] and "--strict" in by_code["K8S001"]
    assert "per-path-ignores 'k8s/**'" in by_code["K8S009"]
    # a file the workflow names with --config is trusted: its ignores apply under --strict
    trusted = tmp_path.parent / f"{tmp_path.name}-trusted.toml"
    trusted.write_text("ignore = ['K8S001']\n")
    assert "K8S001" not in codes("--strict", "--config", trusted)
    # --ignore on the command line still applies
    assert "K8S009" not in codes("--strict", "--ignore", "K8S009")


# --- stable fingerprints ------------------------------------------------------------------


def _prints(root: Path, jobs: int = 1) -> dict[tuple[str, str, str], str]:
    """(code, path, anchor-free message) -> fingerprint; messages hold no line numbers here."""
    out = {}
    for f in scan(root, AUDIT, jobs=jobs).findings:
        key = (f.code, f.path, f.message)
        assert key not in out, key
        out[key] = f.fingerprint
    return out


FP_FILES = {
    "k8s/api.yaml": GOOD["k8s/api.yaml"],
    "k8s/pods.yaml": POD + "---\n" + POD.replace("name: p", "name: q").replace("nginx", "redis"),
    "Dockerfile": GOOD["Dockerfile"],
    "docker-compose.yml": GOOD["docker-compose.yml"],
}


def test_fingerprints_survive_inserted_lines_and_reordering(tmp_path: Path) -> None:
    before = _prints(write_tree(tmp_path / "a", FP_FILES))
    assert len(before) > 15
    shifted = {
        "k8s/api.yaml": "# owner: team-x\n\n" + FP_FILES["k8s/api.yaml"],
        # documents swapped: each keeps its own fingerprints
        "k8s/pods.yaml": "# pods\n"
        + "---\n".join(reversed(FP_FILES["k8s/pods.yaml"].split("---\n"))),
        "Dockerfile": "# syntax=docker/dockerfile:1\n\n# build\n" + FP_FILES["Dockerfile"],
        "docker-compose.yml": "# local stack\n" + FP_FILES["docker-compose.yml"],
        "aaa/first.yaml": "a: 1\n",  # a file sorting first shifts the scan order
    }
    many = {f"zz/pad{i:02}.txt": "x\n" for i in range(70)}  # enough files for a process pool
    after = _prints(write_tree(tmp_path / "b", {**shifted, **many}), jobs=2)
    assert after == before


def test_editing_the_flagged_line_changes_its_fingerprint_only(tmp_path: Path) -> None:
    root = write_tree(tmp_path, FP_FILES)
    before = _prints(root)
    edits = {
        "k8s/api.yaml": ("acme/api:latest", "acme/web:latest", "K8S009"),
        "docker-compose.yml": ("image: redis", "image: redis:latest", "CMP007"),
    }
    for path, (old, new, code) in edits.items():
        write_tree(root, {path: FP_FILES[path].replace(old, new)})
        after = _prints(root)
        changed = {k[:2] for k in before if before[k] != after.get(k)}
        assert changed == {(code, path)}, changed
        write_tree(root, {path: FP_FILES[path]})


def test_baseline_keeps_working_across_edits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_tree(tmp_path / "repo", FP_FILES)
    base = tmp_path / "baseline.json"
    assert cli(capsys, "baseline", root, "--output", base, "--profile", "audit")[0] == 0
    moved = {
        "k8s/api.yaml": "# moved\n\n\n" + FP_FILES["k8s/api.yaml"],
        "Dockerfile": "# x\n" + FP_FILES["Dockerfile"],
    }
    write_tree(root, moved)
    code, out, _ = cli(
        capsys, "scan", "--profile", "audit", root, "--baseline", base, "--format", "json"
    )
    assert code == 0 and json.loads(out)["findings"] == []
    write_tree(root, {"Dockerfile": FP_FILES["Dockerfile"].replace("python:3.12-slim", "python")})
    out = cli(capsys, "scan", "--profile", "audit", root, "--baseline", base, "--format", "json")[1]
    new = json.loads(out)["findings"]
    assert [(f["code"], f["path"]) for f in new] == [("DF002", "Dockerfile")]
