"""semgrep, the optional engine for rules that need a real JS/TS parser.

semgrep is an optional extra (`pip install prodready[semgrep]`): it is large
(about 280 MB installed) and most users of the pre-commit hook do not want
it. When it is absent the rules it serves are reported as skipped
(`skipped_rules`), never as passed.

One scan runs semgrep once: the text of every JS/TS file already read by the
scan is written to a private temporary folder with the same relative paths,
and semgrep scans that folder with prodready's own rule files
(rules/semgrep/*.yaml; each rule names its catalog code in
`metadata.prodready-code`). Scanning the texts we hold, rather than the
repository, keeps one source of truth for which files a scan reads
(exclusions, .gitignore, pre-commit's staged files) and never lets semgrep
look at anything else. It runs offline: metrics off, version check off,
no registry rules, its settings and log files inside the temporary folder.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml

from analyzer.core import cache as result_cache
from analyzer.core import catalog
from analyzer.core.cache import Keying

TIMEOUT_SECONDS = 900
ENV_VAR = "PRODREADY_SEMGREP"
# Tests, vendored and generated code: an `eval` in a test or a minified bundle is not the
# team's production code. This list replaces semgrep's built-in default ignore list.
_NOT_SCANNED = re.compile(
    r"(?:^|/)(?:node_modules|vendor|vendors|third_party|dist|build|out|coverage|\.next|\.nuxt|"
    r"__tests__|__mocks__|tests?|spec|e2e|cypress|playwright|storybook-static)/|"
    r"\.(?:test|spec|stories|min)\.[cm]?[jt]sx?$"
)


class SemgrepError(RuntimeError):
    """semgrep ran but did not produce a usable report."""


@dataclass(frozen=True)
class Hit:
    code: str  # the catalog rule (metadata.prodready-code)
    rule_id: str  # the semgrep rule that matched
    path: str
    line: int
    column: int
    end_line: int
    end_column: int


def rules_dir() -> Path:
    return catalog.rules_dir() / "semgrep"


@functools.cache
def codes() -> frozenset[str]:
    """Catalog codes served by semgrep rules, read from the rule files' metadata."""
    found: set[str] = set()
    for path in sorted(rules_dir().glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for rule in doc.get("rules", []):
            code = (rule.get("metadata") or {}).get("prodready-code")
            if code:
                found.add(str(code))
    return frozenset(found)


@functools.cache
def executable() -> str | None:
    """The semgrep to run: $PRODREADY_SEMGREP, else next to this interpreter, else on PATH.

    `PRODREADY_SEMGREP=off` turns the engine off (a fast pre-commit run); its rules are then
    reported as skipped, exactly as when semgrep is not installed.
    """
    chosen = os.environ.get(ENV_VAR, "").strip()
    if chosen.lower() in ("off", "0", "false", "no"):
        return None
    if chosen:
        return shutil.which(chosen)
    beside = Path(sys.executable).parent / "semgrep"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("semgrep")


def available() -> bool:
    return executable() is not None


def skipped_rules(selected: Collection[str]) -> tuple[str, ...]:
    """The selected rules that cannot run here because semgrep is not installed.

    The scan lists them in ScanResult.skipped_rules, so reports say "skipped"
    rather than letting an absent engine look like a clean result.
    """
    if available():
        return ()
    return tuple(sorted(codes().intersection(selected)))


def scanned(path: str) -> bool:
    """Whether semgrep rules look at this file (production code, not tests or bundles)."""
    return not _NOT_SCANNED.search(path)


def run(files: Iterable[tuple[str, str]], cache: Keying | None = None) -> list[Hit]:
    """semgrep over (relative path, text) pairs, once; [] when semgrep is absent.

    semgrep's start-up alone costs about two seconds, so with a result cache the
    hits are kept under a key of every file given, the rules and the executable:
    a re-scan that changed no frontend file does not start semgrep at all.
    """
    exe = executable()
    targets = sorted((p, t) for p, t in files if scanned(p) and _safe(p))
    if exe is None or not targets:
        return []
    if cache is None:
        return _run(exe, targets)
    data = b"".join(
        p.encode("utf-8", "surrogateescape") + b"\0" + t.encode("utf-8", "surrogatepass") + b"\0"
        for p, t in targets
    )
    key = result_cache.entry_key(f"{cache.full}\0semgrep\0{exe}", "", data)
    hits = result_cache.load_value(cache.folder, key, data)
    if isinstance(hits, list) and all(isinstance(h, Hit) for h in hits):
        return hits
    found = _run(exe, targets)
    result_cache.store_value(cache.folder, key, data, found)
    return found


def _run(exe: str, targets: list[tuple[str, str]]) -> list[Hit]:
    with tempfile.TemporaryDirectory(prefix="prodready-semgrep-") as tmp:
        root = Path(tmp) / "src"
        for rel, text in targets:
            dest = root / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(text, encoding="utf-8", errors="surrogatepass")
        (root / ".semgrepignore").write_text("# prodready filters files itself\n")
        env = {
            **os.environ,
            "SEMGREP_ENABLE_VERSION_CHECK": "0",
            "SEMGREP_SEND_METRICS": "off",
            "SEMGREP_SETTINGS_FILE": str(Path(tmp) / "settings.yml"),
            "SEMGREP_LOG_FILE": str(Path(tmp) / "semgrep.log"),
            "SEMGREP_USER_AGENT_APPEND": "prodready",
        }
        cmd = [
            exe,
            "scan",
            "--config",
            str(rules_dir()),
            "--metrics=off",
            "--disable-version-check",
            "--json",
            "--quiet",
            "--no-git-ignore",
            "--",
            ".",
        ]
        try:
            proc = subprocess.run(
                cmd,
                cwd=root,
                env=env,
                capture_output=True,
                text=True,
                timeout=TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise SemgrepError(f"semgrep took longer than {TIMEOUT_SECONDS} s") from exc
        return _hits(proc)


def _safe(rel: str) -> bool:
    """A relative path that stays inside the temporary folder."""
    p = PurePosixPath(rel)
    return not p.is_absolute() and ".." not in p.parts


def _hits(proc: subprocess.CompletedProcess[str]) -> list[Hit]:
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise SemgrepError(f"semgrep exited with {proc.returncode}: {last[:200]}") from None
    out: list[Hit] = []
    for r in report.get("results", []):
        extra = r.get("extra") or {}
        code = (extra.get("metadata") or {}).get("prodready-code")
        if not code:
            continue
        path = str(r["path"]).removeprefix("./")
        out.append(
            Hit(
                code=str(code),
                rule_id=str(r.get("check_id", "")).rsplit(".", 1)[-1],
                path=path,
                line=int(r["start"]["line"]),
                column=int(r["start"]["col"]),
                end_line=int(r["end"]["line"]),
                end_column=int(r["end"]["col"]),
            )
        )
    return out
