"""Which files a scan reads, and what kind each one is.

In a git work tree the file list is git's own (tracked plus untracked files
that are not ignored), so prodready sees what the team commits; elsewhere a
walk honours every `.gitignore` it meets. Symlinks are never followed: a link
inside the root duplicates a file scanned anyway, one outside the root or
broken is reported as not scanned.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pathspec
import yaml

SKIP_DIRS = frozenset(
    {
        ".git",
        "node_modules",
        "__pycache__",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".hypothesis",
        ".eggs",
        "site-packages",
    }
)

_YAML = (".yaml", ".yml")
try:
    from yaml import CSafeLoader
except ImportError:  # pyyaml built without libyaml
    from yaml import SafeLoader as CSafeLoader  # type: ignore[assignment]
_COMPOSE = re.compile(r"^(docker-)?compose([.-][\w.-]*)?\.ya?ml$", re.IGNORECASE)
_JS = (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs")
# A top-level-looking key, however the manifest spells it: at a line start (any of YAML's line
# breaks, indented or not), after `{` or `,` of a flow mapping or JSON, quoted or not, or as an
# explicit `? key`.
_KEY = r"""(?:^|[\n\r\x85\u2028\u2029{,])[ \t]*(?:\?[ \t]+)?["']?KEY["']?\s*:"""
_K8S_API = re.compile(_KEY.replace("KEY", "apiVersion"))
_K8S_KIND = re.compile(_KEY.replace("KEY", "kind"))
# A Go-template action as Helm writes them; `{{` alone (a literal in a value) is not one.
_ACTION = re.compile(
    r"\{\{-?\s*(?:[.$(]|(?:include|template|if|else|end|range|with|define|block|toYaml|toJson|"
    r"tpl|printf|default|required|quote|squote|lookup|fail|trim\w*|indent|nindent|b64enc|"
    r"upper|lower|index|len|not|and|or|eq|ne)(?=[\s(]|-?\}\})|/\*)"
)
# What only Helm (not an operator's own templating inside a string, like KServe's
# `--model_name={{.Name}}`) writes outside a chart's templates folder: its built-in objects,
# its functions, a control action on a line of its own.
_HELM = re.compile(
    r"\{\{-?\s*(?:\$?\.(?:Values|Release|Chart|Capabilities|Files|Template)\b|"
    r"(?:include|template|toYaml|toJson|tpl|required|lookup|nindent)(?=[\s(]))"
    r"|^[ \t]*\{\{-?\s*(?:if|else|end|range|with|define|block)(?=[\s(]|-?\}\})",
    re.MULTILINE,
)
_COMMENT_LINE = re.compile(r"^[ \t]*#.*$", re.MULTILINE)
# A Dockerfile that a template engine renders (Jinja, Go templates): a control block, a
# placeholder at a line's start or in the base image.
_DOCKERFILE_TEMPLATE = re.compile(
    r"^[ \t]*(?:\{%|\{\{)|^[ \t]*FROM[ \t][^\n#]*(?:\{\{|\{%)|\{%-?\s*(?:if|for|block|extends|include|set|macro)\b",
    re.MULTILINE | re.IGNORECASE,
)
_NGINX = re.compile(r"^\s*(server|http|location|upstream|events)\b[^{;]*\{", re.MULTILINE)

# kinds whose files are worth a note when they cannot be read; for the rest
# (images, archives, fonts) being binary is normal and says nothing
PARSED_KINDS = frozenset(
    {
        "python",
        "dockerfile",
        "compose",
        "kubernetes",
        "workflow",
        "env",
        "sql",
        "supabase-config",
        "nginx",
        "js",
        "yaml",
    }
)


@dataclass(frozen=True)
class Candidate:
    """A file to scan: its root-relative posix path, or why it is left out."""

    path: str
    skip_reason: str | None = None
    note: str | None = None  # scanned, but something about it deserves a note (PR001)


def discover(root: Path, targets: Iterable[Path] | None, exclude: Iterable[str]) -> list[Candidate]:
    """Every file under `root` (or only `targets`), sorted, minus excluded ones."""
    excluded = pathspec.GitIgnoreSpec.from_lines(list(exclude))
    notes: dict[str, str] = {}  # .gitignore files whose patterns were not all applied
    if targets is None:
        paths = _git_files(root)
        files = paths if paths is not None else list(_walk(root, notes))
    else:
        files = []
        for target in targets:
            rel = _relative(root, target)
            if target.is_dir() and not target.is_symlink():
                inner = _git_files(target)
                prefix = "" if rel == "." else rel + "/"
                inner_notes: dict[str, str] = {}
                listed = inner if inner is not None else list(_walk(target, inner_notes))
                notes.update((prefix + k, v) for k, v in inner_notes.items())
                files.extend(prefix + p for p in listed)
            else:
                files.append(rel)
    out: list[Candidate] = []
    for rel in sorted(set(files)):
        if excluded.match_file(rel) or any(part in SKIP_DIRS for part in rel.split("/")[:-1]):
            continue
        out.append(Candidate(rel, _link_problem(root, rel), notes.get(rel)))
    return out


def _relative(root: Path, target: Path) -> str:
    try:
        return target.absolute().relative_to(root.absolute()).as_posix()
    except ValueError:
        return os.path.relpath(target.absolute(), root.absolute()).replace(os.sep, "/")


def _link_problem(root: Path, rel: str) -> str | None:
    """Why a path cannot be read as a plain file of the root, or None when it can."""
    try:  # one lstat: this runs for every file of every scan
        mode = os.lstat(os.path.join(root, rel)).st_mode
    except OSError:
        return "vanished"
    if stat.S_ISLNK(mode):
        try:
            target = (root / rel).resolve(strict=True)
        except (OSError, RuntimeError):
            return "broken or looping symlink; not followed"
        if not target.is_relative_to(root.resolve()):
            return "symlink to outside the scanned root; not followed"
        return "symlink"  # the target is scanned on its own; not worth a note
    if not stat.S_ISREG(mode):
        return "not a regular file"
    return None


def _git_files(root: Path) -> list[str] | None:
    """Tracked + untracked-not-ignored files under root, or None outside a work tree."""
    try:
        proc = subprocess.run(
            [
                "git",
                "-C",
                str(root),
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ],
            capture_output=True,
            check=False,
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    names = [n for n in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if n]
    if not names:  # an empty or ignored folder inside a repository: walk it instead
        return None
    base = str(root)
    return sorted(
        {
            n
            for n in names
            if not os.path.isdir(full := os.path.join(base, n)) or os.path.islink(full)
        }
    )


# Bounds on what a walk takes from .gitignore files: a pattern is a regular expression matched
# against every path below it, so a file of tens of thousands of patterns, or one pattern of
# many wildcards (which backtracks on long names), would stall discovery.
MAX_IGNORE_PATTERNS = 2_000  # over every .gitignore of the walk
MAX_PATTERN_WILDCARDS = 3  # single `*`/`?` in one pattern (`**` excepted)
_WILDCARD = re.compile(r"(?<!\*)[*?](?!\*)")


def _walk(root: Path, notes: dict[str, str]) -> Iterator[str]:
    """A walk that honours .gitignore files at every level (for non-git folders).

    A .gitignore whose patterns were not all applied gets an entry in `notes`.
    """
    specs: list[tuple[str, pathspec.GitIgnoreSpec]] = []
    budget = [MAX_IGNORE_PATTERNS]
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        rel_dir = "" if rel_dir == "." else rel_dir
        ignore_file = Path(dirpath) / ".gitignore"
        if ignore_file.is_file():
            try:
                lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
                spec, dropped = _bounded_spec(lines, budget)
                specs.append((rel_dir, spec))
                if dropped:
                    notes[f"{rel_dir}/.gitignore" if rel_dir else ".gitignore"] = dropped
            except (OSError, ValueError):
                pass

        def ignored(rel: str, is_dir: bool) -> bool:
            for base, spec in specs:
                if base and not rel.startswith(base + "/"):
                    continue
                inner = rel[len(base) + 1 :] if base else rel
                if spec.match_file(inner + ("/" if is_dir else "")):
                    return True
            return False

        keep = []
        for d in sorted(dirnames):
            rel = f"{rel_dir}/{d}" if rel_dir else d
            if d in SKIP_DIRS or ignored(rel, True):
                continue
            if os.path.islink(os.path.join(dirpath, d)):
                yield rel  # reported as a link, never walked into
                continue
            keep.append(d)
        dirnames[:] = keep
        for f in sorted(filenames):
            rel = f"{rel_dir}/{f}" if rel_dir else f
            if not ignored(rel, False):
                yield rel


def _bounded_spec(lines: list[str], budget: list[int]) -> tuple[pathspec.GitIgnoreSpec, str]:
    """A .gitignore's patterns, minus the ones that do not compile (`[z-a]`, a lone `!`) and
    the ones over the bounds; and what was left out, for a note ("" when nothing).

    git skips a pattern it cannot use and honours the rest; one odd line must not end the
    scan nor void the whole file. Patterns over the bounds are not applied either, so at
    worst a file that git would ignore is scanned, and the note says why.
    """
    usable = []
    wild = over = 0
    for line in lines:
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        if len(_WILDCARD.findall(pattern)) > MAX_PATTERN_WILDCARDS:
            wild += 1
            continue
        if budget[0] <= 0:
            over += 1
            continue
        try:
            pathspec.GitIgnoreSpec.from_lines([line])
        except Exception:  # pathspec raises ValueError subclasses and re.error
            continue
        usable.append(line)
        budget[0] -= 1
    dropped = []
    if wild:
        dropped.append(
            f"{wild} pattern(s) with more than {MAX_PATTERN_WILDCARDS} wildcards not applied"
        )
    if over:
        dropped.append(f"{over} pattern(s) beyond the first {MAX_IGNORE_PATTERNS} not applied")
    return pathspec.GitIgnoreSpec.from_lines(usable), "; ".join(dropped)


def kind_by_name(rel: str) -> str | None:
    """The kind a file name alone decides, or None when the content must tell."""
    p = PurePosixPath(rel)
    name = p.name
    lower = name.lower()
    parts = [x.lower() for x in p.parts[:-1]]
    if lower.endswith((".py", ".pyi")):
        return "python"
    if (
        lower in ("dockerfile", "containerfile")
        or lower.startswith(("dockerfile.", "containerfile."))
        or lower.endswith((".dockerfile", ".containerfile"))
    ):
        return "dockerfile"
    if lower.endswith(_YAML):
        if len(parts) >= 2 and parts[-2:] == [".github", "workflows"]:
            return "workflow"
        if _COMPOSE.match(name):
            return "compose"
        if lower in ("kustomization.yaml", "kustomization.yml"):
            return "kubernetes"  # often has no apiVersion/kind, yet rewrites images and replicas
        return None  # kubernetes or plain yaml: the content decides
    if lower == ".env" or lower.startswith(".env.") or lower.endswith(".env") or ".env." in lower:
        return "env"
    if lower.endswith(".sql"):
        return "sql"
    if lower == "config.toml" and parts[-1:] == ["supabase"]:
        return "supabase-config"
    if lower.endswith(_JS):
        return "js"
    if lower.endswith((".html", ".htm")):
        return "html"
    if lower.endswith(".conf") and ("nginx" in lower or "nginx" in parts or "conf.d" in parts):
        return "nginx"
    return None


def _plain_yaml(text: str) -> bool:
    """Outside a chart, YAML that loads as it is was never meant to be rendered first.

    An operator's own templating inside string values (KServe's `{{ .Spec.Model.Name }}`
    in a block scalar) leaves the manifest valid; only a template whose actions break
    the YAML needs rendering before anything can be judged.
    """
    try:
        for _ in yaml.load_all(text, Loader=CSafeLoader):
            pass
    except (yaml.YAMLError, ValueError, RecursionError):
        return False
    return True


def classify(rel: str, text: str) -> str:
    """The file's kind; `helm` for a template that only renders to YAML."""
    kind = kind_by_name(rel)
    lower = rel.lower()
    if kind is None and lower.endswith(_YAML):
        if "{{" in text:
            bare = _COMMENT_LINE.sub("", text)
            in_chart = "/templates/" in "/" + lower
            if (in_chart and _ACTION.search(bare)) or (
                _K8S_KIND.search(text) and _HELM.search(bare) and not _plain_yaml(text)
            ):
                return "helm"
        if _K8S_API.search(text) and _K8S_KIND.search(text):
            return "kubernetes"
        return "yaml"
    if (
        kind == "dockerfile"
        and ("{{" in text or "{%" in text)
        and _DOCKERFILE_TEMPLATE.search(_COMMENT_LINE.sub("", text))
    ):
        return "dockerfile-template"
    if (
        kind is None
        and lower.endswith(".json")
        and _K8S_API.search(text)
        and _K8S_KIND.search(text)
    ):
        return "kubernetes"  # kubectl applies JSON manifests as readily as YAML ones
    if kind is None and lower.endswith((".conf", ".nginx")) and _NGINX.search(text):
        return "nginx"
    return kind or "other"
