"""Dockerfile rules (DF001-DF012): what the image will do once it runs in production.

Most rules judge the *final* stage together with the earlier stages it is
built FROM, because that is the image that ships: a builder stage may run as
root, download compilers or lack a HEALTHCHECK without any production effect.
When the last stage is named for development (`FROM builder AS dev-envs`, the
Docker Dev Environments pattern), production builds pick an earlier stage with
`--target`, so the last stage not named for development is judged instead.
Rules about a server's command line are skipped for files named as
development images (`Dockerfile.dev`, `local.Dockerfile`...), where reload
and debug flags are the point. DF003 and DF010 are repository checks: whether
an image needs a HEALTHCHECK or several Uvicorn workers depends on the compose
services and Kubernetes workloads that run it.
"""

from __future__ import annotations

import hashlib
import itertools
import posixpath
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from analyzer.checks.registry import file_check, repo_check
from analyzer.core.model import FileResult, Finding
from analyzer.core.secretvalues import is_placeholder, is_secret_name, literal_secret, redact
from analyzer.parsers.dockerfile import (
    Dockerfile,
    Instruction,
    Stage,
    arg_defaults,
    env_pairs,
    expand,
    split_words,
)

_DEV_PART = re.compile(
    r"(?:^|[./_-])(?:dev|develop|development|local|debug|test|tests)(?:$|[./_-])"
)
_NONROOT_BASE = re.compile(
    r"nonroot|rootless|unprivileged|^cgr\.dev/chainguard/|(?:^|/)bitnami/", re.IGNORECASE
)
_SERVER = re.compile(
    r"\b(?:uvicorn|gunicorn|hypercorn|daphne|granian|nginx|httpd|caddy|traefik|envoy|haproxy|"
    r"celery|rq|dramatiq|arq|huey|flask|fastapi|node|npm|serve|next|java|php-fpm|puma|rails|"
    r"redis-server|postgres|mysqld|supervisord)\b"
)
# Official images of servers whose CMD (not visible here) starts a long-running service.
_SERVER_IMAGE = re.compile(
    r"(?:^|/)(?:nginx|nginx-unprivileged|openresty|httpd|caddy|traefik|envoy|haproxy|redis|"
    r"postgres|mysql|mariadb|mongo|rabbitmq|memcached|unit)(?::|@|$)",
    re.IGNORECASE,
)
_WEB = re.compile(r"\b(?:uvicorn|gunicorn|hypercorn|daphne|granian)\b|\bfastapi\s+run\b")
_WORKER = re.compile(
    r"\bcelery\b[^;&|]*\b(?:worker|beat)\b|\brq\s+worker\b|\brqworker\b|\bdramatiq\b|"
    r"\barq\s+\S|\bhuey_consumer\b"
)
_INIT_WRAPPERS = frozenset({"tini", "tini-static", "dumb-init", "catatonit", "--", "-g", "-s"})
_BOOTSTRAP = frozenset({"pip", "setuptools", "wheel", "npm", "corepack"})


@dataclass(frozen=True)
class Command:
    """The effective ENTRYPOINT and CMD of the final image and what they run."""

    entrypoint: Instruction | None
    cmd: Instruction | None

    @property
    def instructions(self) -> list[Instruction]:
        return [i for i in (self.entrypoint, self.cmd) if i is not None]

    def text(self) -> str:
        return " ".join(_command_text(i) for i in self.instructions)


# --------------------------------------------------------------------------- helpers


def _finding(
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


def _is_dev_file(df: Dockerfile) -> bool:
    """Named as a development image, or every stage is (`AS development`, `AS dev-envs`)."""
    low = df.path.lower()
    named = ".devcontainer/" in low or bool(_DEV_PART.search(posixpath.basename(low)))
    return named or df.development_only


def _chain(df: Dockerfile) -> list[Instruction]:
    """Instructions that make up the shipped image, oldest ancestor stage first."""
    out: list[Instruction] = []
    for stage in reversed(df.lineage(df.shipped_stage)):
        out.extend(stage.instructions)
    return out


def _root_stage(df: Dockerfile) -> Stage:
    """The stage of the shipped image's lineage that starts from an external image."""
    return df.lineage(df.shipped_stage)[-1]


def _image_label(df: Dockerfile) -> str:
    """How messages name the shipped image: the final one, or the stage before a dev stage."""
    shipped, final = df.shipped_stage, df.final_stage
    if shipped is final:
        return f"The final image (stage `{final.name}`)" if final.name else "The final image"
    name = f"stage `{shipped.name}`" if shipped.name else f"stage {shipped.index}"
    return f"The image ({name}; the last stage, `{final.name}`, is for development)"


def _global_vars(df: Dockerfile) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for ins in df.global_args:
        for name, value, _ in arg_defaults(ins):
            out[name] = value
    return out


def _vars(df: Dockerfile, instructions: Iterable[Instruction]) -> dict[str, str | None]:
    """ARG and ENV values visible at the end of `instructions` (defaults only)."""
    glob = _global_vars(df)
    out: dict[str, str | None] = {}
    for ins in instructions:
        if ins.keyword == "ARG":
            for name, value, _ in arg_defaults(ins):
                out[name] = value if value is not None else glob.get(name)
        elif ins.keyword == "ENV":
            for name, value, _ in env_pairs(ins):
                out[name] = expand(value, out) if "$" in value else value
    return out


def _command(df: Dockerfile) -> Command:
    entry: Instruction | None = None
    cmd: Instruction | None = None
    for ins in _chain(df):
        if ins.keyword == "ENTRYPOINT":
            if cmd is not None and cmd.stage != ins.stage:
                cmd = None  # a later ENTRYPOINT resets an inherited CMD
            entry = ins
        elif ins.keyword == "CMD":
            cmd = ins
    if entry is not None and entry.exec_form is None and cmd is not None:
        cmd = None  # shell-form ENTRYPOINT ignores CMD
    return Command(entry, cmd)


def _command_text(ins: Instruction) -> str:
    """The shell text a CMD/ENTRYPOINT runs: `sh -c` scripts unwrapped."""
    if ins.exec_form is None:
        return ins.body
    words = list(ins.exec_form)
    shell = len(words) >= 3 and posixpath.basename(words[0]) in ("sh", "bash", "ash", "dash")
    if shell and any(w.startswith("-") and "c" in w for w in words[1:-1]):
        return words[-1]
    return " ".join(words)


def _programs(text: str) -> list[list[str]]:
    """Simple commands of a shell text, each as words (wrappers like `exec` removed)."""
    out: list[list[str]] = []
    for _, segment in _segments(text):
        words = split_words(segment)
        while words and (words[0] in ("exec", "env", "nohup", "time") or "=" in words[0]):
            words = words[1:]
        if words:
            out.append(words)
    return out


def _segments(text: str) -> list[tuple[int, str]]:
    """(offset, text) of each simple command separated by && || ; | & or newlines."""
    out: list[tuple[int, str]] = []
    start = 0
    for m in re.finditer(r"&&|\|\||[;|&\n]", text):
        out.append((start, text[start : m.start()]))
        start = m.end()
    out.append((start, text[start:]))
    return [(o, s) for o, s in out if s.strip()]


def _find_in_body(ins: Instruction, needle: str) -> tuple[int, int]:
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
    chain = _chain(df)
    users = [i for i in chain if i.keyword == "USER"]
    if not users:
        base = _root_stage(df).base
        resolved = expand(base, _global_vars(df)) or base
        if _NONROOT_BASE.search(resolved):
            return
        yield _finding(
            "DF001", df, df.shipped_stage.from_instruction,
            f"{_image_label(df)} has no USER instruction, so it runs as root.",
            "stage[final]:no-USER",
        )  # fmt: skip
        return
    last = users[-1]
    value = expand(last.body, _vars(df, chain[: chain.index(last)]))
    if value is not None and _is_root_user(value):
        yield _finding(
            "DF001", df, last,
            f"{_image_label(df)} runs as root: its last USER is `{last.body}`"
            + (f" (`{value}`)." if value != last.body else "."),
            f"stage[final]:USER {last.body}",
        )  # fmt: skip


# --------------------------------------------------------------------------- DF002


def _image_tag_problem(image: str) -> str | None:
    if "@" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return f"Base image `{image}` has no tag, so it pulls whatever `latest` is at build time."
    if last.rsplit(":", 1)[1].lower() == "latest":
        return f"Base image `{image}` uses the moving `latest` tag."
    return None


@file_check("dockerfile", "DF002")
def unpinned_base_image(df: Dockerfile) -> Iterator[Finding]:
    glob = _global_vars(df)
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
        problem = _image_tag_problem(image)
        if problem:
            if image != raw:
                problem = problem[:-1] + f" (from `{raw}`)."
            ins = stage.from_instruction
            yield _finding("DF002", df, ins, problem, f"FROM {image}", _find_in_body(ins, raw))


# --------------------------------------------------------------------------- DF003


def _is_service(df: Dockerfile) -> bool:
    chain = _chain(df)
    if any(i.keyword == "EXPOSE" for i in chain):
        return True
    text = _command(df).text()
    if text:
        return bool(_SERVER.search(text))
    base = _root_stage(df).base
    return bool(_SERVER_IMAGE.search(expand(base, _global_vars(df)) or base))


def _healthcheck(df: Dockerfile) -> Instruction | None:
    checks = [i for i in _chain(df) if i.keyword == "HEALTHCHECK"]
    if not checks or checks[-1].body.strip().upper() == "NONE":
        return None
    return checks[-1]


def _documents(facts: Any) -> list[Any]:
    docs = getattr(facts, "documents", None)
    if not isinstance(docs, (list, tuple)):
        return []
    return [getattr(d, "data", None) for d in docs]


_WORKLOADS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "Pod", "ReplicaSet"})


def _compose_builds(results: Sequence[FileResult]) -> dict[str, list[dict[Any, Any]]]:
    """Compose services by the Dockerfile (path from the scan root) they build."""
    out: dict[str, list[dict[Any, Any]]] = {}
    for r in results:
        if r.kind != "compose":
            continue
        folder = posixpath.dirname(r.path)
        for data in _documents(r.facts):
            services = data.get("services") if isinstance(data, dict) else None
            if not isinstance(services, dict):
                continue
            for svc in services.values():
                build = svc.get("build") if isinstance(svc, dict) else None
                if isinstance(build, str):
                    context, dockerfile = build, "Dockerfile"
                elif isinstance(build, dict):
                    context = str(build.get("context") or ".")
                    dockerfile = str(build.get("dockerfile") or "Dockerfile")
                else:
                    continue
                path = posixpath.normpath(posixpath.join(folder, context, dockerfile))
                out.setdefault(path, []).append(svc)
    return out


def _dockerfiles(results: Sequence[FileResult]) -> list[Dockerfile]:
    return [r.facts for r in results if r.kind == "dockerfile" and isinstance(r.facts, Dockerfile)]


def _compose_health_on(hc: Any) -> bool:
    if not isinstance(hc, dict) or hc.get("disable") is True:
        return False
    test = hc.get("test")
    if isinstance(test, list) and test and str(test[0]).upper() == "NONE":
        return False
    return test is not None


@dataclass(frozen=True)
class Workload:
    """What DF003/DF010 need to know of one Kubernetes workload's containers."""

    name: str
    images: tuple[str, ...]  # image repositories, tag and digest removed
    probed: bool  # every container has a liveness or readiness probe
    replicated: bool  # replicas > 1, a DaemonSet, or targeted by an HPA


def _repository(image: str) -> str:
    image = image.split("@", 1)[0].strip().lower()
    head, _, last = image.rpartition("/")
    return f"{head}/{last.split(':', 1)[0]}" if head else last.split(":", 1)[0]


def _workloads(results: Sequence[FileResult]) -> list[Workload]:
    docs = [d for r in results if r.kind == "kubernetes" for d in _documents(r.facts)]
    scaled: set[str] = set()
    for data in docs:
        if isinstance(data, dict) and data.get("kind") == "HorizontalPodAutoscaler":
            spec = _mapping(data.get("spec"))
            target = spec.get("scaleTargetRef")
            if isinstance(target, dict) and _int(spec.get("maxReplicas"), 2) > 1:
                scaled.add(str(target.get("name")))
    out: list[Workload] = []
    for data in docs:
        if not isinstance(data, dict) or data.get("kind") not in _WORKLOADS:
            continue
        kind = data["kind"]
        spec = _mapping(data.get("spec"))
        pod = spec if kind == "Pod" else _dig(spec, "template", "spec")
        containers = pod.get("containers") if isinstance(pod, dict) else None
        if not isinstance(containers, list):
            continue
        boxes = [c for c in containers if isinstance(c, dict)]
        name = str(_dig(data, "metadata", "name") or "")
        replicated = (
            kind == "DaemonSet" or name in scaled
            or (kind != "Pod" and _int(spec.get("replicas"), 1) > 1)
        )  # fmt: skip
        out.append(
            Workload(
                name=name,
                images=tuple(_repository(str(c.get("image") or "")) for c in boxes),
                probed=bool(boxes)
                and all(c.get("livenessProbe") or c.get("readinessProbe") for c in boxes),
                replicated=replicated,
            )
        )
    return out


def _mapping(node: Any) -> dict[Any, Any]:
    return node if isinstance(node, dict) else {}


def _dig(node: Any, *keys: str) -> Any:
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _int(value: Any, default: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        return default
    return value


def _deployed_as(services: list[dict[Any, Any]], workloads: list[Workload]) -> list[Workload]:
    """The Kubernetes workloads that run this Dockerfile's image, as far as compose tells.

    Compose is the only place a repository says "this Dockerfile builds that
    image": a service with both `build:` and `image:`. Without it we cannot
    tell which workload runs which image, and the callers fall back to what
    the repository's workloads do as a whole.
    """
    names = {_repository(str(s["image"])) for s in services if s.get("image")}
    return [w for w in workloads if names.intersection(w.images)]


@repo_check("DF003")
def missing_healthcheck(results: Sequence[FileResult]) -> Iterator[Finding]:
    dockerfiles = _dockerfiles(results)
    if not dockerfiles:
        return
    builds = _compose_builds(results)
    workloads = _workloads(results)
    for df in dockerfiles:
        services = builds.get(posixpath.normpath(df.path), [])
        if _is_dev_file(df) or any(_compose_health_on(s.get("healthcheck")) for s in services):
            continue
        # Kubernetes ignores HEALTHCHECK: where probes check the pods, the image needs none.
        # Known workloads of this image must all be probed; unknown: any probe shows the habit.
        mapped = _deployed_as(services, workloads)
        if all(w.probed for w in mapped) if mapped else any(w.probed for w in workloads):
            continue
        if _healthcheck(df) is not None or not _is_service(df):
            continue
        yield _finding(
            "DF003", df, df.shipped_stage.from_instruction,
            f"{_image_label(df)} runs a service but defines no HEALTHCHECK.",
            "stage[final]:no-HEALTHCHECK",
        )  # fmt: skip


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
        yield _finding(
            "DF004", df, ins,
            f"{ins.keyword} `{name}` holds a literal secret ({redact(secret)}); "
            "it is stored in the image and its history.",
            f"{ins.keyword} {name}:sha256:{_sha(secret)}",
            ins.body_position(off),
        )  # fmt: skip


@file_check("dockerfile", "DF005")
def secret_build_arg(df: Dockerfile) -> Iterator[Finding]:
    chain = _chain(df)
    declared: set[str] = set()
    for ins, name, value, off in _settings(df, chain):
        if ins.keyword == "ARG":
            declared.add(name)
            if not is_secret_name(name) or literal_secret(name, value) is not None:
                continue
            if value is not None and not is_placeholder(value):
                continue
            yield _finding(
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
                yield _finding(
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
            yield _finding(
                "DF006", df, ins,
                f"ADD downloads `{shown}` at build time with no checksum, so the image "
                "content can change without any change to this file.",
                f"ADD {shown}",
                _find_in_body(ins, src),
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
            yield _finding(
                "DF007", df, ins,
                f"RUN pipes `{where}` straight into an interpreter; the script is run "
                "unverified and can change between builds.",
                f"RUN fetch|sh {where}",
                ins.script_position(at),
            )  # fmt: skip


# --------------------------------------------------------------------------- DF008 / DF009


@file_check("dockerfile", "DF008")
def reload_in_command(df: Dockerfile) -> Iterator[Finding]:
    if _is_dev_file(df):
        return
    for ins in _command(df).instructions:
        for words in _programs(_command_text(ins)):
            reload = next((w for w in words if w == "--reload" or w.startswith("--reload=")), None)
            dev = posixpath.basename(words[0]) == "fastapi" and words[1:2] == ["dev"]
            if reload is None and not dev:
                continue
            shown = "fastapi dev" if dev else reload or "--reload"
            yield _finding(
                "DF008", df, ins,
                f"{ins.keyword} starts the server with `{shown}`, a file-watching development "
                "mode with a single process.",
                f"{ins.keyword}:{shown}",
                _find_in_body(ins, "dev" if dev else shown),
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
    if _is_dev_file(df):
        return
    for ins in _command(df).instructions:
        for words in _programs(_command_text(ins)):
            flag = _debug_flag(words)
            if flag:
                yield _finding(
                    "DF009", df, ins,
                    f"{ins.keyword} runs with `{flag}`: debug output in production is noisy, "
                    "slow and can leak request data.",
                    f"{ins.keyword}:{flag}",
                    _find_in_body(ins, flag.split()[0]),
                )  # fmt: skip
    for ins in _chain(df):
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
                yield _finding(
                    "DF009", df, ins,
                    f"ENV `{name}={value}` turns on debug behaviour in the production image.",
                    f"ENV {name}={v}",
                    ins.body_position(off),
                )  # fmt: skip


# --------------------------------------------------------------------------- DF010


def _runs_uvicorn(words: list[str]) -> bool:
    if not words:
        return False
    head = posixpath.basename(words[0])
    if head == "uvicorn":
        return True
    if head in ("uv", "poetry", "pipenv", "pdm", "hatch", "rye") and "run" in words[1:3]:
        return _runs_uvicorn(words[words.index("run") + 1 :])
    if head.startswith("python") and len(words) >= 3 and words[1] == "-m":
        return words[2] == "uvicorn"
    if head in ("opentelemetry-instrument", "ddtrace-run"):
        return _runs_uvicorn(words[1:])
    return head == "fastapi" and len(words) >= 2 and words[1] == "run"


def _uvicorn_instruction(df: Dockerfile, command: Command) -> Instruction | None:
    """The instruction that starts Uvicorn itself, or None (also when a script hides it)."""
    candidates: list[Instruction] = []
    if command.entrypoint is not None:
        if any(_runs_uvicorn(w) for w in _programs(_command_text(command.entrypoint))):
            return command.entrypoint
        first = (command.entrypoint.words() or [""])[0]
        if posixpath.basename(first) not in _INIT_WRAPPERS:
            return None  # an entrypoint script we cannot see may add workers
    if command.cmd is not None:
        candidates.append(command.cmd)
    for ins in candidates:
        if any(_runs_uvicorn(w) for w in _programs(_command_text(ins))):
            return ins
    return None


def _replicated(services: list[dict[Any, Any]]) -> bool:
    for svc in services:
        deploy = svc.get("deploy")
        replicas = deploy.get("replicas") if isinstance(deploy, dict) else None
        if isinstance(replicas, int) and not isinstance(replicas, bool) and replicas > 1:
            return True
    return False


@repo_check("DF010")
def single_uvicorn_process(results: Sequence[FileResult]) -> Iterator[Finding]:
    dockerfiles = _dockerfiles(results)
    builds = _compose_builds(results)
    workloads = _workloads(results)
    for df in dockerfiles:
        services = builds.get(posixpath.normpath(df.path), [])
        if _is_dev_file(df) or _replicated(services):
            continue
        # One process per pod with several replicas is a sound design (judged by K8S rules).
        mapped = _deployed_as(services, workloads)
        if any(w.replicated for w in (mapped or workloads)):
            continue
        yield from _single_uvicorn(df)


def _single_uvicorn(df: Dockerfile) -> Iterator[Finding]:
    command = _command(df)
    ins = _uvicorn_instruction(df, command)
    if ins is None:
        return
    text = command.text()
    if re.search(r"--workers\b|\bgunicorn\b", text):
        return
    if "WEB_CONCURRENCY" in _vars(df, _chain(df)):
        return  # uvicorn reads its worker count from WEB_CONCURRENCY
    yield _finding(
        "DF010", df, ins,
        f"{ins.keyword} starts Uvicorn without `--workers`, so the container serves every "
        "request from one process on one CPU core.",
        f"{ins.keyword}:uvicorn-no-workers",
        _find_in_body(ins, "fastapi" if "uvicorn" not in ins.body else "uvicorn"),
    )  # fmt: skip


# --------------------------------------------------------------------------- DF011

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
        for offset, segment in _segments(script):
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
            yield _finding(
                "DF011", df, ins,
                f"{tool} of {names} without an exact version ({pin}); each build may get "
                "different code.",
                f"RUN {tool}:{','.join(sorted(bad))}",
                ins.script_position(offset + max(at, 0)),
            )  # fmt: skip


# --------------------------------------------------------------------------- DF012


@file_check("dockerfile", "DF012")
def api_and_worker_together(df: Dockerfile) -> Iterator[Finding]:
    command = _command(df)
    text = command.text()
    if not (_WEB.search(text) and _WORKER.search(text)):
        return
    ins = command.instructions[-1]
    yield _finding(
        "DF012", df, ins,
        f"{ins.keyword} starts the web server and a background worker in the same container.",
        f"{ins.keyword}:api+worker",
    )  # fmt: skip
