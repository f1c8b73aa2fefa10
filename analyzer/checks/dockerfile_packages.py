"""DF011: packages installed at build time without an exact version.

`pip install fastapi` or `npm install -g pm2` in a RUN gets whatever is newest on the day
of the build, so two builds of the same Dockerfile ship different code. Requirements files,
constraints, hashes, local paths and computed package lists are not judged here.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from analyzer.checks.dockerfile import finding
from analyzer.checks.registry import file_check
from analyzer.core.model import Finding
from analyzer.facts.dockerfile import segments
from analyzer.parsers.dockerfile import Dockerfile, split_words

# Installers that bootstrap the toolchain itself: pinning them is not the point.
_BOOTSTRAP = frozenset({"pip", "setuptools", "wheel", "npm", "corepack"})
_PIP_VALUE_OPTIONS = frozenset(
    {
        "-r", "--requirement", "-e", "--editable", "-i", "--index-url", "--extra-index-url",
        "-f", "--find-links", "-t", "--target", "--prefix", "--root", "--trusted-host",
        "--platform", "--python-version", "--implementation", "--abi", "--only-binary",
        "--no-binary", "--progress-bar", "--cache-dir", "--src", "--upgrade-strategy",
        "--python", "-p", "--report", "--log", "--global-option", "--config-settings", "-C",
        "--index-strategy", "--keyring-provider", "--proxy", "--cert", "--client-cert",
        "--retries", "--timeout", "--exists-action", "--root-user-action",
    }
)  # fmt: skip
_PINNED_PIP = re.compile(r"===?")
_LOCAL_SPEC = re.compile(r"^(?:[./~$]|[a-z+]+://|git\+)|/|\.(?:whl|tar\.gz|zip|tgz)$", re.I)


def _pip_args(words: list[str]) -> list[str] | None:
    """The words after `install` when `words` is a pip install, else None."""
    head = posixpath.basename(words[0]) if words else ""
    rest: list[str]
    if re.fullmatch(r"pip[0-9.]*", head):
        rest = words[1:]
    elif re.fullmatch(r"python[0-9.]*", head) and words[1:3] == ["-m", "pip"]:
        rest = words[3:]
    elif head == "uv" and words[1:2] == ["pip"]:
        rest = words[2:]
    else:
        return None
    while rest and rest[0].startswith("-"):  # global options before the subcommand
        rest = rest[1:]
    if not rest or rest[0] != "install":
        return None
    return rest[1:]


def _unpinned_pip(args: list[str]) -> list[str]:
    if any(a in ("-c", "--constraint", "--require-hashes") or a.startswith("--constraint=")
           for a in args):  # fmt: skip
        return []
    if any("$(" in a or "`" in a for a in args):
        return []  # the package list is computed at build time; we cannot judge it
    out: list[str] = []
    skip = False
    for i, arg in enumerate(args):
        if skip:
            skip = False
            continue
        if arg in _PIP_VALUE_OPTIONS:
            skip = True
            continue
        if arg.startswith("-") or arg == "@" or (i > 0 and args[i - 1] == "@"):
            continue
        if i + 1 < len(args) and args[i + 1] == "@":
            continue  # `name @ url` direct reference
        if _LOCAL_SPEC.search(arg) or _PINNED_PIP.search(arg) or " @ " in arg:
            continue
        name = re.split(r"[\[<>=!~;@ ]", arg, maxsplit=1)[0].lower()
        if name and name not in _BOOTSTRAP:
            out.append(arg)
    return out


def _npm_global_args(words: list[str]) -> list[str] | None:
    head = posixpath.basename(words[0]) if words else ""
    if head == "npm" and len(words) > 1 and words[1] in ("install", "i", "add"):
        rest = words[2:]
        if not any(w in ("-g", "--global", "--location=global") for w in rest):
            return None
    elif head == "yarn" and words[1:3] == ["global", "add"]:
        rest = words[3:]
    elif head == "pnpm" and len(words) > 1 and words[1] in ("add", "install", "i"):
        rest = words[2:]
        if not any(w in ("-g", "--global") for w in rest):
            return None
    else:
        return None
    return [w for w in rest if not w.startswith("-")]


def _unpinned_npm(args: list[str]) -> list[str]:
    out: list[str] = []
    for arg in args:
        if _LOCAL_SPEC.search(arg.lstrip("@")) and not arg.startswith("@"):
            continue
        body = arg[1:] if arg.startswith("@") else arg
        name, _, version = body.partition("@")
        if name in _BOOTSTRAP:
            continue
        if not version or version in ("latest", "next", "*"):
            out.append(arg)
    return out


@file_check("dockerfile", "DF011")
def unpinned_package_install(df: Dockerfile) -> Iterator[Finding]:
    for ins in df.instructions:
        if ins.keyword != "RUN":
            continue
        script = ins.script()
        for offset, segment in segments(script):
            if "install" not in segment and "add" not in segment:
                continue
            words = split_words(segment)
            while words and (words[0] in ("sudo", "exec", "env") or "=" in words[0]):
                words = words[1:]
            pip = _pip_args(words)
            npm = _npm_global_args(words) if pip is None else None
            if pip is not None:
                bad, tool, pin = _unpinned_pip(pip), "pip install", "`==`"
            elif npm is not None:
                bad, tool, pin = _unpinned_npm(npm), "global npm install", "`@version`"
            else:
                continue
            if not bad:
                continue
            names = ", ".join(f"`{b}`" for b in bad[:5]) + (" ..." if len(bad) > 5 else "")
            at = segment.find(bad[0])
            yield finding(
                "DF011", df, ins,
                f"{tool} of {names} without an exact version ({pin}); each build may get "
                "different code.",
                f"RUN {tool}:{','.join(sorted(bad))}",
                ins.script_position(offset + max(at, 0)),
            )  # fmt: skip
