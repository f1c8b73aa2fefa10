"""detect-secrets over text already in memory: its plugins and its filters, none of its I/O.

detect-secrets' own entry points (`SecretsCollection.scan_file`, `scan_line`)
open files, mutate a process-global settings singleton and, for ad-hoc
strings, switch plugins to an "eager" unquoted mode that is noisier than a
file scan. We hold every file's text already, so this adapter does what
`detect_secrets.core.scan._process_line_based_plugins` does, line by line,
with the same plugin objects and the same filter functions, but:

- the plugins and filters are built once per process from detect-secrets'
  *default* configuration (`Settings()`), without touching its global
  settings, so worker threads and processes never race on them;
- a pre-filter (a few regexes searched over the whole text at C speed)
  first picks the few lines that could hold a secret, and for each line the
  plugins that could report there; only those pay for the plugin calls and
  the filter chain;
- YAML, `.env` and Dockerfile `ENV`/`ARG` lines get their unquoted values
  quoted before the plugins see them, which is what detect-secrets' YAML and
  config "transformers" achieve by re-parsing the file: its entropy plugins
  only look at quoted strings.
"""

from __future__ import annotations

import bisect
import importlib
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

# Not credentials: a public IP address in an nginx or k8s file is configuration.
EXCLUDED_PLUGINS = frozenset({"IPPublicDetector"})
# Needs the file on disk (we scan text, and paths are relative to the scan root).
EXCLUDED_FILTERS = frozenset({"detect_secrets.filters.common.is_invalid_file"})

# Generated files detect-secrets' lock-file filter does not know; minified bundles and
# source maps are one-line blobs whose "entropy" is code, not credentials; SBOMs hold hashes.
_EXTRA_SKIPPED_NAMES = frozenset(
    {"pnpm-lock.yaml", "npm-shrinkwrap.json", "bun.lockb", "uv.lock", "go.sum", ".secrets.baseline"}
)
_EXTRA_SKIPPED_SUFFIXES = (
    ".min.js", ".min.css", ".min.mjs", ".js.map", ".css.map",
    ".cdx.json", ".cyclonedx.json", ".spdx.json", ".spdx",  # SBOMs: lists of file hashes
)  # fmt: skip

_YAML_KINDS = frozenset({"yaml", "compose", "kubernetes", "workflow"})

# Keys and list items whose plain (unquoted) scalar we quote, like detect-secrets'
# YAMLTransformer does after a full parse; block scalars, anchors, flows are left alone.
_YAML_KV = re.compile(
    r"""^(?P<pre>\s*(?:-[ \t]+)?(?:"[^"]*"|'[^']*'|[^\s#'"{\[][^#]*?)[ \t]*:[ \t]+)"""
    r"""(?P<val>[^\s'"#&*!|>{\[%@`][^#]*?)(?P<post>[ \t]+\#.*)?[ \t]*$"""
)
_YAML_ITEM = re.compile(
    r"""^(?P<pre>\s*-[ \t]+)(?P<val>[^\s'"#&*!|>{\[%@`-][^#]*?)(?P<post>[ \t]+\#.*)?[ \t]*$"""
)
_ENV_KV = re.compile(
    r"""^(?P<pre>\s*(?:export[ \t]+)?[A-Za-z_][A-Za-z0-9_.\-]*[ \t]*=[ \t]*)"""
    r"""(?P<val>[^\s'"`][^\s]*?)(?P<post>(?:[ \t]+\#.*)?[ \t]*)$"""
)
_DOCKER_ENV = re.compile(r"^\s*(?:ENV|ARG)\s", re.IGNORECASE)
_DOCKER_PAIR = re.compile(r"""(?P<pre>(?<![^\s])[A-Za-z_][A-Za-z0-9_]*=)(?P<val>[^\s"'\\][^\s]*)""")
_DOCKER_LEGACY = re.compile(
    r"""^(?P<pre>\s*ENV\s+[A-Za-z_][A-Za-z0-9_]*)\s+(?P<val>[^\s"'=][^=]*?)\s*$""", re.IGNORECASE
)


@dataclass(frozen=True)
class RawHit:
    """One value a detect-secrets plugin reported and its filters kept.

    The value is kept for the checks (to classify, redact and hash it) but
    never shown by `repr`, so a stray log line or assertion message cannot
    leak it.
    """

    line: int
    column: int | None  # 1-based, where the value starts in the original line, when found
    secret_type: str  # detect-secrets' name, e.g. "AWS Access Key"
    value: str = field(repr=False)


@dataclass(frozen=True)
class _Filter:
    fn: Callable[..., Any]
    params: frozenset[str]
    path: str

    def rejects(self, **available: Any) -> bool:
        return bool(self.fn(**{k: available[k] for k in self.params}))


@dataclass(frozen=True)
class _Gate:
    """One piece of the pre-filter: which lines may hold a secret for which plugins.

    `literals`: the piece cannot match unless one of these occurs in the text
    (a substring test costs next to nothing); `lowered`: search the lower-cased
    text with a case-sensitive pattern, several times faster than `(?i)`.
    """

    pattern: re.Pattern[str]
    plugins: tuple[Any, ...]
    literals: tuple[str, ...] = ()
    lowered: bool = False


@dataclass(frozen=True)
class _Engine:
    plugins: tuple[Any, ...]
    gates: tuple[_Gate, ...]
    file_filters: tuple[_Filter, ...]
    line_filters: tuple[_Filter, ...]
    secret_filters: tuple[_Filter, ...]
    context_filters: tuple[_Filter, ...]
    snippet: Callable[..., Any]  # detect_secrets.util.code_snippet.CodeSnippet


_LOCK = threading.Lock()
_ENGINE: _Engine | None = None


def _engine() -> _Engine:
    """Build detect-secrets' default plugins and filters once per process.

    Built from a private `Settings()` instead of `default_settings()`, which
    swaps detect-secrets' process-global settings in and out: that is unsafe
    with threads and would override a host application's own configuration.
    """
    global _ENGINE
    if _ENGINE is None:
        with _LOCK:
            if _ENGINE is None:
                _ENGINE = _build()
    return _ENGINE


def _build() -> _Engine:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.settings import Settings
    from detect_secrets.util.code_snippet import CodeSnippet
    from detect_secrets.util.inject import get_injectable_variables

    classes: list[type] = sorted(
        get_mapping_from_secret_type_to_class().values(), key=lambda c: c.__name__
    )
    plugins = tuple(cls() for cls in classes if cls.__name__ not in EXCLUDED_PLUGINS)
    filters: list[_Filter] = []
    for path in sorted(Settings().filters):
        if path in EXCLUDED_FILTERS:
            continue
        module, name = path.rsplit(".", 1)
        fn = getattr(importlib.import_module(module), name)
        filters.append(_Filter(fn, frozenset(get_injectable_variables(fn)), path))

    def stage(
        required: str, available: set[str], skip: tuple[_Filter, ...] = ()
    ) -> tuple[_Filter, ...]:
        # Same selection as detect_secrets.core.scan.get_filters_with_parameter plus its
        # TypeError skip: a filter runs at a stage only when all its inputs are known there.
        return tuple(
            f for f in filters if required in f.params and f.params <= available and f not in skip
        )

    line_stage = stage("line", {"filename", "line", "context"})
    return _Engine(
        plugins=plugins,
        gates=_build_gates(plugins),
        file_filters=stage("filename", {"filename"}),
        line_filters=line_stage,
        secret_filters=stage("secret", {"filename", "secret", "plugin", "line"}),
        context_filters=stage(
            "context", {"filename", "secret", "plugin", "line", "context"}, line_stage
        ),
        snippet=CodeSnippet,
    )


def _build_gates(plugins: tuple[Any, ...]) -> tuple[_Gate, ...]:
    """The pre-filter: for each plugin, lines on which it could possibly report.

    It must be a superset of the plugins, not a detector: a line no gate
    matches is never scanned, and a plugin only runs on lines one of its gates
    matched. The pieces:
    - KeywordDetector: its own keyword list, on the lower-cased text;
    - every other plugin, through one of:
      - a run of >= 23 base64 characters: a high-entropy base64 value needs more
        than 2**4.5 distinct characters; the run also covers every token-shaped
        plugin whose secret is >= 23 characters long (GitHub, GitLab, Stripe,
        Twilio, SendGrid, Discord, Telegram, OpenAI, PyPI, Square, Mailchimp,
        Azure, IBM, SoftLayer, Cloudant, AWS secret keys, Slack webhooks);
      - a run of >= 9 hex digits: a high-entropy hex value (limit 3.0) needs more
        than 8 distinct digits;
      - the fixed parts of the short or punctuated ones: AWS key ids,
        Artifactory, JWT `eyJ`, private key headers, npm `_authToken`, Slack
        `xox?-`, and the basic-auth URL pattern itself (`://user:pass@`).
    """
    from detect_secrets.plugins.basic_auth import BasicAuthDetector
    from detect_secrets.plugins.keyword import DENYLIST, KeywordDetector

    keyword = tuple(p for p in plugins if isinstance(p, KeywordDetector))
    others = tuple(p for p in plugins if not isinstance(p, KeywordDetector))
    b64 = r"A-Za-z0-9+/=_\\\-"
    return (
        _Gate(re.compile("|".join(DENYLIST)), keyword, lowered=True),
        _Gate(re.compile(rf"[{b64}]{{23}}|[0-9a-fA-F]{{9}}"), others),
        _Gate(re.compile(r"xox[abposr]-|hooks\.slack\.com"), others, ("xox", "hooks.slack"), True),
        _Gate(
            re.compile(r"eyJ|PRIVATE KEY|PuTTY-User-Key-File|_authToken"),
            others,
            ("eyJ", "PRIVATE KEY", "PuTTY", "_authToken"),
        ),
        _Gate(
            re.compile(r"(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{16}"),
            others,
            ("A3T", "ABIA", "ACCA", "AKIA", "ASIA"),
        ),
        _Gate(re.compile(r"A(?:KC|P[\dA-F])[a-zA-Z0-9]{8}"), others, ("AKC", "AP")),
        _Gate(BasicAuthDetector.denylist[0], others, ("://",)),
    )


def skips_file(path: str) -> bool:
    """Lock files, binaries, swagger, minified assets: detect-secrets' file filters and ours."""
    name = PurePosixPath(path).name
    if name in _EXTRA_SKIPPED_NAMES or name.lower().endswith(_EXTRA_SKIPPED_SUFFIXES):
        return True
    return any(f.rejects(filename=path) for f in _engine().file_filters)


# Detectors that match a token's own format (a prefix, a fixed length, a PEM header): run over
# a whole text at once, in one pass per pattern, they find what a line-by-line scan would,
# however long the lines. Used where the line scan does not go: minified bundles, generated
# files and files over the size bound, which still leak a token as readily as any other.
TYPED_DETECTORS = frozenset(
    {"AWSKeyDetector", "AzureStorageKeyDetector", "DiscordBotTokenDetector",
     "GitHubTokenDetector", "GitLabTokenDetector", "JwtTokenDetector", "MailchimpDetector",
     "NpmDetector", "OpenAIDetector", "PrivateKeyDetector", "PypiTokenDetector",
     "SendGridDetector", "SlackDetector", "StripeDetector", "TelegramBotTokenDetector",
     "TwilioKeyDetector"}
)  # fmt: skip


def typed_hits(path: str, text: str) -> list[RawHit]:
    """Tokens of a known format anywhere in `text`, with their line and column, after the
    filters detect-secrets applies to a secret on its own (placeholders, sequences...)."""
    eng = _engine()
    newlines = [m.start() for m in re.finditer("\n", text)]
    out: list[RawHit] = []
    for plugin in eng.plugins:
        if type(plugin).__name__ not in TYPED_DETECTORS:
            continue
        for regex in getattr(plugin, "denylist", ()):
            for m in regex.finditer(text):
                value, start = _token_of(plugin, m)
                if not value:
                    continue
                kw = {"filename": path, "secret": value, "plugin": plugin, "line": ""}
                if any(f.rejects(**kw) for f in eng.secret_filters):
                    continue
                line = bisect.bisect_left(newlines, start) + 1
                column = start - (newlines[line - 2] + 1 if line > 1 else 0) + 1
                hit = RawHit(line, column, plugin.secret_type, value)
                if hit not in out:
                    out.append(hit)
    return sorted(out, key=lambda h: (h.line, h.column or 0))


def _token_of(plugin: Any, m: re.Match[str]) -> tuple[str, int]:
    """The token a match stands for and where it starts (see `_whole_token` for why a
    captured group is sometimes only a fragment of it)."""
    value, start = m.group(0), m.start()
    for g in range(1, (m.re.groups or 0) + 1):
        if m.group(g):
            after = m.string[m.end(g) : m.end()]
            if not (after and (after[0].isalnum() or after[0] in "_-")):
                value, start = m.group(g), m.start(g)
            break
    trimmed = value.lstrip(" \t\"'=:")
    start += len(value) - len(trimmed)
    value = trimmed.rstrip(" \t\"'=:")
    if plugin.__class__.__name__ == "NpmDetector":
        value = re.split(r"[\s\"'`,;]", value, maxsplit=1)[0]
    return value, start


_OUR_COMMENT = re.compile(r"\s*(?:#|//|--|;)\s*prodready:\s*ignore\[[^\]]*\].*$")


def scan_text(path: str, text: str, kind: str = "", *, gate: bool = True) -> list[RawHit]:
    """Every secret detect-secrets' default plugins find in `text`, after its filters.

    `path` matters: KeywordDetector picks its patterns by file extension and
    the filters know lock files and allowlist comments by it. `gate=False`
    sends every line to every plugin (to measure or verify the gate).
    """
    eng = _engine()
    if skips_file(path):
        return []
    view = _view_for(path, kind)
    hits: list[RawHit] = []
    lines = _gated_lines(text, eng) if gate else _all_lines(text, eng.plugins)
    for number, previous, raw, plugins in lines:
        # our own suppression comment is not part of the code: `ignore[...]` would read to
        # detect-secrets' indirect-reference filter as a lookup `x = y[...]`
        bare = _OUR_COMMENT.sub("", raw) if "prodready:" in raw else raw
        line = view(bare) if view else bare
        if number > 1:
            context = eng.snippet([previous, line], number - 2, 1)
        else:
            context = eng.snippet([line], 0, 0)
        hits.extend(_scan_line(eng, plugins, path, number, raw, line, context))
    return hits


def _scan_line(
    eng: _Engine,
    plugins: tuple[Any, ...],
    path: str,
    number: int,
    raw: str,
    line: str,
    context: Any,
) -> list[RawHit]:
    found: list[tuple[Any, str]] = []
    for plugin in plugins:
        for secret in (
            plugin.analyze_line(filename=path, line=line, line_number=number, context=context) or ()
        ):
            value = _whole_token(plugin, line, secret.secret_value or "")
            if value:
                found.append((plugin, value))
    # detect-secrets applies its line filters before the plugins, to quit early; they are
    # pure tests of the line, so applying them only where a plugin found something gives
    # the same result, and spares the costly ones (is_indirect_reference) on most lines.
    if not found:
        return []
    if any(f.rejects(filename=path, line=line, context=context) for f in eng.line_filters):
        return []
    out: list[RawHit] = []
    for plugin, value in found:
        kw = {"filename": path, "secret": value, "plugin": plugin, "line": line}
        if any(f.rejects(**kw) for f in eng.secret_filters):
            continue
        if any(f.rejects(**kw, context=context) for f in eng.context_filters):
            continue
        col = raw.find(value)
        hit = RawHit(number, col + 1 if col >= 0 else None, plugin.secret_type, value)
        if hit not in out:
            out.append(hit)
    return out


def _whole_token(plugin: Any, line: str, value: str) -> str:
    """The whole token when a regex plugin reported only a captured fragment of it.

    detect-secrets' `RegexBasedDetector` yields a pattern's capture groups
    when it has any, so `(ghp|gho|...)_[A-Za-z0-9_]{36}` yields "ghp" and
    GitLab's `glcbt-([0-9a-f]{2}_)?...` yields two hex digits. A group followed
    directly by more token characters is such a fragment; a group followed by
    a delimiter (`@` after a basic-auth password, a closing quote) is the secret.
    Artifactory's patterns include the delimiters around the token, npm's
    runs to the end of the line: trim them.
    """
    value = value.strip().strip("\"'")
    for regex in getattr(plugin, "denylist", ()):
        if not regex.groups:
            continue
        for m in regex.finditer(line):
            for g in range(1, regex.groups + 1):
                if m.group(g) != value:
                    continue
                after = m.group(0)[m.end(g) - m.start() :]
                if after and (after[0].isalnum() or after[0] in "_-"):
                    whole: str = m.group(0)
                    return whole.strip().strip("\"'=:")
    name = plugin.__class__.__name__
    if name == "ArtifactoryDetector":
        return value.strip("=:")
    if name == "NpmDetector":  # `npm_.+` runs to the end of the line: keep the token only
        return re.split(r"[\s\"'`,;]", value, maxsplit=1)[0]
    return value


_Line = tuple[int, str, str, tuple[Any, ...]]  # number, previous line, line, plugins to run


def _gated_lines(text: str, eng: _Engine) -> Iterator[_Line]:
    """(number, previous line, line, plugins to run) for every line some gate matched."""
    # `İ` is the one character whose lower case is longer (two code points): offsets would
    # drift; it cannot be part of an ASCII keyword, so any one-character stand-in will do.
    lowered = text.replace("\u0130", "I").lower()
    wanted: dict[int, set[int]] = {}  # line start offset -> indexes of plugins to run
    index = {id(p): i for i, p in enumerate(eng.plugins)}
    for g in eng.gates:
        haystack = lowered if g.lowered else text
        if g.literals and not any(lit in haystack for lit in g.literals):
            continue
        pattern = g.pattern
        chosen = {index[id(p)] for p in g.plugins}
        pos = 0
        while True:
            m = pattern.search(haystack, pos)
            if m is None:
                break
            start = text.rfind("\n", 0, m.start()) + 1
            wanted.setdefault(start, set()).update(chosen)
            stop = text.find("\n", m.start())
            if stop < 0:
                break
            pos = stop + 1
    number, counted = 1, 0
    for start in sorted(wanted):
        number += text.count("\n", counted, start)
        counted = start
        stop = text.find("\n", start)
        line = text[start : stop if stop >= 0 else len(text)].rstrip("\r")
        previous = ""
        if start:
            previous = text[text.rfind("\n", 0, start - 1) + 1 : start - 1].rstrip("\r")
        plugins = tuple(eng.plugins[i] for i in sorted(wanted[start]))
        yield number, previous, line, plugins


def _all_lines(text: str, plugins: tuple[Any, ...]) -> Iterator[_Line]:
    previous = ""
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        yield number, previous, line, plugins
        previous = line


def _view_for(path: str, kind: str) -> Callable[[str], str] | None:
    name = PurePosixPath(path).name.lower()
    if kind in _YAML_KINDS or name.endswith((".yaml", ".yml")):
        return _quote_yaml
    if kind == "env" or name == ".env" or name.startswith(".env.") or name.endswith(".env"):
        return _quote_env
    if kind == "dockerfile":
        return _quote_dockerfile
    return None


def _quoted(m: re.Match[str]) -> str:
    val = m.group("val").replace('"', '\\"')
    return f'{m.group("pre")}"{val}"{m.groupdict().get("post") or ""}'


def _quote_yaml(line: str) -> str:
    m = _YAML_KV.match(line)
    if m:
        return _quoted(m)
    m = _YAML_ITEM.match(line)
    if not m:
        return line
    pair = _ENV_KV.match(m.group("val"))  # compose list form: `- NAME=value`
    if pair:
        return m.group("pre") + _quoted(pair) + (m.group("post") or "")
    return _quoted(m)


def _quote_env(line: str) -> str:
    m = _ENV_KV.match(line)
    return _quoted(m) if m else line


def _quote_dockerfile(line: str) -> str:
    if not _DOCKER_ENV.match(line):
        return line
    if "=" not in line:
        m = _DOCKER_LEGACY.match(line)
        return f'{m.group("pre")}="{m.group("val")}"' if m else line
    return _DOCKER_PAIR.sub(lambda m: f'{m.group("pre")}"{m.group("val")}"', line)
