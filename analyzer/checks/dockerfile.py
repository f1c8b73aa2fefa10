"""Dockerfile rules (DF001-DF012): what the image will do once it runs in production.

Most rules judge the *final* stage together with the earlier stages it is
built FROM, because that is the image that ships: a builder stage may run as
root, download compilers or lack a HEALTHCHECK without any production effect.
When the last stage is named for development (`FROM builder AS dev-envs`, the
Docker Dev Environments pattern), production builds pick an earlier stage with
`--target`, so the last stage not named for development is judged instead.
Rules about a server's command line are skipped for files named as
development images (`Dockerfile.dev`, `local.Dockerfile`...), where reload
and debug flags are the point. The rules that depend on the containers that
run the image (DF003, DF010) are in analyzer.checks.dockerfile_deployed, and the
package-pinning rule (DF011) in analyzer.checks.dockerfile_packages.
"""

from __future__ import annotations

import hashlib
import itertools
import posixpath
import re
from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit

from analyzer.checks.registry import file_check
from analyzer.core.model import Finding
from analyzer.core.secretvalues import is_placeholder, is_secret_name, literal_secret, redact
from analyzer.facts.dockerfile import (
    base_image,
    chain,
    command,
    command_text,
    global_vars,
    is_dev_file,
    programs,
    variables,
)
from analyzer.facts.images import floating
from analyzer.parsers.dockerfile import (
    Dockerfile,
    Instruction,
    arg_defaults,
    env_pairs,
    expand,
)

_NONROOT_BASE = re.compile(
    r"nonroot|rootless|unprivileged|^cgr\.dev/chainguard/|(?:^|/)bitnami/", re.IGNORECASE
)
_WEB = re.compile(r"\b(?:uvicorn|gunicorn|hypercorn|daphne|granian)\b|\bfastapi\s+run\b")
_WORKER = re.compile(
    r"\bcelery\b[^;&|]*\b(?:worker|beat)\b|\brq\s+worker\b|\brqworker\b|\bdramatiq\b|"
    r"\barq\s+\S|\bhuey_consumer\b"
)


# --------------------------------------------------------------------------- helpers


def finding(
    code: str, df: Dockerfile, ins: Instruction, message: str, anchor: str,
    place: tuple[int, int] | None = None,
) -> Finding:  # fmt: skip
    line, column = place or (ins.line, ins.column)
    return Finding(
        code=code,
        path=df.path,
        message=message,
        line=line,
        column=column,
        end_line=ins.end_line if place is None else line,
        end_column=ins.end_column if place is None else None,
        anchor=anchor,
    )


def image_label(df: Dockerfile) -> str:
    """How messages name the shipped image: the final one, or the stage before a dev stage."""
    shipped, final = df.shipped_stage, df.final_stage
    if shipped is final:
        return f"The final image (stage `{final.name}`)" if final.name else "The final image"
    name = f"stage `{shipped.name}`" if shipped.name else f"stage {shipped.index}"
    return f"The image ({name}; the last stage, `{final.name}`, is for development)"


def place_of(ins: Instruction, needle: str) -> tuple[int, int]:
    idx = ins.body.find(needle)
    return ins.body_position(idx) if idx >= 0 else (ins.line, ins.column)


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]


# --------------------------------------------------------------------------- DF001


def _is_root_user(value: str) -> bool:
    user = value.split(":", 1)[0].strip()
    return user in ("root", "0")


@file_check("dockerfile", "DF001")
def runs_as_root(df: Dockerfile) -> Iterator[Finding]:
    image = chain(df)
    users = [i for i in image if i.keyword == "USER"]
    if not users:
        if _NONROOT_BASE.search(base_image(df)):
            return
        yield finding(
            "DF001", df, df.shipped_stage.from_instruction,
            f"{image_label(df)} has no USER instruction, so it runs as root.",
            "stage[final]:no-USER",
        )  # fmt: skip
        return
    last = users[-1]
    value = expand(last.body, variables(df, image[: image.index(last)]))
    if value is not None and _is_root_user(value):
        yield finding(
            "DF001", df, last,
            f"{image_label(df)} runs as root: its last USER is `{last.body}`"
            + (f" (`{value}`)." if value != last.body else "."),
            f"stage[final]:USER {last.body}",
        )  # fmt: skip


# --------------------------------------------------------------------------- DF002


@file_check("dockerfile", "DF002")
def unpinned_base_image(df: Dockerfile) -> Iterator[Finding]:
    glob = global_vars(df)
    for stage in df.stages:
        raw = stage.base
        if not raw:
            continue
        earlier = df.stage_named(raw)
        if earlier is not None and earlier.index < stage.index:
            continue
        image = expand(raw, glob) if "$" in raw else raw
        if not image or image.lower() == "scratch" or "$" in image or "{" in image:
            continue
        why = floating(image)
        if why:
            problem = (
                f"Base image `{image}` has no tag, so it pulls whatever `latest` is at build time."
                if why == "untagged"
                else f"Base image `{image}` uses the moving `latest` tag."
            )
            if image != raw:
                problem = problem[:-1] + f" (from `{raw}`)."
            ins = stage.from_instruction
            yield finding("DF002", df, ins, problem, f"FROM {image}", place_of(ins, raw))


# --------------------------------------------------------------------------- DF004 / DF005


def _settings(df: Dockerfile, instructions: Iterable[Instruction]) -> Iterator[
    tuple[Instruction, str, str | None, int]
]:  # fmt: skip
    for ins in instructions:
        if ins.keyword == "ENV":
            for name, value, off in env_pairs(ins):
                yield ins, name, value, off
        elif ins.keyword == "ARG":
            for name, maybe, off in arg_defaults(ins):
                yield ins, name, maybe, off


@file_check("dockerfile", "DF004")
def literal_secret_in_env_or_arg(df: Dockerfile) -> Iterator[Finding]:
    for ins, name, value, off in _settings(df, df.instructions):
        secret = literal_secret(name, value)
        if secret is None:
            continue
        yield finding(
            "DF004", df, ins,
            f"{ins.keyword} `{name}` holds a literal secret ({redact(secret)}); "
            "it is stored in the image and its history.",
            f"{ins.keyword} {name}:sha256:{_sha(secret)}",
            ins.body_position(off),
        )  # fmt: skip


@file_check("dockerfile", "DF005")
def secret_build_arg(df: Dockerfile) -> Iterator[Finding]:
    declared: set[str] = set()
    for ins, name, value, off in _settings(df, chain(df)):
        if ins.keyword == "ARG":
            declared.add(name)
            if not is_secret_name(name) or literal_secret(name, value) is not None:
                continue
            if value is not None and not is_placeholder(value):
                continue
            yield finding(
                "DF005", df, ins,
                f"Build argument `{name}` looks like a secret; build-arg values are recorded "
                "in the image history.",
                f"ARG {name}",
                ins.body_position(off),
            )  # fmt: skip
        elif value is not None and "$" in value:
            refs = set(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", value))
            leaked = sorted(r for r in refs & declared if is_secret_name(r) or is_secret_name(name))
            if leaked:
                yield finding(
                    "DF005", df, ins,
                    f"ENV `{name}` copies build argument `{leaked[0]}` into the image "
                    "configuration, where anyone who pulls the image can read it.",
                    f"ENV {name}=${leaked[0]}",
                    ins.body_position(off),
                )  # fmt: skip


# --------------------------------------------------------------------------- DF006


def _safe_url(url: str) -> str:
    """Scheme, host and path of a URL: never its user-info (which may hold a token)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "a remote URL"
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}{parts.path}" if parts.scheme else url.split("@")[-1]


@file_check("dockerfile", "DF006")
def add_remote_url(df: Dockerfile) -> Iterator[Finding]:
    for ins in df.instructions:
        if ins.keyword != "ADD" or ins.flag("checksum"):
            continue
        words = ins.words()
        for src in words[:-1]:
            low = src.lower()
            remote = low.startswith(("http://", "https://", "git://", "git@", "ssh://"))
            if not remote:
                continue
            shown = _safe_url(src)
            yield finding(
                "DF006", df, ins,
                f"ADD downloads `{shown}` at build time with no checksum, so the image "
                "content can change without any change to this file.",
                f"ADD {shown}",
                place_of(ins, src),
            )  # fmt: skip


# --------------------------------------------------------------------------- DF007

_FETCHER = re.compile(r"(?:^|[\s/])(?:curl|wget)(?:\s|$)")
_INTERPRETER = re.compile(
    r"^(?:sudo\s+(?:-\S+\s+)*)?(?:env\s+(?:\S+=\S*\s+)*)?(?:/usr)?(?:/local)?(?:/bin/)?"
    r"(?:(?:ba|z|da|k|a)?sh(?:\s|$)(?!\s*-c\b)|python[0-9.]*(?:\s|$)(?!\s*-[cm]\b)"
    r"|(?:perl|ruby|node)(?:\s|$)(?!\s*-e\b))"
)  # `| python -c CODE` runs CODE, not the download
_SUBSHELL_FETCH = re.compile(
    r"\b(?:ba|z|da)?sh\s+(?:-\w+\s+)*[\"']?\$\(\s*(?:curl|wget)\b|\b(?:ba|z)?sh\s+<\(\s*(?:curl|wget)\b"
)
_LIST_SEPARATOR = re.compile(r"&&|\|\||[;&\n]")


def _pipes_to_interpreter(script: str) -> Iterator[int]:
    """Offsets in `script` of `curl|wget ... | sh`-like pipelines and `sh -c "$(curl ...)"`."""
    start = 0
    bounds = [m.span() for m in _LIST_SEPARATOR.finditer(script)] + [(len(script), len(script))]
    for sep_start, sep_end in bounds:
        pipeline = script[start:sep_start]
        if "|" in pipeline:
            offset = start
            stages = pipeline.split("|")
            for left, right in itertools.pairwise(stages):
                if _FETCHER.search(left) and _INTERPRETER.match(right.strip()):
                    yield offset + len(left) - len(left.lstrip())
                    break
                offset += len(left) + 1
        start = sep_end
    for m in _SUBSHELL_FETCH.finditer(script):
        yield m.start()


@file_check("dockerfile", "DF007")
def curl_pipe_shell(df: Dockerfile) -> Iterator[Finding]:
    for ins in df.instructions:
        if ins.keyword != "RUN":
            continue
        script = ins.script()
        if "curl" not in script and "wget" not in script:
            continue
        for at in _pipes_to_interpreter(script):
            line_end = script.find("\n", at)
            rest = script[at : line_end if line_end >= 0 else len(script)]
            url = re.search(r"https?://[^\s\"'|)]+", rest)
            where = _safe_url(url.group(0)) if url else "a downloaded script"
            yield finding(
                "DF007", df, ins,
                f"RUN pipes `{where}` straight into an interpreter; the script is run "
                "unverified and can change between builds.",
                f"RUN fetch|sh {where}",
                ins.script_position(at),
            )  # fmt: skip


# --------------------------------------------------------------------------- DF008 / DF009


@file_check("dockerfile", "DF008")
def reload_in_command(df: Dockerfile) -> Iterator[Finding]:
    if is_dev_file(df):
        return
    for ins in command(df).instructions:
        for words in programs(command_text(ins)):
            reload = next((w for w in words if w == "--reload" or w.startswith("--reload=")), None)
            dev = posixpath.basename(words[0]) == "fastapi" and words[1:2] == ["dev"]
            if reload is None and not dev:
                continue
            shown = "fastapi dev" if dev else reload or "--reload"
            yield finding(
                "DF008", df, ins,
                f"{ins.keyword} starts the server with `{shown}`, a file-watching development "
                "mode with a single process.",
                f"{ins.keyword}:{shown}",
                place_of(ins, "dev" if dev else shown),
            )  # fmt: skip


_DEBUG_LEVEL = re.compile(r"^(?:debug|trace)$", re.IGNORECASE)
_LOG_LEVEL_FLAG = re.compile(r"^--?(?:log-?level|loglevel)(?:=(.*))?$", re.IGNORECASE)
_DEBUG_ENV = re.compile(r"(?:^|_)DEBUG$", re.IGNORECASE)
_LEVEL_ENV = re.compile(r"(?:^|_)LOG_?LEVEL$", re.IGNORECASE)
_TRUTHY = frozenset({"1", "true", "yes", "on"})


def _debug_flag(words: list[str]) -> str | None:
    for i, word in enumerate(words):
        m = _LOG_LEVEL_FLAG.match(word)
        if m:
            level = m.group(1)
            if level is None:
                level = words[i + 1] if i + 1 < len(words) else ""
            if _DEBUG_LEVEL.match(level.strip("'\"")):
                return f"{word} {level}" if m.group(1) is None else word
        elif word == "--debug":
            return word
    return None


@file_check("dockerfile", "DF009")
def debug_in_image(df: Dockerfile) -> Iterator[Finding]:
    if is_dev_file(df):
        return
    for ins in command(df).instructions:
        for words in programs(command_text(ins)):
            flag = _debug_flag(words)
            if flag:
                yield finding(
                    "DF009", df, ins,
                    f"{ins.keyword} runs with `{flag}`: debug output in production is noisy, "
                    "slow and can leak request data.",
                    f"{ins.keyword}:{flag}",
                    place_of(ins, flag.split()[0]),
                )  # fmt: skip
    for ins in chain(df):
        if ins.keyword != "ENV":
            continue
        for name, value, off in env_pairs(ins):
            v = value.strip().lower()
            debug = (
                (_DEBUG_ENV.search(name) and v in _TRUTHY)
                or (_LEVEL_ENV.search(name) and _DEBUG_LEVEL.match(v))
                or (name.upper() == "FLASK_ENV" and v == "development")
            )
            if debug:
                yield finding(
                    "DF009", df, ins,
                    f"ENV `{name}={value}` turns on debug behaviour in the production image.",
                    f"ENV {name}={v}",
                    ins.body_position(off),
                )  # fmt: skip


# --------------------------------------------------------------------------- DF012


@file_check("dockerfile", "DF012")
def api_and_worker_together(df: Dockerfile) -> Iterator[Finding]:
    run = command(df)
    text = run.text()
    if not (_WEB.search(text) and _WORKER.search(text)):
        return
    ins = run.instructions[-1]
    yield finding(
        "DF012", df, ins,
        f"{ins.keyword} starts the web server and a background worker in the same container.",
        f"{ins.keyword}:api+worker",
    )  # fmt: skip
