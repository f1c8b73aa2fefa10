"""The precision ledger: prodready's findings on real repositories, judged by hand.

    python bench/ledger.py checkout --from GITDIR --into DIR
    python bench/ledger.py run --checkouts DIR [--prodready CMD] [--only slug,..] [--write-unjudged]

Why it exists: users' first complaint about a linter is false alarms, and precision
cannot be measured on the rules' own examples or on a synthetic tree; it has to be
counted on code somebody else wrote. Each file `bench/ledger/<slug>.yaml` pins one
public repository at one commit and records, for every finding prodready reported
there, a person's verdict (true, false or debatable) with a one-line reason, keyed
by the finding's fingerprint. This script recreates the pinned trees and re-scans
them with the prodready under test, so a rule change shows at once which judged
findings it removed (good if they were false), which it kept, and which new ones
nobody has judged yet.

It runs by hand, never in CI: it needs the repositories' git directories (not
committed), and a verdict is a person's judgement, not a test oracle. It always
exits 0: it reports, it does not gate.

`checkout` makes every tree the same way, because discovery decides which files are
scanned and so which fingerprints exist: the pinned commit's tracked files are
written from the git directory (blobs the git directory lacks, such as large files a
snapshot leaves out or Git LFS content, are skipped and listed), then the tree is
made a git repository of its own with every file committed (`git add -A -f`: a file
the commit tracks counts even if a `.gitignore` names it). The scan then sees what
a fresh clone would show.

GITDIR is a folder of git directories; for `owner/name` the first of
`owner+name/repo`, `owner+name`, `owner+name.git`, `owner/name`, `owner/name.git`,
`name.git`, `name` that exists is used (bare or not).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

LEDGER_DIR = Path(__file__).resolve().parent / "ledger"
PRECISION_FILE = "precision.yaml"  # not a ledger: load_ledgers skips it
VERDICTS = ("true", "false", "debatable")
SCAN_ARGS = ["scan", ".", "--format", "json", "--no-cache", "--fail-on", "never"]
GIT_ENV = {
    "GIT_AUTHOR_NAME": "ledger",
    "GIT_AUTHOR_EMAIL": "ledger@invalid",
    "GIT_COMMITTER_NAME": "ledger",
    "GIT_COMMITTER_EMAIL": "ledger@invalid",
    "GIT_AUTHOR_DATE": "2000-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2000-01-01T00:00:00Z",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


@dataclass
class Ledger:
    """One ledger file: a repository at a pinned commit and the verdicts on its findings."""

    slug: str
    path: Path
    repo: str
    commit: str
    judgments: dict[str, dict[str, Any]]
    held_out: bool = False  # judged once at the end, never tuned on (`kinds: [held-out]`)


@dataclass
class Tally:
    """Counts of one group of findings (a repository, a rule, everything)."""

    findings: int = 0
    true: int = 0
    false: int = 0
    debatable: int = 0

    @property
    def judged(self) -> int:
        return self.true + self.false + self.debatable

    @property
    def precision(self) -> float | None:
        decided = self.true + self.false
        return self.true / decided if decided else None

    def add(self, verdict: str | None) -> None:
        self.findings += 1
        if verdict == "true":
            self.true += 1
        elif verdict == "false":
            self.false += 1
        elif verdict == "debatable":
            self.debatable += 1


@dataclass
class Report:
    """What one profile's scans of every checkout add up to."""

    profile: str
    by_repo: dict[str, Tally] = field(default_factory=dict)
    by_rule: dict[str, Tally] = field(default_factory=dict)
    total: Tally = field(default_factory=Tally)
    errors: Tally = field(default_factory=Tally)
    # the tuning half (what rules were changed against) and the held-out half, apart
    tuning: Tally = field(default_factory=Tally)
    tuning_errors: Tally = field(default_factory=Tally)
    held_out: Tally = field(default_factory=Tally)
    held_out_errors: Tally = field(default_factory=Tally)
    tuning_by_rule: dict[str, Tally] = field(default_factory=dict)
    unjudged: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    gone: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)


def load_ledgers(only: set[str] | None = None) -> list[Ledger]:
    ledgers = []
    for path in sorted(LEDGER_DIR.glob("*.yaml")):
        if path.name == PRECISION_FILE:
            continue
        if only is not None and path.stem not in only:
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        judgments = data.get("judgments") or {}
        ledgers.append(
            Ledger(
                slug=path.stem,
                path=path,
                repo=str(data["repo"]),
                commit=str(data["commit"]),
                judgments={str(k): dict(v) for k, v in judgments.items()},
                held_out="held-out" in (data.get("kinds") or ()),
            )
        )
    return ledgers


def git(
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    git_dir: Path | None = None,
    stdin: bytes | None = None,
) -> bytes:
    cmd = ["git"]
    if git_dir is not None:
        cmd.append(f"--git-dir={git_dir}")
    cmd.extend(args)
    env = {**os.environ, **GIT_ENV}
    done = subprocess.run(cmd, cwd=cwd, input=stdin, capture_output=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def find_git_dir(root: Path, repo: str) -> Path | None:
    owner, _, name = repo.partition("/")
    joined = f"{owner}+{name}"
    for candidate in (
        root / joined / "repo",
        root / joined,
        root / f"{joined}.git",
        root / owner / name,
        root / owner / f"{name}.git",
        root / f"{name}.git",
        root / name,
    ):
        if (candidate / "HEAD").is_file() or (candidate / ".git").exists():
            return candidate / ".git" if (candidate / ".git").is_dir() else candidate
    return None


def write_tree(git_dir: Path, commit: str, into: Path) -> list[str]:
    """Writes the commit's tracked files into `into`; returns the paths whose blob is absent."""
    listing = git(["ls-tree", "-r", "-z", "--full-tree", commit], git_dir=git_dir)
    entries: list[tuple[str, str, str]] = []
    for record in listing.split(b"\0"):
        if not record:
            continue
        meta, _, raw_name = record.partition(b"\t")
        mode, kind, sha = meta.decode().split()
        if kind == "blob":
            entries.append((mode, sha, raw_name.decode("utf-8", errors="surrogateescape")))
    if not entries:
        return []
    checks = (
        git(
            ["cat-file", "--batch-check"],
            git_dir=git_dir,
            stdin="".join(f"{sha}\n" for _, sha, _ in entries).encode(),
        )
        .decode()
        .splitlines()
    )
    present = [
        entry for entry, line in zip(entries, checks, strict=True) if not line.endswith(" missing")
    ]
    missing = [
        name
        for (_, _, name), line in zip(entries, checks, strict=True)
        if line.endswith(" missing")
    ]
    blobs = git(
        ["cat-file", "--batch"],
        git_dir=git_dir,
        stdin="".join(f"{sha}\n" for _, sha, _ in present).encode(),
    )
    offset = 0
    for mode, _sha, name in present:
        end = blobs.index(b"\n", offset)
        size = int(blobs[offset:end].split()[2])
        content = blobs[end + 1 : end + 1 + size]
        offset = end + 1 + size + 1
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if mode == "120000":
            os.symlink(os.fsdecode(content), target)
        else:
            target.write_bytes(content)
            if mode == "100755":
                target.chmod(0o755)
    return missing


def checkout(from_dir: Path, into: Path, only: set[str] | None) -> None:
    into.mkdir(parents=True, exist_ok=True)
    for ledger in load_ledgers(only):
        git_dir = find_git_dir(from_dir, ledger.repo)
        if git_dir is None:
            print(f"{ledger.slug}: no git directory for {ledger.repo} under {from_dir}; skipped")
            continue
        target = into / ledger.slug
        if target.exists():
            shutil.rmtree(target)
        target.mkdir()
        try:
            missing = write_tree(git_dir, ledger.commit, target)
            git(["init", "-q"], cwd=target)
            git(["add", "-A", "-f"], cwd=target)
            git(["commit", "-q", "--no-verify", "-m", f"{ledger.repo}@{ledger.commit}"], cwd=target)
        except RuntimeError as exc:
            print(f"{ledger.slug}: {exc}")
            continue
        note = f", {len(missing)} file(s) absent from the git directory" if missing else ""
        print(f"{ledger.slug}: {ledger.repo}@{ledger.commit[:12]} -> {target}{note}")
        for name in missing:
            print(f"    absent: {name}")


def has_profile(prodready: list[str]) -> bool:
    done = subprocess.run(
        [*prodready, "scan", "--help"], capture_output=True, text=True, check=False
    )
    return "--profile" in done.stdout


def scan(prodready: list[str], tree: Path, profile: str | None) -> list[dict[str, Any]] | None:
    args = [*prodready, *SCAN_ARGS]
    if profile is not None:
        args += ["--profile", profile]
    done = subprocess.run(args, cwd=tree, capture_output=True, text=True, check=False)
    try:
        return list(json.loads(done.stdout)["findings"])
    except (ValueError, KeyError):
        print(f"{tree.name}: scan failed (exit {done.returncode}): {done.stderr.strip()[-500:]}")
        return None


def verdict_of(judgment: dict[str, Any] | None) -> str | None:
    if judgment is None:
        return None
    value = judgment.get("verdict")
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value) if str(value) in VERDICTS else None


def tally(
    profile: str, ledgers: Iterable[Ledger], scans: dict[str, list[dict[str, Any]]]
) -> Report:
    report = Report(profile)
    for ledger in ledgers:
        findings = scans.get(ledger.slug)
        if findings is None:
            continue
        repo_tally = report.by_repo.setdefault(ledger.slug, Tally())
        seen = set()
        for finding in findings:
            seen.add(finding["fingerprint"])
            verdict = verdict_of(ledger.judgments.get(finding["fingerprint"]))
            repo_tally.add(verdict)
            report.by_rule.setdefault(finding["code"], Tally()).add(verdict)
            report.total.add(verdict)
            half = report.held_out if ledger.held_out else report.tuning
            half.add(verdict)
            if not ledger.held_out:
                report.tuning_by_rule.setdefault(finding["code"], Tally()).add(verdict)
            if finding["severity"] == "error":
                report.errors.add(verdict)
                (report.held_out_errors if ledger.held_out else report.tuning_errors).add(verdict)
            if verdict is None:
                report.unjudged.append((ledger.slug, finding))
        for fingerprint, judgment in ledger.judgments.items():
            if fingerprint not in seen and verdict_of(judgment) is not None:
                report.gone.append((ledger.slug, fingerprint, judgment))
    return report


def fmt_precision(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def table(title: str, rows: list[tuple[str, Tally]], tiers: dict[str, str] | None = None) -> None:
    print(f"\n{title}")
    head = ("", "findings", "judged", "true", "false", "debatable", "precision")
    head += ("tier",) if tiers is not None else ()
    width = max([len(name) for name, _ in rows] + [len(title), 8])
    print(f"{head[0]:<{width}} " + " ".join(f"{h:>9}" for h in head[1:]))
    for name, t in rows:
        cells = (t.findings, t.judged, t.true, t.false, t.debatable)
        tier = f" {tiers.get(name, '-'):>9}" if tiers is not None else ""
        print(
            f"{name:<{width}} "
            + " ".join(f"{c:>9}" for c in cells)
            + f" {fmt_precision(t.precision):>9}"
            + tier
        )


# A rule's tier is measured once it has this many decided (true or false) findings on the
# tuning half; below it the catalog's declared tier stands.
MIN_DECIDED = 5


def measured_tiers(report: Report) -> dict[str, str]:
    """The precision tier each rule earns on the tuning half (analyzer.core.catalog.TIERS)."""
    from analyzer.core.catalog import tier_of

    return {
        code: tier_of(t.precision)
        for code, t in report.tuning_by_rule.items()
        if t.precision is not None and t.true + t.false >= MIN_DECIDED
    }


def write_precision(report: Report, path: Path) -> None:
    """The measurement the catalog's `precision:` values are checked against (a test reads
    it): per rule, its decided findings on the tuning half and the tier they earn."""
    tiers = measured_tiers(report)
    body = {
        code: {"true": t.true, "false": t.false, "debatable": t.debatable, "tier": tiers[code]}
        for code, t in sorted(report.tuning_by_rule.items())
        if code in tiers
    }
    head = (
        "# Written by `python bench/ledger.py run --write-precision` from the audit profile's\n"
        "# findings on the ledger's tuning half (held-out repositories excluded). Do not edit.\n"
    )
    path.write_text(head + yaml.safe_dump(body, sort_keys=True), encoding="utf-8")


def print_report(report: Report) -> None:
    print(f"\n=== profile: {report.profile} ===")
    table("per repository", sorted(report.by_repo.items()))
    rules = sorted(report.by_rule.items(), key=lambda kv: (-kv[1].false, -kv[1].findings, kv[0]))
    table(
        "per rule (most false first; tier earned on the tuning half)", rules, measured_tiers(report)
    )
    table(
        "overall",
        [
            ("all findings", report.total),
            ("error severity", report.errors),
            ("tuning half", report.tuning),
            ("tuning, error", report.tuning_errors),
            ("held-out half", report.held_out),
            ("held-out, error", report.held_out_errors),
        ],
    )
    print(
        f"\noverall precision: {fmt_precision(report.total.precision)}; "
        f"error-severity precision: {fmt_precision(report.errors.precision)}"
    )
    if report.gone:
        print(f"\njudged findings no longer reported ({len(report.gone)}):")
        for slug, fingerprint, judgment in report.gone:
            print(
                f"  {slug}: {judgment.get('rule')} {judgment.get('path')}:{judgment.get('line')} "
                f"[{verdict_of(judgment)}] {fingerprint}"
            )
    print(f"\nunjudged findings ({len(report.unjudged)}):")
    for slug, f in report.unjudged:
        where = f["path"] + (f":{f['line']}" if f.get("line") else "")
        print(f"  {slug}: {f['code']} {where} {f['message']}")


def unjudged_entry(finding: dict[str, Any]) -> str:
    body = {
        "rule": finding["code"],
        "path": finding["path"],
        "line": finding.get("line"),
        "verdict": "unjudged",
        "reason": finding["message"],
    }
    text = yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=10_000)
    lines = [f"  {json.dumps(finding['fingerprint'])}:"]
    lines += [f"    {line}" for line in text.splitlines()]
    return "\n".join(lines) + "\n"


def write_unjudged(ledger: Ledger, findings: list[dict[str, Any]]) -> int:
    """Adds the findings to the ledger's `judgments:` block in place (the rest of the file,
    comments included, is kept as it is)."""
    new = [f for f in findings if f["fingerprint"] not in ledger.judgments]
    if not new:
        return 0
    lines = ledger.path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.startswith("judgments:")), None)
    block = "".join(unjudged_entry(f) for f in new)
    if start is None:
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        lines += ["judgments:\n", block]
    else:
        if lines[start].split(":", 1)[1].strip() in ("{}", "null", "~"):
            lines[start] = "judgments:\n"
        end = start + 1
        while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t#"):
            end += 1
        lines.insert(end, block)
    ledger.path.write_text("".join(lines), encoding="utf-8")
    for f in new:
        ledger.judgments[f["fingerprint"]] = {"verdict": "unjudged"}
    return len(new)


def run(
    checkouts: Path,
    prodready: list[str],
    only: set[str] | None,
    write: bool,
    precision_file: Path | None = None,
) -> None:
    ledgers = load_ledgers(only)
    profiles: list[str | None] = [None]
    if has_profile(prodready):
        profiles.append("audit")
    for profile in profiles:
        scans: dict[str, list[dict[str, Any]]] = {}
        for ledger in ledgers:
            tree = checkouts / ledger.slug
            if not tree.is_dir():
                print(f"{ledger.slug}: no checkout at {tree} (run `checkout` first); skipped")
                continue
            findings = scan(prodready, tree, profile)
            if findings is not None:
                scans[ledger.slug] = findings
        report = tally(profile or "default", ledgers, scans)
        print_report(report)
        if precision_file is not None and profile == "audit":
            write_precision(report, precision_file)
            print(f"\nmeasured tiers written to {precision_file}")
        if write:
            for ledger in ledgers:
                unjudged = [f for slug, f in report.unjudged if slug == ledger.slug]
                added = write_unjudged(ledger, unjudged)
                if added:
                    print(
                        f"{ledger.slug}: {added} unjudged finding(s) written to {ledger.path.name}"
                    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    co = sub.add_parser("checkout", help="recreate every ledger repository at its pinned commit")
    co.add_argument("--from", dest="from_dir", type=Path, required=True, metavar="GITDIR")
    co.add_argument("--into", type=Path, required=True, metavar="DIR")
    co.add_argument("--only", default=None, metavar="slug,..")
    rn = sub.add_parser("run", help="scan the checkouts and match findings to judgments")
    rn.add_argument("--checkouts", type=Path, required=True, metavar="DIR")
    rn.add_argument(
        "--prodready",
        default=None,
        metavar="CMD",
        help="the command to run (default: this interpreter's `-m analyzer`)",
    )
    rn.add_argument("--only", default=None, metavar="slug,..")
    rn.add_argument(
        "--write-unjudged",
        action="store_true",
        help="add unjudged findings to the ledger files, verdict `unjudged`",
    )
    rn.add_argument(
        "--write-precision",
        action="store_true",
        help=f"write each rule's measured tier to {LEDGER_DIR.name}/{PRECISION_FILE}",
    )
    args = parser.parse_args(argv)
    only = {s.strip() for s in args.only.split(",") if s.strip()} if args.only else None
    if args.command == "checkout":
        checkout(args.from_dir.resolve(), args.into.resolve(), only)
    else:
        prodready = (
            shlex.split(args.prodready) if args.prodready else [sys.executable, "-m", "analyzer"]
        )
        target = LEDGER_DIR / PRECISION_FILE if args.write_precision else None
        run(args.checkouts.resolve(), prodready, only, args.write_unjudged, target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
