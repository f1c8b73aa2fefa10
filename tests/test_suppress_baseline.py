"""Inline suppressions, per-path ignores, baselines and the fingerprints behind them."""

from __future__ import annotations

import json
from pathlib import Path

from analyzer.core.config import Config
from analyzer.pipeline.scan import scan
from tests.conftest import AUDIT, run_cli, write_tree


def renamed(name: str) -> str:
    return DEPLOYMENT.replace("name: api", f"name: {name}").replace("/api:", f"/{name}:")


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
"""


def _codes_at(root: Path, code: str, **kw) -> list[tuple[str, int | None, str | None]]:  # type: ignore[no-untyped-def]
    return [
        (f.path, f.line, f.suppression) for f in scan(root, Config(**kw)).findings if f.code == code
    ]


def test_comment_above_suppresses_with_reason(tmp_path: Path) -> None:
    text = DEPLOYMENT.replace(
        "        - name: api",
        "        # prodready: ignore[K8S001] limits come from the namespace LimitRange\n        - name: api",
    )
    write_tree(tmp_path, {"k8s/api.yaml": text})
    assert _codes_at(tmp_path, "K8S001") == [
        ("k8s/api.yaml", 10, "limits come from the namespace LimitRange")
    ]
    assert _codes_at(tmp_path, "PR002") == []
    # a suppression counts for nothing at exit: only K8S001 was at warning level? no: other rules
    proc = run_cli("scan", tmp_path, "--select", "K8S001", "--format", "json")
    doc = json.loads(proc.stdout)
    assert proc.returncode == 0
    assert [f["suppressed"] for f in doc["findings"] if f["code"] == "K8S001"] == [True]


def test_trailing_comment_and_names_and_multiple_codes(tmp_path: Path) -> None:
    text = DEPLOYMENT.replace(
        "        - name: api",
        "        - name: api  # prodready: ignore[container-without-resource-limits, K8S002] set by LimitRange",
    )
    write_tree(tmp_path, {"k8s/api.yaml": text})
    assert [s for _, _, s in _codes_at(tmp_path, "K8S001")] == ["set by LimitRange"]
    assert [s for _, _, s in _codes_at(tmp_path, "K8S002")] == ["set by LimitRange"]
    assert all(s is None for _, _, s in _codes_at(tmp_path, "K8S003"))


def test_suppression_without_reason_does_not_suppress_and_is_reported(tmp_path: Path) -> None:
    text = DEPLOYMENT.replace(
        "        - name: api", "        # prodready: ignore[K8S001]\n        - name: api"
    )
    write_tree(tmp_path, {"k8s/api.yaml": text})
    assert _codes_at(tmp_path, "K8S001") == [("k8s/api.yaml", 10, None)]
    assert _codes_at(tmp_path, "PR002") == [("k8s/api.yaml", 9, None)]


def test_suppression_of_unknown_rule_is_reported(tmp_path: Path) -> None:
    text = DEPLOYMENT.replace(
        "        - name: api", "        # prodready: ignore[K8S999] typo\n        - name: api"
    )
    write_tree(tmp_path, {"k8s/api.yaml": text})
    assert _codes_at(tmp_path, "PR002") == [("k8s/api.yaml", 9, None)]


def test_per_path_ignores(tmp_path: Path) -> None:
    write_tree(tmp_path, {"k8s/api.yaml": DEPLOYMENT, "staging/api.yaml": DEPLOYMENT})
    kept = _codes_at(tmp_path, "K8S001", per_path_ignores=(("staging/**", ("K8S001",)),))
    assert [p for p, _, _ in kept] == ["k8s/api.yaml"]


def _fingerprints(root: Path) -> dict[tuple[str, str], list[str]]:
    out: dict[tuple[str, str], list[str]] = {}
    for f in scan(root, AUDIT).findings:
        out.setdefault((f.code, f.path), []).append(f.fingerprint)
    return out


def test_fingerprints_survive_line_shifts_and_change_with_the_flagged_content(
    tmp_path: Path,
) -> None:
    write_tree(tmp_path, {"k8s/api.yaml": DEPLOYMENT, "k8s/other.yaml": renamed("web")})
    before = _fingerprints(tmp_path)
    shifted = "# a comment\n# another\n" + DEPLOYMENT.replace(
        "spec:\n  replicas", "spec:\n  # note\n  replicas"
    )
    write_tree(tmp_path, {"k8s/api.yaml": shifted})
    assert _fingerprints(tmp_path) == before
    write_tree(tmp_path, {"k8s/api.yaml": DEPLOYMENT.replace("1.4.2", "latest")})
    after = _fingerprints(tmp_path)
    assert after[("K8S001", "k8s/api.yaml")] == before[("K8S001", "k8s/api.yaml")]
    assert ("K8S009", "k8s/api.yaml") in after and ("K8S009", "k8s/api.yaml") not in before


def test_baseline_round_trip_is_stable_and_reports_only_new(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", {"k8s/api.yaml": DEPLOYMENT})
    base1, base2 = tmp_path / "b1.json", tmp_path / "b2.json"
    assert run_cli("baseline", repo, "--output", base1).returncode == 0
    write_tree(repo, {"k8s/api.yaml": "# moved\n" + DEPLOYMENT})
    assert run_cli("baseline", repo, "--output", base2).returncode == 0
    assert base1.read_bytes() == base2.read_bytes()
    doc = json.loads(base1.read_text())
    assert doc["findings"] and all(
        set(e) == {"code", "path", "fingerprint"} for e in doc["findings"]
    )
    assert "line" not in base1.read_text()

    proc = run_cli("scan", repo, "--baseline", base1, "--format", "json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["findings"] == []
    write_tree(repo, {"k8s/web.yaml": renamed("web")})
    proc = run_cli("scan", repo, "--baseline", base1, "--format", "json")
    new = json.loads(proc.stdout)["findings"]
    assert proc.returncode == 1 and new and {f["path"] for f in new} == {"k8s/web.yaml"}


def test_invalid_baseline_is_a_usage_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {"b.json": "{not json", "other.json": '{"a": 1}'})
    for name in ("b.json", "other.json"):
        proc = run_cli("scan", tmp_path, "--baseline", tmp_path / name)
        assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
