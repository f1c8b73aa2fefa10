"""The checklist report: one status per item, the readiness score, markdown, json, job summary."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from analyzer import evidence
from analyzer.core import checklist
from analyzer.core.model import Evidence, ScanResult
from analyzer.pipeline import discover
from analyzer.pipeline.extract import extract
from analyzer.pipeline.plan import Plan
from analyzer.pipeline.scan import scan
from analyzer.report import checklist as checklist_report
from analyzer.report import json_report, markdown
from analyzer.report.checklist import NEEDS_REVIEW, NOT_APPLICABLE, VERIFIED, VIOLATED
from tests.conftest import AUDIT, write_tree

GOOD_DOCKERFILE = """\
FROM python:3.12-slim
USER app
HEALTHCHECK CMD curl -f http://localhost:8000/health || exit 1
CMD ["uvicorn", "app.main:app", "--workers", "2"]
"""
BAD_COMPOSE = "services:\n  api:\n    image: ghcr.io/acme/api:1.0.0\n    command: uvicorn app:app\n"


def _scan(tmp_path: Path, files: dict[str, str]) -> tuple[ScanResult, tuple[Evidence, ...]]:
    """The scan and its evidence, as the judge phase will compute them (ScanResult.evidence)."""
    root = write_tree(tmp_path, files)
    result = scan(root, AUDIT)
    plan = Plan(str(root), frozenset(), 2_000_000)
    found = evidence.collect([extract(plan, c) for c in discover.discover(root, None, [])])
    return result, found


def _by_id(items: list[checklist_report.ItemStatus]) -> dict[str, checklist_report.ItemStatus]:
    return {s.item.id: s for s in items}


def test_every_item_has_exactly_one_status_in_checklist_order(tmp_path: Path) -> None:
    result, found = _scan(tmp_path, {"Dockerfile": GOOD_DOCKERFILE, "compose.yaml": BAD_COMPOSE})
    items = checklist_report.statuses(result, found)
    assert [s.item.id for s in items] == [i.id for i in checklist.items()]
    assert len(items) == 135
    assert all(s.status in checklist_report.STATUSES for s in items)
    for s in items:
        assert bool(s.findings) == (s.status == VIOLATED)
        assert bool(s.evidence) == (s.status == VERIFIED)
        assert bool(s.reason) == (s.status == NOT_APPLICABLE)
        assert bool(s.hint) == (s.status == NEEDS_REVIEW)


def test_findings_win_over_evidence(tmp_path: Path) -> None:
    result, found = _scan(tmp_path, {"Dockerfile": GOOD_DOCKERFILE, "compose.yaml": BAD_COMPOSE})
    items = _by_id(checklist_report.statuses(result, found))
    ha4 = items["HA-4"]  # the Dockerfile has a HEALTHCHECK, the compose service has none
    assert any(e.item_id == "HA-4" for e in found)
    assert ha4.status == VIOLATED
    assert {f.code for f in ha4.findings} >= {"CMP002"}
    assert all(f.path == "compose.yaml" for f in ha4.findings)


def test_verified_only_on_evidence_never_on_silence(tmp_path: Path) -> None:
    result, found = _scan(tmp_path, {"Dockerfile": GOOD_DOCKERFILE})
    items = _by_id(checklist_report.statuses(result, found))
    assert items["HA-4"].status == VERIFIED
    assert "HEALTHCHECK" in items["HA-4"].evidence[0].text
    assert items["BACKEND-5"].status == VERIFIED
    # DF004 ran and found no secret in the Dockerfile: no evidence, so still a review item
    assert items["DATA-5"].status == NEEDS_REVIEW and "DF004" in items["DATA-5"].checked_by
    without = _by_id(checklist_report.statuses(result, ()))
    assert without["HA-4"].status == NEEDS_REVIEW


def test_not_applicable_says_why(tmp_path: Path) -> None:
    result, found = _scan(tmp_path, {"Dockerfile": GOOD_DOCKERFILE})
    items = _by_id(checklist_report.statuses(result, found))
    assert items["FRONTEND-1"].status == NOT_APPLICABLE
    assert "no frontend" in items["FRONTEND-1"].reason
    assert items["DB-1"].status == NOT_APPLICABLE and "no database" in items["DB-1"].reason
    result2, found2 = _scan(
        tmp_path / "full",
        {
            "frontend/src/App.tsx": "export const App = () => null;\n",
            "app/db.py": "import sqlalchemy\n",
        },
    )
    items2 = _by_id(checklist_report.statuses(result2, found2))
    assert items2["FRONTEND-1"].status == NEEDS_REVIEW
    assert items2["DB-1"].status == NEEDS_REVIEW


def test_review_hints_cover_every_item() -> None:
    hints = checklist_report.hints()
    assert list(hints) == [i.id for i in checklist.items()]
    assert all(0 < len(h) <= 160 and "\n" not in h for h in hints.values())


def test_readiness_score(tmp_path: Path) -> None:
    result, found = _scan(tmp_path, {"Dockerfile": GOOD_DOCKERFILE, "compose.yaml": BAD_COMPOSE})
    items = checklist_report.statuses(result, found)
    score = checklist_report.readiness(items)
    verified = [s for s in items if s.status == VERIFIED]
    assert score.verified == len(verified) > 0
    assert all(s.checkable for s in verified)
    assert all(s.checkable for s in items if s.status == VIOLATED)
    assert not any(s.checkable for s in items if s.status == NOT_APPLICABLE)
    assert score.percent == round(100 * score.verified / score.checkable)
    assert checklist_report.Readiness(0, 0).percent is None


def test_markdown_report_lists_every_item_under_the_seed_headings(tmp_path: Path) -> None:
    result, found = _scan(tmp_path, {"Dockerfile": GOOD_DOCKERFILE, "compose.yaml": BAD_COMPOSE})
    out = markdown.report(result, found)
    lines = out.splitlines()
    assert lines[0] == "# Production readiness checklist"
    assert "**Readiness score: " in out
    assert "| ❌ Violated |" in out and "| Seguridad / Protección de Datos |" in out
    assert [x for x in lines if x.startswith("## ")][:2] == ["## Seguridad", "## Rendimiento"]
    assert "### Autenticación y Autorización" in lines
    ids = [x.split("**")[1] for x in lines if x.startswith("- ") and "**" in x]
    assert ids == [i.id for i in checklist.items()]
    ha4 = next(x for x in lines if "**HA-4**" in x)
    assert "**violated**" in ha4
    after = lines[lines.index(ha4) + 1]
    assert "`CMP002`" in after and "(compose.yaml#L" in after
    assert "no frontend code" in next(x for x in lines if "**FRONTEND-1**" in x)
    assert "**needs review**" in next(x for x in lines if "**SECRETS-3**" in x)


def test_markdown_links_and_evidence_cap() -> None:
    result = ScanResult("/r", (), {}, 1, {})
    many = tuple(Evidence("HA-4", f"probe {n}", f"k8s/a b{n}.yaml", n) for n in range(1, 9))
    out = markdown.report(result, many, link_base="https://github.com/o/r/blob/abc/")
    assert "[`k8s/a b1.yaml:1`](https://github.com/o/r/blob/abc/k8s/a%20b1.yaml#L1)" in out
    assert "and 3 more pieces of evidence" in out
    assert "probe 6" not in out


def test_render_reads_the_scan_evidence_when_present(tmp_path: Path) -> None:
    result, found = _scan(tmp_path, {"Dockerfile": GOOD_DOCKERFILE})
    assert checklist_report.evidence_of(result) == () or hasattr(result, "evidence")

    class WithEvidence:  # what ScanResult looks like once it carries `evidence`
        def __getattr__(self, name: str) -> object:
            return found if name == "evidence" else getattr(result, name)

    assert checklist_report.evidence_of(WithEvidence()) == found  # type: ignore[arg-type]


def test_json_carries_the_checklist_and_keeps_every_field(tmp_path: Path) -> None:
    result, _ = _scan(tmp_path, {"Dockerfile": GOOD_DOCKERFILE, "compose.yaml": BAD_COMPOSE})
    doc = json.loads(json_report.render(result))
    assert {"version", "root", "files_scanned", "summary", "findings", "skipped_rules"} <= set(doc)
    assert [e["id"] for e in doc["checklist"]] == [i.id for i in checklist.items()]
    ha4 = next(e for e in doc["checklist"] if e["id"] == "HA-4")
    assert ha4["status"] == VIOLATED and ha4["findings"][0]["path"] == "compose.yaml"
    assert ha4["findings"][0]["fingerprint"] in {f["fingerprint"] for f in doc["findings"]}
    assert set(doc["readiness"]) == {"score", "verified", "checkable", "counts"}
    assert sum(doc["readiness"]["counts"].values()) == 135


def test_job_summary_shows_tables_and_violated_items_within_budget(tmp_path: Path) -> None:
    result, _ = _scan(tmp_path, {"compose.yaml": BAD_COMPOSE})
    out = markdown.summary_markdown(result)
    assert out.startswith("## prodready: production readiness")
    assert "| Status | Items |" in out and "### Violated items" in out
    assert "**HA-4**" in out and "SECRETS-3" not in out  # only violated items are listed
    many = tuple(
        replace(result.findings[0], line=n, message="x" * 500, fingerprint=str(n))
        for n in range(1, 400)
    )
    big = replace(result, findings=many)
    small = markdown.summary_markdown(big, max_bytes=20_000)
    assert len(small.encode("utf-8")) <= 20_000
    assert "Truncated:" in small or small.count("- **") < 400
    full = markdown.summary_markdown(big)
    assert len(full.encode("utf-8")) <= markdown.SUMMARY_BUDGET
    clean = markdown.summary_markdown(ScanResult("/r", (), {}, 0, {}))
    assert "No checklist item is violated." in clean


EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# Items violated on examples/call-center that examples/call-center-fixed cannot show as
# verified, and why. A rule often names several items; its fix proves one of them.
NOT_VERIFIED_ON_THE_TWIN = {
    "DATA-1": "SQL006 is fixed by not storing card data (a payment token and the last "
    "digits instead): nothing is encrypted at rest, so nothing can be shown encrypted.",
    "DATA-5": "secrets were removed from the files; 'no credentials in the source' is an "
    "absence, and a secret scanner in CI (the evidence) runs outside the twin.",
    "ATTACK-2": "PY017's fix sets Secure/HttpOnly/SameSite on the cookie; CSRF protection "
    "itself (a token or SameSite=Strict everywhere) is not shown by the twin.",
    "ATTACK-4": "FE002/FE003/PY023/PY024 are fixed by sanitizing and removing eval: the "
    "absence of sinks is no evidence; CSP (DATA-3) is verified separately.",
    "PRIV-2": "PY010 is fixed by not logging phone numbers: an absence; no anonymization "
    "library is used.",
    "POST-3": "CMP008/CMP011 are fixed by dropping privileged mode and the Docker socket: "
    "absences; post-deployment security validation is not in the twin.",
}


def test_the_fixed_twin_verifies_every_item_the_broken_one_violates() -> None:
    broken = _by_id(
        checklist_report.statuses(r := scan(EXAMPLES / "call-center", AUDIT), r.evidence)
    )
    fixed_result = scan(EXAMPLES / "call-center-fixed", AUDIT)
    fixed = _by_id(checklist_report.statuses(fixed_result, fixed_result.evidence))
    violated = {i for i, s in broken.items() if s.status == VIOLATED}
    not_verified = {i for i in violated if fixed[i].status != VERIFIED}
    assert not_verified == set(NOT_VERIFIED_ON_THE_TWIN), {
        i: fixed[i].status for i in not_verified ^ set(NOT_VERIFIED_ON_THE_TWIN)
    }
    assert set(NOT_VERIFIED_ON_THE_TWIN) <= violated


def test_an_audit_rule_makes_its_item_needs_review_never_violated_or_verified(
    tmp_path: Path,
) -> None:
    root = write_tree(tmp_path, {"Dockerfile": GOOD_DOCKERFILE, "compose.yaml": BAD_COMPOSE})
    result = scan(root)  # the default profile: CMP002 (no compose healthcheck) is an audit rule
    assert result.rules["CMP002"].precision not in ("high", "very-high")
    assert not any(f.code == "CMP002" for f in result.findings)
    assert any(f.code == "CMP002" for f in result.review)
    plan = Plan(str(root), frozenset(), 2_000_000)
    found = evidence.collect([extract(plan, c) for c in discover.discover(root, None, [])])
    ha4 = _by_id(checklist_report.statuses(result, found))["HA-4"]
    assert any(e.item_id == "HA-4" for e in found)  # the Dockerfile's HEALTHCHECK is evidence
    assert ha4.status == NEEDS_REVIEW and "CMP002" in ha4.hint and "--profile audit" in ha4.hint
