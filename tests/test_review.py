"""Pull-request review comments, against a real HTTP server on loopback.

The server implements the few REST v3 endpoints `prodready review` uses,
keeps the review and its comments in memory as GitHub would (including the
422 for a comment on a line outside the diff, and pagination by `Link`),
and records every request. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from analyzer.core.errors import UsageError
from analyzer.core.model import Finding, Rule, ScanResult, Severity
from analyzer.report import review, sarif
from tests.conftest import run_cli

TOKEN = "ghs_loopbackTestToken0123456789"
REPO = "acme/call-center"
PR = 7
HEAD = "a" * 40
PAGE = 2  # small pages, so pagination is exercised
PREFIX = "/api/v3"  # GitHub Enterprise Server serves the API under a path


@dataclass
class FakeGitHub:
    """State of one pull request: reviews, review comments, the lines its diff touches."""

    diff_lines: dict[str, set[int]]
    reviews: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    next_id: int = 100

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def commentable(self, comment: dict[str, Any]) -> bool:
        return comment.get("line") in self.diff_lines.get(comment.get("path", ""), set())


class Handler(BaseHTTPRequestHandler):
    server: Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        gh = self.server.state
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        gh.requests.append(
            {
                "method": self.command,
                "path": url.path,
                "body": body,
                "headers": {k.lower(): v for k, v in self.headers.items()},
            }
        )
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._reply(401, {"message": "Bad credentials"})
        base = f"{PREFIX}/repos/{REPO}/pulls/{PR}"
        if self.command == "GET" and url.path in (f"{base}/reviews", f"{base}/comments"):
            items = gh.reviews if url.path.endswith("reviews") else gh.comments
            page = int(parse_qs(url.query).get("page", ["1"])[0])
            chunk = items[(page - 1) * PAGE : page * PAGE]
            headers = {}
            if page * PAGE < len(items):
                headers["Link"] = (
                    f'<http://{self.headers["Host"]}{url.path}?page={page + 1}>; rel="next"'
                )
            return self._reply(200, chunk, headers)
        if self.command == "POST" and url.path == f"{base}/reviews":
            assert body is not None
            bad = [c for c in body.get("comments", []) if not gh.commentable(c)]
            if bad:
                return self._reply(422, {"message": "Unprocessable Entity", "errors": ["line"]})
            rid = gh.new_id()
            gh.reviews.append({"id": rid, "body": body["body"], "commit_id": body["commit_id"]})
            for c in body.get("comments", []):
                gh.comments.append({"id": gh.new_id(), "pull_request_review_id": rid, **c})
            return self._reply(200, gh.reviews[-1])
        if self.command == "POST" and url.path == f"{base}/comments":
            assert body is not None
            if not gh.commentable(body):
                return self._reply(422, {"message": "line must be part of the diff"})
            gh.comments.append({"id": gh.new_id(), **body})
            return self._reply(201, gh.comments[-1])
        if m := re.fullmatch(rf"{base}/reviews/(\d+)", url.path):
            found = [r for r in gh.reviews if r["id"] == int(m.group(1))]
            if self.command == "PUT" and found and body:
                found[0]["body"] = body["body"]
                return self._reply(200, found[0])
        if m := re.fullmatch(rf"{PREFIX}/repos/{REPO}/pulls/comments/(\d+)", url.path):
            found = [c for c in gh.comments if c["id"] == int(m.group(1))]
            if self.command == "PATCH" and found and body:
                found[0]["body"] = body["body"]
                return self._reply(200, found[0])
        return self._reply(404, {"message": "Not Found"})

    do_GET = do_POST = do_PUT = do_PATCH = _handle


class Server(ThreadingHTTPServer):
    state: FakeGitHub


@pytest.fixture
def github() -> Iterator[tuple[FakeGitHub, str]]:
    state = FakeGitHub(diff_lines={"k8s/api.yaml": {10, 11, 12}, "Dockerfile": {1, 2, 3}})
    server = Server(("127.0.0.1", 0), Handler)
    server.state = state
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}{PREFIX}"
    finally:
        server.shutdown()
        server.server_close()


RULES = {
    "K8S001": Rule(
        "K8S001",
        "container-without-resource-limits",
        Severity.WARNING,
        ("RES-1",),
        "A container has no limit.",
        "Why.",
        "Set limits.",
    ),
    "DF001": Rule(
        "DF001", "container-runs-as-root", Severity.ERROR, ("SECRETS-4",), "Root.", "Why.", "USER."
    ),
    "REPO001": Rule(
        "REPO001", "no-dependency-updates", Severity.NOTE, ("MAINT-2",), "No bot.", "Why.", "Add."
    ),
}


def _sarif(tmp_path: Path, *findings: Finding) -> Path:
    result = ScanResult("/nonexistent", tuple(findings), RULES, 3, {})
    path = tmp_path / "prodready.sarif"
    path.write_text(sarif.render(result), encoding="utf-8")
    return path


def _f(code: str, path: str, line: int | None, fp: str, message: str = "problem") -> Finding:
    return Finding(code, path, message, line, fingerprint=fp, severity=RULES[code].severity)


LIMITS = _f("K8S001", "k8s/api.yaml", 11, "fp1", "container `api` has no CPU limit")
ROOT = _f("DF001", "Dockerfile", 2, "fp2", "the final image runs as root")
NO_BOT = _f("REPO001", ".github/dependabot.yml", None, "fp3", "no Dependabot config")


def _env(api: str, tmp_path: Path) -> dict[str, str]:
    event = tmp_path / "event.json"
    payload = {"pull_request": {"number": PR, "head": {"sha": HEAD}, "base": {"sha": "b" * 40}}}
    event.write_text(json.dumps(payload), encoding="utf-8")
    return {
        "GITHUB_API_URL": api,
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_TOKEN": TOKEN,
    }


def _writes(gh: FakeGitHub) -> list[tuple[str, str]]:
    return [(r["method"], r["path"]) for r in gh.requests if r["method"] != "GET"]


def test_first_run_posts_one_review_with_inline_comments(
    github: tuple[FakeGitHub, str], tmp_path: Path
) -> None:
    gh, api = github
    outcome = review.run(_sarif(tmp_path, LIMITS, ROOT, NO_BOT), _env(api, tmp_path))
    assert outcome == review.Outcome("created", 2, 0, 0, 0)
    assert _writes(gh) == [("POST", f"/api/v3/repos/{REPO}/pulls/{PR}/reviews")]
    posted = gh.requests[-1]
    assert posted["headers"]["accept"] == "application/vnd.github+json"
    assert posted["headers"]["x-github-api-version"] == "2022-11-28"
    body = posted["body"]
    assert body["commit_id"] == HEAD and body["event"] == "COMMENT"
    assert review.REVIEW_MARKER in body["body"]
    assert "no Dependabot config" in body["body"]  # no line: in the review body
    places = {(c["path"], c["line"], c["side"]) for c in body["comments"]}
    assert places == {("k8s/api.yaml", 11, "RIGHT"), ("Dockerfile", 2, "RIGHT")}
    limits = next(c for c in body["comments"] if c["path"] == "k8s/api.yaml")
    assert "`K8S001` container-without-resource-limits" in limits["body"]
    assert "<!-- prodready:finding fp1 -->" in limits["body"]
    assert "Set limits." in limits["body"]  # the rule's help, folded


def test_next_push_updates_instead_of_duplicating(
    github: tuple[FakeGitHub, str], tmp_path: Path
) -> None:
    gh, api = github
    env = _env(api, tmp_path)
    review.run(_sarif(tmp_path, LIMITS, ROOT, NO_BOT), env)
    gh.requests.clear()
    # one more review by someone else, and enough comments to need two pages
    gh.reviews.insert(0, {"id": 1, "body": "LGTM"})
    gh.comments.insert(0, {"id": 2, "body": "nit: spacing", "path": "Dockerfile", "line": 1})
    new = _f("DF001", "Dockerfile", 3, "fp4", "second stage runs as root")
    outcome = review.run(_sarif(tmp_path, LIMITS, new), env)
    assert outcome == review.Outcome("updated", 1, 0, 1, 0)
    writes = _writes(gh)
    assert ("POST", f"/api/v3/repos/{REPO}/pulls/{PR}/reviews") not in writes
    assert ("POST", f"/api/v3/repos/{REPO}/pulls/{PR}/comments") in writes
    assert sum(1 for m, _ in writes if m == "PUT") == 1
    ours = [r for r in gh.reviews if review.REVIEW_MARKER in r["body"]]
    assert len(ours) == 1 and "no Dependabot" not in ours[0]["body"]
    by_fp = {re.search(r"finding (\w+)", c["body"]).group(1): c for c in gh.comments[1:]}  # type: ignore[union-attr]
    assert set(by_fp) == {"fp1", "fp2", "fp4"}
    assert "Resolved" in by_fp["fp2"]["body"]
    assert "nit: spacing" in gh.comments[0]["body"]  # other people's comments untouched
    pages = [r for r in gh.requests if r["method"] == "GET" and r["path"].endswith("/comments")]
    assert len(pages) == 2  # Link: rel="next" followed

    gh.requests.clear()
    again = review.run(_sarif(tmp_path, LIMITS, new), env)
    assert again == review.Outcome("updated", 0, 0, 0, 0)
    assert [m for m, _ in _writes(gh)] == ["PUT"]  # only the summary is refreshed


def test_nothing_is_posted_when_there_is_nothing_to_say(
    github: tuple[FakeGitHub, str], tmp_path: Path
) -> None:
    gh, api = github
    assert review.run(_sarif(tmp_path), _env(api, tmp_path)).review == "none"
    assert _writes(gh) == []


def test_lines_outside_the_diff_go_into_the_review_body(
    github: tuple[FakeGitHub, str], tmp_path: Path
) -> None:
    gh, api = github
    far = _f("K8S001", "k8s/api.yaml", 40, "fp9", "container `worker` has no CPU limit")
    outcome = review.run(_sarif(tmp_path, LIMITS, far), _env(api, tmp_path))
    assert outcome == review.Outcome("created", 1, 0, 0, 1)
    assert len(gh.reviews) == 1
    assert [(c["path"], c["line"]) for c in gh.comments] == [("k8s/api.yaml", 11)]
    assert "`k8s/api.yaml:40`" in gh.reviews[0]["body"]
    assert "`k8s/api.yaml:11`" not in gh.reviews[0]["body"]


def test_cli_reports_api_errors_without_the_token(
    github: tuple[FakeGitHub, str], tmp_path: Path
) -> None:
    gh, api = github
    sarif_file = _sarif(tmp_path, LIMITS)
    env = _env(api, tmp_path)
    ok = run_cli("review", sarif_file, env=env)
    assert ok.returncode == 0, ok.stderr
    assert "review created; 1 comment(s) added" in ok.stderr
    bad = run_cli("review", sarif_file, env={**env, "GITHUB_TOKEN": TOKEN + "x"})
    assert bad.returncode == 2
    assert "HTTP 401" in bad.stderr and "Bad credentials" in bad.stderr
    assert TOKEN not in bad.stderr + bad.stdout
    assert all(r["path"].startswith("/api/v3/") for r in gh.requests)


def test_missing_context_is_a_usage_error(tmp_path: Path) -> None:
    sarif_file = _sarif(tmp_path, LIMITS)
    with pytest.raises(UsageError, match="GITHUB_TOKEN"):
        review.run(sarif_file, {})
    with pytest.raises(UsageError, match="not a pull request"):
        review.run(sarif_file, {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": REPO})
