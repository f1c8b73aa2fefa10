"""Argument parsing and exit codes; the work happens elsewhere.

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it,
2 usage, config or internal error (one line on stderr; a traceback only
with --debug).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

from analyzer import __version__
from analyzer.core import catalog, checklist
from analyzer.core import config as config_mod
from analyzer.core.errors import UsageError
from analyzer.core.model import ScanResult
from analyzer.pipeline import baseline, diffbase

FORMATS = ("text", "json", "sarif", "github", "markdown", "gitlab", "junit")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line and exit 2, as the contract says."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="prodready", description="Is this repository ready for production?")
    parser.add_argument("--version", action="version", version=f"prodready {__version__}")
    parser.add_argument("--debug", action="store_true", help="print tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    scan = sub.add_parser("scan", help="scan files or a repository")
    scan.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="default: .")
    scan.add_argument("--format", choices=FORMATS, default="text")
    scan.add_argument("--output", type=Path, metavar="FILE", help="write the report to FILE")
    scan.add_argument(
        "--sarif",
        type=Path,
        metavar="FILE",
        help="also write a SARIF report to FILE (one scan, two reports)",
    )
    scan.add_argument(
        "--sarif-category",
        metavar="NAME",
        help="code-scanning category (default: prodready, or prodready/FOLDER for a subfolder)",
    )
    _common(scan)
    scan.add_argument("--fail-on", choices=config_mod.FAIL_ON, default=None)
    scan.add_argument(
        "--baseline", type=Path, metavar="FILE", help="report only findings not recorded in FILE"
    )
    scan.add_argument(
        "--diff-base", metavar="REV", help="report only findings on lines changed since REV (git)"
    )
    scan.add_argument(
        "--jobs", type=int, default=None, metavar="N", help="worker processes (default: all cores)"
    )
    scan.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    scan.add_argument(
        "--strict",
        action="store_true",
        help="report inline suppressions and the scanned tree's configured ignores, but do not "
        "apply them (a --config FILE is trusted and applied)",
    )
    scan.add_argument("--debug", action="store_true", default=argparse.SUPPRESS)

    base = sub.add_parser("baseline", help="record today's findings as accepted")
    base.add_argument("path", nargs="?", type=Path, default=Path("."), metavar="PATH")
    base.add_argument("--output", type=Path, required=True, metavar="FILE")
    _common(base)
    base.add_argument("--jobs", type=int, default=None, metavar="N")

    rules = sub.add_parser("rules", help="list the rule catalog")
    rules.add_argument("--format", choices=("text", "json"), default="text")

    review = sub.add_parser(
        "review", help="post a SARIF report's findings as a pull-request review (GitHub)"
    )
    review.add_argument("sarif", type=Path, metavar="SARIF", help="SARIF file of the scan")
    review.add_argument("--repo", metavar="OWNER/NAME", help="default: $GITHUB_REPOSITORY")
    review.add_argument("--pr", type=int, metavar="N", help="default: from $GITHUB_EVENT_PATH")
    review.add_argument("--commit", metavar="SHA", help="default: the pull request's head")

    fix = sub.add_parser("fix", help="repair the findings that have a known fix")
    fix.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="default: .")
    _common(fix)
    fix.add_argument("--diff", action="store_true", help="print a unified diff; change nothing")
    fix.add_argument(
        "--unsafe", action="store_true", help="also apply fixes that may change behaviour"
    )
    fix.add_argument("--fail-on", choices=config_mod.FAIL_ON, default=None)
    fix.add_argument("--jobs", type=int, default=None, metavar="N")

    explain = sub.add_parser("explain", help="why a rule matters, with examples")
    explain.add_argument("rule", metavar="RULE", help="rule code or name, e.g. K8S001")
    return parser


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="default: [tool.prodready] in PATH's pyproject.toml, else .prodready.toml",
    )
    p.add_argument(
        "--select",
        type=_csv,
        default=None,
        metavar="ID,..",
        help="rule codes, names, checklist IDs or prefixes",
    )
    p.add_argument("--ignore", type=_csv, default=None, metavar="ID,..")
    p.add_argument(
        "--profile",
        choices=config_mod.PROFILES,
        default=None,
        help="default: the rules measured precise on real repositories; audit: every rule",
    )


def main(argv: Sequence[str] | None = None) -> int:
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        args = build_parser().parse_args(argv)
        if args.command == "scan":
            return _scan(args)
        if args.command == "baseline":
            return _baseline(args)
        if args.command == "review":
            return _review(args)
        if args.command == "rules":
            return _rules(args)
        if args.command == "fix":
            return _fix(args)
        return _explain(args)
    except UsageError as exc:
        print(f"prodready: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("prodready: interrupted", file=sys.stderr)
        return 2
    except Exception as exc:  # the contract: exit 2, one line, traceback only on request
        if debug:
            raise
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        print(
            f"prodready: internal error: {type(exc).__name__}: {first} (run with --debug for details)",
            file=sys.stderr,
        )
        return 2


def _root_and_targets(paths: list[Path]) -> tuple[Path, list[Path] | None]:
    """One folder is the root; files (a pre-commit run) are scanned relative to here."""
    for p in paths:
        if not p.exists() and not p.is_symlink():
            raise UsageError(f"no such file or directory: {p}")
    if not paths:
        return Path("."), None
    if len(paths) == 1 and paths[0].is_dir():
        return paths[0], None
    cwd = Path.cwd()
    absolute = [p.absolute() for p in paths]
    if all(a.is_relative_to(cwd) for a in absolute):
        return Path("."), paths
    common = Path(os.path.commonpath([str(a if a.is_dir() else a.parent) for a in absolute]))
    return common, absolute


def _config(args: argparse.Namespace, root: Path) -> config_mod.Config:
    problems: tuple[tuple[str, str], ...] = ()
    if args.config is not None:
        path: Path | None = args.config
        if not args.config.is_file():
            raise UsageError(f"config file not found: {args.config}")
    else:
        path, problems = config_mod.find_config_file(root)
    cfg = replace(config_mod.load(path), problems=problems)
    if args.select is not None:
        cfg = replace(cfg, select=tuple(args.select))
    if getattr(args, "strict", False):
        cli_select = tuple(args.select) if args.select is not None else None
        cli_ignore = tuple(args.ignore or ())
        cfg = config_mod.strict(cfg, cli_select, cli_ignore, trusted=args.config is not None)
    elif args.ignore is not None:
        cfg = replace(cfg, ignore=cfg.ignore + tuple(args.ignore))
    if getattr(args, "fail_on", None):
        cfg = replace(cfg, fail_on=args.fail_on)
    if getattr(args, "profile", None):
        cfg = replace(cfg, profile=args.profile)
    return cfg


def _jobs(value: int | None) -> int:
    from analyzer.pipeline.plan import default_jobs

    if value is None:
        return default_jobs()
    if value < 1:
        raise UsageError("--jobs must be at least 1")
    return value


def _run_scan(args: argparse.Namespace, paths: list[Path]) -> tuple[ScanResult, config_mod.Config]:
    from analyzer.pipeline.scan import scan

    root, targets = _root_and_targets(paths)
    cfg = _config(args, root)
    if getattr(args, "no_cache", False):
        from analyzer.core import cache

        cache.disable()  # for every scan of this run, the --diff-base one included
    result = scan(
        root,
        cfg,
        targets,
        jobs=_jobs(args.jobs),
        debug=getattr(args, "debug", False),
        show_progress=getattr(args, "format", None) != "github",  # annotations own that log
        # only the checklist-bearing reports need evidence; it reads every module again
        collect_evidence=getattr(args, "format", None) in ("json", "markdown", "github"),
    )
    return result, cfg


def _scan(args: argparse.Namespace) -> int:
    from analyzer import report
    from analyzer.report import sarif as sarif_report

    if (
        args.output is not None
        and args.sarif is not None
        and args.output.absolute() == args.sarif.absolute()
    ):
        raise UsageError(
            "--output and --sarif name the same file; one report would overwrite the other"
        )
    result, cfg = _run_scan(args, list(args.paths))
    if args.baseline is not None:
        accepted = baseline.load(args.baseline)
        result = replace(
            result, findings=tuple(f for f in result.findings if f.fingerprint not in accepted)
        )
    if args.diff_base:
        result = diffbase.restrict(result, args.diff_base, cfg, jobs=_jobs(args.jobs))
    color = (
        args.format == "text"
        and args.output is None
        and sys.stdout.isatty()
        and "NO_COLOR" not in os.environ
    )
    checkout = _checkout_relative(result)
    shown = checkout if args.format in ("github", "sarif", "gitlab", "junit") else result
    category = args.sarif_category or sarif_report.category_for(result.root)
    if args.format == "sarif":
        _write(args.output, sarif_report.render(shown, category=category))
    else:
        _write(args.output, report.render(args.format, shown, color=color))
    if args.sarif is not None:
        _write(args.sarif, sarif_report.render(checkout, category=category))
    if args.format == "github" and os.environ.get("GITHUB_STEP_SUMMARY"):
        from analyzer.report.github import write_step_summary

        write_step_summary(checkout, Path(os.environ["GITHUB_STEP_SUMMARY"]))
    threshold = cfg.fail_threshold()
    failing = threshold is not None and any(
        f.severity is not None and f.severity.rank >= threshold for f in result.active
    )
    return 1 if failing else 0


def _checkout_relative(result: ScanResult) -> ScanResult:
    """Paths relative to the working directory for the formats GitHub resolves.

    Annotations and code-scanning alerts are placed relative to the checkout (the
    working directory in Actions); a scan of `services/api` must point at
    `services/api/Dockerfile`, not `Dockerfile`. Fingerprints stay root-relative.
    """
    root = Path(result.root).resolve()
    cwd = Path.cwd().resolve()
    if root == cwd or not root.is_relative_to(cwd):
        return result
    prefix = root.relative_to(cwd).as_posix() + "/"
    return replace(
        result,
        root=".",
        findings=tuple(replace(f, path=prefix + f.path) for f in result.findings),
        silencers=tuple(
            replace(s, where=prefix + s.where) if s.kind == "inline" else s
            for s in result.silencers
        ),
    )


def _write(path: Path | None, text: str) -> None:
    if path is None:
        sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
        sys.stdout.flush()
        return
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None


def _baseline(args: argparse.Namespace) -> int:
    if not args.path.exists():
        raise UsageError(f"no such file or directory: {args.path}")
    result, _ = _run_scan(args, [args.path])
    _write(args.output, baseline.dumps(result.findings))
    active = len(result.active)
    print(f"prodready: recorded {active} finding(s) in {args.output}", file=sys.stderr)
    return 0


def _fix(args: argparse.Namespace) -> int:
    """Exit codes as `scan`, judged on the findings of fixable rules left after fixing."""
    from analyzer import fix

    root, targets = _root_and_targets(list(args.paths))
    cfg = _config(args, root)
    outcome = fix.run(
        root, cfg, targets, unsafe=args.unsafe, write=not args.diff, jobs=_jobs(args.jobs)
    )
    if args.diff:
        _write(None, "".join(c.diff() for c in outcome.changes))
    count = sum(len(c.fixed) for c in outcome.changes)
    verb = "would fix" if args.diff else "fixed"
    threshold = cfg.fail_threshold()
    failing = [
        f
        for f in outcome.remaining
        if threshold is not None and f.severity is not None and f.severity.rank >= threshold
    ]
    print(
        f"prodready: {verb} {count} finding(s) in {len(outcome.changes)} file(s); "
        f"{len(outcome.remaining)} finding(s) of fixable rules remain, "
        f"{len(failing)} of them at or above --fail-on {cfg.fail_on}",
        file=sys.stderr,
    )
    for path, why in outcome.refused:
        print(f"prodready: {path}: {why}", file=sys.stderr)
    for f, why in outcome.skipped:
        print(f"prodready: {f.path}:{f.line or 0}: {f.code} not fixed: {why}", file=sys.stderr)
    for f in outcome.unconfirmed:
        print(
            f"prodready: {f.path}:{f.line or 0}: {f.code} still reported after its fix",
            file=sys.stderr,
        )
    return 1 if failing else 0


def _rules(args: argparse.Namespace) -> int:
    rules = catalog.load()
    if args.format == "json":
        doc = [
            {
                "code": r.code,
                "name": r.name,
                "severity": r.severity.value,
                "checklist": list(r.checklist),
                "summary": r.summary,
                "why": r.why,
                "fix": r.fix,
                "tags": list(r.tags),
                "security-severity": r.security_severity,
                "precision": r.precision,
                "scope": r.scope,
                "fixable": r.fixable,
                "fix-safety": r.fix_safety,
            }
            for r in rules.values()
        ]
        _write(None, json.dumps(doc, indent=2))
        return 0
    width = max(len(r.name) for r in rules.values())
    lines = [
        f"{r.code:<7} {r.severity.value:<7} {r.name:<{width}}  {','.join(r.checklist)}"
        for r in rules.values()
    ]
    _write(None, "\n".join(lines) + f"\n{len(rules)} rules\n")
    return 0


def _review(args: argparse.Namespace) -> int:
    from analyzer.report import review

    outcome = review.run(args.sarif, repository=args.repo, pr=args.pr, commit=args.commit)
    print(
        f"prodready: review {outcome.review}; {outcome.added} comment(s) added, "
        f"{outcome.edited} edited, {outcome.resolved} resolved"
        + (f", {outcome.not_in_diff} outside the diff" if outcome.not_in_diff else ""),
        file=sys.stderr,
    )
    return 0


def _explain(args: argparse.Namespace) -> int:
    rules = catalog.load()
    wanted = args.rule.strip()
    rule = rules.get(wanted.upper()) or next((r for r in rules.values() if r.name == wanted), None)
    if rule is None:
        raise UsageError(f"unknown rule: {wanted} (see `prodready rules`)")
    items = checklist.by_id()
    out = [
        f"{rule.code} {rule.name} ({rule.severity.value})",
        "",
        rule.summary,
        "",
        "Why: " + rule.why,
        "",
        "Fix: " + rule.fix,
        "",
        "Checklist:",
        *(f"  {cid}  {items[cid].title}" for cid in rule.checklist),
    ]
    for ex in rule.examples:
        where = f"{ex.path}" + (f", reported at line {ex.line}" if ex.line else "")
        label = "Bad" if ex.verdict == "bad" else "Good"
        body = f"(a binary file of {ex.binary_size} bytes)" if ex.binary_size else ex.text
        out += ["", f"{label} ({where}):", textwrap.indent(body.rstrip("\n"), "    ")]
    _write(None, "\n".join(out) + "\n")
    return 0
