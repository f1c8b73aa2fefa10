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
_COMPOSE = re.compile(r"^(docker-)?compose([.-][\w.-]*)?\.ya?ml$", re.IGNORECASE)
_JS = (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs")
_K8S_API = re.compile(r"^apiVersion\s*:", re.MULTILINE)
_K8S_KIND = re.compile(r"^kind\s*:", re.MULTILINE)
_HELM = re.compile(r"(?<!\$)\{\{-?\s*[.\w$(\"-]")
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


def discover(root: Path, targets: Iterable[Path] | None, exclude: Iterable[str]) -> list[Candidate]:
    """Every file under `root` (or only `targets`), sorted, minus excluded ones."""
    excluded = pathspec.GitIgnoreSpec.from_lines(list(exclude))
    if targets is None:
        paths = _git_files(root)
        files = paths if paths is not None else list(_walk(root))
    else:
        files = []
        for target in targets:
            rel = _relative(root, target)
            if target.is_dir() and not target.is_symlink():
                inner = _git_files(target)
                listed = inner if inner is not None else list(_walk(target))
                prefix = "" if rel == "." else rel + "/"
                files.extend(prefix + p for p in listed)
            else:
                files.append(rel)
    out: list[Candidate] = []
    for rel in sorted(set(files)):
        if excluded.match_file(rel) or any(part in SKIP_DIRS for part in rel.split("/")[:-1]):
            continue
        out.append(Candidate(rel, _link_problem(root, rel)))
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


def _walk(root: Path) -> Iterator[str]:
    """A walk that honours .gitignore files at every level (for non-git folders)."""
    specs: list[tuple[str, pathspec.GitIgnoreSpec]] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        rel_dir = "" if rel_dir == "." else rel_dir
        ignore_file = Path(dirpath) / ".gitignore"
        if ignore_file.is_file():
            try:
                lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
                specs.append((rel_dir, _lenient_spec(lines)))
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


def _lenient_spec(lines: list[str]) -> pathspec.GitIgnoreSpec:
    """A .gitignore's patterns, minus the ones that do not compile (`[z-a]`, a lone `!`).

    git skips a pattern it cannot use and honours the rest; one odd line must not
    end the scan nor void the whole file.
    """
    usable = []
    for line in lines:
        try:
            pathspec.GitIgnoreSpec.from_lines([line])
        except Exception:  # pathspec raises ValueError subclasses and re.error
            continue
        usable.append(line)
    return pathspec.GitIgnoreSpec.from_lines(usable)


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


def classify(rel: str, text: str) -> str:
    """The file's kind; `helm` for a template that only renders to YAML."""
    kind = kind_by_name(rel)
    lower = rel.lower()
    if kind is None and lower.endswith(_YAML):
        if _HELM.search(text) and (_K8S_KIND.search(text) or "/templates/" in "/" + lower):
            return "helm"
        if _K8S_API.search(text) and _K8S_KIND.search(text):
            return "kubernetes"
        return "yaml"
    if kind is None and lower.endswith((".conf", ".nginx")) and _NGINX.search(text):
        return "nginx"
    return kind or "other"
