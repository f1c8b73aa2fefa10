"""Pull-request review comments from a SARIF report (`prodready review`).

One review per pull request holds the summary; each finding on a line gets
an inline comment. The next push must not pile up a second review and a
second copy of every comment, so everything we post carries a hidden marker:
`<!-- prodready:review -->` in the review body and
`<!-- prodready:finding FINGERPRINT -->` in each comment. On a later run the
review body is updated, a comment whose finding is still there is edited
only if its text changed, a comment whose finding is gone is marked
resolved, and only findings without a comment get a new one (GitHub cannot
add comments to a submitted review, so those are single review comments).

The input is the SARIF file of the scan (so the review shows exactly what
code scanning shows, with `--diff-base` already applied), the REST API v3
at `GITHUB_API_URL`, and a token from the environment (never from argv,
where other processes could read it).
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from analyzer.core.errors import UsageError

REVIEW_MARKER = "<!-- prodready:review -->"
_FINDING_MARKER = re.compile(r"<!-- prodready:finding ([0-9A-Za-z]+)( resolved)? -->")
DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
_ICON = {"error": "🛑", "warning": "⚠️", "note": "ℹ️"}
_LEVELS = ("error", "warning", "note")


class ReviewError(Exception):
    """The API refused or could not be reached; the message never holds the token."""


@dataclass(frozen=True)
class Item:
    """One finding as the review shows it."""

    fingerprint: str
    rule: str
    name: str
    level: str
    path: str
    line: int | None
    message: str
    help: str


@dataclass(frozen=True)
class Outcome:
    review: str  # "created", "updated" or "none"
    added: int  # new inline comments
    edited: int
    resolved: int
    not_in_diff: int  # findings GitHub would not accept as inline comments


def items_from_sarif(log: Mapping[str, Any]) -> list[Item]:
    """The unsuppressed results of every run, in file order."""
    out: list[Item] = []
    for run in log.get("runs", []):
        rules = run.get("tool", {}).get("driver", {}).get("rules", [])
        for res in run.get("results", []):
            if res.get("suppressions"):
                continue
            rule = rules[res["ruleIndex"]] if isinstance(res.get("ruleIndex"), int) else {}
            loc = (res.get("locations") or [{}])[0].get("physicalLocation", {})
            region = loc.get("region", {})
            out.append(
                Item(
                    fingerprint=res.get("partialFingerprints", {}).get(
                        "primaryLocationLineHash", ""
                    ),
                    rule=res.get("ruleId", ""),
                    name=rule.get("name", ""),
                    level=res.get("level", "warning"),
                    path=unquote(loc.get("artifactLocation", {}).get("uri", "")),
                    line=region.get("startLine"),
                    message=res.get("message", {}).get("text", ""),
                    help=rule.get("help", {}).get("markdown", ""),
                )
            )
    out.sort(key=lambda i: (i.path, i.line or 0, i.rule))
    return out


# --- the REST client -----------------------------------------------------------------------


class GitHub:
    """The few REST v3 calls a review needs, on urllib (no dependency, any GHES URL)."""

    def __init__(self, api_url: str, token: str, repository: str) -> None:
        self.api_url = api_url.rstrip("/") + "/"
        self.token = token
        self.repo = repository

    def call(self, method: str, path: str, body: Any = None) -> Any:
        return self._send(method, urljoin(self.api_url, path.lstrip("/")), body)[0]

    def pages(self, path: str) -> list[Any]:
        """Every item of a paginated list, following `Link: rel="next"` on the same host."""
        url: str | None = urljoin(self.api_url, path.lstrip("/"))
        items: list[Any] = []
        while url:
            data, headers = self._send("GET", url, None)
            items.extend(data)
            url = _next_link(headers.get("Link", ""))
            if url and urlsplit(url).netloc != urlsplit(self.api_url).netloc:
                raise ReviewError(f"refusing to follow pagination to another host: {url}")
        return items

    def _send(self, method: str, url: str, body: Any) -> tuple[Any, Mapping[str, str]]:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Accept", "application/vnd.github+json")
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("X-GitHub-Api-Version", API_VERSION)
        request.add_header("User-Agent", "prodready")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                headers = dict(response.headers.items())
        except urllib.error.HTTPError as exc:
            raise ApiError(exc.code, method, url, _api_message(exc)) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ReviewError(f"{method} {url}: {reason}") from None
        return (json.loads(raw) if raw.strip() else None), headers


class ApiError(ReviewError):
    def __init__(self, status: int, method: str, url: str, message: str) -> None:
        super().__init__(f"{method} {url}: HTTP {status}: {message}")
        self.status = status


def _api_message(exc: urllib.error.HTTPError) -> str:
    try:
        doc = json.loads(exc.read() or b"{}")
    except ValueError:
        return exc.reason or ""
    message = str(doc.get("message", exc.reason or ""))
    errors = doc.get("errors")
    return f"{message} {json.dumps(errors)[:300]}" if errors else message


def _next_link(header: str) -> str | None:
    for part in header.split(","):
        m = re.match(r'\s*<([^>]+)>\s*;\s*rel="next"', part)
        if m:
            return m.group(1)
    return None


# --- what to post ----------------------------------------------------------------------------


def comment_body(item: Item) -> str:
    title = f"{_ICON.get(item.level, '')} **`{item.rule}` {item.name}** ({item.level})".strip()
    parts = [title, "", item.message]
    if item.help:
        parts += ["", "<details><summary>Why it matters and how to fix it</summary>", ""]
        parts += [item.help, "", "</details>"]
    parts += ["", f"<!-- prodready:finding {item.fingerprint} -->"]
    return "\n".join(parts)


def resolved_body(fingerprint: str, commit: str) -> str:
    return (
        f"✅ Resolved: prodready no longer reports this at `{commit[:12]}`.\n\n"
        f"<!-- prodready:finding {fingerprint} resolved -->"
    )


def review_body(items: list[Item], commit: str, not_in_diff: list[Item]) -> str:
    counts = {level: sum(1 for i in items if i.level == level) for level in _LEVELS}
    if items:
        parts = ", ".join(f"{counts[lv]} {lv}{'s' if counts[lv] != 1 else ''}" for lv in _LEVELS)
        head = f"### prodready: {len(items)} finding{'s' if len(items) != 1 else ''} ({parts})"
    else:
        head = "### prodready: no findings on the changed lines"
    lines = [head, "", f"Checked at `{commit[:12]}`. Each finding on a line has its own comment."]
    general = [i for i in items if i.line is None] + not_in_diff
    if general:
        lines += ["", "Findings without an inline comment:", ""]
        for i in general:
            place = i.path if i.line is None else f"{i.path}:{i.line}"
            lines.append(f"- `{i.rule}` {i.name} ({i.level}) in `{place}`: {_one_line(i.message)}")
    return "\n".join([*lines, "", REVIEW_MARKER])


def _one_line(text: str) -> str:
    return " ".join(text.split())


def publish(gh: GitHub, pr: int, commit: str, items: list[Item]) -> Outcome:
    """Create or update our review so that it shows `items`; never duplicate."""
    base = f"repos/{gh.repo}/pulls/{pr}"
    ours: dict[str, dict[str, Any]] = {}
    for comment in gh.pages(f"{base}/comments?per_page=100"):
        m = _FINDING_MARKER.search(str(comment.get("body") or ""))
        if m:
            ours.setdefault(m.group(1), comment)
    review = next(
        (r for r in gh.pages(f"{base}/reviews?per_page=100") if REVIEW_MARKER in (r["body"] or "")),
        None,
    )
    inline = [i for i in items if i.line is not None and i.fingerprint]
    current = {i.fingerprint for i in inline}
    new: list[Item] = []
    edited = resolved = 0
    for item in inline:
        old = ours.get(item.fingerprint)
        if old is None:
            new.append(item)
        elif old.get("body") != comment_body(item):
            gh.call("PATCH", f"repos/{gh.repo}/pulls/comments/{old['id']}", _body(item))
            edited += 1
    for fingerprint, old in ours.items():
        m = _FINDING_MARKER.search(str(old.get("body")))
        if fingerprint not in current and m is not None and not m.group(2):
            gh.call(
                "PATCH",
                f"repos/{gh.repo}/pulls/comments/{old['id']}",
                {"body": resolved_body(fingerprint, commit)},
            )
            resolved += 1
    created = False
    if review is None:
        if not items:
            return Outcome("none", 0, edited, resolved, 0)
        try:
            gh.call("POST", f"{base}/reviews", _new_review(commit, items, new))
            return Outcome("created", len(new), edited, resolved, 0)
        except ApiError as exc:
            if exc.status != 422 or not new:
                raise
        # A line outside the diff (a finding of a rule over several files, or a scan
        # without --diff-base) fails the whole review: post it bare, then comment one by one.
        review = gh.call("POST", f"{base}/reviews", _new_review(commit, items, []))
        created = True
    added = 0
    skipped: list[Item] = []
    for item in new:
        try:
            gh.call("POST", f"{base}/comments", {**_inline(item), "commit_id": commit})
            added += 1
        except ApiError as exc:
            if exc.status != 422:
                raise
            skipped.append(item)
    if skipped or not created:
        body = {"body": review_body(items, commit, skipped)}
        gh.call("PUT", f"{base}/reviews/{review['id']}", body)
    return Outcome("created" if created else "updated", added, edited, resolved, len(skipped))


def _body(item: Item) -> dict[str, str]:
    return {"body": comment_body(item)}


def _inline(item: Item) -> dict[str, Any]:
    return {"path": item.path, "line": item.line, "side": "RIGHT", "body": comment_body(item)}


def _new_review(commit: str, items: list[Item], inline: list[Item]) -> dict[str, Any]:
    return {
        "commit_id": commit,
        "event": "COMMENT",
        "body": review_body(items, commit, []),
        "comments": [_inline(i) for i in inline],
    }


# --- the command -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    api_url: str
    repository: str
    pr: int
    commit: str


def target_from_env(
    env: Mapping[str, str],
    repository: str | None = None,
    pr: int | None = None,
    commit: str | None = None,
) -> Target:
    """Where to post: options first, then the runner's variables and the event payload."""
    payload: dict[str, Any] = {}
    if env.get("GITHUB_EVENT_PATH"):
        try:
            payload = json.loads(Path(env["GITHUB_EVENT_PATH"]).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot read GITHUB_EVENT_PATH: {exc}") from None
    pull = payload.get("pull_request") or {}
    repo = repository or env.get("GITHUB_REPOSITORY", "")
    number = pr if pr is not None else pull.get("number")
    sha = commit or (pull.get("head") or {}).get("sha") or ""
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
        raise UsageError("review: no repository (set GITHUB_REPOSITORY or --repo OWNER/NAME)")
    if not isinstance(number, int):
        raise UsageError("review: not a pull request (no pull_request in the event; use --pr N)")
    if not sha:
        raise UsageError("review: no head commit (pull_request.head.sha; use --commit SHA)")
    api = env.get("GITHUB_API_URL") or DEFAULT_API_URL
    return Target(api, repo, number, sha)


def run(
    sarif_path: Path,
    env: Mapping[str, str] | None = None,
    repository: str | None = None,
    pr: int | None = None,
    commit: str | None = None,
) -> Outcome:
    env = os.environ if env is None else env
    token = env.get("GITHUB_TOKEN", "")
    if not token:
        raise UsageError("review: set GITHUB_TOKEN (a token that may write pull requests)")
    target = target_from_env(env, repository, pr, commit)
    try:
        log = json.loads(sarif_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"review: cannot read SARIF {sarif_path}: {exc}") from None
    gh = GitHub(target.api_url, token, target.repository)
    try:
        return publish(gh, target.pr, target.commit, items_from_sarif(log))
    except ReviewError as exc:
        raise UsageError(f"review: {str(exc).replace(token, '***')}") from None
